/**
 * Glob patterns as Velero evaluates them for namespace and resource lists (gobwas/glob compiled
 * without separators): `*` any run of characters, `?` exactly one character, `[abc]` / `[a-z]`
 * one character of a list or one range, `[!...]` negated, `{a,b}` alternatives, `\` escapes.
 * Compiled to an NFA (below); a pattern gobwas rejects gives an error instead.
 */

export type CompiledGlob = { readonly ok: true; readonly test: (text: string) => boolean } | { readonly ok: false; readonly error: string };

/**
 * Why not a RegExp: V8 compiles a RegExp lazily and throws "Regular expression too large" from
 * `test` for a pattern of about 64 KiB (an annotation or a manifest can carry one), and a
 * backtracking engine is exponential on patterns such as `*a*a*a*b`. The pattern is compiled to a
 * small NFA instead and simulated over a set of states: time O(text × states), never a throw.
 */
type CharTest = (codePoint: number) => boolean;
type State =
  | { readonly kind: 'char'; readonly test: CharTest; next: number }
  | { readonly kind: 'split'; outs: number[] }
  | { readonly kind: 'match' };

type Node =
  | { readonly kind: 'char'; readonly test: CharTest }
  | { readonly kind: 'star' }
  | { readonly kind: 'alt'; readonly options: readonly (readonly Node[])[] };

const ANY: CharTest = () => true;
/** Deeper `{` nesting than this is refused rather than risking the stack. */
const MAX_NESTING = 200;

class GlobSyntaxError extends Error {}

/** Recursive-descent parse; `depth` > 0 inside `{...}` where `,` and `}` are special. */
function parseSeq(chars: readonly string[], start: number, depth: number): { nodes: Node[]; end: number; stop: string | undefined } {
  const nodes: Node[] = [];
  let i = start;
  while (i < chars.length) {
    const ch = chars[i] as string;
    if (depth > 0 && (ch === ',' || ch === '}')) return { nodes, end: i, stop: ch };
    i++;
    switch (ch) {
      case '\\': {
        const next = chars[i];
        if (next === undefined) throw new GlobSyntaxError('unclosed escape');
        nodes.push(literal(next));
        i++;
        break;
      }
      case '*':
        while (chars[i] === '*') i++; // `**` is the same as `*` without separators
        nodes.push({ kind: 'star' });
        break;
      case '?':
        nodes.push({ kind: 'char', test: ANY });
        break;
      case '[': {
        const r = parseClass(chars, i);
        nodes.push({ kind: 'char', test: r.test });
        i = r.end;
        break;
      }
      case '{': {
        if (depth >= MAX_NESTING) throw new GlobSyntaxError(`{...} nested deeper than ${MAX_NESTING}`);
        const options: Node[][] = [];
        for (;;) {
          const r = parseSeq(chars, i, depth + 1);
          options.push(r.nodes);
          if (r.stop === undefined) throw new GlobSyntaxError('unexpected end of input in {...}');
          i = r.end + 1;
          if (r.stop === '}') break;
        }
        nodes.push({ kind: 'alt', options });
        break;
      }
      default:
        nodes.push(literal(ch));
    }
  }
  return { nodes, end: i, stop: undefined };
}

function literal(ch: string): Node {
  const code = ch.codePointAt(0) ?? 0;
  return { kind: 'char', test: (c) => c === code };
}

/** `[` already consumed. gobwas accepts either one range `a-z` or a list of characters. */
function parseClass(chars: readonly string[], start: number): { test: CharTest; end: number } {
  let i = start;
  let negate = false;
  if (chars[i] === '!') {
    negate = true;
    i++;
  }
  const first = chars[i];
  if (first === undefined) throw new GlobSyntaxError('unexpected end of input in [...]');
  if (first !== ']' && chars[i + 1] === '-') {
    const hi = chars[i + 2];
    if (hi === undefined) throw new GlobSyntaxError('unexpected end of input in [...]');
    if (chars[i + 3] !== ']') throw new GlobSyntaxError('expected close range character');
    const lo = first.codePointAt(0) ?? 0;
    const hiCode = hi.codePointAt(0) ?? 0;
    return { test: (c) => (c >= lo && c <= hiCode) !== negate, end: i + 4 };
  }
  const members = new Set<number>();
  while (chars[i] !== ']') {
    let ch = chars[i];
    if (ch === undefined) throw new GlobSyntaxError('unexpected end of input in [...]');
    if (ch === '\\') {
      i++;
      ch = chars[i];
      if (ch === undefined) throw new GlobSyntaxError('unclosed escape');
    }
    members.add(ch.codePointAt(0) ?? 0);
    i++;
  }
  return { test: (c) => members.has(c) !== negate, end: i + 1 };
}

/** Thompson construction, back to front: each node gets the index of what follows it. */
function build(nodes: readonly Node[], next: number, states: State[]): number {
  let target = next;
  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k] as Node;
    if (node.kind === 'char') {
      states.push({ kind: 'char', test: node.test, next: target });
      target = states.length - 1;
    } else if (node.kind === 'star') {
      const loop: State = { kind: 'split', outs: [] };
      states.push(loop);
      const self = states.length - 1;
      states.push({ kind: 'char', test: ANY, next: self });
      loop.outs = [states.length - 1, target];
      target = self;
    } else {
      const outs = node.options.map((option) => build(option, target, states));
      states.push({ kind: 'split', outs });
      target = states.length - 1;
    }
  }
  return target;
}

function matcher(states: readonly State[], start: number): (text: string) => boolean {
  const seen = new Uint32Array(states.length);
  let generation = 0;
  const closure = (roots: readonly number[], into: number[]): void => {
    const stack = [...roots];
    while (stack.length > 0) {
      const s = stack.pop() as number;
      if (seen[s] === generation) continue;
      seen[s] = generation;
      const state = states[s] as State;
      if (state.kind === 'split') for (const out of state.outs) stack.push(out);
      else into.push(s);
    }
  };
  /** The states reachable from `roots` without reading a character (a fresh generation of marks). */
  const step = (roots: readonly number[]): number[] => {
    generation = generation >= 0xfffffffe ? (seen.fill(0), 1) : generation + 1;
    const into: number[] = [];
    closure(roots, into);
    return into;
  };
  return (text) => {
    let current = step([start]);
    for (const ch of text) {
      const code = ch.codePointAt(0) ?? 0;
      const targets: number[] = [];
      for (const s of current) {
        const state = states[s] as State;
        if (state.kind === 'char' && state.test(code)) targets.push(state.next);
      }
      if (targets.length === 0) return false;
      current = step(targets);
    }
    return current.some((s) => states[s]?.kind === 'match');
  };
}

/**
 * Compiled globs by pattern (globSetMatch compiles its list for every name it matches). Only
 * patterns of ordinary size are kept: a hostile manifest's megabyte patterns would otherwise stay in
 * memory with their automata.
 */
const cache = new Map<string, CompiledGlob>();
const CACHE_LIMIT = 512;
const CACHEABLE_PATTERN_CHARS = 1024;

export function compileGlob(pattern: string): CompiledGlob {
  // Without a special character a pattern is its own text, and cannot be malformed.
  if (!/[\\*?[{]/.test(pattern)) return { ok: true, test: (text) => text === pattern };
  const hit = cache.get(pattern);
  if (hit !== undefined) return hit;
  let compiled: CompiledGlob;
  try {
    const { nodes } = parseSeq(Array.from(pattern), 0, 0);
    const states: State[] = [{ kind: 'match' }];
    const start = build(nodes, 0, states);
    compiled = { ok: true, test: matcher(states, start) };
  } catch (error) {
    compiled = { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  if (pattern.length <= CACHEABLE_PATTERN_CHARS) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(pattern, compiled);
  }
  return compiled;
}

/**
 * Velero's globStringSet.match: patterns de-duplicated and sorted, tried in that order; the first
 * pattern that fails to compile makes the whole set report "no match". Returns the matching pattern.
 */
export function globSetMatch(patterns: readonly string[], text: string): string | undefined {
  const sorted = [...new Set(patterns)].sort(compareBytes);
  for (const pattern of sorted) {
    const glob = compileGlob(pattern);
    if (!glob.ok) return undefined;
    if (glob.test(text)) return pattern;
  }
  return undefined;
}

/** Go's string ordering (bytewise UTF-8), which sorts like code points. */
function compareBytes(a: string, b: string): number {
  const ca = Array.from(a);
  const cb = Array.from(b);
  const n = Math.min(ca.length, cb.length);
  for (let i = 0; i < n; i++) {
    const x = ca[i]?.codePointAt(0) ?? 0;
    const y = cb[i]?.codePointAt(0) ?? 0;
    if (x !== y) return x - y;
  }
  return ca.length - cb.length;
}

/** A Velero IncludesExcludes over glob sets. */
export interface IncludesExcludesVerdict {
  readonly included: boolean;
  /** Why not: excluded by a pattern, or not matched by the includes. */
  readonly why?: { readonly kind: 'excluded'; readonly pattern: string } | { readonly kind: 'not-included' };
}

/** Exclusion wins; empty includes or a literal `*` in includes means everything. */
export function includesExcludes(includes: readonly string[], excludes: readonly string[], text: string): IncludesExcludesVerdict {
  const excludedBy = globSetMatch(excludes, text);
  if (excludedBy !== undefined) return { included: false, why: { kind: 'excluded', pattern: excludedBy } };
  if (includes.length === 0 || includes.includes('*')) return { included: true };
  if (globSetMatch(includes, text) !== undefined) return { included: true };
  return { included: false, why: { kind: 'not-included' } };
}
