/**
 * The `oidc` auth-provider, as client-go's (k8s.io/client-go/plugin/pkg/client/auth/oidc) does it:
 * the `id-token` is used while it is valid for more than 10 s; otherwise it is refreshed with the
 * `refresh-token` (OpenID discovery at `idp-issuer-url`, then the OAuth2 refresh grant at its token
 * endpoint, client id and secret in Basic auth), and the new tokens are written back to the kubeconfig
 * file that defines the user, so a rotated refresh token is not lost.
 *
 * client-node refreshes it through openid-client with no deadline and no signal. Here the refresh runs
 * under the deadline and signal of the request that needs it, concurrent requests share one refresh,
 * and the refresh's sockets are destroyed when no request waits for it any more and on `close()`.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { parseDocument } from 'yaml';
import { CredentialError } from './errors.ts';
import { unsafeLocalFile } from './local-files.ts';
import { isRecord } from '../util/is-record.ts';

/** `users[].user.auth-provider.config` of an `oidc` provider (client-go's keys). */
export type OidcProviderConfig = Readonly<Record<string, string | undefined>>;

/** client-go's expiryDelta: a token valid for less than this is refreshed. */
export const OIDC_EXPIRY_LEEWAY_MS = 10_000;
/** Most an IdP answer may be. */
const MAX_IDP_BODY_BYTES = 256 * 1024;

export interface OidcTokenSourceOptions {
  readonly userName: string;
  readonly config: OidcProviderConfig;
  /** The kubeconfig file that defines the user: refreshed tokens are written back there, as kubectl does. */
  readonly persistTo?: string | undefined;
  readonly now?: () => number;
  readonly warn?: (message: string) => void;
}

/** The `exp` claim of a JWT in ms, or a reason it has none (client-go refuses such an id-token). */
export function idTokenExpiry(idToken: string): number | string {
  const parts = idToken.split('.');
  if (parts.length !== 3) return 'is not a valid JWT';
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8'));
  } catch {
    return 'has claims that are not JSON';
  }
  const exp = typeof claims === 'object' && claims !== null ? (claims as { exp?: unknown }).exp : undefined;
  return typeof exp === 'number' ? exp * 1000 : 0;
}

interface Refresh {
  readonly promise: Promise<string>;
  readonly controller: AbortController;
  waiters: number;
}

export class OidcTokenSource {
  readonly #userName: string;
  readonly #persistTo: string | undefined;
  readonly #now: () => number;
  readonly #warn: (message: string) => void;
  #config: Record<string, string | undefined>;
  #refresh: Refresh | undefined;
  #closed = false;

  constructor(options: OidcTokenSourceOptions) {
    this.#userName = options.userName;
    this.#config = { ...options.config };
    this.#persistTo = options.persistTo;
    this.#now = options.now ?? Date.now;
    this.#warn = options.warn ?? ((): void => undefined);
  }

  /** A valid id-token, refreshed first when needed within `deadlineMs` and `signal`. */
  async token(limit: { deadlineMs: number; signal?: AbortSignal | undefined }): Promise<string> {
    if (this.#closed) throw new CredentialError('the client is closed');
    const idToken = this.#config['id-token'] ?? '';
    if (idToken !== '') {
      const expiry = idTokenExpiry(idToken);
      if (typeof expiry === 'string') throw new CredentialError(`the oidc id-token of user "${this.#userName}" ${expiry}`);
      if (this.#now() + OIDC_EXPIRY_LEEWAY_MS < expiry) return idToken;
    }
    if ((this.#config['refresh-token'] ?? '') === '') {
      throw new CredentialError(`user "${this.#userName}" has no valid oidc id-token and no refresh-token to get one: log in again (e.g. with your IdP's kubectl login)`);
    }
    const refresh = (this.#refresh ??= this.#startRefresh(limit.deadlineMs));
    refresh.waiters += 1;
    const timeout = AbortSignal.timeout(Math.max(1, limit.deadlineMs));
    const signals = limit.signal === undefined ? [timeout] : [timeout, limit.signal];
    const stop = AbortSignal.any(signals);
    try {
      return await new Promise<string>((resolve, reject) => {
        const onStop = (): void => {
          if (limit.signal?.aborted === true) {
            reject(limit.signal.reason instanceof Error ? limit.signal.reason : new Error('aborted'));
          } else {
            reject(new CredentialError(`refreshing the oidc id-token of user "${this.#userName}" took longer than ${limit.deadlineMs} ms; it was stopped`));
          }
        };
        if (stop.aborted) {
          onStop();
          return;
        }
        stop.addEventListener('abort', onStop, { once: true });
        refresh.promise.then(
          (t) => {
            stop.removeEventListener('abort', onStop);
            resolve(t);
          },
          (e: unknown) => {
            stop.removeEventListener('abort', onStop);
            reject(e instanceof Error ? e : new Error(String(e)));
          },
        );
      });
    } finally {
      refresh.waiters -= 1;
      // Nobody waits any more (deadline, abort): cancel the refresh and its sockets.
      if (refresh.waiters === 0 && this.#refresh === refresh) {
        this.#refresh = undefined;
        refresh.controller.abort();
      }
    }
  }

  /** Cancels a refresh in flight; later calls reject. */
  close(): void {
    this.#closed = true;
    this.#refresh?.controller.abort();
    this.#refresh = undefined;
  }

  #startRefresh(deadlineMs: number): Refresh {
    const controller = new AbortController();
    // Backstop only: the waiters' own deadlines cancel it first.
    const hardStop = setTimeout(() => {
      controller.abort();
    }, Math.max(1, deadlineMs) + 1000);
    hardStop.unref();
    const promise = this.#doRefresh(controller.signal).finally(() => {
      clearTimeout(hardStop);
      if (this.#refresh?.controller === controller) this.#refresh = undefined;
    });
    promise.catch(() => undefined);
    return { promise, controller, waiters: 0 };
  }

  async #doRefresh(signal: AbortSignal): Promise<string> {
    const config = this.#config;
    const who = `user "${this.#userName}"`;
    const issuer = (config['idp-issuer-url'] ?? '').replace(/\/+$/, '');
    const ca = this.#idpCa();
    const discovery = await idpRequest(`${issuer}/.well-known/openid-configuration`, { method: 'GET', ca, signal }, `the OpenID discovery of ${who}`);
    const tokenEndpoint = isRecord(discovery) ? discovery['token_endpoint'] : undefined;
    if (typeof tokenEndpoint !== 'string' || tokenEndpoint === '') {
      throw new CredentialError(`the OpenID discovery document of ${issuer} (${who}) has no token_endpoint`);
    }
    const refreshToken = config['refresh-token'] ?? '';
    const basic = Buffer.from(`${encodeURIComponent(config['client-id'] ?? '')}:${encodeURIComponent(config['client-secret'] ?? '')}`).toString('base64');
    const answer = await idpRequest(
      tokenEndpoint,
      {
        method: 'POST',
        ca,
        signal,
        headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
      },
      `refreshing the oidc token of ${who}`,
    );
    const idToken = isRecord(answer) ? answer['id_token'] : undefined;
    if (typeof idToken !== 'string' || idToken === '') {
      // client-go's words: some providers (Okta) return no id_token on refresh.
      throw new CredentialError(
        `refreshing the oidc token of ${who}: the token response did not contain an id_token (the scope "openid" was not requested at login, or the provider does not return id_tokens on refresh)`,
      );
    }
    const newRefresh = isRecord(answer) && typeof answer['refresh_token'] === 'string' && answer['refresh_token'] !== '' ? answer['refresh_token'] : refreshToken;
    if (signal.aborted) throw new CredentialError(`refreshing the oidc token of ${who} was cancelled`);
    this.#config = { ...config, 'id-token': idToken, 'refresh-token': newRefresh };
    this.#persist(idToken, newRefresh, newRefresh !== refreshToken);
    return idToken;
  }

  #idpCa(): string | Buffer | undefined {
    const data = this.#config['idp-certificate-authority-data'] ?? '';
    if (data !== '') return Buffer.from(data, 'base64');
    const file = this.#config['idp-certificate-authority'] ?? '';
    if (file === '') return undefined;
    try {
      const unsafe = unsafeLocalFile(file);
      if (unsafe !== undefined) throw new Error(unsafe);
      return fs.readFileSync(file);
    } catch (error) {
      throw new CredentialError(`cannot read the idp-certificate-authority ${file} of user "${this.#userName}": ${(error as Error).message}`);
    }
  }

  /** kubectl's persister: the new tokens go into the user's auth-provider config in its kubeconfig file. */
  #persist(idToken: string, refreshToken: string, rotated: boolean): void {
    const file = this.#persistTo;
    if (file === undefined) {
      if (rotated) {
        this.#warn(`the IdP rotated the oidc refresh-token of user "${this.#userName}"; the kubeconfig is not a file kubehooks can update, so log in again after this run`);
      }
      return;
    }
    try {
      const doc = parseDocument(fs.readFileSync(file, 'utf8'));
      const plain = doc.toJS() as { users?: unknown };
      const index = Array.isArray(plain.users) ? plain.users.findIndex((u) => isRecord(u) && u['name'] === this.#userName) : -1;
      if (index < 0) throw new Error(`it has no user "${this.#userName}"`);
      doc.setIn(['users', index, 'user', 'auth-provider', 'config', 'id-token'], idToken);
      doc.setIn(['users', index, 'user', 'auth-provider', 'config', 'refresh-token'], refreshToken);
      fs.writeFileSync(file, doc.toString());
    } catch (error) {
      // client-go fails the request here; the new token is valid, so kubehooks goes on and says so.
      this.#warn(
        `could not write the refreshed oidc tokens of user "${this.#userName}" back to ${file}: ${(error as Error).message}` +
          (rotated ? '; the IdP rotated the refresh-token, so log in again after this run' : ''),
      );
    }
  }
}

/** One JSON request to the IdP, ended by `signal`; no socket outlives it (no keep-alive agent). */
function idpRequest(
  url: string,
  options: { method: string; ca: string | Buffer | undefined; signal: AbortSignal; headers?: Record<string, string>; body?: string },
  what: string,
): Promise<unknown> {
  return new Promise<unknown>((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      reject(new CredentialError(`${what}: ${url} is not a URL`));
      return;
    }
    const requestFn = target.protocol === 'https:' ? https.request : target.protocol === 'http:' ? http.request : undefined;
    if (requestFn === undefined) {
      reject(new CredentialError(`${what}: ${url} is not an http(s) URL`));
      return;
    }
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const req = requestFn(target, {
      method: options.method,
      agent: false,
      signal: options.signal,
      headers: { Accept: 'application/json', ...options.headers, ...(body === undefined ? {} : { 'Content-Length': body.length }) },
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    });
    req.once('error', (error) => {
      reject(options.signal.aborted ? new CredentialError(`${what} was cancelled`) : new CredentialError(`${what}: ${target.origin} cannot be reached: ${error.message}`, { cause: error }));
    });
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_IDP_BODY_BYTES) {
          req.destroy(new Error(`the answer is larger than ${MAX_IDP_BODY_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.once('error', () => undefined);
      res.once('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 299) {
          const error = isRecord(parsed) && typeof parsed['error'] === 'string' ? `: ${parsed['error']}${typeof parsed['error_description'] === 'string' ? ` (${parsed['error_description']})` : ''}` : '';
          reject(new CredentialError(`${what}: ${target.origin}${target.pathname} answered ${status}${error.slice(0, 500)}`));
          return;
        }
        if (parsed === undefined) {
          reject(new CredentialError(`${what}: ${target.origin}${target.pathname} did not answer JSON`));
          return;
        }
        resolve(parsed);
      });
    });
    req.end(body);
  });
}
