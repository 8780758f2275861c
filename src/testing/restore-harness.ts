/** The post-restore runner over the in-memory ports, as its unit tests drive it. */
import type { PlannedHook } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import type { RunReport } from '../model/result.ts';
import type { EventGrouping } from '../run/event-summary.ts';
import { runPostRestoreHooks } from '../run/post-restore-runner.ts';
import type { RunProgress } from '../run/progress.ts';
import { FakeClock } from './fake-clock.ts';
import { FakeEvents, FakeExecutor, type FakeExecScript, FakeWatcher, plannedHook } from './run-fakes.ts';

export interface RestoreHarness {
  readonly clock: FakeClock;
  readonly exec: FakeExecutor;
  readonly watcher: FakeWatcher;
  readonly ctl: AbortController;
  readonly events: FakeEvents;
  readonly progress: RunProgress[];
  readonly report: Promise<RunReport>;
}

export function startRestore(
  hooks: PlannedHook[],
  initial: PodManifest[],
  opts: { script?: FakeExecScript; deadlineMs?: number; concurrency?: number; events?: FakeEvents; eventGrouping?: EventGrouping; labelSelector?: string } = {},
): RestoreHarness {
  const clock = new FakeClock();
  const exec = new FakeExecutor(clock, opts.script);
  const watcher = new FakeWatcher(initial);
  const ctl = new AbortController();
  const events = opts.events ?? new FakeEvents();
  const progress: RunProgress[] = [];
  const report = runPostRestoreHooks({
    plan: { hooks, skipped: [] },
    scope: { namespaces: ['default'], ...(opts.labelSelector === undefined ? {} : { labelSelector: opts.labelSelector }) },
    executor: exec,
    watcher,
    clock,
    events,
    eventGrouping: opts.eventGrouping,
    signal: ctl.signal,
    deadlineMs: opts.deadlineMs,
    concurrency: opts.concurrency,
    eventGraceMs: 10,
    onProgress: (p) => progress.push(p),
  });
  return { clock, exec, watcher, ctl, events, progress, report };
}

/** A hook in pod `my-pod`, container `container1` unless told. */
export const hook = (o: Partial<PlannedHook> = {}): PlannedHook => plannedHook({ pod: 'my-pod', container: 'container1', ...o });
/** `pod/container/name#index:status[/reasonCode]` per result, in report order. */
export const statuses = (r: RunReport): string[] => r.results.map((x) => `${x.pod}/${x.container}/${x.name}#${x.index}:${x.status}${x.reasonCode === undefined ? '' : `/${x.reasonCode}`}`);
