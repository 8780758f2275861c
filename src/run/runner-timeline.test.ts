/**
 * Pins the order in which a run tells the world what happened: onResult, Kubernetes Events and
 * progress, interleaved on one timeline. Written before the runners were split into a recorder, a pod
 * run and a container chain (ADR 0009), so that the split keeps every step in its place. One file
 * over 300 lines on purpose: the two runners' timelines are meant to be read side by side.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlannedHook } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import type { RunReport } from '../model/result.ts';
import { FakeClock, settle } from '../testing/fake-clock.ts';
import { FakeExecutor, type FakeExecScript, FakeWatcher, plannedHook, podWith } from '../testing/run-fakes.ts';
import { runBackupHooks } from './backup-runner.ts';
import { EVENT_GROUPINGS, type EventGrouping } from './event-summary.ts';
import type { EventRecorder, PodEventRecord, PodExecutor, PodScope, PodWatchHandlers, PodWatcher } from './ports.ts';
import { runPostRestoreHooks } from './post-restore-runner.ts';
import type { RunOptions } from './run-options.ts';

/**
 * One ordered log. A result opens a line; the Event and progress that follow it join that line in the
 * order they happen (`result …; event …; progress …`), and the progress closes it. Progress on its
 * own (an exec opened) is a line `progress waiting/running/done/failed`.
 */
class Timeline implements EventRecorder {
  readonly lines: string[] = [];
  #open = false;
  #push(text: string, opens: boolean, closes: boolean): void {
    const last = this.lines.length - 1;
    if (this.#open && last >= 0) this.lines[last] = `${this.lines[last] ?? ''}; ${text}`;
    else this.lines.push(text);
    this.#open = (this.#open || opens) && !closes;
  }
  record(event: PodEventRecord): Promise<{ readonly ok: boolean }> {
    this.#push(`event ${event.pod} ${event.reason} ${event.podUid ?? '-'}`, false, false);
    return Promise.resolve({ ok: true });
  }
  callbacks() {
    return {
      events: this,
      onResult: (r: { pod: string; container: string; name: string; index: number; status: string; reasonCode?: string }) => {
        this.#push(`${r.pod}/${r.container}/${r.name}#${r.index} ${r.status}${r.reasonCode === undefined ? '' : `/${r.reasonCode}`}`, true, false);
      },
      onProgress: (p: { waiting: number; running: number; done: number; failed: number; total: number }) => {
        assert.equal(p.waiting + p.running + p.done, p.total, 'every hook in exactly one bucket');
        this.#push(`progress ${p.waiting}/${p.running}/${p.done}/${p.failed}`, false, true);
      },
    };
  }
}

const hook = (o: Partial<PlannedHook> & { pod?: string; container?: string } = {}): PlannedHook =>
  plannedHook({ pod: 'p', container: 'c', ...o });

/** The run options both runners take here: the fakes, the timeline's callbacks, the test's knobs. */
function common(clock: FakeClock, executor: PodExecutor, ctl: AbortController, t: Timeline, opts: { readonly deadlineMs?: number; readonly concurrency?: number; readonly eventGrouping?: EventGrouping }): RunOptions {
  return { executor, clock, signal: ctl.signal, deadlineMs: opts.deadlineMs, concurrency: opts.concurrency, eventGraceMs: 10, eventGrouping: opts.eventGrouping, ...t.callbacks() };
}

interface RestoreOpts {
  readonly script?: FakeExecScript;
  readonly deadlineMs?: number;
  readonly concurrency?: number;
  /** The watch lists the pods, then fails when the test says (`h.failWatch`). */
  readonly failingWatch?: boolean;
  readonly executor?: (clock: FakeClock) => PodExecutor;
  readonly eventGrouping?: EventGrouping;
}

function restore(hooks: PlannedHook[], initial: PodManifest[], opts: RestoreOpts = {}) {
  const clock = new FakeClock();
  const exec = new FakeExecutor(clock, opts.script);
  const watcher = new FakeWatcher(initial);
  let failWatch: (e: Error) => void = () => undefined;
  const failing: PodWatcher = {
    run(_s: PodScope, handlers: PodWatchHandlers) {
      for (const pod of initial) handlers.onEvent({ type: 'upsert', pod });
      return new Promise<void>((_resolve, reject) => {
        failWatch = reject;
      });
    },
  };
  const ctl = new AbortController();
  const t = new Timeline();
  const report = runPostRestoreHooks({
    plan: { hooks, skipped: [] },
    scope: { namespaces: ['default'] },
    watcher: opts.failingWatch === true ? failing : watcher,
    ...common(clock, opts.executor?.(clock) ?? exec, ctl, t, opts),
  });
  return { clock, exec, watcher, ctl, t, report, failWatch: (e: Error) => { failWatch(e); } };
}

const statuses = (r: RunReport): string[] => r.results.map((x) => `${x.pod}/${x.container}/${x.name}#${x.index} ${x.status}${x.reasonCode === undefined ? '' : `/${x.reasonCode}`}`);
/** A timeline or result list written one entry per line. */
const entries = (text: string): string[] => text.split('\n').map((l) => l.trim()).filter((l) => l !== '');

interface RestoreCase {
  readonly name: string;
  readonly hooks: PlannedHook[];
  readonly pods: PodManifest[];
  readonly opts?: RestoreOpts;
  /** What happens once the run has started. */
  readonly drive?: (h: ReturnType<typeof restore>) => Promise<void>;
  /** With `--events per-hook`: one Event per result, right after it. */
  readonly timeline: string;
  /** With the default `--events per-pod` (ADR 0023); absent: the same as `timeline`. */
  readonly perPod?: string;
  /** The report's results, in plan order. */
  readonly results: string;
  readonly executed?: string[];
  readonly reason?: { readonly index: number; readonly match: RegExp };
}

const restoreCases: RestoreCase[] = [
  {
    name: 'success, a Fail that stops its pod, and a container that comes up later',
    hooks: [
      hook({ pod: 'a', container: 'c1', name: 'ok', command: ['ok'] }),
      hook({ pod: 'a', container: 'c1', name: 'bad', index: 1, onError: 'Fail', command: ['bad'] }),
      hook({ pod: 'a', container: 'c2', name: 'never', command: ['never'] }),
      hook({ pod: 'b', container: 'c1', name: 'late', command: ['late'] }),
    ],
    pods: [podWith('a', { c1: 'running', c2: 'waiting' }), podWith('b', { c1: 'waiting' })],
    opts: { script: (req) => ({ delayMs: 5, exitCode: req.command[0] === 'bad' ? 1 : 0 }) },
    drive: async (h) => {
      await h.clock.advance(20);
      h.watcher.upsert(podWith('b', { c1: 'running' }));
      await h.clock.advance(20);
    },
    timeline: `
      progress 4/0/0/0
      progress 3/1/0/0
      a/c1/ok#0 succeeded; event a HookSucceeded uid-a; progress 3/0/1/0
      progress 2/1/1/0
      a/c1/bad#1 failed/non-zero-exit; event a HookFailed uid-a; progress 2/0/2/1
      a/c2/never#0 not-run/previous-hook-failed; event a HookNotRun uid-a; progress 1/0/3/2
      progress 0/1/3/2
      b/c1/late#0 succeeded; event b HookSucceeded uid-b; progress 0/0/4/2`,
    perPod: `
      progress 4/0/0/0
      progress 3/1/0/0
      a/c1/ok#0 succeeded; progress 3/0/1/0
      progress 2/1/1/0
      a/c1/bad#1 failed/non-zero-exit; event a HookFailed uid-a; progress 2/0/2/1
      a/c2/never#0 not-run/previous-hook-failed; event a HookNotRun uid-a; event a HooksPartlySucceeded uid-a; progress 1/0/3/2
      progress 0/1/3/2
      b/c1/late#0 succeeded; event b HooksSucceeded uid-b; progress 0/0/4/2`,
    results: `
      a/c1/ok#0 succeeded
      a/c1/bad#1 failed/non-zero-exit
      a/c2/never#0 not-run/previous-hook-failed
      b/c1/late#0 succeeded`,
    executed: ['a/c1:ok', 'a/c1:bad', 'b/c1:late'],
  },
  {
    name: 'abort: the in-flight exec keeps its real outcome after the rest is not-run, pod by pod (the report stays in plan order)',
    hooks: [hook({ pod: 'a', name: 'slow', command: ['slow'] }), hook({ pod: 'b', name: 'waits' }), hook({ pod: 'a', name: 'next', index: 1 })],
    pods: [podWith('a', { c: 'running' }), podWith('b', { c: 'waiting' })],
    opts: { script: () => ({ hang: true }) },
    drive: async (h) => {
      await h.clock.advance(5);
      h.ctl.abort();
    },
    timeline: `
      progress 3/0/0/0
      progress 2/1/0/0
      a/c/next#1 not-run/aborted; event a HookNotRun uid-a; progress 1/1/1/1
      b/c/waits#0 not-run/aborted; event b HookNotRun uid-b; progress 0/1/2/2
      a/c/slow#0 failed/aborted; event a HookFailed uid-a; progress 0/0/3/3`,
    results: `
      a/c/slow#0 failed/aborted
      b/c/waits#0 not-run/aborted
      a/c/next#1 not-run/aborted`,
  },
  {
    name: 'deadline: waiting hooks expire by their wait timeout first, then the deadline ends the rest',
    hooks: [hook({ name: 'w', waitTimeoutMs: 10 }), hook({ name: 'x', index: 1, waitTimeoutMs: 50 }), hook({ pod: 'q', name: 'run', command: ['long'] })],
    pods: [podWith('p', { c: 'waiting' }), podWith('q', { c: 'running' })],
    opts: { deadlineMs: 30, script: () => ({ hang: true }) },
    drive: async (h) => {
      await h.clock.advance(10);
      await h.clock.advance(30);
    },
    timeline: `
      progress 3/0/0/0
      progress 2/1/0/0
      p/c/w#0 timed-out/wait-timeout; event p HookTimedOut uid-p; progress 1/1/1/1
      p/c/x#1 not-run/deadline; event p HookNotRun uid-p; progress 0/1/2/2
      q/c/run#0 timed-out/deadline; event q HookTimedOut uid-q; progress 0/0/3/3`,
    results: `
      p/c/w#0 timed-out/wait-timeout
      p/c/x#1 not-run/deadline
      q/c/run#0 timed-out/deadline`,
  },
  {
    name: 'watch lost: waiting containers end watch-failed at once, the running chain finishes with its next hook',
    hooks: [hook({ pod: 'a', name: 'one' }), hook({ pod: 'a', name: 'two', index: 1 }), hook({ pod: 'b', name: 'b1' }), hook({ pod: 'b', name: 'b2', index: 1 })],
    pods: [podWith('a', { c: 'running' }), podWith('b', { c: 'waiting' })],
    opts: { failingWatch: true, script: () => ({ delayMs: 10 }) },
    drive: async (h) => {
      await settle();
      h.failWatch(new Error('pods is forbidden'));
      await h.clock.advance(30);
    },
    timeline: `
      progress 4/0/0/0
      progress 3/1/0/0
      b/c/b1#0 not-run/watch-failed; event b HookNotRun uid-b; progress 2/1/1/1
      b/c/b2#1 not-run/watch-failed; event b HookNotRun uid-b; progress 1/1/2/2
      a/c/one#0 succeeded; event a HookSucceeded uid-a; progress 1/0/3/2
      progress 0/1/3/2
      a/c/two#1 succeeded; event a HookSucceeded uid-a; progress 0/0/4/2`,
    perPod: `
      progress 4/0/0/0
      progress 3/1/0/0
      b/c/b1#0 not-run/watch-failed; event b HookNotRun uid-b; progress 2/1/1/1
      b/c/b2#1 not-run/watch-failed; event b HookNotRun uid-b; progress 1/1/2/2
      a/c/one#0 succeeded; progress 1/0/3/2
      progress 0/1/3/2
      a/c/two#1 succeeded; event a HooksSucceeded uid-a; progress 0/0/4/2`,
    results: `
      a/c/one#0 succeeded
      a/c/two#1 succeeded
      b/c/b1#0 not-run/watch-failed
      b/c/b2#1 not-run/watch-failed`,
    reason: { index: 2, match: /cannot watch pods: pods is forbidden/ },
  },
  {
    name: 'a hook queued for a slot when its pod is deleted is not started and ends pod-deleted',
    hooks: [hook({ pod: 'a', name: 'first', command: ['first'] }), hook({ pod: 'b', name: 'queued', command: ['queued'] })],
    pods: [podWith('a', { c: 'running' }), podWith('b', { c: 'running' })],
    opts: { concurrency: 1, script: () => ({ delayMs: 10 }) },
    drive: async (h) => {
      await h.clock.advance(1);
      h.watcher.emit({ type: 'deleted', pod: podWith('b', { c: 'running' }) });
      await h.clock.advance(20);
    },
    timeline: `
      progress 2/0/0/0
      progress 1/1/0/0
      b/c/queued#0 not-run/pod-deleted; event b HookNotRun uid-b; progress 0/1/1/1
      a/c/first#0 succeeded; event a HookSucceeded uid-a; progress 0/0/2/1`,
    perPod: `
      progress 2/0/0/0
      progress 1/1/0/0
      b/c/queued#0 not-run/pod-deleted; event b HookNotRun uid-b; progress 0/1/1/1
      a/c/first#0 succeeded; event a HooksSucceeded uid-a; progress 0/0/2/1`,
    results: `
      a/c/first#0 succeeded
      b/c/queued#0 not-run/pod-deleted`,
    executed: ['a/c:first'],
  },
  {
    name: 'a missing container fails at once, a Fail among them stops the pod before anything waits',
    hooks: [hook({ container: 'gone', name: 'g', onError: 'Fail' }), hook({ container: 'c', name: 'c' })],
    pods: [podWith('p', { c: 'running' })],
    timeline: `
      progress 2/0/0/0
      p/gone/g#0 failed/no-such-container; event p HookFailed uid-p; progress 1/0/1/1
      p/c/c#0 not-run/previous-hook-failed; event p HookNotRun uid-p; progress 0/0/2/2`,
    results: `
      p/gone/g#0 failed/no-such-container
      p/c/c#0 not-run/previous-hook-failed`,
    executed: [],
  },
  {
    name: 'an executor that throws: that hook fails internal, the chain goes on',
    hooks: [hook({ name: 'boom' }), hook({ name: 'after', index: 1 })],
    pods: [podWith('p', { c: 'running' })],
    opts: {
      executor: (clock) => {
        let n = 0;
        return { exec: (req) => (++n === 1 ? Promise.reject(new Error('bug')) : new FakeExecutor(clock).exec(req)) };
      },
    },
    timeline: `
      progress 2/0/0/0
      progress 1/1/0/0
      p/c/boom#0 failed/internal; event p HookFailed uid-p; progress 1/0/1/1
      progress 0/1/1/1
      p/c/after#1 succeeded; event p HookSucceeded uid-p; progress 0/0/2/1`,
    perPod: `
      progress 2/0/0/0
      progress 1/1/0/0
      p/c/boom#0 failed/internal; event p HookFailed uid-p; progress 1/0/1/1
      progress 0/1/1/1
      p/c/after#1 succeeded; event p HooksPartlySucceeded uid-p; progress 0/0/2/1`,
    results: `
      p/c/boom#0 failed/internal
      p/c/after#1 succeeded`,
    reason: { index: 0, match: /executor error: Error: bug/ },
  },
];

void describe('post-restore runner: timeline of results, Events and progress', () => {
  for (const c of restoreCases) for (const eventGrouping of EVENT_GROUPINGS) {
    void it(`${c.name} (--events ${eventGrouping})`, async () => {
      const h = restore(c.hooks, c.pods, { ...c.opts, eventGrouping });
      await c.drive?.(h);
      const r = await h.report;
      assert.deepEqual(h.t.lines, entries(eventGrouping === 'per-hook' ? c.timeline : c.perPod ?? c.timeline));
      assert.deepEqual(statuses(r), entries(c.results));
      if (c.executed !== undefined) assert.deepEqual(h.exec.executed, c.executed);
      if (c.reason !== undefined) assert.match(r.results.at(c.reason.index)?.reason ?? '', c.reason.match);
      assert.equal(h.exec.active, 0, 'no exec left open');
      assert.equal(h.clock.pendingTimers, 0, 'no timer left');
    });
  }
});

void describe('backup runner: timeline of results, Events and progress', () => {
  function backup(hooks: PlannedHook[], pods: PodManifest[], opts: { script?: FakeExecScript; deadlineMs?: number; concurrency?: number; eventGrouping?: EventGrouping } = {}) {
    const clock = new FakeClock();
    const exec = new FakeExecutor(clock, opts.script);
    const ctl = new AbortController();
    const t = new Timeline();
    const report = runBackupHooks({
      plan: { hooks, skipped: [] },
      pods,
      ...common(clock, exec, ctl, t, opts),
    });
    return { clock, exec, ctl, t, report };
  }
  const pre = (o: Partial<PlannedHook> = {}): PlannedHook => hook({ phase: 'pre', ...o });

  // timeline: with --events per-hook; perPod: with the default (absent: the same).
  const cases: { name: string; hooks: PlannedHook[]; pods: PodManifest[]; opts: Parameters<typeof backup>[2]; advance: number; timeline: string; perPod?: string; results: string; executed: string[] }[] = [
    {
      name: 'Fail stops the pod: the rest not-run (attempted, not failed); checks without exec are recorded in turn',
      hooks: [pre({ name: 'x', onError: 'Fail', command: ['x'] }), pre({ name: 'y', index: 1 }), pre({ pod: 'q', name: 'z' }), pre({ pod: 'gone', name: 'g' })],
      pods: [podWith('p', { c: 'running' }), podWith('q', { c: 'waiting' })],
      opts: { script: (req) => ({ delayMs: 5, exitCode: req.command[0] === 'x' ? 1 : 0 }) },
      advance: 10,
      timeline: `
        progress 4/0/0/0
        q/c/z#0 failed/container-not-running; event q HookFailed uid-q; progress 3/0/1/1
        gone/c/g#0 failed/pod-not-found; event gone HookFailed -; progress 2/0/2/2
        progress 1/1/2/2
        p/c/x#0 failed/non-zero-exit; event p HookFailed uid-p; progress 1/0/3/3
        p/c/y#1 not-run/previous-hook-failed; event p HookNotRun uid-p; progress 0/0/4/3`,
      results: `
        p/c/x#0 failed/non-zero-exit
        p/c/y#1 not-run/previous-hook-failed
        q/c/z#0 failed/container-not-running
        gone/c/g#0 failed/pod-not-found`,
      executed: ['p/c:x'],
    },
    {
      name: 'deadline: the rest not-run in plan order first (no pod uid), then the in-flight exec timed-out/deadline',
      hooks: [pre({ name: 'slow' }), pre({ pod: 'q', name: 'queued' }), pre({ name: 'next', index: 1 })],
      pods: [podWith('p', { c: 'running' }), podWith('q', { c: 'running' })],
      opts: { concurrency: 1, deadlineMs: 20, script: () => ({ hang: true }) },
      advance: 20,
      timeline: `
        progress 3/0/0/0
        progress 2/1/0/0
        q/c/queued#0 not-run/deadline; event q HookNotRun -; progress 1/1/1/1
        p/c/next#1 not-run/deadline; event p HookNotRun -; progress 0/1/2/2
        p/c/slow#0 timed-out/deadline; event p HookTimedOut uid-p; progress 0/0/3/3`,
      results: `
        p/c/slow#0 timed-out/deadline
        q/c/queued#0 not-run/deadline
        p/c/next#1 not-run/deadline`,
      executed: ['p/c:/usr/bin/foo'],
    },
    {
      name: 'deadline after a pod\'s first hook succeeded: its summary is still written, with what ran',
      hooks: [pre({ name: 'quick', command: ['quick'] }), pre({ name: 'slow', index: 1, command: ['slow'] })],
      pods: [podWith('p', { c: 'running' })],
      opts: { deadlineMs: 20, script: (req) => (req.command[0] === 'slow' ? { hang: true } : { delayMs: 5 }) },
      advance: 20,
      timeline: `
        progress 2/0/0/0
        progress 1/1/0/0
        p/c/quick#0 succeeded; event p HookSucceeded uid-p; progress 1/0/1/0
        progress 0/1/1/0
        p/c/slow#1 timed-out/deadline; event p HookTimedOut uid-p; progress 0/0/2/1`,
      perPod: `
        progress 2/0/0/0
        progress 1/1/0/0
        p/c/quick#0 succeeded; progress 1/0/1/0
        progress 0/1/1/0
        p/c/slow#1 timed-out/deadline; event p HookTimedOut uid-p; event p HooksPartlySucceeded uid-p; progress 0/0/2/1`,
      results: `
        p/c/quick#0 succeeded
        p/c/slow#1 timed-out/deadline`,
      executed: ['p/c:quick', 'p/c:slow'],
    },
  ];
  for (const c of cases) for (const eventGrouping of EVENT_GROUPINGS) {
    void it(`${c.name} (--events ${eventGrouping})`, async () => {
      const h = backup(c.hooks, c.pods, { ...c.opts, eventGrouping });
      await h.clock.advance(c.advance);
      const r = await h.report;
      assert.deepEqual(h.t.lines, entries(eventGrouping === 'per-hook' ? c.timeline : c.perPod ?? c.timeline));
      assert.deepEqual(statuses(r), entries(c.results));
      assert.deepEqual(h.exec.executed, c.executed);
      assert.equal(h.exec.active, 0);
      assert.equal(h.clock.pendingTimers, 0);
    });
  }
});
