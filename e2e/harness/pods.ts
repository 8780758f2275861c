/**
 * Pod manifests for the simulated node (pure). The options map onto the kwok stages' annotations
 * (scripts/cluster/simulation.ts); the image is never pulled, any string works.
 */
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node's models are
   data-only classes and its serializer takes plain objects. */
import type { V1Container, V1Pod, V1Volume } from '@kubernetes/client-node';
import { SIM } from '../../scripts/cluster/simulation.ts';

export interface FakePodOptions {
  readonly name: string;
  readonly namespace: string;
  readonly nodeName: string;
  /** Container names or full containers (default one container named "app"). */
  readonly containers?: readonly (string | V1Container)[];
  /** Pending (ContainerCreating) this long before the containers run. */
  readonly startDelayMs?: number;
  /** Containers never start: the pod stays Pending on the node. */
  readonly neverStart?: boolean;
  /** Waiting reason while Pending (default ContainerCreating). */
  readonly waitingReason?: string;
  /** false: Running but never Ready. Default: Ready once running (after readyDelayMs). */
  readonly ready?: boolean;
  readonly readyDelayMs?: number;
  /** Terminate this container ("*" for all) after terminateDelayMs, with exitCode (default 1). */
  readonly terminate?: string;
  readonly terminateDelayMs?: number;
  readonly exitCode?: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  /** spec.volumes as given (e.g. a persistentVolumeClaim the quiesce window lists for COMMAND). */
  readonly volumes?: readonly V1Volume[];
}

const goDuration = (ms: number): string => `${Math.max(0, Math.round(ms))}ms`;

export function simAnnotations(
  options: Omit<FakePodOptions, 'name' | 'namespace' | 'nodeName'>,
): Record<string, string> {
  const a: Record<string, string> = {};
  if (options.startDelayMs !== undefined) a[SIM.startDelay] = goDuration(options.startDelayMs);
  if (options.neverStart === true) a[SIM.neverStart] = 'true';
  if (options.waitingReason !== undefined) a[SIM.waitingReason] = options.waitingReason;
  if (options.ready === false) a[SIM.ready] = 'false';
  if (options.readyDelayMs !== undefined) a[SIM.readyDelay] = goDuration(options.readyDelayMs);
  if (options.terminate !== undefined) a[SIM.terminate] = options.terminate;
  if (options.terminateDelayMs !== undefined) a[SIM.terminateDelay] = goDuration(options.terminateDelayMs);
  if (options.exitCode !== undefined) a[SIM.exitCode] = String(options.exitCode);
  return a;
}

export function fakePod(options: FakePodOptions): V1Pod {
  const containers = (options.containers ?? ['app']).map((c): V1Container =>
    typeof c === 'string' ? { name: c, image: 'registry.invalid/kubehooks/fake:1' } : c,
  );
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: options.name,
      namespace: options.namespace,
      labels: { 'app.kubernetes.io/part-of': 'kubehooks-e2e', ...options.labels },
      annotations: { ...simAnnotations(options), ...options.annotations },
    },
    spec: {
      nodeName: options.nodeName,
      containers,
      ...(options.volumes === undefined ? {} : { volumes: [...options.volumes] }),
      // Without a controller-manager nothing would wait for a grace period anyway.
      terminationGracePeriodSeconds: 0,
    },
  };
}
