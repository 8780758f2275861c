/**
 * Velero's rules that parse, lint, plan, inject and the runners all apply, each written once here
 * (reference §3.4, §4, §5.3, §8.3). Pure. Where Velero versions differ, the rule follows Velero main
 * and says what 1.18.x does.
 */
import { DEFAULT_EXEC_TIMEOUT_MS, execSettingsOf, MAX_EXEC_TIMEOUT_MS, type ContainerSpec, type ExecHookSettings, type HookPhase } from '../model/hook.ts';
import type { PlannedHookSettings } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import { matchLabelSelector } from '../select/label-selector.ts';
import { matchNamespace } from '../select/namespaces.ts';
import { matchBackupResources } from '../select/resources.ts';
import type { Verdict } from '../select/verdict.ts';
import { isRecord } from '../util/is-record.ts';
import { effectiveOnError } from './profiles.ts';
import type { HookResourceSelector } from './spec.ts';

// ---------- namespaces ----------

/** Namespace assumed for a pod manifest that names none (what kubectl does with the default context). */
export const DEFAULT_NAMESPACE = 'default';

export function podNamespace(pod: PodManifest): string {
  // Typed as a string, but a manifest read from a file may carry anything here (`namespace: 0`);
  // the plan's JSON contract promises strings, and the API server would reject such a pod anyway.
  const ns: unknown = pod.metadata.namespace;
  return typeof ns !== 'string' || ns === '' ? DEFAULT_NAMESPACE : ns;
}

// ---------- exec timeout (§8.3) ----------

/**
 * The exec timeout kubehooks applies, following Velero main: unset, zero or negative → 30s, above 4h
 * (Infinity included) → 4h. NaN, which no Go duration can be, counts as unset. (1.18.x: only 0 → 30s;
 * negative = no timeout at all; no cap.)
 */
export function resolveExecTimeoutMs(ms: number): number {
  if (!(ms > 0)) return DEFAULT_EXEC_TIMEOUT_MS;
  return Math.min(ms, MAX_EXEC_TIMEOUT_MS);
}

/**
 * A declared hook's settings as kubehooks runs them in `phase`: onError as Velero acts on it
 * (effectiveOnError: unset → Continue, FailBlock per phase), the exec timeout resolved.
 */
export function resolveExecSettings(hook: ExecHookSettings, phase: HookPhase): PlannedHookSettings {
  const settings = execSettingsOf(hook);
  return { ...settings, onError: effectiveOnError(settings.onError, phase), execTimeoutMs: resolveExecTimeoutMs(settings.execTimeoutMs) };
}

// ---------- which containers a hook may target (§5.3, §7.2) ----------

/** A native sidecar: an init container with `restartPolicy: Always`. */
export function isNativeSidecar(container: ContainerSpec): boolean {
  return container['restartPolicy'] === 'Always';
}

export function sidecarNames(pod: PodManifest): string[] {
  return (pod.spec.initContainers ?? []).filter(isNativeSidecar).map((c) => c.name);
}

/** A regular container (`spec.containers`): what Velero's restore hooks may target (§7.2). */
export function hasRegularContainer(pod: PodManifest, container: string): boolean {
  return pod.spec.containers.some((c) => c.name === container);
}

/**
 * Where kubehooks runs an exec hook: a regular container or a native sidecar. Backup hooks as Velero
 * main does (1.18.x: no such container); post-restore hooks as kubehooks' deviation (Velero discards
 * them). Plain init containers never are targets.
 */
export function isExecTarget(pod: PodManifest, container: string): boolean {
  if (hasRegularContainer(pod, container)) return true;
  return (pod.spec.initContainers ?? []).some((c) => c.name === container && isNativeSidecar(c));
}

/** The container a hook without `container` runs in: the first regular one ("" when there is none). */
export function firstContainerName(pod: PodManifest): string {
  return pod.spec.containers[0]?.name ?? '';
}

/** The pod's containers by kind, for messages: `containers: app; sidecars: proxy; init containers: setup`. */
export function describeContainers(pod: PodManifest): string {
  const init = pod.spec.initContainers ?? [];
  const sidecars = init.filter(isNativeSidecar).map((c) => c.name);
  const plain = init.filter((c) => !isNativeSidecar(c)).map((c) => c.name);
  const parts = [`containers: ${pod.spec.containers.map((c) => c.name).join(', ') || 'none'}`];
  if (sidecars.length > 0) parts.push(`sidecars: ${sidecars.join(', ')}`);
  if (plain.length > 0) parts.push(`init containers (never hook targets): ${plain.join(', ')}`);
  return parts.join('; ');
}

// ---------- which spec.hooks entries apply to a pod (§3.4) ----------

export function entrySubject(entry: HookResourceSelector): string {
  return `${entry.path} ${JSON.stringify(entry.name)}`;
}

/**
 * Velero's applicableTo for one entry, with the first reason it does not apply. `namespace` is the
 * namespace selectors see (for a restore: the target namespace). Restore entries ignore the
 * resource lists.
 */
export function entryApplies(entry: HookResourceSelector, pod: PodManifest, namespace: string, kind: 'backup' | 'restore'): Verdict {
  const subject = entrySubject(entry);
  const ns = matchNamespace(namespace, entry.includedNamespaces, entry.excludedNamespaces, subject);
  if (!ns.ok) return ns;
  if (kind === 'backup') {
    const resources = matchBackupResources(entry.includedResources, entry.excludedResources, subject);
    if (!resources.ok) return resources;
  }
  return matchLabelSelector(entry.labelSelector, pod.metadata.labels, subject);
}

// ---------- spec init containers (§4) ----------

/** Velero's exact restore validation text for a bad spec init container (§4). */
export const INVALID_INIT_CONTAINER_MESSAGE = "invalid InitContainer in restore hook, it doesn't have Command, Name or Image field";

/** The fields Velero's ValidateContainer finds missing: a non-empty name, image and command. */
export function initContainerMissingFields(container: Readonly<Record<string, unknown>>): ('name' | 'image' | 'command')[] {
  const missing = (['name', 'image'] as const).filter((f) => typeof container[f] !== 'string' || container[f] === '');
  const command = container['command'];
  const commandOk = Array.isArray(command) && command.length > 0 && command.every((c) => typeof c === 'string');
  return commandOk ? missing : [...missing, 'command'];
}

/** Velero's ValidateContainer for a spec init container: undefined when valid, else its error text. */
export function validateInitContainer(container: unknown): string | undefined {
  if (!isRecord(container)) return INVALID_INIT_CONTAINER_MESSAGE;
  return initContainerMissingFields(container).length === 0 ? undefined : INVALID_INIT_CONTAINER_MESSAGE;
}
