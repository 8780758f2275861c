import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { createTestCerts, issueServingCert } from '../testing/tls.ts';
import { startWebhookServer, WebhookConfigError } from './server.ts';

interface Reply {
  readonly status: number;
  readonly body: string;
  readonly serial: string;
}

function call(port: number, ca: Buffer, method: string, path: string, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, ca, agent: false, headers: body === undefined ? {} : { 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const socket = res.socket as unknown as { getPeerCertificate(): { serialNumber: string } };
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), serial: socket.getPeerCertificate().serialNumber });
        });
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

const review = JSON.stringify({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: 'abc',
    operation: 'CREATE',
    namespace: 'ns',
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', annotations: { 'pre.hook.backup.velero.io/command': 'fsfreeze --freeze /data' } },
      spec: { containers: [{ name: 'c', image: 'i' }] },
    },
  },
});

void test('webhook server: /validate, /healthz, /metrics over TLS; bad requests get 4xx with a reason', async () => {
  const certs = await createTestCerts();
  const ca = await readFile(certs.caCert);
  const server = await startWebhookServer({ host: '127.0.0.1', port: 0, certFile: certs.cert, keyFile: certs.key, denyOn: 'error', version: 'test' });
  try {
    const { port } = server.address();
    const ok = await call(port, ca, 'POST', '/validate', review);
    assert.equal(ok.status, 200);
    const out = JSON.parse(ok.body) as { response: { uid: string; allowed: boolean; status: { message: string } } };
    assert.equal(out.response.uid, 'abc');
    assert.equal(out.response.allowed, false);
    assert.match(out.response.status.message, /command-shell-line/);

    assert.deepEqual([(await call(port, ca, 'GET', '/healthz')).status, (await call(port, ca, 'GET', '/healthz')).body], [200, 'ok\n']);
    assert.equal((await call(port, ca, 'GET', '/nope')).status, 404);
    assert.equal((await call(port, ca, 'GET', '/validate')).status, 405);
    const notJson = await call(port, ca, 'POST', '/validate', '{');
    assert.equal(notJson.status, 400);
    const wrong = await call(port, ca, 'POST', '/validate', JSON.stringify({ apiVersion: 'v1', kind: 'Pod' }));
    assert.equal(wrong.status, 400);
    assert.match(wrong.body, /admission.k8s.io\/v1/);

    const metrics = (await call(port, ca, 'GET', '/metrics')).body;
    assert.match(metrics, /^kubehooks_admission_reviews_total\{kind="Pod",result="denied"\} 1$/m);
    assert.match(metrics, /^kubehooks_admission_bad_requests_total 2$/m);
    assert.match(metrics, /^kubehooks_admission_review_duration_seconds_count 1$/m);
  } finally {
    await server.close();
  }
});

void test('webhook server: a body over the limit is refused with 413', async () => {
  const certs = await createTestCerts();
  const ca = await readFile(certs.caCert);
  const server = await startWebhookServer({
    host: '127.0.0.1', port: 0, certFile: certs.cert, keyFile: certs.key, denyOn: 'none', version: 'test', maxBodyBytes: 1024,
  });
  try {
    const r = await call(server.address().port, ca, 'POST', '/validate', JSON.stringify({ pad: 'x'.repeat(5000) }));
    assert.equal(r.status, 413);
  } finally {
    await server.close();
  }
});

void test('webhook server: a changed certificate is served without a restart; a broken one is not taken', async () => {
  const certs = await createTestCerts();
  const ca = await readFile(certs.caCert);
  const lines: string[] = [];
  const server = await startWebhookServer({
    host: '127.0.0.1', port: 0, certFile: certs.cert, keyFile: certs.key, denyOn: 'none', version: 'test',
    certCheckIntervalMs: 3_600_000, log: (l) => lines.push(l),
  });
  try {
    const port = server.address().port;
    const before = (await call(port, ca, 'GET', '/healthz')).serial;
    const next = await issueServingCert(certs, 'next');
    await copyFile(next.cert, certs.cert);
    await copyFile(next.key, certs.key);
    assert.equal(await server.reloadCertificates(), true);
    const after = (await call(port, ca, 'GET', '/healthz')).serial;
    assert.notEqual(after, before);
    // A key that does not match the certificate is refused; the server keeps the good pair.
    await copyFile(join(certs.dir, 'ca.key'), certs.key);
    assert.equal(await server.reloadCertificates(), false);
    assert.match(lines.at(-1) ?? '', /reload failed, keeping the current one/);
    assert.equal((await call(port, ca, 'GET', '/healthz')).serial, after);
  } finally {
    await server.close();
  }
});

void test('webhook server: unreadable or mismatched certificate files fail at start, naming the flag', async () => {
  const certs = await createTestCerts();
  await assert.rejects(
    startWebhookServer({ host: '127.0.0.1', port: 0, certFile: join(certs.dir, 'missing.crt'), keyFile: certs.key, denyOn: 'none', version: 't' }),
    (e: unknown) => e instanceof WebhookConfigError && /--tls-cert-file .*missing\.crt: ENOENT/.test(e.message),
  );
  await assert.rejects(
    startWebhookServer({ host: '127.0.0.1', port: 0, certFile: certs.cert, keyFile: certs.caKey, denyOn: 'none', version: 't' }),
    (e: unknown) => e instanceof WebhookConfigError && /not a usable PEM certificate and matching key/.test(e.message),
  );
});

void test('[R-22] webhook server: a FIFO or a device as a certificate file is refused at once, not read forever (issue 10)', async () => {
  const certs = await createTestCerts();
  const fifo = join(certs.dir, 'cert.fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  for (const [file, flag] of [[fifo, 'cert'], ['/dev/zero', 'cert'], ['/dev/zero', 'key']] as const) {
    let guard: NodeJS.Timeout | undefined;
    const hung = new Promise<'hung'>((resolve) => {
      guard = setTimeout(() => {
        resolve('hung');
      }, 10_000);
    });
    const started = startWebhookServer({
      host: '127.0.0.1', port: 0, certFile: flag === 'cert' ? file : certs.cert, keyFile: flag === 'key' ? file : certs.key, denyOn: 'none', version: 't',
    }).then(
      async (server) => {
        await server.close();
        return 'started' as const;
      },
      (e: unknown) => e,
    );
    const outcome = await Promise.race([started, hung]);
    clearTimeout(guard);
    assert.ok(outcome instanceof WebhookConfigError, `${file} as --tls-${flag}: ${String(outcome)}`);
    assert.match(outcome.message, new RegExp(`--tls-${flag === 'cert' ? 'cert' : 'private-key'}-file ${file.replace(/[.]/g, '\\.')}: not a regular file`));
  }
});

void test('[R-23] webhook server: a request whose headers or body never finish is ended at the request deadline, not held open', async (t) => {
  const certs = await createTestCerts();
  const server = await startWebhookServer({ host: '127.0.0.1', port: 0, certFile: certs.cert, keyFile: certs.key, denyOn: 'none', version: 't', requestTimeoutMs: 300 });
  try {
    const { port } = server.address();
    const partial = {
      headers: 'POST /validate HTTP/1.1\r\nHost: x\r\n',
      body: 'POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"kind":',
    };
    for (const [what, text] of Object.entries(partial)) {
      const started = performance.now();
      // Hang guard well under Node's default 30 s check interval, which used to be the real bound.
      const outcome = await new Promise<{ closed: boolean; said: string }>((resolve) => {
        let said = '';
        const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
          socket.write(text);
        });
        const guard = setTimeout(() => {
          socket.destroy();
          resolve({ closed: false, said });
        }, 8000);
        socket.on('data', (d: Buffer) => (said += d.toString()));
        socket.on('error', () => undefined);
        socket.on('close', () => {
          clearTimeout(guard);
          resolve({ closed: true, said });
        });
      });
      t.diagnostic(`unfinished ${what}: closed after ${Math.round(performance.now() - started)} ms (deadline 300 ms)`);
      assert.equal(outcome.closed, true, `a request with unfinished ${what} was still open after 8 s`);
      assert.match(outcome.said, /^HTTP\/1\.1 408/);
    }
  } finally {
    await server.close();
  }
});
