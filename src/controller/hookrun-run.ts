/**
 * One HookRun, run once: read the hook source (inline or a Velero object), plan with the CLI's
 * planners, record the plan and start time, then run the hooks with the CLI's runners, the status
 * journal as the runner's journal seam (a hook's start stored before its exec) and results written as
 * they happen. A HookRun whose status already has a start time is resumed: hooks started without a
 * result are recorded `interrupted`, hooks not started run, only the pods planned at the start count.
 *
 * Over 300 lines on purpose: reading the source (inline, backupRef, restoreRef with its wait and
 * owner rule), planning and resuming are one sequence whose order is the crash-safety argument.
 */
import { parseGoDuration, nsToMs } from '../duration/go-duration.ts';
import type { Plan, PlannedHook } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import type { HookResult } from '../model/result.ts';
import { planBackup } from '../plan/plan-backup.ts';
import { planRestore } from '../plan/plan-restore.ts';
import { namespacePolicy, type PlanPolicy } from '../plan/policy.ts';
import { scopeNamespaces } from '../plan/scope.ts';
import { runBackupHooks } from '../run/backup-runner.ts';
import { hookKey, podKey } from '../run/hook-key.ts';
import { runPostRestoreHooks } from '../run/post-restore-runner.ts';
import type { EventGrouping } from '../run/event-summary.ts';
import type { Clock, EventRecorder, OwnerLister, PodExecutor, PodLister, PodScope, PodWatcher, RestoreReader } from '../run/ports.ts';
import { DEFAULT_SETTLE_MS, loadOwners, prepareFromRestore } from '../run/from-restore.ts';
import { planFromRestore, type OwnerIndex } from '../plan/from-restore.ts';
import { notRun } from '../run/results.ts';
import { OMITTED_OUTPUT_MAX_BYTES } from '../run/run-options.ts';
import { DEFAULT_ADAPTIVE_MAX } from '../run/adaptive-limit.ts';
import { parseBackupObject, parseRestoreObject, type BackupHooks, type RestoreHooks } from '../velero/spec.ts';
import type { HookRun, HookRunCondition, HookRunResult, HookRunSpec, HookRunStatus, HookRunStatusPhase, LabelSelector, PlannedPod } from './hookrun-types.ts';
import { MAX_HOOKS_PER_RUN, STATUS_BUDGET_BYTES, outputTailBytes, reasonBytes } from './hookrun-types.ts';
import { REASON_CODES } from '../run/reason-codes.ts';
import { Journal } from './journal.ts';
import { JournalWriter, type HookRunStore } from './journal-writer.ts';
import type { HookRunJournalStore } from '../kube/hookrunjournals.ts';
import { mergeRecovery, openJournal, type OpenedJournal } from './journal-recovery.ts';
import { StartJournal, type JournalEntry } from './start-journal.ts';
import { StartWriter, type HookIdentity } from './start-writer.ts';
import type { HookRunJournalOutcome } from './hookrun-types.ts';
import { CONDITION_ACCEPTED, CONDITION_COMPLETE, CONDITION_RESUMED, finalPhase, runStatus, setCondition, skippedEntries, type RunFrame } from './status.ts';

/** Post-restore runs are bounded by default like `kubehooks run post-restore` (10m). */
export const DEFAULT_POST_RESTORE_DEADLINE_MS = 10 * 60 * 1000;

export interface HookRunApi extends HookRunStore {
  getVelero(kind: 'backups' | 'restores', namespace: string, name: string, signal: AbortSignal): Promise<Record<string, unknown> | undefined>;
  event(hookRun: HookRun, type: 'Normal' | 'Warning', reason: string, message: string, signal: AbortSignal): Promise<{ ok: boolean; error?: string }>;
}

export interface HookRunDeps {
  readonly api: HookRunApi;
  readonly executor: PodExecutor;
  readonly watcher: PodWatcher;
  readonly lister: PodLister;
  /** Events on pods (the runners'); undefined = none. */
  readonly events?: EventRecorder | undefined;
  /** How the runners group the pods' Events (ADR 0023; default per-pod). */
  readonly eventGrouping?: EventGrouping | undefined;
  readonly clock: Clock;
  /** HookRuns in this namespace may name any namespace; others act only in their own. */
  readonly systemNamespace: string | undefined;
  readonly log: (message: string) => void;
  /** Told of each hook result (metrics); `runStartedAt`: when this process began running the HookRun's hooks (ms). */
  readonly onResult?: ((result: HookResult, run: HookRun, runStartedAt: number) => void) | undefined;
  /**
   * Asked right before each hook's start is recorded and again before its exec: a reason stops the
   * run at once (nothing more is written; the hook is not executed). Leader election's "still leading".
   */
  readonly fence?: (() => string | undefined) | undefined;
  /** This process's journal identity (status.holder). */
  readonly holder: string;
  /**
   * Restores and pod owners for `restoreRef` (ADR 0021): the run waits for the Restore and runs its
   * hooks only in the pods its restored workloads created. Undefined: restoreRef is planned like an
   * inline restore (every pod the Restore names).
   */
  readonly restores?: (RestoreReader & OwnerLister) | undefined;
  /** The settle window for restoreRef (default DEFAULT_SETTLE_MS). */
  readonly settleMs?: number | undefined;
  /**
   * HookRunJournals (ADR 0024): starts go into the run's small journal object, results into the
   * status at most once a second. Undefined: ADR 0010's status-only journal (starts in status writes).
   */
  readonly journals?: HookRunJournalStore | undefined;
  /**
   * ADR 0027's start lookahead, with `journals`: how many hooks queued for a slot may have their start
   * recorded ahead of it; `'concurrency'` (what `kubehooks controller` passes unless --start-lookahead
   * says otherwise): the run's concurrency; 0 or undefined: none (ADR 0024 as before). A crash then
   * leaves at most concurrency + lookahead hooks `interrupted`.
   */
  readonly startLookahead?: number | 'concurrency' | undefined;
}

/** How long a graceful stop waits for the journal PUT that takes back the starts of hooks that did not exec. */
export const RETIRE_DEADLINE_MS = 5_000;

/** The lookahead of a run with `concurrency` exec slots. */
export function startLookaheadFor(concurrency: number, configured: number | 'concurrency' | undefined): number {
  if (configured === 'concurrency') return concurrency;
  return configured === undefined ? 0 : Math.max(0, Math.trunc(configured));
}

export type RunOutcome =
  | { readonly kind: 'done'; readonly hookRun: HookRun }
  /** Another writer owns the status now, or the run was stopped (shutdown): nothing more written. */
  | { readonly kind: 'stopped'; readonly why: string };

type Source = { readonly kind: 'backup'; readonly hooks: BackupHooks } | { readonly kind: 'restore'; readonly hooks: RestoreHooks };
type Refusal = { readonly reason: string; readonly message: string };

/** metav1.LabelSelector → the string form the pod watcher takes. */
export function selectorString(selector: LabelSelector | undefined): string | undefined {
  if (selector === undefined) return undefined;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) parts.push(`${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else parts.push(`!${e.key}`);
  }
  return parts.length === 0 ? undefined : parts.join(',');
}

/** Velero's counting (run/tracker.ts callers): which results count in summary.failed. */
export function countsAsFailed(result: HookResult, kind: Source['kind']): boolean {
  if (result.status === 'failed' || result.status === 'timed-out') return true;
  if (result.status !== 'not-run') return false;
  // Backup: hooks skipped after a Fail and hooks of a finished pod are attempted, not failed.
  if (kind === 'backup') return result.reasonCode !== 'previous-hook-failed' && result.reasonCode !== 'pod-terminated';
  return true;
}

/** The longest reasonCode, for the estimate's worst case. */
const LONGEST_REASON_CODE = [...REASON_CODES].sort((a, b) => b.length - a.length)[0] ?? '';
/** Room for the three conditions (messages are cut to 4096 bytes) and the summary. */
const CONDITIONS_ALLOWANCE_BYTES = 3 * (4096 + 256) + 512;

/**
 * An upper bound of the whole HookRun's size once every hook has a result at the run's caps: the
 * object as read (metadata, spec) and the status's fixed parts exactly, each result as its largest
 * skeleton plus two output tails and a reason at their caps (caps count JSON-encoded bytes, so output
 * full of escapes cannot exceed them). The controller refuses a plan whose bound exceeds
 * STATUS_BUDGET_BYTES.
 */
export function estimateStatusBytes(hr: HookRun, hooks: readonly PlannedHook[], frame: RunFrame, reasonCap: number): number {
  const json = (v: unknown): number => Buffer.byteLength(JSON.stringify(v), 'utf8');
  const { status: _status, ...object } = hr;
  let bytes = json(object) + CONDITIONS_ALLOWANCE_BYTES;
  bytes += json(runStatus(frame, { results: [], summary: { attempted: 0, failed: 0, succeeded: 0, running: 0, pending: 0 } }, [], { phase: 'Succeeded', completionTime: '2026-12-02T00:00:00.000Z' }));
  bytes += json({ holder: 'x'.repeat(253), observedGeneration: Number.MAX_SAFE_INTEGER, summary: { attempted: 1e9, failed: 1e9, succeeded: 1e9, running: 1e9, pending: 1e9, skipped: 1e9 } });
  for (const h of hooks) {
    const skeleton: HookRunResult = {
      namespace: h.namespace, pod: h.pod, container: h.container, source: h.source, name: h.name, phase: h.phase, index: h.index,
      status: 'succeeded', exitCode: -2147483648, stdout: '', stderr: '', truncated: false, startedAt: '2026-12-02T00:00:00.000Z',
      durationMs: 1e12, reason: '', reasonCode: LONGEST_REASON_CODE,
    };
    bytes += json(skeleton) + 1 + 2 * frame.outputTailBytes + reasonCap;
  }
  return bytes;
}

function parseDeadline(spec: HookRunSpec, kind: Source['kind']): number | undefined {
  if (spec.deadline === undefined) return kind === 'restore' ? DEFAULT_POST_RESTORE_DEADLINE_MS : undefined;
  const parsed = parseGoDuration(spec.deadline);
  if (!parsed.ok || parsed.ns <= 0n) return undefined;
  return nsToMs(parsed.ns);
}

export class HookRunRunner {
  readonly #deps: HookRunDeps;

  constructor(deps: HookRunDeps) {
    this.#deps = deps;
  }

  async #source(hr: HookRun, signal: AbortSignal): Promise<Source | Refusal> {
    const { spec } = hr;
    const wantRestore = spec.phase === 'post-restore';
    let raw: unknown;
    let where: string;
    const ref = wantRestore ? spec.restoreRef : spec.backupRef;
    if (ref !== undefined) {
      const ns = ref.namespace ?? hr.metadata.namespace;
      where = `${wantRestore ? 'restoreRef' : 'backupRef'} ${ns}/${ref.name}`;
      raw = await this.#deps.api.getVelero(wantRestore ? 'restores' : 'backups', ns, ref.name, signal);
      if (raw === undefined) return { reason: 'SourceNotFound', message: `spec.${where}: no velero.io/v1 ${wantRestore ? 'Restore' : 'Backup'} ${ns}/${ref.name} in the cluster` };
    } else {
      raw = wantRestore ? spec.restore : spec.backup;
      where = wantRestore ? 'restore' : 'backup';
      if (raw === undefined) return { reason: 'InvalidHookSource', message: `spec.${where} is missing (phase ${spec.phase})` };
    }
    const parsed = wantRestore ? parseRestoreObject(raw) : parseBackupObject(raw);
    const errors = parsed.issues.filter((i) => i.severity === 'error');
    const hooks = 'restore' in parsed ? parsed.restore : parsed.backup;
    if (hooks === undefined || errors.length > 0) {
      const list = errors.slice(0, 10).map((i) => `${i.key === '' ? '' : `${i.key}: `}${i.message}`);
      return { reason: 'InvalidHookSource', message: `spec.${where}: ${errors.length} error${errors.length === 1 ? '' : 's'}: ${list.join('; ')}${errors.length > 10 ? '; …' : ''}` };
    }
    return 'restore' in parsed ? { kind: 'restore', hooks: parsed.restore as RestoreHooks } : { kind: 'backup', hooks: parsed.backup as BackupHooks };
  }

  /** Namespaces to list and watch; a Refusal when the HookRun may not act there. */
  #scope(hr: HookRun, source: Source): PodScope | Refusal | 'nothing' {
    const own = hr.metadata.namespace;
    const asked = hr.spec.namespaces ?? [];
    const trusted = this.#deps.systemNamespace !== undefined && own === this.#deps.systemNamespace;
    let namespaces: readonly string[];
    if (!trusted) {
      const other = asked.find((n) => n !== own);
      if (other !== undefined) {
        return { reason: 'NamespaceNotAllowed', message: `spec.namespaces names "${other}": a HookRun outside the controller's namespace${this.#deps.systemNamespace === undefined ? '' : ` (${this.#deps.systemNamespace})`} acts only in its own namespace "${own}"` };
      }
      namespaces = [own];
    } else if (asked.length > 0) namespaces = asked;
    else {
      const fromFile = source.kind === 'restore' ? scopeNamespaces(source.hooks.scope, source.hooks.namespaceMapping) : scopeNamespaces(source.hooks.scope);
      if (fromFile !== undefined && fromFile.length === 0) return 'nothing';
      namespaces = fromFile ?? [];
    }
    const labelSelector = selectorString(hr.spec.selector);
    return labelSelector === undefined ? { namespaces } : { namespaces, labelSelector };
  }

  #policy(spec: HookRunSpec): PlanPolicy | Refusal {
    const ns = namespacePolicy(spec.allowNamespaces ?? [], spec.denyNamespaces ?? []);
    if (!ns.ok) return { reason: 'InvalidSpec', message: `spec.allowNamespaces/denyNamespaces: ${ns.error}` };
    const rules = (spec.allowNamespaces ?? []).length + (spec.denyNamespaces ?? []).length > 0;
    return { ...(spec.noAnnotationHooks === true ? { annotationHooks: false } : {}), ...(rules ? { namespaceDenied: ns.denied } : {}) };
  }

  #plan(source: Source, pods: readonly PodManifest[], policy: PlanPolicy, phase: HookRunSpec['phase'], owners?: OwnerIndex): Plan {
    if (source.kind === 'restore' && owners !== undefined) return planFromRestore(source.hooks, pods, owners, policy);
    if (source.kind === 'restore') {
      return planRestore(pods, source.hooks, { generateName: () => 'velero-restore-init-00000000', policy });
    }
    return planBackup(pods, source.hooks, phase === 'pre-backup' ? 'pre' : 'post', policy);
  }

  /** Runs (or resumes) `hr` to its end. `signal` is the controller's shutdown. */
  async run(hr: HookRun, signal: AbortSignal): Promise<RunOutcome> {
    const { clock } = this.#deps;
    const nowIso = (): string => new Date(clock.now()).toISOString();
    const generation = hr.metadata.generation;
    const refuse = async (r: Refusal): Promise<RunOutcome> => {
      let conditions = setCondition(hr.status?.conditions ?? [], { type: CONDITION_ACCEPTED, status: 'False', reason: r.reason, message: r.message }, nowIso(), generation);
      conditions = setCondition(conditions, { type: CONDITION_COMPLETE, status: 'True', reason: 'NotAccepted', message: 'no hook was run' }, nowIso(), generation);
      const status = { ...(hr.status ?? {}), phase: 'Failed' as const, ...(generation === undefined ? {} : { observedGeneration: generation }), conditions, completionTime: nowIso(), summary: { attempted: 0, failed: 0, succeeded: 0, running: 0, pending: 0, skipped: 0 } };
      const stored = await this.#deps.api.replaceStatus({ ...hr, status }, signal);
      void this.#deps.api.event(stored, 'Warning', r.reason, r.message, signal);
      return { kind: 'done', hookRun: stored };
    };

    let source = await this.#source(hr, signal);
    if ('reason' in source) return refuse(source);
    const policy = this.#policy(hr.spec);
    if ('reason' in policy) return refuse(policy);
    const scope = this.#scope(hr, source);
    if (typeof scope !== 'string' && 'reason' in scope) return refuse(scope);

    const prior: HookRunStatus = hr.status ?? {};
    const resumed = prior.startTime !== undefined;
    const restores = source.kind === 'restore' && hr.spec.restoreRef !== undefined ? this.#deps.restores : undefined;
    let owners: OwnerIndex | undefined;
    let pods: readonly PodManifest[];
    if (restores !== undefined && !resumed && scope !== 'nothing') {
      // restoreRef: wait (bounded by spec.deadline) until the Restore has created its objects, let
      // its workloads create their pods, then plan with the owner rule. Nothing is written before.
      const ref = hr.spec.restoreRef ?? { name: '' };
      const ready = await prepareFromRestore({
        restores,
        owners: restores,
        watcher: this.#deps.watcher,
        lister: this.#deps.lister,
        clock,
        signal,
        namespace: ref.namespace ?? hr.metadata.namespace,
        name: ref.name,
        namespaces: scope.namespaces,
        labelSelector: scope.labelSelector,
        deadlineMs: parseDeadline(hr.spec, 'restore'),
        settleMs: this.#deps.settleMs ?? DEFAULT_SETTLE_MS,
        onStatus: (m) => {
          this.#deps.log(`HookRun ${hr.metadata.namespace}/${hr.metadata.name}: ${m}`);
        },
      });
      switch (ready.kind) {
        case 'aborted':
          return { kind: 'stopped', why: 'the controller is stopping' };
        case 'not-found':
          return refuse({ reason: 'SourceNotFound', message: `spec.restoreRef: ${ready.message}` });
        case 'failed':
          return refuse({ reason: 'RestoreFailed', message: `spec.restoreRef: ${ready.message}` });
        case 'invalid':
          return refuse({ reason: 'InvalidHookSource', message: `spec.restoreRef: ${ready.message}` });
        case 'timeout':
          return refuse({ reason: 'RestoreNotReady', message: `spec.restoreRef: ${ready.message}` });
        case 'ready':
          break;
      }
      source = { kind: 'restore', hooks: ready.restore };
      pods = ready.pods;
      owners = ready.owners;
    } else {
      pods = scope === 'nothing' ? [] : await this.#deps.lister.list(scope, signal);
      if (restores !== undefined && source.kind === 'restore') owners = await loadOwners(source.hooks, pods, restores, signal);
    }
    if (resumed) {
      // Only the pods planned at the start, and only the same pods (a re-created pod is another pod).
      const planned = new Map((prior.plannedPods ?? []).map((p) => [podKey(p.namespace, p.name), p]));
      pods = pods.filter((p) => {
        const want = planned.get(podKey(p.metadata.namespace ?? '', p.metadata.name));
        return want !== undefined && (want.uid === undefined || want.uid === p.metadata.uid);
      });
    }
    const fullPlan = this.#plan(source, pods, policy, hr.spec.phase, owners);
    const hooks = fullPlan.hooks.filter((h) => h.type === 'exec');
    const plannedPods: PlannedPod[] = resumed
      ? [...(prior.plannedPods ?? [])]
      : [...new Map(hooks.map((h) => {
          const pod = pods.find((p) => p.metadata.name === h.pod && (p.metadata.namespace ?? '') === h.namespace);
          const uid = pod?.metadata.uid;
          return [podKey(h.namespace, h.pod), { namespace: h.namespace, name: h.pod, ...(uid === undefined ? {} : { uid }) }] as const;
        })).values()];
    // The caps are fixed at the start (status.outputTailBytes; the reason cap follows the planned count).
    const tailBytes = resumed ? (prior.outputTailBytes ?? outputTailBytes(hooks.length)) : outputTailBytes(hooks.length);
    const reasonCap = reasonBytes(resumed ? (prior.results?.length ?? hooks.length) : hooks.length);
    const startTime = prior.startTime ?? nowIso();
    let frame: RunFrame = {
      startTime,
      observedGeneration: resumed ? prior.observedGeneration : generation,
      plannedPods,
      outputTailBytes: tailBytes,
      skipped: resumed ? [...(prior.skipped ?? [])] : skippedEntries(fullPlan.skipped),
      skippedCount: resumed ? (prior.summary?.skipped ?? 0) : fullPlan.skipped.length,
    };
    if (!resumed) {
      const estimate = estimateStatusBytes(hr, hooks, frame, reasonCap);
      if (hooks.length > MAX_HOOKS_PER_RUN || estimate > STATUS_BUDGET_BYTES) {
        const mib = (n: number): string => (n / 1024 / 1024).toFixed(2);
        return refuse({ reason: 'TooManyHooks', message: `the plan has ${hooks.length} hooks in ${plannedPods.length} pods; a HookRun records at most ${MAX_HOOKS_PER_RUN}, and its status at its caps (${tailBytes} bytes per output tail, ${reasonCap} per reason) could take ${mib(estimate)} MiB of the ${mib(STATUS_BUDGET_BYTES)} MiB allowed (etcd's limit is 1.5 MiB): split it by spec.namespaces or spec.selector` });
      }
    }

    // ADR 0024: the journal object first (created before the plan write records its uid).
    const journals = this.#deps.journals;
    let opened: OpenedJournal | undefined;
    if (journals !== undefined) {
      // A process that may no longer act (an old leader, a re-queued stopped run) neither creates nor takes over a journal.
      const fencedOpen = this.#deps.fence?.();
      if (fencedOpen !== undefined) return { kind: 'stopped', why: fencedOpen };
      opened = await openJournal(journals, hr, this.#deps.holder, signal);
      if (opened.kind === 'stopped') return { kind: 'stopped', why: opened.why };
      if (opened.kind === 'lost') this.#deps.log(`HookRun ${hr.metadata.namespace}/${hr.metadata.name}: ${opened.why}: every hook without a final result is recorded interrupted, nothing runs`);
    }
    const merged = opened === undefined
      ? { results: prior.results ?? [], outcomes: new Map(), known: prior.results ?? [] }
      : mergeRecovery(hooks, prior.results ?? [], opened.kind === 'ok' ? opened.object.spec.entries : 'lost', { reasonBytes: reasonCap, countsAsFailed: (r) => countsAsFailed(r, source.kind) });
    const withJournal = opened?.kind === 'ok' ? opened.object : undefined;
    frame = { ...frame, journalUID: withJournal?.metadata.uid ?? prior.journalUID };
    const journal = new Journal(hooks, { results: merged.results, failed: prior.summary?.failed, journalOutcomes: merged.outcomes }, { tailBytes, reasonBytes: reasonCap, now: nowIso(), startsElsewhere: withJournal !== undefined });
    let conditions: HookRunCondition[] = setCondition(prior.conditions ?? [], { type: CONDITION_ACCEPTED, status: 'True', reason: 'Planned', message: `${hooks.length} hook${hooks.length === 1 ? '' : 's'} in ${plannedPods.length} pod${plannedPods.length === 1 ? '' : 's'}; ${frame.skippedCount} pod${frame.skippedCount === 1 ? '' : 's'} skipped` }, nowIso(), frame.observedGeneration);
    conditions = setCondition(conditions, { type: CONDITION_COMPLETE, status: 'False', reason: 'Running', message: 'hooks are running' }, nowIso(), frame.observedGeneration);

    if (resumed) {
      // Pending hooks the new plan lacks: their pod is gone or was re-created, or its annotations changed.
      const present = new Set(pods.map((p) => podKey(p.metadata.namespace ?? '', p.metadata.name)));
      for (const h of journal.unplannedPending()) {
        const gone = !present.has(podKey(h.namespace, h.pod));
        const reason = gone
          ? `not run: pod ${h.namespace}/${h.pod} was deleted (or re-created) while the controller was down`
          : `not run: the hook is no longer planned for pod ${h.namespace}/${h.pod} (its hook annotations changed while the controller was down)`;
        journal.recordResult(h, notRun({ ...h, type: 'exec', command: [], onError: 'Continue', execTimeoutMs: 0, waitTimeoutMs: 0, waitForReady: false }, gone ? 'pod-deleted' : 'internal', reason), true);
      }
      const outcomes = journal.recoveredOutcomes.length;
      const lost = opened?.kind === 'lost' ? ` (${opened.why}: nothing more runs)` : '';
      conditions = setCondition(conditions, { type: CONDITION_RESUMED, status: 'True', reason: 'ControllerRestarted', message: `resumed after a controller restart${lost}: ${journal.recovered.length} hook${journal.recovered.length === 1 ? '' : 's'} had started without a result and ${journal.recovered.length === 1 ? 'is' : 'are'} recorded failed (interrupted), never run again; ${outcomes === 0 ? '' : `${outcomes} recorded with the outcome from the HookRunJournal (output lost); `}${journal.unstarted} not started yet` }, nowIso(), frame.observedGeneration);
    }
    // An earlier Fail, or an interruption, still stops the pod's later hooks.
    applyEarlierFailures(journal, hooks, merged.known, source.kind);

    let end: { phase: HookRunStatusPhase; completionTime: string } | undefined;
    const ctl = new AbortController();
    const writerRef: { current?: JournalWriter } = {};
    const stopWriting = (): void => {
      writerRef.current?.close();
      ctl.abort();
    };
    // The start writer, with what a takeover must keep in the journal until the status holds it.
    let starts: StartWriter | undefined;
    // The journal deleted or replaced under this live run: no hook starts any more, hooks in exec
    // finish with their real result, the others end not-run `journal-lost`, the run ends Failed.
    let journalGone: string | undefined;
    if (withJournal !== undefined && journals !== undefined) {
      const identities = new Map<string, HookIdentity>();
      for (const h of hooks) identities.set(hookKey(h), h);
      for (const r of merged.results) if (!identities.has(hookKey(r))) identities.set(hookKey(r), r);
      const seeds: JournalEntry[] = [];
      const outcomes = new Map<string, HookRunJournalOutcome>();
      for (const r of [...journal.recovered, ...journal.recoveredOutcomes]) {
        if (r.status === 'pending' || r.status === 'running') continue;
        seeds.push({ key: hookKey(r), startedAt: r.startedAt ?? nowIso(), outcome: r.status });
        outcomes.set(hookKey(r), { status: r.status, exitCode: r.exitCode, durationMs: r.durationMs, ...(r.reasonCode === undefined ? {} : { reasonCode: r.reasonCode }) });
      }
      const slots = hr.spec.concurrency ?? DEFAULT_ADAPTIVE_MAX;
      starts = new StartWriter({
        store: journals,
        clock,
        journal: withJournal,
        starts: new StartJournal(hooks.map((h) => hookKey(h)), { recovered: seeds }),
        hooks: identities,
        outcomes,
        holder: this.#deps.holder,
        onLost: (why, cause) => {
          if (cause === 'gone' && this.#deps.fence?.() === undefined) {
            journalGone = why;
            this.#deps.log(`HookRun ${hr.metadata.namespace}/${hr.metadata.name}: ${why}: no hook starts any more, the run ends Failed (journal-lost)`);
            return;
          }
          this.#deps.log(`HookRun ${hr.metadata.namespace}/${hr.metadata.name}: ${why}`);
          stopWriting();
        },
        onHeld: () => {
          writerRef.current?.expedite();
        },
        lookahead: { hooks: startLookaheadFor(slots, this.#deps.startLookahead), slots },
        // The leader fence, before a start is recorded ahead too (the slot's own start is fenced by the seam).
        mayRecordAhead: () => this.#deps.fence?.() === undefined,
        onWriteError: (error) => {
          this.#deps.log(`HookRun ${hr.metadata.namespace}/${hr.metadata.name}: journal write failed, retrying: ${error instanceof Error ? error.message : String(error)}`);
        },
      });
      if (opened?.kind !== 'ok' || !opened.created || seeds.length > 0) {
        // A process that may no longer act (an old leader resuming a stopped run) takes nothing over.
        const fenced = this.#deps.fence?.();
        if (fenced !== undefined) {
          starts.close();
          return { kind: 'stopped', why: fenced };
        }
        // The takeover: the journal under this process's holder, on the resourceVersion recovered from, before any start.
        const ok = await starts.takeover(signal);
        if (!ok) {
          starts.close();
          return { kind: 'stopped', why: signal.aborted ? 'the controller is stopping' : 'another controller holds the HookRunJournal' };
        }
      }
    }

    // Shutdown: stop writing first, then stop the runner, so its "aborted" results never reach the
    // status: hooks not started stay pending (the next controller runs them), hooks in flight stay
    // running (the next controller records them interrupted).
    const onShutdown = (): void => {
      writer.close();
      starts?.close();
      ctl.abort();
    };
    // A graceful stop (the controller stops, still leading): as onShutdown, but the starts of hooks
    // that did not exec (recorded ahead, ADR 0027, or waiting for their PUT) are taken back with one
    // last journal PUT, so the next controller runs them rather than recording them interrupted.
    let retiring: Promise<void> | undefined;
    const onStop = (): void => {
      writer.close();
      if (starts !== undefined && this.#deps.fence?.() === undefined) retiring = starts.retire(RETIRE_DEADLINE_MS);
      else starts?.close();
      ctl.abort();
    };
    const writer = new JournalWriter({
      journal,
      store: this.#deps.api,
      clock,
      hookRun: hr,
      holder: this.#deps.holder,
      statusFor: (image) => runStatus(frame, image, conditions, end),
      starts,
      onLost: (why) => {
        this.#deps.log(`HookRun ${hr.metadata.namespace}/${hr.metadata.name}: ${why}`);
        starts?.close();
        ctl.abort();
      },
      onWriteError: (error) => {
        this.#deps.log(`HookRun ${hr.metadata.namespace}/${hr.metadata.name}: status write failed, retrying: ${error instanceof Error ? error.message : String(error)}`);
      },
    });
    writerRef.current = writer;
    signal.addEventListener('abort', onStop, { once: true });
    try {
      // The plan and start time first: from here on the run is never planned again.
      writer.touch();
      await writer.finish(signal);
      if (writer.state !== 'writing') return { kind: 'stopped', why: 'the HookRun status was taken over' };
      const started = writer.hookRun;
      void this.#deps.api.event(started, 'Normal', resumed ? 'HookRunResumed' : 'HookRunStarted', resumed ? conditions.find((c) => c.type === CONDITION_RESUMED)?.message ?? 'resumed' : `${hooks.length} hooks planned`, signal);

      const remaining = hooks.filter((h) => journal.mayStart(h));
      const deadlineMs = parseDeadline(hr.spec, source.kind);
      const elapsed = clock.now() - Date.parse(startTime);
      const left = deadlineMs === undefined ? undefined : deadlineMs - elapsed;
      if (left !== undefined && left <= 0) {
        for (const h of remaining) writer.hookEnded(h, notRun(h, 'deadline', 'not run: the run deadline (spec.deadline, from status.startTime) passed before the hook started'), true);
      } else if (remaining.length > 0) {
        const plan: Plan = { hooks: remaining, skipped: [] };
        const runStartedAt = clock.now();
        const fence = this.#deps.fence;
        const fenced = (): void => {
          const why = fence?.();
          if (why === undefined) return;
          this.#deps.log(`HookRun ${hr.metadata.namespace}/${hr.metadata.name}: ${why}: stopping the run`);
          onShutdown();
          throw new Error(why);
        };
        // The journal seam, behind the fence: a process that may no longer act neither records a start nor execs.
        const gone = (): void => {
          if (journalGone !== undefined) throw new Error(journalGone);
        };
        const seam = fence === undefined && starts === undefined ? writer : {
          hookStarting: async (hook: PlannedHook, hookSignal: AbortSignal): Promise<void> => {
            fenced();
            gone();
            await writer.hookStarting(hook, hookSignal);
            fenced();
            // A start acknowledged just before the loss was found: not executed either.
            gone();
          },
          hookQueued: (hook: PlannedHook, hookSignal: AbortSignal): void => {
            if (fence?.() === undefined && journalGone === undefined) writer.hookQueued(hook, hookSignal);
          },
        };
        const common = {
          executor: this.#deps.executor,
          clock,
          signal: ctl.signal,
          events: this.#deps.events,
          eventGrouping: this.#deps.eventGrouping,
          concurrency: hr.spec.concurrency,
          adaptiveConcurrency: hr.spec.concurrency === undefined,
          deadlineMs: left,
          maxOutputBytes: hr.spec.noOutput === true ? OMITTED_OUTPUT_MAX_BYTES : undefined,
          journal: seam,
          onResult: (result: HookResult) => {
            if (writer.state !== 'writing') return;
            const hook = remaining.find((h) => hookKey(h) === hookKey(result));
            if (hook === undefined) return;
            // A hook whose start was never stored did not exec: whatever the runner says, it did not run.
            const lostStart = journalGone !== undefined && (!journal.mayExec(hook) || (result.status === 'failed' && result.reasonCode === 'internal' && (result.reason ?? '').includes('its start could not be recorded')));
            const r = lostStart
              ? notRun(hook, 'journal-lost', `not run: ${journalGone ?? ''}`)
              : journal.mayExec(hook) || result.status === 'not-run' ? result : { ...notRun(hook, 'internal', `not run: ${result.reason ?? 'its start could not be recorded'}`) };
            writer.hookEnded(hook, hr.spec.noOutput === true ? { ...r, stdout: '', stderr: '' } : r, countsAsFailed(r, source.kind));
            this.#deps.onResult?.(r, hr, runStartedAt);
          },
        };
        if (source.kind === 'restore') {
          if (scope !== 'nothing') await runPostRestoreHooks({ ...common, plan, watcher: this.#deps.watcher, scope, listedPods: pods });
        } else {
          await runBackupHooks({ ...common, plan, pods });
        }
      }
      if (stateOf(writer) !== 'writing' || (starts !== undefined && starts.state === 'lost' && journalGone === undefined) || signal.aborted) return { kind: 'stopped', why: signal.aborted ? 'the controller is stopping' : 'the HookRun status or its journal was taken over' };
      const summary = journal.summary('local');
      const lostCount = journalGone === undefined ? 0 : journal.results('local').filter((r) => r.reasonCode === 'journal-lost').length;
      end = { phase: journalGone === undefined ? finalPhase(summary) : 'Failed', completionTime: nowIso() };
      conditions = journalGone === undefined
        ? setCondition(conditions, { type: CONDITION_COMPLETE, status: 'True', reason: summary.failed > 0 ? 'HooksFailed' : 'Succeeded', message: `${summary.attempted} attempted, ${summary.failed} failed, ${summary.succeeded} succeeded` }, nowIso(), frame.observedGeneration)
        : setCondition(conditions, { type: CONDITION_COMPLETE, status: 'True', reason: 'JournalLost', message: `the HookRunJournal was deleted or replaced during the run: ${lostCount} hook${lostCount === 1 ? '' : 's'} not run (journal-lost); hooks already running kept their result; ${summary.attempted} attempted, ${summary.failed} failed, ${summary.succeeded} succeeded` }, nowIso(), frame.observedGeneration);
      writer.touch();
      const last = await writer.finish(signal);
      if (stateOf(writer) !== 'writing') return { kind: 'stopped', why: 'the HookRun status was taken over' };
      if (journalGone !== undefined) void this.#deps.api.event(last, 'Warning', 'HookRunJournalLost', `the HookRunJournal was deleted or replaced during the run: ${lostCount} hooks not run; ${summary.attempted} hooks attempted, ${summary.failed} failed`, signal);
      else void this.#deps.api.event(last, summary.failed > 0 ? 'Warning' : 'Normal', summary.failed > 0 ? 'HookRunFailed' : 'HookRunSucceeded', `${summary.attempted} hooks attempted, ${summary.failed} failed`, signal);
      return { kind: 'done', hookRun: last };
    } finally {
      signal.removeEventListener('abort', onStop);
      writer.close();
      await retiring;
      starts?.close();
    }
  }
}

/**
 * Resuming: a hook of a pod whose earlier hook failed with onError Fail, or was interrupted (whatever
 * its onError), does not run; it ends not-run `previous-hook-failed`, counted as the runners count it.
 * Velero stops a pod's later hooks only after a `Fail`; an interruption is kubehooks' own state: the
 * interrupted command may still be running in the container (a closed exec stream does not stop it),
 * so running the pod's next hook could overlap it and break "a pod's hooks run one after another".
 */
export function applyEarlierFailures(
  journal: Journal,
  hooks: readonly PlannedHook[],
  stored: readonly HookRunResult[],
  kind: 'backup' | 'restore',
): void {
  const byKey = new Map(stored.map((r) => [hookKey(r), r]));
  const stops = new Map<string, { readonly hook: PlannedHook; readonly interrupted: boolean }>();
  for (const h of hooks) {
    const key = podKey(h.namespace, h.pod);
    const stop = stops.get(key);
    if (stop !== undefined && journal.mayStart(h)) {
      const by = `hook ${stop.hook.name}#${stop.hook.index} in container ${stop.hook.container}`;
      const reason = stop.interrupted
        ? `not run: ${by} was interrupted (started, no result: it may still be running), so the pod's later hooks do not run`
        : `not run: ${by} failed and its onError is Fail`;
      const r = notRun(h, 'previous-hook-failed', reason);
      journal.recordResult(h, r, countsAsFailed(r, kind));
      continue;
    }
    const s = byKey.get(hookKey(h));
    if (s === undefined || stop !== undefined) continue;
    const interrupted = s.status === 'running' || s.reasonCode === 'interrupted';
    if (interrupted || (h.onError === 'Fail' && (s.status === 'failed' || s.status === 'timed-out'))) stops.set(key, { hook: h, interrupted });
  }
}

/** Read through a call: the writer's state changes while we await, which TypeScript's narrowing cannot see. */
function stateOf(writer: JournalWriter): JournalWriter['state'] {
  return writer.state;
}
