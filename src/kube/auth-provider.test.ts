import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { KubeClient } from './client.ts';
import { loadKubeConfig } from './kubeconfig.ts';
import { KubeconfigError } from './errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'kubehooks-authp-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A `cmd-path` that would leave a mark and hang, as a `gcloud` waiting on the network does. */
function hangingCommand(): { file: string; ran: () => boolean } {
  const mark = join(dir, `ran-${Math.random()}`);
  const file = join(dir, `gcloud-${Math.random()}.sh`);
  writeFileSync(file, `#!/bin/sh\ntouch '${mark}'\nsleep 3600\n`);
  chmodSync(file, 0o755);
  return { file, ran: () => existsSync(mark) };
}

function kubeconfig(user: string): string {
  const file = join(dir, `kc-${Math.random()}`);
  writeFileSync(
    file,
    ['apiVersion: v1', 'kind: Config', 'clusters:', '- name: c', '  cluster: {server: "https://127.0.0.1:1"}', 'users:', '- name: ci-user', '  user:', user, 'contexts:', '- name: x', '  context: {cluster: c, user: ci-user}', 'current-context: x', ''].join('\n'),
  );
  return file;
}

const refused = (file: string, pattern: RegExp): void => {
  assert.throws(
    () => loadKubeConfig({ kubeconfigPath: file, warn: () => undefined }),
    (e: unknown) => {
      assert.ok(e instanceof KubeconfigError, String(e));
      assert.equal(e.code, 'kubeconfig-invalid');
      assert.match(e.message, pattern);
      return true;
    },
  );
};

void describe('[R-17][S-7] legacy auth-provider entries are refused before any request, as kubectl >= 1.26 does (issue 10)', () => {
  void it('gcp: refused naming the user entry and gke-gcloud-auth-plugin; its cmd-path never runs', () => {
    const cmd = hangingCommand();
    const file = kubeconfig(
      ['    auth-provider:', '      name: gcp', '      config:', `        cmd-path: ${cmd.file}`, '        cmd-args: config config-helper --format=json', "        token-key: '{.credential.access_token}'", "        expiry-key: '{.credential.token_expiry}'"].join('\n'),
    );
    refused(file, /user "ci-user" in .* uses the auth-provider "gcp", which kubectl removed in 1\.26 .*gke-gcloud-auth-plugin/);
    assert.equal(cmd.ran(), false, 'the gcp cmd-path was run');
  });

  void it('azure: refused naming the user entry and kubelogin', () => {
    const file = kubeconfig(['    auth-provider:', '      name: azure', '      config: {apiserver-id: x, client-id: y, tenant-id: z}'].join('\n'));
    refused(file, /user "ci-user" in .* uses the auth-provider "azure", which kubectl removed in 1\.26 .*kubelogin/);
  });

  void it('an unknown provider is refused instead of going out without credentials', () => {
    const file = kubeconfig(['    auth-provider:', '      name: openstack', '      config: {}'].join('\n'));
    refused(file, /user "ci-user" .*auth-provider "openstack", which kubectl does not know either .*supported: oidc/);
  });

  void it('exec together with an auth-provider is refused, as client-go does', () => {
    const file = kubeconfig(['    exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/true}', '    auth-provider:', '      name: oidc', '      config: {id-token: x}'].join('\n'));
    refused(file, /user "ci-user" .*sets both exec and auth-provider "oidc"/);
  });

  void it('oidc is still accepted (kubectl keeps it); without idp-issuer-url or client-id it is refused, as client-go does', () => {
    const file = kubeconfig(['    auth-provider:', '      name: oidc', '      config: {client-id: k, id-token: x, idp-issuer-url: "https://127.0.0.1:1"}'].join('\n'));
    assert.doesNotThrow(() => loadKubeConfig({ kubeconfigPath: file, warn: () => undefined }));
    refused(kubeconfig(['    auth-provider:', '      name: oidc', '      config: {client-id: k, id-token: x}'].join('\n')), /user "ci-user" .*auth-provider "oidc" without idp-issuer-url/);
    refused(kubeconfig(['    auth-provider:', '      name: oidc', '      config: {idp-issuer-url: "https://x", id-token: x}'].join('\n')), /auth-provider "oidc" without client-id/);
  });

  void it('a KubeConfig built by a library caller: gcp refused by new KubeClient, a custom provider left to its authenticator', () => {
    const cmd = hangingCommand();
    const build = (name: string): KubeConfig => {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: false }],
        users: [{ name: 'lib-user', authProvider: { name, config: { 'cmd-path': cmd.file } } }],
        contexts: [{ name: 'x', cluster: 'c', user: 'lib-user' }],
        currentContext: 'x',
      });
      return kc;
    };
    assert.throws(() => new KubeClient(build('gcp')), (e: unknown) => e instanceof KubeconfigError && /user "lib-user" .*"gcp".*gke-gcloud-auth-plugin/.test(e.message));
    const custom = new KubeClient(build('my-company-sso'));
    custom.close();
    assert.equal(cmd.ran(), false);
  });
});
