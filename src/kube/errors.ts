/**
 * Typed errors for infrastructure failures talking to the API server. One class per failure, each with
 * a stable `code` (kebab-case, like the rest of kubehooks' codes) and the underlying `cause`. Messages
 * are written for users: the CLI prints `message` (never the stack) and exits 2.
 */

export type KubeErrorCode =
  | 'kubeconfig-invalid'
  | 'credentials-failed'
  | 'api-unreachable'
  | 'api-timeout'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'gone'
  | 'api-error'
  | 'client-closed'
  | 'aborted-before-open'
  | 'handshake-timeout'
  | 'handshake-failed'
  | 'watch-stalled'
  | 'watch-event-malformed'
  | 'watch-event-too-large';

export abstract class KubeError extends Error {
  abstract readonly code: KubeErrorCode;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The kubeconfig is missing, unreadable, malformed, or names a context/cluster that does not exist. */
export class KubeconfigError extends KubeError {
  readonly code = 'kubeconfig-invalid';
}

/**
 * Credentials could not be prepared: an exec credential plugin failed, hung past its deadline or
 * printed no usable ExecCredential; a tokenFile could not be read. Counts as `unauthorized` for a hook.
 */
export class CredentialError extends KubeError {
  readonly code = 'credentials-failed';
}

/** The API server could not be reached: connection refused, DNS failure, TLS failure, reset. */
export class ApiUnreachableError extends KubeError {
  readonly code = 'api-unreachable';
  /** The system error code when there was one (ECONNREFUSED, ENOTFOUND, CERT_HAS_EXPIRED, ...). */
  readonly systemCode: string | undefined;
  constructor(message: string, options: { cause?: unknown; systemCode?: string | undefined }) {
    super(message, options);
    this.systemCode = options.systemCode;
  }
}

/** A request to the API server did not complete within its deadline. */
export class ApiTimeoutError extends KubeError {
  readonly code = 'api-timeout';
}

/** What the API server said, for errors that carry an HTTP status. */
export interface ApiStatusDetails {
  readonly statusCode: number;
  /** `Status.reason` (Forbidden, NotFound, Expired, ...) when the body was a Status. */
  readonly reason: string | undefined;
  /** `Status.message`, or the start of the body when it was not a Status. */
  readonly serverMessage: string;
}

export abstract class ApiStatusErrorBase extends KubeError {
  readonly statusCode: number;
  readonly reason: string | undefined;
  readonly serverMessage: string;
  constructor(message: string, details: ApiStatusDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.statusCode = details.statusCode;
    this.reason = details.reason;
    this.serverMessage = details.serverMessage;
  }
}

/** 401: the credentials in the kubeconfig were rejected. */
export class UnauthorizedError extends ApiStatusErrorBase {
  readonly code = 'unauthorized';
}

/** 403: authenticated, but RBAC (or an admission rule) refuses the request. */
export class ForbiddenError extends ApiStatusErrorBase {
  readonly code = 'forbidden';
}

/** 404. */
export class NotFoundError extends ApiStatusErrorBase {
  readonly code = 'not-found';
}

/** 410 Gone: the requested resourceVersion is too old (watch must relist). */
export class GoneError extends ApiStatusErrorBase {
  readonly code = 'gone';
}

/** Any other non-success HTTP status. */
export class ApiStatusError extends ApiStatusErrorBase {
  readonly code = 'api-error';
}

/** The client was closed (`KubeClient.close()`); no request or connection is started after that. */
export class ClientClosedError extends KubeError {
  readonly code = 'client-closed';
}

/**
 * The caller's signal was aborted while a connection was being prepared (an exec credential plugin,
 * a token refresh): no connection was opened, so nothing reached the API server.
 */
export class AbortedBeforeOpenError extends KubeError {
  readonly code = 'aborted-before-open';
}

/** A WebSocket upgrade was not answered within its deadline (the server accepted the connection, then went quiet). */
export class HandshakeTimeoutError extends KubeError {
  readonly code = 'handshake-timeout';
}

/**
 * The server answered the upgrade, but not as a WebSocket peer: an unexpected subprotocol, a wrong
 * Upgrade or Sec-WebSocket-Accept header. A refusal with an HTTP status is not this: it is decoded as a Status.
 */
export class HandshakeError extends KubeError {
  readonly code = 'handshake-failed';
}

/** A watch went silent past the server's own `timeoutSeconds` plus a margin: the connection died unnoticed. */
export class WatchStallError extends KubeError {
  readonly code = 'watch-stalled';
}

/** A watch line that is not JSON, or not an event (an object with a string `type`). */
export class MalformedWatchEventError extends KubeError {
  readonly code = 'watch-event-malformed';
}

/** A watch line longer than the decoder's bound: the server sent no newline where one must be. */
export class WatchEventTooLargeError extends KubeError {
  readonly code = 'watch-event-too-large';
}

export function isKubeError(value: unknown): value is KubeError {
  return value instanceof KubeError;
}

/** Builds the right class for an HTTP status. `what` names the request, e.g. `list pods in ns "a"`. */
export function errorForStatus(what: string, details: ApiStatusDetails, cause?: unknown): ApiStatusErrorBase {
  const said = details.serverMessage === '' ? '' : `: ${details.serverMessage}`;
  const options = cause === undefined ? undefined : { cause };
  switch (details.statusCode) {
    case 401:
      return new UnauthorizedError(
        `cannot ${what}: the API server rejected the credentials (401)${said}; check the user in your kubeconfig`,
        details,
        options,
      );
    case 403:
      return new ForbiddenError(`cannot ${what}: forbidden (403)${said}; check RBAC for this identity`, details, options);
    case 404:
      return new NotFoundError(`cannot ${what}: not found (404)${said}`, details, options);
    case 410:
      return new GoneError(`cannot ${what}: resource version too old (410)${said}`, details, options);
    default:
      return new ApiStatusError(`cannot ${what}: API server answered ${details.statusCode}${said}`, details, options);
  }
}

/** The message of an error, or the text of a thrown non-error, for messages that quote a cause. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
