/**
 * `kubehooks run pre-backup|post-backup|post-restore|backup`: flags to settings, the wiring of ports,
 * planning, runners and renderers. Over 300 lines on purpose, for now: the four kinds share one flag
 * set, one settings parser and one execute path, and keeping them side by side is what keeps their
 * rules (namespaces, deadlines, exit codes) the same. The window's and --from-restore's own parts are
 * the next to move out (into window-command.ts and a from-restore module) when they grow further.
 */
import { Option } from 'commander';
import type { Command } from 'commander';
import { formatMs, parseGoDuration, nsToMs } from '../duration/go-duration.ts';
import { createKubePorts } from '../kube/index.ts';
import type { Plan } from '../model/plan.ts';
import type { PlanPolicy } from '../plan/policy.ts';
import type { VeleroReadOptions } from '../velero/profiles.ts';
import type { PodManifest } from '../model/pod.ts';
import type { RunKind, RunReport } from '../model/result.ts';
import { ProgressLine } from '../report/progress-line.ts';
import { podsNeedingPostBackup, renderRunJson, runToJson, type RunContext } from '../report/run-json.ts';
import { renderRunJunit } from '../report/run-junit.ts';
import { renderRunText, thawLines } from '../report/run-text.ts';
import { explainNoHooks } from '../report/no-hooks.ts';
import { colorsFor } from '../report/color.ts';
import { renderYaml } from '../report/yaml-output.ts';
import { waitForPods } from '../run/wait-for-pods.ts';
import { versionInfo } from './version.ts';
import { chooseNamespaces, describeNamespaceChoice, fileNamespaces, type FileNamespaces } from './namespaces.ts';
import { terminalSafe } from '../report/terminal-text.ts';
import { runBackupHooks } from '../run/backup-runner.ts';
import { createSystemClock } from '../run/clock.ts';
import { runPostRestoreHooks } from '../run/post-restore-runner.ts';
import { DEFAULT_ADAPTIVE_MAX } from '../run/adaptive-limit.ts';
import { OMITTED_OUTPUT_MAX_BYTES } from '../run/run-options.ts';
import type { EventSubject } from '../run/events.ts';
import { executeWindowRun, parseWindowSettings, type WindowWiring } from './run-backup.ts';
import type { Clock, EventRecorder, OwnerLister, PodExecutor, PodLister, PodScope, PodWatcher, RestoreReader } from '../run/ports.ts';
import { DEFAULT_SETTLE_MS, prepareFromRestore } from '../run/from-restore.ts';
import { parseRestoreRef, planFromRestore } from '../plan/from-restore.ts';
import type { CliCommand, CommandContext } from './command.ts';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError, describeError, writeError, writeWarning } from './context.ts';
import type { CliDeps } from './context.ts';
import { collect } from './options.ts';
import { addHelpSections } from './help.ts';
import { checkBackupFile, checkRestoreFile, emptyBackupHooks, emptyRestoreHooks, refuseFile } from './hook-file.ts';
import { THAW_ORDERS, type ThawOrder } from '../plan/stages.ts';
import { addPolicyOptions, planBackupWithNotes, planRestoreWithNotes, policyFromFlags, refuseInvalidStages } from './plan.ts';

/** The Backup/Restore named in every Event, with its namespace when the file gives one (`velero/nightly`). */
export function eventSubjectFor(kind: RunKind, name: string, namespace: string): EventSubject {
  return { kind: kind === 'post-restore' ? 'Restore' : 'Backup', namespace, name };
}

export const EXIT_INTERRUPTED = 130;
export const EXIT_TERMINATED = 143;
/** Post-restore waits are bounded by default like Velero main's --resource-timeout (10m). */
export const DEFAULT_POST_RESTORE_DEADLINE = '10m';

export type { RunKind } from '../model/result.ts';
const KINDS: readonly RunKind[] = ['pre-backup', 'post-backup', 'post-restore'];

/** The cluster ports, as src/kube's createKubePorts returns them. */
export interface RunPorts {
  readonly executor: PodExecutor;
  readonly watcher: PodWatcher;
  readonly lister: PodLister;
  readonly events: EventRecorder;
  /** Velero Restores and the workloads that own pods (--from-restore); undefined = not available. */
  readonly restores?: RestoreReader & OwnerLister;
  /** The kubeconfig context's namespace (the default without -n, -A or namespaces in the file); default `default`. */
  readonly namespace?: string;
  close(): Promise<void> | void;
}

export interface ConnectOptions {
  readonly kubeconfigPath?: string;
  readonly context?: string;
  readonly insecureSkipTlsVerify?: boolean;
  /** No API request (credentials included) may outlive the run's deadline. */
  readonly requestTimeoutMs?: number;
}

/** The --backup/--restore file, read and checked before the cluster is contacted. */
export interface PreparedRun {
  /**
   * The namespaces the file names (the Backup's, or the Restore's target ones) for a run without -n:
   * undefined = it names none (the kubeconfig context's namespace applies), 'all' = patterns.
   */
  readonly namespaces: FileNamespaces;
  /** metadata.name of the Backup/Schedule or Restore; null without a file (annotation hooks only). */
  readonly name?: string | null;
  /** metadata.namespace of that object ('' when the file gives none). */
  readonly objectNamespace?: string;
  /** Plans the phase for the listed pods (notes go to stderr unless `quiet`). */
  plan(pods: readonly PodManifest[], policy: PlanPolicy, quiet?: boolean): Plan;
  /** A Backup's other phase from the same file read (`run backup` plans pre and post once each). */
  planPhase?(phase: 'pre' | 'post', pods: readonly PodManifest[], policy: PlanPolicy, quiet?: boolean): Plan;
}

/**
 * What `run` needs beyond the CLI's I/O: the cluster, the core's loaders and planners, a clock and
 * process signals. Passed in so tests run the command in-process with fakes.
 */
export interface RunWiring {
  createPorts(options: ConnectOptions): Promise<RunPorts> | RunPorts;
  /**
   * Reads and validates FILE (undefined: no file, an empty spec: annotation hooks only); called before
   * createPorts. Throws UsageError (exit 2) when the file cannot be used: unreadable, no such object,
   * or any error-severity diagnostic.
   */
  /** `options.veleroVersion`: the `--velero-version` profile the file is read under (which onError values exist). */
  prepare(kind: RunKind, file: string | undefined, deps: CliDeps, options?: VeleroReadOptions): Promise<PreparedRun>;
  readonly clock: Clock;
  /** Subscribes to SIGINT/SIGTERM; returns the unsubscribe function. */
  onSignals(handler: (signal: 'SIGINT' | 'SIGTERM') => void): () => void;
}

interface RawRunOptions {
  backup?: string;
  restore?: string;
  kubeconfig?: string;
  context?: string;
  namespace?: string[];
  selector?: string;
  output?: unknown;
  concurrency?: string;
  deadline?: string;
  events?: boolean;
  outputCapture?: boolean;
  insecureSkipTlsVerify?: boolean;
  annotationHooks?: boolean;
  allowNamespace?: string[];
  denyNamespace?: string[];
  veleroVersion?: string;
  allNamespaces?: boolean;
  failIfNoHooks?: boolean;
  waitForPods?: string;
  windowTimeout?: string;
  onPreFailure?: string;
  journal?: string;
  thawOrder?: string;
  /** Set by the action for run backup, whose settings are parsed as pre-backup. */
  thawOrderWindow?: boolean;
  fromRestore?: string;
  settle?: string;
}

export const RUN_FORMATS = ['text', 'wide', 'json', 'yaml', 'junit'] as const;
export type RunFormat = (typeof RUN_FORMATS)[number];

export interface RunSettings {
  readonly kind: RunKind;
  /** The --backup/--restore file; undefined = none (an empty spec: annotation hooks only). */
  readonly file: string | undefined;
  /** -n (namespaces, possibly empty) and -l; the namespaces actually used are chosen with the file and context. */
  readonly scope: PodScope;
  /** -A/--all-namespaces. */
  readonly allNamespaces: boolean;
  readonly output: RunFormat;
  readonly concurrency: number;
  /** undefined = no overall deadline. */
  readonly deadlineMs: number | undefined;
  readonly events: boolean;
  readonly includeOutput: boolean;
  readonly connect: ConnectOptions;
  /** --no-annotation-hooks, --allow-namespace, --deny-namespace, --velero-version. */
  readonly policy: PlanPolicy;
  /** --fail-if-no-hooks: no hook planned exits 1. */
  readonly failIfNoHooks: boolean;
  /** --wait-for-pods (post-restore): wait up to this long for pods with a hook to appear; undefined = no wait. */
  readonly waitForPodsMs: number | undefined;
  /** --thaw-order (post-backup, backup; ADR 0019): post stages in reverse (default) or the same order as the pre stages. */
  readonly thawOrder: ThawOrder;
  /** --from-restore NS/NAME (post-restore, ADR 0021): the Restore read from the cluster; undefined = none. */
  readonly fromRestore?: { readonly namespace: string; readonly name: string } | undefined;
  /** --settle (with --from-restore): plan once no new pod has appeared for this long. */
  readonly settleMs?: number | undefined;
}

/** Validates flags into settings; every problem is a UsageError naming the flag. */
export function parseRunSettings(kind: string, raw: RawRunOptions): RunSettings {
  if (!KINDS.includes(kind as RunKind)) {
    throw new UsageError(`unknown hook kind "${kind}": expected one of ${KINDS.join(', ')}, backup`);
  }
  const k = kind as RunKind;
  const isRestore = k === 'post-restore';
  const file = isRestore ? raw.restore : raw.backup;
  if (isRestore && raw.backup !== undefined) throw new UsageError('--backup does not apply to post-restore; use --restore FILE');
  if (!isRestore && raw.restore !== undefined) throw new UsageError(`--restore does not apply to ${k}; use --backup FILE`);
  if (file === '') throw new UsageError(`${isRestore ? '--restore' : '--backup'} needs a file name (or leave it out: annotation hooks only)`);
  const output = raw.output ?? 'text';
  if (!RUN_FORMATS.includes(output as RunFormat)) throw new UsageError(`--output must be one of ${RUN_FORMATS.join(', ')} (got ${JSON.stringify(output)})`);
  // Without --concurrency the limit adapts from 8 up to DEFAULT_ADAPTIVE_MAX; with it, that is the hard maximum.
  const concurrencyText = raw.concurrency ?? String(DEFAULT_ADAPTIVE_MAX);
  const concurrency = Number(concurrencyText);
  if (!/^\d+$/.test(concurrencyText) || !Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1000) {
    throw new UsageError(`--concurrency must be a whole number from 1 to 1000 (got "${concurrencyText}")`);
  }
  const deadlineText = raw.deadline ?? (isRestore ? DEFAULT_POST_RESTORE_DEADLINE : '0');
  const parsed = parseGoDuration(deadlineText);
  if (!parsed.ok) throw new UsageError(`--deadline: ${parsed.error} (use a Go duration such as 90s, 10m or 1h30m; 0 = none)`);
  if (parsed.ns < 0n) throw new UsageError(`--deadline must not be negative (got ${deadlineText})`);
  const namespaces = (raw.namespace ?? []).map((n) => n.trim());
  const badNs = namespaces.find((n) => !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(n));
  if (badNs !== undefined) throw new UsageError(`-n/--namespace: "${badNs}" is not a valid namespace name`);
  if (raw.allNamespaces === true && namespaces.length > 0) throw new UsageError('-A/--all-namespaces and -n/--namespace cannot be used together');
  if (raw.thawOrder !== undefined && !(THAW_ORDERS as readonly string[]).includes(raw.thawOrder)) {
    throw new UsageError(`--thaw-order must be ${THAW_ORDERS.join(' or ')} (got ${JSON.stringify(raw.thawOrder)})`);
  }
  if (raw.thawOrder !== undefined && (isRestore || k === 'pre-backup') && raw.thawOrderWindow !== true) {
    throw new UsageError('--thaw-order applies to post-backup and backup only (the order of the post stages)');
  }
  let waitForPodsMs: number | undefined;
  if (raw.waitForPods !== undefined) {
    if (!isRestore) throw new UsageError(`--wait-for-pods applies to post-restore only (${k} acts on the pods as they are now)`);
    const wait = parseGoDuration(raw.waitForPods);
    if (!wait.ok) throw new UsageError(`--wait-for-pods: ${wait.error} (use a Go duration such as 30s or 5m)`);
    if (wait.ns <= 0n) throw new UsageError(`--wait-for-pods must be positive (got ${raw.waitForPods})`);
    waitForPodsMs = nsToMs(wait.ns);
  }
  let fromRestore: { namespace: string; name: string } | undefined;
  let settleMs: number | undefined;
  if (raw.fromRestore !== undefined) {
    if (!isRestore) throw new UsageError(`--from-restore applies to post-restore only (got ${k})`);
    if (raw.restore !== undefined) throw new UsageError('--from-restore reads the Restore from the cluster; use it or --restore FILE, not both');
    if (raw.waitForPods !== undefined) throw new UsageError('--wait-for-pods does not apply with --from-restore (it waits for the Restore and settles by itself; see --settle)');
    const ref = parseRestoreRef(raw.fromRestore);
    if ('error' in ref) throw new UsageError(`--from-restore: ${ref.error}`);
    fromRestore = ref;
    settleMs = DEFAULT_SETTLE_MS;
  }
  if (raw.settle !== undefined) {
    if (fromRestore === undefined) throw new UsageError('--settle applies only with --from-restore NS/NAME');
    const settle = parseGoDuration(raw.settle);
    if (!settle.ok) throw new UsageError(`--settle: ${settle.error} (use a Go duration such as 10s or 1m; 0 = plan from the pods there now)`);
    if (settle.ns < 0n) throw new UsageError(`--settle must not be negative (got ${raw.settle})`);
    settleMs = nsToMs(settle.ns);
  }
  // KUBECONFIG (possibly a list) is the kube layer's business; only the flag is passed on.
  const kubeconfig = raw.kubeconfig;
  const connect: ConnectOptions = {
    ...(kubeconfig === undefined || kubeconfig === '' ? {} : { kubeconfigPath: kubeconfig }),
    ...(raw.context === undefined ? {} : { context: raw.context }),
    ...(raw.insecureSkipTlsVerify === true ? { insecureSkipTlsVerify: true } : {}),
    ...(parsed.ns === 0n ? {} : { requestTimeoutMs: Math.max(1, Math.min(30_000, nsToMs(parsed.ns))) }),
  };
  return {
    kind: k,
    file,
    scope: raw.selector === undefined || raw.selector === '' ? { namespaces } : { namespaces, labelSelector: raw.selector },
    allNamespaces: raw.allNamespaces === true,
    output: output as RunFormat,
    concurrency,
    deadlineMs: parsed.ns === 0n ? undefined : nsToMs(parsed.ns),
    events: raw.events !== false,
    includeOutput: raw.outputCapture !== false,
    connect,
    policy: policyFromFlags(raw),
    failIfNoHooks: raw.failIfNoHooks === true,
    waitForPodsMs,
    thawOrder: raw.thawOrder === 'same' ? 'same' : 'reverse',
    ...(fromRestore === undefined ? {} : { fromRestore, settleMs }),
  };
}

export interface RunOutcome {
  readonly report: RunReport;
  readonly exitCode: number;
}

/** Runs one hook phase against the cluster and prints the report; returns the exit code. */
export async function executeRun(settings: RunSettings, deps: CliDeps, wiring: RunWiring): Promise<RunOutcome> {
  const ctl = new AbortController();
  let interrupted: 'SIGINT' | 'SIGTERM' | undefined;
  const onOuterAbort = (): void => {
    ctl.abort();
  };
  deps.signal.addEventListener('abort', onOuterAbort, { once: true });
  const offSignals = wiring.onSignals((sig) => {
    interrupted ??= sig;
    deps.io.stderr.write(`\n${sig} received: stopping; in-flight commands are closed and the partial report follows\n`);
    ctl.abort();
  });
  const progress = new ProgressLine(
    { isTTY: deps.io.stderrIsTTY, write: (t) => (deps.io.stderr.write(t), true) },
    { now: () => wiring.clock.now(), label: settings.kind },
  );
  const startedAt = new Date(wiring.clock.now()).toISOString();
  let ports: RunPorts | undefined;
  let eventFailures = 0;
  try {
    // Reading the Backup/Restore file (possibly a FIFO) ends on a signal too.
    const planDeps: CliDeps = { ...deps, signal: ctl.signal };
    const planned = async <T>(planning: Promise<T>): Promise<T | undefined> => {
      try {
        return await planning;
      } catch (error) {
        if (ctl.signal.aborted) return undefined;
        throw error;
      }
    };
    const interruptedEarly = (): RunOutcome => {
      deps.io.stderr.write('interrupted before any hook ran\n');
      return { report: { summary: { attempted: 0, failed: 0 }, results: [] }, exitCode: exitForSignal(interrupted) };
    };
    let prepared: PreparedRun | undefined;
    let choice: { readonly namespaces: readonly string[]; readonly all: boolean };
    let scope: PodScope | undefined;
    let fromRestorePods: readonly PodManifest[] | undefined;
    if (settings.fromRestore !== undefined) {
      ports = await wiring.createPorts(settings.connect);
      const ready = await fromRestoreRun(settings, settings.fromRestore, ports, wiring.clock, ctl.signal, deps);
      if ('exitCode' in ready) return ready.exitCode === EXIT_INTERRUPTED ? interruptedEarly() : { report: { summary: { attempted: 0, failed: 0 }, results: [] }, exitCode: ready.exitCode };
      ({ prepared, scope } = ready);
      choice = { namespaces: ready.scope.namespaces, all: ready.scope.namespaces.length === 0 };
      fromRestorePods = ready.pods;
    } else {
      // The file first: a file with errors stops here, before any connection or request.
      prepared = await planned(wiring.prepare(settings.kind, settings.file, planDeps, { veleroVersion: settings.policy.veleroVersion }));
      if (prepared === undefined) return interruptedEarly();
      ports = await wiring.createPorts(settings.connect);
      choice = chooseNamespaces(settings.scope.namespaces, settings.allNamespaces, prepared.namespaces, ports.namespace);
      const where = describeNamespaceChoice(choice as ReturnType<typeof chooseNamespaces>, settings.kind === 'post-restore' ? 'restore' : 'backup');
      if (where !== undefined) deps.io.stderr.write(`${settings.kind}: ${where}\n`);
      // Every namespace the file names is excluded: nothing to list or watch.
      scope = !choice.all && choice.namespaces.length === 0 ? undefined : { ...settings.scope, namespaces: choice.namespaces };
    }
    const run: PreparedRun = prepared;
    let pods: readonly PodManifest[];
    try {
      if (fromRestorePods !== undefined) pods = fromRestorePods;
      else if (scope === undefined) pods = [];
      else if (settings.waitForPodsMs !== undefined) {
        const waitMs = settings.deadlineMs === undefined ? settings.waitForPodsMs : Math.min(settings.waitForPodsMs, settings.deadlineMs);
        deps.io.stderr.write(`${settings.kind}: waiting up to ${formatMs(waitMs)} for pods with a hook to appear (--wait-for-pods)\n`);
        const waited = await waitForPods({
          watcher: ports.watcher, scope, clock: wiring.clock, signal: ctl.signal, timeoutMs: waitMs,
          ready: (seen) => run.plan(seen, settings.policy, true).hooks.length > 0,
        });
        if (ctl.signal.aborted) return interruptedEarly();
        if (!waited.ready) deps.io.stderr.write(`${settings.kind}: no pod with a hook appeared within ${formatMs(waitMs)}\n`);
        pods = waited.pods;
      } else pods = await ports.lister.list(scope, ctl.signal);
    } catch (error) {
      if (ctl.signal.aborted) return interruptedEarly();
      throw error;
    }
    const common = {
      executor: guardNamespaces(ports.executor, settings.policy),
      clock: wiring.clock,
      signal: ctl.signal,
      events: settings.events ? ports.events : undefined,
      eventSubject: typeof run.name === 'string' && run.name !== '' ? eventSubjectFor(settings.kind, run.name, run.objectNamespace ?? '') : undefined,
      concurrency: settings.concurrency,
      adaptiveConcurrency: true,
      deadlineMs: settings.deadlineMs,
      // --no-output: the report leaves stdout/stderr out, so do not hold up to 1 MiB per stream and hook.
      maxOutputBytes: settings.includeOutput ? undefined : OMITTED_OUTPUT_MAX_BYTES,
      onProgress: (p: Parameters<ProgressLine['update']>[0]) => {
        progress.update(p);
      },
      onEventFailure: (error: string) => {
        eventFailures++;
        if (eventFailures === 1) {
          progress.end();
          writeWarning(deps.io, `cannot record Events on the pods (${terminalSafe(error)}); the hooks are not affected (--no-events turns Events off)`);
        }
      },
    };
    let report: RunReport;
    const plan = run.plan(pods, settings.policy);
    refuseInvalidStages(plan, deps);
    announce(deps, settings, plan);
    const listed = scope === undefined ? [] : choice.namespaces;
    const namespaces = choice.all ? null : listed;
    const noHooks = plan.hooks.length === 0;
    if (noHooks) {
      const lines = explainNoHooks({ kind: settings.kind, namespaces, podsSeen: pods.length, skipped: plan.skipped });
      if (settings.failIfNoHooks) writeError(deps.io, `${lines[0] ?? ''} (--fail-if-no-hooks)`);
      else writeWarning(deps.io, lines[0] ?? '');
      for (const l of lines.slice(1)) deps.io.stderr.write(`${l}\n`);
    }
    if (settings.kind === 'post-restore') {
      report = scope === undefined || noHooks
        ? { summary: { attempted: 0, failed: 0 }, results: [] }
        : await runPostRestoreHooks({ ...common, plan, watcher: ports.watcher, scope, listedPods: pods });
    } else {
      report = await runBackupHooks({ ...common, plan, pods, ...(settings.kind === 'post-backup' ? { stageOrder: settings.thawOrder === 'same' ? 'ascending' : 'descending' } : {}) });
    }
    progress.end();
    const context: RunContext = {
      kind: settings.kind,
      backup: settings.kind === 'post-restore' ? null : (run.name ?? null),
      restore: settings.kind === 'post-restore' ? (run.name ?? null) : null,
      namespaces,
      podsSeen: pods.length,
      startedAt,
      finishedAt: new Date(wiring.clock.now()).toISOString(),
      kubehooksVersion: versionInfo().version,
      interrupted: interrupted !== undefined,
      skipped: plan.skipped,
    };
    deps.io.stdout.write(renderReport(settings, deps, report, context));
    const frozen = podsNeedingPostBackup(settings.kind, report);
    if (frozen.length > 0 && settings.output !== 'text' && settings.output !== 'wide') {
      // The text report says it on stdout; machine formats get it on stderr too, for the person watching.
      const [first, ...rest] = thawLines(frozen, thawCommand(settings));
      writeWarning(deps.io, first ?? '');
      for (const l of rest) deps.io.stderr.write(`${l}\n`);
    }
    const exitCode = interrupted !== undefined
      ? exitForSignal(interrupted)
      : report.summary.failed > 0 || (noHooks && settings.failIfNoHooks) ? EXIT_FINDINGS : EXIT_OK;
    return { report, exitCode };
  } finally {
    progress.end();
    offSignals();
    deps.signal.removeEventListener('abort', onOuterAbort);
    await ports?.close();
  }
}

/**
 * --from-restore: the Restore from the cluster, waited for and settled (src/run/from-restore.ts);
 * the plan is the owner rule's (src/plan/from-restore.ts). A refusal is said on stderr and returned
 * as the exit code: 2 when there is nothing to run for (no such Restore, Failed, spec.hooks errors),
 * 1 when the deadline passed while the Restore was still creating its objects.
 */
async function fromRestoreRun(
  settings: RunSettings,
  ref: { readonly namespace: string; readonly name: string },
  ports: RunPorts,
  clock: Clock,
  signal: AbortSignal,
  deps: CliDeps,
): Promise<{ prepared: PreparedRun; scope: PodScope; pods: readonly PodManifest[] } | { exitCode: number }> {
  if (ports.restores === undefined) throw new UsageError('--from-restore is not available in this build (no Restore reader)');
  const allNamespaces = settings.allNamespaces;
  const outcome = await prepareFromRestore({
    restores: ports.restores,
    owners: ports.restores,
    watcher: ports.watcher,
    lister: ports.lister,
    clock,
    signal,
    namespace: ref.namespace,
    name: ref.name,
    readOptions: { veleroVersion: settings.policy.veleroVersion },
    namespaces: allNamespaces ? [] : settings.scope.namespaces,
    labelSelector: settings.scope.labelSelector,
    deadlineMs: settings.deadlineMs,
    settleMs: settings.settleMs ?? DEFAULT_SETTLE_MS,
    onStatus: (m) => {
      deps.io.stderr.write(`post-restore: ${terminalSafe(m)}\n`);
    },
  });
  switch (outcome.kind) {
    case 'aborted':
      return { exitCode: EXIT_INTERRUPTED };
    case 'not-found':
    case 'failed':
    case 'invalid':
      writeError(deps.io, `--from-restore ${ref.namespace}/${ref.name}: ${terminalSafe(outcome.message)}; no hook was run`);
      return { exitCode: EXIT_USAGE };
    case 'timeout':
      writeError(deps.io, `--from-restore ${ref.namespace}/${ref.name}: ${terminalSafe(outcome.message)}; no hook was run`);
      return { exitCode: EXIT_FINDINGS };
    case 'ready':
      break;
  }
  const { restore, owners } = outcome;
  const where = outcome.scope.namespaces.length === 0 ? 'every namespace' : `namespace${outcome.scope.namespaces.length === 1 ? '' : 's'} ${outcome.scope.namespaces.map((n) => JSON.stringify(n)).join(', ')}`;
  deps.io.stderr.write(`post-restore: restore ${terminalSafe(ref.name)} is ${outcome.phase}; ${outcome.pods.length} pod${outcome.pods.length === 1 ? '' : 's'} in ${terminalSafe(where)}; hooks run only in pods its workloads created (Velero ran the hooks of the pods it created)\n`);
  return {
    prepared: {
      namespaces: 'all',
      name: restore.name,
      objectNamespace: ref.namespace,
      plan: (pods, policy) => planFromRestore(restore, pods, owners, policy),
    },
    scope: outcome.scope,
    pods: outcome.pods,
  };
}

/** The post-backup command line that thaws what an incomplete pre-backup froze. */
function thawCommand(settings: RunSettings): string {
  const parts = ['kubehooks run post-backup'];
  if (settings.file !== undefined) parts.push(`--backup ${settings.file}`);
  for (const ns of settings.scope.namespaces) parts.push(`-n ${ns}`);
  if (settings.allNamespaces) parts.push('-A');
  if (settings.scope.labelSelector !== undefined) parts.push(`-l ${settings.scope.labelSelector}`);
  return terminalSafe(parts.join(' '));
}

function renderReport(settings: RunSettings, deps: CliDeps, report: RunReport, context: RunContext): string {
  const omitOutput = !settings.includeOutput;
  switch (settings.output) {
    case 'json':
      return renderRunJson(report, { omitOutput, context });
    case 'yaml':
      return renderYaml(runToJson(report, { omitOutput, context }));
    case 'junit':
      return renderRunJunit(report, { name: `kubehooks run ${settings.kind}`, omitOutput });
    case 'text':
    case 'wide':
      return renderRunText(report, {
        omitOutput,
        wide: settings.output === 'wide',
        // Cut long reasons only for a person at a terminal; pipes and files get every character.
        ...(deps.io.stdoutIsTTY === true ? { reasonWidth: 70 } : {}),
        skipped: context.skipped,
        needsPostBackup: podsNeedingPostBackup(settings.kind, report),
        thawCommand: thawCommand(settings),
        colors: colorsFor(deps.io.color?.stdout === true),
      });
  }
}

/** One line on stderr before hooks start, so logs (and people) see what the run is about to do. */
function announce(deps: CliDeps, settings: RunSettings, plan: Plan): void {
  const pods = new Set(plan.hooks.map((h) => `${h.namespace}/${h.pod}`)).size;
  const deadline = settings.deadlineMs === undefined ? 'no deadline' : `deadline ${formatMs(settings.deadlineMs)}`;
  const n = plan.hooks.length;
  deps.io.stderr.write(
    `${settings.kind}: ${n} hook${n === 1 ? '' : 's'} planned in ${pods} pod${pods === 1 ? '' : 's'}` +
      ` (${plan.skipped.length} skipped); ${settings.kind === 'post-restore' ? 'waiting for containers, ' : ''}${deadline}\n`,
  );
}

/**
 * Defence in depth for --allow-namespace/--deny-namespace: the planner already leaves such pods out;
 * should a hook reach the executor anyway, it is refused here and never sent to the cluster.
 */
export function guardNamespaces(executor: PodExecutor, policy: PlanPolicy): PodExecutor {
  const denied = policy.namespaceDenied;
  if (denied === undefined) return executor;
  return {
    exec: (request) => {
      const why = denied(request.namespace);
      if (why === undefined) return executor.exec(request);
      return Promise.resolve({
        kind: 'error',
        code: 'forbidden',
        message: `refused by kubehooks: ${why}`,
        stdout: '',
        stderr: '',
        truncated: false,
        startedAt: new Date(),
        durationMs: 0,
      });
    },
  };
}

function exitForSignal(sig: 'SIGINT' | 'SIGTERM' | undefined): number {
  return sig === 'SIGTERM' ? EXIT_TERMINATED : EXIT_INTERRUPTED;
}

/** Signals through the process; the handler is removed when the run ends. */
export function processSignals(handler: (signal: 'SIGINT' | 'SIGTERM') => void): () => void {
  const onInt = (): void => {
    handler('SIGINT');
  };
  const onTerm = (): void => {
    handler('SIGTERM');
  };
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);
  return () => {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  };
}


/** Builds the `run` command with the given wiring (the registry uses the real cluster). */
export function createRunCommand(wiring: () => WindowWiring): CliCommand {
  return {
    name: 'run',
    register(program: Command, ctx: CommandContext): void {
      // `-o/--output <format>` and `--no-output` share commander's attribute, so track them by event.
      let format = 'text';
      let omitOutput = false;
      const cmd = program
        .command('run')
        .description(
          'run backup pre/post or post-restore exec hooks against the cluster and report every outcome; ' +
            '`run backup --backup FILE -- COMMAND [ARGS...]` is the quiesce window: pre hooks, then COMMAND, then always the post hooks ' +
            'of every pod whose pre hooks started (COMMAND gets KUBEHOOKS_RUN_ID and KUBEHOOKS_FROZEN_PODS, a JSON file of the frozen pods and their PVCs)',
        )
        .argument('<kind>', 'pre-backup | post-backup | post-restore | backup')
        .argument('[command...]', 'backup only: COMMAND and its arguments, after --')
        .option('--backup <file>', 'Velero Backup (or Schedule) manifest whose spec.hooks to run (pre-backup, post-backup; without it: annotation hooks only)')
        .option('--restore <file>', 'Velero Restore manifest whose spec.hooks to run (post-restore; without it: annotation hooks only)')
        .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
        .option('--context <name>', 'kubeconfig context to use')
        .option('-n, --namespace <ns>', 'namespace to act in (repeatable; default: the namespaces the Backup/Restore names, else the kubeconfig context\'s)', collect)
        .option('-A, --all-namespaces', 'act in every namespace (the Backup/Restore still decides which pods get hooks)')
        .option('-l, --selector <selector>', 'only pods matching this label selector')
        .addOption(new Option('-o, --output <format>', 'report format: text, wide (no cut, more columns), json, yaml or junit (default: text)').choices(RUN_FORMATS))
        .addOption(new Option('--no-output', 'leave command stdout/stderr out of the report'))
        .addOption(new Option('--concurrency <n>', 'most hook commands running at once (hard maximum; the limit adapts from 8 to it on exec latency and errors)').default(String(DEFAULT_ADAPTIVE_MAX), String(DEFAULT_ADAPTIVE_MAX)))
        .option('--deadline <duration>', `overall deadline, Go duration (default: ${DEFAULT_POST_RESTORE_DEADLINE} for post-restore, none for backups; 0 = none)`)
        .option('--wait-for-pods <duration>', 'post-restore: wait up to this long (Go duration) for restored pods with a hook to appear before planning')
        .option('--window-timeout <duration>', 'backup only: longest COMMAND may run, Go duration (then SIGTERM, SIGKILL after 10s, and the thaw starts at once; default 0 = none)')
        .option('--thaw-order <order>', 'post-backup and backup, with stages (kubehooks.dev/stage): reverse (default: the last stage frozen is thawed first) or same (Velero\'s order)')
        .addOption(new Option('--on-pre-failure <mode>', 'backup only: after a pre hook with onError Fail failed, fail (thaw, COMMAND is not run) or continue (run COMMAND anyway)').choices(['fail', 'continue']))
        .option('--journal <file>', 'backup only: the crash-recovery journal (default: $XDG_STATE_HOME/kubehooks/windows/<run id>.jsonl, printed); after a crash `kubehooks thaw --journal FILE` thaws what it froze')
        .option('--from-restore <ns/name>', 'post-restore: read this velero.io/v1 Restore from the cluster, wait until it has created its objects, and run its hooks in the pods its restored workloads created (Velero runs those of the pods it created)')
        .option('--settle <duration>', `with --from-restore: plan once no new pod has appeared for this long (Go duration; default ${DEFAULT_SETTLE_MS / 1000}s; bounded by --deadline)`)
        .option('--fail-if-no-hooks', 'exit 1 when no hook is planned (by default that is a warning on stderr and exit 0)')
        .option('--no-events', 'do not record Kubernetes Events on the pods')
        .option('--insecure-skip-tls-verify', 'do not verify the API server certificate (dangerous; warns on stderr)');
      addHelpSections(cmd, [
        ['run pre-backup -n db', 'freeze: the annotation hooks of the pods in namespace db'],
        ['run pre-backup --backup backup.yaml', 'the Backup\'s spec hooks and annotations, in its namespaces'],
        ['run post-backup --backup backup.yaml -o json', 'thaw, with a JSON report (schemas/run-output.schema.json)'],
        ['run post-restore --restore restore.yaml --wait-for-pods 5m', 'wait for the restored pods, then run their hooks'],
        ['run post-restore --from-restore velero/restore-1', 'the hooks Velero leaves out: pods the restored Deployments and StatefulSets created'],
        ['run pre-backup -A --fail-if-no-hooks', 'every namespace; exit 1 if nothing has a hook'],
        ['run backup --backup backup.yaml -- ./snapshot.sh', 'freeze, run ./snapshot.sh, always thaw'],
        ['run backup --backup backup.yaml --window-timeout 10m -o json -- kopia snapshot create /data', 'COMMAND stopped after 10m, then thaw; JSON report (schemas/run-backup-output.schema.json)'],
      ], [
        [0, 'every hook succeeded (or none was planned, without --fail-if-no-hooks); backup: and COMMAND exited 0'],
        [1, 'a hook failed or timed out, or no hook was planned with --fail-if-no-hooks (backup: only the latter; COMMAND not run)'],
        [2, 'usage, configuration or cluster access error (a --backup/--restore file with errors runs nothing)'],
        [3, 'backup: a pre hook failed or timed out (after a Fail one COMMAND is not run unless --on-pre-failure continue)'],
        [4, 'backup: COMMAND exited non-zero, was killed by a signal, or could not be started'],
        [5, 'backup: COMMAND exceeded --window-timeout and was stopped'],
        [6, 'backup: a post hook of a frozen pod did not succeed (pods may still be frozen)'],
        [130, 'interrupted by SIGINT (the partial report is printed; backup: the first signal thaws, a second stops the thaw)'],
        [143, 'terminated by SIGTERM (the partial report is printed; backup: as SIGINT)'],
      ]);
      addPolicyOptions(cmd);
      cmd.on('option:output', (value: string) => {
        format = value;
      });
      cmd.on('option:no-output', () => {
        omitOutput = true;
      });
      cmd.action(async (kind: string, argv: string[], raw: RawRunOptions) => {
        const isWindow = kind === 'backup';
        if (!isWindow && argv.length > 0) throw new UsageError(`unexpected argument "${argv[0] ?? ''}": only run backup takes a COMMAND (after --)`);
        if (!isWindow && (raw.windowTimeout !== undefined || raw.onPreFailure !== undefined || raw.journal !== undefined)) {
          throw new UsageError('--window-timeout, --on-pre-failure and --journal apply to run backup only');
        }
        const settings = parseRunSettings(isWindow ? 'pre-backup' : kind, { ...raw, output: format, outputCapture: !omitOutput, thawOrderWindow: isWindow });
        const window = isWindow ? parseWindowSettings(settings, raw, argv) : undefined;
        try {
          if (window !== undefined) {
            ctx.setExitCode(await executeWindowRun(window, ctx.deps, wiring()));
            return;
          }
          const outcome = await executeRun(settings, ctx.deps, wiring());
          ctx.setExitCode(outcome.exitCode);
        } catch (error) {
          if (error instanceof UsageError) throw error;
          writeError(ctx.deps.io, describeError(error));
          ctx.setExitCode(EXIT_USAGE);
        }
      });
    },
  };
}

/** The real world: the cluster through src/kube, the core's planners, the system clock, process signals. */
export function defaultRunWiring(): RunWiring {
  return {
    createPorts: (options) =>
      createKubePorts({
        kubeconfigPath: options.kubeconfigPath,
        context: options.context,
        insecureSkipTlsVerify: options.insecureSkipTlsVerify,
        requestTimeoutMs: options.requestTimeoutMs,
      }),
    prepare: prepareRunFile,
    clock: createSystemClock(),
    onSignals: processSignals,
  };
}

/** Reads and checks the run's file; any error-severity diagnostic refuses the run (exit 2). No file: an empty spec. */
export async function prepareRunFile(kind: RunKind, file: string | undefined, deps: CliDeps, options: VeleroReadOptions = {}): Promise<PreparedRun> {
  if (kind === 'post-restore') {
    let restore = emptyRestoreHooks();
    if (file !== undefined) {
      const checked = await checkRestoreFile(file, deps, '--restore', options);
      if (checked.errors > 0) throw refuseFile('--restore', file, checked.errors);
      restore = checked.hooks;
    }
    return {
      namespaces: fileNamespaces(restore.scope, restore.namespaceMapping),
      name: file === undefined ? null : restore.name,
      objectNamespace: restore.namespace,
      plan: (pods, policy, quiet) => planRestoreWithNotes(restore, pods, quiet === true ? quietDeps(deps) : deps, { policy }),
    };
  }
  let backup = emptyBackupHooks();
  if (file !== undefined) {
    const checked = await checkBackupFile(file, deps, '--backup', options);
    if (checked.errors > 0) throw refuseFile('--backup', file, checked.errors);
    backup = checked.hooks;
  }
  return {
    namespaces: fileNamespaces(backup.scope),
    name: file === undefined ? null : backup.name,
    objectNamespace: backup.namespace,
    plan: (pods, policy, quiet) => planBackupWithNotes(backup, pods, kind === 'pre-backup' ? 'pre' : 'post', quiet === true ? quietDeps(deps) : deps, policy),
    planPhase: (phase, pods, policy, quiet) => planBackupWithNotes(backup, pods, phase, quiet === true ? quietDeps(deps) : deps, policy),
  };
}

/** The same wiring with stderr dropped: planning again and again while waiting must not repeat its notes. */
function quietDeps(deps: CliDeps): CliDeps {
  return { ...deps, io: { ...deps.io, stderr: { write: () => undefined } } };
}

/** `kubehooks run pre-backup|post-backup [--backup FILE]` / `kubehooks run post-restore [--restore FILE]` */
export const runCommand: CliCommand = createRunCommand(defaultRunWiring);
