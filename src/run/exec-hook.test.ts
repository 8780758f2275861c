import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlannedHook } from '../model/plan.ts';
import { execHook } from './exec-hook.ts';
import { plannedHook } from '../testing/run-fakes.ts';
import type { ExecRequest, PodExecutor } from './ports.ts';
import { resolveExecTimeoutMs } from '../velero/rules.ts';

const H = 3_600_000;

function hook(execTimeoutMs: number): PlannedHook {
  return plannedHook({ namespace: 'ns', pod: 'p', container: 'c', name: 'h', phase: 'pre', command: ['true'], execTimeoutMs });
}

/** Records what the runner asks for and exits 0. */
class RecordingExecutor implements PodExecutor {
  readonly requests: ExecRequest[] = [];
  exec(request: ExecRequest): ReturnType<PodExecutor['exec']> {
    this.requests.push(request);
    return Promise.resolve({ kind: 'exited', exitCode: 0, message: '', stdout: '', stderr: '', truncated: false, startedAt: new Date(0), durationMs: 0 });
  }
}

void describe('execHook applies the plan\'s exec-timeout rule (one resolver for plan and run)', () => {
  // A plan built by hand (library use) may carry any number; the runner must read it as plan does.
  const cases: [string, number, number][] = [
    ['planned 10s', 10_000, 10_000],
    ['unresolved 0 → 30s', 0, 30_000],
    ['negative → 30s', -1, 30_000],
    ['NaN → 30s', Number.NaN, 30_000],
    ['above 4h → 4h', 5 * H, 4 * H],
    ['Infinity → 4h, as plan resolves it (was 30s in the runner)', Number.POSITIVE_INFINITY, 4 * H],
  ];
  for (const [name, planned, want] of cases) {
    void it(name, async () => {
      const executor = new RecordingExecutor();
      const recorded = await execHook(
        hook(planned),
        { executor, limit: (fn) => fn(), maxOutputBytes: 0 },
        { signal: new AbortController().signal, stopCause: () => undefined, stillWanted: () => true, onStart: () => undefined },
      );
      assert.equal(recorded?.result.status, 'succeeded');
      assert.deepEqual(executor.requests.map((r) => r.timeoutMs), [want]);
      assert.equal(want, resolveExecTimeoutMs(planned));
    });
  }
});
