/**
 * A deterministic world for issue 14's "a crash at every step" over the whole write path (test-only;
 * src/controller/crash-schedule.test.ts drives it): the real HookRunRunner (hookrun-run.ts: openJournal,
 * mergeRecovery, the takeover, StartWriter, the status JournalWriter) over an in-memory HookRun and
 * HookRunJournal whose every request waits until the schedule answers it, on one FakeClock, with
 * FakeExecutor's execs ending as the clock moves.
 *
 * A step is one scheduler decision: answer one waiting request (stored and acknowledged, stored with
 * the answer lost, refused with a 409 after someone else's metadata edit, or failed without being
 * stored), move the clock to its next timer (execs end, writers wake), or a world event (a second
 * controller takes the run over while the first still runs; someone deletes the journal). A crash
 * keeps only what the store holds (and, per write in flight, maybe that write: stored, the answer
 * lost); `snapshot` + `World.afterCrash` start a new world from it, so a crash at step k needs no
 * replay of steps 0..k-1. What must survive every crash for the invariants (every exec, every start
 * and outcome a stored object ever held) is in `History`.
 */
import type { HookRun, HookRunJournal, HookRunResult } from '../controller/hookrun-types.ts';
import { STATUS_BUDGET_BYTES } from '../controller/hookrun-types.ts';
import type { HookRunJournalStore } from '../kube/hookrunjournals.ts';
import { HookRunRunner, startLookaheadFor, type HookRunApi, type RunOutcome } from '../controller/hookrun-run.ts';
import { JOURNAL_OUTCOMES_MAX } from '../controller/start-journal.ts';
import { RESULT_WRITE_INTERVAL_MS } from '../controller/journal-writer.ts';
import { JOURNAL_WRITE_INTERVAL_MS } from '../controller/start-writer.ts';
import type { ExecOutcome, ExecRequest, PodExecutor, PodLister } from '../run/ports.ts';
import { FakeClock, settle } from './fake-clock.ts';
import { FakeExecutor, FakeWatcher, podWith } from './run-fakes.ts';
import type { PodManifest } from '../model/pod.ts';

export const NS = 'db';
const NAME = 'run';

export interface Shape {
  /** Pods; each gets `perPod` hooks (`p<i>#<index>`). */
  readonly pods: number;
  readonly perPod: number;
  readonly concurrency: number;
  /** Fates of a write's answer: probabilities of lost (stored, answer lost), conflict (409) and fail (not stored); the rest is ok. */
  readonly lost: number;
  readonly conflict: number;
  readonly fail: number;
  /** A second controller may take the run over while the first still runs (at most twice). */
  readonly takeover: boolean;
  /** Someone may delete the HookRunJournal, or replace it with another object of the same name (once). */
  readonly deleteJournal: boolean;
  /** The hooks' onError (Fail: a failed hook stops its pod's later ones). */
  readonly onError?: 'Continue' | 'Fail';
  /** A controller may be stopped gracefully (SIGTERM: its run's signal aborts), at most twice. */
  readonly sigterm?: boolean;
  /** HookRunDeps.startLookahead (ADR 0027): starts recorded ahead of the slot ('concurrency': the controller's default). */
  readonly lookahead?: number | 'concurrency';
}

/** ADR 0024/0027: a crash leaves at most concurrency + lookahead hooks started without an outcome. */
export function openStartsBound(shape: Shape): number {
  return shape.concurrency + startLookaheadFor(shape.concurrency, shape.lookahead);
}

type Op = 'status-put' | 'hookrun-get' | 'journal-get' | 'journal-put' | 'journal-create' | 'journal-delete';
type Fate = 'ok' | 'lost' | 'conflict' | 'fail';

interface Request {
  readonly id: number;
  readonly inc: Incarnation;
  readonly op: Op;
  readonly body: HookRun | HookRunJournal | undefined;
  /** Sent after its controller's SIGTERM (a retiring StartWriter's last PUT). */
  readonly afterTerm: boolean;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
}

interface Durable {
  hookRun: HookRun;
  journal: HookRunJournal | undefined;
  rv: number;
  uids: number;
}

export interface Exec {
  readonly id: string;
  readonly holder: string;
  readonly step: number;
  /** What the command ended with (undefined: still running, or aborted). */
  status?: 'succeeded' | 'failed';
  exitCode?: number;
}

/** What outlives every crash: the side-effect log and what the stored objects ever held. */
export interface History {
  readonly executed: Exec[];
  /** Hooks whose start a stored HookRunJournal held at some point. */
  readonly everStarted: Set<string>;
  /** A real outcome (not interrupted) a stored object held: the hook's final must keep it. */
  readonly everOutcome: Map<string, { status: string; exitCode: number | null; inStatus: boolean }>;
  readonly schedule: string[];
  readonly violations: string[];
  /** The journal was deleted at some point (ADR 0024: then nothing without a final result may run). */
  journalDeleted: boolean;
  incarnations: number;
  takeovers: number;
  sigterms: number;
  /** Per incarnation that resumed: hooks it recorded interrupted that no stored object had recorded so (`executed`: of those, how many had executed). */
  readonly interruptedPerResume: { holder: string; count: number; executed: number; lost: boolean }[];
  /** Crashes so far (a world without crash, takeover or deleted journal records nothing interrupted). */
  crashes: number;
  /** Every controller stopped ('stopped', not a crash) with the run unfinished and none resumes it: left Running until a restart (must stay 0). */
  abandoned: number;
  /** Runs the leader resumed after a stop (HookRunController's re-queue after a back-off). */
  requeues: number;
  /** Live runs that found their journal deleted or replaced and ended it themselves (condition JournalLost). */
  liveLosses: number;
  /** Holders that found the journal lost (they must exec nothing). */
  readonly lostOpens: Set<string>;
  step: number;
}

export function newHistory(): History {
  return { executed: [], everStarted: new Set(), everOutcome: new Map(), schedule: [], violations: [], journalDeleted: false, incarnations: 0, takeovers: 0, sigterms: 0, interruptedPerResume: [], crashes: 0, abandoned: 0, requeues: 0, liveLosses: 0, lostOpens: new Set(), step: 0 };
}

function cloneHistory(h: History): History {
  return { ...h, executed: h.executed.map((e) => ({ ...e })), everStarted: new Set(h.everStarted), everOutcome: new Map([...h.everOutcome].map(([k, v]) => [k, { ...v }])), schedule: [...h.schedule], violations: [...h.violations], interruptedPerResume: h.interruptedPerResume.map((x) => ({ ...x })), lostOpens: new Set(h.lostOpens) };
}

/** What a crash leaves: the stored objects, the writes in flight (each may have been stored), the history. */
export interface Snapshot {
  readonly durable: Durable;
  readonly inFlight: readonly { readonly op: Op; readonly body: HookRun | HookRunJournal | undefined }[];
  readonly history: History;
  readonly now: number;
}

export const resultId = (r: { readonly pod: string; readonly index: number }): string => `${r.pod}#${r.index}`;
const isFinal = (r: HookRunResult): boolean => r.status !== 'pending' && r.status !== 'running';

export function initialHookRun(shape: Shape): HookRun {
  const pre = Array.from({ length: shape.perPod }, (_, i) => ({ exec: { container: 'c', command: ['/bin/sh', '-c', `#${i}`], onError: shape.onError ?? 'Continue' } }));
  return {
    apiVersion: 'kubehooks.dev/v1alpha1',
    kind: 'HookRun',
    metadata: { name: NAME, namespace: NS, uid: 'hr-uid', resourceVersion: '1', generation: 1 },
    spec: { phase: 'pre-backup', concurrency: shape.concurrency, backup: { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'nightly' }, spec: { hooks: { resources: [{ name: 'all', pre }] } } } },
  };
}

export function hookIds(shape: Shape): string[] {
  const ids: string[] = [];
  for (let p = 0; p < shape.pods; p++) for (let i = 0; i < shape.perPod; i++) ids.push(`p${p}#${i}`);
  return ids;
}

function pods(shape: Shape): PodManifest[] {
  return Array.from({ length: shape.pods }, (_, p) => podWith(`p${p}`, { c: 'running' }, { namespace: NS }));
}

/** HookRunController's back-off before a stopped run is resumed (its first step, retryMs's default). */
export const REQUEUE_AFTER_MS = 10_000;
/** Re-queues per world past which two writers ping-pong (a lone leader needs one or two). */
const MAX_REQUEUES = 8;

class Incarnation {
  /** This run's name in the schedule (a re-queued run: its process's identity plus /retryN). */
  readonly holder: string;
  /** The process identity: status.holder and the journal's holder (a re-queued run keeps its process's). */
  readonly identity: string;
  readonly ctl = new AbortController();
  readonly logs: string[] = [];
  outcome: RunOutcome | { kind: 'error'; why: string } | undefined;
  /** The HookRun and journal this incarnation read first (for counting what it newly interrupted). */
  readHookRun: HookRun;
  readJournal: HookRunJournal | undefined | 'unread' = 'unread';
  planWritten = false;
  /** The step at which this live run found its journal deleted or replaced (nothing execs after it). */
  lostAt: number | undefined;
  /** Stopped gracefully (SIGTERM): it may release no start any more. */
  terminated = false;
  constructor(holder: string, hookRun: HookRun, identity: string = holder) {
    this.holder = holder;
    this.identity = identity;
    this.readHookRun = hookRun;
  }
}

function httpError(statusCode: number, message: string): Error {
  return Object.assign(new Error(message), { statusCode });
}

function unreachable(message: string): Error {
  return Object.assign(new Error(message), { code: 'unreachable' });
}

/** The store, the clock, the execs and the controllers of one world (between two crashes). */
export class World {
  readonly clock: FakeClock;
  readonly history: History;
  readonly #shape: Shape;
  readonly #seed: number;
  readonly #durable: Durable;
  readonly #requests: Request[] = [];
  readonly #incarnations: Incarnation[] = [];
  readonly #executor: FakeExecutor;
  #requestIds = 0;

  private constructor(shape: Shape, seed: number, durable: Durable, history: History, now: number) {
    this.#shape = shape;
    this.#seed = seed;
    this.#durable = durable;
    this.history = history;
    this.clock = new FakeClock(now);
    this.#executor = new FakeExecutor(this.clock, (req) => this.#script(req));
  }

  static fresh(shape: Shape, seed: number): World {
    return new World(shape, seed, { hookRun: initialHookRun(shape), journal: undefined, rv: 1, uids: 0 }, newHistory(), Date.UTC(2026, 11, 3, 12, 0, 0));
  }

  /** A world after a crash: the snapshot's objects, each write that was in flight stored when `stored(i)` says so. */
  static afterCrash(shape: Shape, seed: number, snap: Snapshot, stored: (i: number) => boolean): World {
    const w = new World(shape, seed, { ...snap.durable }, cloneHistory(snap.history), snap.now);
    w.history.crashes++;
    snap.inFlight.forEach((r, i) => {
      if (!stored(i)) return;
      try {
        w.#apply(r.op, r.body, undefined);
        w.history.schedule.push(`  crash: in-flight ${r.op} stored (answer lost)`);
      } catch (error) {
        w.history.schedule.push(`  crash: in-flight ${r.op} reached the server, refused: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    w.history.schedule.push(`  crash at ${new Date(snap.now).toISOString()}: memory gone`);
    return w;
  }

  snapshot(): Snapshot {
    // The stored objects are replaced, never changed in place: a snapshot may share them.
    return {
      durable: { ...this.#durable },
      inFlight: this.#requests.filter((r) => r.op === 'status-put' || r.op === 'journal-put' || r.op === 'journal-create' || r.op === 'journal-delete').map((r) => ({ op: r.op, body: r.body })),
      history: cloneHistory(this.history),
      now: this.clock.now(),
    };
  }

  get stored(): { readonly hookRun: HookRun; readonly journal: HookRunJournal | undefined } {
    return this.#durable;
  }

  get complete(): boolean {
    return this.#durable.hookRun.status?.completionTime !== undefined;
  }

  /** Controllers running the HookRun, counting a stopped one waiting for its re-queue. */
  get alive(): number {
    return this.#incarnations.filter((i) => i.outcome === undefined).length + this.#requeuing;
  }

  #requeuing = 0;
  /** Re-queued runs so far (names them). */
  #retries = 0;

  /** Exec delays and exit codes: a function of the seed and the hook (the same in every world). */
  #script(req: ExecRequest): { delayMs: number; exitCode: number; stdout: string } {
    const id = `${req.pod}${req.command.at(-1) ?? ''}`;
    let h = this.#seed >>> 0;
    for (const c of id) h = Math.imul(h ^ c.charCodeAt(0), 0x9e3779b1) >>> 0;
    // Output past the status tail (1 KiB at most) now and then: the caps must hold.
    return { delayMs: 20 + (h % 400), exitCode: h % 7 === 0 ? 1 : 0, stdout: h % 5 === 0 ? `out ${id} `.repeat(300) : `ok ${id}` };
  }

  /** A controller process starts (or takes the run over) from the HookRun as stored. */
  start(why: string, identity?: string): void {
    const n = ++this.history.incarnations;
    const inc = identity === undefined ? new Incarnation(`ctl-${n}`, structuredClone(this.#durable.hookRun)) : new Incarnation(`${identity}/retry${this.#retries}`, structuredClone(this.#durable.hookRun), identity);
    this.#incarnations.push(inc);
    this.history.schedule.push(`  ${why}: ${inc.holder} starts`);
    const executor: PodExecutor = {
      exec: async (req: ExecRequest): Promise<ExecOutcome> => {
        const id = `${req.pod}${req.command.at(-1) ?? ''}`;
        if (!this.history.everStarted.has(id)) this.history.violations.push(`${inc.holder} executed ${id} before a stored journal held its start`);
        if (inc.terminated) this.history.violations.push(`${inc.holder} executed ${id} after its SIGTERM`);
        if (inc.lostAt !== undefined) this.history.violations.push(`${inc.holder} executed ${id} after it found the journal lost (step ${inc.lostAt})`);
        const e: Exec = { id, holder: inc.holder, step: this.history.step };
        this.history.executed.push(e);
        const out = await this.#executor.exec(req);
        if (out.kind === 'exited') {
          e.status = out.exitCode === 0 ? 'succeeded' : 'failed';
          e.exitCode = out.exitCode;
        }
        return out;
      },
    };
    const lister: PodLister = { list: () => Promise.resolve(pods(this.#shape)) };
    const runner = new HookRunRunner({
      api: this.#api(inc), journals: this.#journals(inc), executor, watcher: new FakeWatcher(), lister, clock: this.clock, systemNamespace: NS, holder: inc.identity, startLookahead: this.#shape.lookahead,
      log: (m) => {
        inc.logs.push(m);
        if (m.includes('nothing runs')) this.history.lostOpens.add(inc.holder);
        if (m.includes('no hook starts any more')) inc.lostAt = this.history.step;
      },
    });
    runner.run(structuredClone(inc.readHookRun), inc.ctl.signal).then((o) => {
      inc.outcome = o;
      const complete = o.kind === 'done' ? o.hookRun.status?.conditions?.find((c) => c.type === 'Complete') : undefined;
      if (complete?.reason === 'JournalLost') this.history.liveLosses++;
      // Found lost before its last hook ended (a hook ended journal-lost): the run ends Failed, JournalLost.
      // (Found only by the journal PUT after the completion was computed: every hook had its real result.)
      if (o.kind === 'done' && (o.hookRun.status?.results ?? []).some((r) => r.reasonCode === 'journal-lost') && (o.hookRun.status?.phase !== 'Failed' || complete?.reason !== 'JournalLost')) {
        this.history.violations.push(`${inc.holder} found the journal lost and ended the run ${String(o.hookRun.status?.phase)} / ${String(complete?.reason)}, not Failed / JournalLost`);
      }
      // HookRunController resumes a stopped run after a back-off while it leads: the latest process
      // (the leader; an older one is paused and its lease is gone, so its fence holds it).
      const leader = this.#incarnations.at(-1)?.identity === inc.identity;
      if (o.kind === 'stopped' && leader && !inc.terminated && !this.complete) {
        this.history.requeues++;
        if (this.history.requeues > MAX_REQUEUES) this.history.violations.push(`${inc.holder}: more than ${MAX_REQUEUES} re-queues: two writers ping-pong`);
        else this.#requeue(inc.identity, 'resumed after a stop');
      }
      if (o.kind === 'stopped' && !inc.terminated && this.alive === 0 && !this.complete) this.history.abandoned++;
      // 'done': the controller is finished with it; the store must say so too (no retry follows).
      if (o.kind === 'done' && !this.complete) this.history.violations.push(`${inc.holder} returned done, but the stored status has no completionTime: the HookRun would stay Running`);
      if (o.kind === 'stopped' && !this.#ownedElsewhere(inc)) this.history.violations.push(`${inc.holder} stopped (${o.why}) though no other controller took the run over and the journal is there: the controller would give the HookRun up and leave it unfinished until it restarts`);
      this.history.schedule.push(`  ${inc.holder} ended: ${o.kind}${o.kind === 'stopped' ? ` (${o.why})` : ''}`);
    }, (error: unknown) => {
      inc.outcome = { kind: 'error', why: error instanceof Error ? error.message : String(error) };
      this.history.schedule.push(`  ${inc.holder} ended: error (${inc.outcome.why})`);
      // HookRunController retries a run that failed with an error after retryMs, while it leads.
      if (this.#incarnations.at(-1)?.identity === inc.identity && !inc.terminated && !this.complete) this.#requeue(inc.identity, 'retried after an error');
      if (!inc.terminated && this.alive === 0 && !this.complete) this.history.abandoned++;
    });
  }

  #requeue(identity: string, why: string): void {
    this.#requeuing++;
    this.history.schedule.push(`  ${identity}: the run is re-queued (resumed in ${REQUEUE_AFTER_MS} ms)`);
    this.#retries++;
    this.clock.sleep(REQUEUE_AFTER_MS, new AbortController().signal).then(
      () => {
        this.#requeuing--;
        if (!this.complete) this.start(`re-queued (${why})`, identity);
      },
      () => {
        this.#requeuing--;
      },
    );
  }

  /** Per holder and kind of PUT, when it sent the last one (the write bounds are per writer). */
  readonly #lastSent = new Map<string, number>();

  /**
   * Another controller ran beside this one, or the journal was deleted or replaced. (Either of two
   * controllers may stop: a paused one's status write can land after the newcomer took the journal
   * and before its first status write, and the newcomer then stops too: `abandoned` counts those.)
   */
  #ownedElsewhere(inc: Incarnation): boolean {
    return inc.terminated || this.history.journalDeleted || this.#incarnations.some((other) => other !== inc);
  }

  #request(inc: Incarnation, op: Op, body: HookRun | HookRunJournal | undefined): Promise<never> {
    if (op === 'status-put' || op === 'journal-put') {
      // ADR 0024's bounds: status writes at most one a second, journal writes one every 100 ms.
      const min = op === 'status-put' ? RESULT_WRITE_INTERVAL_MS : JOURNAL_WRITE_INTERVAL_MS;
      const key = `${inc.holder} ${op}`;
      const last = this.#lastSent.get(key);
      if (last !== undefined && this.clock.now() - last < min) this.history.violations.push(`${inc.holder}: ${op} ${this.clock.now() - last} ms after its last (bound ${min} ms)`);
      this.#lastSent.set(key, this.clock.now());
    }
    return new Promise((resolve, reject) => {
      // Bodies are stored as sent: the writers build each one afresh and never change it after.
      this.#requests.push({ id: ++this.#requestIds, inc, op, body, afterTerm: inc.terminated, resolve: resolve as (v: unknown) => void, reject });
    });
  }

  #api(inc: Incarnation): HookRunApi {
    return {
      get: () => this.#request(inc, 'hookrun-get', undefined),
      replaceStatus: (hr) => {
        if (!inc.planWritten) {
          inc.planWritten = true;
          this.#countInterrupted(inc, hr);
        }
        return this.#request(inc, 'status-put', hr);
      },
      getVelero: () => Promise.resolve(undefined),
      event: () => Promise.resolve({ ok: true }),
    };
  }

  #journals(inc: Incarnation): HookRunJournalStore {
    return {
      get: () => this.#request(inc, 'journal-get', undefined),
      create: (j) => this.#request(inc, 'journal-create', j),
      replace: (j) => this.#request(inc, 'journal-put', j),
      delete: () => this.#request(inc, 'journal-delete', undefined),
    };
  }

  /** A resumed incarnation's first status write: how many hooks it newly records interrupted. */
  #countInterrupted(inc: Incarnation, hr: HookRun): void {
    if (inc.readHookRun.status?.startTime === undefined) return;
    const before = new Set((inc.readHookRun.status.results ?? []).filter(isFinal).map(resultId));
    const journal = inc.readJournal === 'unread' ? undefined : inc.readJournal;
    for (const e of journal?.spec.entries ?? []) if (e.outcome !== undefined) before.add(resultId(e));
    if (this.history.lostOpens.has(inc.holder)) {
      // ADR 0024: the journal is gone, so every hook without a final result in the status is interrupted.
      const finals = new Set((inc.readHookRun.status.results ?? []).filter(isFinal).map(resultId));
      for (const r of hr.status?.results ?? []) {
        if (!finals.has(resultId(r)) && r.reasonCode !== 'interrupted') this.history.violations.push(`${inc.holder} found the journal lost, yet ${resultId(r)} is ${r.status}, not interrupted`);
      }
    }
    const fresh = (hr.status?.results ?? []).filter((r) => r.reasonCode === 'interrupted' && !before.has(resultId(r))).map(resultId);
    const ran = new Set(this.history.executed.map((e) => e.id));
    this.history.interruptedPerResume.push({ holder: inc.holder, count: fresh.length, executed: fresh.filter((id) => ran.has(id)).length, lost: this.history.lostOpens.has(inc.holder) });
  }

  /**
   * Before a restart: the requests still in flight from controllers whose run ended are stored or not
   * now (a process that stopped or exited does not outlive its successor's start); `r` decides.
   */
  flushEnded(r: () => number): void {
    for (const req of [...this.#requests]) {
      if (req.inc.outcome === undefined) continue;
      this.#requests.splice(this.#requests.indexOf(req), 1);
      let note = 'not stored';
      if (req.op !== 'hookrun-get' && req.op !== 'journal-get' && r() < 0.5) {
        try {
          this.#apply(req.op, req.body, req.inc);
          note = 'stored';
        } catch (error) {
          note = `refused: ${error instanceof Error ? error.message : String(error)}`;
        }
      }
      req.reject(unreachable('the process ended'));
      this.history.schedule.push(`  ${req.inc.holder}'s ${req.op}#${req.id} in flight when it ended: ${note}`);
    }
  }

  /** Lets every continuation run until nothing moves. */
  async drain(): Promise<void> {
    let last = '';
    for (;;) {
      await settle(1);
      const now = `${this.#requests.length}/${this.clock.pendingTimers}/${this.history.executed.length}/${this.alive}`;
      if (now === last) return;
      last = now;
    }
  }

  /** The choices of this step, as labels (the schedule prints them). */
  choices(): string[] {
    const out = this.#requests.map((r) => `answer ${r.op}#${r.id} (${r.inc.holder})`);
    if (this.clock.nextDueAt !== undefined) out.push('tick');
    if (this.#shape.takeover && this.history.takeovers < 2 && this.alive > 0) out.push('takeover');
    if (this.#shape.sigterm === true && this.history.sigterms < 2 && this.#incarnations.some((i) => i.outcome === undefined && !i.terminated)) out.push('sigterm');
    if (this.#shape.deleteJournal && !this.history.journalDeleted && this.#durable.journal !== undefined) out.push('delete-journal', 'replace-journal');
    return out;
  }

  /** Takes one step; `r` is the schedule's randomness. */
  async step(r: () => number): Promise<void> {
    const choices = this.choices();
    // World events are rare: they are picked only when the roll says so.
    const isEvent = (c: string): boolean => c === 'takeover' || c === 'delete-journal' || c === 'replace-journal' || c === 'sigterm';
    const events = choices.filter(isEvent);
    const normal = choices.filter((c) => !isEvent(c));
    const event = events.length > 0 && r() < 0.03 ? events[Math.floor(r() * events.length)] : undefined;
    const pick = event ?? normal[Math.floor(r() * normal.length)];
    const step = this.history.step++;
    if (pick === undefined) throw new Error('no choice');
    if (pick === 'tick') {
      const due = this.clock.nextDueAt ?? this.clock.now();
      this.history.schedule.push(`${step}: tick +${due - this.clock.now()} ms`);
      await this.clock.advance(due - this.clock.now());
    } else if (pick === 'takeover') {
      this.history.takeovers++;
      this.history.schedule.push(`${step}: takeover (the running controller is paused, not dead)`);
      this.start('takeover');
    } else if (pick === 'sigterm') {
      const inc = this.#incarnations.find((i) => i.outcome === undefined && !i.terminated);
      this.history.sigterms++;
      this.history.schedule.push(`${step}: SIGTERM to ${inc?.holder ?? '?'} (a graceful stop)`);
      if (inc !== undefined) {
        inc.terminated = true;
        inc.ctl.abort();
      }
    } else if (pick === 'delete-journal' || pick === 'replace-journal') {
      this.history.journalDeleted = true;
      const old = this.#durable.journal;
      // Replaced: another object of the same name, empty, another uid (a restore of the namespace, say).
      this.#durable.journal = pick === 'delete-journal' || old === undefined ? undefined : { ...old, metadata: { ...old.metadata, uid: `journal-${++this.#durable.uids}`, resourceVersion: String(++this.#durable.rv) }, spec: { ...old.spec, holder: 'someone', entries: [] } };
      this.history.schedule.push(`${step}: someone ${pick === 'delete-journal' ? 'deletes' : 'replaces'} the HookRunJournal`);
    } else {
      const i = this.#requests.findIndex((q) => pick.startsWith(`answer ${q.op}#${q.id} `));
      const [req] = this.#requests.splice(i, 1);
      if (req === undefined) throw new Error(`no request for ${pick}`);
      const fate = this.#fate(req.op, r);
      const refused = this.#answer(req, fate);
      this.history.schedule.push(`${step}: ${pick}: ${fate}${refused === undefined ? '' : ` (refused: ${refused})`}`);
    }
    await this.drain();
  }

  #fate(op: Op, r: () => number): Fate {
    const x = r();
    const s = this.#shape;
    if (op === 'hookrun-get' || op === 'journal-get') return x < s.fail ? 'fail' : 'ok';
    if (x < s.lost) return 'lost';
    if (x < s.lost + s.conflict && (op === 'status-put' || op === 'journal-put')) return 'conflict';
    if (x < s.lost + s.conflict + s.fail) return 'fail';
    return 'ok';
  }

  /** Answers a request; returns the server's refusal, if any. */
  #answer(req: Request, fate: Fate): string | undefined {
    if (fate === 'fail') {
      req.reject(unreachable(`injected: ${req.op} failed, not stored`));
      return undefined;
    }
    if (fate === 'conflict') {
      // Someone else edits metadata (a label): the resourceVersion moves, the content stays.
      const d = this.#durable;
      if (req.op === 'status-put') d.hookRun = { ...d.hookRun, metadata: { ...d.hookRun.metadata, resourceVersion: String(++d.rv) } };
      else if (d.journal !== undefined) d.journal = { ...d.journal, metadata: { ...d.journal.metadata, resourceVersion: String(++d.rv) } };
    }
    let answer: unknown;
    try {
      answer = this.#apply(req.op, req.body, req.inc);
      if (req.op === 'journal-put' && req.afterTerm) this.#retired(req.inc);
    } catch (error) {
      req.reject(error);
      return error instanceof Error ? error.message : String(error);
    }
    if (fate === 'lost' && req.op !== 'hookrun-get' && req.op !== 'journal-get') req.reject(unreachable(`injected: ${req.op} stored, answer lost`));
    else req.resolve(answer);
    return undefined;
  }

  /** The API server's side of one request (throws its refusal); `inc` undefined: a crashed process's write. */
  #apply(op: Op, body: HookRun | HookRunJournal | undefined, inc: Incarnation | undefined): unknown {
    const d = this.#durable;
    switch (op) {
      case 'hookrun-get':
        return structuredClone(d.hookRun);
      case 'journal-get': {
        const answer = structuredClone(d.journal);
        if (inc !== undefined && inc.readJournal === 'unread') inc.readJournal = answer;
        return answer;
      }
      case 'status-put': {
        const hr = body as HookRun;
        if (hr.metadata.resourceVersion !== d.hookRun.metadata.resourceVersion) throw httpError(409, 'conflict: hookruns/status');
        const previous = d.hookRun;
        d.hookRun = { ...d.hookRun, ...(hr.status === undefined ? {} : { status: hr.status }), metadata: { ...d.hookRun.metadata, resourceVersion: String(++d.rv) } };
        this.#statusStored(previous, d.hookRun);
        return structuredClone(d.hookRun);
      }
      case 'journal-put': {
        const j = body as HookRunJournal;
        if (d.journal === undefined) throw httpError(404, 'hookrunjournals not found');
        if (j.metadata.resourceVersion !== d.journal.metadata.resourceVersion) throw httpError(409, 'conflict: hookrunjournals');
        d.journal = { ...j, metadata: { ...d.journal.metadata, resourceVersion: String(++d.rv) } };
        this.#journalStored(d.journal);
        return structuredClone(d.journal);
      }
      case 'journal-create': {
        const j = body as HookRunJournal;
        if (d.journal !== undefined) throw httpError(409, 'hookrunjournals already exists');
        d.journal = { ...j, metadata: { ...j.metadata, uid: `journal-${++d.uids}`, resourceVersion: String(++d.rv) } };
        this.#journalStored(d.journal);
        return structuredClone(d.journal);
      }
      case 'journal-delete':
        d.journal = undefined;
        return undefined;
    }
  }

  /** ADR 0027: a graceful stop's last PUT takes back every start whose hook did not exec. */
  #retired(inc: Incarnation): void {
    const ran = new Set(this.history.executed.filter((e) => e.holder === inc.holder).map((e) => e.id));
    for (const e of this.#durable.journal?.spec.entries ?? []) {
      if (e.outcome === undefined && !ran.has(resultId(e))) this.history.violations.push(`${inc.holder}'s last PUT after SIGTERM keeps the start of ${resultId(e)}, which it never executed`);
    }
  }

  #journalStored(j: HookRunJournal): void {
    const h = this.history;
    const finals = new Set((this.#durable.hookRun.status?.results ?? []).filter(isFinal).map(resultId));
    let lacking = 0;
    for (const e of j.spec.entries) {
      const id = resultId(e);
      h.everStarted.add(id);
      if (!finals.has(id)) lacking++;
      if ('stdout' in e || 'stderr' in e || (e.outcome !== undefined && ('stdout' in e.outcome || 'reason' in e.outcome))) h.violations.push(`journal entry ${id} carries output`);
      if (e.outcome !== undefined && e.outcome.reasonCode !== 'interrupted') this.#outcome(id, e.outcome.status, e.outcome.exitCode, 'journal');
    }
    // ADR 0024/0027: at most concurrency + lookahead + JOURNAL_OUTCOMES_MAX entries whose final result the status lacks.
    if (lacking > openStartsBound(this.#shape) + JOURNAL_OUTCOMES_MAX) h.violations.push(`journal holds ${lacking} entries the status lacks > ${openStartsBound(this.#shape)} + ${JOURNAL_OUTCOMES_MAX}`);
  }

  #statusStored(previous: HookRun, next: HookRun): void {
    const h = this.history;
    const tail = next.status?.outputTailBytes ?? 0;
    const before = new Map((previous.status?.results ?? []).filter(isFinal).map((r) => [resultId(r), r]));
    const ids = new Set<string>();
    for (const r of next.status?.results ?? []) {
      const id = resultId(r);
      if (ids.has(id)) h.violations.push(`status lists ${id} twice`);
      ids.add(id);
      for (const text of [r.stdout, r.stderr]) {
        if (Buffer.byteLength(JSON.stringify(text)) - 2 > tail) h.violations.push(`status output of ${id} is over the ${tail}-byte tail`);
      }
      const was = before.get(id);
      if (was !== undefined && JSON.stringify(was) !== JSON.stringify(r)) h.violations.push(`a final result changed in the status: ${id} ${JSON.stringify(was)} -> ${JSON.stringify(r)}`);
      if (isFinal(r) && r.reasonCode !== 'interrupted' && r.status !== 'not-run') this.#outcome(id, r.status, r.exitCode, 'status');
    }
    for (const id of before.keys()) if (!ids.has(id)) h.violations.push(`a final result left the status: ${id}`);
    const bytes = Buffer.byteLength(JSON.stringify(next));
    if (bytes > STATUS_BUDGET_BYTES) h.violations.push(`HookRun is ${bytes} bytes > ${STATUS_BUDGET_BYTES}`);
  }

  #outcome(id: string, status: string, exitCode: number | null, where: string): void {
    const known = this.history.everOutcome.get(id);
    if (known === undefined) this.history.everOutcome.set(id, { status, exitCode, inStatus: where === 'status' });
    else if (where === 'status' && !known.inStatus) this.history.everOutcome.set(id, { ...known, inStatus: true });
    if (known !== undefined && (known.status !== status || known.exitCode !== exitCode)) this.history.violations.push(`${where} holds ${id} as ${status}/${String(exitCode)}, earlier ${known.status}/${String(known.exitCode)}`);
  }
}
