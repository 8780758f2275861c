/**
 * Framing of a watch stream: newline-delimited JSON, decoded as one UTF-8 stream. Chunk boundaries
 * fall anywhere, also inside a multi-byte character; decoding each chunk on its own turned such a
 * character into U+FFFD (issue 10). A line longer than `maxLineBytes` (no API object comes close: etcd
 * refuses objects over 1.5 MiB by default) is an error, so a server that never sends a newline cannot
 * make the client buffer without bound.
 */
export const MAX_WATCH_LINE_BYTES = 16 * 1024 * 1024;

export class WatchLineDecoder {
  readonly #decoder = new TextDecoder('utf-8');
  readonly #what: string;
  readonly #maxLineBytes: number;
  #pending = '';

  constructor(what: string, maxLineBytes = MAX_WATCH_LINE_BYTES) {
    this.#what = what;
    this.#maxLineBytes = maxLineBytes;
  }

  /** The complete, non-blank lines this chunk finishes, trimmed. */
  push(chunk: Uint8Array): string[] {
    this.#pending += this.#decoder.decode(chunk, { stream: true });
    const lines: string[] = [];
    let start = 0;
    let newline: number;
    while ((newline = this.#pending.indexOf('\n', start)) >= 0) {
      const line = this.#pending.slice(start, newline).trim();
      start = newline + 1;
      if (line !== '') lines.push(line);
    }
    this.#pending = this.#pending.slice(start);
    // UTF-16 length is at most the UTF-8 byte length, so this bound is never early.
    if (this.#pending.length > this.#maxLineBytes) {
      throw new Error(`${this.#what}: a watch event is longer than ${this.#maxLineBytes} bytes`);
    }
    return lines;
  }
}
