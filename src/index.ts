// Public library API: the only barrel. Every export here is a stable contract.
export type * from './model/hook.ts';
export type * from './model/diagnostic.ts';
export type * from './model/plan.ts';
export type * from './model/result.ts';
export type * from './model/pod.ts';
export type * from './run/ports.ts';
export { ANNOTATION_HOOK_NAME, DEFAULT_EXEC_TIMEOUT_MS, MAX_EXEC_TIMEOUT_MS } from './model/hook.ts';
