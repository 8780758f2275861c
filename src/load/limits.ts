/** Bounds that keep hostile input (huge files, alias bombs, deep nesting) from exhausting memory. */
export interface LoadLimits {
  /** Characters per file (default 8 MiB); larger inputs are refused with `input-too-large`. */
  readonly maxFileChars: number;
  /** YAML alias dereferences per document (the `yaml` package's `maxAliasCount`). */
  readonly maxAliasCount: number;
  /** Nesting depth of the decoded value and of flow collections in the text. */
  readonly maxDepth: number;
  /** Leading indentation / `- ` run on one line: bounds block-style nesting before parsing. */
  readonly maxIndent: number;
  /** Documents per file. */
  readonly maxDocuments: number;
}

export const DEFAULT_LOAD_LIMITS: LoadLimits = {
  maxFileChars: 8 * 1024 * 1024,
  maxAliasCount: 100,
  maxDepth: 128,
  maxIndent: 1000,
  maxDocuments: 10_000,
};

export interface NestingProblem {
  readonly offset: number;
  readonly what: string;
}

/**
 * A quick scan before parsing: the `yaml` parser recurses per nesting level and aborts the process
 * (out of memory) on tens of thousands of `[`, so refuse such text up front. Quoted strings and
 * comments are skipped approximately; the check only needs to be conservative for real manifests.
 */
export function scanNesting(text: string, limits: LoadLimits): NestingProblem | undefined {
  let depth = 0;
  let lineStart = true;
  let indent = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\n') {
      lineStart = true;
      indent = 0;
      continue;
    }
    if (lineStart) {
      if (ch === ' ' || ch === '\t' || ch === '-' || ch === '?' || ch === ':') {
        indent += 1;
        if (indent > limits.maxIndent) return { offset: i, what: `indentation deeper than ${limits.maxIndent} columns` };
        continue;
      }
      lineStart = false;
    }
    if (ch === '"' || ch === "'") {
      // Skip a quoted scalar on this line (multi-line quoted scalars are rare in manifests).
      let j = i + 1;
      while (j < text.length && text[j] !== ch && text[j] !== '\n') j += ch === '"' && text[j] === '\\' ? 2 : 1;
      i = Math.min(j, text.length - 1);
      if (text[i] === '\n') i -= 1;
    } else if (ch === '#' && (i === 0 || text[i - 1] === ' ' || text[i - 1] === '\t')) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i += 1;
    } else if (ch === '[' || ch === '{') {
      depth += 1;
      if (depth > limits.maxDepth) return { offset: i, what: `more than ${limits.maxDepth} nested [ or {` };
    } else if ((ch === ']' || ch === '}') && depth > 0) {
      depth -= 1;
    }
  }
  return undefined;
}

/** Depth of a decoded value, iteratively (the value itself may be too deep to recurse over). */
export function exceedsDepth(value: unknown, maxDepth: number): boolean {
  const stack: { v: unknown; d: number }[] = [{ v: value, d: 0 }];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const top = stack.pop();
    if (top === undefined) break;
    const { v, d } = top;
    if (v === null || typeof v !== 'object') continue;
    if (d > maxDepth) return true;
    if (seen.has(v)) continue;
    seen.add(v);
    const children: unknown[] = Array.isArray(v) ? v : Object.values(v);
    for (const c of children) stack.push({ v: c, d: d + 1 });
  }
  return false;
}
