import type { Diagnostic, ObjectRef, Severity } from '../model/diagnostic.ts';
import { boundMessage } from '../velero/quote.ts';
import { describeObject } from './loaded-object.ts';
import type { Position } from './positions.ts';

/** One input, already read: the file name as given (or `<stdin>`) and its text. */
export interface SourceText {
  readonly file: string;
  readonly text: string;
}

export const STDIN_NAME = '<stdin>';

const NO_OBJECT = { kind: '', namespace: '', name: '' } as const;

/**
 * A diagnostic about a file or a document rather than about an object in it. `key` is a path in the
 * document when the problem has one (e.g. a duplicate key). Message and hint are bounded (boundMessage).
 */
export function fileDiagnostic(
  file: string,
  position: Position,
  code: string,
  severity: Severity,
  message: string,
  hint: string,
  key = '',
): Diagnostic {
  return {
    code, severity, message: boundMessage(message), hint: boundMessage(hint),
    file, line: position.line, column: position.column, object: NO_OBJECT, key,
  };
}

/**
 * A diagnostic about an object: the message gets the object's name in front (`Pod ns/web: …`). The
 * one builder for object diagnostics (loader and lint engine), so untrusted text in messages and
 * hints is bounded in one place; `object` and `key` are kept whole.
 */
export function objectDiagnostic(
  file: string,
  object: ObjectRef,
  position: Position,
  code: string,
  severity: Severity,
  key: string,
  message: string,
  hint: string,
): Diagnostic {
  return {
    code, severity, message: `${describeObject(object)}: ${boundMessage(message)}`, hint: boundMessage(hint),
    file, line: position.line, column: position.column, object, key,
  };
}

export function isJsonFile(file: string): boolean {
  return file.toLowerCase().endsWith('.json');
}
