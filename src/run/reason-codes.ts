/**
 * Stable machine codes for why a hook did not succeed (HookResult.reasonCode). Documented in
 * docs/reliability.md; never renamed.
 */
export const REASON_CODES = [
  'non-zero-exit',
  'exec-timeout',
  'wait-timeout',
  'deadline',
  'aborted',
  'no-such-container',
  'container-not-running',
  'pod-deleted',
  'pod-left-selector',
  'pod-terminated',
  'pod-not-found',
  'previous-hook-failed',
  /** Stages (ADR 0019): a Fail hook of an earlier pre stage failed, so this stage did not start. */
  'previous-stage-failed',
  'forbidden',
  'unauthorized',
  'unreachable',
  'stream-closed',
  'remote-error',
  'watch-failed',
  /** Controller only: the start was journaled, then the controller stopped before the result was. */
  'interrupted',
  /** Controller only: the HookRunJournal was deleted or replaced during the run, so the hook's start could not be recorded; it never ran. */
  'journal-lost',
  /** `run backup` only: a post hook of a pod none of whose pre hooks started (it was never frozen). */
  'not-frozen',
  'invalid-hook',
  'internal',
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];
