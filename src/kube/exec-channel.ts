/**
 * The seam between the exec framing and the connection that carries it. A channel delivers what the
 * transport saw — the upgrade accepted, binary frames (`[channel byte, ...payload]`), a refused upgrade
 * with its body, a failure, the close — and nothing else; exec-decoder.ts turns that into output and a
 * verdict, and KubePodExecutor (exec.ts) adds the deadline, the abort and the pod lookups.
 *
 * exec-channel-ws.ts implements it over `ws` (protocols v5, then v4). Another transport (SPDY, another
 * WebSocket library) implements `ExecChannelOpener` and hands frames in the same shape: see ADR 0011.
 */
import type { KubeError } from './errors.ts';

/** The subprotocols we ask for, preferred first. Both carry a JSON Status on channel 3. */
export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

export interface ExecTarget {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly command: readonly string[];
}

/**
 * Called by a channel, each at most once except `frame`, in this order: `open` or `refused` or
 * `failed`, then frames, then `closed`. A failure after `open` may come before `closed`.
 */
export interface ExecChannelHandlers {
  /** The upgrade was accepted with this subprotocol. */
  open(protocol: string): void;
  /** One binary message: the channel byte, then the payload. */
  frame(data: Uint8Array): void;
  /** The server answered the upgrade with an HTTP status and this body (bounded): a Status to decode. */
  refused(statusCode: number, body: string): void;
  /**
   * The connection failed. Before `open` always a coded KubeError (api-unreachable, handshake-timeout,
   * handshake-failed); after it, whatever broke the stream (it is quoted when the channel closes).
   */
  failed(error: KubeError | Error): void;
  /** The connection closed, with the WebSocket close code and reason (1006 and '' when there were none). */
  closed(code: number, reason: string): void;
}

export interface ExecChannel {
  /** Closes gracefully, then forcibly after `graceMs`; resolves once closed (or after a hard cap). */
  close(graceMs: number): Promise<void>;
  /**
   * Drops the connection at once, without a close handshake: for after the exec's Status frame, when
   * the server has said all it will say. The socket is destroyed before this returns.
   */
  drop(): void;
}

export interface ExecChannelOpenOptions {
  /** Deadline for the credentials and the handshake together. */
  readonly handshakeTimeoutMs: number;
  /** Aborted when the exec no longer wants the channel: then no connection is opened. */
  readonly signal: AbortSignal;
}

export interface ExecChannelOpener {
  /** The API server, for messages. */
  readonly server: string;
  /**
   * Prepares credentials, then starts the connection; handlers are in place before any can fire.
   * Rejects with a KubeError when no connection was started: AbortedBeforeOpenError when `signal`
   * ended first, a CredentialError or KubeconfigError when the credentials could not be prepared.
   */
  open(target: ExecTarget, options: ExecChannelOpenOptions, handlers: ExecChannelHandlers): Promise<ExecChannel>;
}
