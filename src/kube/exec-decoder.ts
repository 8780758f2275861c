/**
 * The exec channel protocol as a pure decoder: what a channel (exec-channel.ts) delivers goes in —
 * the upgrade accepted, binary frames, a failure, the close — and stdout, stderr and a decision come
 * out. No socket, no timer, no clock: the table tests in exec-decoder.test.ts pin v4 and v5 frames,
 * the status channel, close frames and oversized statuses.
 *
 * Framing (v4.channel.k8s.io and v5.channel.k8s.io): every binary message is one channel byte and
 * its payload; 1 stdout, 2 stderr, 3 the JSON Status that ends the exec. v5 adds 255, "stream closed"
 * (payload: the channel it closes), which ends nothing here: the Status does. Text messages, empty
 * frames and unknown channels are ignored, never thrown about.
 */
import type { ExecErrorCode } from '../run/ports.ts';
import { KubeError, errorText } from './errors.ts';
import { ExecStatusBuffer, type ExecStatusVerdict } from './exec-status.ts';

export const STDIN_CHANNEL = 0;
export const STDOUT_CHANNEL = 1;
export const STDERR_CHANNEL = 2;
export const STATUS_CHANNEL = 3;
/** v5: `[255, channel]` says that channel's stream is closed. */
export const CLOSE_CHANNEL = 255;

/** How an exec ended, as far as the channel can tell; the executor adds pod lookups for refusals and failures. */
export type ExecDecision =
  | { readonly kind: 'status'; readonly verdict: ExecStatusVerdict }
  | { readonly kind: 'error'; readonly code: ExecErrorCode; readonly message: string };

export interface ExecFrameDecoderOptions {
  /** Names the exec in messages: `app in pod ns/p`. */
  readonly where: string;
  /** The API server, for messages. */
  readonly server: string;
  /** Cap per stream, in bytes. */
  readonly maxOutputBytes: number;
}

/**
 * One exec's frames. Each method returns the decision once one is reached (a readable Status, a
 * failure before the upgrade, the close), else undefined; the caller stops feeding it then.
 */
export class ExecFrameDecoder {
  readonly #where: string;
  readonly #server: string;
  readonly #stdout: CappedBuffer;
  readonly #stderr: CappedBuffer;
  readonly #status = new ExecStatusBuffer();
  #opened = false;
  /** What broke the stream after the upgrade, quoted when it closes. */
  #streamError: Error | undefined;

  constructor(options: ExecFrameDecoderOptions) {
    this.#where = options.where;
    this.#server = options.server;
    this.#stdout = new CappedBuffer(options.maxOutputBytes);
    this.#stderr = new CappedBuffer(options.maxOutputBytes);
  }

  get opened(): boolean {
    return this.#opened;
  }

  /** The upgrade was accepted (v4 and v5 frame alike up to channel 3). */
  open(): void {
    this.#opened = true;
  }

  frame(data: Uint8Array): ExecDecision | undefined {
    if (data.length === 0) return undefined;
    const channel = data[0];
    const payload = data.subarray(1);
    if (channel === STDOUT_CHANNEL) this.#stdout.push(payload);
    else if (channel === STDERR_CHANNEL) this.#stderr.push(payload);
    else if (channel === STATUS_CHANNEL) {
      const verdict = this.#status.push(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
      if (verdict !== undefined) return { kind: 'status', verdict };
    }
    // CLOSE_CHANNEL (v5) and anything else: nothing to do.
    return undefined;
  }

  /** Classified by the error's code: a failed handshake is the server's doing, anything else is reachability. */
  failed(error: Error): ExecDecision | undefined {
    this.#streamError = error;
    if (this.#opened) return undefined;
    if (error instanceof KubeError && error.code === 'handshake-failed') {
      return { kind: 'error', code: 'remote-error', message: `exec in ${this.#where}: ${error.message}` };
    }
    const said = error instanceof KubeError ? error.message : `cannot reach the API server ${this.#server}: ${errorText(error)}`;
    return { kind: 'error', code: 'unreachable', message: `exec in ${this.#where}: ${said}` };
  }

  closed(code: number, reason: string): ExecDecision {
    if (!this.#status.empty) return { kind: 'status', verdict: this.#status.finish() };
    const why = this.#streamError === undefined ? '' : `: ${errorText(this.#streamError)}`;
    const said = reason.length > 0 ? ` ${reason}` : '';
    return this.#opened
      ? { kind: 'error', code: 'stream-closed', message: `exec in ${this.#where}: the stream closed without an exit status (close code ${code}${said})${why}` }
      : { kind: 'error', code: 'unreachable', message: `exec in ${this.#where}: the connection closed before the exec started${why}` };
  }

  output(): { readonly stdout: string; readonly stderr: string; readonly truncated: boolean } {
    return { stdout: this.#stdout.text(), stderr: this.#stderr.text(), truncated: this.#stdout.truncated || this.#stderr.truncated };
  }
}

/** Collects up to `limit` bytes; the rest is counted as dropped. */
export class CappedBuffer {
  readonly limit: number;
  #chunks: Buffer[] = [];
  #size = 0;
  #truncated = false;

  constructor(limit: number) {
    this.limit = Math.max(0, Math.floor(limit));
  }

  push(chunk: Uint8Array): void {
    const room = this.limit - this.#size;
    if (chunk.length > room) this.#truncated = true;
    if (room <= 0) return;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.#chunks.push(Buffer.from(kept));
    this.#size += kept.length;
  }

  get truncated(): boolean {
    return this.#truncated;
  }

  get size(): number {
    return this.#size;
  }

  text(): string {
    return decodeUtf8(Buffer.concat(this.#chunks), this.#truncated);
  }
}

/**
 * Decodes UTF-8. When the bytes were cut at a cap, an incomplete trailing sequence is dropped rather
 * than turned into U+FFFD; invalid bytes elsewhere become U+FFFD.
 */
export function decodeUtf8(bytes: Buffer, cut: boolean): string {
  let end = bytes.length;
  if (cut) {
    // Walk back over at most 3 continuation bytes to the lead byte of the last sequence.
    let lead = end - 1;
    while (lead >= 0 && end - lead <= 3 && ((bytes[lead] ?? 0) & 0xc0) === 0x80) lead--;
    if (lead >= 0) {
      const b = bytes[lead] ?? 0;
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
      if (end - lead < need) end = lead;
    }
  }
  return bytes.subarray(0, end).toString('utf8');
}
