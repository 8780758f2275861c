import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HookResult, RunReport } from '../model/result.ts';
import { ProgressLine, formatProgress } from './progress-line.ts';
import { renderRunJson } from './run-json.ts';
import { renderRunText } from './run-text.ts';

const base: HookResult = {
  namespace: 'db',
  pod: 'postgres-0',
  container: 'postgres',
  source: 'annotation',
  name: '<from-annotation>',
  phase: 'pre',
  index: 0,
  status: 'succeeded',
  exitCode: 0,
  stdout: 'froze\n',
  stderr: '',
  truncated: false,
  startedAt: '2026-11-25T12:00:00.000Z',
  durationMs: 12,
  reason: null,
};
const report: RunReport = {
  summary: { attempted: 3, failed: 2 },
  results: [
    base,
    { ...base, source: 'spec', name: 'app', index: 1, status: 'failed', exitCode: 3, stdout: '', stderr: 'l1\nl2\nl3\nl4\nl5\nl6\n', reason: 'command terminated with exit code 3', reasonCode: 'non-zero-exit', durationMs: 1500 },
    { ...base, name: 'w', status: 'timed-out', exitCode: null, stdout: '', startedAt: null, durationMs: null, reason: 'not executed: container postgres was not running within the wait timeout (1s)', reasonCode: 'wait-timeout' },
  ],
};

void describe('run report renderers', () => {
  void it('JSON follows the contract: summary then results with every field in order', () => {
    const parsed = JSON.parse(renderRunJson(report)) as { summary: unknown; results: Record<string, unknown>[] };
    assert.deepEqual(parsed.summary, { attempted: 3, failed: 2 });
    assert.deepEqual(Object.keys(parsed.results[0] ?? {}), [
      'namespace', 'pod', 'container', 'source', 'name', 'phase', 'index', 'status', 'exitCode', 'stdout', 'stderr', 'truncated', 'startedAt', 'durationMs', 'reason',
    ]);
    assert.equal(parsed.results[1]?.['reasonCode'], 'non-zero-exit');
  });

  void it('JSON without output blanks stdout/stderr', () => {
    const parsed = JSON.parse(renderRunJson(report, { omitOutput: true })) as { results: { stdout: string; stderr: string }[] };
    assert.ok(parsed.results.every((r) => r.stdout === '' && r.stderr === ''));
  });

  void it('text: a table, excerpts of failed output (last lines), and the counts', () => {
    const text = renderRunText(report);
    const lines = text.split('\n');
    assert.match(lines[0] ?? '', /^STATUS\s+POD\s+CONTAINER\s+HOOK\s+DURATION\s+REASON$/);
    assert.match(text, /succeeded\s+db\/postgres-0\s+postgres\s+<from-annotation>#0\s+12ms/);
    assert.match(text, /failed\s+db\/postgres-0\s+postgres\s+app#1\s+1\.5s\s+command terminated with exit code 3/);
    assert.match(text, /stderr \(last 5 lines\):\n {6}l2\n/);
    assert.doesNotMatch(text, /stdout \(/);
    assert.match(text, /Hooks attempted: 3, failed: 2 \(1 succeeded, 1 failed, 1 timed-out\)\n$/);
    assert.doesNotMatch(renderRunText(report, { omitOutput: true }), /stderr/);
  });

  void it('text: empty report', () => {
    assert.equal(renderRunText({ summary: { attempted: 0, failed: 0 }, results: [] }), 'No hooks to run.\n\nHooks attempted: 0, failed: 0\n');
  });
});

void describe('progress line', () => {
  const progress = { total: 4, waiting: 2, running: 1, done: 1, failed: 0 };
  const sink = (isTTY: boolean): { isTTY: boolean; chunks: string[]; write: (c: string) => boolean } => {
    const chunks: string[] = [];
    return { isTTY, chunks, write: (c: string) => (chunks.push(c), true) };
  };

  void it('writes nothing when the stream is not a TTY', () => {
    const s = sink(false);
    const line = new ProgressLine(s);
    line.update(progress);
    line.end();
    assert.deepEqual(s.chunks, []);
  });

  void it('redraws on change, throttled, and clears at the end', () => {
    const s = sink(true);
    let now = 0;
    let trailing: (() => void) | undefined;
    const line = new ProgressLine(s, {
      intervalMs: 100,
      now: () => now,
      schedule: (fn) => {
        trailing = fn;
        return () => {
          trailing = undefined;
        };
      },
    });
    line.update(progress);
    line.update(progress); // unchanged: no redraw
    line.update({ ...progress, running: 0, done: 2 }); // too soon: held back
    assert.equal(s.chunks.length, 1);
    assert.ok(trailing !== undefined, 'a trailing redraw is scheduled');
    trailing();
    assert.match(s.chunks[1] ?? '', /hooks: 2\/4 done/);
    now = 250;
    line.update({ ...progress, running: 0, done: 3, waiting: 1 });
    assert.equal(s.chunks.length, 3);
    assert.match(s.chunks[2] ?? '', /hooks: 3\/4 done, 0 running, 1 waiting/);
    line.end();
    assert.equal(s.chunks.at(-1), '\r\x1b[2K');
    assert.equal(formatProgress({ ...progress, failed: 1 }), 'hooks: 1/4 done, 1 running, 2 waiting, 1 failed');
  });
});
