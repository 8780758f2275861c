import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alternationMemoryRows, probeDigest } from './memory.ts';
import type { ProbeRecord } from './memory.ts';

const record: ProbeRecord = {
  exitCode: 0,
  execArgv: ['--optimize-for-size', '--import=file:///x/heap-probe.js'],
  nodeOptions: '',
  heapSizeLimitMiB: 4144,
  kernelMaxRssMiB: 104.2,
  atPeakRss: {
    ms: 1000,
    rss: 104,
    rssAnon: 57.04,
    rssFile: 47,
    heapUsed: 30.26,
    heapTotal: 40,
    heapPhysical: 35,
    external: 3,
    arrayBuffers: 1,
    malloced: 2,
    spaces: { new_space: { used: 1, size: 2, physical: 2.04 }, old_space: { used: 20, size: 24, physical: 22.96 } },
  },
  smapsAtExit: { nodeBinary: 47, mallocThreadArenas: 2.2 },
  max: { heapUsed: 41.33 },
  gc: { minor: { count: 500, pauseMs: 9000.4 }, major: { count: 18, pauseMs: 300 } },
  snapshot: null,
  series: [],
};

void describe('probeDigest', () => {
  void it('keeps the figures at the RSS peak, native = anonymous − V8 pages, and drops the probe from execArgv', () => {
    const d = probeDigest(record);
    assert.deepEqual(d.execArgv, ['--optimize-for-size']);
    assert.equal(d.newSpace, 2);
    assert.equal(d.oldSpace, 23);
    assert.equal(d.native, 22);
    assert.equal(d.rssAnon, 57);
    assert.equal(d.maxHeapUsed, 41.3);
    assert.equal(d.smapsAtExit?.['mallocThreadArenas'], 2.2);
  });
});

void describe('alternationMemoryRows', () => {
  const run = (round: number, variant: string, peakRssMiB: number, cpuPerHookMs: number, heap = true) => ({
    round,
    variant,
    peakRssMiB,
    figures: { cpuPerHookMs, hooksPerSecond: 100 },
    loadAverage1m: 3,
    ...(heap ? { heap: probeDigest(record) } : {}),
  });
  void it('a row per run in order, then the median per variant', () => {
    const rows = alternationMemoryRows(1000, [run(1, 'main', 170, 5), run(1, 'both', 104, 6), run(2, 'both', 110, 7), run(2, 'main', 174, 4)]);
    assert.equal(rows.length, 6);
    assert.match(rows[0] ?? '', /^\| 1000 \| 1 \| main \| \*\*170\*\* \| 47\.0 \/ 57\.0 \| 30\.3 \(41\.3\) \| 2\.0 \| 23\.0 \| 22\.0 \| 2\.2 \| 500 \/ 18 \(9300\) \| 5\.0 \|/);
    assert.match(rows[4] ?? '', /^\| 1000 \| median of 2 \| main \| \*\*172\*\* \|.*\| 4\.5 \| 100 \| \|$/);
    assert.match(rows[5] ?? '', /^\| 1000 \| median of 2 \| both \| \*\*107\*\* \|.*\| 6\.5 \|/);
  });
  void it('a run without a probe record shows dashes, not zeros', () => {
    const [row] = alternationMemoryRows(3000, [run(1, 'main', 200, 4, false)]);
    assert.match(row ?? '', /\| \*\*200\*\* \| — \/ — \| — \(—\) \| — \| — \| — \| — \| — \|/);
  });
});
