/**
 * Phase H of `npm run bench -- --hookrun` (issue 14, Performance): a HookRun over N pods × 2 hooks
 * run by `kubehooks controller`, next to `kubehooks run post-restore` (the CLI) on the same Running
 * pods, at the same concurrency, in one fresh local control plane. Rounds alternate CLI, HookRun,
 * CLI, HookRun… so drift in the machine's load falls on both alike. Measured per round:
 *   - throughput over the exec window (first exec start to last exec end, from the results' own
 *     startedAt/durationMs: the CLI's JSON report, the HookRun's status.results), and its ratio
 *     HookRun ÷ CLI (the mean of the CLI rounds around it);
 *   - HookRun status writes (kube-apiserver's `PUT hookruns/status`, diffed) and HookRunJournal writes
 *     (`PUT`/`POST hookrunjournals`, ADR 0024), each per second of the run (status.startTime →
 *     completionTime), against the controller's bounds (status ≤ 1/s, journal ≤ 10/s);
 *   - the controller's peak RSS (VmHWM from /proc, sampled every 100 ms, over its whole life);
 *   - pod watches the controller opened (peak `apiserver_longrunning_requests{verb=WATCH,resource=pods}`
 *     minus the value before: kwok's own watch is in the baseline);
 *   - with --heap-probe, what the controller's memory consisted of (bench/lib/heap-probe.js loaded into
 *     the controller: the sample at its RSS peak, GCs, RSS by mapping at exit), and with
 *     --heap-snapshot H one V8 heap snapshot of the controller, summarised (bench/heap-summary.ts).
 * Not a test: figures, written to bench/results/<date>-hookrun-n<N>.json and .md.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseAllDocuments, stringify } from 'yaml';
import type { Cluster } from '../scripts/cluster/index.ts';
import { startCluster } from '../scripts/cluster/index.ts';
import { spawnOwned } from '../src/testing/owned-process.ts';
import { summarizeHeap, type HeapSnapshotFile, type HeapSummary } from './heap-summary.ts';
import { probe, readProbe, type ProbeRecord } from './memory.ts';
import { Api, loadTarget, pool } from './lib/api.ts';
import { LONGRUNNING, REQUESTS, longRunning, parseMetrics, requestCounts } from './lib/metrics.ts';
import { cpuMeter, cpuSecondsOf, memoryOf, runMeasured } from './lib/proc.ts';
import { round } from './lib/stats.ts';
import { makeWorkload, podObject, restoreObject } from './lib/workload.ts';

export interface HookRunBenchOptions {
  readonly bin: string;
  /** Node flags for the controller process (before the script). */
  readonly nodeFlags?: readonly string[];
  /** Environment added to the controller process's (e.g. MALLOC_ARENA_MAX). */
  readonly env?: Readonly<Record<string, string>>;
  /** Load bench/lib/heap-probe.js into the controller. */
  readonly heapProbe?: boolean;
  /** Also one heap snapshot of the controller: exit, rss:MIB or heap:MIB. */
  readonly heapSnapshotAt?: string | undefined;
  /** Run the CLI rounds (default); false: HookRun rounds only (memory runs). */
  readonly cli?: boolean;
  readonly pods: number;
  readonly concurrency: number;
  readonly rounds: number;
  readonly seed: number;
  readonly out: string | undefined;
  readonly signal: AbortSignal;
  readonly log: (line: string) => void;
}

interface Round {
  readonly kind: 'cli' | 'hookrun';
  readonly hooks: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly execWindowMs: number;
  readonly execWindowHooksPerSecond: number;
  /** Mean exec duration (the results' durationMs) and Σ durationMs ÷ (window × concurrency). */
  readonly meanExecMs: number;
  readonly slotOccupancy: number;
  /** CLI: process wall time; HookRun: creation → completionTime as seen by the bench's poll. */
  readonly wallMs: number;
  readonly statusWrites?: number;
  readonly runMs?: number;
  readonly statusWritesPerSecond?: number;
  /** HookRunJournal writes (ADR 0024: `PUT` and `POST hookrunjournals`), and per second of the run. */
  readonly journalWrites?: number;
  readonly journalWritesPerSecond?: number;
  readonly statusBytes?: number;
  readonly peakRssMiB?: number;
  readonly cpuSeconds: Readonly<Record<string, number>>;
  readonly loadAverage1m: number;
}

interface ResultRow {
  readonly pod: string;
  readonly status: string;
  readonly startedAt: string | null;
  readonly durationMs: number | null;
}

/**
 * The exec window, and how busy the slots were in it: `meanExecMs` (each result's own durationMs)
 * and `slotOccupancy` = Σ durationMs ÷ (window × concurrency): 1 = every slot always in an exec; less
 * = slots waited (for the journal, for the limiter's next hook, for the process's event loop).
 */
function execWindow(results: readonly ResultRow[], concurrency: number): { ms: number; perSecond: number; statuses: Record<string, number>; meanExecMs: number; slotOccupancy: number } {
  const statuses: Record<string, number> = {};
  for (const r of results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const started = results.filter((r) => r.startedAt !== null);
  const starts = started.map((r) => Date.parse(r.startedAt ?? ''));
  const ends = started.map((r) => Date.parse(r.startedAt ?? '') + (r.durationMs ?? 0));
  const ms = started.length === 0 ? Number.NaN : Math.max(...ends) - Math.min(...starts);
  const busy = started.reduce((sum, r) => sum + (r.durationMs ?? 0), 0);
  return { ms, perSecond: round(started.length / (ms / 1000)), statuses, meanExecMs: round(busy / started.length), slotOccupancy: round(busy / (ms * concurrency), 2) };
}

/** Extra `kubehooks controller` flags for an experiment (`KUBEHOOKS_BENCH_CONTROLLER_ARGS="--start-lookahead 32"`), split on spaces. */
function controllerExtraArgs(): string[] {
  return (process.env['KUBEHOOKS_BENCH_CONTROLLER_ARGS'] ?? '').split(' ').filter((a) => a !== '');
}

/** Sleeps `ms`, less when `signal` aborts (resolves then, does not throw). */
async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  // timers/promises removes its abort listener when the timer fires (one added per call and never
  // removed piled up on the bench's signal: a poll every 200-500 ms over a run).
  await delay(ms, undefined, { signal }).catch(() => undefined);
}

/** SIGTERM → SIGKILL for the controller: its graceful stop writes its last status and journal. */
const CONTROLLER_GRACE_MS = 10_000;

interface ControllerProcess {
  readonly nodeFlags: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/**
 * `kubehooks controller` as a child with its peak RSS sampled; stopped by its PID (SIGTERM to its
 * group, then SIGKILL after 10 s). Owned (src/testing/owned-process.ts): it is also stopped when the
 * bench gets SIGTERM/SIGINT/SIGHUP, exits or crashes, and by the watchdog after a SIGKILL of the bench.
 */
function startController(bin: string, kubeconfig: string, namespace: string, port: number, proc: ControllerProcess): { pid: number; stop(): Promise<{ peakRssMiB: number; cpuSeconds: number; code: number | null; stderr: string }> } {
  const owned = spawnOwned(process.execPath, [...proc.nodeFlags, bin, 'controller', '--kubeconfig', kubeconfig, '-n', namespace, '--system-namespace', namespace, '--metrics-addr', `127.0.0.1:${port}`, ...controllerExtraArgs()], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...proc.env }, graceMs: CONTROLLER_GRACE_MS });
  const { child, pid } = owned;
  let peak = 0;
  let cpu = 0;
  const err: Buffer[] = [];
  child.stderr?.on('data', (c: Buffer) => err.push(c));
  const sample = (): void => {
    const m = memoryOf(pid);
    if (m !== undefined) peak = Math.max(peak, m.hwmKiB);
    cpu = cpuSecondsOf(pid) ?? cpu;
  };
  const sampler = setInterval(sample, 100);
  child.once('exit', () => {
    clearInterval(sampler);
  });
  // 'close' follows the exit once stderr drained: then all of it is in.
  const closed = new Promise<void>((r) => child.once('close', () => { r(); }));
  return {
    pid,
    async stop() {
      sample();
      // Sampling goes on while it shuts down (its exit clears the sampler).
      const exit = await owned.stop({ graceMs: CONTROLLER_GRACE_MS });
      clearInterval(sampler);
      await closed;
      return { peakRssMiB: round(peak / 1024), cpuSeconds: round(cpu), code: exit.code, stderr: Buffer.concat(err).toString('utf8') };
    },
  };
}

async function get(url: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.text();
    return res.status;
  } catch {
    return 0;
  }
}

/** Peak pod watches while `fn` runs (kube-apiserver's gauge, every second). */
async function watchPeak<T>(api: Api, fn: () => Promise<T>): Promise<{ value: T; before: number; peak: number }> {
  const read = async (): Promise<number> => longRunning(parseMetrics(await api.call('GET', '/metrics'), [LONGRUNNING]), 'WATCH', 'pods');
  const before = await read();
  let peak = before;
  const state = { on: true };
  const loop = (async () => {
    while (state.on) {
      try {
        peak = Math.max(peak, await read());
      } catch {
        // a missed poll only lowers the resolution
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
  })();
  try {
    return { value: await fn(), before, peak };
  } finally {
    state.on = false;
    await loop;
  }
}

/** The controller's gauge says a HookRun it watches is Succeeded or Failed (the bench deletes each after its round). */
async function finished(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) });
    return /^kubehooks_hookruns\{phase="(Succeeded|Failed)"\} [1-9]/m.test(await res.text());
  } catch {
    return false;
  }
}

async function statusPuts(api: Api): Promise<number> {
  return requestCounts(parseMetrics(await api.call('GET', '/metrics'), [REQUESTS])).get('PUT hookruns/status') ?? 0;
}

/** HookRunJournal writes so far (ADR 0024): PUTs and the creating POSTs. */
async function journalWrites(api: Api): Promise<number> {
  const counts = requestCounts(parseMetrics(await api.call('GET', '/metrics'), [REQUESTS]));
  return (counts.get('PUT hookrunjournals') ?? 0) + (counts.get('POST hookrunjournals') ?? 0);
}

export async function benchHookRun(o: HookRunBenchOptions): Promise<string> {
  const { log, signal } = o;
  const workDir = mkdtempSync(join(tmpdir(), 'kubehooks-bench-h-'));
  let cluster: Cluster | undefined;
  const started = new Date();
  try {
    cluster = await startCluster({ signal, log: (l) => { log(`cluster: ${l}`); } });
    const clusterPids = { etcd: cluster.pids.etcd, kubeApiserver: cluster.pids.kubeApiserver, kwok: cluster.pids.kwok };
    const kubeconfig = cluster.kubeconfigPath;
    const api = new Api(loadTarget(kubeconfig));
    try {
      // The CRD, as `kubehooks manifests controller` prints it.
      const manifests = await runMeasured(process.execPath, [o.bin, 'manifests', 'controller', '--image', 'registry.invalid/kubehooks:bench'], { deadlineMs: 60_000 });
      // Every CRD it prints (HookRun, and HookRunJournal since ADR 0024; an older binary prints only the first).
      const crds = parseAllDocuments(manifests.stdout).map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } }).filter((x) => x.kind === 'CustomResourceDefinition');
      if (crds.length === 0) throw new Error(`manifests controller printed no CRD: ${manifests.stderr.slice(0, 500)}`);
      for (const crd of crds) await api.call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
      for (const crd of crds) {
        for (let i = 0; ; i++) {
          const c = JSON.parse(await api.call('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata?.name ?? ''}`)) as { status?: { conditions?: { type: string; status: string }[] } };
          if (c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True') === true) break;
          if (i > 100) throw new Error(`the CRD ${crd.metadata?.name ?? ''} was not Established within 20 s`);
          await sleep(200, signal);
        }
      }

      const namespace = `bench-h-${o.pods}-${Date.now().toString(36)}`;
      const workload = makeWorkload(o.pods, { min: 2, max: 2 }, 0, o.seed + o.pods);
      await api.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
      const restore = restoreObject(workload, namespace);
      const restoreFile = join(workDir, 'restore.yaml');
      writeFileSync(restoreFile, stringify(restore));
      const now = new Date();
      await pool(workload.pods, 16, (p) => api.call('POST', `/api/v1/namespaces/${namespace}/pods`, podObject(p, namespace, cluster?.nodeName ?? 'kwok-node-0', now)));
      for (let i = 0; ; i++) {
        const list = JSON.parse(await api.call('GET', `/api/v1/namespaces/${namespace}/pods`)) as { items: { status?: { phase?: string } }[] };
        if (list.items.length === o.pods && list.items.every((p) => p.status?.phase === 'Running')) break;
        if (i > 300) throw new Error('pods not all Running within 5 min');
        await sleep(1_000, signal);
      }
      log(`H: ${o.pods} pods Running, ${workload.hooks.length} hooks, concurrency ${o.concurrency}, namespace ${namespace}`);

      const port = 18_000 + Math.floor(Math.random() * 2_000);
      const probeFile = join(workDir, 'controller.probe.json');
      const snapshotFile = join(tmpdir(), `kubehooks-bench-h-controller-${Date.now().toString(36)}.heapsnapshot`);
      const probed = o.heapProbe === true || o.heapSnapshotAt !== undefined
        ? probe({ out: probeFile, snapshot: o.heapSnapshotAt === undefined ? undefined : { file: snapshotFile, at: o.heapSnapshotAt } })
        : { nodeFlags: [], env: {} };
      const controllerProcess = { nodeFlags: [...(o.nodeFlags ?? []), ...probed.nodeFlags], env: { ...(o.env ?? {}), ...probed.env }, args: controllerExtraArgs() };
      log(`H: controller ${o.bin}${controllerProcess.nodeFlags.length === 0 ? '' : ` node flags ${controllerProcess.nodeFlags.join(' ')}`}${Object.keys(o.env ?? {}).length === 0 ? '' : ` env ${JSON.stringify(o.env)}`}${controllerExtraArgs().length === 0 ? '' : ` args ${controllerExtraArgs().join(' ')}`}`);
      const controller = startController(o.bin, kubeconfig, namespace, port, controllerProcess);
      let controllerStop: Awaited<ReturnType<typeof controller.stop>> | undefined;
      const rounds: Round[] = [];
      let watches = { before: 0, peak: 0 };
      try {
        for (let i = 0; ; i++) {
          if ((await get(`http://127.0.0.1:${port}/readyz`)) === 200) break;
          if (i > 150) throw new Error('the controller was not ready within 30 s');
          await sleep(200, signal);
        }
        const w = await watchPeak(api, async () => {
          for (let r = 0; r < o.rounds && !signal.aborted; r++) {
            if (o.cli !== false) {
              // CLI
              const meterCli = cpuMeter(clusterPids);
              const cli = await runMeasured(process.execPath, [o.bin, 'run', 'post-restore', '--restore', restoreFile, '--kubeconfig', kubeconfig, '-n', namespace, '--output', 'json', '--concurrency', String(o.concurrency)], { deadlineMs: 600_000, sampleMs: 100 });
              const cliCpu = { kubehooks: cli.cpuSeconds, ...meterCli.stop() };
              let cliResults: ResultRow[] = [];
              try {
                cliResults = (JSON.parse(cli.stdout) as { results: ResultRow[] }).results;
              } catch {
                log(`H: the CLI printed no JSON (exit ${String(cli.code)}): ${cli.stderr.slice(-500)}`);
            }
            const cw = execWindow(cliResults, o.concurrency);
            rounds.push({ kind: 'cli', hooks: cliResults.length, statuses: cw.statuses, execWindowMs: cw.ms, execWindowHooksPerSecond: cw.perSecond, meanExecMs: cw.meanExecMs, slotOccupancy: cw.slotOccupancy, wallMs: cli.wallMs, peakRssMiB: round(cli.peakRssKiB / 1024), cpuSeconds: cliCpu, loadAverage1m: round(loadavg()[0] ?? Number.NaN, 2) });
            log(`H round ${r + 1} CLI: ${JSON.stringify(cw.statuses)}, exec window ${cw.ms} ms, ${cw.perSecond} hooks/s, mean exec ${cw.meanExecMs} ms, slot occupancy ${cw.slotOccupancy}, wall ${cli.wallMs} ms, load ${round(loadavg()[0] ?? 0, 1)}`);
            }

            // HookRun
            const name = `bench-${r}`;
            const putsBefore = await statusPuts(api);
            const journalBefore = await journalWrites(api);
            const meter = cpuMeter(clusterPids);
            const t0 = Date.now();
            await api.call('POST', `/apis/kubehooks.dev/v1alpha1/namespaces/${namespace}/hookruns`, {
              apiVersion: 'kubehooks.dev/v1alpha1', kind: 'HookRun', metadata: { name, namespace },
              spec: { phase: 'post-restore', restore, concurrency: o.concurrency, deadline: '30m' },
            });
            let hr: { status?: { phase?: string; startTime?: string; completionTime?: string; results?: ResultRow[]; conditions?: unknown[] } } = {};
            let body = '';
            // Polled on the controller's own gauge, not by GETs of the (large) HookRun: each GET of a
            // ~1 MiB object costs kube-apiserver as much as a status write and would slow the run.
            for (;;) {
              if (isAborted(signal) || (await finished(port))) break;
              if (Date.now() - t0 > 900_000) break;
              await sleep(500, signal);
            }
            body = await api.call('GET', `/apis/kubehooks.dev/v1alpha1/namespaces/${namespace}/hookruns/${name}`);
            hr = JSON.parse(body) as typeof hr;
            if (hr.status?.completionTime === undefined) log(`H: HookRun ${name} not complete (interrupted, or over 15 min): ${JSON.stringify(hr.status?.conditions)}`);
            const wallMs = Date.now() - t0;
            const cpu = { ...meter.stop() };
            const writes = (await statusPuts(api)) - putsBefore;
            const jwrites = (await journalWrites(api)) - journalBefore;
            const results = hr.status?.results ?? [];
            const hw = execWindow(results, o.concurrency);
            const runMs = Date.parse(hr.status?.completionTime ?? '') - Date.parse(hr.status?.startTime ?? '');
            rounds.push({
              kind: 'hookrun', hooks: results.length, statuses: hw.statuses, execWindowMs: hw.ms, execWindowHooksPerSecond: hw.perSecond, meanExecMs: hw.meanExecMs, slotOccupancy: hw.slotOccupancy, wallMs,
              statusWrites: writes, journalWrites: jwrites,
              // No completionTime (an interrupted round): no rates rather than NaN.
              ...(Number.isFinite(runMs) ? { runMs, statusWritesPerSecond: round(writes / (runMs / 1000), 2), journalWritesPerSecond: round(jwrites / (runMs / 1000), 2) } : {}), statusBytes: Buffer.byteLength(body), cpuSeconds: cpu, loadAverage1m: round(loadavg()[0] ?? Number.NaN, 2),
            });
            log(`H round ${r + 1} HookRun: ${hr.status?.phase ?? '?'} ${JSON.stringify(hw.statuses)}, exec window ${hw.ms} ms, ${hw.perSecond} hooks/s, mean exec ${hw.meanExecMs} ms, slot occupancy ${hw.slotOccupancy}, ${writes} status writes in ${runMs} ms (${round(writes / (runMs / 1000), 2)}/s), ${jwrites} journal writes (${round(jwrites / (runMs / 1000), 2)}/s), object ${round(Buffer.byteLength(body) / 1024)} KiB, load ${round(loadavg()[0] ?? 0, 1)}`);
            await api.request('DELETE', `/apis/kubehooks.dev/v1alpha1/namespaces/${namespace}/hookruns/${name}`);
            // Until the controller saw the deletion, its gauge still counts the finished run.
            for (let i = 0; i < 100 && (await finished(port)); i++) await sleep(200, signal);
          }
        });
        watches = { before: w.before, peak: w.peak };
      } finally {
        controllerStop = await controller.stop();
      }
      // The controller's memory: the probe's record (written at its exit) and the snapshot's summary.
      const controllerHeap: ProbeRecord | undefined = probed.nodeFlags.length > 0 ? readProbe(probeFile) : undefined;
      if (probed.nodeFlags.length > 0 && controllerHeap === undefined) log(`H: the heap probe wrote no record to ${probeFile}`);
      let controllerHeapSnapshot: (HeapSummary & { file: string }) | undefined;
      if (controllerHeap?.snapshot != null) {
        try {
          controllerHeapSnapshot = { file: controllerHeap.snapshot.file, ...summarizeHeap(JSON.parse(readFileSync(controllerHeap.snapshot.file, 'utf8')) as HeapSnapshotFile, 20) };
          log(`H: controller heap snapshot ${controllerHeap.snapshot.file} (${controllerHeap.snapshot.why}): live ${round(controllerHeapSnapshot.totalSelfBytes / 2 ** 20)} MiB; ${controllerHeapSnapshot.byConstructor.slice(0, 8).map((c) => `${c.name} ${round(c.selfBytes / 2 ** 20)}`).join(', ')} MiB`);
        } catch (e) {
          log(`H: cannot summarise ${controllerHeap.snapshot.file}: ${String(e)}`);
        }
      }
      if (controllerHeap !== undefined) log(`H: controller memory at its RSS peak: ${JSON.stringify(memoryLine(controllerHeap))}`);
      const cliRounds = rounds.filter((r) => r.kind === 'cli');
      const hrRounds = rounds.filter((r) => r.kind === 'hookrun');
      const mean = (xs: readonly number[]): number => round(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length));
      // Each HookRun round against the CLI rounds next to it (before and after).
      const ratios = cliRounds.length === 0 ? [] : hrRounds.map((h) => {
        const i = rounds.indexOf(h);
        const near = [rounds[i - 1], rounds[i + 1]].filter((x): x is Round => x?.kind === 'cli');
        return round(h.execWindowHooksPerSecond / mean(near.map((x) => x.execWindowHooksPerSecond)), 2);
      });
      const summary = {
        pods: o.pods,
        hooks: workload.hooks.length,
        concurrency: o.concurrency,
        cliHooksPerSecond: mean(cliRounds.map((r) => r.execWindowHooksPerSecond)),
        hookRunHooksPerSecond: mean(hrRounds.map((r) => r.execWindowHooksPerSecond)),
        ratios,
        statusWritesPerSecond: hrRounds.map((r) => r.statusWritesPerSecond),
        statusWriteBound: 1,
        journalWrites: hrRounds.map((r) => r.journalWrites),
        journalWritesPerSecond: hrRounds.map((r) => r.journalWritesPerSecond),
        journalWriteBound: 10,
        // With a snapshot, the peak that counts is the one just before it (a snapshot costs about the heap again).
        controllerPeakRssMiB: controllerHeap?.snapshot != null ? controllerHeap.snapshot.peakRssBeforeMiB : controllerStop.peakRssMiB,
        controllerPeakRssMiBWithSnapshot: controllerStop.peakRssMiB,
        controllerMemory: controllerHeap === undefined ? undefined : memoryLine(controllerHeap),
        controllerCpuSeconds: controllerStop.cpuSeconds,
        podWatches: watches.peak - watches.before,
        loadAverage1m: rounds.map((r) => r.loadAverage1m),
      };
      log(`H summary: ${JSON.stringify(summary)}`);
      if (controllerStop.code !== 0) log(`H: the controller exited ${String(controllerStop.code)}: ${controllerStop.stderr.slice(-1000)}`);
      const result = {
        date: started.toISOString(),
        machine: { cpus: cpus().length, loadAverageAtStart: loadavg().map((x) => round(x, 2)) },
        bin: o.bin,
        commit: commitOf(o.bin),
        controllerProcess: { nodeFlags: o.nodeFlags ?? [], env: o.env ?? {}, heapProbe: probed.nodeFlags.length > 0, heapSnapshotAt: o.heapSnapshotAt ?? null },
        cluster: cluster.versions,
        summary,
        rounds,
        controllerHeap,
        controllerHeapSnapshot,
      };
      const out = o.out ?? resolve(import.meta.dirname, 'results', `${started.toISOString().slice(0, 10)}-hookrun-n${o.pods}.json`);
      mkdirSync(resolve(out, '..'), { recursive: true });
      writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
      const table = renderHookRun(summary, rounds);
      writeFileSync(out.replace(/\.json$/, '.md'), table);
      log(`H results: ${out}`);
      return table;
    } finally {
      api.close();
    }
  } finally {
    if (cluster !== undefined) {
      const outcome = await cluster.stop();
      log(`cluster stopped: ${outcome.map((x) => `${x.name} ${x.pid} ${x.outcome}`).join(', ')}`);
    }
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** The commit of the checkout `bin` comes from (a package built by --package says its checkout in the log only). */
function commitOf(bin: string): string | undefined {
  try {
    return execFileSync('git', ['-C', resolve(bin, '..', '..'), 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** What the controller's peak RSS consisted of (MiB): the probe's sample at the peak, and RSS by mapping at exit. */
function memoryLine(h: ProbeRecord): Record<string, unknown> {
  const at = h.atPeakRss;
  const s = at.spaces;
  return {
    rss: at.rss, fileBacked: at.rssFile, anonymous: at.rssAnon, heapUsed: at.heapUsed, heapUsedMax: h.max['heapUsed'], heapPhysical: at.heapPhysical,
    newSpace: s['new_space']?.physical, oldSpace: s['old_space']?.physical, largeObjectSpace: s['large_object_space']?.physical, codeSpace: s['code_space']?.physical,
    nativeAnonymous: round(at.rssAnon - at.heapPhysical), external: at.external, arrayBuffers: at.arrayBuffers,
    gc: h.gc, smapsAtExit: h.smapsAtExit,
  };
}

function renderHookRun(summary: { pods: number; hooks: number; concurrency: number; ratios: readonly number[]; controllerPeakRssMiB: number; podWatches: number; controllerMemory?: Record<string, unknown> | undefined }, rounds: readonly Round[]): string {
  const lines = [
    `# Phase H: HookRun vs CLI, ${summary.pods} pods × 2 hooks (${summary.hooks}), concurrency ${summary.concurrency}`,
    '',
    '| round | runner | hooks | exec window | hooks/s | mean exec | slot occupancy | status writes | writes/s | journal writes | writes/s | object | peak RSS | load 1m |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rounds.map((r, i) => `| ${rounds.slice(0, i + 1).filter((x) => x.kind === r.kind).length} | ${r.kind === 'cli' ? 'CLI' : 'HookRun'} | ${JSON.stringify(r.statuses)} | ${r.execWindowMs} ms | ${r.execWindowHooksPerSecond} | ${r.meanExecMs} ms | ${r.slotOccupancy} | ${r.statusWrites ?? '—'} | ${r.statusWritesPerSecond ?? '—'} | ${r.journalWrites ?? '—'} | ${r.journalWritesPerSecond ?? '—'} | ${r.statusBytes === undefined ? '—' : `${round(r.statusBytes / 1024)} KiB`} | ${r.peakRssMiB === undefined ? '—' : `${r.peakRssMiB} MiB`} | ${r.loadAverage1m} |`),
    '',
    `HookRun ÷ CLI (exec window hooks/s, each HookRun round against the CLI rounds beside it): ${summary.ratios.join(', ') || '— (no CLI rounds)'}. Controller peak RSS ${summary.controllerPeakRssMiB} MiB (whole life). Pod watches opened by the controller: ${summary.podWatches}.`,
    '',
    ...(summary.controllerMemory === undefined ? [] : ['Controller memory at its RSS peak (MiB; heap probe): `' + JSON.stringify(summary.controllerMemory) + '`', '']),
  ];
  return lines.join('\n');
}

/** Reads `aborted` afresh (TypeScript keeps an earlier narrowing across awaits). */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}
