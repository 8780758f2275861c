/**
 * The Kubernetes adapters behind the runner's ports (src/run/ports.ts). This directory is the only
 * place that imports @kubernetes/client-node.
 */
import type { Clock, EventRecorder, OwnerLister, PodExecutor, PodLister, PodWatcher, RestoreReader } from '../run/ports.ts';
import { KubeClient, type KubeClientOptions } from './client.ts';
import { createSystemClock } from '../run/clock.ts';
import { KubeEventRecorder } from './events.ts';
import { KubePodExecutor } from './exec.ts';
import { KubePodWatcher, type KubePodWatcherOptions } from './pod-watcher.ts';
import { KubeRestoreClient } from './restores.ts';

export interface KubePortsOptions extends KubeClientOptions {
  readonly watcher?: Omit<KubePodWatcherOptions, 'clock'>;
  readonly clock?: Clock;
}

export interface KubePorts {
  readonly executor: PodExecutor;
  readonly watcher: PodWatcher;
  readonly lister: PodLister;
  readonly events: EventRecorder;
  /** Velero Restores and the workloads that own pods (--from-restore, restoreRef). */
  readonly restores: RestoreReader & OwnerLister;
  readonly clock: Clock;
  /** The API server URL and context in use (for messages). */
  readonly server: string;
  readonly context: string;
  /** The current context's namespace (kubectl's default for -n): `default` when the context sets none. */
  readonly namespace: string;
  /** Releases keep-alive connections. Abort running watches/execs first (their signals). */
  close(): void;
}

/**
 * Loads the kubeconfig (`kubeconfigPath`/`context`, else KUBECONFIG, ~/.kube/config, in-cluster) and
 * builds the ports. Throws KubeconfigError for configuration problems; makes no request yet.
 */
export function createKubePorts(options: KubePortsOptions = {}): KubePorts {
  const client = KubeClient.load(options);
  const clock = options.clock ?? createSystemClock();
  const watcher = new KubePodWatcher(client, { ...options.watcher, clock });
  return {
    executor: new KubePodExecutor(client),
    watcher,
    lister: watcher,
    events: new KubeEventRecorder(client),
    restores: new KubeRestoreClient(client),
    clock,
    server: client.server,
    context: client.contextName,
    namespace: contextNamespace(client),
    close: () => {
      client.close();
    },
  };
}

/** kubectl's default namespace: the context's `namespace`, else `default`. */
function contextNamespace(client: KubeClient): string {
  const ns = client.kubeConfig.getContextObject(client.contextName)?.namespace;
  return typeof ns === 'string' && ns !== '' ? ns : 'default';
}

export { KubeClient, type KubeClientOptions } from './client.ts';
export { loadKubeConfig, type KubeconfigOptions } from './kubeconfig.ts';
export {
  AbortedBeforeOpenError,
  ApiStatusError,
  ApiTimeoutError,
  ApiUnreachableError,
  ClientClosedError,
  ForbiddenError,
  GoneError,
  HandshakeError,
  HandshakeTimeoutError,
  KubeError,
  KubeconfigError,
  MalformedWatchEventError,
  NotFoundError,
  UnauthorizedError,
  WatchEventTooLargeError,
  WatchStallError,
  isKubeError,
  type KubeErrorCode,
} from './errors.ts';
export { KubeEventRecorder, truncateUtf8, EVENT_MESSAGE_LIMIT_BYTES } from './events.ts';
export { KubePodExecutor, type KubePodExecutorOptions } from './exec.ts';
export { parseExecStatus, type ExecStatusVerdict } from './exec-status.ts';
export type { ExecChannel, ExecChannelHandlers, ExecChannelOpener, ExecChannelOpenOptions, ExecTarget } from './exec-channel.ts';
export { wsExecChannelOpener } from './exec-channel-ws.ts';
export { KubePodWatcher, type KubePodWatcherOptions, type BackoffOptions } from './pod-watcher.ts';
export { toPodManifest } from './pod.ts';
export { KubeRestoreClient } from './restores.ts';
