import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlannedHook } from '../model/plan.ts';
import type { HookResult } from '../model/result.ts';
import { FakeClock, settle } from '../testing/fake-clock.ts';
import { FakeExecutor, type FakeExecScript, FakeWatcher, plannedHook, podWith } from '../testing/run-fakes.ts';
import { runBackupHooks, runBackupPod } from './backup-runner.ts';
import { runPostRestoreHooks } from './post-restore-runner.ts';
import type { RunJournal } from './recorder.ts';
import { RunSession } from './run-session.ts';

/** A journal whose writes the test completes (or fails) by hand, logging what it was told. */
class ManualJournal implements RunJournal {
  readonly log: string[] = [];
  readonly #pending: { hook: PlannedHook; resolve: () => void; reject: (e: Error) => void }[] = [];
  hookStarting(hook: PlannedHook, signal: AbortSignal): Promise<void> {
    this.log.push(`starting ${hook.pod}/${hook.name}`);
    return new Promise((resolve, reject) => {
      this.#pending.push({ hook, resolve, reject });
      signal.addEventListener('abort', () => {
        reject(new Error('aborted'));
      }, { once: true });
    });
  }
  get waiting(): string[] {
    return this.#pending.map((p) => `${p.hook.pod}/${p.hook.name}`);
  }
  resolveNext(): void {
    this.#pending.shift()?.resolve();
  }
  rejectNext(message: string): void {
    this.#pending.shift()?.reject(new Error(message));
  }
}

function backupWithJournal(hooks: PlannedHook[], opts: { script?: FakeExecScript; onResult?: (r: HookResult) => void } = {}) {
  const clock = new FakeClock();
  const journal = new ManualJournal();
  const exec = new FakeExecutor(clock, opts.script);
  const ctl = new AbortController();
  const report = runBackupHooks({
    plan: { hooks, skipped: [] },
    pods: [podWith('p', { c: 'running' })],
    executor: exec,
    clock,
    signal: ctl.signal,
    eventGraceMs: 10,
    journal,
    onResult: opts.onResult,
  });
  return { clock, journal, exec, ctl, report };
}

const pre = (o: Partial<PlannedHook> = {}): PlannedHook => plannedHook({ pod: 'p', container: 'c', phase: 'pre', ...o });
const line = (r: HookResult): string => `${r.pod}/${r.name}:${r.status}${r.reasonCode === undefined ? '' : `/${r.reasonCode}`}`;

void describe('run journal: a hook\'s start is recorded before its exec', () => {
  void it('backup: the exec waits for the journal; results follow as they happen', async () => {
    const results: string[] = [];
    const { clock, journal, exec, report } = backupWithJournal([pre({ name: 'a' }), pre({ name: 'b', index: 1 })], {
      script: () => ({ delayMs: 5 }),
      onResult: (r) => results.push(line(r)),
    });
    await settle();
    assert.deepEqual(journal.waiting, ['p/a']);
    assert.equal(exec.calls.length, 0, 'no exec before its start is on record');
    journal.resolveNext();
    await settle();
    assert.equal(exec.calls.length, 1);
    await clock.advance(5);
    assert.deepEqual(results, ['p/a:succeeded']);
    assert.deepEqual(journal.waiting, ['p/b'], 'the next hook is journalled only after the first ended');
    journal.resolveNext();
    await clock.advance(5);
    const r = await report;
    assert.deepEqual(r.results.map(line), ['p/a:succeeded', 'p/b:succeeded']);
    assert.deepEqual(journal.log, ['starting p/a', 'starting p/b']);
  });

  void it('a journal that cannot record the start: no exec, failed internal, the pod goes on (Continue)', async () => {
    const { journal, exec, report } = backupWithJournal([pre({ name: 'a' }), pre({ name: 'b', index: 1 })]);
    await settle();
    journal.rejectNext('status update conflict');
    await settle();
    journal.resolveNext();
    const r = await report;
    assert.deepEqual(r.results.map(line), ['p/a:failed/internal', 'p/b:succeeded']);
    assert.equal(r.results.at(0)?.reason, 'not run: its start could not be recorded: status update conflict');
    assert.deepEqual(exec.executed, ['p/c:/usr/bin/foo']);
  });

  void it('abort while the start is being recorded: the hook is not executed and ends not-run aborted', async () => {
    const { exec, ctl, report } = backupWithJournal([pre({ name: 'a' })]);
    await settle();
    ctl.abort();
    const r = await report;
    assert.deepEqual(r.results.map(line), ['p/a:not-run/aborted']);
    assert.equal(exec.calls.length, 0);
  });

  void it('post-restore: a pod deleted while its hook\'s start is being recorded gets no exec', async () => {
    const clock = new FakeClock();
    const journal = new ManualJournal();
    const exec = new FakeExecutor(clock);
    const pod = podWith('p', { c: 'running' });
    const watcher = new FakeWatcher([pod]);
    const report = runPostRestoreHooks({
      plan: { hooks: [plannedHook({ pod: 'p', container: 'c', name: 'a' })], skipped: [] },
      scope: { namespaces: ['default'] },
      executor: exec,
      watcher,
      clock,
      signal: new AbortController().signal,
      eventGraceMs: 10,
      journal,
    });
    await settle();
    assert.deepEqual(journal.waiting, ['p/a']);
    watcher.emit({ type: 'deleted', pod });
    journal.resolveNext();
    const r = await report;
    assert.deepEqual(r.results.map(line), ['p/a:not-run/pod-deleted']);
    assert.equal(exec.calls.length, 0);
  });
});

void describe('run session: the pieces a driver composes (quiesce window, controller)', () => {
  void it('runBackupPod over one session in two stages; hasStarted tells which pods were reached', async () => {
    const clock = new FakeClock();
    const order: string[] = [];
    const script: FakeExecScript = (req) => {
      order.push(`${req.pod}:${req.command[0] ?? ''}`);
      return { delayMs: req.pod === 'b' ? 20 : 5, exitCode: req.command[0] === 'bad' ? 1 : 0 };
    };
    const stage1 = [pre({ pod: 'a', command: ['a1'] }), pre({ pod: 'b', command: ['b1'] })];
    const stage2 = [pre({ pod: 'c', command: ['bad'], onError: 'Fail' }), pre({ pod: 'c', index: 1, command: ['c2'] })];
    const session = new RunSession([...stage1, ...stage2], {
      executor: new FakeExecutor(clock, script),
      clock,
      signal: new AbortController().signal,
      eventGraceMs: 10,
    });
    const pods = new Map(['a', 'b', 'c'].map((p) => [p, podWith(p, { c: 'running' })]));
    const stage = (hooks: PlannedHook[]): Promise<unknown> =>
      Promise.all([...new Set(hooks.map((h) => h.pod))].map((p) => runBackupPod(session, hooks.filter((h) => h.pod === p), pods.get(p))));
    const done = (async () => {
      await stage(stage1);
      order.push('stage 1 done');
      await stage(stage2);
    })();
    await clock.advance(100);
    await done;
    await session.close();
    const r = session.report();
    assert.deepEqual(order, ['a:a1', 'b:b1', 'stage 1 done', 'c:bad']);
    assert.deepEqual(r.results.map(line), ['a/my-hook:succeeded', 'b/my-hook:succeeded', 'c/my-hook:failed/non-zero-exit', 'c/my-hook:not-run/previous-hook-failed']);
    assert.deepEqual([...stage1, ...stage2].map((h) => session.recorder.hasStarted(h)), [true, true, true, false]);
  });

  void it('a stopped session ends what is waiting; a hook given to execute afterwards is not started', async () => {
    const clock = new FakeClock();
    const ctl = new AbortController();
    const exec = new FakeExecutor(clock);
    const hooks = [pre({ name: 'x' }), pre({ name: 'y', index: 1 })];
    const session = new RunSession(hooks, { executor: exec, clock, signal: ctl.signal, eventGraceMs: 10 });
    const seen: string[] = [];
    session.onStop((cause) => {
      seen.push(cause);
      session.recordStopped(hooks.slice(1), cause, undefined);
    });
    ctl.abort();
    const first = hooks[0];
    assert.ok(first !== undefined);
    assert.equal(await session.execute(first, { podUid: undefined }), undefined);
    await session.close();
    assert.deepEqual(seen, ['aborted']);
    assert.deepEqual(session.report().results.map(line), ['p/x:not-run/internal', 'p/y:not-run/aborted']);
    assert.equal(exec.calls.length, 0);
  });
});

void describe('RunSession: a result is recorded in its slot', () => {
  void it('the next queued hook asks the journal for its start only after the previous result was told (concurrency 1)', async () => {
    const clock = new FakeClock();
    const exec = new FakeExecutor(clock);
    const ctl = new AbortController();
    const log: string[] = [];
    const journal: RunJournal = {
      hookStarting(hook) {
        log.push(`start ${hook.pod}`);
        return Promise.resolve();
      },
    };
    const a = plannedHook({ pod: 'a', container: 'c', phase: 'pre' });
    const b = plannedHook({ pod: 'b', container: 'c', phase: 'pre' });
    const session = new RunSession([a, b], { executor: exec, clock, signal: ctl.signal, eventGraceMs: 10, concurrency: 1, journal, onResult: (r) => log.push(`result ${r.pod}`) });
    const done = Promise.all([session.execute(a, { podUid: undefined }), session.execute(b, { podUid: undefined })]);
    await settle();
    const [ra, rb] = await done;
    assert.equal(ra?.result.status, 'succeeded');
    assert.equal(rb?.result.status, 'succeeded');
    assert.deepEqual(log, ['start a', 'result a', 'start b', 'result b']);
    await session.close();
  });
});
