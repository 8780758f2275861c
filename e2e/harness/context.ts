/**
 * Per-test access to the e2e cluster: a client, a fresh namespace, and pod helpers. Cleanup is
 * registered on the test (t.after): it deletes the test's pods with no grace period. Namespaces are
 * left in place on the local cluster: without a controller-manager a deleted namespace stays
 * Terminating forever, and each run starts from an empty etcd anyway.
 */
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node's models are
   data-only classes and its serializer takes plain objects. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import {
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type { V1Pod } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { e2eKubeconfigPath, e2eNodeName, UNMANAGED_NODE_NAME } from './env.ts';
import { fakePod } from './pods.ts';
import type { FakePodOptions } from './pods.ts';
import { isReady, isRunning, waitForPod } from './wait.ts';
import type { WaitOptions } from './wait.ts';

export type PodOptions = Omit<FakePodOptions, 'namespace' | 'nodeName'> & {
  /** Bind to a node kwok does not manage: the pod stays Pending with no status at all. */
  readonly unmanagedNode?: boolean;
};

export interface E2eContext {
  readonly kubeconfigPath: string;
  readonly kubeConfig: KubeConfig;
  readonly core: CoreV1Api;
  readonly rbac: RbacAuthorizationV1Api;
  /** A namespace created for this test. */
  readonly namespace: string;
  /** Pods bound to this node are run by kwok. */
  readonly nodeName: string;
  readonly unmanagedNodeName: string;
  createPod(options: PodOptions): Promise<V1Pod>;
  /** Phase Running and every container running. */
  waitForRunning(name: string, options?: WaitOptions): Promise<V1Pod>;
  /** Ready condition True. */
  waitForReady(name: string, options?: WaitOptions): Promise<V1Pod>;
  waitForPod(
    name: string,
    predicate: (pod: V1Pod | undefined) => boolean,
    description: string,
    options?: WaitOptions,
  ): Promise<V1Pod | undefined>;
  /** Merge-patches annotations (null removes one), e.g. to release a never-start pod. */
  annotatePod(name: string, annotations: Readonly<Record<string, string | null>>): Promise<V1Pod>;
  /** Merge-patches labels (null removes one), e.g. to move a pod out of a label selector. */
  labelPod(name: string, labels: Readonly<Record<string, string | null>>): Promise<V1Pod>;
  /** Deletes with grace period 0 and waits until the pod is gone. */
  deletePod(name: string, options?: WaitOptions): Promise<void>;
  /**
   * A kubeconfig for a new ServiceAccount in the test namespace (token from the TokenRequest API,
   * 1 h), for RBAC tests: it has no permissions until the test grants some.
   */
  serviceAccountKubeconfig(name: string): Promise<string>;
}

function namespaceFor(testName: string): string {
  const slug = testName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return `e2e-${slug || 'test'}-${randomBytes(3).toString('hex')}`;
}

/**
 * Sets up one test's namespace and returns the helpers. Call it inside a test that is skipped with
 * e2eSkipReason(); it throws if no cluster is configured.
 */
export async function e2eContext(t: TestContext): Promise<E2eContext> {
  const kubeconfigPath = e2eKubeconfigPath();
  if (kubeconfigPath === undefined) {
    throw new Error('no e2e cluster: skip the test with { skip: e2eSkipReason() }');
  }
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfigPath);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const rbac = kubeConfig.makeApiClient(RbacAuthorizationV1Api);
  const namespace = namespaceFor(t.name);
  const nodeName = e2eNodeName();
  await core.createNamespace({
    body: { metadata: { name: namespace, labels: { 'kubehooks.dev/e2e': 'true' } } },
  });

  const tempDirs: string[] = [];
  t.after(async () => {
    await core.deleteCollectionNamespacedPod({ namespace, gracePeriodSeconds: 0 });
    await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
    if (process.env['KUBEHOOKS_E2E_DELETE_NAMESPACES'] === '1')
      await core.deleteNamespace({ name: namespace });
  });

  const waitFor = (
    name: string,
    predicate: (pod: V1Pod | undefined) => boolean,
    description: string,
    options: WaitOptions = {},
  ): Promise<V1Pod | undefined> =>
    waitForPod(core, namespace, name, predicate, description, { signal: t.signal, ...options });

  return {
    kubeconfigPath,
    kubeConfig,
    core,
    rbac,
    namespace,
    nodeName,
    unmanagedNodeName: UNMANAGED_NODE_NAME,
    createPod: (options) => {
      const { unmanagedNode, ...rest } = options;
      const body = fakePod({
        ...rest,
        namespace,
        nodeName: unmanagedNode === true ? UNMANAGED_NODE_NAME : nodeName,
      });
      return core.createNamespacedPod({ namespace, body });
    },
    waitForRunning: async (name, options) => (await waitFor(name, isRunning, 'Running', options)) as V1Pod,
    waitForReady: async (name, options) => (await waitFor(name, isReady, 'Ready', options)) as V1Pod,
    waitForPod: waitFor,
    annotatePod: (name, annotations) =>
      core.patchNamespacedPod(
        { name, namespace, body: { metadata: { annotations } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    labelPod: (name, labels) =>
      core.patchNamespacedPod(
        { name, namespace, body: { metadata: { labels } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    deletePod: async (name, options) => {
      await core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 });
      await waitFor(name, (p) => p === undefined, 'deleted', options);
    },
    serviceAccountKubeconfig: async (name) => {
      await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
      const request = await core.createNamespacedServiceAccountToken({
        name,
        namespace,
        body: { spec: { audiences: [], expirationSeconds: 3600 } },
      });
      const token = request.status?.token;
      if (token === undefined) throw new Error(`no token issued for ${namespace}/${name}`);
      const cluster = kubeConfig.getCurrentCluster();
      if (cluster === null) throw new Error('the e2e kubeconfig has no current cluster');
      const dir = await mkdtemp(join(tmpdir(), 'kubehooks-e2e-sa-'));
      tempDirs.push(dir);
      const path = join(dir, 'kubeconfig');
      const clusterEntry: Record<string, string> = { server: cluster.server };
      if (cluster.caData !== undefined) clusterEntry['certificate-authority-data'] = cluster.caData;
      if (cluster.caFile !== undefined) clusterEntry['certificate-authority'] = cluster.caFile;
      await writeFile(
        path,
        stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'e2e', cluster: clusterEntry }],
          users: [{ name, user: { token } }],
          contexts: [{ name: 'e2e', context: { cluster: 'e2e', user: name, namespace } }],
          'current-context': 'e2e',
        }),
        { mode: 0o600 },
      );
      return path;
    },
  };
}
