import { LineCounter, isAlias, isCollection, isScalar, parseAllDocuments, visit } from 'yaml';
import type { Document } from 'yaml';
import type { Diagnostic } from '../model/diagnostic.ts';
import { DEFAULT_LOAD_LIMITS, exceedsDepth, scanNesting } from './limits.ts';
import type { LoadLimits } from './limits.ts';
import { findDuplicateKeys } from './duplicate-keys.ts';
import type { DuplicateKey } from './duplicate-keys.ts';
import { formatKeyPath } from './key-path.ts';
import { fixedPositions, UNKNOWN_POSITION, yamlDocumentPositions } from './positions.ts';
import type { DocumentPositions, Position } from './positions.ts';
import { fileDiagnostic, isJsonFile } from './source.ts';
import type { SourceText } from './source.ts';
import { NO_COUNTER } from './work-counter.ts';
import type { WorkCounter } from './work-counter.ts';

/** One document of a file, decoded, with a way back to positions in the text. */
export interface ParsedDocument {
  readonly file: string;
  /** 0-based index of the document in its file. */
  readonly index: number;
  readonly format: 'yaml' | 'json';
  /** The decoded value (plain JSON-like data); null for an empty document. */
  readonly value: unknown;
  readonly positions: DocumentPositions;
  /** The YAML document, kept so `inject` can edit it and keep comments and layout. */
  readonly yaml: Document | undefined;
  /** YAML only: the whole file text (node ranges are offsets into it) and this document's span in it, comments before it included. */
  readonly source?: { readonly text: string; readonly start: number; readonly end: number };
}

export interface ParseSourceResult {
  readonly documents: readonly ParsedDocument[];
  readonly diagnostics: readonly Diagnostic[];
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * Pure: text in, documents and syntax diagnostics out. Never throws on bad input. `counter` sees the
 * per-key work (duplicate-key check, position lookups), for tests of how it grows.
 */
export function parseSource(
  source: SourceText,
  limits: LoadLimits = DEFAULT_LOAD_LIMITS,
  counter: WorkCounter = NO_COUNTER,
): ParseSourceResult {
  const { file, text } = source;
  const lineCounter = new LineCounter();
  const posOf = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  if (text.length > limits.maxFileChars) {
    return {
      documents: [],
      diagnostics: [
        fileDiagnostic(file, UNKNOWN_POSITION, 'input-too-large', 'error',
          `${file} is ${text.length} characters, more than the ${limits.maxFileChars} kubehooks reads`,
          'Split the manifests into smaller files, or lint only the files that carry hooks.'),
      ],
    };
  }
  const nesting = scanNesting(text, limits);
  if (nesting !== undefined) {
    // Count lines without the parser, which is what we refuse to run.
    const before = text.slice(0, nesting.offset);
    const line = before.split('\n').length;
    const column = nesting.offset - before.lastIndexOf('\n');
    return {
      documents: [],
      diagnostics: [
        fileDiagnostic(file, { line, column }, 'input-too-deep', 'error',
          `${file} nests ${nesting.what}; refusing to parse it`,
          'Kubernetes manifests are never this deep: check that this is the file you meant.'),
      ],
    };
  }
  return isJsonFile(file) ? parseJson(source, limits, counter) : parseYaml(source, limits, lineCounter, posOf, counter);
}

function parseYaml(
  source: SourceText,
  limits: LoadLimits,
  lineCounter: LineCounter,
  posOf: (offset: number) => Position,
  counter: WorkCounter,
): ParseSourceResult {
  const { file, text } = source;
  const documents: ParsedDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  let docs: Document.Parsed[];
  try {
    // YAML 1.1 like kubectl (sigs.k8s.io/yaml): `yes` is a boolean, merge keys work.
    // uniqueKeys: false — the package's duplicate-key check is O(n²) per mapping; findDuplicateKeys is O(n).
    const parsed = parseAllDocuments(text, { lineCounter, version: '1.1', prettyErrors: false, uniqueKeys: false });
    docs = Array.isArray(parsed) ? parsed : [];
  } catch (err) {
    return { documents, diagnostics: [syntaxFailure(file, 'yaml-syntax', err)] };
  }
  if (docs.length > limits.maxDocuments) {
    diagnostics.push(fileDiagnostic(file, UNKNOWN_POSITION, 'input-too-large', 'error',
      `${file} has ${docs.length} documents, more than the ${limits.maxDocuments} kubehooks reads`,
      'Split the manifests into smaller files.'));
    docs = docs.slice(0, limits.maxDocuments);
  }
  docs.forEach((doc, index) => {
    const docStart = doc.range[0];
    if (doc.errors.length > 0) {
      for (const e of doc.errors.slice(0, 5)) {
        diagnostics.push(fileDiagnostic(file, posOf(e.pos[0]), 'yaml-syntax', 'error',
          `YAML syntax error in document ${index + 1} of ${file}: ${firstLine(e.message)}`,
          yamlHint(e.code)));
      }
      return;
    }
    const duplicates = findDuplicateKeys(doc.contents, counter);
    if (duplicates.length > 0) {
      diagnostics.push(...duplicateKeyDiagnostics(file, index, duplicates, posOf));
      return;
    }
    const unresolved = unresolvedAlias(doc);
    if (unresolved !== undefined) {
      diagnostics.push(fileDiagnostic(file, posOf(unresolved.offset), 'yaml-syntax', 'error',
        `document ${index + 1} of ${file} cannot be decoded: the alias *${unresolved.name} names no anchor defined before it`,
        'Fix the YAML so that `kubectl apply --dry-run=client -f` accepts it.'));
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: limits.maxAliasCount });
    } catch (err) {
      // yaml gives toJS's errors no code; an alias expansion over maxAliasCount is its only ReferenceError
      // here (unresolved aliases are document errors, reported above), so the class tells them apart.
      const alias = err instanceof ReferenceError;
      diagnostics.push(fileDiagnostic(file, posOf(docStart), alias ? 'yaml-aliases' : 'yaml-syntax', 'error',
        alias
          ? `document ${index + 1} of ${file} expands YAML aliases more than ${limits.maxAliasCount} times`
          : `document ${index + 1} of ${file} cannot be decoded: ${err instanceof Error ? firstLine(err.message) : String(err)}`,
        alias
          ? 'Write the repeated values out instead of using anchors and aliases (this looks like an alias bomb).'
          : 'Fix the YAML so that `kubectl apply --dry-run=client -f` accepts it.'));
      return;
    }
    if (exceedsDepth(value, limits.maxDepth)) {
      diagnostics.push(fileDiagnostic(file, posOf(docStart), 'input-too-deep', 'error',
        `document ${index + 1} of ${file} nests more than ${limits.maxDepth} levels; skipped`,
        'Kubernetes manifests are never this deep: check that this is the file you meant.'));
      return;
    }
    documents.push({
      file, index, format: 'yaml', value: value ?? null,
      positions: yamlDocumentPositions(doc.contents, lineCounter, docStart, counter),
      yaml: doc,
      source: { text, start: index === 0 ? 0 : (docs[index - 1]?.range[2] ?? docStart), end: doc.range[2] },
    });
  });
  return { documents, diagnostics };
}

function parseJson(source: SourceText, limits: LoadLimits, counter: WorkCounter): ParseSourceResult {
  const { file, text } = source;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { documents: [], diagnostics: [jsonSyntax(file, text, err)] };
  }
  if (exceedsDepth(value, limits.maxDepth)) {
    return {
      documents: [],
      diagnostics: [fileDiagnostic(file, { line: 1, column: 1 }, 'input-too-deep', 'error',
        `${file} nests more than ${limits.maxDepth} levels; skipped`,
        'Kubernetes manifests are never this deep: check that this is the file you meant.')],
    };
  }
  // JSON is valid YAML 1.2 flow: parse it again only to know where keys are.
  let positions: DocumentPositions = fixedPositions({ line: 1, column: 1 });
  let yamlDoc: Document | undefined;
  try {
    const lineCounter = new LineCounter();
    const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: false });
    const doc = Array.isArray(docs) ? docs[0] : undefined;
    if (doc !== undefined && doc.errors.length === 0) {
      positions = yamlDocumentPositions(doc.contents, lineCounter, doc.range[0], counter);
      yamlDoc = doc;
    }
  } catch {
    // positions stay at 1:1
  }
  return { documents: [{ file, index: 0, format: 'json', value, positions, yaml: yamlDoc }], diagnostics: [] };
}

function jsonSyntax(file: string, text: string, err: unknown): Diagnostic {
  const message = err instanceof Error ? err.message : String(err);
  let position: Position = { line: 1, column: 1 };
  const lc = /\(line (\d+) column (\d+)\)/.exec(message);
  const at = /at position (\d+)/.exec(message);
  if (lc !== null) position = { line: Number(lc[1]), column: Number(lc[2]) };
  else if (at !== null) {
    const before = text.slice(0, Number(at[1]));
    position = { line: before.split('\n').length, column: before.length - before.lastIndexOf('\n') };
  } else if (/end of JSON input/.test(message)) {
    const lines = text.split('\n');
    position = { line: lines.length, column: (lines.at(-1) ?? '').length + 1 };
  }
  const short = message.replace(/, ".*" is not valid JSON$/s, '').replace(/ in JSON at position \d+.*$/s, '');
  return fileDiagnostic(file, position, 'json-syntax', 'error', `JSON syntax error in ${file}: ${short}`,
    'Fix the JSON (a trailing comma or a missing quote is the usual cause); `.json` files are read as strict JSON.');
}

/** At most this many duplicate keys are reported per document (like syntax errors). */
const MAX_DUPLICATE_REPORTS = 5;

function duplicateKeyDiagnostics(
  file: string,
  index: number,
  duplicates: readonly DuplicateKey[],
  posOf: (offset: number) => Position,
): Diagnostic[] {
  const shown = duplicates.slice(0, MAX_DUPLICATE_REPORTS);
  const more = duplicates.length - shown.length;
  return shown.map((d, i) => {
    const path = formatKeyPath(d.path);
    const first = posOf(d.firstOffset);
    const rest = i === shown.length - 1 && more > 0 ? ` (${more} more duplicate key${more === 1 ? '' : 's'} in this document not shown)` : '';
    return fileDiagnostic(file, posOf(d.offset), 'yaml-duplicate-key', 'error',
      `document ${index + 1} of ${file} has the key ${path} twice (first at line ${first.line}); the document is skipped${rest}`,
      'Remove one of the two keys: Kubernetes rejects a mapping with a key written twice.',
      path);
  });
}

function syntaxFailure(file: string, code: string, err: unknown): Diagnostic {
  return fileDiagnostic(file, { line: 1, column: 1 }, code, 'error',
    `${file} cannot be parsed: ${err instanceof Error ? firstLine(err.message) : String(err)}`,
    'Fix the YAML so that `kubectl apply --dry-run=client -f` accepts it.');
}

function yamlHint(code: string): string {
  switch (code) {
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
    case 'UNEXPECTED_TOKEN':
      return 'Check indentation and brackets around this position; quote values that contain `: `, `#` or start with `[`, `{`, `*`, `&`.';
    case 'TAB_AS_INDENT':
      return 'Indent with spaces, not tabs.';
    default:
      return 'Fix the YAML so that `kubectl apply --dry-run=client -f` accepts it.';
  }
}

/**
 * The first alias whose anchor is not defined before it, in yaml's own order (an alias resolves to the
 * last node before it with that anchor). yaml reports it only from toJS, as a ReferenceError, like an
 * alias expansion over maxAliasCount: looking first keeps the two apart without reading the message.
 */
function unresolvedAlias(doc: Document.Parsed): { readonly name: string; readonly offset: number } | undefined {
  const anchors = new Set<string>();
  let found: { name: string; offset: number } | undefined;
  visit(doc, {
    Node: (_key, node) => {
      if (isAlias(node)) {
        if (anchors.has(node.source)) return undefined;
        found = { name: node.source, offset: node.range?.[0] ?? doc.range[0] };
        return visit.BREAK;
      }
      if ((isScalar(node) || isCollection(node)) && node.anchor !== undefined && node.anchor !== '') anchors.add(node.anchor);
      return undefined;
    },
  });
  return found;
}
