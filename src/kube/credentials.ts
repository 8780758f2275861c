/**
 * Bearer tokens and client certificates that are not in the kubeconfig itself: exec credential plugins,
 * `tokenFile` and the `oidc` auth-provider (oidc.ts). client-node handles neither the way kubectl does (issue 10):
 * - its ExecAuth spawns the plugin with no deadline, no AbortSignal and no way to end it, and starts
 *   one plugin per concurrent request; a plugin that hangs stalled the run forever;
 * - it reads `token-file` (a key kubectl does not know) once, and drops `tokenFile`, so requests went
 *   out as system:anonymous.
 *
 * Here every plugin call runs under a deadline and the caller's signal, concurrent requests share one
 * call, the plugin runs in its own process group and the whole group is killed on timeout, on abort
 * with no one else waiting, and on `close()`. `tokenFile` follows client-go: re-read at most once a
 * minute (less 10 s leeway), trimmed; when a re-read fails the last good token stays; a static `token`
 * is used only while the file has never been read successfully.
 *
 * Over 300 lines on purpose: one credential source's whole lifecycle (spawn, shared in-flight call,
 * deadline, process-group kill, close) is one piece whose states must be read together.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { CredentialError } from './errors.ts';
import { unsafeLocalFile } from './local-files.ts';
import type { OidcTokenSource } from './oidc.ts';

/** `users[].user.exec` of a kubeconfig (client.authentication.k8s.io ExecConfig). */
export interface ExecPluginConfig {
  readonly command: string;
  readonly args?: readonly string[] | null | undefined;
  readonly env?: readonly { readonly name: string; readonly value: string }[] | null | undefined;
  readonly apiVersion?: string | undefined;
  readonly interactiveMode?: string | undefined;
}

export interface ExecCredentialStatus {
  readonly token?: string;
  readonly clientCertificateData?: string;
  readonly clientKeyData?: string;
  readonly expirationTimestamp?: string;
}

/** Most an ExecCredential may print; more is not a credential. */
const MAX_PLUGIN_OUTPUT_BYTES = 1024 * 1024;
/** client-go's fileTokenSource period (1 min) less the cachingTokenSource leeway (10 s). */
export const TOKEN_FILE_REREAD_MS = 50_000;

interface RunningPlugin {
  readonly promise: Promise<ExecCredentialStatus>;
  readonly child: ChildProcess | undefined;
  waiters: number;
}

/** Running plugin process groups of this process, killed when it exits whatever the path. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  liveGroups.delete(pid);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const pid of [...liveGroups]) killGroup(pid);
  });
}

function pluginName(exec: ExecPluginConfig): string {
  return JSON.stringify(exec.command);
}

/** Waits for `promise` no longer than `deadlineMs` and no longer than `signal` allows. */
export function boundedWait<T>(promise: Promise<T>, deadlineMs: number, signal: AbortSignal | undefined, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      done();
      reject(onTimeout());
    }, Math.max(1, deadlineMs));
    const onAbort = (): void => {
      done();
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    if (signal?.aborted === true) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        done();
        resolve(v);
      },
      (e: unknown) => {
        done();
        reject(e instanceof Error ? e : new Error('credential preparation failed', { cause: e }));
      },
    );
  });
}

export class CredentialSource {
  readonly #userName: string;
  readonly #exec: ExecPluginConfig | undefined;
  readonly #tokenFile: string | undefined;
  readonly #staticToken: string | undefined;
  readonly #oidc: OidcTokenSource | undefined;
  readonly #now: () => number;
  #cached: { status: ExecCredentialStatus; expiresAt: number } | undefined;
  #running: RunningPlugin | undefined;
  #fileToken: { token: string; readAt: number } | undefined;
  #closed = false;

  constructor(options: {
    userName: string;
    exec?: ExecPluginConfig | undefined;
    tokenFile?: string | undefined;
    staticToken?: string | undefined;
    /** The `oidc` auth-provider (refreshed under the same deadline and signal). */
    oidc?: OidcTokenSource | undefined;
    now?: () => number;
  }) {
    this.#userName = options.userName;
    this.#exec = options.exec ?? undefined;
    this.#tokenFile = options.tokenFile;
    this.#staticToken = options.staticToken;
    this.#oidc = options.oidc;
    this.#now = options.now ?? Date.now;
  }

  get handlesAuthentication(): boolean {
    return this.#exec !== undefined || this.#tokenFile !== undefined || this.#oidc !== undefined;
  }

  /**
   * Sets the Authorization header (and a client certificate from a plugin). Rejects with a
   * CredentialError when the plugin fails or does not answer within `deadlineMs`, or with the
   * signal's reason when it aborts; the plugin is killed when no request waits for it any more.
   */
  async apply(
    opts: { headers?: unknown; cert?: unknown; key?: unknown },
    limit: { deadlineMs: number; signal?: AbortSignal | undefined },
  ): Promise<void> {
    if (this.#closed) throw new CredentialError('the client is closed');
    const headers = (opts.headers ??= {}) as Record<string, string>;
    if (this.#exec !== undefined) {
      const status = await this.#execCredential(this.#exec, limit.deadlineMs, limit.signal);
      if (status.clientCertificateData !== undefined && status.clientCertificateData !== '') opts.cert = status.clientCertificateData;
      if (status.clientKeyData !== undefined && status.clientKeyData !== '') opts.key = status.clientKeyData;
      if (status.token !== undefined && status.token !== '') headers['Authorization'] = `Bearer ${status.token}`;
      return;
    }
    if (this.#oidc !== undefined) {
      headers['Authorization'] = `Bearer ${await this.#oidc.token(limit)}`;
      return;
    }
    if (this.#tokenFile !== undefined) headers['Authorization'] = `Bearer ${this.#tokenFromFile(this.#tokenFile)}`;
  }

  /** Kills a plugin still running; later calls reject. */
  close(): void {
    this.#closed = true;
    this.#oidc?.close();
    if (this.#running !== undefined) killGroup(this.#running.child?.pid);
    this.#running = undefined;
  }

  #tokenFromFile(file: string): string {
    const now = this.#now();
    if (this.#fileToken !== undefined && now - this.#fileToken.readAt < TOKEN_FILE_REREAD_MS) return this.#fileToken.token;
    let problem: string;
    try {
      const unsafe = unsafeLocalFile(file);
      if (unsafe !== undefined) throw new Error(unsafe);
      const token = fs.readFileSync(file, 'utf8').trim();
      if (token !== '') {
        this.#fileToken = { token, readAt: now };
        return token;
      }
      problem = 'it is empty';
    } catch (error) {
      problem = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (error as Error).message;
    }
    // client-go: the last token read stays in use; a static token covers only a file never read.
    if (this.#fileToken !== undefined) return this.#fileToken.token;
    if (this.#staticToken !== undefined && this.#staticToken !== '') return this.#staticToken;
    throw new CredentialError(`cannot read the tokenFile ${file} of user "${this.#userName}": ${problem}`);
  }

  async #execCredential(exec: ExecPluginConfig, deadlineMs: number, signal: AbortSignal | undefined): Promise<ExecCredentialStatus> {
    if (this.#cached !== undefined && this.#now() < this.#cached.expiresAt) return this.#cached.status;
    this.#cached = undefined;
    const running = (this.#running ??= this.#spawn(exec, deadlineMs));
    running.waiters += 1;
    try {
      return await boundedWait(running.promise, deadlineMs, signal, () =>
        new CredentialError(
          `the exec credential plugin ${pluginName(exec)} of user "${this.#userName}" did not answer within ${deadlineMs} ms; it was stopped`,
        ),
      );
    } finally {
      running.waiters -= 1;
      // Nobody waits any more (timeout, abort): end the plugin rather than leave it running.
      if (running.waiters === 0 && this.#running === running) {
        this.#running = undefined;
        killGroup(running.child?.pid);
      }
    }
  }

  #spawn(exec: ExecPluginConfig, deadlineMs: number): RunningPlugin {
    const name = pluginName(exec);
    if (exec.interactiveMode === 'Always') {
      const error = new CredentialError(`the exec credential plugin ${name} of user "${this.#userName}" needs a terminal (interactiveMode: Always); kubehooks runs it without one`);
      const promise = Promise.reject(error);
      promise.catch(() => undefined);
      return { promise, child: undefined, waiters: 0 };
    }
    const env: Record<string, string | undefined> = { ...process.env };
    for (const e of exec.env ?? []) env[e.name] = e.value;
    env['KUBERNETES_EXEC_INFO'] = JSON.stringify({
      apiVersion: exec.apiVersion ?? 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      spec: { interactive: false },
    });
    // Its own process group, so a script's children (`sleep`) are killed with it.
    const child = spawn(exec.command, [...(exec.args ?? [])], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    installExitHook();
    if (child.pid !== undefined) liveGroups.add(child.pid);
    // Backstop only: the waiters' own deadlines end it first (and kill it when none is left).
    const hardStop = setTimeout(() => {
      killGroup(child.pid);
    }, Math.max(1, deadlineMs) + 1000);
    hardStop.unref();
    const promise = new Promise<ExecCredentialStatus>((resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let size = 0;
      const take = (into: Buffer[]) => (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_PLUGIN_OUTPUT_BYTES) into.push(chunk);
        else killGroup(child.pid);
      };
      child.stdout.on('data', take(out));
      child.stderr.on('data', take(err));
      let spawnError: Error | undefined;
      child.once('error', (e) => {
        spawnError = e;
      });
      child.once('close', (code, signal) => {
        clearTimeout(hardStop);
        if (child.pid !== undefined) liveGroups.delete(child.pid);
        if (this.#running?.child === child) this.#running = undefined;
        const stderr = Buffer.concat(err).toString('utf8').trim().slice(0, 500);
        const outcome = readCredential(spawnError, code, signal, stderr, size, out);
        if (typeof outcome === 'string') {
          reject(new CredentialError(`the exec credential plugin ${name} of user "${this.#userName}" ${outcome}`));
          return;
        }
        const expires = typeof outcome.expirationTimestamp === 'string' ? Date.parse(outcome.expirationTimestamp) : Number.POSITIVE_INFINITY;
        this.#cached = { status: outcome, expiresAt: Number.isNaN(expires) ? Number.POSITIVE_INFINITY : expires };
        resolve(outcome);
      });
    });
    promise.catch(() => undefined);
    return { promise, child, waiters: 0 };
  }
}

/** The plugin's ExecCredential status, or why there is none (completes "the exec credential plugin X …"). */
function readCredential(
  spawnError: Error | undefined,
  code: number | null,
  signal: NodeJS.Signals | null,
  stderr: string,
  size: number,
  out: readonly Buffer[],
): ExecCredentialStatus | string {
  const said = stderr === '' ? '' : `: ${stderr}`;
  if (spawnError !== undefined) return `could not be started: ${spawnError.message}`;
  if (signal !== null) return `was ended by ${signal}${said}`;
  if (code !== 0) return `exited with code ${code ?? '?'}${said}`;
  if (size > MAX_PLUGIN_OUTPUT_BYTES) return `printed more than ${MAX_PLUGIN_OUTPUT_BYTES} bytes`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(out).toString('utf8'));
  } catch {
    return 'did not print an ExecCredential (its output is not JSON)';
  }
  const status = typeof parsed === 'object' && parsed !== null ? (parsed as { status?: unknown }).status : undefined;
  if (typeof status !== 'object' || status === null) return 'printed an ExecCredential without status';
  const s = status as ExecCredentialStatus;
  if (typeof s.token !== 'string' && typeof s.clientCertificateData !== 'string') {
    return 'printed an ExecCredential with neither status.token nor status.clientCertificateData';
  }
  return s;
}
