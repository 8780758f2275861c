import type { PlannedHook } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import { ContainerChain, type ChainPod } from './container-chain.ts';
import { podKey } from './hook-key.ts';
import { isContainerUp, isPodTerminated } from './container-state.ts';
import { describeContainers, isExecTarget } from '../velero/rules.ts';
import type { PodEvent } from './ports.ts';
import type { ReasonCode } from './reason-codes.ts';
import type { RunSession } from './run-session.ts';

/** What the pods of one post-restore run share. */
export interface RestoreContext {
  readonly session: RunSession;
  /** Wait timeouts count from here (the start of the run). */
  readonly startMs: number;
  readonly now: () => number;
  /** The watch's label selector, to tell "left the selector" from "deleted". */
  readonly labelSelector: string | undefined;
  /** True once the pod watch is gone: no container can be seen to come up any more. */
  readonly watchGone: () => boolean;
  /** Keeps a started chain until it settles; the run waits for them all. */
  readonly track: (chain: Promise<void>) => void;
}

/**
 * One planned pod of a post-restore run: follows the pod through the watch's events (one UID, Velero's
 * restore rules) and drives its containers' chains. Deviations from Velero (docs/compatibility.md): a
 * hook for a container the pod lacks fails at once (Q4/V99); a native sidecar is a target (Q8); only
 * `Fail` stops other hooks, and only the pod's own.
 */
export class RestorePod implements ChainPod {
  readonly namespace: string;
  readonly name: string;
  readonly containers: readonly ContainerChain[];
  readonly #ctx: RestoreContext;
  #latest: PodManifest | undefined;
  #uid: string | undefined;
  #stopped = false;
  #checkedContainers = false;

  /** `byContainer`: the pod's hooks per container, containers and hooks in plan order. */
  constructor(namespace: string, name: string, byContainer: ReadonlyMap<string, readonly PlannedHook[]>, ctx: RestoreContext) {
    this.namespace = namespace;
    this.name = name;
    this.#ctx = ctx;
    this.containers = [...byContainer].map(([container, hooks]) => new ContainerChain(container, hooks, ctx.session, this, ctx));
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  get uid(): string | undefined {
    return this.#uid;
  }

  /** The UID the plan's list saw: a pod the watch then reports under another UID was re-created. */
  expectUid(uid: string | undefined): void {
    this.#uid ??= uid;
  }

  /** A watch event for this pod (by namespace and name). */
  observe(event: PodEvent): void {
    if (this.#stopped) return;
    const uid = event.pod.metadata.uid;
    const { namespace, name } = this;
    const otherIncarnation = this.#uid !== undefined && uid !== undefined && uid !== this.#uid;
    if (event.type === 'deleted') {
      if (otherIncarnation) return; // an older incarnation
      const selector = this.#ctx.labelSelector;
      const selective = selector !== undefined && selector !== '';
      if (selective && event.relisted !== true && !beingDeleted(event.pod) && (this.#latest === undefined || !beingDeleted(this.#latest))) {
        this.stop('pod-left-selector', `not run: pod ${namespace}/${name} no longer matches the selector ${selector} (its labels changed) before the hook ran`);
        return;
      }
      const orLeft = selective && event.relisted === true ? ' (or no longer matches the selector; seen on a relist)' : '';
      this.stop('pod-deleted', `not run: pod ${namespace}/${name} was deleted${orLeft} before the hook ran`);
      return;
    }
    if (otherIncarnation) {
      this.stop('pod-deleted', `not run: pod ${namespace}/${name} was deleted and re-created before the hook ran`);
      return;
    }
    this.#uid ??= uid;
    this.#latest = event.pod;
    this.#evaluate();
  }

  /** The watch listed `namespace` (undefined: all) and this pod was not in it. */
  notListed(namespace: string | undefined): void {
    if (this.#latest !== undefined || this.#stopped) return;
    if (namespace !== undefined && namespace !== this.namespace) return;
    this.stop('pod-not-found', `not run: pod ${this.namespace}/${this.name} was not found when the watch started (deleted, or outside the watched scope)`);
  }

  /** Ends the pod's remaining hooks (Velero records them as failed: "not executed: context canceled"). */
  stop(code: ReasonCode, reason: string): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.endAll(code, reason);
  }

  /** Ends every hook not yet running, without stopping the pod (the run's abort or deadline). */
  endAll(code: ReasonCode, reason: string): void {
    for (const c of this.containers) c.stop(code, reason);
  }

  hookFailed(hook: PlannedHook): void {
    if (hook.onError === 'Fail') {
      this.stop('previous-hook-failed', `not run: hook ${hook.name}#${hook.index} in container ${hook.container} failed and its onError is Fail`);
    }
  }

  /** A wait timeout passed: containers still waiting expire their leading hooks. */
  expireWaiting(): void {
    if (this.#stopped) return;
    for (const c of this.containers) c.expire();
  }

  /** The watch is gone: waiting containers end `watch-failed`; running chains finish. */
  watchLost(reason: string): void {
    if (this.#stopped) return;
    for (const c of this.containers) c.watchLost(reason);
  }

  #evaluate(): void {
    const latest = this.#latest;
    if (latest === undefined || this.#ctx.session.cause !== undefined || this.#ctx.watchGone()) return;
    if (isPodTerminated(latest)) {
      this.stop('pod-terminated', `not run: pod entered phase ${latest.status?.phase ?? ''} before the hook ran`);
      return;
    }
    if (!this.#checkedContainers) {
      this.#checkedContainers = true;
      // DEVIATION (Q4/V99): Velero discards these hooks and never records them; we fail them at once.
      // DEVIATION (Q8): a native sidecar is a target (Velero looks only at spec.containers).
      for (const c of this.containers) {
        if (isExecTarget(latest, c.name)) continue;
        const fatal = c.missing(`no such container: "${c.name}" (pod ${this.namespace}/${this.name} has ${describeContainers(latest)})`);
        if (fatal !== undefined) this.hookFailed(fatal);
        if (this.#isStopped()) return;
      }
    }
    for (const c of this.containers) {
      if (c.state === 'waiting' && isContainerUp(latest, c.name, c.waitForReady)) this.#ctx.track(c.start());
    }
  }

  /** Read through a call: a hook's failure flips `stopped` while we loop, which narrowing cannot see. */
  #isStopped(): boolean {
    return this.#stopped;
  }
}

/** Groups the run's hooks by pod, then container, keeping plan order; one RestorePod per planned pod. */
export function restorePods(hooks: readonly PlannedHook[], ctx: RestoreContext): Map<string, RestorePod> {
  const grouped = new Map<string, { namespace: string; name: string; byContainer: Map<string, PlannedHook[]> }>();
  for (const hook of hooks) {
    const k = podKey(hook.namespace, hook.pod);
    let pod = grouped.get(k);
    if (pod === undefined) {
      pod = { namespace: hook.namespace, name: hook.pod, byContainer: new Map() };
      grouped.set(k, pod);
    }
    const list = pod.byContainer.get(hook.container);
    if (list === undefined) pod.byContainer.set(hook.container, [hook]);
    else list.push(hook);
  }
  return new Map([...grouped].map(([k, p]) => [k, new RestorePod(p.namespace, p.name, p.byContainer, ctx)]));
}

/**
 * A pod the API server is deleting carries `metadata.deletionTimestamp` (pods are always deleted
 * gracefully, also with grace 0, so the last state of a real delete has it). A watch DELETED event
 * for a pod without it, on a label-selector watch, is the API server saying the pod stopped matching
 * the selector: it sends the previous (still matching) object, so the labels cannot tell.
 */
function beingDeleted(pod: PodManifest): boolean {
  const ts = pod.metadata['deletionTimestamp'];
  return typeof ts === 'string' && ts !== '';
}
