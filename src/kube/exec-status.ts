/**
 * Reading the exec Status written on channel 3 (pure): kubelet's exit codes, KWOK's leaked Go
 * `exit status N` and `signal: …` texts, and a status larger than any normal one (a runtime error that
 * quotes a 1 MiB argv) kept in bounded memory as head and tail.
 */
import { isRecord } from './status.ts';

/**
 * A Status is a few hundred bytes; past this only the head and the last STATUS_TAIL_BYTES are kept.
 * A status that large still is one: a runtime error that quotes the whole argv (`argument list too
 * long` for a 1 MiB command) has its cause at the end of the message, and reason/details after it.
 */
const MAX_STATUS_BYTES = 64 * 1024;
const STATUS_TAIL_BYTES = 8 * 1024;
/** How much of the end of an oversized status message is shown. */
const OVERSIZED_MESSAGE_END_CHARS = 400;

export type ExecStatusVerdict =
  /** The command ran to an exit status. */
  | { readonly kind: 'exited'; readonly exitCode: number; readonly message: string }
  /** A Failure status that carries no exit code (the command may never have started). */
  | { readonly kind: 'failed'; readonly reason: string; readonly message: string }
  /** Not a Status we understand. */
  | { readonly kind: 'invalid'; readonly message: string };

/** Go's `*exec.ExitError` text, as KWOK leaks it inside an InternalError. */
const EXIT_STATUS_IN_MESSAGE = /\bexit status (\d{1,3})\b/;
/** Go's text for a process ended by a signal (`signal: killed`), as KWOK leaks it. */
const KILLED_BY_SIGNAL_IN_MESSAGE = /: signal: ([a-z0-9 /]+?)(?: \(core dumped\))?$/;
/** Go's names of the Linux signals a hook process is commonly killed by. */
const GO_SIGNAL_NUMBERS: Readonly<Record<string, number>> = {
  hangup: 1,
  interrupt: 2,
  quit: 3,
  aborted: 6,
  killed: 9,
  'segmentation fault': 11,
  'broken pipe': 13,
  terminated: 15,
};

/**
 * Interprets the Status written on channel 3. Accepts the parsed object or the raw JSON text.
 * - `{status:'Success'}` → exit 0;
 * - kubelet: `{status:'Failure', reason:'NonZeroExitCode', details:{causes:[{reason:'ExitCode', message:'3'}]}}` → exit 3;
 * - KWOK: `{status:'Failure', reason:'InternalError', message:'... exit status 3'}` → exit 3;
 * - any other Failure → `failed` with its reason and message; anything else → `invalid`.
 */
export function parseExecStatus(status: unknown): ExecStatusVerdict {
  let value = status;
  if (typeof value === 'string' || value instanceof Uint8Array) {
    const text = typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
    try {
      value = JSON.parse(text);
    } catch {
      return { kind: 'invalid', message: `unreadable exec status: ${JSON.stringify(text.slice(0, 200))}` };
    }
  }
  if (!isRecord(value)) return { kind: 'invalid', message: 'exec status is not an object' };
  const message = typeof value['message'] === 'string' ? value['message'] : '';
  const reason = typeof value['reason'] === 'string' ? value['reason'] : '';
  if (value['status'] === 'Success') return { kind: 'exited', exitCode: 0, message };
  if (value['status'] !== 'Failure') {
    return { kind: 'invalid', message: `exec status has unknown status ${JSON.stringify(value['status'])}` };
  }
  if (reason === 'NonZeroExitCode') {
    const code = exitCodeFromCauses(value['details']);
    if (code !== undefined) return { kind: 'exited', exitCode: code, message: message || `exit code ${code}` };
  }
  if (reason === 'InternalError' || reason === 'NonZeroExitCode' || reason === '') {
    const match = EXIT_STATUS_IN_MESSAGE.exec(message);
    if (match?.[1] !== undefined) {
      const code = Number(match[1]);
      if (code >= 0 && code <= 255) return { kind: 'exited', exitCode: code, message };
    }
    const signal = KILLED_BY_SIGNAL_IN_MESSAGE.exec(message)?.[1];
    const number = signal === undefined ? undefined : GO_SIGNAL_NUMBERS[signal];
    // What a container runtime reports for a process killed by signal N: 128 + N.
    if (number !== undefined) return { kind: 'exited', exitCode: 128 + number, message };
  }
  return { kind: 'failed', reason: reason || 'Failure', message: message || reason || 'exec failed' };
}

/** A top-level `"reason":"…"` of a Status (StatusReason values are short CamelCase words). */
const STATUS_REASON = /"reason"\s*:\s*"([A-Za-z]{1,64})"/;
/**
 * What follows a Status's last long string: the closing quote's `,` `}` or `]`, then only short
 * strings (keys, reasons), numbers and brackets. Applied to the last STATUS_TRAILER_SCAN characters.
 */
const STATUS_TRAILER = /[\]},](?:\s+|[[\]{},:]|"(?:[^"\\]|\\.){0,64}"|-?\d{1,20}|true|false|null)*$/;
const STATUS_TRAILER_SCAN = 2048;

/**
 * Reads a status larger than MAX_STATUS_BYTES from what was kept of it: `status` from the head, the
 * top-level `reason` (found while the bytes streamed past, in field order the first one after the
 * message), and from the tail the end of the last long string, which is where Go puts the cause
 * (`…: argument list too long`) in `message` and in `details.causes[].message` alike. The verdict is
 * parseExecStatus's for that cut-down Status, so an exit code, a signal or the runtime's cause
 * survives the size; a status that cannot be read this way is `invalid` and shows its end.
 */
export function parseOversizedExecStatus(head: Uint8Array, tail: Uint8Array, totalBytes: number, reason?: string): ExecStatusVerdict {
  const headText = Buffer.from(head).toString('utf8');
  const tailText = Buffer.from(tail).toString('utf8');
  const size = `the exec status is ${totalBytes} bytes (larger than 64 KiB)`;
  const status = /"status"\s*:\s*"(Success|Failure)"/.exec(headText)?.[1];
  const scanFrom = Math.max(0, tailText.length - STATUS_TRAILER_SCAN);
  const trailer = STATUS_TRAILER.exec(tailText.slice(scanFrom));
  const body = trailer === null ? tailText : tailText.slice(0, scanFrom + trailer.index);
  if (status === undefined || !body.endsWith('"')) {
    return { kind: 'invalid', message: `${size} and unreadable; it ends: ${JSON.stringify(tailText.slice(-200))}` };
  }
  const messageEnd = jsonStringFragment(body.slice(Math.max(0, body.length - 1 - OVERSIZED_MESSAGE_END_CHARS), -1));
  const exitCode = /"reason"\s*:\s*"ExitCode"\s*,\s*"message"\s*:\s*"(\d{1,3})"/.exec(tailText)?.[1];
  return parseExecStatus({
    status,
    reason: reason ?? STATUS_REASON.exec(tailText)?.[1] ?? '',
    message: `${size}; its message ends: …${messageEnd}`,
    ...(exitCode === undefined ? {} : { details: { causes: [{ reason: 'ExitCode', message: exitCode }] } }),
  });
}

/** Decodes the inside of a JSON string cut at an arbitrary point (a partial escape is dropped). */
function jsonStringFragment(raw: string): string {
  for (let skip = 0; skip <= 6 && skip < raw.length; skip++) {
    try {
      const value: unknown = JSON.parse(`"${raw.slice(skip)}"`);
      if (typeof value === 'string') return value;
    } catch {
      // a cut escape sequence at the start: try one character later
    }
  }
  return raw;
}

/**
 * Collects the status channel's bytes with a bounded memory: all of a normal status, or the head
 * and tail of an oversized one. `push` returns a verdict once the status is readable.
 */
export class ExecStatusBuffer {
  #head: Buffer[] = [];
  #headSize = 0;
  #tail: Buffer = Buffer.alloc(0);
  #total = 0;
  #reason: string | undefined;

  get empty(): boolean {
    return this.#total === 0;
  }

  push(chunk: Buffer): ExecStatusVerdict | undefined {
    this.#total += chunk.length;
    // The top-level reason follows the (long) message, so it may be in neither head nor tail.
    if (this.#reason === undefined) {
      this.#reason = STATUS_REASON.exec(chunk.toString('latin1'))?.[1];
    }
    if (this.#headSize < MAX_STATUS_BYTES) {
      const take = chunk.subarray(0, MAX_STATUS_BYTES - this.#headSize);
      this.#head.push(Buffer.from(take));
      this.#headSize += take.length;
    }
    const joined = Buffer.concat([this.#tail, chunk.subarray(Math.max(0, chunk.length - STATUS_TAIL_BYTES))]);
    this.#tail = Buffer.from(joined.subarray(Math.max(0, joined.length - STATUS_TAIL_BYTES)));
    // A status split over frames is unreadable until complete; close decides then.
    const verdict = this.finish();
    return verdict.kind === 'invalid' ? undefined : verdict;
  }

  finish(): ExecStatusVerdict {
    if (this.#total <= MAX_STATUS_BYTES) return parseExecStatus(Buffer.concat(this.#head));
    return parseOversizedExecStatus(Buffer.concat(this.#head), this.#tail, this.#total, this.#reason);
  }
}

function exitCodeFromCauses(details: unknown): number | undefined {
  if (!isRecord(details) || !Array.isArray(details['causes'])) return undefined;
  for (const cause of details['causes'] as unknown[]) {
    if (isRecord(cause) && cause['reason'] === 'ExitCode' && typeof cause['message'] === 'string') {
      const text = cause['message'].trim();
      if (/^\d+$/.test(text)) return Number(text);
    }
  }
  return undefined;
}
