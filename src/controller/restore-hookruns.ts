/**
 * `kubehooks controller --watch-restores` (ADR 0021): a HookRun with `restoreRef` for every Velero
 * Restore that opts in with the annotation `kubehooks.dev/post-restore-hooks: "true"`. Off by default:
 * annotation hooks run commands in pods (velero#9182), so whoever may create a Restore must not get
 * kubehooks to run them unless the cluster's operator turned this on.
 *
 * Restores are listed every `intervalMs` (one list per namespace, or one cluster-wide). A Restore is
 * taken once, if it opted in, was created no longer than `windowMs` ago and is not Failed; its HookRun
 * has a name derived from the Restore, so a second create (a restart, a second replica) is a 409 and
 * nothing runs twice. The HookRun then waits for the Restore and runs like any other.
 */
import { createHash } from 'node:crypto';
import { restorePhaseVerdict, restoreLabelValue } from '../plan/from-restore.ts';
import type { Clock } from '../run/ports.ts';
import { isRecord } from '../util/is-record.ts';
import type { HookRun } from './hookrun-types.ts';
import { HOOKRUN_API_VERSION, HOOKRUN_KIND } from './hookrun-types.ts';

export const RESTORE_OPT_IN_ANNOTATION = 'kubehooks.dev/post-restore-hooks';
export const RESTORE_NAMESPACE_LABEL = 'kubehooks.dev/restore-namespace';
export const RESTORE_NAME_HOOKRUN_LABEL = 'kubehooks.dev/restore-name';
/** How often Restores are listed. */
export const RESTORE_LIST_INTERVAL_MS = 10_000;
/** Restores older than this (by creationTimestamp) are never taken: turning the flag on does not replay old restores. */
export const RESTORE_WINDOW_MS = 10 * 60 * 1000;

export interface RestoreHookRunApi {
  /** Restores in one namespace (undefined = all namespaces). */
  listRestores(namespace: string | undefined, signal: AbortSignal): Promise<readonly Record<string, unknown>[]>;
  /** 'exists' on 409 AlreadyExists. */
  createHookRun(hookRun: HookRun, signal: AbortSignal): Promise<'created' | 'exists'>;
}

/** The HookRun's name for a Restore: `restore-<ns>-<name>`, cut with a hash suffix to stay a valid name. */
export function hookRunNameFor(namespace: string, name: string): string {
  const full = `restore-${namespace}-${name}`;
  if (full.length <= 63) return full;
  return `${full.slice(0, 52).replace(/[-.]+$/, '')}-${createHash('sha256').update(full).digest('hex').slice(0, 10)}`;
}

export type RestoreDecision =
  | { readonly take: true; readonly hookRun: HookRun }
  | { readonly take: false; readonly why: 'not-annotated' | 'annotation-value' | 'too-old' | 'failed' | 'malformed'; readonly message?: string };

/** Whether a Restore gets a HookRun, and which. Pure. */
export function hookRunForRestore(raw: Record<string, unknown>, systemNamespace: string, nowMs: number, windowMs = RESTORE_WINDOW_MS): RestoreDecision {
  const meta = isRecord(raw['metadata']) ? raw['metadata'] : undefined;
  if (meta === undefined || typeof meta['name'] !== 'string' || typeof meta['namespace'] !== 'string') return { take: false, why: 'malformed' };
  const { name, namespace } = meta as { name: string; namespace: string };
  const annotations = isRecord(meta['annotations']) ? meta['annotations'] : {};
  const value = annotations[RESTORE_OPT_IN_ANNOTATION];
  if (value === undefined) return { take: false, why: 'not-annotated' };
  if (value !== 'true') {
    return { take: false, why: 'annotation-value', message: `Restore ${namespace}/${name}: annotation ${RESTORE_OPT_IN_ANNOTATION}=${JSON.stringify(value)} is ignored (the only value that opts in is "true")` };
  }
  const created = typeof meta['creationTimestamp'] === 'string' ? Date.parse(meta['creationTimestamp']) : NaN;
  if (!Number.isFinite(created) || nowMs - created > windowMs) return { take: false, why: 'too-old' };
  if (restorePhaseVerdict(raw).kind === 'failed') return { take: false, why: 'failed' };
  return {
    take: true,
    hookRun: {
      apiVersion: HOOKRUN_API_VERSION,
      kind: HOOKRUN_KIND,
      metadata: {
        name: hookRunNameFor(namespace, name),
        namespace: systemNamespace,
        labels: { [RESTORE_NAMESPACE_LABEL]: namespace, [RESTORE_NAME_HOOKRUN_LABEL]: restoreLabelValue(name) },
        annotations: { [RESTORE_OPT_IN_ANNOTATION]: `created for velero.io/v1 Restore ${namespace}/${name}` },
      },
      spec: { phase: 'post-restore', restoreRef: { namespace, name } },
    },
  };
}

export interface RestoreWatchOptions {
  readonly api: RestoreHookRunApi;
  /** Namespaces whose Restores are looked at; empty = all. */
  readonly namespaces: readonly string[];
  readonly systemNamespace: string;
  readonly clock: Clock;
  readonly log: (message: string) => void;
  readonly intervalMs?: number;
  readonly windowMs?: number;
}

/** Lists Restores and creates their HookRuns until `signal` aborts. List errors are logged and retried. */
export async function watchRestores(o: RestoreWatchOptions, signal: AbortSignal): Promise<void> {
  const done = new Set<string>();
  const warned = new Set<string>();
  const targets = o.namespaces.length === 0 ? [undefined] : [...new Set(o.namespaces)];
  while (!signal.aborted) {
    for (const ns of targets) {
      try {
        const restores = await o.api.listRestores(ns, signal);
        for (const raw of restores) {
          const uid = isRecord(raw['metadata']) && typeof raw['metadata']['uid'] === 'string' ? raw['metadata']['uid'] : JSON.stringify(raw['metadata']);
          if (done.has(uid)) continue;
          const d = hookRunForRestore(raw, o.systemNamespace, o.clock.now(), o.windowMs);
          if (!d.take) {
            if (d.why === 'annotation-value' && !warned.has(uid)) {
              warned.add(uid);
              o.log(d.message ?? '');
            }
            if (d.why === 'too-old' || d.why === 'failed') done.add(uid);
            continue;
          }
          const created = await o.api.createHookRun(d.hookRun, signal);
          done.add(uid);
          const ref = d.hookRun.spec.restoreRef;
          o.log(`Restore ${ref?.namespace ?? ''}/${ref?.name ?? ''} opted in (${RESTORE_OPT_IN_ANNOTATION}): HookRun ${o.systemNamespace}/${d.hookRun.metadata.name} ${created === 'created' ? 'created' : 'exists already'}`);
        }
      } catch (error) {
        if (aborted(signal)) return;
        o.log(`watch Restores${ns === undefined ? '' : ` in ${ns}`}: ${error instanceof Error ? error.message : String(error)}; retrying`);
      }
    }
    try {
      await o.clock.sleep(o.intervalMs ?? RESTORE_LIST_INTERVAL_MS, signal);
    } catch {
      return;
    }
  }
}

/** Read through a call: the signal flips while we await, which TypeScript's narrowing cannot see. */
function aborted(signal: AbortSignal): boolean {
  return signal.aborted;
}
