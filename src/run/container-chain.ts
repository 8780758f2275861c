import type { PlannedHook } from '../model/plan.ts';
import { goDurationText } from './duration-text.ts';
import type { ReasonCode } from './reason-codes.ts';
import { hookResult, notRun } from './results.ts';
import type { RunSession } from './run-session.ts';

/**
 * `waiting`: the container is not up yet (its leading hooks may expire meanwhile); `running`: its
 * hooks are being executed in order; `done`: every hook has a result or is being finished by the
 * chain. Transitions: waiting → running (`start`), waiting → done (`expire` of the last hook,
 * `watchLost`, `stop`, `missing`), running → done (the loop ends). Nothing leaves `done`.
 */
export type ChainState = 'waiting' | 'running' | 'done';

/** What a chain needs from the pod it belongs to. */
export interface ChainPod {
  /** The pod's remaining hooks are being ended (deleted, terminated, a `Fail`): the chain stops. */
  readonly stopped: boolean;
  /** For the Events. */
  readonly uid: string | undefined;
  /** A hook of this chain failed (executed or expired): the pod applies its onError. */
  hookFailed(hook: PlannedHook): void;
}

/**
 * One container's post-restore hooks (velero-hooks.md §7.2/§7.3), as an explicit state machine.
 * Every transition is idempotent, so replayed or duplicate watch events never run a hook twice.
 */
export class ContainerChain {
  readonly name: string;
  readonly hooks: readonly PlannedHook[];
  /** Velero's UP rule is per container: Ready if any of its hooks asks for it (§7.2). */
  readonly waitForReady: boolean;
  readonly #session: RunSession;
  readonly #pod: ChainPod;
  /** Wait timeouts count from here (the start of the run; Velero: the start of the watch). */
  readonly #startMs: number;
  readonly #now: () => number;
  #state: ChainState = 'waiting';
  /** Index of the first hook the chain has not dealt with. */
  #next = 0;

  constructor(name: string, hooks: readonly PlannedHook[], session: RunSession, pod: ChainPod, clock: { readonly startMs: number; readonly now: () => number }) {
    this.name = name;
    this.hooks = hooks;
    this.waitForReady = hooks.some((h) => h.waitForReady);
    this.#session = session;
    this.#pod = pod;
    this.#startMs = clock.startMs;
    this.#now = clock.now;
  }

  get state(): ChainState {
    return this.#state;
  }

  /**
   * waiting → running: the container is up. Its hooks then run in order without checking Running/Ready
   * again (Velero checks UP once per event, then runs all the container's hooks), so a hook that makes
   * the readiness probe fail (a freeze) does not hold the next one (the thaw). The chain ends when the
   * pod stops, or on abort or the run deadline. A hook's wait timeout is checked when the chain reaches
   * it, as in Velero. The promise never rejects.
   */
  start(): Promise<void> {
    if (this.#state !== 'waiting') return Promise.resolve();
    this.#state = 'running';
    return this.#run().catch((error: unknown) => {
      // Not expected (the session never rejects); never leave the container's hooks pending.
      this.#state = 'done';
      this.#session.recorder.recordWaiting(
        this.hooks.slice(this.#next),
        (hook) => ({ result: hookResult(hook, 'failed', 'internal', `internal error: ${String(error)}`), failed: true }),
        this.#pod.uid,
      );
    });
  }

  /**
   * While waiting: the leading hooks whose wait timeout has passed, in order, become timed-out. Only the
   * leading ones, so a later hook never expires (and with `Fail` stops) an earlier one; the rest are
   * expired by a later timer or when the chain reaches them.
   */
  expire(): void {
    const { recorder } = this.#session;
    while (this.#state === 'waiting' && this.#next < this.hooks.length && !this.#podStopped()) {
      const hook = this.hooks[this.#next];
      if (hook === undefined) break;
      if (!recorder.isRecorded(hook)) {
        if (!this.#waitExpired(hook)) return;
        this.#expireHook(hook);
      }
      this.#next++;
    }
    if (this.#state === 'waiting' && this.#next >= this.hooks.length) this.#state = 'done';
  }

  /** While waiting: the watch is gone, so the container can no longer be seen to come up. */
  watchLost(reason: string): void {
    if (this.#state !== 'waiting') return;
    this.#session.recorder.recordWaiting(this.hooks.slice(this.#next), (hook) => ({ result: notRun(hook, 'watch-failed', reason), failed: true }), this.#pod.uid);
    this.#next = this.hooks.length;
    this.#state = 'done';
  }

  /**
   * Ends every remaining hook that is not running as not-run (counted as failed, as Velero's "not
   * executed: context canceled"). A running chain sees the stop at its next hook and ends.
   */
  stop(code: ReasonCode, reason: string): void {
    this.#session.recorder.recordWaiting(this.hooks.slice(this.#next), (hook) => ({ result: notRun(hook, code, reason), failed: true }), this.#pod.uid);
    if (this.#state !== 'running') this.#state = 'done';
  }

  /** The pod has no such target: every hook without a result fails; returns the first `Fail` among them. */
  missing(reason: string): PlannedHook | undefined {
    const { recorder } = this.#session;
    const failed = this.hooks.filter((h) => !recorder.isRecorded(h));
    for (const hook of failed) recorder.record(hook, { result: hookResult(hook, 'failed', 'no-such-container', reason), failed: true }, this.#pod.uid);
    this.#state = 'done';
    return failed.find((h) => h.onError === 'Fail');
  }

  async #run(): Promise<void> {
    const session = this.#session;
    while (this.#next < this.hooks.length) {
      const hook = this.hooks[this.#next];
      if (hook === undefined || this.#podStopped() || session.cause !== undefined) break;
      if (session.recorder.isRecorded(hook)) {
        this.#next++;
        continue;
      }
      if (this.#waitExpired(hook)) {
        this.#expireHook(hook);
        this.#next++;
        continue;
      }
      const recorded = await session.execute(hook, {
        podUid: this.#pod.uid,
        stillWanted: () => !this.#pod.stopped,
        onRecorded: (r) => {
          this.#next++;
          if (r.failed) this.#pod.hookFailed(hook);
        },
      });
      if (recorded === undefined) continue; // stopped or recorded while queued; the loop head decides
    }
    this.#state = 'done';
  }

  #waitExpired(hook: PlannedHook): boolean {
    return hook.waitTimeoutMs !== 0 && this.#now() - this.#startMs >= hook.waitTimeoutMs;
  }

  #expireHook(hook: PlannedHook): void {
    const reason = `not executed: container ${hook.container} was not ${hook.waitForReady ? 'ready' : 'running'} within the wait timeout (${goDurationText(hook.waitTimeoutMs)})`;
    this.#session.recorder.record(hook, { result: hookResult(hook, 'timed-out', 'wait-timeout', reason), failed: true }, this.#pod.uid);
    this.#pod.hookFailed(hook);
  }

  /** Read through a call: the pod's handlers flip `stopped` while we loop, which narrowing cannot see. */
  #podStopped(): boolean {
    return this.#pod.stopped;
  }
}
