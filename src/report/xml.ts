/**
 * XML text for attributes and element content. Untrusted text (hook output, pod names, annotation
 * values) may hold anything: the five markup characters are escaped, and characters XML 1.0 cannot
 * carry at all (C0 controls other than tab/LF/CR, lone surrogates, U+FFFE/U+FFFF) become U+FFFD.
 */
export function xmlEscape(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += text[i] ?? '';
        out += text[i + 1] ?? '';
        i += 1;
      } else out += '\uFFFD';
      continue;
    }
    if (c >= 0xdc00 && c <= 0xdfff) {
      out += '\uFFFD';
      continue;
    }
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0xfffe || c === 0xffff) {
      out += '\uFFFD';
      continue;
    }
    switch (c) {
      case 0x26: out += '&amp;'; break;
      case 0x3c: out += '&lt;'; break;
      case 0x3e: out += '&gt;'; break;
      case 0x22: out += '&quot;'; break;
      case 0x27: out += '&apos;'; break;
      // Attribute values normalise raw newlines and tabs to spaces; keep them as references.
      case 0x0a: out += '&#10;'; break;
      case 0x0d: out += '&#13;'; break;
      case 0x09: out += '&#9;'; break;
      default: out += text[i] ?? '';
    }
  }
  return out;
}

/** `<name a="v" …>` attributes, in the given order; undefined values are left out. */
export function xmlAttrs(attrs: Readonly<Record<string, string | number | undefined>>): string {
  return Object.entries(attrs)
    .filter((e): e is [string, string | number] => e[1] !== undefined)
    .map(([k, v]) => ` ${k}="${xmlEscape(String(v))}"`)
    .join('');
}
