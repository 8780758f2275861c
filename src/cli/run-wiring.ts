/**
 * What `run` (and `run backup`, `thaw`) is wired to: the cluster's ports, the file's planner, a clock
 * and signals (RunWiring; tests pass fakes), the real wiring, and the runner options every driver
 * builds from the settings and the ports (guarded executor, Events, progress line).
 */
import { createKubePorts } from '../kube/index.ts';
import type { Plan } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import type { RunKind } from '../model/result.ts';
import type { PlanPolicy } from '../plan/policy.ts';
import { ProgressLine } from '../report/progress-line.ts';
import { terminalSafe } from '../report/terminal-text.ts';
import { createSystemClock } from '../run/clock.ts';
import type { EventSubject } from '../run/events.ts';
import type { Clock, EventRecorder, OwnerLister, PodExecutor, PodLister, PodWatcher, RestoreReader } from '../run/ports.ts';
import { OMITTED_OUTPUT_MAX_BYTES, type RunOptions } from '../run/run-options.ts';
import type { VeleroReadOptions } from '../velero/profiles.ts';
import type { CliDeps } from './context.ts';
import { writeWarning } from './context.ts';
import { checkBackupFile, checkRestoreFile, emptyBackupHooks, emptyRestoreHooks, refuseFile } from './hook-file.ts';
import { fileNamespaces, type FileNamespaces } from './namespaces.ts';
import { planBackupWithNotes, planRestoreWithNotes } from './plan.ts';
import type { ConnectOptions, RunSettings } from './run-settings.ts';
import { processSignals, type SignalSource } from './signals.ts';


/** The Backup/Restore named in every Event, with its namespace when the file gives one (`velero/nightly`). */
export function eventSubjectFor(kind: RunKind, name: string, namespace: string): EventSubject {
  return { kind: kind === 'post-restore' ? 'Restore' : 'Backup', namespace, name };
}

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
   * or any error-severity diagnostic. `options.veleroVersion`: the `--velero-version` profile the file is read under (which onError values exist).
   */
  prepare(kind: RunKind, file: string | undefined, deps: CliDeps, options?: VeleroReadOptions): Promise<PreparedRun>;
  readonly clock: Clock;
  /** Subscribes to SIGINT/SIGTERM; returns the unsubscribe function. */
  readonly onSignals: SignalSource;
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

/** The runner options that come from the settings, the ports and the file (not the run's signal, deadline or progress). */
export type RunnerPorts = Pick<RunOptions, 'executor' | 'clock' | 'events' | 'eventSubject' | 'eventGrouping' | 'concurrency' | 'adaptiveConcurrency' | 'maxOutputBytes'>;

/**
 * The runner's ports from the settings: the executor behind the namespace guard, Events on the pods
 * (unless --no-events; per pod or per hook, --events) naming the file's Backup/Restore, the concurrency limit (adaptive up to
 * --concurrency) and, with --no-output, the small output cap.
 */
export function runnerPorts(settings: RunSettings, ports: RunPorts, clock: Clock, prepared: PreparedRun): RunnerPorts {
  return {
    executor: guardNamespaces(ports.executor, settings.policy),
    clock,
    events: settings.events ? ports.events : undefined,
    eventGrouping: settings.eventGrouping,
    eventSubject: typeof prepared.name === 'string' && prepared.name !== '' ? eventSubjectFor(settings.kind, prepared.name, prepared.objectNamespace ?? '') : undefined,
    concurrency: settings.concurrency,
    adaptiveConcurrency: true,
    // --no-output: the report leaves stdout/stderr out, so do not hold up to 1 MiB per stream and hook.
    maxOutputBytes: settings.includeOutput ? undefined : OMITTED_OUTPUT_MAX_BYTES,
  };
}

/** The progress line on stderr and the runner callbacks that feed it; the first Event failure is one warning. */
export interface RunProgressWiring {
  readonly progress: ProgressLine;
  readonly onProgress: NonNullable<RunOptions['onProgress']>;
  readonly onEventFailure: NonNullable<RunOptions['onEventFailure']>;
}

export function runProgress(deps: CliDeps, label: string, clock: Clock): RunProgressWiring {
  const progress = new ProgressLine(
    { isTTY: deps.io.stderrIsTTY, write: (t) => (deps.io.stderr.write(t), true) },
    { now: () => clock.now(), label },
  );
  let eventFailures = 0;
  return {
    progress,
    onProgress: (p) => {
      progress.update(p);
    },
    onEventFailure: (error) => {
      eventFailures++;
      if (eventFailures === 1) {
        progress.end();
        writeWarning(deps.io, `cannot record Events on the pods (${terminalSafe(error)}); the hooks are not affected (--no-events turns Events off)`);
      }
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
