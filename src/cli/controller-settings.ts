/**
 * `kubehooks controller`'s flags: declared once (declareControllerFlags) and parsed once into one
 * ControllerSettings value (parseControllerSettings). Every problem is a UsageError naming the flag,
 * raised before the kubeconfig is read or the cluster is contacted.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parseListenAddress } from '../controller/http-endpoints.ts';
import { leaderElectionConfigError } from '../controller/leader.ts';
import { DEFAULT_CONTROLLER_NAME } from '../controller/manifests.ts';
import { RESTORE_OPT_IN_ANNOTATION } from '../controller/restore-hookruns.ts';
import { parseGoDuration, nsToMs } from '../duration/go-duration.ts';
import { SERVICE_ACCOUNT_DIR } from '../kube/kubeconfig.ts';
import type { EventGrouping } from '../run/event-summary.ts';
import { UsageError } from './context.ts';
import { addEventsFlags, eventsFromFlags } from './events-flags.ts';
import { collect } from './options.ts';

/** The flags as commander hands them to the action (defaults filled in). */
export interface RawControllerOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string[];
  systemNamespace?: string;
  maxConcurrentRuns: string;
  /** --events MODE, or false for --no-events. */
  events?: boolean | string;
  leaderElect?: boolean;
  leaderElectionNamespace?: string;
  leaderElectionId: string;
  leaderElectLeaseDuration: string;
  leaderElectRenewDeadline: string;
  leaderElectRetryPeriod: string;
  metricsAddr?: string;
  watchRestores?: boolean;
  restoreNamespace?: string[];
  settle?: string;
  startLookahead?: string;
}

/** The Lease timings (checked against each other even without --leader-elect). */
export interface LeaderTiming {
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

export interface ControllerSettings {
  readonly connect: { readonly kubeconfigPath: string | undefined; readonly context: string | undefined };
  /** -n: the namespaces whose HookRuns are watched; empty = all. */
  readonly namespaces: readonly string[];
  /** HookRuns here may name any namespace; undefined = none (each acts in its own). */
  readonly systemNamespace: string | undefined;
  readonly maxConcurrentRuns: number;
  /** --no-events turns Events off. */
  readonly events: boolean;
  /** --events (ADR 0023): the pods' Events per pod (default) or per hook; the HookRun's own are unchanged. */
  readonly eventGrouping: EventGrouping;
  readonly timing: LeaderTiming;
  /** --leader-elect: the Lease to hold; undefined = a single active replica without a Lease. */
  readonly leaderElection: { readonly namespace: string; readonly name: string } | undefined;
  /** --metrics-addr; undefined = no endpoints. */
  readonly metricsListen: { readonly host: string; readonly port: number } | undefined;
  /** --watch-restores: where to look for Restores (empty = all namespaces) and where the HookRuns go. */
  readonly watchRestores: { readonly namespaces: readonly string[]; readonly systemNamespace: string } | undefined;
  /** --settle for restoreRef HookRuns; undefined = the runner's default. */
  readonly settleMs: number | undefined;
  /** --start-lookahead (ADR 0027): hooks per HookRun whose start may be recorded ahead of their slot; undefined = the HookRun's concurrency. */
  readonly startLookahead: number | undefined;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The namespace the controller runs in: POD_NAMESPACE, else the mounted service account's. */
export function defaultSystemNamespace(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const fromEnv = env['POD_NAMESPACE'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  try {
    const ns = readFileSync(join(env['KUBEHOOKS_SERVICE_ACCOUNT_DIR'] ?? SERVICE_ACCOUNT_DIR, 'namespace'), 'utf8').trim();
    return ns === '' ? undefined : ns;
  } catch {
    return undefined;
  }
}

/** Declares the controller's flags (and their defaults) on its command. */
export function declareControllerFlags(command: Command): Command {
  const declared = command
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then the in-cluster service account)')
    .option('--context <name>', 'kubeconfig context to use')
    .option('-n, --namespace <ns>', 'watch HookRuns only in this namespace (repeatable; default: all namespaces)', collect)
    .option('--system-namespace <ns>', 'HookRuns in this namespace may name any namespace; others act only in their own (default: $POD_NAMESPACE, else the service account\'s namespace)')
    .option('--max-concurrent-runs <n>', 'HookRuns run at the same time', '4');
  return addEventsFlags(declared, 'the pods', 'pods and HookRuns')
    .option('--leader-elect', 'run several replicas, one active: hold a coordination.k8s.io/v1 Lease; only the holder runs HookRuns')
    .option('--leader-election-namespace <ns>', 'namespace of the Lease (default: the system namespace)')
    .option('--leader-election-id <name>', 'name of the Lease', DEFAULT_CONTROLLER_NAME)
    .option('--leader-elect-lease-duration <d>', 'how long a standby waits after the leader\'s last renewal before it takes over', '15s')
    .option('--leader-elect-renew-deadline <d>', 'how long the leader retries a renewal before it stops running hooks', '10s')
    .option('--leader-elect-retry-period <d>', 'how often candidates try to take the Lease and the leader renews it', '2s')
    .option('--metrics-addr <host:port>', 'serve /metrics (Prometheus), /healthz and /readyz here, e.g. 127.0.0.1:8080 or :8080 (every interface); default: off')
    .option('--watch-restores', `create a HookRun (restoreRef) in the system namespace for every Velero Restore annotated ${RESTORE_OPT_IN_ANNOTATION}="true" (off by default: annotation hooks run commands)`)
    .option('--settle <duration>', 'restoreRef: plan once no new pod has appeared in the Restore\'s namespaces for this long (Go duration, default 30s)')
    .option('--restore-namespace <ns>', 'with --watch-restores: look at Restores only in this namespace (repeatable; default: all namespaces)', collect)
    .option('--start-lookahead <n>', 'per HookRun, record the starts of up to this many hooks queued for an exec slot ahead of it, so no slot waits for the journal; a crash then leaves at most concurrency + n hooks interrupted (0: off; default: the HookRun\'s concurrency)');
}

/** The most --start-lookahead takes (MAX_HOOKS_PER_RUN is far above; this keeps the journal object small). */
export const START_LOOKAHEAD_MAX = 256;

/** A repeatable namespace flag: trimmed, duplicates dropped, each a DNS label. */
function namespaceList(flag: string, values: readonly string[] | undefined): string[] {
  const namespaces = [...new Set((values ?? []).map((n) => n.trim()))];
  const bad = namespaces.find((n) => !DNS_LABEL.test(n) || n.length > 63);
  if (bad !== undefined) throw new UsageError(`${flag}: "${bad}" is not a valid namespace name`);
  return namespaces;
}

/** A single namespace flag (or its default), when there is one. */
function namespaceName(flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && !DNS_LABEL.test(value)) throw new UsageError(`${flag} "${value}" is not a valid namespace name`);
  return value;
}

/** A flag's Go duration (`15s`, `1m30s`) in ms; a usage error naming the flag otherwise. */
function durationFlag(flag: string, text: string): number {
  const parsed = parseGoDuration(text);
  if (!parsed.ok || parsed.ns <= 0n) throw new UsageError(`${flag} must be a positive duration such as 15s or 1m (got "${text}")`);
  return nsToMs(parsed.ns);
}

/** Checks every flag, in the order they are documented; `env` gives the default system namespace. */
export function parseControllerSettings(raw: RawControllerOptions, env: Readonly<Record<string, string | undefined>>): ControllerSettings {
  const namespaces = namespaceList('-n/--namespace', raw.namespace);
  if (!/^\d+$/.test(raw.maxConcurrentRuns) || Number(raw.maxConcurrentRuns) < 1 || Number(raw.maxConcurrentRuns) > 64) {
    throw new UsageError(`--max-concurrent-runs must be a whole number from 1 to 64 (got "${raw.maxConcurrentRuns}")`);
  }
  const systemNamespace = namespaceName('--system-namespace', raw.systemNamespace ?? defaultSystemNamespace(env));
  const timing: LeaderTiming = {
    leaseDurationMs: durationFlag('--leader-elect-lease-duration', raw.leaderElectLeaseDuration),
    renewDeadlineMs: durationFlag('--leader-elect-renew-deadline', raw.leaderElectRenewDeadline),
    retryPeriodMs: durationFlag('--leader-elect-retry-period', raw.leaderElectRetryPeriod),
  };
  const badTiming = leaderElectionConfigError(timing);
  if (badTiming !== undefined) throw new UsageError(badTiming);
  const leaderElect = raw.leaderElect === true;
  const leaseNamespace = raw.leaderElectionNamespace ?? systemNamespace;
  if (leaderElect && leaseNamespace === undefined) throw new UsageError('--leader-elect needs --leader-election-namespace (no system namespace: $POD_NAMESPACE is unset and there is no service account namespace file)');
  namespaceName('--leader-election-namespace', leaseNamespace);
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(raw.leaderElectionId)) throw new UsageError(`--leader-election-id "${raw.leaderElectionId}" is not a valid object name (lower-case letters, digits, '-' and '.')`);
  let metricsListen: { host: string; port: number } | undefined;
  try {
    metricsListen = raw.metricsAddr === undefined ? undefined : parseListenAddress(raw.metricsAddr, '--metrics-addr');
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const restoreNamespaces = namespaceList('--restore-namespace', raw.restoreNamespace);
  if (restoreNamespaces.length > 0 && raw.watchRestores !== true) throw new UsageError('--restore-namespace applies only with --watch-restores');
  if (raw.watchRestores === true && systemNamespace === undefined) throw new UsageError('--watch-restores creates HookRuns in the system namespace: set --system-namespace (or POD_NAMESPACE)');
  let settleMs: number | undefined;
  if (raw.settle !== undefined) {
    const parsed = parseGoDuration(raw.settle);
    if (!parsed.ok || parsed.ns < 0n) throw new UsageError(`--settle: ${parsed.ok ? 'must not be negative' : parsed.error} (a Go duration such as 10s or 1m)`);
    settleMs = nsToMs(parsed.ns);
  }
  let startLookahead: number | undefined;
  if (raw.startLookahead !== undefined) {
    if (!/^\d+$/.test(raw.startLookahead) || Number(raw.startLookahead) > START_LOOKAHEAD_MAX) throw new UsageError(`--start-lookahead must be a whole number from 0 to ${START_LOOKAHEAD_MAX} (got "${raw.startLookahead}")`);
    startLookahead = Number(raw.startLookahead);
  }
  return {
    connect: { kubeconfigPath: raw.kubeconfig, context: raw.context },
    namespaces,
    systemNamespace,
    maxConcurrentRuns: Number(raw.maxConcurrentRuns),
    ...eventsFromFlags(raw.events),
    timing,
    leaderElection: leaderElect && leaseNamespace !== undefined ? { namespace: leaseNamespace, name: raw.leaderElectionId } : undefined,
    metricsListen,
    watchRestores: raw.watchRestores === true && systemNamespace !== undefined ? { namespaces: restoreNamespaces, systemNamespace } : undefined,
    settleMs,
    startLookahead,
  };
}
