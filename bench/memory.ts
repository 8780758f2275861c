/**
 * Memory of the kubehooks process under bench (issue 18 part 4; bench/README.md, "Memory").
 *
 *   node bench/memory.ts RESULTS.json [RESULTS.json …]     the memory table of bench results
 *
 * and the pieces bench/run.ts uses for it:
 *   - packBuild(): `npm pack` of this checkout (prepack runs `npm run build`), unpacked into a temp
 *     dir: the bench then runs package/dist/kubehooks.cjs, the command `npm i -g kubehooks`
 *     installs, instead of bin/kubehooks.js, whose type stripping costs the checkout tens of MiB
 *     of RSS users never pay (`npm run bench -- --package`);
 *   - probe(): the Node flag and environment that load bench/lib/heap-probe.js into the measured
 *     process (`--heap-probe`, optionally `--heap-snapshot A,B --heap-snapshot-at exit|rss:MIB`),
 *     and readProbe() for its record.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const REPO = resolve(import.meta.dirname, '..');
const PROBE = join(REPO, 'bench', 'lib', 'heap-probe.js');

/** The temp dirs packBuild made in this process (removed by removePackBuilds). */
const packDirs = new Set<string>();

/** Removes every package packBuild unpacked in this process (call once the processes using them have ended). */
export function removePackBuilds(): void {
  for (const dir of packDirs) rmSync(dir, { recursive: true, force: true });
  packDirs.clear();
}

/** Packs a checkout (this one by default) and unpacks it; returns the package's command and the tarball. */
export function packBuild(
  checkout: string,
  log: (line: string) => void,
): { bin: string; tarball: string; dir: string } {
  const dir = mkdtempSync(join(os.tmpdir(), 'kubehooks-bench-package-'));
  packDirs.add(dir);
  log(`package: npm pack of ${checkout} (npm run build) into ${dir}`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // npm runs prepack with the node on PATH: put ours (Node 22) first.
  const env = { ...process.env, PATH: `${resolve(process.execPath, '..')}:${process.env['PATH'] ?? ''}` };
  execFileSync(npm, ['pack', '--silent', '--pack-destination', dir], {
    cwd: checkout,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 900_000,
  });
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (tarball === undefined) throw new Error(`npm pack left no .tgz in ${dir}`);
  execFileSync('tar', ['-xzf', join(dir, tarball), '-C', dir], { timeout: 120_000 });
  const bin = join(dir, 'package', 'dist', 'kubehooks.cjs');
  if (!existsSync(bin)) throw new Error(`the package has no dist/kubehooks.cjs (${join(dir, tarball)})`);
  return { bin, tarball: join(dir, tarball), dir };
}

export interface ProbeOptions {
  /** Where the probe writes its record. */
  readonly out: string;
  /** A .heapsnapshot to write, and when (exit, rss:MIB, heap:MIB). */
  readonly snapshot?: { readonly file: string; readonly at: string } | undefined;
}

/** Node flags and environment for a process with the heap probe. */
export function probe(options: ProbeOptions): { nodeFlags: string[]; env: Record<string, string> } {
  const env: Record<string, string> = { KUBEHOOKS_HEAP_PROBE: options.out };
  if (options.snapshot !== undefined) {
    env['KUBEHOOKS_HEAP_SNAPSHOT'] = options.snapshot.file;
    env['KUBEHOOKS_HEAP_SNAPSHOT_AT'] = options.snapshot.at;
  }
  return { nodeFlags: [`--import=${pathToFileURL(PROBE).href}`], env };
}

/** One sample of the probe (MiB). */
export interface ProbeSample {
  readonly ms: number;
  readonly rss: number;
  readonly rssAnon: number;
  readonly rssFile: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly heapPhysical: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly malloced: number;
  readonly spaces: Readonly<
    Record<string, { readonly used: number; readonly size: number; readonly physical: number }>
  >;
}

/** bench/lib/heap-probe.js's record. */
export interface ProbeRecord {
  readonly exitCode: number;
  readonly execArgv: readonly string[];
  readonly nodeOptions: string;
  readonly heapSizeLimitMiB: number;
  readonly kernelMaxRssMiB: number;
  readonly atPeakRss: ProbeSample;
  /** RSS by kind of mapping at exit (MiB): nodeBinary, v8HeapPages, mallocMainArena, mallocThreadArenas, otherAnonymous, otherFiles. */
  readonly smapsAtExit?: Readonly<Record<string, number>> | null;
  readonly max: Readonly<Record<string, number>>;
  readonly gc: Readonly<Record<string, { readonly count: number; readonly pauseMs: number }>>;
  readonly snapshot: {
    readonly why: string;
    readonly atMs: number;
    readonly tookMs: number;
    readonly file: string;
    /** VmHWM just before the snapshot (the snapshot itself costs about the heap's size again). */
    readonly peakRssBeforeMiB: number;
  } | null;
  readonly series: readonly (readonly [number, number, number, number])[];
}

export function readProbe(file: string): ProbeRecord | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ProbeRecord;
  } catch {
    return undefined;
  }
}

/** A probe record in a few figures (MiB), for each --alternate run (the JSON stays small). */
export interface ProbeDigest {
  readonly execArgv: readonly string[];
  readonly heapSizeLimitMiB: number;
  readonly kernelMaxRssMiB: number;
  /** At the sample with the highest RSS. */
  readonly rssFile: number;
  readonly rssAnon: number;
  readonly heapUsed: number;
  readonly newSpace: number;
  readonly oldSpace: number;
  /** Anonymous RSS minus V8's heap pages: glibc's arenas, V8's zones, buffers. */
  readonly native: number;
  readonly maxHeapUsed: number;
  readonly gc: ProbeRecord['gc'];
  readonly smapsAtExit: Readonly<Record<string, number>> | null;
}

const r1 = (x: number): number => Math.round(x * 10) / 10;

export function probeDigest(record: ProbeRecord): ProbeDigest {
  const at = record.atPeakRss;
  return {
    execArgv: record.execArgv.filter((x) => !x.startsWith('--import=')),
    heapSizeLimitMiB: record.heapSizeLimitMiB,
    kernelMaxRssMiB: record.kernelMaxRssMiB,
    rssFile: r1(at.rssFile),
    rssAnon: r1(at.rssAnon),
    heapUsed: r1(at.heapUsed),
    newSpace: r1(at.spaces['new_space']?.physical ?? Number.NaN),
    oldSpace: r1(at.spaces['old_space']?.physical ?? Number.NaN),
    native: r1(at.rssAnon - at.heapPhysical),
    maxHeapUsed: r1(record.max['heapUsed'] ?? Number.NaN),
    gc: record.gc,
    smapsAtExit: record.smapsAtExit ?? null,
  };
}

/** An --alternate run as the memory table needs it (bench/run.ts's AlternateRun). */
export interface AlternateMemory {
  readonly round: number;
  readonly variant: string;
  readonly peakRssMiB: number;
  readonly figures: { readonly cpuPerHookMs: number; readonly hooksPerSecond: number };
  readonly loadAverage1m: number;
  readonly heap?: ProbeDigest | undefined;
}

export const ALTERNATION_MEMORY_HEADER = [
  '| N | round | variant | peak RSS MiB | at the peak: file-backed / anonymous | V8 heap used (max) | new space | old space | native | thread arenas at exit | GCs minor / major (pause ms) | CPU ms/hook | hooks/s | load 1 min |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
];

/** One row per --alternate run, in the order they ran, then the median peak RSS and CPU per hook per variant. */
export function alternationMemoryRows(pods: number, runs: readonly AlternateMemory[]): string[] {
  const rows = runs.map((a) => {
    const h = a.heap;
    const gc = h === undefined ? '—' : `${h.gc['minor']?.count ?? 0} / ${h.gc['major']?.count ?? 0} (${Math.round((h.gc['minor']?.pauseMs ?? 0) + (h.gc['major']?.pauseMs ?? 0))})`;
    return (
      `| ${pods} | ${a.round} | ${a.variant} | **${f1(a.peakRssMiB)}** | ${f1(h?.rssFile)} / ${f1(h?.rssAnon)} | ${f1(h?.heapUsed)} (${f1(h?.maxHeapUsed)}) | ` +
      `${f1(h?.newSpace)} | ${f1(h?.oldSpace)} | ${f1(h?.native)} | ${f1(h?.smapsAtExit?.['mallocThreadArenas'])} | ${gc} | ${f1(a.figures.cpuPerHookMs)} | ${f1(a.figures.hooksPerSecond)} | ${f1(a.loadAverage1m)} |`
    );
  });
  const median = (xs: readonly number[]): number => {
    const v = [...xs].sort((x, y) => x - y);
    const m = v.length >> 1;
    return v.length === 0 ? Number.NaN : v.length % 2 === 1 ? (v[m] ?? Number.NaN) : ((v[m - 1] ?? Number.NaN) + (v[m] ?? Number.NaN)) / 2;
  };
  for (const label of [...new Set(runs.map((a) => a.variant))]) {
    const mine = runs.filter((a) => a.variant === label);
    rows.push(
      `| ${pods} | median of ${mine.length} | ${label} | **${f1(median(mine.map((a) => a.peakRssMiB)))}** | | | | | | | | ${f1(median(mine.map((a) => a.figures.cpuPerHookMs)))} | ${f1(median(mine.map((a) => a.figures.hooksPerSecond)))} | |`,
    );
  }
  return rows;
}

// ---------- the table ----------

interface PhaseJson {
  readonly measured: { readonly peakRssKiB: number; readonly wallMs: number };
  readonly cpuSeconds: Readonly<Record<string, number>>;
  readonly statuses: Readonly<Record<string, number>>;
  readonly heap?: ProbeRecord | undefined;
}

interface ResultsJson {
  readonly versions: { readonly kubehooks: string; readonly kubehooksBuild?: string };
  readonly parameters: { readonly kubehooksNodeFlags: readonly string[] };
  readonly runs: readonly {
    readonly pods: number;
    readonly hooks: number;
    readonly latency: PhaseJson;
    readonly throughput: PhaseJson;
  }[];
}

const f1 = (x: number | undefined): string =>
  x === undefined || Number.isNaN(x) ? '—' : x.toFixed(Math.abs(x) >= 100 ? 0 : 1);

/** One row per run and phase: what the peak RSS was made of, from the probe's sample at that peak. */
export function memoryRows(label: string, results: ResultsJson): string[] {
  const rows: string[] = [];
  for (const run of results.runs) {
    for (const [phase, p] of [
      ['A', run.latency],
      ['B', run.throughput],
    ] as const) {
      const h = p.heap;
      const at = h?.atPeakRss;
      const s = at?.spaces ?? {};
      const hooks = Object.values(p.statuses).reduce((a, b) => a + b, 0);
      const cpuMs = ((p.cpuSeconds['kubehooks'] ?? Number.NaN) * 1000) / Math.max(1, hooks);
      const load = `${f1(p.cpuSeconds['loadAverage1mAtStart'])}–${f1(p.cpuSeconds['loadAverage1mAtEnd'])}`;
      const gc =
        h === undefined
          ? '—'
          : `${h.gc['minor']?.count ?? 0} / ${h.gc['major']?.count ?? 0} (${(h.gc['minor']?.pauseMs ?? 0) + (h.gc['major']?.pauseMs ?? 0)} ms)`;
      rows.push(
        `| ${label} | ${run.pods} | ${phase} | **${f1(p.measured.peakRssKiB / 1024)}** | ${f1(at?.rssFile)} / ${f1(at?.rssAnon)} | ${f1(at?.heapUsed)} (max ${f1(h?.max['heapUsed'])}) | ` +
          `${f1(s['new_space']?.physical)} | ${f1(s['old_space']?.physical)} | ${f1((s['code_space']?.physical ?? 0) + (s['large_object_space']?.physical ?? 0) + (s['trusted_space']?.physical ?? 0))} | ` +
          `${f1(at === undefined ? undefined : at.rssAnon - at.heapPhysical)} | ${f1(at?.external)} | ${gc} | ${f1(cpuMs)} | ${load} |`,
      );
    }
  }
  return rows;
}

export const MEMORY_HEADER = [
  '| build, flags | N | phase | peak RSS MiB | at the peak: file-backed / anonymous | V8 heap used (max) | new space | old space | code + large + trusted | anonymous − V8 heap (native) | external | GCs minor / major (pause) | CPU ms/hook | load 1 min |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
];

if (import.meta.main) {
  const files = process.argv.slice(2);
  if (files.length === 0 || files.includes('--help') || files.includes('-h')) {
    process.stdout.write(
      'usage: node bench/memory.ts RESULTS.json [RESULTS.json …]   (results of npm run bench -- --heap-probe)\n',
    );
    process.exit(files.length === 0 ? 2 : 0);
  }
  const lines = [...MEMORY_HEADER];
  for (const file of files) {
    const results = JSON.parse(readFileSync(file, 'utf8')) as ResultsJson;
    const flags = results.parameters.kubehooksNodeFlags.filter((x) => !x.startsWith('--import=')).join(' ');
    lines.push(
      ...memoryRows(
        `${results.versions.kubehooks} ${results.versions.kubehooksBuild ?? ''}${flags === '' ? '' : ` ${flags}`}`.trim(),
        results,
      ),
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}
