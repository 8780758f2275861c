import { join } from 'node:path';
import type { Diagnostic } from '../model/diagnostic.ts';
import { DEFAULT_LOAD_LIMITS } from './limits.ts';
import type { LoadLimits } from './limits.ts';
import { UNKNOWN_POSITION } from './positions.ts';
import { fileDiagnostic, STDIN_NAME } from './source.ts';
import type { SourceText } from './source.ts';

/** How much of one input to read, and what ends the read early. */
export interface ReadLimit {
  /** Read at most `maxBytes + 1` bytes: getting the extra byte means the input is too large. */
  readonly maxBytes: number;
  /** Ends the read (a signal to the process); the read then rejects. */
  readonly signal?: AbortSignal | undefined;
}

/** The file-system calls the reader needs (the CLI's is src/cli/input-io.ts; tests pass a fake). */
export interface InputFileSystem {
  stat(path: string): Promise<{ isDirectory(): boolean; isFile(): boolean; size: number }>;
  readdir(path: string, options: { withFileTypes: true }): Promise<readonly { name: string; isDirectory(): boolean; isFile(): boolean }[]>;
  /** Streams any kind of file (regular, FIFO, device) up to the limit; ends when the signal aborts. */
  readCapped(path: string, limit: ReadLimit): Promise<Uint8Array>;
}

export interface ReadInputsOptions {
  readonly fs: InputFileSystem;
  /** Reads stdin up to the limit; called at most once. */
  readonly readStdin: (limit: ReadLimit) => Promise<Uint8Array>;
  readonly limits?: LoadLimits;
  /** Ends every read (SIGINT/SIGTERM): readInputs then rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
}

/** Why a directory walk left a path out. Stable strings (lint's JSON `skipped[].code`). */
export type SkipPathCode = 'hidden-directory' | 'node-modules' | 'hidden-file' | 'not-a-manifest';

/** A path a directory walk did not read (named PATHs are always read). */
export interface SkippedPath {
  readonly path: string;
  readonly code: SkipPathCode;
  readonly reason: string;
}

export interface ReadInputsResult {
  readonly sources: readonly SourceText[];
  /** `input-unreadable`, `input-encoding`, `input-too-large`: the CLI exits 2 on these. */
  readonly diagnostics: readonly Diagnostic[];
  /** What directory walks left out, in walk order (version-control directories are not listed). */
  readonly skipped: readonly SkippedPath[];
}

/** Directories a walk never enters and never mentions. */
const VCS_DIRECTORIES: ReadonlySet<string> = new Set(['.git', '.hg', '.svn']);

const SKIP_REASON: Readonly<Record<SkipPathCode, string>> = {
  'hidden-directory': 'hidden directory (name it as a PATH to read it)',
  'node-modules': 'node_modules is not read (name it as a PATH to read it)',
  'hidden-file': 'hidden file (name it as a PATH to read it)',
  'not-a-manifest': 'not *.yaml, *.yml or *.json',
};

/** Codes that mean "could not read the input at all" (exit 2 rather than 1). */
export const UNREADABLE_INPUT_CODES: ReadonlySet<string> = new Set(['input-unreadable', 'input-encoding', 'input-too-large']);

const MANIFEST_FILE = /\.(ya?ml|json)$/i;
const MAX_DIR_DEPTH = 64;

function unreadable(file: string, message: string, hint: string): Diagnostic {
  return fileDiagnostic(file, UNKNOWN_POSITION, 'input-unreadable', 'error', message, hint);
}

function errnoText(err: unknown, path = ''): string {
  if (err !== null && typeof err === 'object' && 'code' in err && typeof err.code === 'string') {
    switch (err.code) {
      case 'ENOENT':
        // Node decodes argv and directory entries as UTF-8, turning invalid bytes into U+FFFD: such a name no longer names the file.
        return path.includes('\ufffd')
          ? 'no file by this name; the name held bytes that are not UTF-8, which Node.js replaced with U+FFFD (rename the file to a UTF-8 name)'
          : 'no such file or directory';
      case 'EACCES':
      case 'EPERM':
        return 'permission denied';
      case 'EISDIR':
        return 'is a directory';
      default:
        return err.code;
    }
  }
  return err instanceof Error ? err.message : String(err);
}

/** Strict UTF-8 (BOM stripped); binary content and invalid UTF-8 become a diagnostic. */
export function decodeInput(
  file: string,
  bytes: Uint8Array,
  limits: LoadLimits = DEFAULT_LOAD_LIMITS,
): { readonly source: SourceText } | { readonly diagnostic: Diagnostic } {
  if (bytes.length > limits.maxFileChars) {
    return {
      diagnostic: fileDiagnostic(file, UNKNOWN_POSITION, 'input-too-large', 'error',
        `${file} is more than the ${limits.maxFileChars} bytes kubehooks reads (reading stopped there)`,
        'Split the manifests into smaller files, or lint only the files that carry hooks.'),
    };
  }
  if (bytes.includes(0)) {
    return {
      diagnostic: fileDiagnostic(file, UNKNOWN_POSITION, 'input-encoding', 'error',
        `${file} contains NUL bytes: it looks like a binary file, not a manifest`,
        'Pass YAML or JSON manifests (UTF-8 text).'),
    };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return {
      diagnostic: fileDiagnostic(file, UNKNOWN_POSITION, 'input-encoding', 'error',
        `${file} is not valid UTF-8`,
        'Convert the file to UTF-8 (e.g. `iconv -t UTF-8`); Kubernetes manifests are UTF-8.'),
    };
  }
  return { source: { file, text } };
}

/**
 * Reads PATH arguments: files (any name), directories (recursive, `*.yaml|*.yml|*.json`, sorted,
 * skipping `node_modules` and dot-directories) and `-` for stdin. Missing or unreadable paths become
 * diagnostics; the others are still read.
 */
export async function readInputs(paths: readonly string[], options: ReadInputsOptions): Promise<ReadInputsResult> {
  const limits = options.limits ?? DEFAULT_LOAD_LIMITS;
  const sources: SourceText[] = [];
  const diagnostics: Diagnostic[] = [];
  const skipped: SkippedPath[] = [];
  const skip = (path: string, code: SkipPathCode): void => {
    skipped.push({ path, code, reason: SKIP_REASON[code] });
  };
  let stdinRead = false;
  const signal = options.signal;
  const limit: ReadLimit = { maxBytes: limits.maxFileChars, signal };

  /** `inWalk`: found in a directory, where only regular files are read (a FIFO or device there is refused). */
  const readOne = async (file: string, inWalk: boolean): Promise<void> => {
    try {
      const st = await options.fs.stat(file);
      if (inWalk && !st.isFile()) {
        diagnostics.push(unreadable(file, `${file} is not a regular file (a FIFO, device or socket): directory walks read regular files only`,
          'Remove it from the directory, or pass it as its own PATH to read it on purpose.'));
        return;
      }
      if (st.isFile() && st.size > limits.maxFileChars) {
        diagnostics.push(fileDiagnostic(file, UNKNOWN_POSITION, 'input-too-large', 'error',
          `${file} is ${st.size} bytes, more than the ${limits.maxFileChars} kubehooks reads`,
          'Split the manifests into smaller files, or lint only the files that carry hooks.'));
        return;
      }
      const decoded = decodeInput(file, await options.fs.readCapped(file, limit), limits);
      if ('source' in decoded) sources.push(decoded.source);
      else diagnostics.push(decoded.diagnostic);
    } catch (err) {
      if (signal?.aborted === true) throw signal.reason;
      diagnostics.push(unreadable(file, `cannot read ${file}: ${errnoText(err, file)}`, 'Check the path and its permissions.'));
    }
  };

  const walk = async (dir: string, depth: number): Promise<number> => {
    if (depth > MAX_DIR_DEPTH) return 0;
    let entries;
    try {
      entries = await options.fs.readdir(dir, { withFileTypes: true });
    } catch (err) {
      diagnostics.push(unreadable(dir, `cannot list ${dir}: ${errnoText(err)}`, 'Check the directory permissions.'));
      return 0;
    }
    let found = 0;
    const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of sorted) {
      const full = join(dir, e.name);
      // Symlinked directories are not followed (no loops); symlinked files are (stat follows them).
      if (e.isDirectory()) {
        if (VCS_DIRECTORIES.has(e.name)) continue;
        if (e.name.startsWith('.')) skip(`${full}/`, 'hidden-directory');
        else if (e.name === 'node_modules') skip(`${full}/`, 'node-modules');
        else found += await walk(full, depth + 1);
      } else if (MANIFEST_FILE.test(e.name) && !e.name.startsWith('.')) {
        await readOne(full, true);
        found += 1;
      } else {
        skip(full, MANIFEST_FILE.test(e.name) ? 'hidden-file' : 'not-a-manifest');
      }
    }
    return found;
  };

  for (const path of paths) {
    if (path === '-') {
      if (stdinRead) continue;
      stdinRead = true;
      try {
        const decoded = decodeInput(STDIN_NAME, await options.readStdin(limit), limits);
        if ('source' in decoded) sources.push(decoded.source);
        else diagnostics.push(decoded.diagnostic);
      } catch (err) {
        if (signal?.aborted === true) throw signal.reason;
        diagnostics.push(unreadable(STDIN_NAME, `cannot read stdin: ${errnoText(err)}`, 'Pipe manifests into kubehooks, or pass file paths.'));
      }
      continue;
    }
    let isDir = false;
    try {
      isDir = (await options.fs.stat(path)).isDirectory();
    } catch (err) {
      diagnostics.push(unreadable(path, `cannot read ${path}: ${errnoText(err, path)}`, 'Check the path; pass files, directories or - for stdin.'));
      continue;
    }
    if (isDir) {
      const before = skipped.length;
      const found = await walk(path, 0);
      if (found === 0) {
        // Say what was left out: a manifest in .deploy/ or node_modules/ is there, just not read.
        const left = skipped.slice(before).filter((p) => p.code !== 'not-a-manifest');
        const names = left.slice(0, 3).map((p) => p.path);
        const more = left.length > 3 ? ` and ${left.length - 3} more` : '';
        diagnostics.push(fileDiagnostic(path, UNKNOWN_POSITION, 'no-manifests', 'warning',
          left.length === 0
            ? `${path} contains no *.yaml, *.yml or *.json files`
            : `${path} contains no *.yaml, *.yml or *.json files outside hidden directories, hidden files and node_modules; skipped: ${names.join(', ')}${more}`,
          left.length === 0
            ? 'Pass the directory that holds the manifests, or the files themselves.'
            : `Directory walks skip hidden paths and node_modules; name them to lint them, e.g. kubehooks lint ${left[0]?.path ?? path}`));
      }
    } else {
      await readOne(path, false);
    }
  }
  return { sources, diagnostics, skipped };
}
