/**
 * `kubehooks plan`: reads manifests or the cluster, plans with the pure planners and renders. Just
 * over 300 lines because it also holds the policy flags and the notes that `run` reuses for its own
 * planning, so that both commands read the same flags the same way.
 */
import { Option } from 'commander';
import type { Command } from 'commander';
import type { Plan } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import type { PlanNote } from '../plan/common.ts';
import { namespacePolicy, type PlanPolicy } from '../plan/policy.ts';
import { planBackupDetailed } from '../plan/plan-backup.ts';
import { planRestoreDetailed } from '../plan/plan-restore.ts';
import { renderPlanJson } from '../report/plan-json.ts';
import { renderPlanText } from '../report/plan-text.ts';
import { terminalSafe } from '../report/terminal-text.ts';
import type { CliCommand } from './command.ts';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError, describeError, writeError, writeWarning } from './context.ts';
import type { CliDeps } from './context.ts';
import { checkBackupFile, checkRestoreFile, emptyBackupHooks, emptyRestoreHooks, loadBackupFile, loadRestoreFile } from './hook-file.ts';
import type { BackupHooks, RestoreHooks } from '../velero/spec.ts';
import { STAGE_ANNOTATION } from '../velero/stages.ts';
import { DEFAULT_VELERO_VERSION, VELERO_VERSIONS, parseVeleroVersion, type VeleroVersion } from '../velero/profiles.ts';
import { collect, logDiagnostics, readManifests } from './options.ts';
import { addHelpSections, USAGE_EXIT } from './help.ts';
import { chooseNamespaces, describeNamespaceChoice, fileNamespaces, type FileNamespaces } from './namespaces.ts';
import { explainNoHooks } from '../report/no-hooks.ts';
import { planFromRestoreInCluster } from './from-restore.ts';
import { renderYaml } from '../report/yaml-output.ts';
import { planToJson, type PlanStagesView } from '../report/plan-json.ts';
import { estimateLongestFreeze, hasStages, stageSummaries, THAW_ORDERS, type ThawOrder } from '../plan/stages.ts';

export function logNotes(deps: CliDeps, notes: readonly PlanNote[]): void {
  for (const n of notes) deps.io.stderr.write(`note: ${terminalSafe(`${n.namespace}/${n.pod}: ${n.message}`)}\n`);
}

/** Plans one backup phase from a Backup/Schedule file for the given pods (notes go to stderr). */
export async function planBackupFromFile(
  file: string,
  pods: readonly PodManifest[],
  phase: 'pre' | 'post',
  deps: CliDeps,
  policy: PlanPolicy = {},
): Promise<Plan> {
  const backup = await loadBackupFile(file, deps);
  const { plan, notes } = planBackupDetailed(pods, backup, phase, policy);
  logNotes(deps, notes);
  return plan;
}

/**
 * Plans restore hooks (init and exec) from a Restore file. `pods` are live (restored) pods, or with
 * `backedUp` the manifests as backed up: those are first moved to their target namespace through
 * the Restore's namespaceMapping, as Velero does when it creates them.
 */
export async function planRestoreFromFile(
  file: string,
  pods: readonly PodManifest[],
  deps: CliDeps,
  options: { readonly backedUp?: boolean; readonly policy?: PlanPolicy } = {},
): Promise<Plan> {
  const restore = await loadRestoreFile(file, deps);
  return planRestoreWithNotes(restore, pods, deps, options);
}

/** Plans one backup phase from an already read Backup (notes go to stderr). */
export function planBackupWithNotes(backup: BackupHooks, pods: readonly PodManifest[], phase: 'pre' | 'post', deps: CliDeps, policy: PlanPolicy = {}): Plan {
  const { plan, notes } = planBackupDetailed(pods, backup, phase, policy);
  logNotes(deps, notes);
  return plan;
}

/** Plans restore hooks from an already read Restore (notes go to stderr). */
export function planRestoreWithNotes(
  restore: RestoreHooks,
  pods: readonly PodManifest[],
  deps: CliDeps,
  options: { readonly backedUp?: boolean; readonly policy?: PlanPolicy } = {},
): Plan {
  const generateName = deps.generateInitName ?? (() => 'velero-restore-init-00000000');
  const { plan, notes } = planRestoreDetailed(pods, restore, { generateName, policy: options.policy, backedUp: options.backedUp });
  logNotes(deps, notes);
  return plan;
}

/**
 * `--no-annotation-hooks`, `--allow-namespace`, `--deny-namespace` (run and plan) as a PlanPolicy;
 * an invalid glob is a UsageError naming the flag.
 */
export function policyFromFlags(flags: {
  readonly annotationHooks?: boolean | undefined;
  readonly allowNamespace?: readonly string[] | undefined;
  readonly denyNamespace?: readonly string[] | undefined;
  readonly veleroVersion?: string | undefined;
}): PlanPolicy {
  const ns = namespacePolicy(flags.allowNamespace ?? [], flags.denyNamespace ?? []);
  if (!ns.ok) throw new UsageError(`${ns.error} (namespace patterns use Velero's globs: *, ?, [a-z], {a,b})`);
  const hasNamespaceRules = (flags.allowNamespace ?? []).length + (flags.denyNamespace ?? []).length > 0;
  return {
    ...(flags.annotationHooks === false ? { annotationHooks: false } : {}),
    ...(hasNamespaceRules ? { namespaceDenied: ns.denied } : {}),
    veleroVersion: veleroVersionFlag(flags.veleroVersion),
  };
}

/** `--velero-version`: 1.18 (also 1.18.3, v1.18.2) or 1.19 (also main); absent = the default. */
export function veleroVersionFlag(text: string | undefined): VeleroVersion {
  if (text === undefined) return DEFAULT_VELERO_VERSION;
  const version = parseVeleroVersion(text);
  if (version === undefined) {
    throw new UsageError(`--velero-version must be ${VELERO_VERSIONS.join(' or ')} (got ${JSON.stringify(text)}; a patch such as 1.18.3 or "main" for 1.19 is accepted too)`);
  }
  return version;
}

/** The `--velero-version` option of plan, run and lint. */
export function veleroVersionOption(): Option {
  return new Option(
    '--velero-version <version>',
    `Velero whose behaviour to describe: ${VELERO_VERSIONS.join(' or ')} (default ${DEFAULT_VELERO_VERSION}, the latest release; 1.19 = Velero main). Decides which onError values exist (FailBlock: 1.19) and what plan and lint say Velero would do; kubehooks' own execs stay bounded either way`,
  );
}

/** The trust flags and the Velero version profile, shared by `plan` and `run`. */
export function addPolicyOptions(command: Command): Command {
  return command
    .addOption(veleroVersionOption())
    .option('--no-annotation-hooks', 'ignore hook annotations on pods: run only the hooks of the Backup/Restore spec (annotated pods get the spec hooks)')
    .option('--allow-namespace <glob>', 'run hooks only in namespaces matching a glob (repeatable); pods elsewhere are skipped with the reason', collect)
    .option('--deny-namespace <glob>', 'never run hooks in namespaces matching a glob (repeatable; wins over --allow-namespace)', collect);
}

/** Pods from PATH arguments (Pods and workload templates). Unreadable input is a UsageError. */
export async function podsFromPaths(paths: readonly string[], deps: CliDeps): Promise<PodManifest[]> {
  const { load, unreadable, readWarnings } = await readManifests(paths, deps);
  logDiagnostics(deps, [...unreadable, ...readWarnings, ...load.diagnostics]);
  if (unreadable.length > 0) throw new UsageError(`cannot read ${unreadable.map((d) => d.file).join(', ')}`);
  const pods: PodManifest[] = [];
  for (const o of load.objects) if (o.type === 'pod') pods.push(o.pod);
  return pods;
}

const PLAN_FORMATS = ['text', 'wide', 'json', 'yaml'] as const;
type PlanFormat = (typeof PLAN_FORMATS)[number];

interface PlanOptions {
  backup?: string;
  restore?: string;
  phase?: string;
  output: unknown;
  allNamespaces?: boolean;
  failIfNoHooks?: boolean;
  kubeconfig?: string;
  context?: string;
  namespace?: string[];
  selector?: string;
  annotationHooks?: boolean;
  allowNamespace?: string[];
  denyNamespace?: string[];
  veleroVersion?: string;
  thawOrder?: string;
  fromRestore?: string;
}

/**
 * A backup plan's stages and the window's longest freeze (ADR 0019); undefined without stages. The
 * other phase is planned quietly (its notes are not printed) for the estimate.
 */
export function planStagesView(plan: Plan, other: Plan, phase: 'pre' | 'post', thawOrder: ThawOrder): PlanStagesView | undefined {
  if (!hasStages(plan) && !hasStages(other)) return undefined;
  const [pre, post] = phase === 'pre' ? [plan, other] : [other, plan];
  return { stages: stageSummaries(plan), longestFreeze: estimateLongestFreeze(pre, post, thawOrder) };
}

/**
 * `run` refuses a plan in which a pod's `kubehooks.dev/stage` could not be read (ADR 0019): nothing
 * runs, since its hooks cannot be placed in the order. Each pod is named with the reason.
 */
export function refuseInvalidStages(plan: Plan, deps: CliDeps): void {
  const invalid = plan.skipped.filter((s) => s.code === 'stage-invalid');
  if (invalid.length === 0) return;
  for (const s of invalid) writeError(deps.io, terminalSafe(`${s.namespace}/${s.pod}: ${s.reason}`));
  throw new UsageError(
    `${invalid.length} pod${invalid.length === 1 ? ' has' : 's have'} an invalid ${STAGE_ANNOTATION} annotation (listed above; a stage is a whole number from 0 to 999); nothing was run. Fix the annotation (kubehooks lint lists the problems)`,
  );
}

/** Pods from the cluster, in the namespaces chosen as `run` chooses them; `namespaces` null = all. */
async function clusterPods(opts: PlanOptions, file: FileNamespaces, what: 'backup' | 'restore', deps: CliDeps): Promise<{ pods: readonly PodManifest[]; namespaces: readonly string[] | null }> {
  if (deps.createPodLister === undefined) {
    throw new UsageError('planning against a cluster is not available in this build; pass pod manifests as PATH (files, directories, or - for stdin)');
  }
  const lister = await deps.createPodLister({ kubeconfig: opts.kubeconfig, context: opts.context });
  const choice = chooseNamespaces(opts.namespace ?? [], opts.allNamespaces === true, file, lister.namespace);
  const where = describeNamespaceChoice(choice, what);
  if (where !== undefined) deps.io.stderr.write(`plan: ${where}\n`);
  if (!choice.all && choice.namespaces.length === 0) return { pods: [], namespaces: [] };
  const pods = await lister.list(
    { namespaces: choice.namespaces, ...(opts.selector !== undefined ? { labelSelector: opts.selector } : {}) },
    deps.signal,
  );
  return { pods, namespaces: choice.all ? null : choice.namespaces };
}

/** `kubehooks plan [--backup FILE] [--phase pre|post|restore] [--restore FILE] [PATH|-]...` */
export const planCommand: CliCommand = {
  name: 'plan',
  register(program, ctx) {
    const command = program
      .command('plan')
      .description('show which hooks would run, in which pod and container, in order, and why other pods get none')
      .addHelpText('after', '\nWith --restore, manifests from PATH are taken as backed-up pods: the Restore\'s namespaceMapping\nis applied to them first. Pods from the cluster are taken as already restored.')
      .argument('[paths...]', 'pod and workload manifests (files, directories, - for stdin); none = pods from the cluster')
      .option('--backup <file>', 'Velero Backup or Schedule manifest (backup exec hooks); without it and --restore: annotation hooks only')
      .addOption(new Option('--phase <phase>', 'pre or post (backup hooks), or restore (restore hooks; implied by --restore) (default: pre)').choices(['pre', 'post', 'restore']))
      .option('--restore <file>', 'Velero Restore manifest (restore init and exec hooks)')
      .option('--from-restore <ns/name>', 'a velero.io/v1 Restore in the cluster: which pods kubehooks would run its post-restore hooks in (those its restored workloads created) and why each other pod is not')
      .addOption(new Option('-o, --output <format>', 'output format: text, wide (with skip codes), json or yaml').choices(PLAN_FORMATS).default('text'))
      .option('--kubeconfig <file>', 'kubeconfig file, when planning against the cluster')
      .option('--context <name>', 'kubeconfig context, when planning against the cluster')
      .option('-n, --namespace <ns>', 'namespace to list pods from (repeatable; default: the namespaces the Backup/Restore names, else the kubeconfig context\'s)', collect)
      .option('-A, --all-namespaces', 'list pods in every namespace')
      .option('-l, --selector <selector>', 'only pods matching this label selector')
      .option('--fail-if-no-hooks', 'exit 1 when no hook is planned (by default that is a warning on stderr and exit 0)')
      .addOption(new Option('--thaw-order <order>', 'with stages: the post-hook order the longest-freeze estimate assumes, reverse or same (default: reverse, as run backup)').choices(THAW_ORDERS));
    addHelpSections(command, [
      ['plan k8s/', 'pre-backup hooks of the manifests in k8s/ (annotations only)'],
      ['plan --phase post -n db', 'post-backup hooks of the pods in namespace db'],
      ['plan --backup backup.yaml --phase pre k8s/', 'with the Backup\'s spec hooks and scope'],
      ['plan --restore restore.yaml -o json', 'restore hooks of the cluster\'s pods, as JSON (schemas/plan-output.schema.json)'],
      ['plan --phase restore -A', 'restore hooks from annotations, every namespace'],
      ['plan --from-restore velero/restore-1 -o wide', 'the pods kubehooks would handle after that Restore, and each other pod\'s skip code'],
    ], [
      [0, 'planned (also when no hook is planned, without --fail-if-no-hooks)'],
      [1, 'the --backup/--restore file has errors (the plan is still printed), or no hook with --fail-if-no-hooks'],
      USAGE_EXIT,
    ]);
    addPolicyOptions(command)
      .action(async (paths: string[], opts: PlanOptions) => {
        const output = opts.output;
        if (!PLAN_FORMATS.includes(output as PlanFormat)) throw new UsageError(`--output must be one of ${PLAN_FORMATS.join(', ')}`);
        const policy = policyFromFlags(opts);
        if (opts.backup !== undefined && opts.restore !== undefined) {
          throw new UsageError('plan takes one of --backup FILE or --restore FILE, not both');
        }
        const phase = opts.restore !== undefined ? 'restore' : (opts.phase ?? 'pre');
        if (opts.restore !== undefined && opts.phase !== undefined && opts.phase !== 'restore') {
          throw new UsageError('--phase applies to --backup only (restore hooks have no phase)');
        }
        if (opts.backup !== undefined && phase === 'restore') {
          throw new UsageError('--phase restore plans restore hooks: use --restore FILE (or neither file), not --backup');
        }
        if (opts.fromRestore !== undefined) {
          if (opts.backup !== undefined || opts.restore !== undefined) throw new UsageError('--from-restore reads the Restore from the cluster; it takes no --backup or --restore FILE');
          if (opts.phase !== undefined && opts.phase !== 'restore') throw new UsageError('--phase does not apply with --from-restore (restore hooks)');
          if (paths.length > 0) throw new UsageError('--from-restore plans the pods in the cluster; it takes no PATH');
          if (opts.allNamespaces === true && (opts.namespace ?? []).length > 0) throw new UsageError('-A/--all-namespaces and -n/--namespace cannot be used together');
          const got = await planFromRestoreInCluster({ fromRestore: opts.fromRestore, kubeconfig: opts.kubeconfig, context: opts.context, namespaces: opts.namespace ?? [], allNamespaces: opts.allNamespaces === true, selector: opts.selector, policy }, ctx.deps);
          if ('exitCode' in got) {
            ctx.setExitCode(got.exitCode);
            return;
          }
          const { plan } = got;
          ctx.deps.io.stdout.write(output === 'json' ? renderPlanJson(plan) : output === 'yaml' ? renderYaml(planToJson(plan)) : renderPlanText(plan, { wide: output === 'wide' }));
          const noHooks = plan.hooks.length === 0;
          if (noHooks) {
            const lines = explainNoHooks({ kind: 'post-restore', namespaces: got.namespaces, podsSeen: got.pods.length, skipped: plan.skipped }).filter((l) => !l.includes('--wait-for-pods'));
            if (opts.failIfNoHooks === true) writeError(ctx.deps.io, `${lines[0] ?? ''} (--fail-if-no-hooks)`);
            else writeWarning(ctx.deps.io, lines[0] ?? '');
            for (const l of lines.slice(1)) ctx.deps.io.stderr.write(`${l}\n`);
          }
          ctx.setExitCode(noHooks && opts.failIfNoHooks === true ? EXIT_FINDINGS : EXIT_OK);
          return;
        }
        const clusterFlags = [opts.kubeconfig, opts.context, opts.namespace, opts.selector, opts.allNamespaces].some((v) => v !== undefined);
        if (paths.length > 0 && clusterFlags) {
          throw new UsageError('--kubeconfig, --context, --namespace, --all-namespaces and --selector apply only without PATH (pods from the cluster)');
        }
        // The Backup/Restore file is read and checked before any pod is listed (and before connecting).
        const velero = { veleroVersion: policy.veleroVersion };
        const checked = phase !== 'restore'
          ? { kind: 'backup' as const, file: opts.backup, ...(opts.backup === undefined ? { hooks: emptyBackupHooks(), errors: 0 } : await checkBackupFile(opts.backup, ctx.deps, '--backup', velero)) }
          : { kind: 'restore' as const, file: opts.restore, ...(opts.restore === undefined ? { hooks: emptyRestoreHooks(), errors: 0 } : await checkRestoreFile(opts.restore, ctx.deps, '--restore', velero)) };
        let pods: readonly PodManifest[];
        let namespaces: readonly string[] | null = null;
        try {
          if (paths.length > 0) pods = await podsFromPaths(paths, ctx.deps);
          else {
            const file = checked.kind === 'backup' ? fileNamespaces(checked.hooks.scope) : fileNamespaces(checked.hooks.scope, checked.hooks.namespaceMapping);
            ({ pods, namespaces } = await clusterPods(opts, file, checked.kind, ctx.deps));
          }
        } catch (err) {
          if (err instanceof UsageError) throw err;
          writeError(ctx.deps.io, `cannot list pods: ${describeError(err)}`);
          ctx.setExitCode(EXIT_USAGE);
          return;
        }
        const backupPhase = phase === 'post' ? 'post' : 'pre';
        const plan = checked.kind === 'backup'
          ? planBackupWithNotes(checked.hooks, pods, backupPhase, ctx.deps, policy)
          : planRestoreWithNotes(checked.hooks, pods, ctx.deps, { backedUp: paths.length > 0, policy });
        const stages = checked.kind === 'backup'
          ? planStagesView(plan, planBackupDetailed(pods, checked.hooks, backupPhase === 'pre' ? 'post' : 'pre', policy).plan, backupPhase, opts.thawOrder === 'same' ? 'same' : 'reverse')
          : undefined;
        ctx.deps.io.stdout.write(
          output === 'json' ? renderPlanJson(plan, stages) : output === 'yaml' ? renderYaml(planToJson(plan, stages)) : renderPlanText(plan, { wide: output === 'wide', stages }),
        );
        const invalidStages = plan.skipped.filter((s) => s.code === 'stage-invalid');
        for (const s of invalidStages) writeError(ctx.deps.io, terminalSafe(`${s.namespace}/${s.pod}: ${s.reason}`));
        const noHooks = plan.hooks.length === 0;
        if (noHooks) {
          const kind = checked.kind === 'restore' ? 'post-restore' : phase === 'post' ? 'post-backup' : 'pre-backup';
          const lines = explainNoHooks({ kind, namespaces: paths.length > 0 ? null : namespaces, podsSeen: pods.length, skipped: plan.skipped })
            .map((l) => (paths.length > 0 ? l.replace(/ in any namespace/, ' in the manifests') : l))
            .filter((l) => !l.includes('--wait-for-pods'));
          if (opts.failIfNoHooks === true) writeError(ctx.deps.io, `${lines[0] ?? ''} (--fail-if-no-hooks)`);
          else writeWarning(ctx.deps.io, lines[0] ?? '');
          for (const l of lines.slice(1)) ctx.deps.io.stderr.write(`${l}\n`);
        }
        if (checked.errors > 0) {
          // Invalid hook configuration: the plan shows what could be read, the exit status says it is not usable.
          writeError(ctx.deps.io, `${checked.kind === 'backup' ? '--backup' : '--restore'} ${checked.file ?? ''}: ${checked.errors} error${checked.errors === 1 ? '' : 's'} in the file (listed above); \`run\` refuses it`);
          ctx.setExitCode(EXIT_FINDINGS);
          return;
        }
        if (invalidStages.length > 0) {
          writeError(ctx.deps.io, `${invalidStages.length} pod${invalidStages.length === 1 ? ' has' : 's have'} an invalid ${STAGE_ANNOTATION} annotation (listed above); \`run\` refuses the plan`);
          ctx.setExitCode(EXIT_FINDINGS);
          return;
        }
        ctx.setExitCode(noHooks && opts.failIfNoHooks === true ? EXIT_FINDINGS : EXIT_OK);
      });
  },
};
