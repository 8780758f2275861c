/** The bench's pure helpers (node --test bench/): metrics parsing, workload shape, statistics. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadTarget, pool } from './api.ts';
import { diffCounts, eventRequests, longRunning, parseMetrics, requestCounts, runnerRequests, LONGRUNNING, REQUESTS } from './metrics.ts';
import { delayTimeline, percentile, summarize } from './stats.ts';
import { makeWorkload, parseHooksPerPod, restoreObject } from './workload.ts';

const METRICS = `# HELP apiserver_request_total x
apiserver_request_total{code="0",component="apiserver",group="",resource="pods",scope="resource",subresource="exec",verb="CONNECT",version="v1"} 14
apiserver_request_total{code="200",component="apiserver",group="",resource="pods",scope="namespace",subresource="",verb="LIST",version="v1"} 2
apiserver_request_total{code="200",component="apiserver",group="",resource="pods",scope="cluster",subresource="",verb="LIST",version="v1"} 1
apiserver_request_total{code="200",component="apiserver",group="",resource="pods",scope="resource",subresource="status",verb="PATCH",version="v1"} 30
apiserver_request_total{code="201",component="apiserver",group="",resource="events",scope="resource",subresource="",verb="POST",version="v1"} 2
apiserver_request_total_other{verb="GET"} 9
apiserver_longrunning_requests{component="apiserver",group="",resource="pods",scope="namespace",subresource="",verb="WATCH",version="v1"} 2
apiserver_longrunning_requests{component="apiserver",group="",resource="pods",scope="cluster",subresource="",verb="WATCH",version="v1"} 1
apiserver_longrunning_requests{component="apiserver",group="",resource="pods",scope="resource",subresource="exec",verb="CONNECT",version="v1"} 3
`;

void describe('metrics', () => {
  void it('sums requests by verb and resource, and keeps only the runner-relevant ones in a diff', () => {
    const samples = parseMetrics(METRICS, [REQUESTS, LONGRUNNING]);
    const counts = requestCounts(samples);
    assert.equal(counts.get('LIST pods'), 3);
    assert.equal(counts.get('CONNECT pods/exec'), 14);
    const diff = diffCounts(new Map([['LIST pods', 1], ['PATCH pods/status', 10]]), counts);
    assert.deepEqual(diff, { 'CONNECT pods/exec': 14, 'LIST pods': 2, 'PATCH pods/status': 20, 'POST events': 2 });
    assert.deepEqual(runnerRequests(diff), { 'CONNECT pods/exec': 14, 'LIST pods': 2, 'POST events': 2 });
    // The Events of a run, as the log line and the .md table print them (the key is `VERB events`, never `events`).
    assert.equal(eventRequests(runnerRequests(diff)), 2);
    assert.equal(eventRequests({ 'CONNECT pods/exec': 3, 'POST events': 5, 'CREATE events': 1 }), 6);
  });

  void it('reads in-flight watches and exec streams', () => {
    const samples = parseMetrics(METRICS, [REQUESTS, LONGRUNNING]);
    assert.equal(longRunning(samples, 'WATCH', 'pods'), 3);
    assert.equal(longRunning(samples, 'CONNECT', 'pods', 'exec'), 3);
  });
});

void describe('workload', () => {
  void it('1-3 hooks per pod average 2; every 4th pod has a sidecar its second hook targets', () => {
    const w = makeWorkload(12, parseHooksPerPod('1-3'), 60_000, 1);
    assert.equal(w.hooks.length, 24);
    assert.deepEqual(
      w.hooks.filter((h) => h.pod === 'p-00003').map((h) => h.container),
      ['app'],
    );
    assert.deepEqual(
      w.hooks.filter((h) => h.pod === 'p-00007').map((h) => h.container),
      ['app', 'sidecar'],
    );
    assert.ok(w.pods.every((p) => p.startOffsetMs >= 0 && p.startOffsetMs <= 60_000));
  });

  void it('the Restore has one resource hook per shape, selected by labels', () => {
    const w = makeWorkload(12, parseHooksPerPod('1-3'), 0, 1);
    const spec = restoreObject(w, 'ns') as { spec: { hooks: { resources: { name: string; postHooks: unknown[] }[] } } };
    const names = spec.spec.hooks.resources.map((r) => `${r.name}:${r.postHooks.length}`);
    assert.deepEqual(names, ['bench-1-single:1', 'bench-1-multi:1', 'bench-2-single:2', 'bench-2-multi:2', 'bench-3-single:3', 'bench-3-multi:3']);
  });

  void it('rejects hook counts it cannot express', () => {
    assert.throws(() => parseHooksPerPod('0-4'));
    assert.deepEqual(parseHooksPerPod('2'), { min: 2, max: 2 });
  });
});

void describe('stats', () => {
  void it('nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(values, 0.5), 50);
    assert.equal(percentile(values, 0.99), 99);
    assert.equal(summarize([3, 1, 2]).p50, 2);
    assert.ok(Number.isNaN(summarize([]).p99));
  });
});

void describe('api: kubehooks\' kubeconfig loader and p-limit', () => {
  void it('loadTarget reads the current context: server, inline CA, client certificate by relative path, token', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubehooks-bench-'));
    try {
      writeFileSync(join(dir, 'client.crt'), 'CERT');
      writeFileSync(join(dir, 'client.key'), 'KEY');
      const file = join(dir, 'kubeconfig');
      writeFileSync(
        file,
        [
          'apiVersion: v1',
          'kind: Config',
          'current-context: b',
          'clusters:',
          '- { name: a, cluster: { server: "https://127.0.0.1:1" } }',
          `- { name: b, cluster: { server: "https://127.0.0.1:6443/", certificate-authority-data: ${Buffer.from('CA').toString('base64')} } }`,
          'users:',
          '- { name: u, user: { client-certificate: client.crt, client-key: client.key, token: t0k } }',
          'contexts:',
          '- { name: a, context: { cluster: a, user: u } }',
          '- { name: b, context: { cluster: b, user: u } }',
        ].join('\n'),
      );
      const t = loadTarget(file);
      assert.equal(t.server, 'https://127.0.0.1:6443');
      assert.deepEqual([t.tls.ca?.toString(), t.tls.cert?.toString(), t.tls.key?.toString(), t.tls.rejectUnauthorized, t.token], ['CA', 'CERT', 'KEY', true, 't0k']);
      assert.throws(() => loadTarget(join(dir, 'missing')), /does not exist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('pool keeps item order and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const out = await pool([5, 1, 4, 2, 3], 2, async (n, i) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise<void>((r) => setImmediate(r));
      running--;
      return `${i}:${n}`;
    });
    assert.deepEqual(out, ['0:5', '1:1', '2:4', '3:2', '4:3']);
    assert.equal(peak, 2);
  });
});

void describe('phase A timeline', () => {
  void it('groups first hooks by when their container ran, in time order, empty buckets left out', () => {
    const firsts = [
      { runningAt: 1_000, delayMs: 2, durationMs: 100 },
      { runningAt: 1_500, delayMs: 900, durationMs: 300 },
      { runningAt: 12_100, delayMs: 4, durationMs: 90 },
      { runningAt: 3_000, delayMs: 700, durationMs: 200 },
    ];
    assert.deepEqual(delayTimeline(firsts, 5_000), [
      { fromMs: 0, containers: 3, delayP50: 700, delayP99: 900, delayMax: 900, execP50: 200, execP99: 300 },
      { fromMs: 10_000, containers: 1, delayP50: 4, delayP99: 4, delayMax: 4, execP50: 90, execP99: 90 },
    ]);
    assert.deepEqual(delayTimeline([], 5_000), []);
    assert.deepEqual(delayTimeline(firsts, 0), []);
  });
});
