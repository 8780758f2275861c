/** The floor's report parsing and kubehooks' ratios to it (pure). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { execFigures, floorExecs, parseFloorReport, ratiosToFloor } from './floor.ts';

void describe('floor', () => {
  void it('reads the floor report and keeps only executions that started', () => {
    const report = parseFloorReport(
      JSON.stringify({
        transport: 'websocket',
        concurrency: 2,
        hooks: 3,
        failed: 1,
        wallMs: 50,
        results: [
          { startedAt: '2026-12-01T00:00:00.000Z', durationMs: 10 },
          { startedAt: '2026-12-01T00:00:00.010Z', durationMs: 30 },
          { startedAt: '', durationMs: 0, error: 'context canceled' },
        ],
      }),
    );
    const execs = floorExecs(report);
    assert.equal(execs.length, 2);
    assert.deepEqual(execs[1], [Date.parse('2026-12-01T00:00:00.010Z'), 30]);
  });

  void it('rejects a report without results', () => {
    assert.throws(() => parseFloorReport('{"transport":"spdy"}'), /without hooks/);
  });

  void it('computes rates over wall time and over the exec window, CPU per hook and exec percentiles', () => {
    const f = execFigures([[0, 100], [100, 100], [150, 250]], 2000, 0.006);
    assert.equal(f.hooksPerSecond, 1.5);
    assert.equal(f.execWindowHooksPerSecond, 7.5); // 3 hooks over 0..400 ms
    assert.equal(f.cpuPerHookMs, 2);
    assert.equal(f.perExecMs.p99, 250);
  });

  void it('divides kubehooks by the floor: throughput above 1 is faster, CPU above 1 costs more', () => {
    const kube = execFigures([[0, 20], [20, 20]], 1000, 0.008);
    const floor = { ...execFigures([[0, 10], [10, 10], [20, 10], [30, 10]], 1000, 0.004), transport: 'websocket' as const };
    const r = ratiosToFloor(kube, floor);
    assert.equal(r.hooksPerSecond, 0.5);
    assert.equal(r.cpuPerHook, 4);
    assert.equal(r.perExecP99, 2);
    assert.equal(r.transport, 'websocket');
  });

  void it('gives NaN rather than Infinity when the floor ran nothing', () => {
    const kube = execFigures([[0, 20]], 1000, 0.001);
    const floor = { ...execFigures([], 1000, 0), transport: 'spdy' as const };
    assert.ok(Number.isNaN(ratiosToFloor(kube, floor).cpuPerHook));
  });
});
