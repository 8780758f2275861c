/**
 * HookRunController's read rule over a metadata-only watch, with an in-memory HookRun source and a
 * runner that writes the status as a run does (each write comes back on the watch as metadata): what
 * is read (GET) and what is run. The whole controller against the fake API server is in
 * controller-faults.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSystemClock } from '../run/clock.ts';
import { HookRunController, observeStatusWrites, type HookRunMetaEvent, type HookRunObserved, type HookRunSource } from './controller.ts';
import type { RunOutcome } from './hookrun-run.ts';
import type { HookRun, HookRunMeta, HookRunStatus } from './hookrun-types.ts';
import type { HookRunStore } from './journal-writer.ts';

const NS = 'db';

function notFound(name: string): Error {
  return Object.assign(new Error(`hookruns "${name}" not found`), { statusCode: 404 });
}

class MemorySource implements HookRunSource {
  readonly objects = new Map<string, HookRun>();
  /** Names GET, in order. */
  readonly gets: string[] = [];
  /** While set, a GET waits for it. */
  gate: Promise<void> | undefined;
  failGets = 0;
  #emit: ((e: HookRunMetaEvent) => void) | undefined;
  #rv = 100;
  #uid = 0;

  meta(name: string): HookRunMeta {
    const o = this.objects.get(name);
    if (o === undefined) throw new Error(`no ${name}`);
    const { namespace, uid, generation, resourceVersion } = o.metadata;
    return { name, namespace, ...(uid === undefined ? {} : { uid }), ...(generation === undefined ? {} : { generation }), ...(resourceVersion === undefined ? {} : { resourceVersion }) };
  }

  async watch(options: Parameters<HookRunSource['watch']>[0], onEvent: (e: HookRunMetaEvent) => void, signal: AbortSignal): Promise<void> {
    this.#emit = onEvent;
    for (const name of this.objects.keys()) onEvent({ type: 'upsert', meta: this.meta(name) });
    options.onSynced?.();
    await new Promise<void>((resolve) => {
      signal.addEventListener('abort', () => { resolve(); }, { once: true });
    });
    this.#emit = undefined;
  }

  async get(namespace: string, name: string): Promise<HookRun> {
    this.gets.push(name);
    await this.gate;
    if (this.failGets > 0) {
      this.failGets--;
      throw Object.assign(new Error('the API server is unavailable'), { statusCode: 503 });
    }
    const o = this.objects.get(name);
    if (o === undefined || o.metadata.namespace !== namespace) throw notFound(name);
    return structuredClone(o);
  }

  /** Stores (creates or changes) and tells the watch, as kube-apiserver does. */
  put(name: string, change: (hr: HookRun) => HookRun): HookRun {
    const current = this.objects.get(name) ?? { apiVersion: 'kubehooks.dev/v1alpha1', kind: 'HookRun', metadata: { name, namespace: NS, uid: `uid-${++this.#uid}`, generation: 1 }, spec: { phase: 'pre-backup' } };
    const next = change(structuredClone(current));
    const stored: HookRun = { ...next, metadata: { ...next.metadata, resourceVersion: String(++this.#rv) } };
    this.objects.set(name, stored);
    this.#emit?.({ type: 'upsert', meta: this.meta(name) });
    return structuredClone(stored);
  }

  delete(name: string): void {
    const meta = this.meta(name);
    this.objects.delete(name);
    this.#emit?.({ type: 'deleted', meta });
  }

  /** Re-sends the metadata as it is (a relist). */
  relist(): void {
    for (const name of this.objects.keys()) this.#emit?.({ type: 'upsert', meta: this.meta(name) });
  }
}

const FINISHED: HookRunStatus = { phase: 'Succeeded', startTime: '2026-12-03T10:00:00Z', completionTime: '2026-12-03T10:01:00Z' };

/** A runner that writes the status `writes` times through the source (each write echoes on the watch), then completes it. */
function writingRunner(source: MemorySource, writes: number): { run(hr: HookRun, signal: AbortSignal): Promise<RunOutcome>; runs: string[] } {
  const runs: string[] = [];
  return {
    runs,
    async run(hr: HookRun): Promise<RunOutcome> {
      runs.push(hr.metadata.name);
      for (let i = 0; i < writes; i++) {
        source.put(hr.metadata.name, (o) => ({ ...o, status: { phase: 'Running', startTime: '2026-12-03T10:00:00Z' } }));
        await sleep(1);
      }
      return { kind: 'done', hookRun: source.put(hr.metadata.name, (o) => ({ ...o, status: FINISHED })) };
    },
  };
}

function start(t: TestContext, source: MemorySource, runner: { run(hr: HookRun, signal: AbortSignal): Promise<RunOutcome> }): { controller: HookRunController; observed: HookRunObserved[]; logs: string[] } {
  const observed: HookRunObserved[] = [];
  const logs: string[] = [];
  const controller = new HookRunController(source, runner, {
    namespaces: [NS], maxConcurrentRuns: 2, clock: createSystemClock(), log: (m) => logs.push(m), retryMs: 20,
    onEvent: (e) => observed.push(e),
  });
  const stop = new AbortController();
  const done = controller.run(stop.signal);
  t.after(async () => {
    stop.abort();
    await done;
  });
  return { controller, observed, logs };
}

async function settle(controller: HookRunController, predicate: () => boolean = () => true): Promise<void> {
  const idle = (): boolean => controller.activeRuns === 0 && controller.pendingReads === 0 && predicate();
  for (let i = 0; i < 500; i++) {
    if (idle()) {
      await sleep(20);
      if (idle()) return;
    }
    await sleep(10);
  }
  throw new Error('the controller did not settle');
}

void describe('HookRunController over a metadata-only watch', () => {
  void test('a run\'s own status writes come back as metadata and are not read back; the run\'s last write is what is observed', async (t) => {
    const source = new MemorySource();
    const runner = writingRunner(source, 20);
    const { controller, observed } = start(t, source, runner);
    source.put('nightly', (o) => o);
    await settle(controller, () => runner.runs.length === 1);
    assert.deepEqual(runner.runs, ['nightly']);
    // One read to tell it is new, one by the run for a current resourceVersion; none for the 21 writes.
    assert.deepEqual(source.gets, ['nightly', 'nightly']);
    const last = observed.at(-1);
    assert.equal(last?.type === 'upsert' ? last.hookRun.status?.phase : last?.type, 'Succeeded');
  });

  void test('what is read again: table of watch events after a finished run', async (t) => {
    const cases: { name: string; then: (s: MemorySource) => void; gets: number; runs: number }[] = [
      { name: 'a relist with the same resourceVersion', then: (s) => { s.relist(); }, gets: 0, runs: 0 },
      { name: 'a label edit by someone else (the resourceVersion moves)', then: (s) => { s.put('nightly', (o) => ({ ...o, metadata: { ...o.metadata, labels: { team: 'db' } } })); }, gets: 1, runs: 0 },
      { name: 'a person clears completionTime (resumed, as before)', then: (s) => { s.put('nightly', (o) => ({ ...o, status: { phase: 'Running', startTime: '2026-12-03T10:00:00Z' } })); }, gets: 2, runs: 1 },
      { name: 'a deletion', then: (s) => { s.delete('nightly'); }, gets: 0, runs: 0 },
    ];
    for (const c of cases) {
      await t.test(c.name, async (tt) => {
        const source = new MemorySource();
        source.put('nightly', (o) => ({ ...o, status: FINISHED }));
        const runner = writingRunner(source, 2);
        const { controller } = start(tt, source, runner);
        await settle(controller);
        assert.deepEqual(source.gets, ['nightly'], 'a finished HookRun is read once at the start, not run');
        source.gets.length = 0;
        c.then(source);
        await settle(controller, () => runner.runs.length === c.runs);
        assert.equal(source.gets.length, c.gets, `GETs: ${source.gets.join(' ')}`);
        assert.equal(runner.runs.length, c.runs);
      });
    }
  });

  void test('a HookRun deleted while it is read is neither run nor counted; a failed read is retried', async (t) => {
    const source = new MemorySource();
    const runner = writingRunner(source, 1);
    const { controller, observed } = start(t, source, runner);
    let open = (): void => undefined;
    source.gate = new Promise<void>((r) => { open = r; });
    source.put('gone', (o) => o);
    for (let i = 0; i < 100 && source.gets.length === 0; i++) await sleep(5);
    const kept = source.objects.get('gone');
    source.delete('gone');
    // The GET in flight still answers with the object (it was read before the deletion).
    if (kept !== undefined) source.objects.set('gone', kept);
    source.gate = undefined;
    open();
    await settle(controller);
    source.objects.delete('gone');
    assert.deepEqual(runner.runs, []);
    assert.deepEqual(observed.map((e) => e.type), ['deleted'], 'no upsert after the deletion');

    source.failGets = 1;
    source.put('flaky', (o) => o);
    await settle(controller, () => runner.runs.length === 1);
    assert.deepEqual(runner.runs, ['flaky']);
  });

  void test('a stopped run is not given up: resumed after a back-off that doubles per stop in a row, not earlier on a watch event', async (t) => {
    const cases: { name: string; stops: number; echoes: boolean }[] = [
      { name: 'one stop (the newcomer met an old leader\'s last status write)', stops: 1, echoes: false },
      { name: 'three stops in a row, the other writer\'s writes echo on the watch meanwhile', stops: 3, echoes: true },
    ];
    for (const c of cases) {
      await t.test(c.name, async (tt) => {
        const source = new MemorySource();
        const at: number[] = [];
        const runner = {
          async run(hr: HookRun): Promise<RunOutcome> {
            at.push(performance.now());
            await sleep(1);
            if (at.length <= c.stops) {
              // Another writer's status write (its echo comes while this run is active, then after it).
              source.put(hr.metadata.name, (o) => ({ ...o, status: { phase: 'Running', startTime: '2026-12-03T10:00:00Z', holder: 'old-leader' } }));
              if (c.echoes) setTimeout(() => { source.put(hr.metadata.name, (o) => ({ ...o, metadata: { ...o.metadata, labels: { n: String(at.length) } } })); }, 5);
              return { kind: 'stopped', why: 'the HookRun status was taken over' };
            }
            return { kind: 'done', hookRun: source.put(hr.metadata.name, (o) => ({ ...o, status: FINISHED })) };
          },
        };
        const { controller, logs } = start(tt, source, runner);
        source.put('nightly', (o) => o);
        await settle(controller, () => at.length === c.stops + 1);
        assert.equal(at.length, c.stops + 1, `runs: ${logs.join('\n')}`);
        assert.equal(source.objects.get('nightly')?.status?.phase, 'Succeeded');
        // retryMs 20: resumed after 20, 40, 80 ms (a watch event never brings it back earlier).
        for (let i = 1; i < at.length; i++) {
          const gap = (at[i] ?? 0) - (at[i - 1] ?? 0);
          assert.ok(gap >= 20 * 2 ** (i - 1) - 2, `run ${i + 1} came ${gap.toFixed(1)} ms after run ${i}, before its back-off of ${20 * 2 ** (i - 1)} ms`);
        }
        assert.ok(logs.some((l) => /stopped \(the HookRun status was taken over\); resuming it in 0\.02s/.test(l)), logs.join('\n'));
      });
    }
  });

  void test('a run stopped because the controller stops is not resumed', async (t) => {
    const source = new MemorySource();
    const runs: string[] = [];
    const stop = new AbortController();
    const controller = new HookRunController(source, {
      async run(hr: HookRun, signal: AbortSignal): Promise<RunOutcome> {
        runs.push(hr.metadata.name);
        stop.abort();
        await sleep(1);
        return { kind: 'stopped', why: signal.aborted ? 'the controller is stopping' : 'no' };
      },
    }, { namespaces: [NS], maxConcurrentRuns: 2, clock: createSystemClock(), log: () => undefined, retryMs: 5 });
    source.put('nightly', (o) => o);
    await controller.run(stop.signal);
    await sleep(30);
    assert.deepEqual(runs, ['nightly']);
    t.diagnostic('no run after the stop');
  });

  void test('observeStatusWrites tells each stored write and keeps the store\'s other members', async () => {
    const stored: HookRun[] = [];
    const base: HookRunStore & { secret: number } = {
      secret: 7,
      async get(): Promise<HookRun> { return Promise.reject(notFound('x')); },
      replaceStatus(hr: HookRun): Promise<HookRun> { return Promise.resolve({ ...hr, metadata: { ...hr.metadata, resourceVersion: String(this.secret) } }); },
    };
    const wrapped = observeStatusWrites(base, (hr) => stored.push(hr));
    const hr: HookRun = { apiVersion: 'kubehooks.dev/v1alpha1', kind: 'HookRun', metadata: { name: 'a', namespace: NS }, spec: { phase: 'pre-backup' } };
    const answer = await wrapped.replaceStatus(hr, new AbortController().signal);
    assert.equal(answer.metadata.resourceVersion, '7', 'the store\'s own `this`');
    assert.deepEqual(stored, [answer]);
    assert.equal(wrapped.secret, 7);
    await assert.rejects(wrapped.get('a', 'b', new AbortController().signal), /not found/);
  });
});
