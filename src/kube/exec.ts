/**
 * PodExecutor over the pod `exec` subresource, WebSocket channel protocol v5 (preferred; kube-apiserver
 * ≥ 1.30 translates it to SPDY for the kubelet) or v4. Both carry a JSON Status on channel 3.
 *
 * We speak the framing ourselves with `ws` instead of using client-node's `Exec`: its promise resolves
 * on open (not on exit), a refused upgrade loses the Status body, and a malformed status frame or an
 * unknown channel makes it throw inside the socket's message handler, which would crash the process.
 */
import type WebSocket from 'ws';
import type { ExecErrorCode, ExecOutcome, ExecRequest, PodExecutor } from '../run/ports.ts';
import { isRecord, readBody, statusDetails, errorText, type KubeClient } from './client.ts';
import { KubeError, NotFoundError } from './errors.ts';
import { toPodManifest } from './pod.ts';
import type { PodManifest } from '../model/pod.ts';

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;

const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
/**
 * A Status is a few hundred bytes; past this only the head and the last STATUS_TAIL_BYTES are kept.
 * A status that large still is one: a runtime error that quotes the whole argv (`argument list too
 * long` for a 1 MiB command) has its cause at the end of the message, and reason/details after it.
 */
const MAX_STATUS_BYTES = 64 * 1024;
const STATUS_TAIL_BYTES = 8 * 1024;
/** How much of the end of an oversized status message is shown. */
const OVERSIZED_MESSAGE_END_CHARS = 400;

// ---------- status parsing (pure) ----------

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

// ---------- capped output (pure) ----------

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

// ---------- the executor ----------

export interface KubePodExecutorOptions {
  /** How long a graceful WebSocket close may take before the socket is terminated. Default 1000 ms. */
  readonly closeGraceMs?: number;
}

type Ending =
  | { readonly kind: 'status'; readonly verdict: ExecStatusVerdict }
  | { readonly kind: 'timed-out' }
  | { readonly kind: 'error'; readonly code: ExecErrorCode; readonly message: string };

export class KubePodExecutor implements PodExecutor {
  readonly #client: KubeClient;
  readonly #closeGraceMs: number;

  constructor(client: KubeClient, options: KubePodExecutorOptions = {}) {
    this.#client = client;
    this.#closeGraceMs = options.closeGraceMs ?? 1000;
  }

  async exec(request: ExecRequest): Promise<ExecOutcome> {
    if (request.command.length === 0) throw new TypeError('exec: command must have at least one element');
    if (!(request.timeoutMs > 0)) throw new TypeError(`exec: timeoutMs must be positive, got ${request.timeoutMs}`);
    const { namespace, pod, container, signal } = request;
    const where = `${container} in pod ${namespace}/${pod}`;
    const startedAt = new Date();
    const started = performance.now();
    const limit = request.maxOutputBytes > 0 ? request.maxOutputBytes : DEFAULT_MAX_OUTPUT_BYTES;
    const stdout = new CappedBuffer(limit);
    const stderr = new CappedBuffer(limit);
    // When the outcome was decided; closing the socket afterwards is not the command's time.
    let endedAt: number | undefined;
    const output = () => ({
      stdout: stdout.text(),
      stderr: stderr.text(),
      truncated: stdout.truncated || stderr.truncated,
      startedAt,
      durationMs: Math.round((endedAt ?? performance.now()) - started),
    });
    if (signal.aborted) {
      return { ...output(), kind: 'error', code: 'aborted', message: `exec in ${where} aborted before it started` };
    }

    let socket: WebSocket | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    // Set once the outcome is decided; late events are ignored.
    let settled = false;
    // Aborted once the outcome is decided, so a socket still waiting for credentials is never opened.
    const opening = new AbortController();
    const statusBytes = new ExecStatusBuffer();

    let ending: Ending;
    try {
      ending = await new Promise<Ending>((resolve) => {
        const settle = (value: Ending): void => {
          if (settled) return;
          settled = true;
          opening.abort();
          endedAt = performance.now();
          resolve(value);
        };
        timer = setTimeout(() => {
          if (socket === undefined) {
            // Still preparing credentials (an exec plugin that does not answer): the command never started.
            settle({
              kind: 'error',
              code: 'unauthorized',
              message: `exec in ${where}: the credentials were not ready within ${request.timeoutMs} ms (the exec credential plugin did not answer); the command was not started`,
            });
            return;
          }
          settle({ kind: 'timed-out' });
        }, request.timeoutMs);
        onAbort = () => {
          settle({ kind: 'error', code: 'aborted', message: `exec in ${where} aborted` });
        };
        signal.addEventListener('abort', onAbort, { once: true });

        let opened = false;
        let socketError: Error | undefined;
        const attach = (ws: WebSocket): void => {
          if (settled) {
            // The exec already ended (timeout or abort while credentials were being prepared): this
            // socket must not start the command. Terminating a CONNECTING socket aborts the handshake.
            ws.on('error', () => undefined);
            ws.terminate();
            return;
          }
          socket = ws;
          ws.on('error', (error: Error) => {
            socketError = error;
            if (opened || settled) return;
            const text = errorText(error);
            if (/subprotocol|Sec-WebSocket|Upgrade header|Invalid WebSocket frame/i.test(text)) {
              settle({ kind: 'error', code: 'remote-error', message: `exec in ${where}: WebSocket handshake failed: ${text}` });
            } else {
              settle({ kind: 'error', code: 'unreachable', message: `exec in ${where}: cannot reach the API server ${this.#client.server}: ${text}` });
            }
          });
          ws.on('unexpected-response', (_req, res) => {
            const statusCode = res.statusCode ?? 0;
            readBody(res, 64 * 1024)
              .catch(() => '')
              .then(async (body) => {
                if (settled) return;
                const refused = await this.#classifyRefusal(request, statusCode, body);
                settle({ kind: 'error', ...refused });
              })
              .catch((error: unknown) => {
                settle({ kind: 'error', code: 'remote-error', message: `exec in ${where} refused (${statusCode}): ${errorText(error)}` });
              })
              .finally(() => {
                ws.terminate();
              });
          });
          ws.on('open', () => {
            opened = true;
          });
          ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
            if (settled || !isBinary) return;
            const frame = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
            if (frame.length === 0) return;
            const channel = frame[0];
            const payload = frame.subarray(1);
            if (channel === STDOUT) stdout.push(payload);
            else if (channel === STDERR) stderr.push(payload);
            else if (channel === STATUS) {
              const verdict = statusBytes.push(payload);
              if (verdict !== undefined) settle({ kind: 'status', verdict });
            }
            // 255 (v5 stream close) and anything else: nothing to do.
          });
          ws.on('close', (code: number, reason: Buffer) => {
            if (settled) return;
            if (!statusBytes.empty) {
              settle({ kind: 'status', verdict: statusBytes.finish() });
              return;
            }
            const why = socketError === undefined ? '' : `: ${errorText(socketError)}`;
            const said = reason.length > 0 ? ` ${reason.toString('utf8')}` : '';
            settle({
              kind: 'error',
              code: opened ? 'stream-closed' : 'unreachable',
              message: opened
                ? `exec in ${where}: the stream closed without an exit status (close code ${code}${said})${why}`
                : `exec in ${where}: the connection closed before the exec started${why}`,
            });
          });
        };

        this.#client
          .websocket(
            `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/exec`,
            { command: request.command, container, stdout: 'true', stderr: 'true', stdin: 'false', tty: 'false' },
            EXEC_PROTOCOLS,
            // Our own timer decides timeouts; the handshake limit is only a backstop.
            request.timeoutMs + 1000,
            attach,
            opening.signal,
          )
          .catch((error: unknown) => {
            const code: ExecErrorCode =
              error instanceof KubeError && (error.code === 'kubeconfig-invalid' || error.code === 'credentials-failed') ? 'unauthorized' : 'unreachable';
            settle({ kind: 'error', code, message: `exec in ${where}: ${errorText(error)}` });
          });
      });
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
      await closeSocket(socket, this.#closeGraceMs);
    }

    switch (ending.kind) {
      case 'timed-out':
        return {
          ...output(),
          kind: 'timed-out',
          message: `exec in ${where} did not finish within ${request.timeoutMs} ms; the stream was closed (the command may still be running in the container)`,
        };
      case 'error':
        return { ...output(), kind: 'error', code: ending.code, message: ending.message };
      case 'status': {
        const verdict = ending.verdict;
        if (verdict.kind === 'exited') {
          return { ...output(), kind: 'exited', exitCode: verdict.exitCode, message: verdict.message };
        }
        const refined = verdict.kind === 'failed' ? await this.#classifyFailure(request, verdict.message) : undefined;
        return {
          ...output(),
          kind: 'error',
          code: refined?.code ?? 'remote-error',
          message:
            refined === undefined
              ? `exec in ${where} failed: ${verdict.message}`
              : `${refined.message} (the API server said: ${verdict.message})`,
        };
      }
    }
  }

  /** Names why the API server refused the upgrade, using the Status body and, if useful, the pod. */
  async #classifyRefusal(
    request: ExecRequest,
    statusCode: number,
    body: string,
  ): Promise<{ code: ExecErrorCode; message: string }> {
    const details = statusDetails(statusCode, body);
    const where = `${request.container} in pod ${request.namespace}/${request.pod}`;
    const said = details.serverMessage === '' ? `HTTP ${statusCode}` : details.serverMessage;
    if (statusCode === 401) return { code: 'unauthorized', message: `exec in ${where}: unauthorized: ${said}` };
    if (statusCode === 403) return { code: 'forbidden', message: `exec in ${where}: forbidden: ${said}` };
    const pod = await this.#getPod(request);
    if (pod === 'not-found' || (pod === undefined && statusCode === 404)) {
      return { code: 'pod-not-found', message: `pod ${request.namespace}/${request.pod} not found` };
    }
    if (pod !== undefined) {
      const fromPod = explainFromPod(pod, request);
      if (fromPod !== undefined) return fromPod;
    }
    // The pod looked fine (or could not be read): fall back to the server's words.
    if (/container .* is not valid for pod/i.test(said)) return { code: 'no-such-container', message: said };
    if (/completed pod|does not have a host assigned/i.test(said)) return { code: 'pod-not-running', message: said };
    return { code: 'remote-error', message: `exec in ${where} refused (${statusCode}): ${said}` };
  }

  /** A Failure status without an exit code: name the reason when the pod shows one. */
  async #classifyFailure(request: ExecRequest, message: string): Promise<{ code: ExecErrorCode; message: string } | undefined> {
    if (!/not running|not found|no such container|not created/i.test(message)) return undefined;
    const pod = await this.#getPod(request);
    if (pod === 'not-found') return { code: 'pod-not-found', message: `pod ${request.namespace}/${request.pod} not found` };
    if (pod === undefined) return undefined;
    return explainFromPod(pod, request);
  }

  async #getPod(request: ExecRequest): Promise<PodManifest | 'not-found' | undefined> {
    try {
      const body = await this.#client.request(
        'GET',
        `/api/v1/namespaces/${encodeURIComponent(request.namespace)}/pods/${encodeURIComponent(request.pod)}`,
        { signal: request.signal, what: `get pod ${request.namespace}/${request.pod}`, timeoutMs: 10_000 },
      );
      return toPodManifest(body);
    } catch (error) {
      return error instanceof NotFoundError ? 'not-found' : undefined;
    }
  }
}

function explainFromPod(pod: PodManifest, request: ExecRequest): { code: ExecErrorCode; message: string } | undefined {
  const name = `${request.namespace}/${request.pod}`;
  const names = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].map((c) => c.name);
  const ephemeral = Array.isArray(pod.spec['ephemeralContainers']) ? (pod.spec['ephemeralContainers'] as unknown[]) : [];
  for (const e of ephemeral) if (isRecord(e) && typeof e['name'] === 'string') names.push(e['name']);
  if (!names.includes(request.container)) {
    return {
      code: 'no-such-container',
      message: `container "${request.container}" not found in pod ${name}; it has: ${pod.spec.containers.map((c) => c.name).join(', ')}`,
    };
  }
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') {
    return { code: 'pod-not-running', message: `pod ${name} has completed (phase ${phase}); cannot exec into it` };
  }
  if (pod.spec.nodeName === undefined || pod.spec.nodeName === '') {
    return { code: 'pod-not-running', message: `pod ${name} is not scheduled to a node yet` };
  }
  if (phase !== 'Running') {
    return { code: 'pod-not-running', message: `pod ${name} is not running (phase ${phase ?? 'unknown'})` };
  }
  const status = pod.status?.containerStatuses?.find((c) => c.name === request.container);
  if (status?.state?.running === undefined) {
    const state = status?.state?.waiting?.reason ?? (status?.state?.terminated !== undefined ? 'terminated' : 'not started');
    return { code: 'container-not-running', message: `container "${request.container}" in pod ${name} is not running (${state})` };
  }
  return undefined;
}

/** Closes gracefully, then terminates; resolves once the socket is closed (or after a hard cap). */
async function closeSocket(maybeSocket: WebSocket | undefined, graceMs: number): Promise<void> {
  if (maybeSocket === undefined || maybeSocket.readyState === maybeSocket.CLOSED) return;
  const socket = maybeSocket;
  await new Promise<void>((resolve) => {
    let hard: ReturnType<typeof setTimeout> | undefined;
    const grace = setTimeout(() => {
      socket.terminate();
      hard = setTimeout(done, graceMs);
    }, graceMs);
    function done(): void {
      clearTimeout(grace);
      clearTimeout(hard);
      socket.off('close', done);
      resolve();
    }
    socket.on('close', done);
    if (socket.readyState === socket.OPEN) socket.close(1000);
    else if (socket.readyState === socket.CONNECTING) socket.terminate();
  });
}
