import type { PlannedHook } from '../model/plan.ts';
import type { HookResult, RunReport, RunSummary } from '../model/result.ts';
import { hookKey } from './hook-key.ts';
import { notRun } from './results.ts';

interface Entry {
  readonly hook: PlannedHook;
  result: HookResult | undefined;
  failed: boolean;
}

/**
 * Plan-then-record, with Velero's counting (velero-hooks.md §9): every distinct planned hook is
 * "attempted" from the start (duplicate keys collapse, as Velero's Add is a no-op for them); the first
 * recorded result wins; "failed" counts results recorded as failures. Unlike Velero, `finish` gives
 * every hook that never got a result one, so nothing is silently dropped.
 */
export class HookTracker {
  readonly #entries = new Map<string, Entry>();
  #recorded = 0;
  #failed = 0;

  constructor(hooks: readonly PlannedHook[]) {
    for (const hook of hooks) {
      const key = hookKey(hook);
      if (!this.#entries.has(key)) this.#entries.set(key, { hook, result: undefined, failed: false });
    }
  }

  /** Distinct planned hooks, in plan order. */
  get hooks(): readonly PlannedHook[] {
    return [...this.#entries.values()].map((e) => e.hook);
  }

  isRecorded(hook: PlannedHook): boolean {
    return this.#entries.get(hookKey(hook))?.result !== undefined;
  }

  get pendingCount(): number {
    return this.#entries.size - this.#recorded;
  }

  /**
   * Records a result; returns false (and changes nothing) when the hook already has one or was never
   * planned. `failed` defaults to "status is failed or timed-out"; not-run counts only when asked,
   * because Velero counts some not-run hooks as failed (restore) and others not (backup after Fail).
   */
  record(hook: PlannedHook, result: HookResult, failed = result.status === 'failed' || result.status === 'timed-out'): boolean {
    const entry = this.#entries.get(hookKey(hook));
    if (entry === undefined || entry.result !== undefined) return false;
    entry.result = result;
    entry.failed = failed;
    this.#recorded++;
    if (failed) this.#failed++;
    return true;
  }

  /** Gives every unrecorded hook a not-run result (counted as failed); returns how many. */
  finish(reasonCode: Parameters<typeof notRun>[1], reason: string): number {
    let n = 0;
    for (const entry of this.#entries.values()) {
      if (entry.result === undefined && this.record(entry.hook, notRun(entry.hook, reasonCode, reason), true)) n++;
    }
    return n;
  }

  summary(): RunSummary {
    return { attempted: this.#entries.size, failed: this.#failed };
  }

  /** Results in plan order. Call after `finish`; unrecorded hooks are reported as not-run/internal. */
  report(): RunReport {
    const results = [...this.#entries.values()].map(
      (e) => e.result ?? notRun(e.hook, 'internal', 'no result was recorded (bug in kubehooks)'),
    );
    return { summary: this.summary(), results };
  }
}
