/**
 * npm run bench -- [--pods 100,1000,3000] [--hooks-per-pod 1-3] [--spread 60s] [--concurrency auto|N]
 *                  [--skip-baseline] [--skip-floor] [--baseline-max-hooks 2000] [--no-profile] [--out FILE]
 *
 * For each N, in a fresh namespace on the local control plane (or KUBEHOOKS_BENCH_KUBECONFIG):
 *   A. latency: N pods whose containers start over --spread (kwok start times), then
 *      `kubehooks run post-restore --output json` as its own process: wall time, hooks/s,
 *      Running-to-exec delay (against the bench's own millisecond watch), peak RSS, API requests
 *      and watch connections (kube-apiserver /metrics before, during and after);
 *   F. floor: right after B, bench/floor (client-go remotecommand, our own Go program) on the same
 *      hooks at the concurrency kubehooks chose in B (its peak limit; or --concurrency N):
 *      WebSocket, then SPDY;
 *   B. throughput: kubehooks again on the same pods, now all Running (pure exec rate), also as a
 *      ratio to each floor run (hooks/s, CPU per hook, exec p50/p99);
 *   C. baseline: what a script would do — `kubectl wait` for Running, then `kubectl exec` for every
 *      planned hook with the same argv, at the same concurrency, hooks of one container in order;
 *   P. at the largest N, phase B once more under `node --cpu-prof`, summarised.
 * Results: bench/results/<date>.json (and .md with the table). See bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { parseGoDuration, nsToMs } from '../src/duration/go-duration.ts';
import { startCluster } from '../scripts/cluster/index.ts';
import type { Cluster } from '../scripts/cluster/index.ts';
import { Api, loadTarget, pool } from './lib/api.ts';
import { LONGRUNNING, REQUESTS, diffCounts, eventRequests, longRunning, parseMetrics, requestCounts, runnerRequests, total } from './lib/metrics.ts';
import type { Sample } from './lib/metrics.ts';
import { ThreadedObserver } from './lib/observer.ts';
import { cpuMeter, runMeasured, runQuick } from './lib/proc.ts';
import type { Measured } from './lib/proc.ts';
import { FLOOR_TRANSPORTS, execFigures, floorExecs, parseFloorReport, ratiosToFloor } from './lib/floor.ts';
import type { ExecFigures, FloorRatios, FloorRun, FloorTransport } from './lib/floor.ts';
import { summarizeProfile } from './lib/profile.ts';
import { summarizeHeap } from './heap-summary.ts';
import type { HeapSnapshotFile, HeapSummary } from './heap-summary.ts';
import { ALTERNATION_MEMORY_HEADER, MEMORY_HEADER, alternationMemoryRows, memoryRows, packBuild, probe, probeDigest, readProbe, removePackBuilds } from './memory.ts';
import type { ProbeDigest, ProbeRecord } from './memory.ts';
import type { ProfileSummary } from './lib/profile.ts';
import { writeDelayPlot } from './lib/plot-file.ts';
import { renderTable } from './lib/report.ts';
import { delayTimeline, round, summarize } from './lib/stats.ts';
import type { FirstHook, Summary, TimelineBucket } from './lib/stats.ts';
import { makeWorkload, parseHooksPerPod, podObject, restoreObject } from './lib/workload.ts';
import { MAIN_VARIANT, parseVariant } from './lib/variant.ts';
import type { Variant } from './lib/variant.ts';
import type { BenchHook, Workload } from './lib/workload.ts';

const REPO = resolve(import.meta.dirname, '..');
/** KUBEHOOKS_BENCH_BIN: another checkout's bin/kubehooks.js, to compare a proposed change. */
const SOURCE_BIN = resolve(process.env['KUBEHOOKS_BENCH_BIN'] ?? join(REPO, 'bin', 'kubehooks.js'));
/** What runs: SOURCE_BIN, or with --package that checkout's npm package (dist/kubehooks.cjs). */
let BIN = SOURCE_BIN;
/** Aborted on SIGINT/SIGTERM: phases not yet begun are skipped, the cluster is still stopped. */
const interrupt = new AbortController();
/** The control plane's processes, for CPU accounting (empty on an external cluster). */
let clusterPids: Record<string, number> = {};
const log = (line: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
};

/** A Go duration (60s, 500ms, 2m), parsed as kubehooks parses every duration (src/duration). */
function parseDurationMs(text: string): number {
  const parsed = parseGoDuration(text.trim());
  if (!parsed.ok || parsed.ns < 0n) throw new Error(`not a duration: "${text}" (use e.g. 60s, 500ms, 2m)${parsed.ok ? '' : `: ${parsed.error}`}`);
  return nsToMs(parsed.ns);
}

const { values: flags } = parseArgs({
  options: {
    pods: { type: 'string', default: '100,1000,3000' },
    'hooks-per-pod': { type: 'string', default: '1-3' },
    spread: { type: 'string', default: '60s' },
    'start-margin': { type: 'string' },
    concurrency: { type: 'string', default: 'auto' },
    'skip-baseline': { type: 'boolean', default: false },
    'skip-floor': { type: 'boolean', default: false },
    'baseline-max-hooks': { type: 'string', default: '2000' },
    'no-profile': { type: 'boolean', default: false },
    seed: { type: 'string', default: '20261125' },
    'node-flags': { type: 'string', default: '' },
    package: { type: 'boolean', default: false },
    'heap-probe': { type: 'boolean', default: false },
    'heap-snapshot': { type: 'string', default: '' },
    'heap-snapshot-at': { type: 'string', default: 'exit' },
    alternate: { type: 'string', multiple: true, default: [] },
    rounds: { type: 'string', default: '1' },
    out: { type: 'string' },
    'window-overhead': { type: 'boolean', default: false },
    'window-repeats': { type: 'string', default: '5' },
    hookrun: { type: 'boolean', default: false },
    'hookrun-rounds': { type: 'string', default: '2' },
    'hookrun-no-cli': { type: 'boolean', default: false },
    'controller-env': { type: 'string', multiple: true, default: [] },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (flags.help) {
  process.stdout.write(`usage: node bench/run.ts [--pods 100,1000,3000] [--hooks-per-pod 1-3] [--spread 60s]
       [--concurrency auto|N] [--skip-baseline] [--skip-floor] [--baseline-max-hooks 2000] [--no-profile] [--seed N] [--out FILE]
       [--start-margin 20s]  pod creation start to the first container start (default 5 s + 3 ms per pod)
       [--node-flags="--max-old-space-size=96"] [--package]
       [--heap-probe [--heap-snapshot A,B] [--heap-snapshot-at exit|rss:MIB|heap:MIB]]
       --package: run the checkout's npm package (npm pack: dist/kubehooks.cjs), as users install it
       --heap-probe: load bench/lib/heap-probe.js into kubehooks (memory at its RSS peak, GCs: "heap" in
                     the JSON); --heap-snapshot: also a .heapsnapshot in those phases, summarised
                     (bench/heap-summary.ts) into the JSON; the file stays in the temp dir logged
       [--alternate LABEL:BIN:ARGS]... [--rounds 1]
       --alternate: after phase F, rounds of phase B alternating this build's run with each alternate's
                    (BIN: another checkout's bin/kubehooks.js, empty = this one; ARGS: extra run flags,
                    NAME=VALUE environment, node:FLAG Node flags, e.g. "old:/tmp/old/bin/kubehooks.js:",
                    "noevents::--no-events", "both::MALLOC_ARENA_MAX=2 node:--optimize-for-size");
                    the order rotates per round; with --heap-probe every run is probed
       --window-overhead [--pods 1000] [--window-repeats 5] [--out FILE]
                 phase W only (no cluster): the quiesce window's overhead, see bench/window.ts
       --hookrun [--pods 1000] [--concurrency 16] [--hookrun-rounds 2] [--out FILE] [--hookrun-no-cli]
                 [--package] [--node-flags=…] [--controller-env NAME=VALUE]… [--heap-probe]
                 [--heap-snapshot H [--heap-snapshot-at exit|rss:MIB|heap:MIB]]
                 phase H only: a HookRun (kubehooks controller) next to the CLI, see bench/hookrun.ts;
                 --node-flags, --controller-env and the heap probe apply to the controller process,
                 --hookrun-no-cli leaves the CLI rounds out (memory runs)
env: KUBEHOOKS_BENCH_KUBECONFIG=<file> uses that cluster instead of starting one (pods go to its node
     "kwok-node-0" unless KUBEHOOKS_BENCH_NODE names another kwok-managed node).
`);
  process.exit(0);
}

if (flags['window-overhead']) {
  // Phase W (issue 16): in process, no cluster; --pods defaults to 1000 here.
  const { benchWindow } = await import('./window.ts');
  const pods = process.argv.some((a) => a === '--pods' || a.startsWith('--pods=')) ? flags.pods.split(',').map((x) => Number(x.trim())) : [1000];
  const table = await benchWindow({ pods, repeats: Number(flags['window-repeats']), out: flags.out });
  process.stdout.write(table);
  process.exit(0);
}

if (flags.hookrun) {
  // Phase H (issue 14): its own cluster; --pods defaults to 1000 and --concurrency to 16 here.
  const { benchHookRun } = await import('./hookrun.ts');
  const given = (name: string): boolean => process.argv.some((a) => a === name || a.startsWith(`${name}=`));
  const ctl = new AbortController();
  process.once('SIGINT', () => { ctl.abort(); });
  process.once('SIGTERM', () => { ctl.abort(); });
  const snapshotAt = flags['heap-snapshot-at'];
  if (!/^(exit|(rss|heap):\d+(\.\d+)?)$/.test(snapshotAt)) throw new Error(`--heap-snapshot-at: exit, rss:MIB or heap:MIB, not "${snapshotAt}"`);
  const controllerEnv: Record<string, string> = {};
  for (const kv of flags['controller-env']) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(kv);
    if (m === null) throw new Error(`--controller-env: NAME=VALUE, not "${kv}"`);
    controllerEnv[m[1] ?? ''] = m[2] ?? '';
  }
  let table: string;
  try {
    table = await benchHookRun({
      bin: flags.package ? packBuild(resolve(SOURCE_BIN, '..', '..'), log).bin : BIN,
      nodeFlags: flags['node-flags'].split(' ').filter((x) => x !== ''),
      env: controllerEnv,
      heapProbe: flags['heap-probe'] || flags['heap-snapshot'] !== '',
      heapSnapshotAt: flags['heap-snapshot'] !== '' ? snapshotAt : undefined,
      cli: !flags['hookrun-no-cli'],
      pods: given('--pods') ? Number(flags.pods) : 1000,
      concurrency: given('--concurrency') ? Number(flags.concurrency) : 16,
      rounds: Number(flags['hookrun-rounds']),
      seed: Number(flags.seed),
      out: flags.out,
      signal: ctl.signal,
      log,
    });
  } finally {
    removePackBuilds();
  }
  process.stdout.write(table);
  // An interrupted run still writes what it measured, but does not pass for a complete one.
  process.exit(ctl.signal.aborted ? 130 : 0);
}

const podCounts = flags.pods.split(',').map((s) => Number(s.trim()));
if (podCounts.some((n) => !Number.isInteger(n) || n < 1 || n > 20_000)) throw new Error('--pods: whole numbers from 1 to 20000, comma-separated');
const perPod = parseHooksPerPod(flags['hooks-per-pod']);
const spreadMs = parseDurationMs(flags.spread);
/** --start-margin: from the start of pod creation to the first container's start; undefined: 5 s + 3 ms per pod. */
const startMarginMs = flags['start-margin'] === undefined ? undefined : parseDurationMs(flags['start-margin']);
/** undefined = kubehooks' default flags (its limit adapts); the floor then runs at the limit kubehooks chose. */
const concurrency = flags.concurrency === 'auto' ? undefined : Number(flags.concurrency);
if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000)) throw new Error('--concurrency: auto, or 1 to 1000');
const baselineMaxHooks = Number(flags['baseline-max-hooks']);
const seed = Number(flags.seed);
/** Extra Node flags for the kubehooks process (experiments, e.g. --max-old-space-size=96). */
const nodeFlagsForKubehooks = flags['node-flags'].split(' ').filter((x) => x !== '');
/** Builds, flags, Node flags or environment run in alternation with this one in phase B (--alternate), `rounds` times each. */
const alternates: Variant[] = flags.alternate.map(parseVariant);
const rounds = Number(flags.rounds);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) throw new Error('--rounds: 1 to 20');
const snapshotPhases = new Set(flags['heap-snapshot'].split(',').map((x) => x.trim().toUpperCase()).filter((x) => x !== ''));
for (const phase of snapshotPhases) if (phase !== 'A' && phase !== 'B') throw new Error(`--heap-snapshot: phases A and/or B (comma-separated), not "${phase}"`);
if (!/^(exit|(rss|heap):\d+(\.\d+)?)$/.test(flags['heap-snapshot-at'])) throw new Error(`--heap-snapshot-at: exit, rss:MIB or heap:MIB, not "${flags['heap-snapshot-at']}"`);
const heapProbe = flags['heap-probe'] || snapshotPhases.size > 0;
/** Where probe records and heap snapshots go (kept after the run: snapshots are large). */
const heapDir = heapProbe ? mkdtempSync(join(os.tmpdir(), 'kubehooks-bench-heap-')) : '';

// ---------- metrics ----------

async function metrics(api: Api): Promise<Sample[]> {
  return parseMetrics(await api.call('GET', '/metrics'), [REQUESTS, LONGRUNNING]);
}

/** Polls the long-running gauges while a phase runs: peak watches and exec streams in flight. */
function gaugePoller(api: Api, periodMs = 2_000): { stop(): Promise<{ watchPods: number; execStreams: number; polls: number }> } {
  let watchPods = 0;
  let execStreams = 0;
  let polls = 0;
  const state = { running: true };
  const loop = (async () => {
    while (state.running) {
      try {
        const s = await metrics(api);
        polls++;
        watchPods = Math.max(watchPods, longRunning(s, 'WATCH', 'pods'));
        execStreams = Math.max(execStreams, longRunning(s, 'CONNECT', 'pods', 'exec'));
      } catch {
        // A missed poll only lowers the resolution of the peak.
      }
      await new Promise((r) => setTimeout(r, periodMs));
    }
  })();
  return {
    async stop() {
      state.running = false;
      await loop;
      return { watchPods, execStreams, polls };
    },
  };
}

// ---------- kubehooks ----------

interface HookResultJson {
  readonly pod: string;
  readonly container: string;
  readonly index: number;
  readonly status: string;
  readonly startedAt: string | null;
  readonly durationMs: number | null;
  readonly reason: string | null;
}

/** kubehooks' summary.concurrency (the adaptive limit's report). */
interface ConcurrencyJson {
  readonly initial: number;
  readonly max: number;
  readonly peak: number;
  readonly final: number;
  readonly peakInFlight: number;
  readonly adjustments: Readonly<Record<string, number>>;
  /** ADR 0028 (absent from older builds). */
  readonly slowStartEnd?: number | null;
  readonly history?: readonly { readonly atMs: number; readonly limit: number; readonly queued: number; readonly cause: string }[];
}

interface KubehooksRun {
  /** What kubehooks' adaptive limit did (absent from older builds). */
  readonly concurrency: ConcurrencyJson | undefined;
  readonly measured: Omit<Measured, 'stdout' | 'rssSeries'> & { rssSeriesMiB: readonly (readonly [number, number])[]; peakRssKiBWithSnapshot: number };
  readonly exitCode: number | null;
  readonly results: readonly HookResultJson[];
  readonly statuses: Readonly<Record<string, number>>;
  readonly requests: Readonly<Record<string, number>>;
  readonly requestsTotal: number;
  readonly peakWatchConnections: number;
  readonly peakExecStreams: number;
  readonly hooksPerSecond: number;
  /** Hooks / (last hook end - first hook start): the exec rate without process start-up. */
  readonly execWindowHooksPerSecond: number;
  /** CPU seconds during the phase: kubehooks, each control-plane process (kwok with its exec children), the machine. */
  readonly cpuSeconds: Readonly<Record<string, number>>;
  /** bench/lib/heap-probe.js's record (--heap-probe). */
  readonly heap?: ProbeRecord | undefined;
  /** The heap snapshot's summary (--heap-snapshot). */
  readonly heapSnapshot?: (HeapSummary & { readonly file: string }) | undefined;
}

async function runKubehooks(
  api: Api,
  kubeconfig: string,
  restoreFile: string,
  namespace: string,
  deadlineMs: number,
  nodeFlags: readonly string[] = [],
  phase = '',
  variant?: Variant,
): Promise<KubehooksRun> {
  const probeFile = join(heapDir, `${namespace}-${phase}.probe.json`);
  const snapshotFile = join(heapDir, `${namespace}-${phase}.heapsnapshot`);
  const withProbe = heapProbe && phase !== '';
  const probed = withProbe
    ? probe({ out: probeFile, snapshot: snapshotPhases.has(phase) ? { file: snapshotFile, at: flags['heap-snapshot-at'] } : undefined })
    : { nodeFlags: [], env: {} };
  const before = await metrics(api);
  const watchBefore = longRunning(before, 'WATCH', 'pods');
  const poller = gaugePoller(api);
  const args = [
    ...nodeFlagsForKubehooks,
    ...nodeFlags,
    ...(variant?.nodeFlags ?? []),
    ...probed.nodeFlags,
    variant?.bin ?? BIN,
    'run',
    'post-restore',
    '--restore',
    restoreFile,
    '--kubeconfig',
    kubeconfig,
    '-n',
    namespace,
    '--output',
    'json',
    ...(concurrency === undefined ? [] : ['--concurrency', String(concurrency)]),
    ...(variant?.args ?? []),
  ];
  const meter = cpuMeter(clusterPids);
  const measured = await runMeasured(process.execPath, args, { deadlineMs, sampleMs: 100, env: { ...process.env, ...variant?.env, ...probed.env } });
  const cpuSeconds = { kubehooks: measured.cpuSeconds, ...meter.stop() };
  const gauges = await poller.stop();
  const after = await metrics(api);
  const requests = runnerRequests(diffCounts(requestCounts(before), requestCounts(after)));
  let results: HookResultJson[] = [];
  let chosen: ConcurrencyJson | undefined;
  try {
    const parsed = JSON.parse(measured.stdout) as { summary?: { concurrency?: ConcurrencyJson }; results: HookResultJson[] };
    results = parsed.results;
    chosen = parsed.summary?.concurrency;
  } catch {
    log(`kubehooks printed no JSON report (exit ${measured.code}); stderr: ${measured.stderr.slice(-2000)}`);
  }
  if (measured.stderr.trim() !== '') log(`kubehooks stderr (tail): ${measured.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const statuses: Record<string, number> = {};
  for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const starts = results.flatMap((r) => (r.startedAt === null ? [] : [Date.parse(r.startedAt)]));
  const ends = results.flatMap((r) => (r.startedAt === null ? [] : [Date.parse(r.startedAt) + (r.durationMs ?? 0)]));
  const windowMs = starts.length === 0 ? Number.NaN : Math.max(...ends) - Math.min(...starts);
  const { stdout: _stdout, rssSeries, ...rest } = measured;
  const heap = withProbe ? readProbe(probeFile) : undefined;
  if (withProbe && heap === undefined) log(`${phase}: the heap probe wrote no record to ${probeFile}`);
  let heapSnapshot: (HeapSummary & { file: string }) | undefined;
  if (heap?.snapshot != null) {
    try {
      heapSnapshot = { file: heap.snapshot.file, ...summarizeHeap(JSON.parse(readFileSync(heap.snapshot.file, 'utf8')) as HeapSnapshotFile, 20) };
      log(
        `${phase}: heap snapshot ${heap.snapshot.file} (${heap.snapshot.why}): live ${round(heapSnapshot.totalSelfBytes / 2 ** 20)} MiB; ` +
          `${heapSnapshot.byConstructor.slice(0, 6).map((c) => `${c.name} ${round(c.selfBytes / 2 ** 20)}`).join(', ')} MiB`,
      );
    } catch (e) {
      log(`${phase}: cannot summarise ${heap.snapshot.file}: ${String(e)}`);
    }
  }
  // A snapshot doubles the heap for a moment: the peak that counts is the one before it.
  const peakRssKiB = heap?.snapshot != null ? Math.round(heap.snapshot.peakRssBeforeMiB * 1024) : rest.peakRssKiB;
  return {
    heap,
    heapSnapshot,
    measured: { ...rest, peakRssKiB, peakRssKiBWithSnapshot: rest.peakRssKiB, rssSeriesMiB: thin(rssSeries).map(([t, kib]) => [t, round(kib / 1024)] as const) },
    exitCode: measured.code,
    results,
    concurrency: chosen,
    statuses,
    requests,
    requestsTotal: total(requests),
    peakWatchConnections: Math.max(0, gauges.watchPods - watchBefore),
    peakExecStreams: gauges.execStreams,
    cpuSeconds,
    hooksPerSecond: round(results.length / (measured.wallMs / 1000)),
    execWindowHooksPerSecond: round(starts.length / (windowMs / 1000)),
  };
}

/** At most ~60 points of a series, for the JSON. */
function thin<T>(series: readonly T[]): T[] {
  const step = Math.max(1, Math.ceil(series.length / 60));
  return series.filter((_, i) => i % step === 0 || i === series.length - 1);
}

// ---------- floor ----------

/** bench/floor's binary (built by bench/floor/build.sh into ~/.cache/kubehooks), or undefined with --skip-floor. */
let floorBin: string | undefined;

/** The client-go floor on the same hooks at the same concurrency (one process, one transport). */
async function runFloor(api: Api, kubeconfig: string, hooksFile: string, hooks: number, transport: FloorTransport, floorConcurrency: number): Promise<FloorRun> {
  if (floorBin === undefined) throw new Error('floor binary not built');
  const before = await metrics(api);
  const meter = cpuMeter(clusterPids);
  const deadlineMs = 180_000 + hooks * 50;
  const measured = await runMeasured(
    floorBin,
    ['-kubeconfig', kubeconfig, '-hooks', hooksFile, '-concurrency', String(floorConcurrency), '-transport', transport, '-timeout', `${deadlineMs - 5_000}ms`],
    { deadlineMs, sampleMs: 100 },
  );
  const cpuSeconds = { floor: measured.cpuSeconds, ...meter.stop() };
  const after = await metrics(api);
  const requests = runnerRequests(diffCounts(requestCounts(before), requestCounts(after)));
  if (measured.code !== 0) log(`floor ${transport}: exit ${measured.code}; stderr: ${measured.stderr.slice(-1000)}`);
  const report = parseFloorReport(measured.stdout);
  const execs = floorExecs(report);
  return {
    transport,
    concurrency: floorConcurrency,
    hooks: report.hooks,
    failed: report.failed,
    firstError: report.results.find((r) => r.error !== undefined)?.error,
    wallMs: measured.wallMs,
    peakRssMiB: round(measured.peakRssKiB / 1024),
    requests,
    cpuSeconds,
    ...execFigures(execs, measured.wallMs, measured.cpuSeconds),
  };
}

/** kubehooks' run on the figures the floor is compared on. */
function kubehooksFigures(run: KubehooksRun): ExecFigures {
  const execs = run.results.flatMap((r) => (r.startedAt === null ? [] : [[Date.parse(r.startedAt), r.durationMs ?? 0] as [number, number]]));
  return execFigures(execs, run.measured.wallMs, run.cpuSeconds['kubehooks'] ?? Number.NaN);
}

// ---------- baseline ----------

interface BaselineRun {
  readonly hooksPlanned: number;
  readonly hooksRun: number;
  readonly sampled: boolean;
  readonly failed: number;
  readonly waitMs: number;
  readonly wallMs: number;
  readonly hooksPerSecond: number;
  readonly execWindowHooksPerSecond: number;
  readonly perExecMs: Summary;
  readonly kubectlPeakRssMiB: number;
  readonly requests: Readonly<Record<string, number>>;
  readonly requestsTotal: number;
  readonly firstFailure: string | undefined;
  /** CPU seconds during the phase: control-plane processes and the machine (kubectl's share is the rest). */
  readonly cpuSeconds: Readonly<Record<string, number>>;
}

/** The hooks, grouped into per-container chains (run in order, like kubehooks does). */
function chains(hooks: readonly BenchHook[]): BenchHook[][] {
  const byKey = new Map<string, BenchHook[]>();
  for (const h of hooks) {
    const key = `${h.pod}/${h.container}`;
    const list = byKey.get(key);
    if (list === undefined) byKey.set(key, [h]);
    else list.push(h);
  }
  return [...byKey.values()];
}

async function runBaseline(api: Api, kubeconfig: string, namespace: string, workload: Workload, slots: number): Promise<BaselineRun> {
  let all = chains(workload.hooks);
  const planned = workload.hooks.length;
  let sampled = false;
  if (planned > baselineMaxHooks) {
    // Every k-th chain, so the sample has the workload's mix of shapes.
    const k = Math.ceil(planned / baselineMaxHooks);
    all = all.filter((_, i) => i % k === 0);
    sampled = true;
  }
  const before = await metrics(api);
  const meter = cpuMeter(clusterPids);
  const t0 = performance.now();
  // What a script does first: poll until every pod runs. (`kubectl wait --all` opens one watch per
  // pod, one pod after another: 4 s for 30 pods here, which would swamp the comparison at N=3000.)
  const waitEnd = Date.now() + 300_000;
  for (;;) {
    const get = await runQuick(
      'kubectl',
      ['--kubeconfig', kubeconfig, 'get', 'pods', '-n', namespace, '-o', 'jsonpath={.items[*].status.phase}'],
      60_000,
    );
    const phases = get.stdout.split(' ').filter((x) => x !== '');
    if (get.code === 0 && phases.length > 0 && phases.every((x) => x === 'Running')) break;
    if (Date.now() > waitEnd) {
      log(`baseline: pods still not all Running after 300 s (kubectl get exit ${get.code})`);
      break;
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  const waitMs = performance.now() - t0;
  const perExec: number[] = [];
  let failed = 0;
  let firstFailure: string | undefined;
  let peakRss = 0;
  let sampledRss = 0;
  const execStart = performance.now();
  await pool(all, slots, async (chain) => {
    for (const h of chain) {
      if (interrupt.signal.aborted) return;
      const sample = sampledRss < 20;
      if (sample) sampledRss++;
      const r = await runQuick(
        'kubectl',
        ['--kubeconfig', kubeconfig, 'exec', '-n', namespace, h.pod, '-c', h.container, '--', ...h.command],
        60_000,
        sample,
      );
      perExec.push(r.ms);
      peakRss = Math.max(peakRss, r.peakRssKiB);
      if (r.code !== 0) {
        failed++;
        firstFailure ??= `${h.pod}/${h.container}: exit ${r.code}: ${r.stderr.slice(0, 300)}`;
      }
    }
  });
  const end = performance.now();
  const cpuSeconds = meter.stop();
  const after = await metrics(api);
  const requests = runnerRequests(diffCounts(requestCounts(before), requestCounts(after)));
  const hooksRun = perExec.length;
  return {
    hooksPlanned: planned,
    hooksRun,
    sampled,
    failed,
    waitMs: Math.round(waitMs),
    wallMs: Math.round(end - t0),
    hooksPerSecond: round(hooksRun / ((end - t0) / 1000)),
    execWindowHooksPerSecond: round(hooksRun / ((end - execStart) / 1000)),
    perExecMs: summarize(perExec),
    kubectlPeakRssMiB: round(peakRss / 1024),
    requests,
    requestsTotal: total(requests),
    firstFailure,
    cpuSeconds,
  };
}

// ---------- one N ----------

interface Delays {
  /** First hook of each container: observed Running → kubehooks starts the exec. */
  readonly firstHookStart: Summary;
  /** Same, to the end of that hook (its exec round trip included). */
  readonly firstHookEnd: Summary;
  /** Every hook: observed Running → exec start (later hooks of a container wait for earlier ones). */
  readonly anyHookStart: Summary;
  /** Containers that were Running before kubehooks was spawned (their delay includes its start-up). */
  readonly runningBeforeSpawn: number;
  /** Containers Running before kubehooks printed its plan (its first stderr line: start-up, list, planning done). */
  readonly runningBeforePlanned: number;
  /** First container Running minus that line's time (negative: containers ran before kubehooks had planned). */
  readonly plannedLeadMs: number | null;
  readonly missingObservation: number;
  /** First hooks by when their container was seen Running, 1 s buckets (queueing early or throughout). */
  readonly timeline: readonly TimelineBucket[];
}

function delays(results: readonly HookResultJson[], running: ReadonlyMap<string, number>, spawnedAt: number, plannedAt: number | null): Delays {
  const first: number[] = [];
  const firstEnd: number[] = [];
  const any: number[] = [];
  const seen = new Set<string>();
  const firsts: FirstHook[] = [];
  let missing = 0;
  for (const r of results) {
    if (r.startedAt === null) continue;
    const key = `${r.pod}/${r.container}`;
    const at = running.get(key);
    if (at === undefined) {
      missing++;
      continue;
    }
    const d = Date.parse(r.startedAt) - at;
    any.push(d);
    if (!seen.has(key)) {
      seen.add(key);
      first.push(d);
      firstEnd.push(d + (r.durationMs ?? 0));
      firsts.push({ runningAt: at, delayMs: d, durationMs: r.durationMs ?? 0 });
    }
  }
  let early = 0;
  let beforePlanned = 0;
  for (const t of running.values()) {
    if (t < spawnedAt) early++;
    if (plannedAt !== null && t < plannedAt) beforePlanned++;
  }
  const firstRunning = running.size === 0 ? null : Math.min(...running.values());
  const plannedLeadMs = plannedAt === null || firstRunning === null ? null : firstRunning - plannedAt;
  return { firstHookStart: summarize(first), firstHookEnd: summarize(firstEnd), anyHookStart: summarize(any), runningBeforeSpawn: early, runningBeforePlanned: beforePlanned, plannedLeadMs, missingObservation: missing, timeline: delayTimeline(firsts, 1_000) };
}

interface NResult {
  readonly pods: number;
  readonly containers: number;
  readonly hooks: number;
  readonly namespace: string;
  readonly createMs: number;
  readonly latency: Omit<KubehooksRun, 'results'> & { readonly delays: Delays; readonly firstRunningToLastHookEndMs: number; readonly execMs: Summary };
  readonly throughput: Omit<KubehooksRun, 'results'>;
  readonly baseline: BaselineRun | undefined;
  readonly throughputRatio: number | undefined;
  /** Phase B's figures as compared with the floor. */
  readonly throughputFigures: ExecFigures;
  /** What kubehooks' limit did in B, as text. */
  readonly throughputConcurrency: string;
  /** Phase F: the client-go floor, run before (websocket) and after (spdy) phase B. */
  readonly floor: readonly FloorRun[];
  /** Phase B ÷ each floor run. */
  readonly floorRatios: readonly FloorRatios[];
  readonly profile: ProfileSummary | undefined;
  /** --alternate: phase B runs of this build ("main") and each alternate, in rotating order. */
  readonly alternation?: readonly AlternateRun[] | undefined;
}

interface AlternateRun {
  readonly round: number;
  readonly variant: string;
  readonly figures: ExecFigures;
  readonly peakRssMiB: number;
  readonly concurrencyPeak: number | undefined;
  readonly statuses: Readonly<Record<string, number>>;
  readonly requests: Readonly<Record<string, number>>;
  readonly loadAverage1m: number;
  /** ÷ the WebSocket floor of phase F. */
  readonly toWsFloor: FloorRatios | undefined;
  /** --heap-probe: the probe's record, without its series. */
  readonly heap?: ProbeDigest | undefined;
}

async function benchN(
  api: Api,
  kubeconfig: string,
  nodeName: string,
  n: number,
  workDir: string,
  profileDir: string | undefined,
): Promise<NResult> {
  const namespace = `bench-${n}-${Date.now().toString(36)}`;
  const workload = makeWorkload(n, perPod, spreadMs, seed + n);
  log(`N=${n}: ${workload.hooks.length} hooks on ${workload.containers} containers in namespace ${namespace}`);
  await api.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  const restoreFile = join(workDir, `restore-${n}.yaml`);
  writeFileSync(restoreFile, stringify(restoreObject(workload, namespace)));
  let observer: ThreadedObserver | undefined = await ThreadedObserver.start(kubeconfig, namespace);
  try {
    // Start times are absolute (kwok reads an RFC 3339 time as "delay until"): creation plus
    // kubehooks' start-up fit before the first container starts, then they start over the spread.
    const startupMs = 3_000;
    const createBudgetMs = startMarginMs === undefined ? 2_000 + n * 3 : Math.max(0, startMarginMs - startupMs);
    const t0 = Date.now() + createBudgetMs + startupMs;
    const c0 = performance.now();
    await pool(workload.pods, 16, (p) =>
      api.call('POST', `/api/v1/namespaces/${namespace}/pods`, podObject(p, namespace, nodeName, new Date(t0 + p.startOffsetMs))),
    );
    const createMs = Math.round(performance.now() - c0);
    const slack = t0 - Date.now();
    log(`N=${n}: created ${n} pods in ${createMs} ms; first containers start in ${slack} ms`);
    if (slack < startupMs / 2) log(`N=${n}: warning: pod creation ate into kubehooks' start-up margin; early pods are reported`);

    // A. latency
    const latencyDeadline = spreadMs + slack + 180_000 + workload.hooks.length * 50;
    const a = await runKubehooks(api, kubeconfig, restoreFile, namespace, latencyDeadline, [], 'A');
    const seenRunning = await observer.waitFor(workload.containers, 10_000);
    if (seenRunning < workload.containers) log(`N=${n}: only ${seenRunning}/${workload.containers} containers were seen running`);
    const observed = await observer.stop();
    observer = undefined;
    if (observed.error !== undefined) log(`N=${n}: the bench's own watch failed: ${observed.error}`);
    const d = delays(a.results, observed.running, a.measured.startedAt, a.measured.firstStderrAt);
    const firstRunning = Math.min(...observed.running.values());
    const lastEnd = Math.max(...a.results.flatMap((r) => (r.startedAt === null ? [] : [Date.parse(r.startedAt) + (r.durationMs ?? 0)])));
    const { results: _ra, ...aRest } = a;
    log(
      `N=${n} A: exit ${a.exitCode}, ${JSON.stringify(a.statuses)}, wall ${a.measured.wallMs} ms, peak RSS ${round(a.measured.peakRssKiB / 1024)} MiB, ` +
        `first-hook delay p50 ${d.firstHookStart.p50} / p99 ${d.firstHookStart.p99} ms, watches ${a.peakWatchConnections}, requests ${a.requestsTotal}`,
    );
    if (d.runningBeforePlanned > 0) {
      log(`N=${n}: warning: ${d.runningBeforePlanned} containers ran before kubehooks had planned (start margin overrun by ${-(d.plannedLeadMs ?? 0)} ms): not a valid phase A figure; use --start-margin`);
    }
    const ac = a.concurrency;
    const aExec = kubehooksFigures(a).perExecMs;
    if (ac !== undefined) {
      log(
        `N=${n} A: limit ${ac.initial} → ${ac.final} (peak ${ac.peak}, up ${ac.adjustments.up}, down ${ac.adjustments.downLatency} latency / ${ac.adjustments.downErrors} errors` +
          `${ac.slowStartEnd === undefined ? '' : `, slow start ended at ${String(ac.slowStartEnd)}`}), exec p50 ${aExec.p50} / p99 ${aExec.p99} ms, ` +
          `runningBeforeSpawn ${d.runningBeforeSpawn}, before its plan ${d.runningBeforePlanned} (plan ${d.plannedLeadMs ?? '?'} ms before the first container)`,
      );
      log(`N=${n} A timeline, first 10 s (from s: containers, delay p99 / max ms, exec p50): ${d.timeline.filter((b) => b.fromMs < 10_000).map((b) => `${b.fromMs / 1000}: ${b.containers}, ${b.delayP99} / ${b.delayMax}, ${b.execP50}`).join('; ')}`);
      const late = d.timeline.filter((b) => b.fromMs >= 10_000);
      log(`N=${n} A after 10 s: delay p99 of the worst 1 s bucket ${Math.max(...late.map((b) => b.delayP99))} ms; buckets over 50 ms: ${late.filter((b) => b.delayP99 > 50).length} of ${late.length}`);
    }

    interrupt.signal.throwIfAborted();
    // B. throughput on Running pods
    const b = await runKubehooks(api, kubeconfig, restoreFile, namespace, 180_000 + workload.hooks.length * 50, [], 'B');
    const { results: _rb, ...bRest } = b;
    const bFigures = kubehooksFigures(b);
    log(`N=${n} B: exit ${b.exitCode}, ${JSON.stringify(b.statuses)}, wall ${b.measured.wallMs} ms, ${b.hooksPerSecond} hooks/s, CPU ${bFigures.cpuPerHookMs} ms/hook, exec p99 ${bFigures.perExecMs.p99} ms, peak RSS ${round(b.measured.peakRssKiB / 1024)} MiB`);
    const floorConcurrency = concurrency ?? b.concurrency?.peak ?? 8;
    // F. the floor on the same Running pods right after B, at the concurrency kubehooks chose in B
    // (its peak limit; --concurrency N: N): WebSocket, then SPDY.
    const hooksFile = join(workDir, `hooks-${n}.json`);
    writeFileSync(hooksFile, JSON.stringify(workload.hooks.map((h) => ({ namespace, ...h }))));
    const floor: FloorRun[] = [];
    const floorPhase = async (transport: FloorTransport): Promise<void> => {
      interrupt.signal.throwIfAborted();
      if (floorBin === undefined) return;
      const f = await runFloor(api, kubeconfig, hooksFile, workload.hooks.length, transport, floorConcurrency);
      floor.push(f);
      log(`N=${n} F ${transport}: ${f.failed} failed, ${f.hooksPerSecond} hooks/s (exec window ${f.execWindowHooksPerSecond}), CPU ${f.cpuPerHookMs} ms/hook, exec p99 ${f.perExecMs.p99} ms, RSS ${f.peakRssMiB} MiB`);
      if (f.firstError !== undefined) log(`N=${n} F ${transport}: first error: ${f.firstError}`);
    };

    for (const t of FLOOR_TRANSPORTS) await floorPhase(t);
    const floorRatios = floor.map((f) => ratiosToFloor(bFigures, f));
    for (const r of floorRatios) log(`N=${n} B ÷ floor ${r.transport}: hooks/s ${r.hooksPerSecond}× (exec window ${r.execWindowHooksPerSecond}×), CPU per hook ${r.cpuPerHook}×, exec p99 ${r.perExecP99}×`);

    // B′. alternation (--alternate): B again, this build against each alternate, order rotating per round.
    const alternation: AlternateRun[] = [];
    if (alternates.length > 0) {
      const variants: Variant[] = [MAIN_VARIANT, ...alternates];
      const wsFloor = floor.find((f) => f.transport === 'websocket');
      for (let r = 0; r < rounds; r++) {
        const order = variants.map((_, i) => variants[(i + r) % variants.length]).filter((v): v is Variant => v !== undefined);
        for (const v of order) {
          interrupt.signal.throwIfAborted();
          const loadAverage1m = round(os.loadavg()[0] ?? 0, 2);
          // With --heap-probe each run is probed too (phase name B-<round>-<label>; no snapshot).
          const run = await runKubehooks(api, kubeconfig, restoreFile, namespace, 180_000 + workload.hooks.length * 50, [], `B-${r + 1}-${v.label}`, v);
          const figures = kubehooksFigures(run);
          const entry: AlternateRun = {
            round: r + 1,
            variant: v.label,
            figures,
            peakRssMiB: round(run.measured.peakRssKiB / 1024),
            concurrencyPeak: run.concurrency?.peak,
            statuses: run.statuses,
            requests: run.requests,
            loadAverage1m,
            toWsFloor: wsFloor === undefined ? undefined : ratiosToFloor(figures, wsFloor),
            ...(run.heap === undefined ? {} : { heap: probeDigest(run.heap) }),
          };
          alternation.push(entry);
          log(
            `N=${n} B′ round ${r + 1} ${v.label}: ${JSON.stringify(run.statuses)}, ${figures.hooksPerSecond} hooks/s (window ${figures.execWindowHooksPerSecond}), ` +
              `CPU ${figures.cpuPerHookMs} ms/hook, exec p99 ${figures.perExecMs.p99} ms, RSS ${entry.peakRssMiB} MiB, events ${eventRequests(run.requests)}, load ${loadAverage1m}`,
          );
        }
      }
    }

    interrupt.signal.throwIfAborted();
    // C. baseline
    let c: BaselineRun | undefined;
    if (!flags['skip-baseline']) {
      c = await runBaseline(api, kubeconfig, namespace, workload, floorConcurrency);
      log(`N=${n} C: kubectl ${c.hooksRun}/${c.hooksPlanned} hooks${c.sampled ? ' (sample)' : ''}, ${c.failed} failed, ${c.hooksPerSecond} hooks/s (wait ${c.waitMs} ms)`);
      if (c.firstFailure !== undefined) log(`N=${n} C: first failure: ${c.firstFailure}`);
    }

    // P. profile of a throughput run
    let profile: ProfileSummary | undefined;
    if (profileDir !== undefined && !interrupt.signal.aborted) {
      mkdirSync(profileDir, { recursive: true });
      await runKubehooks(api, kubeconfig, restoreFile, namespace, 180_000 + workload.hooks.length * 50, ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]);
      const file = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile')).sort().at(-1);
      if (file !== undefined) {
        profile = summarizeProfile(join(profileDir, file));
        log(`N=${n} P: profile ${join(profileDir, file)}: ${profile.topSelf.slice(0, 5).map((h) => `${h.name} ${h.percent}%`).join('; ')}`);
      }
    }

    return {
      pods: n,
      containers: workload.containers,
      hooks: workload.hooks.length,
      namespace,
      createMs,
      latency: { ...aRest, delays: d, firstRunningToLastHookEndMs: Math.round(lastEnd - firstRunning), execMs: aExec },
      throughput: bRest,
      baseline: c,
      throughputRatio: c === undefined ? undefined : round(b.hooksPerSecond / c.hooksPerSecond, 2),
      throughputFigures: bFigures,
      throughputConcurrency: b.concurrency === undefined ? String(concurrency ?? '—') : `limit ${b.concurrency.initial}→${b.concurrency.final}, peak ${b.concurrency.peak} of ${b.concurrency.max}`,
      floor,
      floorRatios,
      profile,
      ...(alternation.length === 0 ? {} : { alternation }),
    };
  } finally {
    await observer?.stop();
    await cleanup(api, namespace);
  }
}

/** Deletes the namespace's pods (grace 0; kwok finishes the deletion) and waits, with a deadline, until they are gone. */
async function cleanup(api: Api, namespace: string): Promise<void> {
  try {
    await api.call('DELETE', `/api/v1/namespaces/${namespace}/pods?gracePeriodSeconds=0`);
    const end = Date.now() + 120_000;
    for (;;) {
      const left = (JSON.parse(await api.call('GET', `/api/v1/namespaces/${namespace}/pods?limit=1`)) as { items: unknown[] }).items.length;
      if (left === 0 || Date.now() > end) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    // Without a controller-manager the namespace stays Terminating; the next run starts from a fresh etcd anyway.
    await api.request('DELETE', `/api/v1/namespaces/${namespace}`);
  } catch (e) {
    log(`cleanup of ${namespace}: ${String(e)}`);
  }
}

/** The --alternate rounds as a table: each run, then each variant's medians (÷ the WebSocket floor). */
function alternationTable(runs: readonly NResult[]): string {
  const rows: string[] = [];
  const median = (xs: readonly number[]): number => {
    const v = [...xs].sort((x, y) => x - y);
    const m = v.length >> 1;
    return v.length % 2 === 1 ? (v[m] ?? Number.NaN) : round(((v[m - 1] ?? Number.NaN) + (v[m] ?? Number.NaN)) / 2, 2);
  };
  for (const run of runs) {
    if (run.alternation === undefined) continue;
    const labels = [...new Set(run.alternation.map((a) => a.variant))];
    for (const label of labels) {
      const mine = run.alternation.filter((a) => a.variant === label);
      const ws = mine.flatMap((a) => (a.toWsFloor === undefined ? [] : [a.toWsFloor]));
      rows.push(
        `| ${run.pods} | ${label} | ${mine.length} | ${median(mine.map((a) => a.figures.hooksPerSecond))} (${median(mine.map((a) => a.figures.execWindowHooksPerSecond))}) | ` +
          `${median(mine.map((a) => a.figures.cpuPerHookMs))} | ${median(mine.map((a) => a.figures.perExecMs.p99))} | ${median(mine.map((a) => a.peakRssMiB))} | ` +
          `${median(mine.map((a) => eventRequests(a.requests)))} | ` +
          `${ws.length === 0 ? '—' : `${median(ws.map((r) => r.hooksPerSecond))}× · ${median(ws.map((r) => r.cpuPerHook))}× · ${median(ws.map((r) => r.perExecP99))}×`} | ` +
          `${mine.map((a) => a.loadAverage1m).join(', ')} |`,
      );
    }
  }
  if (rows.length === 0) return '';
  return [
    '',
    '## Alternating phase B runs (--alternate; medians over rounds)',
    '',
    '| N | variant | runs | hooks/s (exec window) | CPU ms/hook | exec p99 ms | peak RSS MiB | Event requests | ÷ WS floor: hooks/s · CPU · p99 | load avg (1 min) per run |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

// ---------- environment ----------

function tryRun(cmd: string, args: readonly string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch {
    return 'unavailable';
  }
}

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    loadAverageAtStart: os.loadavg().map((x) => round(x, 2)),
  };
}

// ---------- main ----------

async function main(): Promise<number> {
  const ctl = interrupt;
  const onSignal = (): void => {
    log('interrupted: cleaning up');
    ctl.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const external = process.env['KUBEHOOKS_BENCH_KUBECONFIG'];
  let cluster: Cluster | undefined;
  const workDir = mkdtempSync(join(os.tmpdir(), 'kubehooks-bench-'));
  const started = new Date();
  // Read before anything runs (a commit made during a long run must not be reported as measured).
  const measuredCommit = existsSync(join(SOURCE_BIN, '..', '..', 'REVISION'))
    ? readFileSync(join(SOURCE_BIN, '..', '..', 'REVISION'), 'utf8').trim()
    : tryRun('git', ['-C', resolve(SOURCE_BIN, '..', '..'), 'rev-parse', '--short', 'HEAD']);
  const measuredDirty = existsSync(join(SOURCE_BIN, '..', '..', 'REVISION'))
    ? false
    : tryRun('git', ['-C', resolve(SOURCE_BIN, '..', '..'), 'status', '--porcelain', '--', 'src', 'bin']) !== '';
  try {
    let kubeconfig: string;
    let nodeName: string;
    let clusterVersions: Readonly<Record<string, string>> = {};
    if (external !== undefined && external !== '') {
      kubeconfig = resolve(external);
      nodeName = process.env['KUBEHOOKS_BENCH_NODE'] ?? 'kwok-node-0';
      log(`using the cluster of ${kubeconfig}, node ${nodeName}`);
    } else {
      cluster = await startCluster({ signal: ctl.signal, log: (l) => {
          log(`cluster: ${l}`);
        },
      });
      kubeconfig = cluster.kubeconfigPath;
      nodeName = cluster.nodeName;
      clusterVersions = cluster.versions;
      clusterPids = { etcd: cluster.pids.etcd, kubeApiserver: cluster.pids.kubeApiserver, kwok: cluster.pids.kwok };
      log(`cluster up in ${cluster.startMs} ms (pids etcd ${cluster.pids.etcd}, kube-apiserver ${cluster.pids.kubeApiserver}, kwok ${cluster.pids.kwok})`);
    }
    if (flags.package) {
      BIN = packBuild(resolve(SOURCE_BIN, '..', '..'), log).bin;
      log(`package: running ${BIN}`);
    }
    if (heapProbe) log(`heap probe: records${snapshotPhases.size > 0 ? ' and snapshots' : ''} in ${heapDir}`);
    if (!flags['skip-floor']) {
      log('floor: bench/floor/build.sh (cached in ~/.cache/kubehooks)');
      floorBin = execFileSync('bash', [join(REPO, 'bench', 'floor', 'build.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 900_000 }).trim().split('\n').at(-1);
    }
    const api = new Api(loadTarget(kubeconfig));
    const largest = Math.max(...podCounts);
    const runs: NResult[] = [];
    try {
      for (const n of podCounts) {
        if (ctl.signal.aborted) break;
        const profileDir = !flags['no-profile'] && n === largest ? join(os.tmpdir(), `kubehooks-bench-profile-${Date.now().toString(36)}`) : undefined;
        try {
          runs.push(await benchN(api, kubeconfig, nodeName, n, workDir, profileDir));
        } catch (e) {
          if (!isAborted(ctl.signal)) throw e;
          log(`N=${n}: abandoned (interrupted); results so far are written`);
        }
      }
    } finally {
      api.close();
    }
    const date = started.toISOString().slice(0, 10);
    const result = {
      date: started.toISOString(),
      machine: machine(),
      versions: {
        node: process.version,
        // A snapshot made with `git archive` carries its commit in REVISION.
        kubehooks: measuredCommit,
        kubehooksBin: BIN,
        /** "package": the checkout's npm pack (dist/kubehooks.cjs); "source": bin/kubehooks.js. */
        kubehooksBuild: flags.package ? 'package' : 'source',
        // Uncommitted changes under src/ or bin/ of the measured checkout (a snapshot has none).
        kubehooksDirty: measuredDirty,
        kubectl: tryRun('kubectl', ['version', '--client', '-o', 'json']).match(/"gitVersion":\s*"([^"]+)"/)?.[1] ?? 'unknown',
        cluster: clusterVersions,
      },
      parameters: {
        pods: podCounts,
        hooksPerPod: flags['hooks-per-pod'],
        spreadMs,
        concurrency: concurrency ?? 'auto (kubehooks default flags; floor and kubectl at its peak limit in B)',
        baselineMaxHooks,
        skipBaseline: flags['skip-baseline'],
        skipFloor: flags['skip-floor'],
        seed,
        kubehooksNodeFlags: nodeFlagsForKubehooks,
        // Inherited by the kubehooks process: the variables that change its memory.
        kubehooksEnv: Object.fromEntries(Object.entries(process.env).filter(([k]) => k === 'NODE_OPTIONS' || k.startsWith('MALLOC_'))),
        heapProbe,
        heapSnapshot: [...snapshotPhases],
        heapSnapshotAt: flags['heap-snapshot-at'],
        events: true,
        alternates,
        rounds,
        commands: ['true', '/bin/sh -c "echo ok"'],
      },
      runs,
    };
    const out = flags.out ?? join(REPO, 'bench', 'results', `${date}.json`);
    mkdirSync(resolve(out, '..'), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    const alternationMemory = runs.flatMap((r) => (r.alternation === undefined ? [] : alternationMemoryRows(r.pods, r.alternation)));
    const memory = heapProbe
      ? `\n## Memory (heap probe)\n\n${[...MEMORY_HEADER, ...memoryRows(`${result.versions.kubehooks} ${result.versions.kubehooksBuild}`, result)].join('\n')}\n` +
        (alternationMemory.length === 0 ? '' : `\n### Alternating phase B runs\n\n${[...ALTERNATION_MEMORY_HEADER, ...alternationMemory].join('\n')}\n`)
      : '';
    const table = renderTable(result) + memory + alternationTable(runs);
    writeFileSync(out.replace(/\.json$/, '.md'), table);
    process.stdout.write(table);
    log(`results: ${[out, ...writeDelayPlot(out)].join(', ')}`);
    return ctl.signal.aborted ? 130 : 0;
  } finally {
    if (cluster !== undefined) {
      const outcome = await cluster.stop();
      log(`cluster stopped: ${outcome.map((o) => `${o.name} ${o.pid} ${o.outcome}`).join(', ')}`);
    }
    rmSync(workDir, { recursive: true, force: true });
    removePackBuilds();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

process.exitCode = await main();

/** Reads `aborted` afresh (TypeScript keeps an earlier narrowing across awaits). */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}
