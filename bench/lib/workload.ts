/**
 * The benchmark's workload, as data (pure): N pods for the simulated node, a Velero Restore whose
 * spec.hooks give each pod its post-restore exec hooks, and the same hooks as a flat list for the
 * kubectl baseline. Everything is derived from the pod index and a seeded PRNG, so a run is repeatable.
 *
 * Shape: pod i has 1 + (i mod 3) hooks when hooks-per-pod is "1-3" (2 on average); every 4th pod has
 * a second container "sidecar", which its second hook targets. Commands alternate between `true`
 * and `/bin/sh -c "echo ok"`: cheap local processes under KWOK.
 */
import { SIM } from '../../scripts/cluster/simulation.ts';
import { prng } from '../../src/testing/prng.ts';

export const LABEL_HOOKS = 'bench.kubehooks.dev/hooks';
export const LABEL_MULTI = 'bench.kubehooks.dev/multi';

export const COMMANDS: readonly (readonly string[])[] = [['true'], ['/bin/sh', '-c', 'echo ok']];

export interface HooksPerPod {
  readonly min: number;
  readonly max: number;
}

export interface BenchHook {
  readonly pod: string;
  readonly container: string;
  readonly command: readonly string[];
}

export interface PodPlan {
  readonly name: string;
  readonly multi: boolean;
  readonly hookCount: number;
  /** Offset of the containers' start within the spread, ms. */
  readonly startOffsetMs: number;
}

export interface Workload {
  readonly pods: readonly PodPlan[];
  /** Hooks in Restore order: per pod, per resource hook, per postHook. */
  readonly hooks: readonly BenchHook[];
  readonly containers: number;
}

export function parseHooksPerPod(text: string): HooksPerPod {
  const m = /^(\d)(?:-(\d))?$/.exec(text.trim());
  const min = Number(m?.[1]);
  const max = m?.[2] === undefined ? min : Number(m[2]);
  if (m === null || min < 1 || max > 3 || min > max) throw new Error(`--hooks-per-pod: expected 1, 2, 3 or a range like 1-3 (got "${text}")`);
  return { min, max };
}

/** The container a pod's j-th hook targets. */
export function containerFor(multi: boolean, j: number): string {
  return multi && j === 1 ? 'sidecar' : 'app';
}

export function commandFor(j: number): readonly string[] {
  return COMMANDS[j % COMMANDS.length] ?? ['true'];
}

export function podName(i: number): string {
  return `p-${String(i).padStart(5, '0')}`;
}

export function makeWorkload(n: number, perPod: HooksPerPod, spreadMs: number, seed: number): Workload {
  const random = prng(seed);
  const span = perPod.max - perPod.min + 1;
  const pods: PodPlan[] = [];
  const hooks: BenchHook[] = [];
  let containers = 0;
  for (let i = 0; i < n; i++) {
    const multi = i % 4 === 3;
    const hookCount = perPod.min + (i % span);
    const pod: PodPlan = { name: podName(i), multi, hookCount, startOffsetMs: Math.round(random() * spreadMs) };
    pods.push(pod);
    containers += new Set(Array.from({ length: hookCount }, (_, j) => containerFor(multi, j))).size;
    for (let j = 0; j < hookCount; j++) hooks.push({ pod: pod.name, container: containerFor(multi, j), command: commandFor(j) });
  }
  return { pods, hooks, containers };
}

/** The Pod object for the simulated node; its containers start at `startAt` (kwok reads an RFC 3339 time too). */
export function podObject(pod: PodPlan, namespace: string, nodeName: string, startAt: Date): Record<string, unknown> {
  const containers = [{ name: 'app', image: 'registry.invalid/kubehooks/bench:1' }];
  if (pod.multi) containers.push({ name: 'sidecar', image: 'registry.invalid/kubehooks/bench:1' });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: pod.name,
      namespace,
      labels: { [LABEL_HOOKS]: String(pod.hookCount), [LABEL_MULTI]: String(pod.multi), 'app.kubernetes.io/part-of': 'kubehooks-bench' },
      // kwok's durationFrom accepts either a Go duration or an RFC 3339 time (delay = time - now).
      annotations: { [SIM.startDelay]: startAt.toISOString() },
    },
    spec: { nodeName, containers, terminationGracePeriodSeconds: 0 },
  };
}

/** A Velero Restore with one resource hook per (hook count, multi) shape present in the workload. */
export function restoreObject(workload: Workload, namespace: string): Record<string, unknown> {
  const shapes = new Map<string, PodPlan>();
  for (const p of workload.pods) shapes.set(`${p.hookCount}/${p.multi}`, p);
  const resources = [...shapes.values()]
    .sort((a, b) => a.hookCount - b.hookCount || Number(a.multi) - Number(b.multi))
    .map((p) => ({
      name: `bench-${p.hookCount}-${p.multi ? 'multi' : 'single'}`,
      includedNamespaces: [namespace],
      labelSelector: { matchLabels: { [LABEL_HOOKS]: String(p.hookCount), [LABEL_MULTI]: String(p.multi) } },
      postHooks: Array.from({ length: p.hookCount }, (_, j) => ({
        exec: { container: containerFor(p.multi, j), command: [...commandFor(j)], execTimeout: '30s', waitTimeout: '10m', onError: 'Continue' },
      })),
    }));
  return {
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    metadata: { name: 'kubehooks-bench', namespace: 'velero' },
    spec: { backupName: 'kubehooks-bench', hooks: { resources } },
  };
}
