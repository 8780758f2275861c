import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeApiServer } from '../testing/fake-api-server.ts';
import { until } from '../testing/changes.ts';
import { activeHandlesAfterSettling } from '../testing/handles.ts';
import { KubeClient, PREPARED_FILES_REREAD_MS } from './client.ts';
import { loadKubeConfig } from './kubeconfig.ts';
import { ApiTimeoutError, ApiUnreachableError, ForbiddenError, KubeconfigError, NotFoundError, UnauthorizedError } from './errors.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubehooks-client-test-'));
const write = (name: string, text: string): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};
const kubeconfig = (server: string, extra = ''): string =>
  `apiVersion: v1
kind: Config
clusters:
- name: c1
  cluster: {server: "${server}"${extra}}
users:
- name: u1
  user: {token: t}
contexts:
- name: one
  context: {cluster: c1, user: u1}
- name: two
  context: {cluster: c1, user: u1}
current-context: one
`;

void describe('loadKubeConfig', () => {
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const quiet = { warn: () => undefined, env: { HOME: dir } };

  const rejects = (options: Parameters<typeof loadKubeConfig>[0], pattern: RegExp): void => {
    assert.throws(
      () => loadKubeConfig(options),
      (error: unknown) => {
        assert.ok(error instanceof KubeconfigError, String(error));
        assert.equal(error.code, 'kubeconfig-invalid');
        assert.match(error.message, pattern);
        return true;
      },
    );
  };

  void it('a missing explicit file', () => {
    rejects({ ...quiet, kubeconfigPath: path.join(dir, 'nope') }, /nope does not exist/);
  });
  void it('malformed YAML keeps the cause', () => {
    const file = write('bad.yaml', 'clusters: [\n');
    assert.throws(
      () => loadKubeConfig({ ...quiet, kubeconfigPath: file }),
      (e: unknown) => e instanceof KubeconfigError && e.cause !== undefined && e.message.includes('cannot load kubeconfig'),
    );
  });
  void it('a file that is not a kubeconfig', () => {
    const file = write('pod.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n');
    rejects({ ...quiet, kubeconfigPath: file }, /does not look like a kubeconfig/);
  });
  void it('an unknown context lists the known ones', () => {
    const file = write('ok.yaml', kubeconfig('https://127.0.0.1:6443'));
    rejects({ ...quiet, kubeconfigPath: file, context: 'three' }, /context "three" not found .*; it has: one, two/);
  });
  void it('selects the requested context', () => {
    const file = write('ok2.yaml', kubeconfig('https://127.0.0.1:6443'));
    assert.equal(loadKubeConfig({ ...quiet, kubeconfigPath: file, context: 'two' }).getCurrentContext(), 'two');
  });
  void it('no kubeconfig anywhere', () => {
    rejects({ warn: () => undefined, env: { HOME: path.join(dir, 'empty-home') } }, /no kubeconfig found: pass --kubeconfig/);
  });
  void it('KUBECONFIG naming only missing files', () => {
    rejects({ warn: () => undefined, env: { HOME: dir, KUBECONFIG: path.join(dir, 'x') } }, /none of the files in KUBECONFIG/);
  });
  void it('KUBECONFIG is used when set', () => {
    const file = write('env.yaml', kubeconfig('https://10.0.0.1:6443'));
    const kc = loadKubeConfig({ warn: () => undefined, env: { HOME: dir, KUBECONFIG: file } });
    assert.equal(kc.getCurrentCluster()?.server, 'https://10.0.0.1:6443');
  });
  void it('KUBECONFIG with several files merges like kubectl (first wins, duplicates allowed)', () => {
    const a = write('a.yaml', kubeconfig('https://first:6443').replace('current-context: one\n', ''));
    const b = write('b.yaml', kubeconfig('https://second:6443').replace('current-context: one', 'current-context: two'));
    const kc = loadKubeConfig({ warn: () => undefined, env: { HOME: dir, KUBECONFIG: `${a}${path.delimiter}${b}` } });
    assert.equal(kc.getCurrentContext(), 'two');
    assert.equal(kc.getCurrentCluster()?.server, 'https://first:6443');
  });
  void it('[S-2] plain HTTP without insecure-skip-tls-verify is refused', () => {
    const file = write('http.yaml', kubeconfig('http://127.0.0.1:8080'));
    rejects({ ...quiet, kubeconfigPath: file }, /plain HTTP/);
  });
  void it('[S-2] insecureSkipTlsVerify warns loudly and disables verification', () => {
    const file = write('tls.yaml', kubeconfig('https://127.0.0.1:6443'));
    const warnings: string[] = [];
    const kc = loadKubeConfig({ kubeconfigPath: file, insecureSkipTlsVerify: true, warn: (m) => warnings.push(m) });
    assert.equal(kc.getCurrentCluster()?.skipTLSVerify, true);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /TLS verification .* is DISABLED/);
  });
  void it('[S-2] a kubeconfig that itself sets insecure-skip-tls-verify gets a warning too; plain HTTP with it warns that nothing is encrypted', () => {
    const own = write('own-insecure.yaml', kubeconfig('https://127.0.0.1:6443', ', insecure-skip-tls-verify: true'));
    const warnings: string[] = [];
    loadKubeConfig({ kubeconfigPath: own, warn: (m) => warnings.push(m) });
    assert.deepEqual(warnings.map((w) => /the kubeconfig disables TLS verification for https:\/\/127\.0\.0\.1:6443/.test(w)), [true]);
    const plain = write('plain-insecure.yaml', kubeconfig('http://127.0.0.1:8080', ', insecure-skip-tls-verify: true'));
    const said: string[] = [];
    loadKubeConfig({ kubeconfigPath: plain, warn: (m) => said.push(m) });
    assert.ok(said.some((w) => /is plain HTTP: traffic and credentials are not encrypted/.test(w)), said.join('\n'));
  });
  void it('TLS verification stays on by default, silently', () => {
    const file = write('tls2.yaml', kubeconfig('https://127.0.0.1:6443'));
    const warnings: string[] = [];
    const kc = loadKubeConfig({ kubeconfigPath: file, warn: (m) => warnings.push(m) });
    assert.equal(kc.getCurrentCluster()?.skipTLSVerify, false);
    assert.deepEqual(warnings, []);
  });
});

void describe('KubeClient requests map failures to typed errors', () => {
  let server: FakeApiServer;
  let client: KubeClient;
  before(async () => {
    server = await FakeApiServer.start();
    client = KubeClient.load({ kubeconfigPath: server.writeKubeconfig(), warn: () => undefined });
  });
  after(async () => {
    client.close();
    await server.close();
  });
  const signal = (): AbortSignal => new AbortController().signal;

  void it('403 → ForbiddenError with the server message, 401 → UnauthorizedError, 404 → NotFoundError', async () => {
    server.failNext({ verb: 'list', statusCode: 403, message: 'pods is forbidden: nope' });
    await assert.rejects(client.request('GET', '/api/v1/pods', { signal: signal(), what: 'list pods' }), (e: unknown) => {
      assert.ok(e instanceof ForbiddenError);
      assert.equal(e.statusCode, 403);
      assert.equal(e.reason, 'Forbidden');
      assert.equal(e.serverMessage, 'pods is forbidden: nope');
      assert.match(e.message, /^cannot list pods: forbidden \(403\): pods is forbidden: nope/);
      return true;
    });
    server.failNext({ verb: 'list', statusCode: 401, message: 'Unauthorized' });
    await assert.rejects(client.request('GET', '/api/v1/pods', { signal: signal(), what: 'list pods' }), UnauthorizedError);
    await assert.rejects(client.request('GET', '/api/v1/namespaces/x/pods/y', { signal: signal(), what: 'get pod' }), NotFoundError);
  });

  void it('[R-8][R-19] a request that gets no answer in time → ApiTimeoutError', async () => {
    // A watch never ends, so reading it as a JSON body must hit the deadline.
    await assert.rejects(
      client.request('GET', '/api/v1/pods', { query: { watch: 'true' }, signal: signal(), what: 'slow', timeoutMs: 100 }),
      ApiTimeoutError,
    );
  });

  void it('[R-19] an aborted request rejects with the signal reason', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    const before = server.requests.length;
    const pending = client.request('GET', '/api/v1/pods', { query: { watch: 'true' }, signal: controller.signal, what: 'w' });
    // Aborted once the server has the request (mid-request, not before it was sent).
    await until([server.changes], 'the request to reach the server', () => server.requests.length > before);
    controller.abort(reason);
    await assert.rejects(pending, (e) => e === reason);
  });

  void it('connection refused → ApiUnreachableError with the system code', async () => {
    const dead = await FakeApiServer.start();
    const deadClient = KubeClient.load({ kubeconfigPath: dead.writeKubeconfig(), warn: () => undefined });
    await dead.close();
    try {
      await assert.rejects(deadClient.request('GET', '/api/v1/pods', { signal: signal(), what: 'list pods' }), (e: unknown) => {
        assert.ok(e instanceof ApiUnreachableError);
        assert.equal(e.systemCode, 'ECONNREFUSED');
        assert.match(e.message, /connection refused: is the API server running\?/);
        return true;
      });
    } finally {
      deadClient.close();
    }
  });
});

void describe('KubeClient prepares the kubeconfig\'s credentials once (ADR 0026)', () => {
  const own = fs.mkdtempSync(path.join(os.tmpdir(), 'kubehooks-client-prepared-'));
  after(() => {
    fs.rmSync(own, { recursive: true, force: true });
  });
  const write = (name: string, text: string): string => {
    const file = path.join(own, name);
    fs.writeFileSync(file, text);
    return file;
  };
  const caPem = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
  const config = (name: string, cluster: string, user: string): string =>
    `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "http://127.0.0.1:1", insecure-skip-tls-verify: true${cluster}}\n` +
    `users:\n- name: u\n  user: {${user}}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n# ${name}\n`;
  /** A client on a clock the test moves, counting client-node's option filling. */
  const counted = (file: string, clock: { now: number }): { client: KubeClient; calls: () => number } => {
    const kc = loadKubeConfig({ kubeconfigPath: file, warn: () => undefined });
    let calls = 0;
    const apply = kc.applyToHTTPSOptions.bind(kc);
    kc.applyToHTTPSOptions = (opts) => {
      calls += 1;
      return apply(opts);
    };
    return { client: new KubeClient(kc, { now: () => clock.now }), calls: () => calls };
  };

  // Per row: the kubeconfig, how many times client-node fills options for 5 connections now, and for 5
  // more after PREPARED_FILES_REREAD_MS.
  const rows: readonly { readonly what: string; readonly cluster: string; readonly user: string; readonly now: number; readonly later: number }[] = [
    { what: 'a static token and inline data: once for the client', cluster: '', user: 'token: t, client-key-data: a2V5', now: 1, later: 1 },
    { what: 'material from files: again once they may have changed', cluster: '', user: `token: t, client-certificate: ${write('cert.pem', caPem)}, client-key-data: a2V5`, now: 1, later: 2 },
  ];
  for (const row of rows) {
    void it(row.what, async () => {
      const clock = { now: 1_000_000 };
      const { client, calls } = counted(write(`prepared-${rows.indexOf(row)}`, config(row.what, row.cluster, row.user)), clock);
      try {
        const seen = [];
        for (let i = 0; i < 5; i++) seen.push(await client.connectionOptions());
        assert.equal(calls(), row.now);
        for (const o of seen) assert.equal((o.headers as Record<string, string>)['Authorization'], 'Bearer t');
        // Every connection gets headers of its own: what one request adds does not reach the next.
        (seen[0]?.headers as Record<string, string>)['X-Mine'] = '1';
        assert.equal((seen[1]?.headers as Record<string, string>)['X-Mine'], undefined);
        clock.now += PREPARED_FILES_REREAD_MS;
        for (let i = 0; i < 5; i++) await client.connectionOptions();
        assert.equal(calls(), row.later);
      } finally {
        client.close();
      }
    });
  }

  void it('a file named by the kubeconfig is read again after PREPARED_FILES_REREAD_MS: a rotated client certificate is used', async () => {
    const certFile = write('rotating-cert.pem', caPem);
    const clock = { now: 1_000_000 };
    const { client } = counted(write('prepared-rotating', config('rotating', '', `client-certificate: ${certFile}, client-key-data: a2V5`)), clock);
    try {
      assert.equal(String((await client.connectionOptions()).cert), caPem);
      const rotated = caPem.replace('fake', 'rotated');
      fs.writeFileSync(certFile, rotated);
      clock.now += PREPARED_FILES_REREAD_MS - 1;
      assert.equal(String((await client.connectionOptions()).cert), caPem, 'still the prepared one');
      clock.now += 1;
      assert.equal(String((await client.connectionOptions()).cert), rotated);
    } finally {
      client.close();
    }
  });

  void it('a library caller\'s authenticator is asked at every connection (it may rotate its token)', async () => {
    const kc = loadKubeConfig({ kubeconfigPath: write('prepared-custom', config('custom', '', 'token: t')), warn: () => undefined });
    let n = 0;
    kc.addAuthenticator({
      isAuthProvider: () => true,
      applyAuthentication: (_user, opts) => {
        n += 1;
        (opts.headers as Record<string, string>)['X-Token'] = String(n);
        return Promise.resolve();
      },
    });
    const client = new KubeClient(kc);
    try {
      const tokens = [];
      for (let i = 0; i < 3; i++) tokens.push(((await client.connectionOptions()).headers as Record<string, string>)['X-Token']);
      assert.deepEqual(tokens, ['1', '2', '3']);
    } finally {
      client.close();
    }
  });
});

void it('leaves no sockets, servers or timers behind', async () => {
  assert.deepEqual(await activeHandlesAfterSettling(), []);
});
