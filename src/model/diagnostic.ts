export type Severity = 'error' | 'warning' | 'info';

export interface ObjectRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/**
 * A problem found in the input. Diagnostics are data; renderers in src/report print them.
 * `code` is stable (documented in docs/lint-rules.md); `line`/`column` are 1-based, 0 when unknown.
 */
export interface Diagnostic {
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  readonly hint: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly object: ObjectRef;
  /** The annotation key or spec path the diagnostic is about, e.g. `post.hook.restore.velero.io/timeout`
   *  or `spec.hooks.resources[0].postHooks[1].exec.execTimeout`; "" when about the whole object. */
  readonly key: string;
}
