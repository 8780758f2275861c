/**
 * `kubehooks webhook` behind the real kube-apiserver: the API server calls it at
 * https://127.0.0.1:PORT/validate with the CA bundle of `kubehooks manifests webhook`; kubectl apply
 * prints its warnings, --deny-on error refuses the apply, good objects pass quietly, and with the
 * webhook stopped applies still succeed (failurePolicy Ignore).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { parseAllDocuments, stringify } from 'yaml';
import { createTestCerts } from '../src/testing/tls.ts';
import { e2eContext } from './harness/index.ts';
import { ensureVeleroCrds, eventually, kubectl, kubehooks, kubectlSkipReason, startWebhook, warningsOf } from './admission-support.ts';
import type { WebhookProcess } from './admission-support.ts';
import { GOOD_POD_ANNOTATIONS, GOOD_RESTORE_EXEC, pod, restore, workload } from './admission-fixtures.ts';

const skip = kubectlSkipReason();
const CP = 'pre.hook.backup.velero.io/command';

/** The generated configuration, pointed at `port`, limited to the test namespace (the cluster is shared). */
async function configFor(name: string, port: number, caFile: string, ns: string): Promise<string> {
  const out = await kubehooks(['manifests', 'webhook', '--url', `https://127.0.0.1:${port}/validate`, '--ca-bundle-file', caFile, '--name', name]);
  assert.equal(out.code, 0, out.stderr);
  const config = parseAllDocuments(out.stdout)[0]?.toJS() as { webhooks: { namespaceSelector: { matchExpressions: unknown[] } }[] };
  const hook = config.webhooks[0]!;
  hook.namespaceSelector.matchExpressions.push({ key: 'kubernetes.io/metadata.name', operator: 'In', values: [ns] });
  return stringify(config);
}

void describe('kubehooks webhook behind kube-apiserver', () => {
  void test('warnings on kubectl apply, denial with --deny-on error, quiet on good objects, Ignore when down', { skip }, async (t) => {
    const ctx = await e2eContext(t);
    const kc = ctx.kubeconfigPath;
    const ns = ctx.namespace;
    await ensureVeleroCrds(kc);
    const certs = await createTestCerts();
    const name = `kubehooks-e2e-${randomBytes(3).toString('hex')}`;
    let webhook: WebhookProcess | undefined;
    t.after(async () => {
      await webhook?.stop();
      await kubectl(kc, ['delete', 'validatingwebhookconfiguration', name, '--ignore-not-found']);
      await rm(certs.dir, { recursive: true, force: true });
    });
    const start = async (args: readonly string[]): Promise<WebhookProcess> => {
      const w = await startWebhook(['--tls-cert-file', certs.cert, '--tls-private-key-file', certs.key, ...args]);
      const applied = await kubectl(kc, ['apply', '-f', '-'], await configFor(name, w.port, certs.caCert, ns));
      assert.equal(applied.code, 0, applied.stderr);
      return w;
    };
    const apply = (manifest: string, dryRun = false): ReturnType<typeof kubectl> =>
      kubectl(kc, ['apply', ...(dryRun ? ['--dry-run=server'] : []), '-f', '-'], manifest);

    // --- warnings (default) ---
    webhook = await start([]);
    const badPod = pod(ns, 'bad-pod', {
      [CP]: 'fsfreeze --freeze /data',
      'pre.hook.backup.velero.io/on-error': 'fail',
      'post.hook.restore.velero.io/command': '["/bin/warm"]',
      'post.hook.restore.velero.io/timeout': '5m',
    });
    await eventually('the webhook to be called', async () => {
      const r = await apply(badPod, true);
      return warningsOf(r.stderr).length > 0 ? true : undefined;
    });
    const podApply = await apply(badPod);
    assert.equal(podApply.code, 0, podApply.stderr);
    assert.match(podApply.stdout, /pod\/bad-pod created/);
    const podWarnings = warningsOf(podApply.stderr);
    assert.deepEqual(podWarnings.map((w) => w.split(/[ :]/)[0]).sort(), ['command-shell-line', 'on-error-invalid', 'restore-timeout-ignored']);
    for (const w of podWarnings) {
      assert.ok(w.length <= 120, w);
      assert.ok(!w.startsWith('Warning'), w);
    }

    const deploy = await apply(workload(ns, 'Deployment', 'bad-deploy', { [CP]: '["/bin/sync"]', 'pre.hook.backup.velero.io/timeout': '300', 'pre.hook.backup.velero.io/container': 'db' }));
    assert.equal(deploy.code, 0, deploy.stderr);
    assert.deepEqual(warningsOf(deploy.stderr).map((w) => w.split(/[ :]/)[0]).sort(), ['container-not-found', 'duration-invalid']);
    // container-not-found needs the template's container list (the good Deployment below names "web" and passes).

    const badRestore = await apply(restore(ns, 'bad-restore', { command: ['/bin/warm --all'], execTimeout: '30' }));
    assert.equal(badRestore.code, 0, badRestore.stderr);
    assert.deepEqual(warningsOf(badRestore.stderr).map((w) => w.split(/[ :]/)[0]).sort(), ['command-shell-line', 'duration-invalid']);

    for (const good of [pod(ns, 'good-pod', GOOD_POD_ANNOTATIONS), workload(ns, 'Deployment', 'good-deploy', { ...GOOD_POD_ANNOTATIONS, 'pre.hook.backup.velero.io/container': 'web' }), restore(ns, 'good-restore', GOOD_RESTORE_EXEC)]) {
      const r = await apply(good);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(warningsOf(r.stderr), [], good);
    }

    // The API server's own latency metric for this webhook exists (the benchmark reads it).
    const metrics = await kubectl(kc, ['get', '--raw', '/metrics']);
    assert.match(metrics.stdout, /apiserver_admission_webhook_admission_duration_seconds_count\{name="hooks\.kubehooks\.dev"/);
    await webhook.stop();

    // --- --deny-on error ---
    webhook = await start(['--deny-on', 'error']);
    const refused = await eventually('the denying webhook to be in force', async () => {
      const r = await apply(pod(ns, 'denied-pod', { [CP]: 'sync now' }));
      return r.code !== 0 ? r : undefined;
    });
    assert.match(refused.stderr, /admission webhook "hooks\.kubehooks\.dev" denied the request: kubehooks: 1 error in Velero hook settings: command-shell-line/);
    const notThere = await kubectl(kc, ['get', 'pod', '-n', ns, 'denied-pod']);
    assert.notEqual(notThere.code, 0, 'the refused pod was not stored');
    const warnOnly = await apply(pod(ns, 'warn-only', { [CP]: '["/bin/sync"]', 'pre.hook.backup.velero.io/on-error': 'fail' }));
    assert.equal(warnOnly.code, 0, warnOnly.stderr);
    assert.equal(warningsOf(warnOnly.stderr).length, 1);
    const deniedRestore = await apply(restore(ns, 'denied-restore', { command: [], execTimeout: '30s' }));
    assert.notEqual(deniedRestore.code, 0);
    assert.match(deniedRestore.stderr, /command-empty/);

    // --- webhook down: failurePolicy Ignore lets everything through ---
    await webhook.stop();
    const down = await apply(pod(ns, 'while-down', { [CP]: 'sync now' }));
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /pod\/while-down created/);
    assert.deepEqual(warningsOf(down.stderr), []);
  });
});
