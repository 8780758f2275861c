/**
 * Glob patterns as Velero evaluates them for namespace and resource lists (gobwas/glob compiled
 * without separators): `*` any run of characters, `?` exactly one character, `[abc]` / `[a-z]`
 * one character of a list or one range, `[!...]` negated, `{a,b}` alternatives, `\` escapes.
 * Compiled to a RegExp; a pattern gobwas rejects gives an error instead.
 */

export type CompiledGlob = { readonly ok: true; readonly test: (text: string) => boolean } | { readonly ok: false; readonly error: string };

function escapeRegExpChar(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

/** Inside a character class (unicode mode) only these need escaping. */
function escapeClassChar(ch: string): string {
  return /[\\\][^-]/.test(ch) ? `\\${ch}` : ch;
}

class GlobSyntaxError extends Error {}

/** Recursive-descent translation; `depth` > 0 inside `{...}` where `,` and `}` are special. */
function translate(chars: readonly string[], start: number, depth: number): { source: string; end: number; stop: string | undefined } {
  let out = '';
  let i = start;
  while (i < chars.length) {
    const ch = chars[i] as string;
    if (depth > 0 && (ch === ',' || ch === '}')) return { source: out, end: i, stop: ch };
    i++;
    switch (ch) {
      case '\\': {
        const next = chars[i];
        if (next === undefined) throw new GlobSyntaxError('unclosed escape');
        out += escapeRegExpChar(next);
        i++;
        break;
      }
      case '*':
        while (chars[i] === '*') i++; // `**` is the same as `*` without separators
        out += '[\\s\\S]*';
        break;
      case '?':
        out += '[\\s\\S]';
        break;
      case '[': {
        const r = translateClass(chars, i);
        out += r.source;
        i = r.end;
        break;
      }
      case '{': {
        const alternatives: string[] = [];
        for (;;) {
          const r = translate(chars, i, depth + 1);
          alternatives.push(r.source);
          if (r.stop === undefined) throw new GlobSyntaxError('unexpected end of input in {...}');
          i = r.end + 1;
          if (r.stop === '}') break;
        }
        out += `(?:${alternatives.join('|')})`;
        break;
      }
      default:
        out += escapeRegExpChar(ch);
    }
  }
  return { source: out, end: i, stop: undefined };
}

/** `[` already consumed. gobwas accepts either one range `a-z` or a list of characters. */
function translateClass(chars: readonly string[], start: number): { source: string; end: number } {
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
    const inner = lo <= hiCode ? `${escapeClassChar(first)}-${escapeClassChar(hi)}` : '';
    return { source: classSource(inner, negate), end: i + 4 };
  }
  let list = '';
  while (chars[i] !== ']') {
    let ch = chars[i];
    if (ch === undefined) throw new GlobSyntaxError('unexpected end of input in [...]');
    if (ch === '\\') {
      i++;
      ch = chars[i];
      if (ch === undefined) throw new GlobSyntaxError('unclosed escape');
    }
    list += escapeClassChar(ch);
    i++;
  }
  return { source: classSource(list, negate), end: i + 1 };
}

function classSource(inner: string, negate: boolean): string {
  if (inner === '') return negate ? '[\\s\\S]' : '(?!)';
  return negate ? `[^${inner}]` : `[${inner}]`;
}

export function compileGlob(pattern: string): CompiledGlob {
  try {
    const { source } = translate(Array.from(pattern), 0, 0);
    const re = new RegExp(`^(?:${source})$`, 'u');
    return { ok: true, test: (text) => re.test(text) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
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
