/**
 * The quiesce window's timeline (ADR 0018, issue 16 item 5), pure: from the hook results of the pre
 * and post phases, when each frozen pod was frozen and thawed, how long it stayed frozen, and the
 * window's summary (counts, the longest freeze, COMMAND's exit status). No clock: every time comes
 * from the results (`startedAt`, `durationMs`).
 */
import type { HookResult, RunReport } from '../model/result.ts';
import { podKey } from './hook-key.ts';
import type { CommandStep } from './quiesce-window.ts';

/**
 * How a frozen pod's thaw ended (a closed set, stable):
 * - `thawed`: every post hook of the pod succeeded;
 * - `not-thawed`: a post hook failed, timed out or did not run: the pod may still be frozen;
 * - `pod-terminated`: the pod had terminated (phase Succeeded/Failed), so no post hook ran; nothing is frozen any more;
 * - `no-post-hooks`: the pod has pre hooks and no post hook: nothing to thaw with.
 */
export type ThawOutcome = 'thawed' | 'not-thawed' | 'pod-terminated' | 'no-post-hooks';
export const THAW_OUTCOMES: readonly ThawOutcome[] = ['thawed', 'not-thawed', 'pod-terminated', 'no-post-hooks'];

/** One frozen pod's freeze. */
export interface PodFreeze {
  readonly namespace: string;
  readonly name: string;
  /** The pod's stage (ADR 0019): the earliest of its pre hooks', when it is first frozen; null in a plan without stages. */
  readonly stage: number | null;
  /** ISO-8601 start of the pod's first pre exec; null when no pre exec recorded a start. */
  readonly frozenAt: string | null;
  /** ISO-8601 end of the pod's last post exec; set only when `thaw` is `thawed`. */
  readonly thawedAt: string | null;
  /** thawedAt − frozenAt; null unless both are set. */
  readonly frozenMs: number | null;
  readonly thaw: ThawOutcome;
}

export interface LongestFreeze {
  readonly namespace: string;
  readonly name: string;
  readonly frozenMs: number;
}

/** COMMAND's exit status, flat. */
export interface CommandSummary {
  readonly ran: boolean;
  /** Its exit code when it exited; null otherwise (not run, killed by a signal, not started). */
  readonly exitCode: number | null;
  /** The signal that ended it; null otherwise. */
  readonly signal: string | null;
  /** null when it did not run. */
  readonly durationMs: number | null;
  /** It exceeded --window-timeout and kubehooks stopped it. */
  readonly timedOut: boolean;
}

export interface WindowSummary {
  /** Frozen pods (a pre exec was opened). */
  readonly frozen: number;
  /** Frozen pods whose thaw is `thawed`. */
  readonly thawed: number;
  /** Frozen pods whose thaw is `not-thawed` (may still be frozen). */
  readonly notThawed: number;
  /** The thawed pod frozen longest (the first in plan order on a tie); null when none was thawed. */
  readonly longestFreeze: LongestFreeze | null;
  readonly command: CommandSummary;
}

export interface WindowTimeline {
  /** One per frozen pod, in the order given (plan order). */
  readonly freezes: readonly PodFreeze[];
  readonly summary: WindowSummary;
}

export interface TimelineInput {
  /** The frozen pods, in plan order. */
  readonly frozen: readonly { readonly namespace: string; readonly name: string }[];
  readonly pre: RunReport;
  readonly post: RunReport;
  readonly command: CommandStep;
  /** Each pod's stage (ADR 0019), by `namespace/name`; absent for a plan without stages. */
  readonly stages?: ReadonlyMap<string, number> | undefined;
}

const startMs = (r: HookResult): number | undefined => (r.startedAt === null ? undefined : Date.parse(r.startedAt));
const endMs = (r: HookResult): number | undefined => {
  const start = startMs(r);
  return start === undefined || r.durationMs === null ? undefined : start + r.durationMs;
};

function byPodKey(results: readonly HookResult[]): Map<string, HookResult[]> {
  const map = new Map<string, HookResult[]>();
  for (const r of results) {
    const key = podKey(r.namespace, r.pod);
    const list = map.get(key) ?? [];
    list.push(r);
    map.set(key, list);
  }
  return map;
}

function thawOutcome(post: readonly HookResult[]): ThawOutcome {
  if (post.length === 0) return 'no-post-hooks';
  if (post.every((r) => r.status === 'succeeded')) return 'thawed';
  // The same rule as the journal's thawDone: a terminated pod's skipped post hook leaves nothing frozen.
  if (post.every((r) => r.status === 'succeeded' || (r.status === 'not-run' && r.reasonCode === 'pod-terminated'))) return 'pod-terminated';
  return 'not-thawed';
}

function podFreeze(pod: TimelineInput['frozen'][number], pre: readonly HookResult[], post: readonly HookResult[], stage: number | undefined): PodFreeze {
  const starts = pre.map(startMs).filter((t): t is number => t !== undefined);
  const frozenAt = starts.length === 0 ? undefined : Math.min(...starts);
  const thaw = thawOutcome(post);
  const ends = post.map(endMs).filter((t): t is number => t !== undefined);
  const thawedAt = thaw === 'thawed' && ends.length === post.length ? Math.max(...ends) : undefined;
  return {
    namespace: pod.namespace,
    name: pod.name,
    stage: stage ?? null,
    frozenAt: frozenAt === undefined ? null : new Date(frozenAt).toISOString(),
    thawedAt: thawedAt === undefined ? null : new Date(thawedAt).toISOString(),
    frozenMs: frozenAt === undefined || thawedAt === undefined ? null : Math.max(0, thawedAt - frozenAt),
    thaw,
  };
}

export function commandSummary(step: CommandStep): CommandSummary {
  if (!step.ran) return { ran: false, exitCode: null, signal: null, durationMs: null, timedOut: false };
  const o = step.outcome;
  return {
    ran: true,
    exitCode: o.kind === 'exited' ? o.exitCode : null,
    signal: o.kind === 'signaled' ? o.signal : null,
    durationMs: Math.max(0, step.endedAt - step.startedAt),
    timedOut: step.stoppedBy === 'window-timeout',
  };
}

/** The window's timeline: one freeze per frozen pod and the summary. */
export function windowTimeline(input: TimelineInput): WindowTimeline {
  const pre = byPodKey(input.pre.results);
  const post = byPodKey(input.post.results);
  const freezes = input.frozen.map((p) => {
    const key = podKey(p.namespace, p.name);
    return podFreeze(p, pre.get(key) ?? [], post.get(key) ?? [], input.stages?.get(key));
  });
  let longest: LongestFreeze | null = null;
  for (const f of freezes) {
    if (f.frozenMs !== null && (longest === null || f.frozenMs > longest.frozenMs)) longest = { namespace: f.namespace, name: f.name, frozenMs: f.frozenMs };
  }
  return {
    freezes,
    summary: {
      frozen: freezes.length,
      thawed: freezes.filter((f) => f.thaw === 'thawed').length,
      notThawed: freezes.filter((f) => f.thaw === 'not-thawed').length,
      longestFreeze: longest,
      command: commandSummary(input.command),
    },
  };
}
