/**
 * An in-process fake of the parts of kube-apiserver that kubehooks uses, for a fast test tier:
 * pod list/get/watch (with resourceVersions, bookmarks, 410 Gone, dropped connections), Event
 * creation, and the pod exec WebSocket (v5/v4 channel protocols, kubelet-format exit statuses, refused
 * upgrades with a Status body). Plain HTTP on 127.0.0.1. It is not a substitute for the real control
 * plane: the e2e tier runs the same code against kube-apiserver + KWOK.
 *
 * Over 300 lines on purpose: one server whose routes (list, watch, get, Events, exec) share one pod
 * store, its resourceVersion history and one fault queue, as the real API server's do.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { ChangeSignal } from './changes.ts';
import { FakeObjects } from './fake-objects.ts';

export type FakePod = {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; uid?: string; resourceVersion?: string; labels?: Record<string, string>; [k: string]: unknown };
  spec: { containers: { name: string; [k: string]: unknown }[]; nodeName?: string; [k: string]: unknown };
  status?: { phase?: string; containerStatuses?: { name: string; ready?: boolean; state?: Record<string, unknown> }[]; [k: string]: unknown };
  [k: string]: unknown;
};

export type Verb = 'list' | 'watch' | 'get' | 'create-event' | 'exec';

export interface Fault {
  readonly verb: Verb;
  readonly namespace?: string | undefined;
  readonly statusCode: number;
  readonly reason?: string;
  readonly message?: string;
  /** How many matching requests it applies to (default 1). */
  readonly times?: number;
  /** For `list`: apply only to requests that carry a `continue` token (an expired continuation). */
  readonly onlyContinue?: boolean;
}

export interface ExecContext {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly command: readonly string[];
  readonly protocol: string;
  readonly query: URLSearchParams;
  stdout(data: string | Uint8Array): void;
  stderr(data: string | Uint8Array): void;
  /** Aborted when the client closes the connection. */
  readonly signal: AbortSignal;
}

export type ExecResult =
  | { readonly exitCode: number }
  /** Written verbatim (JSON) on channel 3, e.g. KWOK's InternalError form. */
  | { readonly status: unknown }
  /** Close the socket with no status frame. */
  | { readonly closeWithoutStatus: true };

export type ExecHandler = (ctx: ExecContext) => ExecResult | Promise<ExecResult>;

export interface ExecSession {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly command: readonly string[];
  readonly protocol: string;
  /** True when the client closed (or dropped) the socket before the server finished. */
  clientClosedFirst: boolean;
  /** Resolves when the server side has seen the socket close. */
  readonly closed: Promise<void>;
}

export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** The Accept header, when one was sent. */
  readonly accept?: string | undefined;
}

interface HistoryEntry {
  readonly rv: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly pod: FakePod;
}

interface OpenWatch {
  readonly namespace: string | undefined;
  readonly selector: string | undefined;
  readonly bookmarks: boolean;
  readonly res: http.ServerResponse;
  lastRv: number;
}

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  410: 'Expired',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

/** Minimal label selector: `a=b`, `a==b`, `a!=b`, `a`, `!a`, comma-separated (AND). */
export function matchesSelector(labels: Record<string, string> | undefined, selector: string | undefined): boolean {
  if (selector === undefined || selector.trim() === '') return true;
  const l = labels ?? {};
  return selector.split(',').every((raw) => {
    const term = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^([^!=\s]+)\s*!=\s*(.*)$/.exec(term)) !== null) return l[m[1] ?? ''] !== m[2];
    if ((m = /^([^!=\s]+)\s*==?\s*(.*)$/.exec(term)) !== null) return l[m[1] ?? ''] === m[2];
    if (term.startsWith('!')) return !(term.slice(1) in l);
    return term in l;
  });
}

export class FakeApiServer {
  readonly url: string;
  readonly requests: RequestRecord[] = [];
  readonly events: Record<string, unknown>[] = [];
  readonly execSessions: ExecSession[] = [];
  /** Which exec subprotocols the server accepts, in preference order. */
  execProtocols: string[] = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
  /** How a watch from a compacted resourceVersion is refused: HTTP 410, or a 200 with an ERROR event. */
  goneAs: 'http' | 'event' = 'event';
  /**
   * Watch events are sent in two writes 5 ms apart, cut inside the first multi-byte UTF-8 character
   * (a network may cut a stream anywhere; the client must decode across chunks).
   */
  splitWatchWritesInsideCharacters = false;
  /**
   * Notified after every request, Event, watch opened or closed and exec session started or ended:
   * tests wait on it (`until([server.changes], …)`) instead of sleeping.
   */
  readonly changes = new ChangeSignal();
  /** Leases and HookRuns (fake-objects.ts), with their own faults. */
  readonly objects = new FakeObjects(() => {
    this.changes.notify();
  });

  readonly #server: http.Server;
  readonly #wss: WebSocketServer;
  readonly #sockets = new Set<net.Socket>();
  readonly #pods = new Map<string, FakePod>();
  readonly #history: HistoryEntry[] = [];
  readonly #watches = new Set<OpenWatch>();
  readonly #faults: (Fault & { remaining: number })[] = [];
  readonly #tmpDirs: string[] = [];
  #rv = 100;
  #compactedRv = 0;
  #uid = 0;
  #execHandler: ExecHandler = () => ({ exitCode: 0 });

  private constructor(server: http.Server, port: number) {
    this.#server = server;
    this.url = `http://127.0.0.1:${port}`;
    this.#wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      handleProtocols: (offered) => this.execProtocols.find((p) => offered.has(p)) ?? false,
    });
    server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    server.on('request', (req, res) => {
      this.#handle(req, res);
    });
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      this.#upgrade(req, socket, head);
    });
  }

  static async start(): Promise<FakeApiServer> {
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('fake API server: no port');
    return new FakeApiServer(server, address.port);
  }

  /** A kubeconfig (YAML text) pointing at this server; plain HTTP needs insecure-skip-tls-verify. */
  kubeconfigYaml(options: { token?: string } = {}): string {
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: fake',
      '  cluster:',
      `    server: ${this.url}`,
      '    insecure-skip-tls-verify: true',
      'users:',
      '- name: tester',
      '  user:',
      `    token: ${options.token ?? 'fake-token'}`,
      'contexts:',
      '- name: fake',
      '  context: {cluster: fake, user: tester}',
      'current-context: fake',
      '',
    ].join('\n');
  }

  /** Writes the kubeconfig to a temporary file removed by close(). */
  writeKubeconfig(options: { token?: string } = {}): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubehooks-fake-'));
    this.#tmpDirs.push(dir);
    const file = path.join(dir, 'kubeconfig');
    fs.writeFileSync(file, this.kubeconfigYaml(options));
    return file;
  }

  // ---------- store ----------

  get resourceVersion(): string {
    return String(this.#rv);
  }

  /** Creates or replaces a pod (uid kept across updates) and notifies watches. */
  putPod(pod: FakePod): FakePod {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const previous = this.#pods.get(key);
    this.#rv++;
    const stored: FakePod = structuredClone({
      apiVersion: 'v1',
      kind: 'Pod',
      ...pod,
      metadata: {
        ...pod.metadata,
        uid: previous?.metadata.uid ?? pod.metadata.uid ?? `uid-${++this.#uid}`,
        resourceVersion: String(this.#rv),
      },
    });
    this.#pods.set(key, stored);
    this.#record({ rv: this.#rv, type: previous === undefined ? 'ADDED' : 'MODIFIED', pod: stored });
    return stored;
  }

  /** Applies `change` to a stored pod and stores the result. */
  updatePod(namespace: string, name: string, change: (pod: FakePod) => void): FakePod {
    const pod = this.#pods.get(`${namespace}/${name}`);
    if (pod === undefined) throw new Error(`fake API server: no pod ${namespace}/${name}`);
    const copy = structuredClone(pod);
    change(copy);
    return this.putPod(copy);
  }

  deletePod(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const pod = this.#pods.get(key);
    if (pod === undefined) return;
    this.#pods.delete(key);
    this.#rv++;
    this.#record({ rv: this.#rv, type: 'DELETED', pod: { ...pod, metadata: { ...pod.metadata, resourceVersion: String(this.#rv) } } });
  }

  /** Changes the store without telling open watches (simulates events lost while disconnected). */
  silently(change: () => void): void {
    const watches = [...this.#watches];
    this.#watches.clear();
    try {
      change();
    } finally {
      for (const w of watches) this.#watches.add(w);
      for (const w of watches) w.lastRv = this.#rv;
    }
  }

  /** Forget history up to now: watches from older resourceVersions get 410 Gone. */
  compact(): void {
    this.#compactedRv = this.#rv;
    this.#history.length = 0;
  }

  // ---------- faults ----------

  /** The next request of this verb (optionally in this namespace) fails with the status. */
  failNext(fault: Fault): void {
    this.#faults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  /** Destroys every open watch connection (as a network drop would). Returns how many. */
  dropWatches(): number {
    const n = this.#watches.size;
    for (const w of this.#watches) w.res.destroy();
    this.#watches.clear();
    this.changes.notify();
    return n;
  }

  /** Ends every open watch in order, as the server does at timeoutSeconds: what was written is delivered first. */
  endWatches(): number {
    const n = this.#watches.size;
    for (const w of this.#watches) w.res.end();
    this.#watches.clear();
    this.changes.notify();
    return n;
  }

  /** Sends an ERROR event with this code to every open watch and ends it (how 410 arrives mid-watch). */
  sendWatchError(code = 410): number {
    const n = this.#watches.size;
    for (const w of this.#watches) {
      w.res.end(`${JSON.stringify({ type: 'ERROR', object: status(code, REASONS[code] ?? 'Unknown', 'too old resource version') })}\n`);
    }
    this.#watches.clear();
    this.changes.notify();
    return n;
  }

  /** Sends a BOOKMARK at the current resourceVersion to every watch that asked for bookmarks. */
  sendBookmarks(): void {
    for (const w of this.#watches) {
      if (!w.bookmarks) continue;
      w.lastRv = this.#rv;
      w.res.write(
        `${JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: String(this.#rv), annotations: { 'k8s.io/initial-events-end': 'true' } } } })}\n`,
      );
    }
  }

  get openWatchCount(): number {
    return this.#watches.size;
  }

  onExec(handler: ExecHandler): void {
    this.#execHandler = handler;
  }

  async close(): Promise<void> {
    this.objects.close();
    for (const w of this.#watches) w.res.destroy();
    this.#watches.clear();
    for (const client of this.#wss.clients) client.terminate();
    await new Promise<void>((resolve) => {
      this.#wss.close(() => {
        resolve();
      });
    });
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => {
      this.#server.close(() => {
        resolve();
      });
    });
    for (const dir of this.#tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
  }

  // ---------- internals ----------

  #record(entry: HistoryEntry): void {
    this.#history.push(entry);
    for (const w of this.#watches) this.#deliver(w, entry);
  }

  #deliver(w: OpenWatch, entry: HistoryEntry): void {
    if (entry.rv <= w.lastRv) return;
    w.lastRv = entry.rv;
    if (w.namespace !== undefined && entry.pod.metadata.namespace !== w.namespace) return;
    if (!matchesSelector(entry.pod.metadata.labels, w.selector)) return;
    const bytes = Buffer.from(`${JSON.stringify({ type: entry.type, object: entry.pod })}\n`);
    const cut = bytes.findIndex((b) => b >= 0xc0) + 1;
    if (!this.splitWatchWritesInsideCharacters || cut === 0) {
      w.res.write(bytes);
      return;
    }
    w.res.cork();
    w.res.write(bytes.subarray(0, cut));
    w.res.uncork();
    w.res.cork();
    const rest = bytes.subarray(cut);
    setTimeout(() => {
      if (!w.res.destroyed) w.res.write(rest);
      w.res.uncork();
    }, 5);
  }

  #takeFault(verb: Verb, namespace: string | undefined, isContinue = false): Fault | undefined {
    const i = this.#faults.findIndex(
      (f) =>
        f.verb === verb &&
        (f.namespace === undefined || f.namespace === namespace) &&
        (f.onlyContinue !== true || isContinue),
    );
    if (i < 0) return undefined;
    const fault = this.#faults[i];
    if (fault === undefined) return undefined;
    if (--fault.remaining <= 0) this.#faults.splice(i, 1);
    return fault;
  }

  #sendStatus(res: http.ServerResponse, code: number, message: string, reason?: string): void {
    const body = JSON.stringify(status(code, reason ?? REASONS[code] ?? 'Unknown', message));
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, query: url.searchParams, accept: req.headers.accept });
    this.changes.notify();
    if (this.objects.handle(req, res, url)) return;
    const m = /^\/api\/v1(?:\/namespaces\/([^/]+))?\/(pods|events)(?:\/([^/]+))?$/.exec(url.pathname);
    if (m === null) {
      this.#sendStatus(res, 404, `the server could not find the requested resource (${url.pathname})`);
      return;
    }
    const namespace = m[1] === undefined ? undefined : decodeURIComponent(m[1]);
    const resource = m[2];
    const name = m[3] === undefined ? undefined : decodeURIComponent(m[3]);

    if (resource === 'events') {
      if (method !== 'POST' || namespace === undefined) {
        this.#sendStatus(res, 405, 'method not allowed');
        return;
      }
      const fault = this.#takeFault('create-event', namespace);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (fault !== undefined) {
          this.#sendStatus(res, fault.statusCode, fault.message ?? 'injected fault', fault.reason);
          return;
        }
        let event: Record<string, unknown>;
        try {
          event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        } catch {
          this.#sendStatus(res, 400, 'invalid JSON');
          return;
        }
        const meta = (event['metadata'] ?? {}) as Record<string, unknown>;
        const prefix = typeof meta['generateName'] === 'string' ? meta['generateName'] : 'event.';
        const eventName = typeof meta['name'] === 'string' ? meta['name'] : `${prefix}${(++this.#uid).toString(36)}`;
        const stored = { ...event, metadata: { ...meta, name: eventName, namespace, uid: `event-${this.#uid}` } };
        this.events.push(stored);
        this.changes.notify();
        const body = JSON.stringify(stored);
        res.writeHead(201, { 'Content-Type': 'application/json' });
        res.end(body);
      });
      return;
    }

    if (method !== 'GET') {
      this.#sendStatus(res, 405, 'method not allowed');
      return;
    }
    if (name !== undefined) {
      const fault = this.#takeFault('get', namespace);
      if (fault !== undefined) {
        this.#sendStatus(res, fault.statusCode, fault.message ?? 'injected fault', fault.reason);
        return;
      }
      const pod = this.#pods.get(`${namespace ?? ''}/${name}`);
      if (pod === undefined) {
        this.#sendStatus(res, 404, `pods "${name}" not found`);
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(pod));
      return;
    }
    const watch = url.searchParams.get('watch');
    if (watch === 'true' || watch === '1') {
      this.#watch(url, namespace, res);
      return;
    }
    const token = url.searchParams.get('continue') ?? '';
    const fault = this.#takeFault('list', namespace, token !== '');
    if (fault !== undefined) {
      this.#sendStatus(res, fault.statusCode, fault.message ?? 'injected fault', fault.reason);
      return;
    }
    const selector = url.searchParams.get('labelSelector') ?? undefined;
    const all = [...this.#pods.values()].filter(
      (p) => (namespace === undefined || p.metadata.namespace === namespace) && matchesSelector(p.metadata.labels, selector),
    );
    // Pages: the continue token is the offset (the real server also pins the snapshot; tests here do not need it).
    const limit = Number(url.searchParams.get('limit') ?? '0');
    const offset = token === '' ? 0 : Number(Buffer.from(token, 'base64').toString('utf8'));
    const items = limit > 0 ? all.slice(offset, offset + limit) : all;
    const next = limit > 0 && offset + limit < all.length ? Buffer.from(String(offset + limit)).toString('base64') : undefined;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: 'PodList',
        apiVersion: 'v1',
        metadata: { resourceVersion: String(this.#rv), ...(next === undefined ? {} : { continue: next }) },
        items,
      }),
    );
  }

  #watch(url: URL, namespace: string | undefined, res: http.ServerResponse): void {
    const fault = this.#takeFault('watch', namespace);
    if (fault !== undefined) {
      this.#sendStatus(res, fault.statusCode, fault.message ?? 'injected fault', fault.reason);
      return;
    }
    const from = Number(url.searchParams.get('resourceVersion') ?? String(this.#rv));
    if (from < this.#compactedRv) {
      if (this.goneAs === 'http') {
        this.#sendStatus(res, 410, `too old resource version: ${from} (${this.#compactedRv})`, 'Expired');
      } else {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(`${JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${from} (${this.#compactedRv})`) })}\n`);
      }
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const w: OpenWatch = {
      namespace,
      selector: url.searchParams.get('labelSelector') ?? undefined,
      bookmarks: url.searchParams.get('allowWatchBookmarks') === 'true',
      res,
      lastRv: from,
    };
    for (const entry of this.#history) this.#deliver(w, entry);
    w.lastRv = Math.max(w.lastRv, from);
    this.#watches.add(w);
    this.changes.notify();
    const timeoutSeconds = Number(url.searchParams.get('timeoutSeconds') ?? '0');
    const timer = timeoutSeconds > 0 ? setTimeout(() => res.end(), timeoutSeconds * 1000) : undefined;
    res.once('close', () => {
      clearTimeout(timer);
      this.#watches.delete(w);
      this.changes.notify();
    });
  }

  #refuse(socket: net.Socket, code: number, message: string, reason?: string): void {
    const body = JSON.stringify(status(code, reason ?? REASONS[code] ?? 'Unknown', message));
    socket.end(
      `HTTP/1.1 ${code} ${http.STATUS_CODES[code] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }

  #upgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams });
    this.changes.notify();
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/.exec(url.pathname);
    if (m === null) {
      this.#refuse(socket, 404, 'not found');
      return;
    }
    const namespace = decodeURIComponent(m[1] ?? '');
    const podName = decodeURIComponent(m[2] ?? '');
    const fault = this.#takeFault('exec', namespace);
    if (fault !== undefined) {
      this.#refuse(socket, fault.statusCode, fault.message ?? 'injected fault', fault.reason);
      return;
    }
    const pod = this.#pods.get(`${namespace}/${podName}`);
    if (pod === undefined) {
      this.#refuse(socket, 404, `pods "${podName}" not found`);
      return;
    }
    const names = pod.spec.containers.map((c) => c.name);
    const container = url.searchParams.get('container') ?? (names.length === 1 ? names[0] : undefined);
    if (container === undefined) {
      this.#refuse(socket, 400, `a container name must be specified for pod ${podName}, choose one of: [${names.join(' ')}]`);
      return;
    }
    if (!names.includes(container)) {
      this.#refuse(socket, 400, `container ${container} is not valid for pod ${podName}`);
      return;
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      this.#refuse(socket, 400, `cannot exec into a container in a completed pod; current phase is ${phase}`);
      return;
    }
    if (pod.spec.nodeName === undefined || pod.spec.nodeName === '') {
      this.#refuse(socket, 400, `pod ${podName} does not have a host assigned`);
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      this.#runExec(ws, { namespace, pod: podName, container, query: url.searchParams });
    });
  }

  #runExec(ws: WebSocket, target: { namespace: string; pod: string; container: string; query: URLSearchParams }): void {
    const controller = new AbortController();
    let finished = false;
    let markClosed: () => void = () => undefined;
    const session: ExecSession = {
      namespace: target.namespace,
      pod: target.pod,
      container: target.container,
      command: target.query.getAll('command'),
      protocol: ws.protocol,
      clientClosedFirst: false,
      closed: new Promise<void>((resolve) => {
        markClosed = resolve;
      }),
    };
    this.execSessions.push(session);
    this.changes.notify();
    ws.on('error', () => undefined);
    ws.on('close', () => {
      if (!finished) session.clientClosedFirst = true;
      controller.abort();
      markClosed();
      this.changes.notify();
    });
    const send = (channel: number, data: string | Uint8Array): void => {
      if (ws.readyState !== ws.OPEN) return;
      const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
      ws.send(Buffer.concat([Buffer.from([channel]), bytes]));
    };
    const ctx: ExecContext = {
      namespace: target.namespace,
      pod: target.pod,
      container: target.container,
      command: session.command,
      protocol: ws.protocol,
      query: target.query,
      stdout: (d) => {
        send(1, d);
      },
      stderr: (d) => {
        send(2, d);
      },
      signal: controller.signal,
    };
    Promise.resolve()
      .then(() => this.#execHandler(ctx))
      .then(
        (result) => {
          if (controller.signal.aborted) return;
          finished = true;
          if ('closeWithoutStatus' in result) {
            ws.close(1000);
            return;
          }
          const st =
            'status' in result
              ? result.status
              : result.exitCode === 0
                ? { metadata: {}, status: 'Success' }
                : {
                    metadata: {},
                    status: 'Failure',
                    message: `command terminated with non-zero exit code: error executing command [${session.command.join(' ')}], exit code ${result.exitCode}`,
                    reason: 'NonZeroExitCode',
                    details: { causes: [{ reason: 'ExitCode', message: String(result.exitCode) }] },
                  };
          send(3, JSON.stringify(st));
          ws.close(1000);
        },
        (error: unknown) => {
          if (controller.signal.aborted) return;
          finished = true;
          send(3, JSON.stringify(status(500, 'InternalError', `Internal error occurred: ${String(error)}`)));
          ws.close(1000);
        },
      );
  }
}

/**
 * An exec handler that runs the argv as a local child process, without a shell (like KWOK's `local`
 * exec), and reports its real exit code. The process is killed when the client goes away.
 */
export function runLocally(ctx: ExecContext): Promise<ExecResult> {
  return new Promise<ExecResult>((resolve) => {
    const [file, ...args] = ctx.command;
    if (file === undefined) {
      resolve({ status: status(500, 'InternalError', 'Internal error occurred: empty command') });
      return;
    }
    const child = spawn(file, args, { shell: false, stdio: ['ignore', 'pipe', 'pipe'] });
    const kill = (): void => {
      child.kill('SIGKILL');
    };
    ctx.signal.addEventListener('abort', kill, { once: true });
    child.stdout.on('data', (d: Buffer) => {
      ctx.stdout(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      ctx.stderr(d);
    });
    child.once('error', (error) => {
      ctx.signal.removeEventListener('abort', kill);
      resolve({ status: status(500, 'InternalError', `Internal error occurred: error executing command in container: cmd start: ${error.message}`) });
    });
    child.once('close', (code) => {
      ctx.signal.removeEventListener('abort', kill);
      resolve({ exitCode: code ?? 137 });
    });
  });
}

/** A pod that is scheduled and running with the given containers. */
export function runningPod(namespace: string, name: string, containers: readonly string[] = ['app'], labels?: Record<string, string>): FakePod {
  return {
    metadata: { name, namespace, ...(labels === undefined ? {} : { labels }) },
    spec: { nodeName: 'fake-node', containers: containers.map((c) => ({ name: c, image: 'fake' })) },
    status: {
      phase: 'Running',
      containerStatuses: containers.map((c) => ({ name: c, ready: true, state: { running: { startedAt: '2026-01-01T00:00:00Z' } } })),
    },
  };
}

/** A pod that is scheduled but whose containers have not started. */
export function pendingPod(namespace: string, name: string, containers: readonly string[] = ['app'], labels?: Record<string, string>): FakePod {
  return {
    metadata: { name, namespace, ...(labels === undefined ? {} : { labels }) },
    spec: { nodeName: 'fake-node', containers: containers.map((c) => ({ name: c, image: 'fake' })) },
    status: {
      phase: 'Pending',
      containerStatuses: containers.map((c) => ({ name: c, ready: false, state: { waiting: { reason: 'ContainerCreating' } } })),
    },
  };
}
