/**
 * The quiesce window (ADR 0018): pre hooks, COMMAND, post hooks for exactly the frozen pods, over the
 * runners' RunSession and stage driver. Just over 300 lines on purpose: the thaw rule, the journal
 * records and the exit code per failure kind must be read together to see that every frozen pod is
 * thawed once.
 */
import type { Plan, PlannedHook } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import { podClaimNames } from '../model/pod-claims.ts';
import type { RunReport } from '../model/result.ts';
import { byPod, runBackupStages } from './backup-runner.ts';
import { hasStages, stageOf, type ThawOrder } from '../plan/stages.ts';
import { hookKey, podKey } from './hook-key.ts';
import { notRun } from './results.ts';
import { limiterFor, type RunOptions } from './run-options.ts';
import { RunSession } from './run-session.ts';
import { thawDone, type JournalRecord } from './window-journal.ts';
import { windowTimeline, type WindowTimeline } from './window-timeline.ts';

/** A pod whose pre hooks were started (its exec opened): it may be frozen and is thawed. */
export interface FrozenPod {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string | null;
  /** The PVCs the pod mounts (claim names, generic ephemeral volumes' generated claims), in spec order. */
  readonly pvcs: readonly string[];
}

/** What COMMAND is given (the CLI turns it into environment variables and a JSON file). ADR 0018. */
export interface WindowCommandInput {
  readonly runId: string;
  readonly frozen: readonly FrozenPod[];
}

export type CommandOutcome =
  | { readonly kind: 'exited'; readonly exitCode: number }
  | { readonly kind: 'signaled'; readonly signal: string }
  | { readonly kind: 'spawn-failed'; readonly message: string };

/**
 * COMMAND as a port. `signal` aborts when the window ends early (window timeout, interrupt): the
 * implementation then stops the child (SIGTERM, SIGKILL after its grace) and resolves once it exited.
 * Never rejects.
 */
export interface WindowCommand {
  run(input: WindowCommandInput, signal: AbortSignal): Promise<CommandOutcome>;
}

export type CommandStep =
  | { readonly ran: false; readonly why: 'pre-failed' | 'interrupted' }
  | {
      readonly ran: true;
      readonly outcome: CommandOutcome;
      /** Why kubehooks stopped it, if it did. */
      readonly stoppedBy: 'window-timeout' | 'interrupted' | null;
      readonly startedAt: number;
      readonly endedAt: number;
    };

/** The first failure kind that decides the exit code (see `windowExitCode`). */
export type WindowStatus = 'ok' | 'interrupted' | 'thaw-failed' | 'window-timeout' | 'command-failed' | 'pre-failed';

export interface WindowReport {
  readonly runId: string;
  readonly status: WindowStatus;
  readonly pre: RunReport;
  readonly command: CommandStep;
  readonly post: RunReport;
  /** Pods whose pre hooks started, in plan order: exactly these get their post hooks. */
  readonly frozen: readonly FrozenPod[];
  /** Frozen pods with a post hook that did not succeed (or was never started): maybe still frozen. */
  readonly notThawed: readonly FrozenPod[];
  /** Per frozen pod when it was frozen and thawed, and the summary (src/run/window-timeline.ts). */
  readonly timeline: WindowTimeline;
  /** Journal records that could not be written (the window went on; a later thaw may repeat work). */
  readonly journalErrors?: readonly string[];
}

/** Where the window's journal records go (src/cli/window-journal-file.ts): append resolves once durable. */
export interface WindowJournalSink {
  append(record: JournalRecord): Promise<void>;
}

export interface WindowOptions extends Omit<RunOptions, 'signal' | 'deadlineMs' | 'limit' | 'journal'> {
  readonly runId: string;
  /** The backup's pre and post plans over the same pods. */
  readonly pre: Plan;
  readonly post: Plan;
  readonly pods: readonly PodManifest[];
  readonly command: WindowCommand;
  /** First SIGINT/SIGTERM: stops the pre hooks and COMMAND; the thaw still runs. */
  readonly signal: AbortSignal;
  /** Second signal: stops the thaw too (the pods left are reported as not thawed). */
  readonly thawSignal: AbortSignal;
  /** COMMAND's limit; past it COMMAND is stopped and the thaw starts at once. undefined/0 = none. */
  readonly windowTimeoutMs?: number | undefined;
  /**
   * Stages (ADR 0019): post stages run in reverse of the pre stages ('reverse', the default) or in
   * the same order ('same', Velero's). Without stages there is one stage and it does not matter.
   */
  readonly thawOrder?: ThawOrder | undefined;
  /** After a `Fail` pre hook failed: 'fail' (default) skips COMMAND, 'continue' runs it anyway. */
  readonly onPreFailure?: 'fail' | 'continue' | undefined;
  /** Told when the window moves on: COMMAND is about to start (or is skipped), the thaw is about to start. */
  readonly onStep?: ((step: WindowStep) => void) | undefined;
  /**
   * The crash-recovery journal (ADR 0018), its `begin` already written: `freezing` is durable before
   * each pre exec (a failed write fails that hook `internal`, nothing is frozen unrecorded);
   * `thawing` before each post exec (a failed write does not hold the thaw back); results and steps
   * as they happen. The caller writes `end`.
   */
  readonly journal?: WindowJournalSink | undefined;
}

export type WindowStep =
  | { readonly step: 'command'; readonly frozen: readonly FrozenPod[]; readonly skipped: 'pre-failed' | 'interrupted' | null }
  | { readonly step: 'thaw'; readonly frozen: readonly FrozenPod[]; readonly command: CommandStep };

/**
 * The quiesce window (issue 16, ADR 0018): pre hooks per pod (runBackupPod, pods concurrent under the
 * limit), then COMMAND, then the post hooks of exactly the pods whose pre hooks started, in their own
 * session and signal so an interrupt that ends the freeze does not end the thaw. Never rejects on a
 * hook or COMMAND failure; every hook of both plans ends with exactly one result.
 */
export async function runQuiesceWindow(given: WindowOptions): Promise<WindowReport> {
  // Every Event of the window names it (message and the kubehooks.dev/run-id label).
  const options: WindowOptions = { ...given, eventSubject: { ...(given.eventSubject ?? { kind: 'Backup', namespace: '', name: '' }), runId: given.runId } };
  const { limit } = limiterFor({ ...options, journal: undefined });
  const manifests = new Map(options.pods.map((p) => [podKey(p.metadata.namespace ?? '', p.metadata.name), p]));
  const log = journalLog(options);
  const journaled = new Set<string>();
  const preSession = new RunSession(execHooks(options.pre), {
    ...options,
    limit,
    journal: log === undefined ? undefined : {
      hookStarting: async (hook) => {
        const pod = podKey(hook.namespace, hook.pod);
        journaled.add(pod);
        await log.durable({ t: 'freezing', at: log.now(), pod, hook: hookKey(hook) });
      },
    },
    onResult: (result) => {
      log?.later({ t: 'pre-ended', at: log.now(), hook: hookKey(result), status: result.status });
      options.onResult?.(result);
    },
  });
  // Fail stops the pod's later hooks (runBackupPod) and the later stages; the window also decides whether COMMAND runs.
  preSession.onStop((cause) => {
    preSession.recordStopped(preSession.recorder.hooks, cause, undefined);
  });
  preSession.recorder.progress();
  try {
    await runBackupStages(preSession, preSession.recorder.hooks, manifests, { order: 'ascending', stopAfterFailedStage: true });
  } finally {
    await preSession.close();
  }
  const pre = preSession.report();
  const failedKeys = new Set(pre.results.filter((r) => r.status === 'failed' || r.status === 'timed-out').map((r) => hookKey(r)));
  const failStop = preSession.recorder.hooks.some((h) => h.onError === 'Fail' && failedKeys.has(hookKey(h)));

  const frozenKeys = new Set<string>();
  for (const hook of preSession.recorder.hooks) if (preSession.recorder.hasStarted(hook)) frozenKeys.add(podKey(hook.namespace, hook.pod));
  const frozen = [...frozenKeys].map((key) => frozenPod(key, manifests.get(key)));
  // Recorded as freezing, but the exec was never opened (the run stopped in between): not frozen.
  for (const pod of journaled) if (!frozenKeys.has(pod)) log?.later({ t: 'not-frozen', at: log.now(), pod });

  const command = await runCommandStep(options, frozen, failStop, log);
  options.onStep?.({ step: 'thaw', frozen, command });

  const postSession = new RunSession(execHooks(options.post), {
    ...options,
    signal: options.thawSignal,
    limit,
    journal: log === undefined ? undefined : {
      hookStarting: (hook) => log.bestEffort({ t: 'thawing', at: log.now(), hook: hookKey(hook) }),
    },
    onResult: (result) => {
      if (result.reasonCode !== 'not-frozen') log?.later({ t: 'thawed', at: log.now(), hook: hookKey(result), status: result.status, reasonCode: result.reasonCode });
      options.onResult?.(result);
    },
  });
  const postByPod = byPod(postSession.recorder.hooks);
  postSession.onStop((cause) => {
    postSession.recordStopped(postSession.recorder.hooks, cause, undefined);
  });
  for (const [key, hooks] of postByPod) {
    if (frozenKeys.has(key)) continue;
    const uid = manifests.get(key)?.metadata.uid;
    for (const hook of hooks) {
      postSession.recorder.record(hook, { result: notRun(hook, 'not-frozen', 'not run: no pre hook of this pod was started, so it was not frozen'), failed: false }, uid);
    }
  }
  postSession.recorder.progress();
  try {
    // Every frozen pod is thawed: a failed post stage does not stop the later ones.
    await runBackupStages(
      postSession,
      postSession.recorder.hooks.filter((h) => frozenKeys.has(podKey(h.namespace, h.pod))),
      manifests,
      { order: options.thawOrder === 'same' ? 'ascending' : 'descending', stopAfterFailedStage: false },
    );
  } finally {
    await postSession.close();
  }
  const post = postSession.report();
  const notThawedKeys = new Set(
    post.results.filter((r) => !thawDone(r) && r.reasonCode !== 'not-frozen').map((r) => podKey(r.namespace, r.pod)),
  );
  const notThawed = frozen.filter((p) => notThawedKeys.has(podKey(p.namespace, p.name)));
  const status = windowStatus(options, pre, command, post, failStop);
  await log?.flush();
  const timeline = windowTimeline({ frozen, pre, post, command, stages: podStages(options.pre) });
  return { runId: options.runId, status, pre, command, post, frozen, notThawed, timeline, journalErrors: log?.errors() ?? [] };
}

interface JournalLog {
  now(): string;
  /** Appends and waits until it is durable (rejects if it cannot be written). */
  durable(record: JournalRecord): Promise<void>;
  /** Appends and waits, but never rejects (the error is kept for the report). */
  bestEffort(record: JournalRecord): Promise<void>;
  /** Appends without waiting (ordered with the others; the error is kept). */
  later(record: JournalRecord): void;
  flush(): Promise<void>;
  errors(): string[];
}

function journalLog(options: WindowOptions): JournalLog | undefined {
  const sink = options.journal;
  if (sink === undefined) return undefined;
  const errors: string[] = [];
  const outstanding = new Set<Promise<void>>();
  const keep = (p: Promise<void>): Promise<void> => {
    const settled = p.catch((error: unknown) => {
      errors.push(error instanceof Error ? error.message : String(error));
    });
    outstanding.add(settled);
    void settled.finally(() => outstanding.delete(settled));
    return settled;
  };
  return {
    now: () => new Date(options.clock.now()).toISOString(),
    durable: (record) => sink.append(record),
    bestEffort: (record) => keep(sink.append(record)),
    later: (record) => {
      void keep(sink.append(record));
    },
    flush: async () => {
      await Promise.allSettled([...outstanding]);
    },
    errors: () => [...errors],
  };
}

async function runCommandStep(options: WindowOptions, frozen: readonly FrozenPod[], failStop: boolean, log: JournalLog | undefined): Promise<CommandStep> {
  const skipped = options.signal.aborted ? 'interrupted' : failStop && options.onPreFailure !== 'continue' ? 'pre-failed' : null;
  options.onStep?.({ step: 'command', frozen, skipped });
  if (skipped !== null) return { ran: false, why: skipped };
  const stop = new AbortController();
  let stoppedBy: 'window-timeout' | 'interrupted' | null = null;
  const onAbort = (): void => {
    stoppedBy ??= 'interrupted';
    stop.abort();
  };
  options.signal.addEventListener('abort', onAbort, { once: true });
  const timer = new AbortController();
  const timeoutMs = options.windowTimeoutMs ?? 0;
  if (timeoutMs > 0) {
    options.clock.sleep(timeoutMs, timer.signal).then(
      () => {
        stoppedBy ??= 'window-timeout';
        stop.abort();
      },
      () => undefined, // cleared: COMMAND ended first
    );
  }
  const startedAt = options.clock.now();
  log?.later({ t: 'command', at: log.now() });
  try {
    const outcome = await options.command.run({ runId: options.runId, frozen }, stop.signal);
    log?.later({ t: 'command-ended', at: log.now(), outcome: outcome.kind === 'exited' ? `exited ${outcome.exitCode}` : outcome.kind === 'signaled' ? `signaled ${outcome.signal}` : 'spawn-failed' });
    return { ran: true, outcome, stoppedBy, startedAt, endedAt: options.clock.now() };
  } finally {
    timer.abort();
    options.signal.removeEventListener('abort', onAbort);
  }
}

function windowStatus(options: WindowOptions, pre: RunReport, command: CommandStep, post: RunReport, failStop: boolean): WindowStatus {
  if (options.signal.aborted || options.thawSignal.aborted) return 'interrupted';
  if (post.summary.failed > 0) return 'thaw-failed';
  if (command.ran && command.stoppedBy === 'window-timeout') return 'window-timeout';
  if (command.ran && !(command.outcome.kind === 'exited' && command.outcome.exitCode === 0)) return 'command-failed';
  if (failStop || pre.summary.failed > 0) return 'pre-failed';
  return 'ok';
}

/** Exit codes per status (ADR 0018); signals keep the shell's 128+n. */
export const WINDOW_EXIT_CODES: Readonly<Record<Exclude<WindowStatus, 'interrupted'>, number>> = {
  ok: 0,
  'pre-failed': 3,
  'command-failed': 4,
  'window-timeout': 5,
  'thaw-failed': 6,
};

/** Each pod's stage (the earliest of its pre hooks': when it is first frozen) in a plan with stages; undefined without. */
function podStages(plan: Plan): Map<string, number> | undefined {
  if (!hasStages(plan)) return undefined;
  const stages = new Map<string, number>();
  for (const h of execHooks(plan)) {
    const key = podKey(h.namespace, h.pod);
    stages.set(key, Math.min(stages.get(key) ?? Infinity, stageOf(h)));
  }
  return stages;
}

function execHooks(plan: Plan): PlannedHook[] {
  return plan.hooks.filter((h) => h.type === 'exec' && h.phase !== 'restore');
}

function frozenPod(key: string, pod: PodManifest | undefined): FrozenPod {
  const [namespace = '', name = ''] = key.split('/');
  return { namespace: pod?.metadata.namespace ?? namespace, name: pod?.metadata.name ?? name, uid: pod?.metadata.uid ?? null, pvcs: pod === undefined ? [] : podClaimNames(pod) };
}
