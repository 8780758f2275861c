/**
 * A preload for the process under bench (`node --import=<this file's URL> dist/kubehooks.cjs …`):
 * records where the process's memory is while it runs, and can take one V8 heap snapshot.
 * Plain JavaScript on purpose: a .ts preload would load Node's type stripper into the measured
 * process (tens of MiB of RSS that users of the npm package never have).
 *
 * Environment:
 *   KUBEHOOKS_HEAP_PROBE=FILE            write the record (JSON, below) to FILE when the process exits
 *   KUBEHOOKS_HEAP_PROBE_MS=100          sampling period
 *   KUBEHOOKS_HEAP_SNAPSHOT=FILE         also write one .heapsnapshot to FILE …
 *   KUBEHOOKS_HEAP_SNAPSHOT_AT=exit      … when the process exits (what is still held at the end: the report),
 *                              rss:MIB   … or the first time RSS reaches MIB MiB,
 *                              heap:MIB  … or the first time V8's used heap reaches MIB MiB
 *   (a snapshot forces a full GC first, so it holds live objects only; it pauses the process and
 *   costs memory itself, so the record's peaks are those sampled before it)
 *
 * The record: the sample at the highest RSS (RSS split by /proc/self/status into anonymous and
 * file-backed pages, V8's heap statistics and spaces, Node's memoryUsage), the highest value of
 * each figure over the run, V8 garbage collections by kind (count, pause ms), RSS by kind of mapping
 * at exit (smapsAtExit) and a thinned series.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { PerformanceObserver, constants as perf, performance } from 'node:perf_hooks';
import { setInterval } from 'node:timers';
import v8 from 'node:v8';

const out = process.env.KUBEHOOKS_HEAP_PROBE;
const snapshotFile = process.env.KUBEHOOKS_HEAP_SNAPSHOT;
const snapshotAt = process.env.KUBEHOOKS_HEAP_SNAPSHOT_AT ?? 'exit';
const periodMs = Number(process.env.KUBEHOOKS_HEAP_PROBE_MS ?? '100');
const MiB = 1024 * 1024;
const t0 = performance.now();

/** VmRSS, RssAnon, RssFile, RssShmem of this process in MiB (Linux; zeros elsewhere). */
function status() {
  let text = '';
  try {
    text = readFileSync('/proc/self/status', 'utf8');
  } catch {
    // not Linux: memoryUsage().rss still says the total
  }
  const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) / 1024;
  return { rssAnon: kib('RssAnon'), rssFile: kib('RssFile'), rssShmem: kib('RssShmem'), hwm: kib('VmHWM') };
}

const r1 = (x) => Math.round(x * 10) / 10;

/**
 * RSS by kind of mapping (/proc/self/smaps; Linux), MiB: the node binary, V8's heap pages (256 KiB
 * anonymous maps), glibc's main arena ([heap]) and thread arenas (anonymous maps on a 64 MiB
 * boundary), other anonymous maps (V8 large objects, mmap'd allocations, stacks), other files.
 * Read once, at exit (RSS stays at its peak: neither V8 nor glibc give much back).
 */
function smapsByKind() {
  let text;
  try {
    text = readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    return null;
  }
  const kib = {};
  let kind = 'other';
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m !== null) {
      const start = BigInt(`0x${m[1]}`);
      const size = BigInt(`0x${m[2]}`) - start;
      const name = m[3].trim();
      if (name === '') {
        if (start % 67108864n === 0n && size <= 67108864n) kind = 'mallocThreadArenas';
        else if (size === 262144n) kind = 'v8HeapPages';
        else kind = 'otherAnonymous';
      } else if (name === process.execPath || name.endsWith('/node')) kind = 'nodeBinary';
      else if (name === '[heap]') kind = 'mallocMainArena';
      else if (name === '[stack]') kind = 'stack';
      else kind = 'otherFiles';
      continue;
    }
    if (line.startsWith('Rss:')) kib[kind] = (kib[kind] ?? 0) + Number(line.split(/\s+/)[1]);
  }
  return Object.fromEntries(Object.entries(kib).map(([k, v]) => [k, r1(v / 1024)]));
}

function sample() {
  const m = process.memoryUsage();
  const h = v8.getHeapStatistics();
  const spaces = {};
  for (const s of v8.getHeapSpaceStatistics()) {
    spaces[s.space_name] = {
      used: r1(s.space_used_size / MiB),
      size: r1(s.space_size / MiB),
      physical: r1(s.physical_space_size / MiB),
    };
  }
  return {
    ms: Math.round(performance.now() - t0),
    rss: r1(m.rss / MiB),
    ...Object.fromEntries(Object.entries(status()).map(([k, v]) => [k, r1(v)])),
    heapUsed: r1(m.heapUsed / MiB),
    heapTotal: r1(m.heapTotal / MiB),
    heapPhysical: r1(h.total_physical_size / MiB),
    external: r1(m.external / MiB),
    arrayBuffers: r1(m.arrayBuffers / MiB),
    malloced: r1(h.malloced_memory / MiB),
    spaces,
  };
}

const gc = {};
const kinds = {
  [perf.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [perf.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [perf.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [perf.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = kinds[e.detail?.kind] ?? 'other';
    const g = (gc[kind] ??= { count: 0, pauseMs: 0 });
    g.count++;
    g.pauseMs += e.duration;
  }
});
observer.observe({ entryTypes: ['gc'] });

let peak = sample();
const max = {};
const series = [];
let snapshotTaken;

function track(s) {
  if (s.rss > peak.rss) peak = s;
  for (const [k, v] of Object.entries(s))
    if (typeof v === 'number' && k !== 'ms') max[k] = Math.max(max[k] ?? 0, v);
  series.push([s.ms, s.rss, s.heapUsed, s.heapTotal]);
}

function snapshot(why) {
  if (snapshotFile === undefined || snapshotTaken !== undefined) return;
  // The kernel's peak RSS so far: the snapshot itself costs about the heap's size again.
  const peakRssBeforeMiB = r1(status().hwm);
  const before = performance.now();
  v8.writeHeapSnapshot(snapshotFile);
  snapshotTaken = {
    why,
    peakRssBeforeMiB,
    atMs: Math.round(before - t0),
    tookMs: Math.round(performance.now() - before),
    file: snapshotFile,
  };
}

const threshold = /^(rss|heap):(\d+(?:\.\d+)?)$/.exec(snapshotAt);
if (snapshotAt !== 'exit' && threshold === null) {
  process.stderr.write(
    `heap-probe: KUBEHOOKS_HEAP_SNAPSHOT_AT must be exit, rss:MIB or heap:MIB, not "${snapshotAt}"\n`,
  );
}

const timer = setInterval(() => {
  const s = sample();
  track(s);
  if (threshold !== null && snapshotTaken === undefined) {
    const value = threshold[1] === 'rss' ? s.rss : s.heapUsed;
    if (value >= Number(threshold[2])) snapshot(`${threshold[1]} ${value} MiB ≥ ${threshold[2]} MiB`);
  }
}, periodMs);
timer.unref();

process.on('exit', (code) => {
  track(sample());
  const smaps = smapsByKind();
  observer.disconnect();
  if (snapshotAt === 'exit') snapshot('exit');
  if (out === undefined) return;
  const step = Math.max(1, Math.ceil(series.length / 120));
  const record = {
    exitCode: code,
    periodMs,
    node: process.version,
    execArgv: process.execArgv,
    nodeOptions: process.env.NODE_OPTIONS ?? '',
    heapSizeLimitMiB: r1(v8.getHeapStatistics().heap_size_limit / MiB),
    // The kernel's peak, which includes the snapshot's own memory when one was taken.
    kernelMaxRssMiB: r1(process.resourceUsage().maxRSS / 1024),
    atPeakRss: peak,
    smapsAtExit: smaps,
    max,
    gc: Object.fromEntries(
      Object.entries(gc).map(([k, g]) => [k, { count: g.count, pauseMs: Math.round(g.pauseMs) }]),
    ),
    snapshot: snapshotTaken ?? null,
    series: series.filter((_, i) => i % step === 0 || i === series.length - 1),
  };
  try {
    writeFileSync(out, `${JSON.stringify(record)}\n`);
  } catch (e) {
    process.stderr.write(`heap-probe: cannot write ${out}: ${String(e)}\n`);
  }
});
