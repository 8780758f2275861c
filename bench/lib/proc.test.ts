import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isSameProcess, procStat } from '../../src/testing/process-tree.ts';
import { runMeasured } from './proc.ts';

/** Prints the PID of a background grandchild, then waits for it (a command that started a helper). */
const WITH_GRANDCHILD = 'sleep 300 & echo $!; wait';

async function gone(pid: number, start: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isSameProcess(pid, start) && Date.now() < deadline) await sleep(25);
  return !isSameProcess(pid, start);
}

void describe('runMeasured', () => {
  const cases: readonly { name: string; script: string; deadlineMs: number; want: { code: number | null; signal: NodeJS.Signals | null; timedOut: boolean } }[] = [
    { name: 'exits by itself: its exit code and output', script: 'echo out; echo err >&2; exit 3', deadlineMs: 10_000, want: { code: 3, signal: null, timedOut: false } },
    // Before it was owned, the deadline signalled the shell alone: the sleep kept running and, holding
    // the pipes, kept the run from ever resolving.
    { name: 'at the deadline: the process and what it started are stopped', script: WITH_GRANDCHILD, deadlineMs: 500, want: { code: null, signal: 'SIGTERM', timedOut: true } },
  ];
  for (const c of cases) {
    void it(c.name, { timeout: 30_000 }, async () => {
      let grandchild: { pid: number; start: number } | undefined;
      const measured = await runMeasured('/bin/sh', ['-c', c.script], { deadlineMs: c.deadlineMs, sampleMs: 20 });
      const first = Number(measured.stdout.split('\n')[0]);
      if (c.script === WITH_GRANDCHILD) grandchild = { pid: first, start: procStat(first)?.start ?? -1 };
      assert.deepEqual({ code: measured.code, signal: measured.signal, timedOut: measured.timedOut }, c.want, measured.stderr);
      if (grandchild !== undefined) assert.ok(await gone(grandchild.pid, grandchild.start, 5_000), `grandchild ${grandchild.pid} still running`);
      else assert.deepEqual([measured.stdout, measured.stderr], ['out\n', 'err\n']);
      assert.ok(measured.pid > 0);
    });
  }
});
