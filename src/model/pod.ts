import type { ContainerSpec } from './hook.ts';

/**
 * The part of a Pod manifest (core/v1) that hooks read. Manifests from files and pods from the
 * cluster are both narrowed to this shape at the boundary. Files keep their unknown fields; pods from
 * the cluster are a slim copy of the fields hooks read (src/kube/pod.ts).
 */
export interface PodManifest {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly uid?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
    readonly [field: string]: unknown;
  };
  readonly spec: {
    readonly containers: readonly ContainerSpec[];
    readonly initContainers?: readonly ContainerSpec[];
    readonly nodeName?: string;
    readonly [field: string]: unknown;
  };
  readonly status?: PodStatusView;
  readonly [field: string]: unknown;
}

export interface ContainerStatusView {
  readonly name: string;
  readonly ready?: boolean;
  readonly state?: {
    readonly running?: { readonly startedAt?: string };
    readonly waiting?: { readonly reason?: string; readonly message?: string };
    readonly terminated?: { readonly exitCode?: number; readonly reason?: string };
  };
}

export interface PodStatusView {
  readonly phase?: string;
  readonly containerStatuses?: readonly ContainerStatusView[];
  readonly [field: string]: unknown;
}
