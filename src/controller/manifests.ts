/**
 * What `kubehooks manifests controller` prints: the HookRun and HookRunJournal CRDs, the controller's ServiceAccount,
 * least-privilege RBAC and bindings, and its Deployment. The Helm chart (deploy/helm/kubehooks)
 * renders the same objects; src/controller/deploy.test.ts keeps the two in step. Pure.
 */
import { hookRunCrd } from './hookrun-crd.ts';
import { hookRunJournalCrd } from './hookrunjournal-crd.ts';
import { HOOKRUN_GROUP, HOOKRUN_PLURAL, HOOKRUNJOURNAL_PLURAL } from './hookrun-types.ts';

export const DEFAULT_CONTROLLER_NAMESPACE = 'kubehooks';
export const DEFAULT_CONTROLLER_NAME = 'kubehooks-controller';

export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly resourceNames?: readonly string[];
  readonly verbs: readonly string[];
}

/** The port of /metrics, /healthz and /readyz in the Deployment (`--metrics-addr=:8080`). */
export const METRICS_PORT = 8080;

/**
 * Everything the controller does, and nothing more: it never creates, changes or deletes pods or
 * HookRuns (only their status; its own HookRunJournals are the one thing it creates, updates and
 * deletes), and reads Velero objects only for backupRef/restoreRef.
 */
export const CONTROLLER_RULES: readonly PolicyRule[] = [
  // Watch HookRuns; write only their status (the journal).
  { apiGroups: [HOOKRUN_GROUP], resources: [HOOKRUN_PLURAL], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [HOOKRUN_GROUP], resources: [`${HOOKRUN_PLURAL}/status`], verbs: ['get', 'update', 'patch'] },
  // The write-ahead part of a run's journal (ADR 0024): one object per HookRun, read by name (no list, no watch).
  { apiGroups: [HOOKRUN_GROUP], resources: [HOOKRUNJOURNAL_PLURAL], verbs: ['get', 'create', 'update', 'delete'] },
  // Plan from the live pods, wait for containers, exec (the upgrade GET is authorized as create since 1.35).
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['pods/exec'], verbs: ['create', 'get'] },
  // Events on the pods and on the HookRun.
  { apiGroups: [''], resources: ['events'], verbs: ['create'] },
  // backupRef / restoreRef.
  { apiGroups: ['velero.io'], resources: ['backups', 'restores', 'schedules'], verbs: ['get'] },
  // restoreRef's owner rule (ADR 0021): one list per owner kind and namespace, never a GET per pod.
  { apiGroups: ['apps'], resources: ['replicasets', 'deployments', 'statefulsets', 'daemonsets'], verbs: ['list'] },
  { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: ['list'] },
  { apiGroups: [''], resources: ['replicationcontrollers'], verbs: ['list'] },
];

/**
 * Leader election: one Lease in the controller's own namespace. `create` cannot be limited by name
 * (RBAC does not know the name of an object being created), so it is a rule of its own; get and
 * update are for that one Lease only. No list, watch, patch or delete.
 */
export function leaderElectionRules(leaseName: string): readonly PolicyRule[] {
  return [
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [leaseName], verbs: ['get', 'update'] },
  ];
}

/**
 * --watch-restores only (ADR 0021): read the Restores (cluster-wide) and create HookRuns (a Role in
 * the controller's own namespace). Off by default: annotation hooks run commands.
 */
export const RESTORE_WATCH_RULES: readonly PolicyRule[] = [
  { apiGroups: ['velero.io'], resources: ['restores'], verbs: ['list'] },
];
export const RESTORE_WATCH_NAMESPACE_RULES: readonly PolicyRule[] = [
  { apiGroups: [HOOKRUN_GROUP], resources: [HOOKRUN_PLURAL], verbs: ['create'] },
];


export interface ControllerManifestOptions {
  /** Container image whose entrypoint is the kubehooks CLI. */
  readonly image: string;
  readonly namespace?: string;
  readonly name?: string;
  /** Watch only these namespaces (Role + RoleBinding in each); empty = cluster-wide (ClusterRole). */
  readonly watchNamespaces?: readonly string[];
  readonly replicas?: number;
  /** Default true: two replicas, one active, on a Lease named like the controller. */
  readonly leaderElect?: boolean;
  /** `--watch-restores`: HookRuns for Restores annotated kubehooks.dev/post-restore-hooks="true" (extra RBAC). */
  readonly watchRestores?: boolean;
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
}

const LABELS = { 'app.kubernetes.io/name': 'kubehooks', 'app.kubernetes.io/component': 'controller' };

function rules(list: readonly PolicyRule[]): Record<string, unknown>[] {
  return list.map((r) => ({ apiGroups: [...r.apiGroups], resources: [...r.resources], ...(r.resourceNames === undefined ? {} : { resourceNames: [...r.resourceNames] }), verbs: [...r.verbs] }));
}

/** The objects in apply order (CRD and Namespace first, Deployment last). */
export function controllerManifests(options: ControllerManifestOptions): Record<string, unknown>[] {
  const namespace = options.namespace ?? DEFAULT_CONTROLLER_NAMESPACE;
  const name = options.name ?? DEFAULT_CONTROLLER_NAME;
  const watch = options.watchNamespaces ?? [];
  const leaderElect = options.leaderElect !== false;
  const subject = [{ kind: 'ServiceAccount', name, namespace }];
  const meta = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name, labels: { ...LABELS }, ...extra });
  const out: Record<string, unknown>[] = [hookRunCrd(), hookRunJournalCrd(), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }];
  out.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta({ namespace }) });
  if (watch.length === 0) {
    out.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta(), rules: rules(CONTROLLER_RULES) });
    out.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: meta(),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: subject,
    });
  } else {
    for (const ns of watch) {
      out.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta({ namespace: ns }), rules: rules(CONTROLLER_RULES) });
      out.push({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: meta({ namespace: ns }),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects: subject,
      });
    }
  }
  if (options.watchRestores === true) {
    const rwName = `${name}-restores`;
    out.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { ...meta(), name: rwName }, rules: rules(RESTORE_WATCH_RULES) });
    out.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { ...meta(), name: rwName }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: rwName }, subjects: subject });
    out.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { ...meta({ namespace }), name: rwName }, rules: rules(RESTORE_WATCH_NAMESPACE_RULES) });
    out.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { ...meta({ namespace }), name: rwName }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: rwName }, subjects: subject });
  }
  if (leaderElect) {
    const leName = `${name}-leader-election`;
    out.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { ...meta({ namespace }), name: leName }, rules: rules(leaderElectionRules(name)) });
    out.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { ...meta({ namespace }), name: leName },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: leName },
      subjects: subject,
    });
  }
  out.push(controllerDeployment(options, namespace, name));
  return out;
}

/** The arguments the Deployment passes to `kubehooks`. */
export function controllerArgs(options: Pick<ControllerManifestOptions, 'watchNamespaces' | 'leaderElect' | 'name' | 'watchRestores'>, namespace: string): string[] {
  const args = ['controller', `--metrics-addr=:${METRICS_PORT}`];
  for (const ns of options.watchNamespaces ?? []) args.push(`--namespace=${ns}`);
  if (options.watchRestores === true) args.push('--watch-restores');
  if (options.leaderElect !== false) {
    args.push('--leader-elect', `--leader-election-namespace=${namespace}`, `--leader-election-id=${options.name ?? DEFAULT_CONTROLLER_NAME}`);
  }
  return args;
}

function controllerDeployment(options: ControllerManifestOptions, namespace: string, name: string): Record<string, unknown> {
  const selector = { ...LABELS, 'app.kubernetes.io/instance': name };
  const leaderElect = options.leaderElect !== false;
  const probe = (path: string, periodSeconds: number): Record<string, unknown> => ({ httpGet: { path, port: 'metrics' }, periodSeconds, timeoutSeconds: 2, failureThreshold: 3 });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { ...selector } },
    spec: {
      replicas: options.replicas ?? (leaderElect ? 2 : 1),
      // Never two active controllers without leader election: the old pod stops before the new starts.
      strategy: leaderElect ? { type: 'RollingUpdate' } : { type: 'Recreate' },
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: selector },
        spec: {
          serviceAccountName: name,
          securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'controller',
              image: options.image,
              imagePullPolicy: options.imagePullPolicy ?? 'IfNotPresent',
              args: controllerArgs(options, namespace),
              env: [
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              ],
              ports: [{ name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' }],
              livenessProbe: probe('/healthz', 10),
              readinessProbe: probe('/readyz', 5),
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              resources: { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '256Mi' } },
            },
          ],
        },
      },
    },
  };
}
