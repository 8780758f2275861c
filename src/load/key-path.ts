/** One step into a manifest: a mapping key or a sequence index. */
export type PathSegment = string | number;

/**
 * Splits a spec path such as `spec.hooks.resources[0].postHooks[1].exec.execTimeout` into segments.
 * Bracketed quoted keys (`metadata.annotations["a.b/c"]`) keep their dots. Returns undefined when the
 * text is not a path (e.g. an annotation key like `pre.hook.backup.velero.io/command`).
 */
export function parseKeyPath(text: string): PathSegment[] | undefined {
  const segments: PathSegment[] = [];
  let i = 0;
  let expectName = true;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '[') {
      const close = text.indexOf(']', i);
      if (close < 0) return undefined;
      const inner = text.slice(i + 1, close);
      if (/^\d+$/.test(inner)) segments.push(Number(inner));
      else if (/^(["']).*\1$/.test(inner)) segments.push(inner.slice(1, -1));
      else return undefined;
      i = close + 1;
      expectName = false;
    } else if (ch === '.') {
      if (expectName) return undefined;
      i += 1;
      expectName = true;
    } else {
      if (!expectName) return undefined;
      let end = i;
      while (end < text.length && text[end] !== '.' && text[end] !== '[') end += 1;
      const name = text.slice(i, end);
      if (!/^[A-Za-z_$][\w$-]*$/.test(name)) return undefined;
      segments.push(name);
      i = end;
      expectName = false;
    }
  }
  return segments.length > 0 && !expectName ? segments : undefined;
}

/** The inverse of parseKeyPath, for messages: `spec.hooks.resources[0].name`. */
export function formatKeyPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}
