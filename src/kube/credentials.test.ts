import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadKubeConfig } from './kubeconfig.ts';
import { CredentialSource, TOKEN_FILE_REREAD_MS } from './credentials.ts';
import { CredentialError, KubeconfigError } from './errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'kubehooks-cred-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

const header = (h: { headers?: unknown }): string | undefined => (h.headers as Record<string, string> | undefined)?.['Authorization'];

void describe('tokenFile follows client-go (issue 10 item 3)', () => {
  void it('[R-18][S-4] read trimmed, cached for 50 s (1 min less 10 s leeway), re-read after; a failed re-read keeps the last token', async () => {
    const file = join(dir, 'token');
    writeFileSync(file, 'first\n');
    let now = 1_000_000;
    const source = new CredentialSource({ userName: 'u', tokenFile: file, now: () => now });
    const apply = async (): Promise<string | undefined> => {
      const opts: { headers?: unknown } = {};
      await source.apply(opts, { deadlineMs: 1000 });
      return header(opts);
    };
    assert.equal(await apply(), 'Bearer first');
    writeFileSync(file, 'rotated');
    now += TOKEN_FILE_REREAD_MS - 1;
    assert.equal(await apply(), 'Bearer first', 'cached within the period');
    now += 1;
    assert.equal(await apply(), 'Bearer rotated', 'rotated token picked up');
    rmSync(file);
    now += TOKEN_FILE_REREAD_MS;
    assert.equal(await apply(), 'Bearer rotated', 'the last good token stays when the file vanishes');
  });
  void it('[S-4] a static token covers only a file never read; with neither, a clear CredentialError', async () => {
    const missing = join(dir, 'missing');
    const withStatic = new CredentialSource({ userName: 'u', tokenFile: missing, staticToken: 'static' });
    const opts: { headers?: unknown } = {};
    await withStatic.apply(opts, { deadlineMs: 1000 });
    assert.equal(header(opts), 'Bearer static');
    const bare = new CredentialSource({ userName: 'u', tokenFile: missing });
    await assert.rejects(bare.apply({}, { deadlineMs: 1000 }), (e: unknown) => e instanceof CredentialError && /tokenFile .*missing of user "u": it does not exist/.test(e.message));
    const emptyFile = join(dir, 'empty');
    writeFileSync(emptyFile, ' \n');
    await assert.rejects(new CredentialSource({ userName: 'u', tokenFile: emptyFile }).apply({}, { deadlineMs: 1000 }), /it is empty/);
  });
});

const kubeconfig = (user: string, cluster = '    server: https://127.0.0.1:1'): string => {
  const file = join(dir, `kc-${Math.random()}`);
  writeFileSync(file, ['apiVersion: v1', 'kind: Config', 'clusters:', '- name: c', '  cluster:', cluster, 'users:', '- name: u', '  user:', user, 'contexts:', '- name: x', '  context: {cluster: c, user: u}', 'current-context: x', ''].join('\n'));
  return file;
};

void describe('kubeconfig checks (issue 10 items 3 and 7)', () => {
  void it('[S-4] tokenFile is resolved against the kubeconfig directory and must be readable at load (as kubectl)', () => {
    writeFileSync(join(dir, 'sa.token'), 'tok');
    assert.doesNotThrow(() => loadKubeConfig({ kubeconfigPath: kubeconfig('    tokenFile: sa.token'), warn: () => undefined }));
    assert.throws(() => loadKubeConfig({ kubeconfigPath: kubeconfig('    tokenFile: nope.token'), warn: () => undefined }), (e: unknown) => e instanceof KubeconfigError && /user "u" .*cannot read its tokenFile .*nope\.token/.test(e.message));
  });
  void it('[S-5] a user without credentials is said to go out as system:anonymous', () => {
    const warnings: string[] = [];
    loadKubeConfig({ kubeconfigPath: kubeconfig('    {}'), warn: (w) => warnings.push(w) });
    assert.ok(warnings.some((w) => /user "u" .*has no credentials .*system:anonymous/.test(w)), warnings.join('\n'));
    const none: string[] = [];
    loadKubeConfig({ kubeconfigPath: kubeconfig('    token: t'), warn: (w) => none.push(w) });
    assert.deepEqual(none, []);
  });
  void it('[S-3] a CA together with insecure-skip-tls-verify in one cluster entry is refused, as kubectl does', () => {
    const both = kubeconfig('    token: t', '    server: https://127.0.0.1:1\n    certificate-authority-data: Zm9v\n    insecure-skip-tls-verify: true');
    assert.throws(() => loadKubeConfig({ kubeconfigPath: both, warn: () => undefined }), /cluster "c" .*sets both certificate-authority-data and insecure-skip-tls-verify: true/);
    // The --insecure-skip-tls-verify flag over a kubeconfig CA is accepted, as kubectl's flag is.
    const caOnly = kubeconfig('    token: t', '    server: https://127.0.0.1:1\n    certificate-authority-data: Zm9v');
    assert.equal(loadKubeConfig({ kubeconfigPath: caOnly, insecureSkipTlsVerify: true, warn: () => undefined }).getCurrentCluster()?.skipTLSVerify, true);
  });
});

void describe('exec credential plugins run under a deadline and are ended (issue 10 item 1)', () => {
  const script = (body: string): string => {
    const file = join(dir, `plugin-${Math.random()}.sh`);
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
    return file;
  };
  /**
   * Polls `predicate` every 50 ms until it holds or `ms` pass; says whether it held. A SIGKILLed
   * process still has to be scheduled to exit, and a spawned one to start, which on a loaded machine
   * takes longer than any fixed sleep (these tests flaked with 200 ms ones).
   */
  const eventually = async (predicate: () => boolean, ms: number): Promise<boolean> => {
    for (const until = Date.now() + ms; !predicate();) {
      if (Date.now() > until) return false;
      await new Promise((r) => setTimeout(r, 50));
    }
    return true;
  };
  /** Whether the plugin (found by a unique mark in its command line) is gone within 10 s. */
  const goneSoon = (mark: string): Promise<boolean> => eventually(() => !alive(mark), 10_000);
  const alive = (mark: string): boolean =>
    readdirSync('/proc').some((p) => {
      try {
        return /^\d+$/.test(p) && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(mark);
      } catch {
        return false;
      }
    });

  void it('[R-9][R-15][S-6] a hanging plugin: CredentialError at the deadline, its process group killed', async () => {
    const mark = `3600.${Date.now() % 100000}1`;
    const source = new CredentialSource({ userName: 'u', exec: { command: script(`sleep ${mark}`) } });
    await assert.rejects(source.apply({}, { deadlineMs: 300 }), /exec credential plugin ".*" of user "u" did not answer within 300 ms; it was stopped/);
    assert.equal(await goneSoon(mark), true, 'the plugin\'s child sleep was killed with it');
  });
  void it('[R-15][S-6] abort ends the wait and the plugin; close() ends a plugin still running', async () => {
    const mark = `3600.${Date.now() % 100000}2`;
    const source = new CredentialSource({ userName: 'u', exec: { command: script(`sleep ${mark}`) } });
    const ctl = new AbortController();
    setTimeout(() => {
      ctl.abort(new Error('stop'));
    }, 100);
    await assert.rejects(source.apply({}, { deadlineMs: 10_000, signal: ctl.signal }), /stop/);
    assert.equal(await goneSoon(mark), true);
    const mark2 = `3600.${Date.now() % 100000}3`;
    const other = new CredentialSource({ userName: 'u', exec: { command: script(`sleep ${mark2}`) } });
    const pending = other.apply({}, { deadlineMs: 30_000 });
    // close() while the plugin runs: wait until its sleep is there (a fixed sleep raced the spawn).
    assert.equal(await eventually(() => alive(mark2), 20_000), true, 'the plugin started');
    other.close();
    await assert.rejects(pending, /was ended by SIGKILL/);
    assert.equal(await goneSoon(mark2), true);
  });
  void it('[R-15][S-6] concurrent requests share one plugin call; the token is cached until expirationTimestamp', async () => {
    const count = join(dir, `count-${Math.random()}`);
    const source = new CredentialSource({
      userName: 'u',
      exec: { command: script(`echo x >> ${count}; sleep 0.2; printf '{"kind":"ExecCredential","status":{"token":"t1","expirationTimestamp":"2999-01-01T00:00:00Z"}}'`) },
    });
    const all = await Promise.all(Array.from({ length: 20 }, async () => {
      const o: { headers?: unknown } = {};
      await source.apply(o, { deadlineMs: 10_000 });
      return header(o);
    }));
    assert.ok(all.every((h) => h === 'Bearer t1'));
    await source.apply({}, { deadlineMs: 10_000 });
    assert.equal(readFileSync(count, 'utf8').split('\n').filter(Boolean).length, 1);
  });
  void it('[S-6] the plugin runs without a terminal: KUBERNETES_EXEC_INFO says interactive: false, interactiveMode: Always is refused', async () => {
    const source = new CredentialSource({
      userName: 'u',
      exec: { command: script(`printf '{"status":{"token":"%s"}}' "$(printf '%s' "$KUBERNETES_EXEC_INFO" | base64 -w0)"`), apiVersion: 'client.authentication.k8s.io/v1' },
    });
    const opts: { headers?: unknown } = {};
    await source.apply(opts, { deadlineMs: 5000 });
    const info = JSON.parse(Buffer.from((header(opts) ?? '').replace(/^Bearer /, ''), 'base64').toString('utf8')) as unknown;
    assert.deepEqual(info, { apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', spec: { interactive: false } });
    const ran = join(dir, `ran-${Math.random()}`);
    const always = new CredentialSource({ userName: 'u', exec: { command: script(`touch '${ran}'`), interactiveMode: 'Always' } });
    await assert.rejects(always.apply({}, { deadlineMs: 5000 }), /of user "u" needs a terminal \(interactiveMode: Always\)/);
    assert.equal(readdirSync(dir).includes(ran.slice(dir.length + 1)), false, 'an interactive plugin was started');
  });
  void it('[R-15] a plugin still running when the kubehooks process exits is killed with its children', async () => {
    const mark = `3600.${Date.now() % 100000}4`;
    const plugin = script(`sleep ${mark}`);
    // A process that starts a plugin and exits while it runs (no close(), no deadline reached).
    const child = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `import { CredentialSource } from ${JSON.stringify(join(import.meta.dirname, 'credentials.ts'))};
const s = new CredentialSource({ userName: 'u', exec: { command: ${JSON.stringify(plugin)} } });
s.apply({}, { deadlineMs: 600000 }).catch(() => undefined);
setTimeout(() => process.exit(0), 300);`],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.equal(child.status, 0, child.stderr);
    assert.equal(await goneSoon(mark), true, 'the plugin outlived the process');
  });
  void it('[S-6] bad plugin output and failures are clear errors', async () => {
    const cases: [string, RegExp][] = [
      ['echo oops >&2; exit 3', /exited with code 3: oops/],
      ['echo not-json', /its output is not JSON/],
      [`printf '{"status":{}}'`, /neither status.token nor status.clientCertificateData/],
    ];
    for (const [body, want] of cases) {
      await assert.rejects(new CredentialSource({ userName: 'u', exec: { command: script(body) } }).apply({}, { deadlineMs: 5000 }), want);
    }
    await assert.rejects(new CredentialSource({ userName: 'u', exec: { command: join(dir, 'nope') } }).apply({}, { deadlineMs: 5000 }), /could not be started/);
  });
});
