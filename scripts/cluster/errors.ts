/**
 * Failures of the local control plane launcher. One class per failure, each with a stable kebab-case
 * `code`; messages say what to do next. The CLI prints `message` and exits 2 (3 when Go is missing).
 */

export type ClusterErrorCode =
  | 'go-unavailable'
  | 'build-failed'
  | 'pki-failed'
  | 'port-in-use'
  | 'component-exited'
  | 'start-timeout'
  | 'already-running'
  | 'aborted';

export abstract class ClusterError extends Error {
  abstract readonly code: ClusterErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Go is missing or too old and the cache lacks a binary, so nothing can be built. */
export class GoUnavailableError extends ClusterError {
  readonly code = 'go-unavailable';
}

/** build.sh failed for another reason (module proxy unreachable, compile error). */
export class BuildFailedError extends ClusterError {
  readonly code = 'build-failed';
}

/** openssl failed to create the per-run certificates. */
export class PkiError extends ClusterError {
  readonly code = 'pki-failed';
}

/** A component could not bind its port (someone else took it between our probe and its start). */
export class PortInUseError extends ClusterError {
  readonly code = 'port-in-use';
}

/** A component exited while the cluster was starting; the message carries the tail of its log. */
export class ComponentExitedError extends ClusterError {
  readonly code = 'component-exited';
}

/** A component did not become ready within its deadline. */
export class StartTimeoutError extends ClusterError {
  readonly code = 'start-timeout';
}

/** The run directory already holds a live cluster. */
export class AlreadyRunningError extends ClusterError {
  readonly code = 'already-running';
}

/** The caller's AbortSignal fired during start; everything started so far was stopped. */
export class StartAbortedError extends ClusterError {
  readonly code = 'aborted';
}
