/**
 * PodExecutor over the pod `exec` subresource: a channel (exec-channel.ts; WebSocket v5, then v4, by
 * default) carries the frames, ExecFrameDecoder (exec-decoder.ts) reads them, and this file adds what
 * needs time and the API: the exec deadline, the abort, and naming why an exec was refused or failed
 * from the pod's state.
 *
 * We speak the framing ourselves instead of using client-node's `Exec`: its promise resolves on open
 * (not on exit), a refused upgrade loses the Status body, and a malformed status frame or an unknown
 * channel makes it throw inside the socket's message handler, which would crash the process (ADR 0003).
 */
import { DEFAULT_MAX_OUTPUT_BYTES, type ExecErrorCode, type ExecOutcome, type ExecRequest, type PodExecutor } from '../run/ports.ts';
import type { PodManifest } from '../model/pod.ts';
import type { KubeClient } from './client.ts';
import { KubeError, NotFoundError, errorText } from './errors.ts';
import type { ExecChannel, ExecChannelOpener } from './exec-channel.ts';
import { wsExecChannelOpener } from './exec-channel-ws.ts';
import { ExecFrameDecoder, type ExecDecision } from './exec-decoder.ts';
import { toPodManifest } from './pod.ts';
import { isRecord, statusDetails } from './status.ts';

export interface KubePodExecutorOptions {
  /** How long a graceful close of the channel may take before it is forced. Default 1000 ms. */
  readonly closeGraceMs?: number;
  /** The transport for exec channels. Default: WebSocket over the client (exec-channel-ws.ts). */
  readonly channel?: ExecChannelOpener;
}

type Ending = ExecDecision | { readonly kind: 'timed-out' };

export class KubePodExecutor implements PodExecutor {
  readonly #client: KubeClient;
  readonly #channel: ExecChannelOpener;
  readonly #closeGraceMs: number;

  constructor(client: KubeClient, options: KubePodExecutorOptions = {}) {
    this.#client = client;
    this.#channel = options.channel ?? wsExecChannelOpener(client);
    this.#closeGraceMs = options.closeGraceMs ?? 1000;
  }

  async exec(request: ExecRequest): Promise<ExecOutcome> {
    if (request.command.length === 0) throw new TypeError('exec: command must have at least one element');
    if (!(request.timeoutMs > 0)) throw new TypeError(`exec: timeoutMs must be positive, got ${request.timeoutMs}`);
    const { namespace, pod, container, signal } = request;
    const where = `${container} in pod ${namespace}/${pod}`;
    const startedAt = new Date();
    const started = performance.now();
    const decoder = new ExecFrameDecoder({
      where,
      server: this.#channel.server,
      maxOutputBytes: request.maxOutputBytes > 0 ? request.maxOutputBytes : DEFAULT_MAX_OUTPUT_BYTES,
    });
    // When the outcome was decided; closing the channel afterwards is not the command's time.
    let endedAt: number | undefined;
    const output = () => ({ ...decoder.output(), startedAt, durationMs: Math.round((endedAt ?? performance.now()) - started) });
    if (signal.aborted) {
      return { ...output(), kind: 'error', code: 'aborted', message: `exec in ${where} aborted before it started` };
    }

    let channel: ExecChannel | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    // Set once the outcome is decided; late events are ignored.
    let settled = false;
    // Aborted when the outcome is decided while the channel is still opening (waiting for credentials),
    // so it is never opened. Only then: aborting builds a DOMException with a stack, per exec.
    const opening = new AbortController();

    let ending: Ending | undefined;
    try {
      ending = await new Promise<Ending>((resolve) => {
        const settle = (value: Ending | undefined): void => {
          if (settled || value === undefined) return;
          settled = true;
          if (channel === undefined) opening.abort();
          endedAt = performance.now();
          resolve(value);
        };
        timer = setTimeout(() => {
          if (channel === undefined) {
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

        this.#channel
          .open(
            { namespace, pod, container, command: request.command },
            // Our own timer decides timeouts; the handshake limit is only a backstop.
            { handshakeTimeoutMs: request.timeoutMs + 1000, signal: opening.signal },
            {
              open: () => {
                if (!settled) decoder.open();
              },
              frame: (data) => {
                if (!settled) settle(decoder.frame(data));
              },
              failed: (error) => {
                if (!settled) settle(decoder.failed(error));
              },
              closed: (code, reason) => {
                if (!settled) settle(decoder.closed(code, reason));
              },
              refused: (statusCode, body) => {
                if (settled) return;
                this.#classifyRefusal(request, statusCode, body).then(
                  (refused) => {
                    settle({ kind: 'error', ...refused });
                  },
                  (error: unknown) => {
                    settle({ kind: 'error', code: 'remote-error', message: `exec in ${where} refused (${statusCode}): ${errorText(error)}` });
                  },
                );
              },
            },
          )
          .then(
            (opened) => {
              channel = opened;
              // The exec already ended (timeout or abort while credentials were being prepared): this
              // channel must not start the command. Closing a channel that is still connecting aborts it.
              if (settled) void opened.close(0);
            },
            (error: unknown) => {
              const code: ExecErrorCode =
                error instanceof KubeError && (error.code === 'kubeconfig-invalid' || error.code === 'credentials-failed') ? 'unauthorized' : 'unreachable';
              settle({ kind: 'error', code, message: `exec in ${where}: ${errorText(error)}` });
            },
          );
      });
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
      // After the Status the server has said all it will: drop the connection instead of a close
      // handshake (a round trip, and ws's Error per close). A timeout, an abort or a failure closes
      // gracefully, then forcibly, as before.
      if (ending?.kind === 'status') channel?.drop();
      else await channel?.close(this.#closeGraceMs);
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
