/**
 * Go's `time.ParseDuration` and `Duration.String()`, reproduced exactly (grammar, overflow rules,
 * rounding of fractions, error texts). Velero parses every hook timeout with them, and prints
 * `timed out after <d>` with the latter, so both must match byte for byte.
 */

export type GoDurationResult = { readonly ok: true; readonly ns: bigint } | { readonly ok: false; readonly error: string };

const NS = 1n;
const US = 1000n * NS;
const MS = 1000n * US;
const SECOND = 1000n * MS;
const MINUTE = 60n * SECOND;
const HOUR = 60n * MINUTE;

const UNITS: ReadonlyMap<string, bigint> = new Map([
  ['ns', NS],
  ['us', US],
  ['\u00b5s', US], // U+00B5 micro sign
  ['\u03bcs', US], // U+03BC Greek small letter mu
  ['ms', MS],
  ['s', SECOND],
  ['m', MINUTE],
  ['h', HOUR],
]);

const TWO_63 = 1n << 63n;
const MAX_INT64 = TWO_63 - 1n;

const encoder = new TextEncoder();

/** Go's time.quote: ASCII printable kept (with `"` and `\` escaped), everything else as \xNN bytes. */
export function goTimeQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (code >= 0x80 || code < 0x20) {
      for (const byte of encoder.encode(ch)) out += `\\x${byte.toString(16).padStart(2, '0')}`;
    } else {
      if (ch === '"' || ch === '\\') out += '\\';
      out += ch;
    }
  }
  return out + '"';
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** Parses like Go's time.ParseDuration. Never throws. */
export function parseGoDuration(text: string): GoDurationResult {
  const invalid = (): GoDurationResult => ({ ok: false, error: `time: invalid duration ${goTimeQuote(text)}` });
  let s = text;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return { ok: true, ns: 0n };
  if (s === '') return invalid();

  let d = 0n;
  while (s !== '') {
    const first = s[0];
    if (!(first === '.' || isDigit(first))) return invalid();

    // Integer part, with Go's overflow checks (the value may not exceed 1<<63).
    let v = 0n;
    let i = 0;
    for (; i < s.length && isDigit(s[i]); i++) {
      if (v > TWO_63 / 10n) return invalid();
      v = v * 10n + BigInt(s.charCodeAt(i) - 48);
      if (v > TWO_63) return invalid();
    }
    const pre = i > 0;
    s = s.slice(i);

    // Fraction: stops accumulating precision on overflow instead of failing.
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s !== '' && s[0] === '.') {
      s = s.slice(1);
      let j = 0;
      let overflow = false;
      for (; j < s.length && isDigit(s[j]); j++) {
        if (overflow) continue;
        if (f > MAX_INT64 / 10n) {
          overflow = true;
          continue;
        }
        const y = f * 10n + BigInt(s.charCodeAt(j) - 48);
        if (y > TWO_63) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) return invalid();

    let u = 0;
    while (u < s.length && !(s[u] === '.' || isDigit(s[u]))) u++;
    if (u === 0) return { ok: false, error: `time: missing unit in duration ${goTimeQuote(text)}` };
    const unitText = s.slice(0, u);
    s = s.slice(u);
    const unit = UNITS.get(unitText);
    if (unit === undefined) {
      return { ok: false, error: `time: unknown unit ${goTimeQuote(unitText)} in duration ${goTimeQuote(text)}` };
    }
    if (v > TWO_63 / unit) return invalid();
    v *= unit;
    if (f > 0n) {
      // Same float64 arithmetic as Go: float64(f) * (float64(unit) / scale), truncated.
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > TWO_63) return invalid();
    }
    d += v;
    if (d > TWO_63) return invalid();
  }
  if (neg) return { ok: true, ns: -d };
  if (d > MAX_INT64) return invalid();
  return { ok: true, ns: d };
}

/** Formats the fraction v/10^prec without trailing zeros (and without the dot when it is 0). */
function fmtFrac(v: bigint, prec: number): { text: string; rest: bigint } {
  let text = '';
  let print = false;
  for (let i = 0; i < prec; i++) {
    const digit = v % 10n;
    print = print || digit !== 0n;
    if (print) text = digit.toString() + text;
    v /= 10n;
  }
  if (print) text = '.' + text;
  return { text, rest: v };
}

/** Go's Duration.String(). The input is wrapped to int64 like a Go Duration. */
export function formatGoDuration(ns: bigint): string {
  const d = BigInt.asIntN(64, ns);
  const neg = d < 0n;
  let u = neg ? -d : d; // -MinInt64 stays representable as a bigint, matching Go's uint64 negation
  let out: string;
  if (u < SECOND) {
    if (u === 0n) return '0s';
    let unit: string;
    let prec: number;
    if (u < US) {
      unit = 'ns';
      prec = 0;
    } else if (u < MS) {
      unit = '\u00b5s';
      prec = 3;
    } else {
      unit = 'ms';
      prec = 6;
    }
    const frac = fmtFrac(u, prec);
    out = frac.rest.toString() + frac.text + unit;
  } else {
    const frac = fmtFrac(u, 9);
    u = frac.rest;
    out = (u % 60n).toString() + frac.text + 's';
    u /= 60n;
    if (u > 0n) {
      out = (u % 60n).toString() + 'm' + out;
      u /= 60n;
      if (u > 0n) out = u.toString() + 'h' + out;
    }
  }
  return neg ? '-' + out : out;
}

/** Nanoseconds to (possibly fractional) milliseconds, exact for the integer part. */
export function nsToMs(ns: bigint): number {
  return Number(ns / MS) + Number(ns % MS) / 1e6;
}

/** Milliseconds (possibly fractional) to nanoseconds, rounded to the nearest nanosecond. */
export function msToNs(ms: number): bigint {
  if (!Number.isFinite(ms)) return 0n;
  const whole = Math.trunc(ms);
  return BigInt(whole) * MS + BigInt(Math.round((ms - whole) * 1e6));
}

/** Go-style text for a millisecond value, e.g. 30000 → `30s`, 90000 → `1m30s`. */
export function formatMs(ms: number): string {
  return formatGoDuration(msToNs(ms));
}
