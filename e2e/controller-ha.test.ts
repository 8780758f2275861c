/**
 * `kubehooks controller --leader-elect` on the local control plane, two replicas as the shipped
 * ServiceAccount (so the shipped Lease RBAC is enough), in-cluster configuration: one leads, the
 * standby runs nothing; the leader is killed with SIGKILL mid-run; the standby takes the Lease within
 * the lease duration (plus one jittered retry), finishes the run, and no hook runs twice (a
 * side-effect file per hook). /metrics, /healthz and /readyz are scraped on both.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { e2eContext, type E2eContext } from './harness/index.ts';
import { kubectl, kubectlSkipReason } from './admission-support.ts';
import { lines } from './fault-support.ts';
import { getHookRun, hookRunYaml, installController, serviceAccountDir, startController, waitFinished, type Controller } from './controller-support.ts';

const skip = kubectlSkipReason();
const LEASE_S = 8;
const RENEW_S = 5;
const RETRY_S = 1;

interface LeaseJson { spec: { holderIdentity?: string; leaseTransitions?: number; leaseDurationSeconds?: number } }

async function lease(ctx: E2eContext, name: string): Promise<LeaseJson | undefined> {
  const r = await kubectl(ctx.kubeconfigPath, ['get', 'lease', name, '-n', ctx.namespace, '-o', 'json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as LeaseJson) : undefined;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, why: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms\n${why()}`);
    await sleep(100);
  }
}

/** The endpoints' base URL, from the controller's log line. */
async function endpointUrl(c: Controller): Promise<string> {
  return until('the metrics address in the log', 30_000, () => Promise.resolve(/serving \/metrics, \/healthz and \/readyz on (http:\/\/127\.0\.0\.1:\d+)/.exec(c.stderr())?.[1]), () => c.stderr());
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.text() };
}

/** `name{labels} value` lines of the kubehooks_ metrics. */
function samples(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const out: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^(kubehooks_[a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (m === null) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((x) => [x[1] ?? '', x[2] ?? '']));
    out.push({ name: m[1] ?? '', labels, value: Number(m[3]) });
  }
  return out;
}

void describe('kubehooks controller --leader-elect on the local control plane', () => {
  void test('two replicas: one runs, kill -9 of the leader mid-run, the standby takes over within the lease duration and nothing runs twice', { skip, timeout: 600_000 }, async (t) => {
    const ctx = await e2eContext(t);
    const sa = await installController(ctx, t);
    const saDir = await serviceAccountDir(ctx, sa, t);
    const marks = await mkdtemp(join(tmpdir(), 'kubehooks-ha-'));
    t.after(() => rm(marks, { recursive: true, force: true }));
    const PODS = 3;
    const HOOKS = 3;
    for (let p = 0; p < PODS; p++) await ctx.createPod({ name: `app-${p}`, containers: ['c'], labels: { 'kubehooks.dev/e2e-pod': `app-${p}` } });
    for (let p = 0; p < PODS; p++) await ctx.waitForRunning(`app-${p}`);

    const args = [
      '-n', ctx.namespace, '--leader-elect', '--leader-election-namespace', ctx.namespace, '--leader-election-id', sa,
      '--leader-elect-lease-duration', `${LEASE_S}s`, '--leader-elect-renew-deadline', `${RENEW_S}s`, '--leader-elect-retry-period', `${RETRY_S}s`,
      '--metrics-addr', '127.0.0.1:0',
    ];
    const a = await startController(saDir, { POD_NAMESPACE: ctx.namespace, POD_NAME: 'ctl-a' }, args, t);
    const b = await startController(saDir, { POD_NAMESPACE: ctx.namespace, POD_NAME: 'ctl-b' }, args, t);
    const logs = (): string => `--- a:\n${a.stderr()}\n--- b:\n${b.stderr()}`;
    const first = await until('a leader', 60_000, async () => {
      const l = await lease(ctx, sa);
      return l?.spec.holderIdentity !== undefined && l.spec.holderIdentity !== '' ? l : undefined;
    }, logs);
    const holder = first.spec.holderIdentity ?? '';
    const [leader, standby] = holder.startsWith('ctl-a_') ? [a, b] : [b, a];
    assert.match(holder, /^ctl-[ab]_[0-9a-f]{8}$/);
    assert.equal(first.spec.leaseDurationSeconds, LEASE_S);
    const leaderUrl = await endpointUrl(leader);
    const standbyUrl = await endpointUrl(standby);
    // Both ready (the standby knows who leads); only the leader reports itself as leader.
    await until('both ready', 30_000, async () => ((await get(`${leaderUrl}/readyz`)).status === 200 && (await get(`${standbyUrl}/readyz`)).status === 200 ? true : undefined), logs);
    assert.equal((await get(`${leaderUrl}/healthz`)).body, 'ok\n');
    const leaderOf = async (url: string): Promise<number | undefined> => samples((await get(`${url}/metrics`)).body).find((s) => s.name === 'kubehooks_leader')?.value;
    assert.equal(await leaderOf(leaderUrl), 1);
    assert.equal(await leaderOf(standbyUrl), 0);

    // Each hook appends to its own file, then takes a while: the kill lands mid-run.
    const resources = Array.from({ length: PODS }, (_, p) => ({
      name: `pod-${p}`,
      labelSelector: { matchLabels: { 'kubehooks.dev/e2e-pod': `app-${p}` } },
      pre: Array.from({ length: HOOKS }, (_, i) => ({ exec: { container: 'c', command: ['/bin/sh', '-c', `echo ran >> ${marks}/app-${p}-${i}; sleep 1`] } })),
    }));
    const spec = { phase: 'pre-backup', backup: { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'nightly' }, spec: { hooks: { resources } } }, concurrency: 1 };
    assert.equal((await kubectl(ctx.kubeconfigPath, ['create', '-f', '-'], hookRunYaml(ctx.namespace, 'ha', spec))).code, 0);
    await until('a hook running with another done', 120_000, async () => {
      const hr = await getHookRun(ctx, 'ha');
      const rs = hr.status?.results ?? [];
      return rs.some((r) => r.status === 'running') && rs.some((r) => r.status === 'succeeded') ? true : undefined;
    }, logs);
    assert.doesNotMatch(standby.stderr(), /HookRun [^:]+: (starting|resuming)/, 'the standby ran nothing');
    const killedAt = Date.now();
    await leader.kill('SIGKILL');
    const taken = await until('the standby takes the Lease', 60_000, async () => {
      const l = await lease(ctx, sa);
      return l?.spec.holderIdentity !== undefined && l.spec.holderIdentity !== holder && l.spec.holderIdentity !== '' ? l : undefined;
    }, logs);
    const takeoverMs = Date.now() - killedAt;
    t.diagnostic(`takeover after kill -9: ${takeoverMs} ms (lease duration ${LEASE_S}s, retry period ${RETRY_S}s)`);
    // Within the lease duration from the standby's last sight of a renewal, plus one jittered retry (×2.2) and polling.
    assert.ok(takeoverMs <= (LEASE_S + 2.2 * RETRY_S + 1.5) * 1000, `took over after ${takeoverMs} ms\n${logs()}`);
    assert.ok(taken.spec.holderIdentity?.startsWith(standby === a ? 'ctl-a_' : 'ctl-b_'));
    assert.equal(taken.spec.leaseTransitions, (first.spec.leaseTransitions ?? 0) + 1);

    const hr = await waitFinished(ctx, 'ha', standby, 180_000);
    const results = hr.status?.results ?? [];
    assert.equal(results.length, PODS * HOOKS, JSON.stringify(hr.status));
    let interrupted = 0;
    let stopped = 0;
    // An interrupted hook stops its pod's later hooks (not-run, never executed).
    const stoppedPods = new Set<string>();
    for (const r of results) {
      const ran = await lines(join(marks, `${r.pod}-${r.index}`));
      assert.ok(ran.length <= 1, `${r.pod}#${r.index} ran ${ran.length} times`);
      if (r.reasonCode === 'interrupted') {
        interrupted++;
        stoppedPods.add(r.pod);
        assert.equal(r.status, 'failed');
      } else if (stoppedPods.has(r.pod)) {
        stopped++;
        assert.equal(r.status, 'not-run', `${r.pod}#${r.index} follows an interrupted hook`);
        assert.equal(r.reasonCode, 'previous-hook-failed');
        assert.deepEqual(ran, [], `${r.pod}#${r.index} was not executed`);
      } else {
        assert.equal(r.status, 'succeeded', `${r.pod}#${r.index}: ${r.status} ${r.reason ?? ''}\n${logs()}`);
        assert.deepEqual(ran, ['ran'], `${r.pod}#${r.index} succeeded, so it ran exactly once`);
      }
    }
    // At most `concurrency` + the start lookahead (1 + 1, ADR 0027) hooks are started without a result
    // at the kill, and at the end of each term the new leader gave up (when a renewal missed its
    // deadline on a loaded machine: a lost Lease writes nothing more, so nothing is taken back).
    const lostTerms = (standby.stderr().match(/leader election: stopped leading/g) ?? []).length;
    assert.ok(interrupted <= 2 * (1 + lostTerms), `${interrupted} interrupted\n${JSON.stringify(results.map((r) => [r.pod, r.index, r.status, r.reasonCode]))}\n${logs()}`);
    assert.equal(hr.status?.conditions?.find((c) => c.type === 'Resumed')?.status, 'True');
    t.diagnostic(`results: ${results.length - interrupted - stopped} succeeded, ${interrupted} interrupted, ${stopped} not run after one; terms the new leader lost: ${lostTerms}`);

    // The new leader's metrics: what it ran, with the fixed label sets only.
    const scraped = samples((await get(`${standbyUrl}/metrics`)).body);
    const ran = scraped.filter((s) => s.name === 'kubehooks_hook_executions_total' && s.labels['phase'] === 'pre-backup' && s.labels['source'] === 'spec' && s.labels['result'] === 'succeeded');
    assert.equal(ran.length, 1);
    assert.ok((ran[0]?.value ?? 0) >= 1, JSON.stringify(ran));
    assert.equal(scraped.find((s) => s.name === 'kubehooks_leader')?.value, 1);
    assert.equal(scraped.find((s) => s.name === 'kubehooks_hookruns' && s.labels['phase'] === 'Succeeded')?.value ?? 0, hr.status.phase === 'Succeeded' ? 1 : 0);
    assert.ok(scraped.some((s) => s.name === 'kubehooks_hook_duration_seconds_count' && s.value >= 1));
    assert.ok(scraped.some((s) => s.name === 'kubehooks_hook_wait_seconds_count' && s.value >= 1));
    for (const s of scraped) {
      assert.ok(!('pod' in s.labels) && !('namespace' in s.labels) && !('name' in s.labels), `${s.name} ${JSON.stringify(s.labels)}`);
    }
    assert.match((await get(`${standbyUrl}/metrics`)).body, /^process_cpu_seconds_total /m, 'process metrics');
    assert.equal((await get(`${standbyUrl}/nothing`)).status, 404);
    assert.doesNotMatch(logs(), /forbidden/i, 'the shipped Lease RBAC is enough');

    // A clean stop releases the Lease and closes the endpoints.
    await standby.kill('SIGTERM');
    assert.equal(standby.child.exitCode, 0, standby.stderr());
    assert.equal((await lease(ctx, sa))?.spec.holderIdentity ?? '', '', 'released on SIGTERM');
    await assert.rejects(get(`${standbyUrl}/healthz`), 'the endpoints are closed');
  });
});
