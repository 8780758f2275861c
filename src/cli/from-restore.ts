/**
 * `--from-restore NS/NAME` (ADR 0021) in the CLI. `plan`: the Restore from the cluster as it is now
 * (no waiting), the pods in its target namespaces, their owners, and the owner rule's plan. `run
 * post-restore` (prepareRunFromRestore): the same Restore waited for and settled first.
 */
import type { Plan } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import { parseRestoreRef, planFromRestore, restorePhaseVerdict } from '../plan/from-restore.ts';
import type { PlanPolicy } from '../plan/policy.ts';
import { scopeNamespaces } from '../plan/scope.ts';
import { terminalSafe } from '../report/terminal-text.ts';
import { DEFAULT_SETTLE_MS, loadOwners, prepareFromRestore } from '../run/from-restore.ts';
import type { Clock, PodScope } from '../run/ports.ts';
import { parseRestoreObject } from '../velero/spec.ts';
import type { CliDeps } from './context.ts';
import { EXIT_FINDINGS, EXIT_USAGE, UsageError, describeError, writeError, writeWarning } from './context.ts';
import type { RunSettings } from './run-settings.ts';
import type { PreparedRun, RunPorts } from './run-wiring.ts';
import { EXIT_INTERRUPTED } from './signals.ts';

export interface FromRestorePlanOptions {
  readonly fromRestore: string;
  readonly kubeconfig: string | undefined;
  readonly context: string | undefined;
  readonly namespaces: readonly string[];
  readonly allNamespaces: boolean;
  readonly selector: string | undefined;
  readonly policy: PlanPolicy;
}

/** The plan, the pods seen and where; or the exit code after an error said on stderr. */
export async function planFromRestoreInCluster(
  o: FromRestorePlanOptions,
  deps: CliDeps,
): Promise<{ plan: Plan; pods: readonly PodManifest[]; namespaces: readonly string[] | null } | { exitCode: number }> {
  const ref = parseRestoreRef(o.fromRestore);
  if ('error' in ref) throw new UsageError(`--from-restore: ${ref.error}`);
  if (deps.createRestoreReader === undefined) throw new UsageError('--from-restore is not available in this build (no cluster access)');
  const what = `--from-restore ${ref.namespace}/${ref.name}`;
  const ports = await deps.createRestoreReader({ kubeconfig: o.kubeconfig, context: o.context });
  try {
    let raw: Record<string, unknown> | undefined;
    try {
      raw = await ports.restores.getRestore(ref.namespace, ref.name, deps.signal);
    } catch (error) {
      writeError(deps.io, `${what}: cannot read the Restore: ${describeError(error)}`);
      return { exitCode: EXIT_USAGE };
    }
    if (raw === undefined) {
      writeError(deps.io, `${what}: no velero.io/v1 Restore ${ref.namespace}/${ref.name} in the cluster (kubectl get restores.velero.io -n ${ref.namespace} lists them)`);
      return { exitCode: EXIT_USAGE };
    }
    const verdict = restorePhaseVerdict(raw);
    if (verdict.kind === 'failed') {
      writeError(deps.io, `${what}: ${terminalSafe(verdict.message)}`);
      return { exitCode: EXIT_USAGE };
    }
    if (verdict.kind === 'wait') {
      writeWarning(deps.io, `${what}: the Restore is ${verdict.phase === '' ? 'New' : verdict.phase} and may still be creating objects: this plan shows the pods there now (run post-restore --from-restore waits for it)`);
    }
    const { restore, issues } = parseRestoreObject(raw, { veleroVersion: o.policy.veleroVersion });
    const errors = issues.filter((i) => i.severity === 'error');
    if (restore === undefined || errors.length > 0) {
      for (const i of errors.slice(0, 10)) writeError(deps.io, `${what}: ${terminalSafe(`${i.key === '' ? '' : `${i.key}: `}${i.message}`)}`);
      writeError(deps.io, `${what}: ${errors.length} error${errors.length === 1 ? '' : 's'} in the Restore's spec.hooks; \`run\` refuses it`);
      return { exitCode: EXIT_USAGE };
    }
    const namespaces = o.allNamespaces ? [] : o.namespaces.length > 0 ? [...o.namespaces] : (scopeNamespaces(restore.scope, restore.namespaceMapping) ?? []);
    deps.io.stderr.write(`plan: restore ${terminalSafe(ref.name)} (${verdict.phase === '' ? 'New' : verdict.phase}); pods in ${namespaces.length === 0 ? 'every namespace' : terminalSafe(namespaces.map((n) => JSON.stringify(n)).join(', '))}\n`);
    let pods: readonly PodManifest[];
    try {
      pods = await ports.lister.list({ namespaces, ...(o.selector === undefined ? {} : { labelSelector: o.selector }) }, deps.signal);
      const owners = await loadOwners(restore, pods, ports.restores, deps.signal);
      return { plan: planFromRestore(restore, pods, owners, o.policy), pods, namespaces: namespaces.length === 0 ? null : namespaces };
    } catch (error) {
      writeError(deps.io, `${what}: cannot list pods or their owners: ${describeError(error)}`);
      return { exitCode: EXIT_USAGE };
    }
  } finally {
    ports.close();
  }
}

/**
 * --from-restore: the Restore from the cluster, waited for and settled (src/run/from-restore.ts);
 * the plan is the owner rule's (src/plan/from-restore.ts). A refusal is said on stderr and returned
 * as the exit code: 2 when there is nothing to run for (no such Restore, Failed, spec.hooks errors),
 * 1 when the deadline passed while the Restore was still creating its objects.
 */
export async function prepareRunFromRestore(
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
