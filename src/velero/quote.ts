/**
 * Bounds for user text in diagnostic messages and hints. Manifests are untrusted: a 1 MiB pod name
 * or annotation value must not become a 1 MiB message. The JSON fields that carry the data itself
 * (`object`, `key`) are never shortened; only the prose that quotes it is.
 */

/** Longest user value (characters) quoted in full; longer ones keep their head and tail. */
export const MAX_QUOTED_CHARS = 200;

/** Longest message or hint (characters) after quoted values are bounded. */
export const MAX_MESSAGE_CHARS = 1000;

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 4; // a surrogate pair is one 4-byte code point
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/**
 * `text` when it has at most `max` characters, else its head and tail around `…(N bytes)…`, where N
 * is the UTF-8 size of the whole text, `max` characters in all (so eliding again changes nothing).
 * Never splits a surrogate pair.
 */
export function elideMiddle(text: string, max = MAX_QUOTED_CHARS): string {
  if (text.length <= max) return text;
  const marker = `…(${utf8Length(text)} bytes)…`;
  const keep = Math.max(2, max - marker.length);
  let headEnd = Math.ceil(keep / 2);
  let tailStart = text.length - Math.floor(keep / 2);
  if (isHighSurrogate(text.charCodeAt(headEnd - 1))) headEnd -= 1;
  if (isLowSurrogate(text.charCodeAt(tailStart))) tailStart += 1;
  return `${text.slice(0, headEnd)}${marker}${text.slice(tailStart)}`;
}

/** A user value for a message: JSON string syntax (`"web-0"`), its middle elided when long. */
export function quoteValue(text: string, max = MAX_QUOTED_CHARS): string {
  return JSON.stringify(elideMiddle(text, max));
}

/** Shortens one double-quoted token (`"…"` as JSON.stringify writes it) of a message. */
function boundQuoted(token: string, maxRun: number): string {
  let value: unknown;
  try {
    value = JSON.parse(token);
  } catch {
    return `"${elideMiddle(token.slice(1, -1), maxRun)}"`;
  }
  return typeof value === 'string' ? quoteValue(value, maxRun) : `"${elideMiddle(token.slice(1, -1), maxRun)}"`;
}

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\n' || ch === '\t' || ch === '\r';
}

/**
 * Bounds a finished message or hint in one linear pass: every double-quoted string and every run
 * without whitespace longer than `maxRun` keeps only its head and tail (so a quoted value, an
 * annotation key or an object name stays recognisable), then the whole text is cut to `maxTotal`
 * the same way. Short texts come back unchanged. Applied by the diagnostic and issue builders, so
 * call sites quote values as usual.
 */
export function boundMessage(text: string, maxRun = MAX_QUOTED_CHARS, maxTotal = MAX_MESSAGE_CHARS): string {
  if (text.length <= maxRun) return text;
  const parts: string[] = [];
  let quotes = true; // off after an unterminated quote, which keeps the scan linear
  let i = 0;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (isSpace(ch)) {
      parts.push(ch);
      i += 1;
      continue;
    }
    if (ch === '"' && quotes) {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j < text.length) {
        const token = text.slice(i, j + 1);
        parts.push(token.length > maxRun + 2 ? boundQuoted(token, maxRun) : token);
        i = j + 1;
        continue;
      }
      quotes = false;
    }
    let j = i + 1;
    while (j < text.length && !isSpace(text.charAt(j)) && !(quotes && text[j] === '"')) j += 1;
    const run = text.slice(i, j);
    parts.push(run.length > maxRun ? elideMiddle(run, maxRun) : run);
    i = j;
  }
  return elideMiddle(parts.join(''), maxTotal);
}
