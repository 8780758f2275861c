import type { PlannedHook } from '../model/plan.ts';
import type { HookResult, HookStatus } from '../model/result.ts';
import type { ReasonCode } from './reason-codes.ts';

/** A result with no output: the hook never reached an exit status. */
export function hookResult(
  hook: PlannedHook,
  status: HookStatus,
  reasonCode: ReasonCode | undefined,
  reason: string | null,
  extra: Partial<Pick<HookResult, 'exitCode' | 'stdout' | 'stderr' | 'truncated' | 'startedAt' | 'durationMs'>> = {},
): HookResult {
  const base: HookResult = {
    namespace: hook.namespace,
    pod: hook.pod,
    container: hook.container,
    source: hook.source,
    name: hook.name,
    phase: hook.phase,
    index: hook.index,
    status,
    exitCode: extra.exitCode ?? null,
    stdout: extra.stdout ?? '',
    stderr: extra.stderr ?? '',
    truncated: extra.truncated ?? false,
    startedAt: extra.startedAt ?? null,
    durationMs: extra.durationMs ?? null,
    reason,
  };
  return reasonCode === undefined ? base : { ...base, reasonCode };
}

export function notRun(hook: PlannedHook, reasonCode: ReasonCode, reason: string): HookResult {
  return hookResult(hook, 'not-run', reasonCode, reason);
}

/** How a hook is named in messages: `name#index` (annotation hooks keep Velero's `<from-annotation>`). */
export function hookLabel(hook: Pick<PlannedHook, 'name' | 'index'>): string {
  return `${hook.name}#${hook.index}`;
}
