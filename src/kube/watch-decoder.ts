/**
 * The watch stream as a pure decoder: bytes in, events out (pod-watcher.ts does the I/O).
 *
 * Framing: newline-delimited JSON, decoded as one UTF-8 stream. Chunk boundaries fall anywhere, also
 * inside a multi-byte character; decoding each chunk on its own turned such a character into U+FFFD
 * (issue 10). A line longer than `maxLineBytes` (no API object comes close: etcd refuses objects over
 * 1.5 MiB by default) is a WatchEventTooLargeError, so a server that never sends a newline cannot make
 * the client buffer without bound. A line that is not an event is a MalformedWatchEventError.
 */
import { MalformedWatchEventError, WatchEventTooLargeError, type ApiStatusDetails } from './errors.ts';
import { isRecord, watchErrorDetails } from './status.ts';

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
      throw new WatchEventTooLargeError(`${this.#what}: a watch event is longer than ${this.#maxLineBytes} bytes`);
    }
    return lines;
  }
}

/** One watch event (`metav1.WatchEvent`), with the object still unvalidated JSON. */
export type WatchEvent =
  | { readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'; readonly object: unknown }
  /** Only the resourceVersion to resume from is kept (undefined when the bookmark carries none). */
  | { readonly type: 'BOOKMARK'; readonly resourceVersion: string | undefined }
  /** The Status the server ended the watch with; 410 means relist. */
  | { readonly type: 'ERROR'; readonly status: ApiStatusDetails }
  /** A type this client does not know: skipped, as client-go does. */
  | { readonly type: 'unknown'; readonly name: string };

/** Decodes one line; throws MalformedWatchEventError when it is not JSON or not an event. */
export function decodeWatchEvent(line: string, what: string): WatchEvent {
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch (error) {
    throw new MalformedWatchEventError(`${what}: unreadable watch event`, { cause: error });
  }
  if (!isRecord(event) || typeof event['type'] !== 'string') throw new MalformedWatchEventError(`${what}: malformed watch event`);
  const object = event['object'];
  switch (event['type']) {
    case 'ADDED':
    case 'MODIFIED':
    case 'DELETED':
      return { type: event['type'], object };
    case 'BOOKMARK': {
      const meta = isRecord(object) ? object['metadata'] : undefined;
      const rv = isRecord(meta) && typeof meta['resourceVersion'] === 'string' ? meta['resourceVersion'] : undefined;
      return { type: 'BOOKMARK', resourceVersion: rv };
    }
    case 'ERROR':
      return { type: 'ERROR', status: watchErrorDetails(object) };
    default:
      return { type: 'unknown', name: event['type'] };
  }
}
