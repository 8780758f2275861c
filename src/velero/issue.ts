import type { Severity } from '../model/diagnostic.ts';
import { ISSUE_CODES, type IssueCode } from './issue-codes.ts';
import { boundMessage } from './quote.ts';

/**
 * A problem found while reading hook annotations or `spec.hooks`. Parsers return these as data and
 * never throw; the lint layer adds file positions and the object reference to make a Diagnostic.
 */
export interface ParseIssue {
  /** Stable kebab-case code, one of ISSUE_CODES. */
  code: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
  hint: string;
  /** The annotation key (`post.hook.restore.velero.io/exec-timeout`) or spec path
   *  (`spec.hooks.resources[0].postHooks[1].exec.execTimeout`); "" for the whole object. */
  key: string;
}

/**
 * Builds an issue with the table's default severity and hint unless overridden. Message and hint are
 * bounded here (boundMessage), so call sites may interpolate untrusted values as they are.
 */
export function makeIssue(
  code: IssueCode,
  key: string,
  message: string,
  overrides: { readonly severity?: Severity; readonly hint?: string } = {},
): ParseIssue {
  const info = ISSUE_CODES[code];
  return {
    code,
    severity: overrides.severity ?? info.severity,
    message: boundMessage(message),
    hint: boundMessage(overrides.hint ?? info.hint),
    key,
  };
}
