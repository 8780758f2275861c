import type { Diagnostic, Severity } from '../model/diagnostic.ts';
import type { Position } from './positions.ts';

/** One input, already read: the file name as given (or `<stdin>`) and its text. */
export interface SourceText {
  readonly file: string;
  readonly text: string;
}

export const STDIN_NAME = '<stdin>';

const NO_OBJECT = { kind: '', namespace: '', name: '' } as const;

/** A diagnostic about a file or a document rather than about an object in it. */
export function fileDiagnostic(
  file: string,
  position: Position,
  code: string,
  severity: Severity,
  message: string,
  hint: string,
): Diagnostic {
  return { code, severity, message, hint, file, line: position.line, column: position.column, object: NO_OBJECT, key: '' };
}

export function isJsonFile(file: string): boolean {
  return file.toLowerCase().endsWith('.json');
}
