/**
 * node bench/webhook.ts [--rate 100] [--seconds 20] [--out FILE]
 *
 * The admission webhook at a steady rate, behind the real kube-apiserver (KUBECONFIG or
 * KUBEHOOKS_BENCH_KUBECONFIG, e.g. `npm run cluster:up`): `kubehooks webhook` as its own process,
 * its ValidatingWebhookConfiguration limited to a fresh namespace, then --rate server-side dry-run
 * Pod creates per second for --seconds (open loop: requests are sent on schedule whether or not
 * earlier ones returned), half with hook mistakes (warnings), half clean. Reported:
 *   - client: p50/p99 of the whole create as the bench sees it;
 *   - API server: p50/p99 of apiserver_admission_webhook_admission_duration_seconds for the webhook
 *     (bucket interpolation over the run's delta);
 *   - webhook: p50/p99 of kubehooks_admission_review_duration_seconds (its own /metrics, same way)
 *     and its CPU seconds per review (/proc/<pid>/stat);
 *   - in-process: p50/p99 of reviewAdmission() alone over the same objects (no HTTP, no TLS).
 * A figure, not a test: results go to bench/results/webhook-<date>.json and stdout.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { reviewAdmission } from '../src/admission/review.ts';
import { createTestCerts } from '../src/testing/tls.ts';
import { kubectl, kubehooks, startWebhook } from '../e2e/admission-support.ts';
import { Api, loadTarget } from './lib/api.ts';
import { parseMetrics } from './lib/metrics.ts';
import { cpuSecondsOf } from './lib/proc.ts';

const { values } = parseArgs({
  options: { rate: { type: 'string', default: '100' }, seconds: { type: 'string', default: '20' }, out: { type: 'string' } },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
if (!(rate > 0 && rate <= 1000 && seconds > 0 && seconds <= 600)) throw new Error('--rate 1..1000, --seconds 1..600');
const kubeconfig = process.env['KUBEHOOKS_BENCH_KUBECONFIG'] ?? process.env['KUBECONFIG'];
if (kubeconfig === undefined) throw new Error('set KUBECONFIG (npm run cluster:up prints it) or KUBEHOOKS_BENCH_KUBECONFIG');

/** Quantile from cumulative Prometheus buckets (le → count), linear inside the bucket. */
export function histogramQuantile(buckets: readonly (readonly [number, number])[], q: number): number {
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total === 0) return NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of sorted) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return prevLe;
      return prevLe + ((le - prevLe) * (rank - prevCount)) / Math.max(1, count - prevCount);
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

function bucketsOf(text: string, name: string, filter: (labels: Readonly<Record<string, string>>) => boolean): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of parseMetrics(text, [`${name}_bucket`])) {
    if (!filter(s.labels)) continue;
    const le = s.labels['le'] === '+Inf' ? Infinity : Number(s.labels['le']);
    out.set(le, (out.get(le) ?? 0) + s.value);
  }
  return out;
}

function delta(after: Map<number, number>, before: Map<number, number>): [number, number][] {
  return [...after].map(([le, n]): [number, number] => [le, n - (before.get(le) ?? 0)]);
}

function pct(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

const ms = (s: number): number => Math.round(s * 1e6) / 1e3;

function getText(port: number, ca: Buffer, path: string): Promise<string> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, ca, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => { done(body); });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', fail);
    req.end();
  });
}

function podBody(ns: string, i: number): Record<string, unknown> {
  const bad = i % 2 === 0;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `bench-${i}`,
      namespace: ns,
      annotations: bad
        ? { 'pre.hook.backup.velero.io/command': 'fsfreeze --freeze /data', 'pre.hook.backup.velero.io/on-error': 'fail', 'post.hook.restore.velero.io/timeout': '5m' }
        : { 'pre.hook.backup.velero.io/command': '["/sbin/fsfreeze","--freeze","/data"]', 'pre.hook.backup.velero.io/timeout': '2m' },
    },
    spec: { containers: [{ name: 'db', image: 'postgres' }, { name: 'sidecar', image: 'busybox' }] },
  };
}

async function main(): Promise<void> {
  const api = new Api(loadTarget(resolve(kubeconfig ?? '')));
  const ns = `bench-webhook-${Date.now().toString(36)}`;
  const created = await kubectl(kubeconfig ?? '', ['create', 'namespace', ns]);
  if (created.code !== 0) throw new Error(created.stderr);
  const certs = await createTestCerts();
  const ca = readFileSync(certs.caCert);
  const webhook = await startWebhook(['--tls-cert-file', certs.cert, '--tls-private-key-file', certs.key]);
  const name = `kubehooks-bench-${ns}`;
  try {
    const gen = await kubehooks(['manifests', 'webhook', '--url', `https://127.0.0.1:${webhook.port}/validate`, '--ca-bundle-file', certs.caCert, '--name', name]);
    const config = (await import('yaml')).parse(gen.stdout) as { webhooks: { namespaceSelector: { matchExpressions: unknown[] } }[] };
    config.webhooks[0]?.namespaceSelector.matchExpressions.push({ key: 'kubernetes.io/metadata.name', operator: 'In', values: [ns] });
    const applied = await kubectl(kubeconfig ?? '', ['apply', '-f', '-'], stringify(config));
    if (applied.code !== 0) throw new Error(applied.stderr);
    const path = `/api/v1/namespaces/${ns}/pods?dryRun=All`;
    // Warm up until the API server calls the webhook.
    for (let i = 0; ; i++) {
      const r = await api.request('POST', path, podBody(ns, 0));
      if (r.status === 201 && (await getText(webhook.port, ca, '/metrics')).includes('kubehooks_admission_reviews_total{kind="Pod"')) break;
      if (i > 200) throw new Error('the webhook was never called');
      await new Promise((r2) => setTimeout(r2, 100));
    }
    const apiserverName = 'apiserver_admission_webhook_admission_duration_seconds';
    const ownName = 'kubehooks_admission_review_duration_seconds';
    const isOurs = (l: Readonly<Record<string, string>>): boolean => l['name'] === 'hooks.kubehooks.dev';
    const before = { api: bucketsOf((await api.request('GET', '/metrics')).body, apiserverName, isOurs), own: bucketsOf(await getText(webhook.port, ca, '/metrics'), ownName, () => true) };
    const cpuBefore = cpuSecondsOf(webhook.pid) ?? NaN;
    const loadBefore = os.loadavg().map((l) => Math.round(l * 100) / 100);

    const total = Math.round(rate * seconds);
    const latencies: number[] = [];
    let failed = 0;
    const started = performance.now();
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const t0 = performance.now();
      inflight.push(
        api.request('POST', path, podBody(ns, i + 1), 10_000).then(
          (r) => {
            if (r.status === 201) latencies.push(performance.now() - t0);
            else failed += 1;
          },
          () => {
            failed += 1;
          },
        ),
      );
    }
    await Promise.all(inflight);
    const wall = (performance.now() - started) / 1000;
    const cpu = (cpuSecondsOf(webhook.pid) ?? NaN) - cpuBefore;
    const after = { api: bucketsOf((await api.request('GET', '/metrics')).body, apiserverName, isOurs), own: bucketsOf(await getText(webhook.port, ca, '/metrics'), ownName, () => true) };
    const apiDelta = delta(after.api, before.api);
    const ownDelta = delta(after.own, before.own);

    // The review alone, in this process: same objects, as AdmissionReviews.
    const inProcess: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const body = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: `u${i}`, operation: 'CREATE', namespace: ns, object: podBody(ns, i) } };
      const text = JSON.stringify(body);
      const t0 = performance.now();
      JSON.stringify(reviewAdmission(JSON.parse(text), { denyOn: 'none' }).review);
      inProcess.push(performance.now() - t0);
    }
    const warm = inProcess.slice(500);
    const p999 = Math.round(pct(warm, 0.999) * 1000) / 1000;

    const result = {
      date: new Date().toISOString(),
      rate,
      seconds,
      requests: total,
      ok: latencies.length,
      failed,
      achievedRate: Math.round((latencies.length / wall) * 10) / 10,
      clientMs: { p50: Math.round(pct(latencies, 0.5) * 1000) / 1000, p99: Math.round(pct(latencies, 0.99) * 1000) / 1000 },
      apiserverWebhookMs: { p50: ms(histogramQuantile(apiDelta, 0.5)), p99: ms(histogramQuantile(apiDelta, 0.99)), count: apiDelta.find(([le]) => le === Infinity)?.[1] ?? 0 },
      webhookOwnMs: { p50: ms(histogramQuantile(ownDelta, 0.5)), p99: ms(histogramQuantile(ownDelta, 0.99)), count: ownDelta.find(([le]) => le === Infinity)?.[1] ?? 0 },
      webhookCpuMsPerReview: Math.round((cpu / Math.max(1, latencies.length)) * 1e6) / 1e3,
      webhookCpuShare: Math.round((cpu / wall) * 1000) / 1000,
      inProcessReviewMs: { p50: Math.round(pct(warm, 0.5) * 1000) / 1000, p90: Math.round(pct(warm, 0.9) * 1000) / 1000, p99: Math.round(pct(warm, 0.99) * 1000) / 1000, p999 },
      machine: {
        cpus: os.cpus().length,
        loadAverageBefore: loadBefore,
        loadAverageAfter: os.loadavg().map((l) => Math.round(l * 100) / 100),
        note: 'shared 2-core machine: other engineers\' builds and tests run at the same time, so latency tails are mostly CPU contention',
      },
    };
    const out = values.out ?? join(import.meta.dirname, 'results', `webhook-${result.date.slice(0, 10)}.json`);
    mkdirSync(join(out, '..'), { recursive: true });
    writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n(written to ${out})\n`);
  } finally {
    await webhook.stop();
    await kubectl(kubeconfig ?? '', ['delete', 'validatingwebhookconfiguration', name, '--ignore-not-found']);
    api.close();
  }
}

await main();
