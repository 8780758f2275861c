import type { Diagnostic } from '../model/diagnostic.ts';
import { loadSources } from '../load/load.ts';
import type { LoadResult } from '../load/load.ts';
import { readInputs, UNREADABLE_INPUT_CODES } from '../load/read-inputs.ts';
import type { SkippedPath } from '../load/read-inputs.ts';
import { renderDiagnosticsText } from '../report/diagnostics-text.ts';
import type { CliDeps } from './context.ts';

/** Collector for repeatable flags (`-n a -n b`). */
export function collect(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export interface ReadManifests {
  readonly load: LoadResult;
  /** Read failures (missing file, binary, too large). */
  readonly unreadable: readonly Diagnostic[];
  /** Other read-time diagnostics (e.g. an empty directory). */
  readonly readWarnings: readonly Diagnostic[];
  /** Paths the directory walks left out. */
  readonly skipped: readonly SkippedPath[];
}

/** Reads and loads PATH arguments (files, directories, `-`). */
export async function readManifests(paths: readonly string[], deps: CliDeps): Promise<ReadManifests> {
  const read = await readInputs(paths, { fs: deps.io.fs, readStdin: deps.io.readStdin, signal: deps.signal });
  const load = loadSources(read.sources);
  return {
    load,
    unreadable: read.diagnostics.filter((d) => UNREADABLE_INPUT_CODES.has(d.code)),
    readWarnings: read.diagnostics.filter((d) => !UNREADABLE_INPUT_CODES.has(d.code)),
    skipped: read.skipped,
  };
}

/** Diagnostics that are not the command's result go to stderr, as text without the summary. */
export function logDiagnostics(deps: CliDeps, diagnostics: readonly Diagnostic[]): void {
  if (diagnostics.length === 0) return;
  const text = renderDiagnosticsText(diagnostics);
  const withoutSummary = text.slice(0, text.lastIndexOf('\n', text.length - 2) + 1);
  deps.io.stderr.write(withoutSummary);
}
