/**
 * Every promise in docs/reliability.md and docs/security.md has a test that names it (issue 10).
 *
 * A promise carries a stable id in the doc, `[R-n]` (reliability) or `[S-n]` (security): in each row
 * of a table, in each item of a list, or, for a table or list that is one promise as a whole (a code
 * table checked against the code), in the paragraph right before it. A test names a promise by
 * putting the id in its title (`it('[R-n] …')`). This check fails when:
 * - a table row or list item has no id (and its table or list is not covered as a whole, and it is not
 *   marked `<!-- not a promise: why -->`, as advice is);
 * - a section (`##`) holds no id at all;
 * - an id is defined twice, or with the other doc's prefix;
 * - no test title in the repository names an id;
 * - a promise cites test files (`src/…test.ts`, `e2e/…test.ts`) and none of them names its id, or a
 *   cited file does not exist;
 * - a test title names an id that no doc defines (a stale reference).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { OIDC_EXPIRY_LEEWAY_MS } from './kube/oidc.ts';
import { TOKEN_FILE_REREAD_MS } from './kube/credentials.ts';
import { MAX_WATCH_LINE_BYTES } from './kube/watch-decoder.ts';
import { MAX_CERT_FILE_BYTES } from './admission/server.ts';
import { DEFAULT_LOAD_LIMITS } from './load/limits.ts';
import { DEFAULT_MAX_OUTPUT_BYTES } from './run/ports.ts';
import { WATCH_CLOSE_GRACE_MS } from './run/post-restore-runner.ts';
import { REASON_CODES } from './run/reason-codes.ts';

const repo = join(import.meta.dirname, '..');
export const PROMISE_DOCS = { 'docs/reliability.md': 'R', 'docs/security.md': 'S' } as const;
const ID = /\[([RS]-\d+)\]/g;

export interface Promise_ {
  readonly id: string;
  readonly doc: string;
  readonly line: number;
  /** The row, item or paragraph that carries the id. */
  readonly text: string;
}

interface Block {
  readonly kind: 'table' | 'list' | 'paragraph' | 'heading';
  readonly start: number;
  readonly lines: readonly string[];
}

/** Splits markdown into headings, tables, lists (items with their continuation lines) and paragraphs. */
function blocks(text: string): Block[] {
  const out: Block[] = [];
  const lines = text.split('\n');
  let i = 0;
  let fence = false;
  while (i < lines.length) {
    const line = lines[i] ?? '';
    if (line.startsWith('```')) fence = !fence;
    if (fence || line.trim() === '' || line.startsWith('```')) {
      i++;
      continue;
    }
    const start = i;
    const kind: Block['kind'] = line.startsWith('#') ? 'heading' : line.startsWith('|') ? 'table' : /^- /.test(line) ? 'list' : 'paragraph';
    const taken: string[] = [line];
    i++;
    if (kind !== 'heading') {
      while (i < lines.length) {
        const next = lines[i] ?? '';
        if (next.trim() === '' || next.startsWith('#') || next.startsWith('```')) break;
        if (kind === 'table' && !next.startsWith('|')) break;
        if (kind !== 'table' && next.startsWith('|')) break;
        if (kind === 'paragraph' && /^- /.test(next)) break;
        taken.push(next);
        i++;
      }
    }
    out.push({ kind, start: start + 1, lines: taken });
  }
  // A list interrupted by blank lines is still one list when the next block is a list again.
  return out;
}

/** The units of a table (body rows) or a list (items with continuation lines), with their line numbers. */
function units(block: Block): { line: number; text: string }[] {
  if (block.kind === 'table') {
    return block.lines.slice(2).map((text, k) => ({ line: block.start + 2 + k, text }));
  }
  const items: { line: number; text: string }[] = [];
  block.lines.forEach((text, k) => {
    if (/^- /.test(text)) items.push({ line: block.start + k, text });
    else if (items.length > 0) {
      const last = items[items.length - 1];
      if (last !== undefined) items[items.length - 1] = { line: last.line, text: `${last.text}\n${text}` };
    }
  });
  return items;
}

const idsIn = (text: string): string[] => [...text.matchAll(ID)].map((m) => m[1] ?? '');

export interface DocProblems {
  readonly promises: Promise_[];
  readonly problems: string[];
}

export function readPromises(docs: Readonly<Record<string, string>> = PROMISE_DOCS): DocProblems {
  return parsePromises(Object.entries(docs).map(([doc, prefix]) => ({ doc, prefix, text: readFileSync(join(repo, doc), 'utf8') })));
}

/** The promises of some markdown texts and what is wrong with their ids. */
export function parsePromises(docs: readonly { readonly doc: string; readonly prefix: string; readonly text: string }[]): DocProblems {
  const promises: Promise_[] = [];
  const problems: string[] = [];
  for (const { doc, prefix, text: source } of docs) {
    const all = blocks(source);
    let section = '';
    let sectionIds = 0;
    const closeSection = (): void => {
      if (section !== '' && sectionIds === 0) problems.push(`${doc}: section "${section}" has no promise id`);
    };
    all.forEach((block, k) => {
      if (block.kind === 'heading') {
        if (block.lines[0]?.startsWith('## ') === true) {
          closeSection();
          section = block.lines[0].slice(3);
          sectionIds = 0;
        }
        return;
      }
      const text = block.lines.join('\n');
      for (const id of idsIn(text)) {
        sectionIds++;
        if (!id.startsWith(`${prefix}-`)) problems.push(`${doc}:${block.start}: ${id} belongs in the other doc (ids here start with ${prefix}-)`);
      }
      if (block.kind === 'paragraph') {
        for (const id of idsIn(text)) promises.push({ id, doc, line: block.start, text });
        return;
      }
      const before = all[k - 1];
      const coveredWhole = before !== undefined && before.kind === 'paragraph' && idsIn(before.lines.join('\n')).length > 0;
      for (const unit of units(block)) {
        const ids = idsIn(unit.text);
        if (ids.length === 0 && !coveredWhole && !unit.text.includes('<!-- not a promise')) problems.push(`${doc}:${unit.line}: a ${block.kind === 'table' ? 'table row' : 'list item'} without a promise id: ${unit.text.slice(0, 100)}`);
        for (const id of ids) promises.push({ id, doc, line: unit.line, text: unit.text });
      }
    });
    closeSection();
  }
  const seen = new Map<string, Promise_>();
  for (const p of promises) {
    const first = seen.get(p.id);
    if (first !== undefined) problems.push(`${p.doc}:${p.line}: ${p.id} is already defined at ${first.doc}:${first.line}`);
    else seen.set(p.id, p);
  }
  return { promises, problems };
}

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(repo, dir), { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(path));
    else if (entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

/** Test titles (`it`, `test`, `describe` with a literal first argument) per test file, repository-relative. */
export function testTitles(): Map<string, string[]> {
  const titles = new Map<string, string[]>();
  const call = /\b(?:it|test|describe)\s*\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g;
  for (const dir of ['src', 'e2e', 'scripts', 'examples', 'bench']) {
    if (!existsSync(join(repo, dir))) continue;
    for (const file of testFiles(dir)) {
      const text = readFileSync(join(repo, file), 'utf8');
      titles.set(relative(repo, join(repo, file)), [...text.matchAll(call)].map((m) => m[2] ?? ''));
    }
  }
  return titles;
}

const TITLE_ID = /\[([RS]-\d+)\]/g;

void describe('docs/reliability.md and docs/security.md: every promise has a test that names it (issue 10)', () => {
  const { promises, problems } = readPromises();
  const titles = testTitles();
  const namedIn = new Map<string, Set<string>>();
  for (const [file, list] of titles) {
    for (const title of list) for (const m of title.matchAll(TITLE_ID)) {
      const id = m[1] ?? '';
      if (!namedIn.has(id)) namedIn.set(id, new Set());
      namedIn.get(id)?.add(file);
    }
  }

  void it('every table row and list item carries an id, every section has one, ids are unique', () => {
    assert.ok(promises.length > 0, 'no promise ids found');
    assert.deepEqual(problems, []);
  });

  void it('every promise is named by a test title, and by one in the test files it cites', () => {
    const missing: string[] = [];
    for (const p of promises) {
      const files = namedIn.get(p.id);
      if (files === undefined) {
        missing.push(`${p.doc}:${p.line}: ${p.id} is named by no test title (${p.text.slice(0, 90)})`);
        continue;
      }
      const cited = [...p.text.matchAll(/`((?:src|e2e|scripts|examples|bench)\/[^`\s]+\.test\.ts)`/g)].map((m) => m[1] ?? '');
      // A cited `src/run/*.test.ts` stands for every test file it matches.
      const matches = (pattern: string, file: string): boolean =>
        pattern.includes('*') ? new RegExp(`^${pattern.replace(/[.]/g, '\\.').replace(/\*/g, '[^/]*')}$`).test(file) : pattern === file;
      for (const pattern of cited) {
        if (![...titles.keys()].some((file) => matches(pattern, file))) missing.push(`${p.doc}:${p.line}: ${p.id} cites ${pattern}, which is no test file`);
      }
      if (cited.length > 0 && !cited.some((pattern) => [...files].some((file) => matches(pattern, file)))) {
        missing.push(`${p.doc}:${p.line}: ${p.id} cites ${cited.join(', ')} but it is named only in ${[...files].join(', ')}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  void it('every id a test names is defined in a doc', () => {
    const defined = new Set(promises.map((p) => p.id));
    const stale = [...namedIn].filter(([id]) => !defined.has(id)).map(([id, files]) => `${id} (${[...files].join(', ')})`);
    assert.deepEqual(stale, []);
  });
});

void describe('docs/reliability.md tables kept in step with the code', () => {
  const doc = readFileSync(join(repo, 'docs', 'reliability.md'), 'utf8');
  void it('[R-2] the reasonCode table lists every reason code there is, and no other', () => {
    const start = doc.indexOf('[R-2]');
    const table = doc.slice(start).split('\n\n')[1] ?? '';
    const documented = table
      .split('\n')
      .slice(2)
      .flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([a-z-]+)`/g)].map((m) => m[1] ?? ''));
    assert.deepEqual([...new Set(documented)].sort(), [...REASON_CODES].sort());
  });
});

void describe('the promise checker itself', () => {
  const check = (text: string): string[] => parsePromises([{ doc: 'x.md', prefix: 'R', text }]).problems;
  void it('finds a row without an id, a duplicate id, a section without ids and an id of the other doc', () => {
    const problems = check(['## A', '', '| a | b |', '| - | - |', '| [R-1] one | x |', '| two | y |', '', '## B', '', 'Nothing promised.', '', '## C', '', '- [R-1] again', '- [S-2] wrong doc', ''].join('\n'));
    assert.equal(problems.length, 4, problems.join('\n'));
    assert.match(problems.join('\n'), /x\.md:6: a table row without a promise id: \| two/);
    assert.match(problems.join('\n'), /section "B" has no promise id/);
    assert.match(problems.join('\n'), /R-1 is already defined at x\.md:5/);
    assert.match(problems.join('\n'), /S-2 belongs in the other doc/);
  });
  void it('a table or list is covered whole by an id in the paragraph before it; advice can be marked as no promise', () => {
    assert.deepEqual(check(['## A', '', '[R-1] The table as a whole:', '', '| a |', '| - |', '| x |', '', '- [R-2] a promise', '- advice <!-- not a promise: advice -->', ''].join('\n')), []);
  });
});

void describe('docs: the numbers in the promises are the code\'s', () => {
  const reliability = readFileSync(join(repo, 'docs', 'reliability.md'), 'utf8');
  const security = readFileSync(join(repo, 'docs', 'security.md'), 'utf8');
  const row = (doc: string, id: string): string => doc.split('\n').find((l) => l.includes(`[${id}]`)) ?? '';
  const MiB = 1024 * 1024;
  void it('[R-10] [R-20] [R-12] [R-22] [S-4] [S-8] [S-17] watch close grace, watch line cap, input cap, certificate cap, tokenFile period, oidc leeway, output cap', () => {
    assert.match(row(reliability, 'R-10'), new RegExp(`${WATCH_CLOSE_GRACE_MS / 1000}s for the watch`));
    assert.match(row(reliability, 'R-20'), new RegExp(`one event line at most ${MAX_WATCH_LINE_BYTES / MiB} MiB`));
    assert.match(row(reliability, 'R-12'), new RegExp(`${DEFAULT_LOAD_LIMITS.maxFileChars / MiB} MiB cap`));
    assert.match(row(reliability, 'R-22'), new RegExp(`${MAX_CERT_FILE_BYTES / MiB} MiB cap`));
    assert.match(security, new RegExp(`re-read at most every ${TOKEN_FILE_REREAD_MS / 1000} s`));
    assert.match(security, new RegExp(`valid\\s+for more than ${OIDC_EXPIRY_LEEWAY_MS / 1000} s`));
    assert.match(security, new RegExp(`Output is captured up to ${DEFAULT_MAX_OUTPUT_BYTES / MiB} MiB per stream`));
  });
});
