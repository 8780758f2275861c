import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { createTestCerts } from '../testing/tls.ts';
import { main } from './main.ts';
import { captureIo } from '../testing/cli-io.ts';

async function cli(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = captureIo(stdin);
  const code = await main(args, { io: io.io });
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

const BAD = `apiVersion: v1
kind: Pod
metadata: {name: p, annotations: {pre.hook.backup.velero.io/command: "sync now"}}
spec: {containers: [{name: c, image: i}]}
`;

void test('lint --output sarif|junit: formats on stdout, exit codes unchanged', async () => {
  const sarif = await cli(['lint', '--output', 'sarif', '-'], BAD);
  assert.equal(sarif.code, 1);
  const log = JSON.parse(sarif.stdout) as { version: string; runs: { results: { ruleId: string }[] }[] };
  assert.equal(log.version, '2.1.0');
  assert.deepEqual(log.runs[0]?.results.map((r) => r.ruleId), ['command-shell-line']);
  const junit = await cli(['lint', '-o', 'junit', '-'], BAD.replace('sync now', '[\\"/bin/sync\\"]'));
  assert.equal(junit.code, 0, junit.stderr);
  assert.match(junit.stdout, /<testcase classname="&lt;stdin&gt;" name="Pod p"\/>/);
  const wrong = await cli(['lint', '-o', 'xml', '-'], BAD);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /text, json, yaml, sarif, junit/);
});

void test('manifests webhook: URL as given or a Service, CA bundle, Ignore, None, 2s, kube-system left alone, exactly the kinds', async (t) => {
  const certs = await createTestCerts();
  t.after(() => rm(certs.dir, { recursive: true, force: true }));
  const ca = await readFile(certs.caCert, 'utf8');
  const out = await cli(['manifests', 'webhook', '--url', 'https://127.0.0.1:8443/validate', '--ca-bundle-file', certs.caCert]);
  assert.equal(out.code, 0, out.stderr);
  const config = parseAllDocuments(out.stdout)[0]?.toJS() as {
    kind: string;
    webhooks: {
      clientConfig: { url?: string; caBundle: string; service?: unknown };
      failurePolicy: string; sideEffects: string; timeoutSeconds: number; admissionReviewVersions: string[];
      namespaceSelector: { matchExpressions: { key: string; operator: string; values: string[] }[] };
      rules: { apiGroups: string[]; resources: string[]; operations: string[] }[];
    }[];
  };
  assert.equal(config.kind, 'ValidatingWebhookConfiguration');
  const w = config.webhooks[0]!;
  assert.equal(w.clientConfig.url, 'https://127.0.0.1:8443/validate');
  assert.equal(Buffer.from(w.clientConfig.caBundle, 'base64').toString('utf8'), ca);
  assert.deepEqual([w.failurePolicy, w.sideEffects, w.timeoutSeconds, w.admissionReviewVersions], ['Ignore', 'None', 2, ['v1']]);
  assert.deepEqual(w.namespaceSelector.matchExpressions, [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }]);
  assert.deepEqual(w.rules.map((r) => `${r.apiGroups.join()}:${r.resources.join(',')}`), [
    ':pods', 'apps:deployments,statefulsets,daemonsets,replicasets', 'batch:jobs,cronjobs', 'velero.io:backups,schedules,restores',
  ]);
  assert.ok(w.rules.every((r) => r.operations.join() === 'CREATE,UPDATE'));

  const svc = await cli(['manifests', 'webhook', '--service', 'velero/kubehooks-webhook', '--ca-bundle-file', certs.caCert]);
  assert.match(svc.stdout, /service:\n\s+namespace: velero\n\s+name: kubehooks-webhook\n\s+port: 443\n\s+path: \/validate/);
});

void test('manifests webhook: bad input is a usage error naming the flag', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kubehooks-manifests-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'not-pem'), 'hello');
  const cases: [string[], RegExp][] = [
    [['--ca-bundle-file', join(dir, 'not-pem'), '--url', 'https://x/validate'], /holds no PEM certificate/],
    [['--ca-bundle-file', join(dir, 'missing'), '--url', 'https://x/validate'], /--ca-bundle-file .*missing: cannot read it as text \(ENOENT\)/],
    [['--ca-bundle-file', join(dir, 'not-pem'), '--url', 'http://x/validate'], /--url must use https/],
    [['--ca-bundle-file', join(dir, 'not-pem')], /exactly one of --url URL or --service/],
    [['--ca-bundle-file', join(dir, 'not-pem'), '--service', 'no-slash'], /--service must be NAMESPACE\/NAME/],
    [['--ca-bundle-file', join(dir, 'not-pem'), '--url', 'https://x/v', '--timeout-seconds', '10'], /--timeout-seconds must be 1 or 2/],
  ];
  for (const [args, re] of cases) {
    const out = await cli(['manifests', 'webhook', ...args]);
    assert.equal(out.code, 2, args.join(' '));
    assert.match(out.stderr, re);
  }
});

void test('policy: two documents, Warn+Audit by default, Deny with --deny; --help says what it does not cover', async () => {
  const out = await cli(['policy']);
  assert.equal(out.code, 0, out.stderr);
  const docs = parseAllDocuments(out.stdout).map((d) => d.toJS() as { kind: string; spec: { validationActions?: string[] } });
  assert.deepEqual(docs.map((d) => d.kind), ['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);
  assert.deepEqual(docs[1]?.spec.validationActions, ['Warn', 'Audit']);
  const deny = parseAllDocuments((await cli(['policy', '--deny'])).stdout).map((d) => d.toJS() as { spec: { validationActions?: string[] } });
  assert.deepEqual(deny[1]?.spec.validationActions, ['Deny', 'Audit']);
  const both = await cli(['policy', '--validation-action', 'Deny,Warn']);
  assert.equal(both.code, 2);
  const help = await cli(['policy', '--help']);
  assert.match(help.stdout, /does not cover/);
  assert.match(help.stdout, /container the pod does not have/);
});

void test('webhook: flag errors are usage errors (listen address, certificate files)', async (t) => {
  const certs = await createTestCerts();
  t.after(() => rm(certs.dir, { recursive: true, force: true }));
  const cases: [string[], RegExp][] = [
    [['--listen', '8443', '--tls-cert-file', certs.cert, '--tls-private-key-file', certs.key], /--listen must be HOST:PORT/],
    [['--listen', '127.0.0.1:99999', '--tls-cert-file', certs.cert, '--tls-private-key-file', certs.key], /--listen must be HOST:PORT/],
    [['--listen', '127.0.0.1:0', '--tls-cert-file', join(certs.dir, 'nope'), '--tls-private-key-file', certs.key], /cannot read --tls-cert-file/],
    [['--listen', '127.0.0.1:0', '--tls-cert-file', certs.cert], /--tls-private-key-file/],
    [['--listen', '127.0.0.1:0', '--tls-cert-file', certs.cert, '--tls-private-key-file', certs.key, '--deny-on', 'warning'], /--deny-on/],
  ];
  for (const [args, re] of cases) {
    const out = await cli(['webhook', ...args]);
    assert.equal(out.code, 2, args.join(' '));
    assert.match(out.stderr, re);
  }
});

void test('webhook: serves until its signal is aborted, then stops and exits 0', async (t) => {
  const certs = await createTestCerts();
  t.after(() => rm(certs.dir, { recursive: true, force: true }));
  const io = captureIo();
  const stop = new AbortController();
  const running = main(['webhook', '--listen', '127.0.0.1:0', '--tls-cert-file', certs.cert, '--tls-private-key-file', certs.key], {
    io: io.io,
    deps: { signal: stop.signal },
  });
  const deadline = Date.now() + 10_000;
  while (!io.stderr().includes('serving https://') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.match(io.stderr(), /serving https:\/\/127\.0\.0\.1:\d+\/validate \(warnings only\)/);
  stop.abort();
  assert.equal(await running, 0);
  assert.match(io.stderr(), /stopped \(aborted\)/);
});
