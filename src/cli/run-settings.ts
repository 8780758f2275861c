/**
 * `kubehooks run`'s flags: declared once (declareRunFlags), then parsed and validated into one
 * RunSettings value (runSettingsFromFlags, parseRunSettings). Every problem is a UsageError naming
 * the flag, raised before a file is read or the cluster is contacted.
 */
import { Option } from 'commander';
import type { Command } from 'commander';
import { parseGoDuration, nsToMs } from '../duration/go-duration.ts';
import type { RunKind } from '../model/result.ts';
import { parseRestoreRef } from '../plan/from-restore.ts';
import type { PlanPolicy } from '../plan/policy.ts';
import { THAW_ORDERS, type ThawOrder } from '../plan/stages.ts';
import { DEFAULT_ADAPTIVE_MAX } from '../run/adaptive-limit.ts';
import type { EventGrouping } from '../run/event-summary.ts';
import { DEFAULT_SETTLE_MS } from '../run/from-restore.ts';
import type { PodScope } from '../run/ports.ts';
import { UsageError } from './context.ts';
import { addEventsFlags, eventsFromFlags } from './events-flags.ts';
import { addHelpSections } from './help.ts';
import { collect } from './options.ts';
import { addPolicyOptions, policyFromFlags } from './plan.ts';

/** Post-restore waits are bounded by default like Velero main's --resource-timeout (10m). */
export const DEFAULT_POST_RESTORE_DEADLINE = '10m';

const KINDS: readonly RunKind[] = ['pre-backup', 'post-backup', 'post-restore'];

export interface ConnectOptions {
  readonly kubeconfigPath?: string;
  readonly context?: string;
  readonly insecureSkipTlsVerify?: boolean;
  /** No API request (credentials included) may outlive the run's deadline. */
  readonly requestTimeoutMs?: number;
}

/** The flags as commander hands them to the action (and as tests pass them to parseRunSettings). */
export interface RawRunOptions {
  backup?: string;
  restore?: string;
  kubeconfig?: string;
  context?: string;
  namespace?: string[];
  selector?: string;
  output?: unknown;
  concurrency?: string;
  deadline?: string;
  /** --events MODE, or false for --no-events. */
  events?: boolean | string;
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
  /** --events (ADR 0023): per-pod (default) or per-hook. */
  readonly eventGrouping: EventGrouping;
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
  const { events, eventGrouping } = eventsFromFlags(raw.events);
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
    events,
    eventGrouping,
    includeOutput: raw.outputCapture !== false,
    connect,
    policy: policyFromFlags(raw),
    failIfNoHooks: raw.failIfNoHooks === true,
    waitForPodsMs,
    thawOrder: raw.thawOrder === 'same' ? 'same' : 'reverse',
    ...(fromRestore === undefined ? {} : { fromRestore, settleMs }),
  };
}

/** The declared `run` command and the two flags commander cannot keep apart (-o and --no-output share `output`). */
export interface RunFlags {
  readonly cmd: Command;
  /** -o/--output as given (default text). */
  readonly format: () => string;
  /** --no-output was given. */
  readonly omitOutput: () => boolean;
}

/** Declares `run` with every flag, its help sections and exit codes; the action is the caller's. */
export function declareRunFlags(program: Command): RunFlags {
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
    .option('--fail-if-no-hooks', 'exit 1 when no hook is planned (by default that is a warning on stderr and exit 0)');
  addEventsFlags(cmd, 'the pods')
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
  return { cmd, format: () => format, omitOutput: () => omitOutput };
}

/**
 * The action's flags to settings: `run backup` is parsed as pre-backup (its window flags are checked
 * by parseWindowSettings); the window-only flags and a COMMAND are refused for the single phases.
 */
export function runSettingsFromFlags(kind: string, argv: readonly string[], raw: RawRunOptions, flags: RunFlags): { readonly settings: RunSettings; readonly isWindow: boolean } {
  const isWindow = kind === 'backup';
  if (!isWindow && argv.length > 0) throw new UsageError(`unexpected argument "${argv[0] ?? ''}": only run backup takes a COMMAND (after --)`);
  if (!isWindow && (raw.windowTimeout !== undefined || raw.onPreFailure !== undefined || raw.journal !== undefined)) {
    throw new UsageError('--window-timeout, --on-pre-failure and --journal apply to run backup only');
  }
  const settings = parseRunSettings(isWindow ? 'pre-backup' : kind, { ...raw, output: flags.format(), outputCapture: !flags.omitOutput(), thawOrderWindow: isWindow });
  return { settings, isWindow };
}
