/**
 * The controller's Prometheus metrics (prom-client, one registry per controller, ADR 0020). Every
 * label has a closed set of values fixed here: never a pod, a namespace, a HookRun name or any text
 * from the cluster, so the number of series is bounded whatever runs.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { HookSource } from '../model/hook.ts';
import type { HookResult, HookStatus, RunKind } from '../model/result.ts';
import type { HookRunMeta, HookRunStatus, HookRunStatusPhase } from './hookrun-types.ts';
import { HOOKRUN_STATUS_PHASES } from './hookrun-types.ts';

export const RUN_PHASES: readonly RunKind[] = ['pre-backup', 'post-backup', 'post-restore'];
export const HOOK_SOURCES: readonly HookSource[] = ['annotation', 'spec'];
export const HOOK_RESULTS: readonly HookStatus[] = ['succeeded', 'failed', 'timed-out', 'not-run'];

/** The label names of each metric: the contract (tests pin them). */
export const METRIC_LABELS = {
  kubehooks_hook_executions_total: ['phase', 'source', 'result'],
  kubehooks_hook_duration_seconds: ['phase', 'result'],
  kubehooks_hook_wait_seconds: ['phase'],
  kubehooks_hookruns: ['phase'],
  kubehooks_leader: [],
} as const;

/** Hook durations: 10 ms to 30 min (exec timeouts default to 30 s, post-restore waits to 5 min or more). */
const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

function oneOf<T extends string>(value: string, set: readonly T[], fallback: T): T {
  return (set as readonly string[]).includes(value) ? (value as T) : fallback;
}

export class ControllerMetrics {
  readonly registry = new Registry();
  readonly #executions: Counter<'phase' | 'source' | 'result'>;
  readonly #duration: Histogram<'phase' | 'result'>;
  readonly #wait: Histogram<'phase'>;
  readonly #leader: Gauge;
  /** uid → phase of each HookRun this controller watches (the leader's view). */
  readonly #phases = new Map<string, HookRunStatusPhase>();

  constructor(options: { readonly processMetrics?: boolean } = {}) {
    this.#executions = new Counter({
      name: 'kubehooks_hook_executions_total',
      help: 'Hooks this controller ended, by phase, hook source (annotation or spec) and result.',
      labelNames: METRIC_LABELS.kubehooks_hook_executions_total,
      registers: [this.registry],
    });
    this.#duration = new Histogram({
      name: 'kubehooks_hook_duration_seconds',
      help: 'How long a hook\'s command ran (exec start to exit), by phase and result.',
      labelNames: METRIC_LABELS.kubehooks_hook_duration_seconds,
      buckets: DURATION_BUCKETS,
      registers: [this.registry],
    });
    this.#wait = new Histogram({
      name: 'kubehooks_hook_wait_seconds',
      help: 'How long a hook waited before its exec: from the start of this controller\'s run of the HookRun (after planning) to the exec, i.e. the concurrency limit and, for post-restore, the wait for the container.',
      labelNames: METRIC_LABELS.kubehooks_hook_wait_seconds,
      buckets: DURATION_BUCKETS,
      registers: [this.registry],
    });
    const phases = this.#phases;
    new Gauge({
      name: 'kubehooks_hookruns',
      help: 'HookRuns the leading controller watches, by status phase (Pending: not started).',
      labelNames: METRIC_LABELS.kubehooks_hookruns,
      registers: [this.registry],
      collect() {
        const counts = new Map<HookRunStatusPhase, number>(HOOKRUN_STATUS_PHASES.map((p) => [p, 0]));
        for (const p of phases.values()) counts.set(p, (counts.get(p) ?? 0) + 1);
        for (const [phase, n] of counts) this.set({ phase }, n);
      },
    });
    this.#leader = new Gauge({
      name: 'kubehooks_leader',
      help: '1 while this process runs HookRuns (it holds the leader Lease, or runs without leader election), else 0.',
      registers: [this.registry],
    });
    this.#leader.set(0);
    for (const phase of RUN_PHASES) {
      for (const result of HOOK_RESULTS) {
        this.#duration.zero({ phase, result });
        for (const source of HOOK_SOURCES) this.#executions.inc({ phase, source, result }, 0);
      }
      this.#wait.zero({ phase });
    }
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** A hook ended in this process. `runStartedAt`: when this run's hooks began (after planning), ms. */
  hookEnded(result: HookResult, phase: RunKind, runStartedAt: number | undefined): void {
    const p = oneOf(phase, RUN_PHASES, 'post-restore');
    const r = oneOf(result.status, HOOK_RESULTS, 'failed');
    this.#executions.inc({ phase: p, source: oneOf(result.source, HOOK_SOURCES, 'spec'), result: r });
    if (result.durationMs !== null) this.#duration.observe({ phase: p, result: r }, result.durationMs / 1000);
    if (result.startedAt !== null && runStartedAt !== undefined) {
      const started = Date.parse(result.startedAt);
      if (Number.isFinite(started)) this.#wait.observe({ phase: p }, Math.max(0, started - runStartedAt) / 1000);
    }
  }

  /** A HookRun read by the controller (upsert) or gone (deleted, from the watch). */
  observeHookRun(type: 'upsert' | 'deleted', hookRun: { readonly metadata: HookRunMeta; readonly status?: HookRunStatus | undefined }): void {
    const key = hookRun.metadata.uid ?? `${hookRun.metadata.namespace}/${hookRun.metadata.name}`;
    if (type === 'deleted') this.#phases.delete(key);
    else this.#phases.set(key, oneOf(hookRun.status?.phase ?? 'Pending', HOOKRUN_STATUS_PHASES, 'Pending'));
  }

  /**
   * A status write of this controller, as stored: the watch carries metadata only, so a run's phase
   * changes are taken from its writes. Only for a HookRun already counted (a write answered after the
   * deletion was seen does not bring it back).
   */
  observeStatusWrite(hookRun: { readonly metadata: HookRunMeta; readonly status?: HookRunStatus | undefined }): void {
    const key = hookRun.metadata.uid ?? `${hookRun.metadata.namespace}/${hookRun.metadata.name}`;
    if (this.#phases.has(key)) this.observeHookRun('upsert', hookRun);
  }

  /** Leading (or not): a standby reports no HookRuns. */
  setLeader(leading: boolean): void {
    this.#leader.set(leading ? 1 : 0);
    if (!leading) this.#phases.clear();
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
