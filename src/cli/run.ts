import { Option } from 'commander';
import type { Command } from 'commander';
import { formatMs, parseGoDuration, nsToMs } from '../duration/go-duration.ts';
import { createKubePorts } from '../kube/index.ts';
import type { Plan } from '../model/plan.ts';
import type { PlanPolicy } from '../plan/policy.ts';
import type { VeleroReadOptions } from '../velero/profiles.ts';
import type { PodManifest } from '../model/pod.ts';
import type { RunReport } from '../model/result.ts';
import { ProgressLine } from '../report/progress-line.ts';
import { renderRunJson } from '../report/run-json.ts';
import { renderRunJunit } from '../report/run-junit.ts';
import { renderRunText } from '../report/run-text.ts';
import { terminalSafe } from '../report/terminal-text.ts';
import { runBackupHooks } from '../run/backup-runner.ts';
import { createSystemClock } from '../run/clock.ts';
import { runPostRestoreHooks } from '../run/post-restore-runner.ts';
import { DEFAULT_ADAPTIVE_MAX } from '../run/adaptive-limit.ts';
import { OMITTED_OUTPUT_MAX_BYTES } from '../run/run-options.ts';
import type { Clock, EventRecorder, PodExecutor, PodLister, PodScope, PodWatcher } from '../run/ports.ts';
import type { CliCommand, CommandContext } from './command.ts';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError, describeError } from './context.ts';
import type { CliDeps } from './context.ts';
import { collect, isOutputFormat } from './options.ts';
import { checkBackupFile, checkRestoreFile, refuseFile } from './hook-file.ts';
import { addPolicyOptions, planBackupWithNotes, planRestoreWithNotes, policyFromFlags } from './plan.ts';
import { scopeNamespaces } from '../plan/scope.ts';

export const EXIT_INTERRUPTED = 130;
export const EXIT_TERMINATED = 143;
/** Post-restore waits are bounded by default like Velero main's --resource-timeout (10m). */
export const DEFAULT_POST_RESTORE_DEADLINE = '10m';

export type RunKind = 'pre-backup' | 'post-backup' | 'post-restore';
const KINDS: readonly RunKind[] = ['pre-backup', 'post-backup', 'post-restore'];

/** The cluster ports, as src/kube's createKubePorts returns them. */
export interface RunPorts {
  readonly executor: PodExecutor;
  readonly watcher: PodWatcher;
  readonly lister: PodLister;
  readonly events: EventRecorder;
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
  /** Namespaces to list and watch when no -n is given (the Backup's, or the Restore's target ones); undefined = all. */
  readonly namespaces: readonly string[] | undefined;
  /** Plans the phase for the listed pods (notes go to stderr). */
  plan(pods: readonly PodManifest[], policy: PlanPolicy): Plan;
}

/**
 * What `run` needs beyond the CLI's I/O: the cluster, the core's loaders and planners, a clock and
 * process signals. Passed in so tests run the command in-process with fakes.
 */
export interface RunWiring {
  createPorts(options: ConnectOptions): Promise<RunPorts> | RunPorts;
  /**
   * Reads and validates FILE; called before createPorts. Throws UsageError (exit 2) when the file
   * cannot be used: unreadable, no such object, or any error-severity diagnostic.
   */
  /** `options.veleroVersion`: the `--velero-version` profile the file is read under (which onError values exist). */
  prepare(kind: RunKind, file: string, deps: CliDeps, options?: VeleroReadOptions): Promise<PreparedRun>;
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
}

export interface RunSettings {
  readonly kind: RunKind;
  readonly file: string;
  readonly scope: PodScope;
  readonly output: 'text' | 'json' | 'junit';
  readonly concurrency: number;
  /** undefined = no overall deadline. */
  readonly deadlineMs: number | undefined;
  readonly events: boolean;
  readonly includeOutput: boolean;
  readonly connect: ConnectOptions;
  /** --no-annotation-hooks, --allow-namespace, --deny-namespace, --velero-version. */
  readonly policy: PlanPolicy;
}

/** Validates flags into settings; every problem is a UsageError naming the flag. */
export function parseRunSettings(kind: string, raw: RawRunOptions): RunSettings {
  if (!KINDS.includes(kind as RunKind)) {
    throw new UsageError(`unknown hook kind "${kind}": expected one of ${KINDS.join(', ')}`);
  }
  const k = kind as RunKind;
  const isRestore = k === 'post-restore';
  const file = isRestore ? raw.restore : raw.backup;
  if (isRestore && raw.backup !== undefined) throw new UsageError('--backup does not apply to post-restore; use --restore FILE');
  if (!isRestore && raw.restore !== undefined) throw new UsageError(`--restore does not apply to ${k}; use --backup FILE`);
  if (file === undefined || file === '') throw new UsageError(`${k} needs ${isRestore ? '--restore FILE' : '--backup FILE'}`);
  if (!isOutputFormat(raw.output ?? 'text') && raw.output !== 'junit') throw new UsageError('--output must be text, json or junit');
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
    output: raw.output === 'json' || raw.output === 'junit' ? raw.output : 'text',
    concurrency,
    deadlineMs: parsed.ns === 0n ? undefined : nsToMs(parsed.ns),
    events: raw.events !== false,
    includeOutput: raw.outputCapture !== false,
    connect,
    policy: policyFromFlags(raw),
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
    deps.io.stderr.write(`\nkubehooks: ${sig} received: stopping; in-flight commands are closed and the partial report follows\n`);
    ctl.abort();
  });
  const progress = new ProgressLine(
    { isTTY: deps.io.stderrIsTTY, write: (t) => (deps.io.stderr.write(t), true) },
    { now: () => wiring.clock.now(), label: settings.kind },
  );
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
      deps.io.stderr.write('kubehooks: interrupted before any hook ran\n');
      return { report: { summary: { attempted: 0, failed: 0 }, results: [] }, exitCode: exitForSignal(interrupted) };
    };
    // The file first: a file with errors stops here, before any connection or request.
    const prepared = await planned(wiring.prepare(settings.kind, settings.file, planDeps, { veleroVersion: settings.policy.veleroVersion }));
    if (prepared === undefined) return interruptedEarly();
    const scope = effectiveScope(settings.scope, prepared.namespaces);
    ports = await wiring.createPorts(settings.connect);
    let pods: readonly PodManifest[];
    try {
      // The Backup/Restore names no namespace that is left (all excluded): nothing to list or watch.
      pods = scope === undefined ? [] : await ports.lister.list(scope, ctl.signal);
    } catch (error) {
      if (ctl.signal.aborted) {
        deps.io.stderr.write('kubehooks: interrupted before any hook ran\n');
        return { report: { summary: { attempted: 0, failed: 0 }, results: [] }, exitCode: exitForSignal(interrupted) };
      }
      throw error;
    }
    const common = {
      executor: guardNamespaces(ports.executor, settings.policy),
      clock: wiring.clock,
      signal: ctl.signal,
      events: settings.events ? ports.events : undefined,
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
          deps.io.stderr.write(`kubehooks: warning: cannot record Events on the pods (${terminalSafe(error)}); the hooks are not affected (--no-events turns Events off)\n`);
        }
      },
    };
    let report: RunReport;
    const plan = prepared.plan(pods, settings.policy);
    announce(deps, settings, plan);
    if (settings.kind === 'post-restore') {
      report = scope === undefined || plan.hooks.length === 0
        ? { summary: { attempted: 0, failed: 0 }, results: [] }
        : await runPostRestoreHooks({ ...common, plan, watcher: ports.watcher, scope, listedPods: pods });
    } else {
      report = await runBackupHooks({ ...common, plan, pods });
    }
    progress.end();
    const omitOutput = !settings.includeOutput;
    deps.io.stdout.write(
      settings.output === 'json'
        ? renderRunJson(report, { omitOutput })
        : settings.output === 'junit'
          ? renderRunJunit(report, { name: `kubehooks run ${settings.kind}`, omitOutput })
          : renderRunText(report, { omitOutput }),
    );
    const exitCode = interrupted !== undefined ? exitForSignal(interrupted) : report.summary.failed > 0 ? EXIT_FINDINGS : EXIT_OK;
    return { report, exitCode };
  } finally {
    progress.end();
    offSignals();
    deps.signal.removeEventListener('abort', onOuterAbort);
    await ports?.close();
  }
}

/**
 * -n wins (and only narrows: pods outside the Backup's scope are then skipped by the planner);
 * without it, the file's namespaces. undefined = nothing to list (every named namespace excluded).
 */
export function effectiveScope(flags: PodScope, fileNamespaces: readonly string[] | undefined): PodScope | undefined {
  if (flags.namespaces.length > 0 || fileNamespaces === undefined) return flags;
  if (fileNamespaces.length === 0) return undefined;
  return { ...flags, namespaces: fileNamespaces };
}

/** One line on stderr before hooks start, so logs (and people) see what the run is about to do. */
function announce(deps: CliDeps, settings: RunSettings, plan: Plan): void {
  const pods = new Set(plan.hooks.map((h) => `${h.namespace}/${h.pod}`)).size;
  const deadline = settings.deadlineMs === undefined ? 'no deadline' : `deadline ${formatMs(settings.deadlineMs)}`;
  const n = plan.hooks.length;
  deps.io.stderr.write(
    `kubehooks: ${settings.kind}: ${n} hook${n === 1 ? '' : 's'} planned in ${pods} pod${pods === 1 ? '' : 's'}` +
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
export function createRunCommand(wiring: () => RunWiring): CliCommand {
  return {
    name: 'run',
    register(program: Command, ctx: CommandContext): void {
      // `-o/--output <format>` and `--no-output` share commander's attribute, so track them by event.
      let format = 'text';
      let omitOutput = false;
      const cmd = program
        .command('run')
        .description('run backup pre/post or post-restore exec hooks against the cluster and report every outcome')
        .argument('<kind>', 'pre-backup | post-backup | post-restore')
        .option('--backup <file>', 'Velero Backup (or Schedule) manifest whose spec.hooks to run (pre-backup, post-backup)')
        .option('--restore <file>', 'Velero Restore manifest whose spec.hooks to run (post-restore)')
        .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
        .option('--context <name>', 'kubeconfig context to use')
        .option('-n, --namespace <ns>', 'namespace to act in (repeatable; default: the namespaces the Backup/Restore names, else all)', collect)
        .option('-l, --selector <selector>', 'only pods matching this label selector')
        .addOption(new Option('-o, --output <format>', 'report format: text, json or junit (default: text)').choices(['text', 'json', 'junit']))
        .addOption(new Option('--no-output', 'leave command stdout/stderr out of the report'))
        .option('--concurrency <n>', `most hook commands running at once (hard maximum; the limit adapts from 8 to it on exec latency and errors; default ${DEFAULT_ADAPTIVE_MAX})`)
        .option('--deadline <duration>', `overall deadline, Go duration (default: ${DEFAULT_POST_RESTORE_DEADLINE} for post-restore, none for backups; 0 = none)`)
        .option('--no-events', 'do not record Kubernetes Events on the pods')
        .option('--insecure-skip-tls-verify', 'do not verify the API server certificate (dangerous; warns on stderr)');
      addPolicyOptions(cmd);
      cmd.on('option:output', (value: string) => {
        format = value;
      });
      cmd.on('option:no-output', () => {
        omitOutput = true;
      });
      cmd.action(async (kind: string, raw: RawRunOptions) => {
        const settings = parseRunSettings(kind, { ...raw, output: format, outputCapture: !omitOutput });
        try {
          const outcome = await executeRun(settings, ctx.deps, wiring());
          ctx.setExitCode(outcome.exitCode);
        } catch (error) {
          if (error instanceof UsageError) throw error;
          ctx.deps.io.stderr.write(`kubehooks: ${describeError(error)}\n`);
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

/** Reads and checks the run's file; any error-severity diagnostic refuses the run (exit 2). */
export async function prepareRunFile(kind: RunKind, file: string, deps: CliDeps, options: VeleroReadOptions = {}): Promise<PreparedRun> {
  if (kind === 'post-restore') {
    const checked = await checkRestoreFile(file, deps, '--restore', options);
    if (checked.errors > 0) throw refuseFile('--restore', file, checked.errors);
    const restore = checked.hooks;
    return {
      namespaces: scopeNamespaces(restore.scope, restore.namespaceMapping),
      plan: (pods, policy) => planRestoreWithNotes(restore, pods, deps, { policy }),
    };
  }
  const checked = await checkBackupFile(file, deps, '--backup', options);
  if (checked.errors > 0) throw refuseFile('--backup', file, checked.errors);
  const backup = checked.hooks;
  return {
    namespaces: scopeNamespaces(backup.scope),
    plan: (pods, policy) => planBackupWithNotes(backup, pods, kind === 'pre-backup' ? 'pre' : 'post', deps, policy),
  };
}

/** `kubehooks run pre-backup|post-backup --backup FILE` / `kubehooks run post-restore --restore FILE` */
export const runCommand: CliCommand = createRunCommand(defaultRunWiring);
