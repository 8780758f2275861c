/**
 * The fault tier of the controller: the whole controller (HookRunController, HookRunRunner, the
 * journal writer, the kube adapters, leader election) against the in-process fake API server, with
 * faults kube-apiserver and networks produce: 409 Conflicts on HookRun status writes (spurious, from
 * someone else's edit, and a write that landed but whose answer was lost), dropped HookRun watches, and
 * Lease conflicts with a leader stopped mid-run. Every case asserts that no hook runs twice (the fake
 * server counts execs per hook) and that the status converges (every hook has a final result).
 */
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeClient } from '../kube/client.ts';
import { KubeHookRunClient } from '../kube/hookruns.ts';
import { KubeHookRunJournalClient } from '../kube/hookrunjournals.ts';
import { createKubePorts } from '../kube/index.ts';
import { KubeLeaseClient } from '../kube/leases.ts';
import { createSystemClock } from '../run/clock.ts';
import { until } from '../testing/changes.ts';
import { FakeApiServer, runningPod } from '../testing/fake-api-server.ts';
import type { StoredObject } from '../testing/fake-objects.ts';
import { HookRunController } from './controller.ts';
import { HookRunRunner } from './hookrun-run.ts';
import type { HookRun } from './hookrun-types.ts';
import { LeaderElector } from './leader.ts';

const NS = 'db';
const PODS = 3;
const HOOKS = 3;

interface Setup {
  readonly server: FakeApiServer;
  readonly kubeconfig: string;
  /** exec count per `pod#index`. */
  readonly execs: Map<string, number>;
}

async function setup(t: TestContext, execMs = 40): Promise<Setup> {
  const server = await FakeApiServer.start();
  t.after(() => server.close());
  const execs = new Map<string, number>();
  server.onExec(async (ctx) => {
    const key = ctx.command.at(-1) ?? '';
    execs.set(key, (execs.get(key) ?? 0) + 1);
    try {
      await sleep(execMs, undefined, { signal: ctx.signal });
    } catch {
      return { closeWithoutStatus: true };
    }
    return { exitCode: 0 };
  });
  for (let p = 0; p < PODS; p++) server.putPod(runningPod(NS, `app-${p}`, ['c'], { app: `app-${p}` }));
  return { server, kubeconfig: server.writeKubeconfig(), execs };
}

function hookRun(name: string, pods = PODS): StoredObject {
  const resources = Array.from({ length: pods }, (_, p) => ({
    name: `pod-${p}`,
    labelSelector: { matchLabels: { app: `app-${p}` } },
    pre: Array.from({ length: HOOKS }, (_, i) => ({ exec: { container: 'c', command: ['/bin/sh', '-c', `app-${p}#${i}`] } })),
  }));
  return {
    apiVersion: 'kubehooks.dev/v1alpha1',
    kind: 'HookRun',
    metadata: { name, namespace: NS },
    spec: { phase: 'pre-backup', backup: { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'nightly' }, spec: { hooks: { resources } } }, concurrency: 2 },
  };
}

interface Running {
  readonly logs: string[];
  readonly stop: AbortController;
  readonly done: Promise<void>;
  readonly elector?: LeaderElector;
}

/** One controller process's worth of parts, on the fake server; leader election when `lease` is given. */
function startController(s: Setup, t: TestContext, identity: string, lease?: { leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number }): Running {
  const clock = createSystemClock();
  const warn = (): void => undefined;
  const ports = createKubePorts({ kubeconfigPath: s.kubeconfig, clock, warn });
  const client = KubeClient.load({ kubeconfigPath: s.kubeconfig, warn });
  const logs: string[] = [];
  const log = (m: string): void => {
    logs.push(m);
  };
  const api = new KubeHookRunClient(client);
  const elector = lease === undefined ? undefined : new LeaderElector({ store: new KubeLeaseClient(client), clock, config: { namespace: NS, name: 'kubehooks-controller', identity, ...lease }, log });
  const runner = new HookRunRunner({
    api, executor: ports.executor, watcher: ports.watcher, lister: ports.lister, clock, systemNamespace: NS, log, holder: identity, journals: new KubeHookRunJournalClient(client),
    // As `kubehooks controller` runs it: a start lookahead of the HookRun's concurrency (ADR 0027).
    startLookahead: 'concurrency',
    fence: elector === undefined ? undefined : () => (elector.mayAct() ? undefined : 'not the leader'),
  });
  const stop = new AbortController();
  const lead = (signal: AbortSignal): Promise<void> => new HookRunController(api, runner, { namespaces: [NS], maxConcurrentRuns: 2, clock, log, retryMs: 200 }).run(signal);
  const done = (elector === undefined ? lead(stop.signal) : elector.run(stop.signal, lead)).finally(() => {
    ports.close();
    client.close();
  });
  const r: Running = { logs, stop, done, ...(elector === undefined ? {} : { elector }) };
  t.after(async () => {
    stop.abort();
    await done;
  });
  return r;
}

function statusOf(s: Setup, name: string): NonNullable<HookRun['status']> {
  return ((s.server.objects.hookRun(NS, name) as unknown as HookRun | undefined)?.status ?? {});
}

async function converged(s: Setup, name: string, why: () => string, timeoutMs = 30_000): Promise<NonNullable<HookRun['status']>> {
  await until([s.server.changes], `HookRun ${name} complete`, () => statusOf(s, name).completionTime !== undefined, timeoutMs).catch((error: unknown) => {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nstatus: ${JSON.stringify(statusOf(s, name))}\n${why()}`);
  });
  return statusOf(s, name);
}

/**
 * No hook ran twice; every hook has a final result; the counters agree with the results. A hook
 * recorded `interrupted` stops its pod's later hooks (not-run `previous-hook-failed`, never executed).
 */
function assertConverged(s: Setup, status: NonNullable<HookRun['status']>, allowInterrupted: number, pods = PODS): void {
  for (const [key, n] of s.execs) assert.ok(n <= 1, `${key} ran ${n} times`);
  const results = status.results ?? [];
  assert.equal(results.length, pods * HOOKS);
  let interrupted = 0;
  const stoppedPods = new Set<string>();
  for (const r of results) {
    const key = `${r.pod}#${r.index}`;
    if (r.reasonCode === 'interrupted') {
      interrupted++;
      assert.equal(r.status, 'failed');
      stoppedPods.add(r.pod);
      continue;
    }
    if (stoppedPods.has(r.pod)) {
      assert.equal(r.status, 'not-run', `${key} comes after an interrupted hook of its pod`);
      assert.equal(r.reasonCode, 'previous-hook-failed', key);
      assert.equal(s.execs.get(key), undefined, `${key} was not executed`);
      continue;
    }
    assert.equal(r.status, 'succeeded', `${key}: ${r.status} ${r.reason ?? ''}`);
    assert.equal(s.execs.get(key), 1, `${key} succeeded, so it ran once`);
  }
  assert.ok(interrupted <= allowInterrupted, `${interrupted} interrupted`);
  assert.equal(status.summary?.failed, interrupted);
  assert.equal(status.phase, interrupted > 0 ? 'Failed' : 'Succeeded');
}

void describe('controller fault tier (fake API server)', () => {
  void test('409 Conflicts on status writes (spurious, an edit by someone else, a write whose answer was lost): every hook once, the status converges', async (t) => {
    const s = await setup(t, 300);
    s.server.objects.failNext({ verb: 'hookrun-status', statusCode: 409, times: 2 });
    s.server.objects.createHookRun(hookRun('conflicts'));
    let edits = 0;
    let lost = 0;
    s.server.objects.onStatusWrite = (hr) => {
      const results = ((hr['status'] as HookRun['status']) ?? {}).results ?? [];
      // Mid-run: a label edit moves the resourceVersion under the writer, and one write's answer is lost.
      if (edits === 0 && results.some((r) => r.status === 'succeeded')) {
        edits++;
        s.server.objects.touchHookRun(NS, 'conflicts', (o) => {
          o.metadata['labels'] = { team: 'db' };
        });
      } else if (lost === 0 && edits === 1 && results.filter((r) => r.status === 'succeeded').length >= 1) {
        lost++;
        s.server.objects.failNext({ verb: 'hookrun-status', statusCode: 500, afterWrite: true });
      }
    };
    const c = startController(s, t, 'ctl-a');
    const status = await converged(s, 'conflicts', () => c.logs.join('\n'));
    assertConverged(s, status, 0);
    assert.equal(edits, 1);
    assert.equal(lost, 1);
    assert.equal((s.server.objects.hookRun(NS, 'conflicts')?.metadata['labels'] as Record<string, string> | undefined)?.['team'], 'db', 'the edit is kept');
    assert.ok(!c.logs.some((l) => /taken over|stopped/.test(l)), c.logs.join('\n'));
  });

  void test('HookRun watch drops: a HookRun created while the watch is down is picked up after it resumes; runs converge', async (t) => {
    const s = await setup(t);
    const c = startController(s, t, 'ctl-a');
    await until([s.server.changes], 'the HookRun watch', () => s.server.objects.openWatchCount === 1, 10_000);
    s.server.objects.failNext({ verb: 'hookrun-watch', statusCode: 500, times: 2 });
    s.server.objects.dropWatches();
    s.server.objects.createHookRun(hookRun('dropped'));
    const first = await converged(s, 'dropped', () => c.logs.join('\n'));
    assertConverged(s, first, 0);
    // And mid-run: drops while a second run goes on.
    s.execs.clear();
    s.server.objects.createHookRun(hookRun('mid'));
    for (let i = 0; i < 3; i++) {
      await until([s.server.changes], 'a watch again', () => s.server.objects.openWatchCount === 1, 15_000);
      s.server.objects.dropWatches();
    }
    assertConverged(s, await converged(s, 'mid', () => c.logs.join('\n')), 0);
    assert.ok(c.logs.some((l) => /watch HookRuns .*retrying/.test(l)), c.logs.join('\n'));
  });

  void test('the HookRun watch carries metadata only: a run\'s status writes come back small and are not read back', async (t) => {
    const s = await setup(t);
    const c = startController(s, t, 'ctl-a');
    await until([s.server.changes], 'the HookRun watch', () => s.server.objects.openWatchCount === 1, 10_000);
    const bytesBefore = s.server.objects.hookRunWatchBytes;
    s.server.objects.createHookRun(hookRun('quiet'));
    const status = await converged(s, 'quiet', () => c.logs.join('\n'));
    assertConverged(s, status, 0);
    const writes = s.server.objects.statusWrites.get(`${NS}/quiet`) ?? 0;
    const size = Buffer.byteLength(JSON.stringify(s.server.objects.hookRun(NS, 'quiet')));
    const sent = s.server.objects.hookRunWatchBytes - bytesBefore;
    const gets = s.server.requests.filter((r) => r.method === 'GET' && r.path === `/apis/kubehooks.dev/v1alpha1/namespaces/${NS}/hookruns/quiet`).length;
    assert.ok(writes >= 3, `${writes} status writes`);
    // The creation and each write: one metadata event each, far smaller than the object.
    assert.ok(sent < (writes + 1) * 1_000, `the watch sent ${sent} bytes for ${writes} writes of a ${size}-byte object`);
    // Read to tell it is new, read by the run; at most one more for an echo that arrives after the run.
    assert.ok(gets <= 3, `${gets} GETs of the HookRun for ${writes} status writes`);
  });

  void test('409 Conflicts and unknown outcomes on HookRunJournal writes (spurious, a metadata edit by someone else, a write whose answer was lost): every hook once, the run converges', async (t) => {
    const s = await setup(t, 60);
    s.server.objects.failNext({ verb: 'journal-update', statusCode: 409, times: 2 });
    s.server.objects.createHookRun(hookRun('jconflicts'));
    let edits = 0;
    let lost = 0;
    s.server.objects.onJournalWrite = (j) => {
      const entries = ((j['spec'] as { entries?: { outcome?: unknown }[] } | undefined)?.entries ?? []);
      if (edits === 0 && entries.some((e) => e.outcome !== undefined)) {
        edits++;
        queueMicrotask(() => {
          const current = s.server.objects.journal(NS, 'jconflicts');
          if (current !== undefined) s.server.objects.putJournal({ ...current, metadata: { ...current.metadata, labels: { team: 'db' } } });
        });
      } else if (lost === 0 && edits === 1) {
        lost++;
        s.server.objects.failNext({ verb: 'journal-update', statusCode: 500, afterWrite: true });
      }
    };
    const c = startController(s, t, 'ctl-a');
    const status = await converged(s, 'jconflicts', () => c.logs.join('\n'));
    assertConverged(s, status, 0);
    assert.equal(edits, 1);
    assert.equal(lost, 1);
    const journal = s.server.objects.journal(NS, 'jconflicts') as unknown as { metadata: { uid: string; labels?: Record<string, string>; ownerReferences: { uid: string; controller: boolean }[] }; spec: { holder: string } };
    assert.equal(journal.metadata.labels?.['team'], 'db', 'the edit is kept');
    assert.equal(journal.spec.holder, 'ctl-a');
    assert.equal(status.journalUID, journal.metadata.uid, 'status.journalUID names the journal');
    assert.deepEqual(journal.metadata.ownerReferences.map((o) => [o.uid, o.controller]), [[s.server.objects.hookRun(NS, 'jconflicts')?.metadata.uid, true]]);
    assert.ok(!c.logs.some((l) => /taken over|stopped/.test(l)), c.logs.join('\n'));
  });

  void test('a second writer of the HookRunJournal: the controller stops the run before any further exec, leaves the journal alone for its back-off, then resumes the run to its end', async (t) => {
    const s = await setup(t, 150);
    s.server.objects.createHookRun(hookRun('rival'));
    let rivalAt = -1;
    s.server.objects.onJournalWrite = (j) => {
      const spec = j['spec'] as { holder: string; entries: { outcome?: unknown }[] };
      if (rivalAt < 0 && spec.holder === 'ctl-a' && spec.entries.some((e) => e.outcome !== undefined)) {
        queueMicrotask(() => {
          const current = s.server.objects.journal(NS, 'rival');
          if (current === undefined) return;
          rivalAt = [...s.execs.values()].reduce((a, b) => a + b, 0);
          s.server.objects.putJournal({ ...current, spec: { ...(current['spec'] as object), holder: 'ctl-rival' } });
        });
      }
    };
    const c = startController(s, t, 'ctl-a');
    // The logs do not notify the server's change signal: polled.
    for (let i = 0; !(c.logs.some((l) => /another writer \(ctl-rival\)/.test(l)) && c.logs.some((l) => /: stopped/.test(l))); i++) {
      assert.ok(i < 400, `the run did not stop:\n${c.logs.join('\n')}`);
      await sleep(50);
    }
    // The stop's back-off is retryMs (200 ms here): until then nothing more runs and the journal is the rival's.
    await sleep(100);
    const execs = [...s.execs.values()].reduce((a, b) => a + b, 0);
    // Hooks whose start was acknowledged before the rival's write may still exec; none after.
    assert.ok(execs <= rivalAt + 2, `${execs} execs, ${rivalAt} when the rival wrote (concurrency 2)`);
    for (const [key, n] of s.execs) assert.ok(n <= 1, `${key} ran ${n} times`);
    // (Unless the back-off already ended on a loaded machine: the resume's own log line says so.)
    if (!c.logs.some((l) => /HookRun \S+: resuming$/.test(l))) assert.equal((s.server.objects.journal(NS, 'rival')?.['spec'] as { holder: string }).holder, 'ctl-rival', 'the rival\'s journal is left alone during the back-off');
    // Then the run is resumed (it was given up for good before: Running until a restart), and ends.
    const status = await converged(s, 'rival', () => c.logs.join('\n'));
    assert.ok(c.logs.some((l) => /stopped \(.*\); resuming it in 0\.2s/.test(l)), c.logs.join('\n'));
    assert.equal((s.server.objects.journal(NS, 'rival')?.['spec'] as { holder: string } | undefined)?.holder ?? 'ctl-a', 'ctl-a', 'the resume took the journal over');
    for (const [key, n] of s.execs) assert.ok(n <= 1, `${key} ran ${n} times`);
    assert.ok(status.phase === 'Succeeded' || status.phase === 'Failed', String(status.phase));
    assert.equal(status.summary?.pending, 0);
    assert.equal(status.summary.running, 0);
  });

  void test('recovery from the journal: an outcome it holds is kept (truncated), a start without one is interrupted; a lost journal runs nothing more', async (t) => {
    const s = await setup(t, 40);
    s.server.objects.createHookRun(hookRun('recover'));
    // A first controller plans and records its journal, then dies before any hook: simulated by a
    // controller stopped right after the plan write, and journal entries written as a dead one left them.
    const first = startController(s, t, 'ctl-a');
    await until([s.server.changes], 'the plan', () => statusOf(s, 'recover').journalUID !== undefined, 10_000);
    first.stop.abort();
    await first.done;
    const before = statusOf(s, 'recover');
    const runs = (before.results ?? []).filter((r) => r.status === 'pending');
    const j = s.server.objects.journal(NS, 'recover');
    assert.ok(j !== undefined && runs.length >= 2);
    const [a, b] = runs as [NonNullable<typeof runs[number]>, NonNullable<typeof runs[number]>];
    const id = (r: typeof a): Record<string, unknown> => ({ namespace: r.namespace, pod: r.pod, container: r.container, source: r.source, name: r.name, phase: r.phase, index: r.index, startedAt: '2026-12-03T12:00:00.000Z' });
    s.server.objects.putJournal({ ...j, spec: { ...(j['spec'] as object), holder: 'ctl-dead', entries: [{ ...id(a), outcome: { status: 'succeeded', exitCode: 0, durationMs: 7 } }, id(b)] } });
    s.execs.clear();
    const second = startController(s, t, 'ctl-b');
    const status = await converged(s, 'recover', () => second.logs.join('\n'));
    const ra = status.results?.find((r) => r.pod === a.pod && r.index === a.index);
    const rb = status.results?.find((r) => r.pod === b.pod && r.index === b.index);
    assert.equal(ra?.status, 'succeeded');
    assert.equal(ra.truncated, true, 'its output died with the controller');
    assert.equal(s.execs.get(`${a.pod}#${a.index}`), undefined, 'a hook with an outcome in the journal is not run again');
    assert.equal(rb?.status, 'failed');
    assert.equal(rb.reasonCode, 'interrupted');
    assert.equal(s.execs.get(`${b.pod}#${b.index}`), undefined, 'an interrupted hook is not run again');
    for (const [key, n] of s.execs) assert.equal(n, 1, key);
    assert.equal((s.server.objects.journal(NS, 'recover')?.['spec'] as { holder: string }).holder, 'ctl-b', 'the takeover wrote the journal under its holder');

    // A lost journal: the status names one that is gone. Nothing runs; every unfinished hook is interrupted.
    s.server.objects.createHookRun(hookRun('lost'));
    const third = startController(s, t, 'ctl-c');
    await until([s.server.changes], 'the plan', () => statusOf(s, 'lost').journalUID !== undefined, 10_000);
    third.stop.abort();
    await third.done;
    s.server.objects.deleteJournal(NS, 'lost');
    s.execs.clear();
    const fourth = startController(s, t, 'ctl-d');
    const lostStatus = await converged(s, 'lost', () => fourth.logs.join('\n'));
    assert.equal(s.execs.size, 0, 'nothing ran');
    assert.ok((lostStatus.results ?? []).every((r) => r.status === 'succeeded' || r.reasonCode === 'interrupted' || r.reasonCode === 'previous-hook-failed'), JSON.stringify(lostStatus.results));
    assert.match(lostStatus.conditions?.find((c) => c.type === 'Resumed')?.message ?? '', /HookRunJournal .* is gone: nothing more runs/);
  });

  void test('at most `concurrency` + lookahead hooks are ever stored started-without-result; at most `concurrency` running', async (t) => {
    // Six pods with hooks in sequence, two slots: a hook's slot freed before its result reached the
    // journal let the next start be written beside it, so a status could show 3 running (a crash then
    // left more interrupted hooks than could ever run at once). ADR 0027: hooks queued for a slot may
    // have their start recorded ahead, at most the lookahead (2, the concurrency) of them.
    const pods = 6;
    const s = await setup(t, 150);
    for (let p = PODS; p < pods; p++) s.server.putPod(runningPod(NS, `app-${p}`, ['c'], { app: `app-${p}` }));
    // ADR 0024: the starts are in the HookRunJournal (an entry without an outcome); the status says `running` later.
    const seen: number[] = [];
    const seenStatus: number[] = [];
    s.server.objects.onJournalWrite = (j) => {
      seen.push(((j['spec'] as { entries?: { outcome?: unknown }[] } | undefined)?.entries ?? []).filter((e) => e.outcome === undefined).length);
    };
    s.server.objects.onStatusWrite = (hr) => {
      seenStatus.push((((hr['status'] as HookRun['status']) ?? {}).results ?? []).filter((r) => r.status === 'running').length);
    };
    s.server.objects.createHookRun(hookRun('bounded', pods));
    const c = startController(s, t, 'ctl-a');
    const status = await converged(s, 'bounded', () => c.logs.join('\n'));
    assert.equal((status.results ?? []).filter((r) => r.status === 'succeeded').length, pods * HOOKS);
    assert.ok(seen.some((n) => n > 2), `the lookahead recorded starts ahead: ${seen.join(' ')}`);
    assert.ok(seen.every((n) => n <= 4), `started without an outcome per stored journal (bound 2 + 2): ${seen.join(' ')}`);
    assert.ok(seenStatus.some((n) => n === 2), `both slots were used: ${seenStatus.join(' ')}`);
    assert.ok(seenStatus.every((n) => n <= 2), `running per stored status (only hooks in a slot): ${seenStatus.join(' ')}`);
    const writes = s.server.objects.statusWrites.get(`${NS}/bounded`) ?? 0;
    const journalWrites = s.server.objects.journalWrites.get(`${NS}/bounded`) ?? 0;
    assert.ok(journalWrites > writes, `${journalWrites} journal writes, ${writes} status writes`);
  });

  void test('leader election with Lease conflicts: the leader stopped mid-run, the standby resumes; no hook twice, the status converges', async (t) => {
    const s = await setup(t, 150);
    const timing = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 200 };
    const a = startController(s, t, 'ctl-a', timing);
    await until([s.server.changes], 'a leads', () => a.elector?.isLeader === true, 10_000);
    const b = startController(s, t, 'ctl-b', timing);
    await until([s.server.changes], 'b stands by', () => b.elector?.leaderKnown === true, 10_000);
    // Conflicts on the Lease all along: renewals and takeovers retry through them.
    s.server.objects.failNext({ verb: 'lease-update', statusCode: 409, times: 3 });
    s.server.objects.createHookRun(hookRun('failover'));
    await until([s.server.changes], 'a hook started, one done', () => {
      const es = ((s.server.objects.journal(NS, 'failover')?.['spec'] as { entries?: { outcome?: unknown }[] } | undefined)?.entries ?? []);
      return es.some((e) => e.outcome === undefined) && (es.some((e) => e.outcome !== undefined) || (statusOf(s, 'failover').results ?? []).some((r) => r.status === 'succeeded'));
    }, 20_000);
    assert.ok(!b.logs.some((l) => /HookRun .*: (starting|resuming)/.test(l)), 'the standby ran nothing');
    a.stop.abort();
    await a.done;
    s.server.objects.failNext({ verb: 'lease-update', statusCode: 409, times: 2 });
    await until([s.server.changes], 'b leads', () => b.elector?.isLeader === true, 15_000);
    const status = await converged(s, 'failover', () => `--- a\n${a.logs.join('\n')}\n--- b\n${b.logs.join('\n')}`);
    // A graceful stop (a still led): its starts recorded ahead are taken back (ADR 0027), so at most
    // `concurrency` (2) hooks, the ones in an exec, are interrupted.
    assertConverged(s, status, 2);
    assert.equal(status.holder, 'ctl-b');
    assert.ok(b.logs.some((l) => /HookRun db\/failover: resuming/.test(l)), b.logs.join('\n'));
    const lease = s.server.objects.lease(NS, 'kubehooks-controller') as unknown as { spec: { holderIdentity: string; leaseTransitions: number } };
    assert.equal(lease.spec.holderIdentity, 'ctl-b');
    assert.equal(lease.spec.leaseTransitions, 1);
  });
});
