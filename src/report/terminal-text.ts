/**
 * The one place where untrusted text (annotations, pod and container names, hook output, file names,
 * API server messages) is made safe for a terminal. Every text renderer and every stderr line that
 * carries such text goes through `terminalSafe`; JSON renderers do not (JSON stays exact).
 *
 * Escaping is visible, never silent removal: a reader sees that the text held a control character.
 * Escaped: C0 controls (ESC, CR, BEL, backspace, newline, tab …), DEL, C1 controls (U+0080–U+009F; U+009B
 * is a one-byte CSI on some terminals), the Unicode line and paragraph separators, and the bidi
 * embedding/override/isolate controls (which reorder what is shown: "Trojan Source"). A backslash is
 * left alone, so `\x1b` typed literally and an escaped ESC look alike; neither reaches the terminal as
 * a control, which is what matters for forging a line.
 */

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeOne(ch: string): string {
  const named = NAMED[ch];
  if (named !== undefined) return named;
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One line of untrusted text, safe to print: control characters (newlines included) become visible escapes. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, escapeOne);
}

/**
 * Multi-line untrusted text (hook output): each line made safe on its own; the line breaks stay. A CR
 * right before a line break (CRLF output) is a line ending, not an overwrite, and is dropped.
 */
export function terminalSafeLines(text: string): string[] {
  return text.split(/\r?\n/).map(terminalSafe);
}
