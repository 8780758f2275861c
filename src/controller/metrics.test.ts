import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import type { HookResult } from '../model/result.ts';
import type { HookRun } from './hookrun-types.ts';
import { ControllerEndpoints, parseListenAddress } from './http-endpoints.ts';
import { HOOK_RESULTS, HOOK_SOURCES, METRIC_LABELS, RUN_PHASES, ControllerMetrics } from './metrics.ts';
import { controllerReadiness } from './readiness.ts';

function result(over: Partial<HookResult>): HookResult {
  return {
    namespace: 'secret-ns', pod: 'secret-pod', container: 'c', source: 'spec', name: 'freeze', phase: 'pre', index: 0,
    status: 'succeeded', exitCode: 0, stdout: '', stderr: '', truncated: false, startedAt: '2026-12-02T04:00:01.500Z', durationMs: 250, reason: null,
    ...over,
  };
}

function hookRun(uid: string, phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed'): HookRun {
  return {
    apiVersion: 'kubehooks.dev/v1alpha1', kind: 'HookRun',
    metadata: { name: `hr-${uid}`, namespace: 'team-a', uid },
    spec: { phase: 'pre-backup' },
    ...(phase === undefined ? {} : { status: { phase } }),
  };
}

/** Every sample of the kubehooks_ metrics: name and label names and values. */
async function kubehooksSamples(m: ControllerMetrics): Promise<{ name: string; labels: Record<string, string>; value: number }[]> {
  const text = await m.text();
  return text.split('\n').flatMap((line) => {
    const x = /^(kubehooks_[a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (x === null) return [];
    const labels = Object.fromEntries([...(x[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((y) => [y[1] ?? '', y[2] ?? '']));
    return [{ name: x[1] ?? '', labels, value: Number(x[3]) }];
  });
}

void describe('controller metrics', () => {
  void test('fixed label sets: every series carries exactly its metric\'s labels, values from closed sets, never a pod or namespace', async () => {
    const m = new ControllerMetrics({ processMetrics: false });
    const start = Date.parse('2026-12-02T04:00:00.000Z');
    m.hookEnded(result({}), 'pre-backup', start);
    m.hookEnded(result({ source: 'annotation', status: 'failed', exitCode: 1 }), 'post-restore', start);
    m.hookEnded(result({ status: 'not-run', startedAt: null, durationMs: null }), 'post-backup', start);
    m.observeHookRun('upsert', hookRun('1', 'Running'));
    m.observeHookRun('upsert', hookRun('2'));
    m.setLeader(true);
    const samples = await kubehooksSamples(m);
    const base = (name: string): keyof typeof METRIC_LABELS => name.replace(/_(bucket|sum|count)$/, '') as keyof typeof METRIC_LABELS;
    const allowed: Record<string, readonly string[]> = { phase: [...RUN_PHASES, 'Pending', 'Running', 'Succeeded', 'Failed'], source: HOOK_SOURCES, result: HOOK_RESULTS };
    for (const s of samples) {
      const want = [...METRIC_LABELS[base(s.name)]].sort();
      const got = Object.keys(s.labels).filter((k) => k !== 'le').sort();
      assert.deepEqual(got, want, `${s.name} ${JSON.stringify(s.labels)}`);
      for (const [k, v] of Object.entries(s.labels)) {
        if (k === 'le') continue;
        assert.ok(allowed[k]?.includes(v), `${s.name}: ${k}="${v}" is not in the closed set`);
      }
      assert.doesNotMatch(JSON.stringify(s.labels), /secret-ns|secret-pod|team-a|hr-/);
    }
    const value = (name: string, labels: Record<string, string>): number | undefined =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === Object.keys(labels).length)?.value;
    assert.equal(value('kubehooks_hook_executions_total', { phase: 'pre-backup', source: 'spec', result: 'succeeded' }), 1);
    assert.equal(value('kubehooks_hook_executions_total', { phase: 'post-restore', source: 'annotation', result: 'failed' }), 1);
    assert.equal(value('kubehooks_hook_executions_total', { phase: 'post-backup', source: 'spec', result: 'not-run' }), 1);
    // Zero series exist from the start (rate() works before the first hook): 3 phases × 2 sources × 4 results.
    assert.equal(samples.filter((s) => s.name === 'kubehooks_hook_executions_total').length, 24);
    assert.equal(value('kubehooks_hook_duration_seconds_count', { phase: 'pre-backup', result: 'succeeded' }), 1);
    assert.equal(value('kubehooks_hook_duration_seconds_sum', { phase: 'pre-backup', result: 'succeeded' }), 0.25);
    assert.equal(value('kubehooks_hook_duration_seconds_count', { phase: 'post-backup', result: 'not-run' }), 0, 'no duration for a hook that never ran');
    assert.equal(value('kubehooks_hook_wait_seconds_sum', { phase: 'pre-backup' }), 1.5);
    assert.equal(value('kubehooks_hookruns', { phase: 'Running' }), 1);
    assert.equal(value('kubehooks_hookruns', { phase: 'Pending' }), 1);
    assert.equal(value('kubehooks_hookruns', { phase: 'Succeeded' }), 0);
    assert.equal(value('kubehooks_leader', {}), 1);
    m.observeHookRun('upsert', hookRun('1', 'Succeeded'));
    m.observeHookRun('deleted', hookRun('2'));
    const after = await kubehooksSamples(m);
    assert.equal(after.find((s) => s.name === 'kubehooks_hookruns' && s.labels['phase'] === 'Succeeded')?.value, 1);
    assert.equal(after.find((s) => s.name === 'kubehooks_hookruns' && s.labels['phase'] === 'Pending')?.value, 0);
    m.setLeader(false);
    const standby = await kubehooksSamples(m);
    assert.equal(standby.filter((s) => s.name === 'kubehooks_hookruns').reduce((n, s) => n + s.value, 0), 0, 'a standby reports no HookRuns');
    assert.equal(standby.find((s) => s.name === 'kubehooks_leader')?.value, 0);
  });

  void test('process metrics are in the same registry; two controllers in one process do not share series', async () => {
    const a = new ControllerMetrics();
    const b = new ControllerMetrics();
    a.hookEnded(result({}), 'pre-backup', undefined);
    assert.match(await a.text(), /^process_cpu_seconds_total /m);
    assert.match(await a.text(), /^kubehooks_hook_executions_total\{phase="pre-backup",source="spec",result="succeeded"\} 1$/m);
    assert.match(await b.text(), /^kubehooks_hook_executions_total\{phase="pre-backup",source="spec",result="succeeded"\} 0$/m);
  });
});

void describe('controller endpoints', () => {
  const cases: readonly (readonly [string, { host: string; port: number } | undefined | RegExp])[] = [
    ['127.0.0.1:8080', { host: '127.0.0.1', port: 8080 }],
    [':8080', { host: '0.0.0.0', port: 8080 }],
    ['[::1]:9090', { host: '::1', port: 9090 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
    ['0', undefined],
    ['', undefined],
    ['8080', /--metrics-addr must be HOST:PORT or :PORT .*got "8080"/],
    ['127.0.0.1:70000', /got "127\.0\.0\.1:70000"/],
    ['http://x:1', /got "http:\/\/x:1"/],
  ];
  void test('--metrics-addr forms', () => {
    for (const [text, want] of cases) {
      if (want instanceof RegExp) assert.throws(() => parseListenAddress(text, '--metrics-addr'), want, text);
      else assert.deepEqual(parseListenAddress(text, '--metrics-addr'), want, text);
    }
  });

  async function serve(t: TestContext, probes: { healthz: () => string | undefined; readyz: () => string | undefined }): Promise<ControllerEndpoints> {
    const m = new ControllerMetrics({ processMetrics: false });
    const e = await ControllerEndpoints.start({ host: '127.0.0.1', port: 0, metrics: () => m.text(), metricsContentType: m.contentType, ...probes });
    t.after(() => e.close());
    return e;
  }

  void test('/metrics, /healthz, /readyz and nothing else; 503 names the reason; close() ends keep-alive connections', async (t) => {
    let ready: string | undefined = 'HookRuns not listed yet';
    const e = await serve(t, { healthz: () => undefined, readyz: () => ready });
    const metrics = await fetch(`${e.url}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(await metrics.text(), /^# TYPE kubehooks_hook_executions_total counter$/m);
    assert.deepEqual([(await fetch(`${e.url}/healthz`)).status, await (await fetch(`${e.url}/healthz`)).text()], [200, 'ok\n']);
    const notReady = await fetch(`${e.url}/readyz`);
    assert.deepEqual([notReady.status, await notReady.text()], [503, 'HookRuns not listed yet\n']);
    ready = undefined;
    assert.equal((await fetch(`${e.url}/readyz?verbose`)).status, 200);
    assert.equal((await fetch(`${e.url}/`)).status, 404);
    assert.equal((await fetch(`${e.url}/metrics`, { method: 'POST' })).status, 405);
    await e.close();
    await assert.rejects(fetch(`${e.url}/healthz`));
  });

  void test('a port in use is an error naming the address', async (t) => {
    const e = await serve(t, { healthz: () => undefined, readyz: () => undefined });
    const port = Number(new URL(e.url).port);
    await assert.rejects(
      ControllerEndpoints.start({ host: '127.0.0.1', port, metrics: () => Promise.resolve(''), metricsContentType: 'text/plain', healthz: () => undefined, readyz: () => undefined }),
      new RegExp(`--metrics-addr 127\\.0\\.0\\.1:${port}: cannot listen \\(EADDRINUSE\\)`),
    );
  });

  void test('readiness: synced list without leader election; with it, the Lease read, and the list when leading', () => {
    const cases: readonly (readonly [Parameters<typeof controllerReadiness>[0], string | undefined])[] = [
      [{ elector: undefined, controller: undefined, stopping: false }, 'the controller has not started watching HookRuns'],
      [{ elector: undefined, controller: { ready: false }, stopping: false }, 'HookRuns not listed yet'],
      [{ elector: undefined, controller: { ready: true }, stopping: false }, undefined],
      [{ elector: { leaderKnown: false, isLeader: false }, controller: undefined, stopping: false }, 'leader election: the Lease has not been read yet'],
      [{ elector: { leaderKnown: true, isLeader: false }, controller: undefined, stopping: false }, undefined],
      [{ elector: { leaderKnown: true, isLeader: true }, controller: { ready: false }, stopping: false }, 'HookRuns not listed yet'],
      [{ elector: { leaderKnown: true, isLeader: true }, controller: { ready: true }, stopping: false }, undefined],
      [{ elector: { leaderKnown: true, isLeader: true }, controller: { ready: true }, stopping: true }, 'stopping'],
    ];
    for (const [inputs, want] of cases) assert.equal(controllerReadiness(inputs), want, JSON.stringify(inputs));
  });
});
