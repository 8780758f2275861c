/**
 * runQuiesceWindow on the fakes: COMMAND ok/fails/window timeout, a signal in each step, Fail in one
 * pod of three, and a random thaw-rule property. Just over 300 lines on purpose: one fake COMMAND and
 * one table of windows, each case a few lines.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlannedHook } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import { FakeClock, settle } from '../testing/fake-clock.ts';
import { FakeEvents, FakeExecutor, type FakeExecScript, plannedHook, podWith } from '../testing/run-fakes.ts';
import { runQuiesceWindow, WINDOW_EXIT_CODES, type CommandOutcome, type WindowCommand, type WindowCommandInput, type WindowReport } from './quiesce-window.ts';

/** COMMAND as a fake: exits with `exitCode` after `delayMs` of fake time (or never), stops on abort. */
class FakeCommand implements WindowCommand {
  readonly inputs: WindowCommandInput[] = [];
  active = 0;
  startedAfterExecs = -1;
  readonly #clock: FakeClock;
  readonly #exec: FakeExecutor;
  readonly #behaviour: { exitCode?: number; delayMs?: number; hang?: boolean };
  constructor(clock: FakeClock, exec: FakeExecutor, behaviour: { exitCode?: number; delayMs?: number; hang?: boolean } = {}) {
    this.#clock = clock;
    this.#exec = exec;
    this.#behaviour = behaviour;
  }
  async run(input: WindowCommandInput, signal: AbortSignal): Promise<CommandOutcome> {
    this.inputs.push(input);
    this.startedAfterExecs = this.#exec.calls.length;
    this.active++;
    try {
      await this.#clock.sleep(this.#behaviour.hang === true ? 1e12 : (this.#behaviour.delayMs ?? 0), signal);
      return { kind: 'exited', exitCode: this.#behaviour.exitCode ?? 0 };
    } catch {
      return { kind: 'signaled', signal: 'SIGTERM' };
    } finally {
      this.active--;
    }
  }
}

const freeze = (pod: string, o: Partial<PlannedHook> = {}): PlannedHook =>
  plannedHook({ pod, container: 'db', phase: 'pre', name: 'freeze', command: ['freeze'], onError: 'Fail', ...o });
const thaw = (pod: string, o: Partial<PlannedHook> = {}): PlannedHook =>
  plannedHook({ pod, container: 'db', phase: 'post', name: 'thaw', command: ['thaw'], ...o });

const PODS = ['a', 'b', 'c'];
const pods = (): PodManifest[] =>
  PODS.map((p) => {
    const pod = podWith(p, { db: 'running' });
    return { ...pod, spec: { ...pod.spec, volumes: [{ name: 'data', persistentVolumeClaim: { claimName: `data-${p}` } }, { name: 'tmp', emptyDir: {} }] } };
  });

interface Harness {
  clock: FakeClock;
  exec: FakeExecutor;
  command: FakeCommand;
  first: AbortController;
  second: AbortController;
  events: FakeEvents;
  report: Promise<WindowReport>;
}

function start(opts: {
  pre?: PlannedHook[];
  post?: PlannedHook[];
  pods?: PodManifest[];
  script?: FakeExecScript;
  command?: { exitCode?: number; delayMs?: number; hang?: boolean };
  windowTimeoutMs?: number | undefined;
  onPreFailure?: 'fail' | 'continue';
  concurrency?: number;
}): Harness {
  const clock = new FakeClock();
  const exec = new FakeExecutor(clock, opts.script);
  const command = new FakeCommand(clock, exec, opts.command);
  const first = new AbortController();
  const second = new AbortController();
  const events = new FakeEvents();
  const report = runQuiesceWindow({
    runId: 'run-1',
    pre: { hooks: opts.pre ?? PODS.map((p) => freeze(p)), skipped: [] },
    post: { hooks: opts.post ?? PODS.map((p) => thaw(p)), skipped: [] },
    pods: opts.pods ?? pods(),
    executor: exec,
    clock,
    events,
    command,
    signal: first.signal,
    thawSignal: second.signal,
    windowTimeoutMs: opts.windowTimeoutMs,
    onPreFailure: opts.onPreFailure,
    concurrency: opts.concurrency,
    eventGraceMs: 10,
  });
  return { clock, exec, command, first, second, events, report };
}

/** Per pod: how many freeze and thaw execs it got, e.g. `a:1/1`. */
function counts(h: Harness): string[] {
  const out: string[] = [];
  for (const p of PODS) {
    const f = h.exec.calls.filter((c) => c.pod === p && c.command[0] === 'freeze').length;
    const t = h.exec.calls.filter((c) => c.pod === p && c.command[0] === 'thaw').length;
    out.push(`${p}:${f}/${t}`);
  }
  return out;
}

/** The issue's invariant: every frozen pod thawed exactly once, none thawed without a freeze. */
function assertThawRule(h: Harness): void {
  for (const p of PODS) {
    const froze = h.exec.calls.some((c) => c.pod === p && c.command[0] === 'freeze');
    const thaws = h.exec.calls.filter((c) => c.pod === p && c.command[0] === 'thaw').length;
    assert.equal(thaws, froze ? 1 : 0, `pod ${p}: frozen=${froze}, thawed ${thaws} times`);
  }
}

function assertClosed(h: Harness): void {
  assert.equal(h.clock.pendingTimers, 0, 'no timer left');
  assert.equal(h.command.active, 0, 'COMMAND ended');
  assert.equal(h.exec.active, 0, 'no exec open');
}

const postStatuses = (r: WindowReport): string[] => r.post.results.map((x) => `${x.pod}:${x.status}${x.reasonCode === undefined ? '' : `/${x.reasonCode}`}`);

void describe('quiesce window: COMMAND outcomes', () => {
  void it('COMMAND succeeds: every pre hook ends before COMMAND starts, thaw after it; status ok, exit 0; COMMAND is told the frozen pods and PVCs', async () => {
    const h = start({ command: { delayMs: 1000 } });
    await h.clock.advance(1000);
    const r = await h.report;
    assert.equal(r.status, 'ok');
    assert.equal(WINDOW_EXIT_CODES.ok, 0);
    assert.equal(h.command.startedAfterExecs, 3, 'COMMAND starts after the three freezes, before any thaw');
    assert.deepEqual(h.exec.executed.slice(3).map((e) => e.split(':')[1]), ['thaw', 'thaw', 'thaw']);
    assert.deepEqual(h.command.inputs, [
      {
        runId: 'run-1',
        frozen: PODS.map((p) => ({ namespace: 'default', name: p, uid: `uid-${p}`, pvcs: [`data-${p}`] })),
      },
    ]);
    assert.deepEqual(r.command, { ran: true, outcome: { kind: 'exited', exitCode: 0 }, stoppedBy: null, startedAt: r.command.ran ? r.command.startedAt : 0, endedAt: r.command.ran ? r.command.startedAt + 1000 : 0 });
    assert.deepEqual(r.notThawed, []);
    assertThawRule(h);
    assertClosed(h);
  });

  void it('the report\'s timeline: each pod frozen from its pre exec to its post exec, COMMAND in between; every Event names the window', async () => {
    const h = start({ command: { delayMs: 1000 }, post: [thaw('a'), thaw('b', { command: ['fail'] })], script: (c) => ({ exitCode: c.command[0] === 'fail' ? 1 : 0 }) });
    await h.clock.advance(1000);
    const r = await h.report;
    const t0 = r.timeline.freezes[0]?.frozenAt ?? '';
    assert.deepEqual(r.timeline.freezes.map((f) => `${f.name}:${f.thaw}:${f.frozenAt === t0 ? 'T0' : f.frozenAt}:${f.frozenMs}`), ['a:thawed:T0:1000', 'b:not-thawed:T0:null', 'c:no-post-hooks:T0:null']);
    assert.deepEqual(r.timeline.summary, { frozen: 3, thawed: 1, notThawed: 1, longestFreeze: { namespace: 'default', name: 'a', frozenMs: 1000 }, command: { ran: true, exitCode: 0, signal: null, durationMs: 1000, timedOut: false } });
    assert.deepEqual(r.notThawed.map((p) => p.name), ['b']);
    await settle();
    // Per pod and phase (ADR 0023): pre a, b, c summaries; post a's summary and b's HookFailed.
    assert.deepEqual(h.events.records.map((e) => `${e.pod} ${e.reason}`), ['a HooksSucceeded', 'b HooksSucceeded', 'c HooksSucceeded', 'a HooksSucceeded', 'b HookFailed']);
    for (const e of h.events.records) {
      assert.match(e.message, / in window run-1[ :]/);
      assert.deepEqual(e.labels, { 'kubehooks.dev/run-id': 'run-1' });
    }
  });

  void it('COMMAND fails: the pods are thawed anyway; status command-failed (exit 4)', async () => {
    const h = start({ command: { exitCode: 7 } });
    const r = await h.report;
    assert.equal(r.status, 'command-failed');
    assert.equal(WINDOW_EXIT_CODES[r.status], 4);
    assert.deepEqual(counts(h), ['a:1/1', 'b:1/1', 'c:1/1']);
    assertThawRule(h);
    assertClosed(h);
  });

  void it('COMMAND exceeds --window-timeout: it is stopped at the timeout and the thaw starts at once; status window-timeout (exit 5)', async () => {
    const h = start({ command: { hang: true }, windowTimeoutMs: 60_000 });
    await h.clock.advance(59_999);
    assert.equal(h.command.active, 1, 'still running just before the timeout');
    assert.equal(counts(h).join(' '), 'a:1/0 b:1/0 c:1/0');
    await h.clock.advance(1);
    const r = await h.report;
    assert.equal(r.status, 'window-timeout');
    assert.equal(WINDOW_EXIT_CODES[r.status], 5);
    assert.ok(r.command.ran && r.command.stoppedBy === 'window-timeout' && r.command.endedAt - r.command.startedAt === 60_000);
    assert.deepEqual(counts(h), ['a:1/1', 'b:1/1', 'c:1/1']);
    assertClosed(h);
  });

  void it('COMMAND that ends before the window timeout leaves no timer behind', async () => {
    const h = start({ command: { delayMs: 5 }, windowTimeoutMs: 3_600_000 });
    await h.clock.advance(5);
    const r = await h.report;
    assert.equal(r.status, 'ok');
    assertClosed(h);
  });
});

void describe('quiesce window: signals', () => {
  void it('signal during pre: running freezes are closed, queued ones never start, COMMAND is not run; exactly the pods whose freeze started are thawed', async () => {
    const h = start({ script: (req) => (req.command[0] === 'freeze' ? { delayMs: 10_000 } : { exitCode: 0 }), concurrency: 1 });
    await h.clock.advance(1000);
    h.first.abort();
    const r = await h.report;
    assert.equal(r.status, 'interrupted');
    assert.deepEqual(r.command, { ran: false, why: 'interrupted' });
    assert.equal(h.command.inputs.length, 0);
    assert.deepEqual(counts(h), ['a:1/1', 'b:0/0', 'c:0/0']);
    assert.deepEqual(postStatuses(r), ['a:succeeded', 'b:not-run/not-frozen', 'c:not-run/not-frozen']);
    assert.deepEqual(r.frozen.map((p) => p.name), ['a']);
    assertThawRule(h);
    assertClosed(h);
  });

  void it('signal during COMMAND: COMMAND is stopped, then every pod is thawed; status interrupted', async () => {
    const h = start({ command: { hang: true } });
    await h.clock.advance(100);
    assert.equal(h.command.active, 1);
    h.first.abort();
    const r = await h.report;
    assert.equal(r.status, 'interrupted');
    assert.ok(r.command.ran && r.command.stoppedBy === 'interrupted');
    assert.deepEqual(counts(h), ['a:1/1', 'b:1/1', 'c:1/1']);
    assertClosed(h);
  });

  void it('first signal during post does not stop the thaw; the second does, and the pods left are reported as not thawed', async () => {
    const slowThaw: FakeExecScript = (req) => (req.command[0] === 'thaw' ? { delayMs: 1000 } : { exitCode: 0 });
    const once = start({ script: slowThaw });
    await once.clock.advance(500);
    once.first.abort();
    await once.clock.advance(500);
    const r1 = await once.report;
    assert.equal(r1.status, 'interrupted');
    assert.deepEqual(postStatuses(r1), ['a:succeeded', 'b:succeeded', 'c:succeeded']);
    assert.deepEqual(r1.notThawed, []);
    assertClosed(once);

    const twice = start({ script: slowThaw, concurrency: 1 });
    await twice.clock.advance(1500); // a thawed, b thawing
    twice.first.abort();
    twice.second.abort();
    const r2 = await twice.report;
    assert.equal(r2.status, 'interrupted');
    assert.deepEqual(postStatuses(r2), ['a:succeeded', 'b:failed/aborted', 'c:not-run/aborted']);
    assert.deepEqual(r2.notThawed.map((p) => p.name), ['b', 'c']);
    assertClosed(twice);
  });
});

void describe('quiesce window: pre hook failures and the thaw rule', () => {
  void it('a Fail pre hook fails in one pod of three: COMMAND is not run, the three frozen pods (the failed one too) are thawed; status pre-failed (exit 3)', async () => {
    const h = start({ script: (req) => (req.pod === 'b' && req.command[0] === 'freeze' ? { exitCode: 1 } : { exitCode: 0 }) });
    const r = await h.report;
    assert.equal(r.status, 'pre-failed');
    assert.equal(WINDOW_EXIT_CODES[r.status], 3);
    assert.deepEqual(r.command, { ran: false, why: 'pre-failed' });
    assert.equal(h.command.inputs.length, 0);
    assert.deepEqual(counts(h), ['a:1/1', 'b:1/1', 'c:1/1']);
    assertClosed(h);
  });

  void it('a pre hook that times out still counts as frozen (its command may have run): the pod is thawed', async () => {
    const h = start({ script: (req) => (req.pod === 'c' && req.command[0] === 'freeze' ? { hang: true } : { exitCode: 0 }), pre: PODS.map((p) => freeze(p, { execTimeoutMs: 30_000 })) });
    await h.clock.advance(30_000);
    const r = await h.report;
    assert.equal(r.pre.results.find((x) => x.pod === 'c')?.status, 'timed-out');
    assert.equal(r.status, 'pre-failed');
    assert.deepEqual(counts(h), ['a:1/1', 'b:1/1', 'c:1/1']);
    assertClosed(h);
  });

  void it('--on-pre-failure continue runs COMMAND anyway, with the frozen pods; the status stays pre-failed', async () => {
    const h = start({ onPreFailure: 'continue', script: (req) => (req.pod === 'b' && req.command[0] === 'freeze' ? { exitCode: 1 } : { exitCode: 0 }) });
    const r = await h.report;
    assert.equal(h.command.inputs.length, 1);
    assert.deepEqual(h.command.inputs[0]?.frozen.map((p) => p.name), ['a', 'b', 'c']);
    assert.equal(r.status, 'pre-failed');
    assertThawRule(h);
    assertClosed(h);
  });

  void it('a pre hook whose exec never opened (container not running) does not freeze: that pod is not thawed', async () => {
    const list = pods();
    list[1] = podWith('b', { db: 'waiting' });
    const h = start({ pods: list });
    const r = await h.report;
    assert.equal(r.pre.results.find((x) => x.pod === 'b')?.reasonCode, 'container-not-running');
    assert.deepEqual(counts(h), ['a:1/1', 'b:0/0', 'c:1/1']);
    assert.deepEqual(postStatuses(r), ['a:succeeded', 'b:not-run/not-frozen', 'c:succeeded']);
    assert.equal(r.post.summary.failed, 0, 'not-frozen is attempted, not failed');
    assertThawRule(h);
    assertClosed(h);
  });

  void it('a pod with post hooks but no pre hook is never thawed (not-frozen); a failed thaw is status thaw-failed (exit 6)', async () => {
    const h = start({ pre: [freeze('a')], script: (req) => (req.command[0] === 'thaw' ? { exitCode: 2 } : { exitCode: 0 }) });
    const r = await h.report;
    assert.deepEqual(counts(h), ['a:1/1', 'b:0/0', 'c:0/0']);
    assert.deepEqual(postStatuses(r), ['a:failed/non-zero-exit', 'b:not-run/not-frozen', 'c:not-run/not-frozen']);
    assert.equal(r.status, 'thaw-failed');
    assert.equal(WINDOW_EXIT_CODES[r.status], 6);
    assert.deepEqual(r.notThawed.map((p) => p.name), ['a']);
    assertClosed(h);
  });

  void it('every pod frozen, thawed exactly once, across random failures, signals and timeouts', async () => {
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 40; round++) {
      const fails = new Set(PODS.filter(() => rnd() < 0.3));
      const h = start({
        concurrency: 1 + Math.floor(rnd() * 3),
        command: { delayMs: Math.floor(rnd() * 3000) },
        windowTimeoutMs: rnd() < 0.5 ? 1500 : undefined,
        onPreFailure: rnd() < 0.5 ? 'continue' : 'fail',
        script: (req) => (fails.has(req.pod) && req.command[0] === 'freeze' ? { exitCode: 1, delayMs: 100 } : { delayMs: 100 }),
      });
      const stopAt = Math.floor(rnd() * 4000);
      await h.clock.advance(stopAt);
      if (rnd() < 0.5) h.first.abort();
      await h.clock.advance(10_000);
      await settle();
      await h.report;
      assertThawRule(h);
      assertClosed(h);
    }
  });
});
