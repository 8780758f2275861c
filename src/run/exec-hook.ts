import type { PlannedHook } from '../model/plan.ts';
import type { HookResult } from '../model/result.ts';
import { goDurationText } from './duration-text.ts';
import type { ExecOutcome, PodExecutor } from './ports.ts';
import type { ReasonCode } from './reason-codes.ts';
import { hookResult } from './results.ts';
import { resolveExecTimeoutMs } from '../velero/rules.ts';

/** Runs `fn` when a slot is free (p-limit's call signature). */
export type Limiter = <T>(fn: () => Promise<T>) => Promise<T>;

/** Why the whole run stopped early. */
export type StopCause = 'deadline' | 'aborted';

export interface RecordedResult {
  readonly result: HookResult;
  /** Counts in `summary.failed`. */
  readonly failed: boolean;
}

/** Turns an executor outcome into the hook's result. */
export function resultFromOutcome(
  hook: PlannedHook,
  outcome: ExecOutcome,
  timeoutMs: number,
  stopCause: StopCause | undefined,
): RecordedResult {
  const output = {
    stdout: outcome.stdout,
    stderr: outcome.stderr,
    truncated: outcome.truncated,
    startedAt: outcome.startedAt.toISOString(),
    durationMs: Math.round(outcome.durationMs),
  };
  switch (outcome.kind) {
    case 'exited':
      if (outcome.exitCode === 0) {
        return { result: hookResult(hook, 'succeeded', undefined, null, { ...output, exitCode: 0 }), failed: false };
      }
      return {
        result: hookResult(hook, 'failed', 'non-zero-exit', `command terminated with exit code ${outcome.exitCode}`, {
          ...output,
          exitCode: outcome.exitCode,
        }),
        failed: true,
      };
    case 'timed-out':
      return {
        result: hookResult(hook, 'timed-out', 'exec-timeout', `timed out after ${goDurationText(timeoutMs)}`, output),
        failed: true,
      };
    case 'error': {
      if (outcome.code === 'aborted' || stopCause !== undefined) {
        if (stopCause === 'deadline') {
          return {
            result: hookResult(hook, 'timed-out', 'deadline', 'the run deadline passed while the command was running; the stream was closed', output),
            failed: true,
          };
        }
        return {
          result: hookResult(hook, 'failed', 'aborted', 'interrupted while the command was running; it may still finish in the container', output),
          failed: true,
        };
      }
      return { result: hookResult(hook, 'failed', execErrorReason(outcome.code), outcome.message, output), failed: true };
    }
  }
}

function execErrorReason(code: Exclude<ExecOutcome & { kind: 'error' }, never>['code']): ReasonCode {
  switch (code) {
    case 'pod-not-running':
      return 'container-not-running';
    default:
      return code;
  }
}

export interface ExecDeps {
  readonly executor: PodExecutor;
  readonly limit: Limiter;
  readonly maxOutputBytes: number;
}

/** The run's side of one exec: when to give up, and what to tell before the command starts. */
export interface ExecTurn {
  readonly signal: AbortSignal;
  readonly stopCause: () => StopCause | undefined;
  /** Checked once the slot is granted and again after `beforeExec`: false = do not start. */
  readonly stillWanted: () => boolean;
  /** Told once, before the hook is queued for its slot (a journal may record its start ahead). */
  readonly queued?: (() => void) | undefined;
  /** Awaited in the slot before the exec (a journal recording the start); a rejection propagates. */
  readonly beforeExec?: (() => Promise<void>) | undefined;
  /** The exec is being opened. */
  readonly onStart: () => void;
  /**
   * Told the outcome in the slot, before the slot is freed: the result is on record before the next
   * queued hook may start, so at most `concurrency` hooks are ever started without a result (a crash
   * leaves no more interrupted hooks than could run at once).
   */
  readonly onOutcome?: ((recorded: RecordedResult) => void) | undefined;
}

/**
 * Execs one hook in a limiter slot. A hook whose pod was stopped while queued (or while its start was
 * being recorded) is not started; then this returns undefined and the caller records why. An executor
 * that rejects (a bug: executors return outcomes) gives a failed `internal` result, told in the slot
 * like any other; a rejected `beforeExec` propagates (the hook did not start).
 */
export async function execHook(hook: PlannedHook, deps: ExecDeps, turn: ExecTurn): Promise<RecordedResult | undefined> {
  const { signal } = turn;
  turn.queued?.();
  return deps.limit(async () => {
    if (signal.aborted || !turn.stillWanted()) return undefined;
    if (turn.beforeExec !== undefined) {
      await turn.beforeExec();
      if (isAborted(signal) || !turn.stillWanted()) return undefined;
    }
    // A plan from the library may carry any number: the same rule as plan applies it again.
    const timeoutMs = resolveExecTimeoutMs(hook.execTimeoutMs);
    turn.onStart();
    let recorded: RecordedResult;
    try {
      const outcome = await deps.executor.exec({
        namespace: hook.namespace,
        pod: hook.pod,
        container: hook.container,
        command: hook.command,
        timeoutMs,
        maxOutputBytes: deps.maxOutputBytes,
        signal,
      });
      recorded = resultFromOutcome(hook, outcome, timeoutMs, isAborted(signal) ? turn.stopCause() : undefined);
    } catch (error) {
      recorded = { result: hookResult(hook, 'failed', 'internal', `executor error: ${String(error)}`), failed: true };
    }
    turn.onOutcome?.(recorded);
    return recorded;
  });
}

/** Read through a call so TypeScript does not narrow a flag that changes while we await. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}
