/**
 * The fake API server's other objects (fake-api-server.ts routes to it): coordination.k8s.io/v1
 * Leases (get, create, update) and kubehooks.dev/v1alpha1 HookRuns (list, watch, get, create, status
 * update) and HookRunJournals (get, create, update, delete; ADR 0024), each write checked against metadata.resourceVersion as kube-apiserver does (409 Conflict),
 * with its own fault queue: injected statuses per verb, dropped HookRun watches, and edits by
 * "someone else" that move the resourceVersion under a writer. HookRun lists, watches and gets honour
 * `Accept: application/json;as=PartialObjectMetadata[List];g=meta.k8s.io;v=v1` (metadata only) as
 * kube-apiserver does. For the fault tier of the controller and the leader election; the e2e tier runs
 * the same code against kube-apiserver.
 */
import type http from 'node:http';

export type ObjectVerb = 'lease-get' | 'lease-create' | 'lease-update' | 'hookrun-list' | 'hookrun-watch' | 'hookrun-get' | 'hookrun-status' | 'journal-get' | 'journal-create' | 'journal-update' | 'journal-delete';

export interface ObjectFault {
  readonly verb: ObjectVerb;
  readonly statusCode: number;
  readonly reason?: string;
  readonly message?: string;
  /** How many matching requests it applies to (default 1). */
  readonly times?: number;
  /** For writes: apply the write first, then answer with the fault (the client never learns it landed). */
  readonly afterWrite?: boolean;
}

export type StoredObject = Record<string, unknown> & { metadata: { name: string; namespace: string; resourceVersion?: string; uid?: string; generation?: number; [k: string]: unknown } };

interface Entry {
  readonly rv: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly obj: StoredObject;
}

interface Watch {
  readonly namespace: string | undefined;
  readonly res: http.ServerResponse;
  /** PartialObjectMetadata events. */
  readonly metadataOnly: boolean;
  lastRv: number;
}

/** What `Accept` asks for: metadata only (PartialObjectMetadata, or its List), else the whole object. */
function wantsMetadata(req: http.IncomingMessage, kind: 'PartialObjectMetadata' | 'PartialObjectMetadataList'): boolean {
  const first = (req.headers.accept ?? '').split(',')[0] ?? '';
  return first.split(';').map((x) => x.trim()).includes(`as=${kind}`);
}

function partialMetadata(obj: StoredObject): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

function status(code: number, reason: string, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

const LEASES = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases(?:\/([^/]+))?$/;
const JOURNALS = /^\/apis\/kubehooks\.dev\/v1alpha1\/namespaces\/([^/]+)\/hookrunjournals(?:\/([^/]+))?$/;
const HOOKRUNS = /^\/apis\/kubehooks\.dev\/v1alpha1(?:\/namespaces\/([^/]+))?\/hookruns(?:\/([^/]+)(\/status)?)?$/;

export class FakeObjects {
  readonly #leases = new Map<string, StoredObject>();
  readonly #hookRuns = new Map<string, StoredObject>();
  readonly #journals = new Map<string, StoredObject>();
  readonly #history: Entry[] = [];
  readonly #watches = new Set<Watch>();
  readonly #faults: (ObjectFault & { remaining: number })[] = [];
  readonly #notify: () => void;
  #rv = 50_000;
  #uid = 0;
  /** Status writes accepted, per HookRun key (for tests of the write bound). */
  readonly statusWrites = new Map<string, number>();
  /** Called with each accepted status write (tests follow the journal). */
  onStatusWrite: ((hookRun: StoredObject) => void) | undefined;
  /** HookRunJournal writes accepted (create and update), per key. */
  readonly journalWrites = new Map<string, number>();
  /** Called with each accepted HookRunJournal write (create or update). */
  onJournalWrite: ((journal: StoredObject) => void) | undefined;

  constructor(notify: () => void) {
    this.#notify = notify;
  }

  failNext(fault: ObjectFault): void {
    this.#faults.push({ ...fault, remaining: fault.times ?? 1 });
  }

  lease(namespace: string, name: string): StoredObject | undefined {
    const l = this.#leases.get(`${namespace}/${name}`);
    return l === undefined ? undefined : structuredClone(l);
  }

  /** Writes a Lease as another client would (moves its resourceVersion). */
  putLease(lease: StoredObject): StoredObject {
    return this.#store(this.#leases, lease, false);
  }

  hookRun(namespace: string, name: string): StoredObject | undefined {
    const h = this.#hookRuns.get(`${namespace}/${name}`);
    return h === undefined ? undefined : structuredClone(h);
  }

  /** Creates a HookRun (uid, generation 1) and tells the watches. */
  createHookRun(hookRun: StoredObject): StoredObject {
    return this.#store(this.#hookRuns, { ...hookRun, metadata: { ...hookRun.metadata, generation: 1 } }, true);
  }

  /** Deletes a HookRun and tells the watches. */
  deleteHookRun(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    const current = this.#hookRuns.get(key);
    if (current === undefined) throw new Error(`fake API server: no HookRun ${key}`);
    this.#hookRuns.delete(key);
    this.#rv++;
    const entry: Entry = { rv: this.#rv, type: 'DELETED', obj: { ...current, metadata: { ...current.metadata, resourceVersion: String(this.#rv) } } };
    this.#history.push(entry);
    for (const w of this.#watches) this.#deliver(w, entry);
    this.#notify();
  }

  journal(namespace: string, name: string): StoredObject | undefined {
    const j = this.#journals.get(`${namespace}/${name}`);
    return j === undefined ? undefined : structuredClone(j);
  }

  /** Someone deletes a HookRunJournal (no watch sees it). */
  deleteJournal(namespace: string, name: string): void {
    this.#journals.delete(`${namespace}/${name}`);
    this.#notify();
  }

  /** Writes a HookRunJournal as another client would (moves its resourceVersion; keeps its uid). */
  putJournal(journal: StoredObject): StoredObject {
    return this.#store(this.#journals, journal, false);
  }

  /** Bytes sent on HookRun watches (tests of what a status write costs its watchers). */
  hookRunWatchBytes = 0;

  /** Someone else edits the HookRun (a label, say): its resourceVersion moves, its status stays. */
  touchHookRun(namespace: string, name: string, change: (obj: StoredObject) => void): StoredObject {
    const current = this.#hookRuns.get(`${namespace}/${name}`);
    if (current === undefined) throw new Error(`fake API server: no HookRun ${namespace}/${name}`);
    const copy = structuredClone(current);
    change(copy);
    return this.#store(this.#hookRuns, copy, true);
  }

  get openWatchCount(): number {
    return this.#watches.size;
  }

  /** Destroys every HookRun watch connection (a network drop). */
  dropWatches(): number {
    const n = this.#watches.size;
    for (const w of this.#watches) w.res.destroy();
    this.#watches.clear();
    this.#notify();
    return n;
  }

  close(): void {
    for (const w of this.#watches) w.res.destroy();
    this.#watches.clear();
  }

  /** Serves the request when it is for a Lease or a HookRun; false otherwise. */
  handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): boolean {
    const method = req.method ?? 'GET';
    const lease = LEASES.exec(url.pathname);
    if (lease !== null) {
      const ns = decodeURIComponent(lease[1] ?? '');
      const name = lease[2] === undefined ? undefined : decodeURIComponent(lease[2]);
      if (method === 'GET' && name !== undefined) this.#get(res, 'lease-get', this.#leases, ns, name, 'leases.coordination.k8s.io');
      else if (method === 'POST' && name === undefined) this.#withBody(req, res, (body) => { this.#create(res, 'lease-create', this.#leases, ns, body, 'leases.coordination.k8s.io', false); });
      else if (method === 'PUT' && name !== undefined) this.#withBody(req, res, (body) => { this.#update(res, 'lease-update', this.#leases, ns, name, body, 'leases.coordination.k8s.io', 'all'); });
      else this.#send(res, 405, status(405, 'MethodNotAllowed', 'method not allowed'));
      return true;
    }
    const journal = JOURNALS.exec(url.pathname);
    if (journal !== null) {
      const ns = decodeURIComponent(journal[1] ?? '');
      const name = journal[2] === undefined ? undefined : decodeURIComponent(journal[2]);
      const resource = 'hookrunjournals.kubehooks.dev';
      if (method === 'GET' && name !== undefined) this.#get(res, 'journal-get', this.#journals, ns, name, resource);
      else if (method === 'POST' && name === undefined) this.#withBody(req, res, (body) => { this.#create(res, 'journal-create', this.#journals, ns, body, resource, false); });
      else if (method === 'PUT' && name !== undefined) this.#withBody(req, res, (body) => { this.#update(res, 'journal-update', this.#journals, ns, name, body, resource, 'all'); });
      else if (method === 'DELETE' && name !== undefined) this.#withBody(req, res, (body) => { this.#delete(res, ns, name, body, resource); });
      else this.#send(res, 405, status(405, 'MethodNotAllowed', 'method not allowed'));
      return true;
    }
    const hr = HOOKRUNS.exec(url.pathname);
    if (hr === null) return false;
    const ns = hr[1] === undefined ? undefined : decodeURIComponent(hr[1]);
    const name = hr[2] === undefined ? undefined : decodeURIComponent(hr[2]);
    const sub = hr[3] !== undefined;
    const resource = 'hookruns.kubehooks.dev';
    if (method === 'GET' && name === undefined) {
      const w = url.searchParams.get('watch');
      if (w === '1' || w === 'true') this.#watch(url, ns, res, wantsMetadata(req, 'PartialObjectMetadata'));
      else this.#list(res, ns, wantsMetadata(req, 'PartialObjectMetadataList'));
    } else if (method === 'GET' && name !== undefined && ns !== undefined) this.#get(res, 'hookrun-get', this.#hookRuns, ns, name, resource, wantsMetadata(req, 'PartialObjectMetadata'));
    else if (method === 'POST' && name === undefined && ns !== undefined) this.#withBody(req, res, (body) => { this.#create(res, 'hookrun-get', this.#hookRuns, ns, body, resource, true); });
    else if (method === 'PUT' && name !== undefined && ns !== undefined && sub) this.#withBody(req, res, (body) => { this.#update(res, 'hookrun-status', this.#hookRuns, ns, name, body, resource, 'status'); });
    else this.#send(res, 405, status(405, 'MethodNotAllowed', 'method not allowed'));
    return true;
  }

  #take(verb: ObjectVerb): (ObjectFault & { remaining: number }) | undefined {
    const i = this.#faults.findIndex((f) => f.verb === verb);
    if (i < 0) return undefined;
    const f = this.#faults[i];
    if (f !== undefined && --f.remaining <= 0) this.#faults.splice(i, 1);
    return f;
  }

  #send(res: http.ServerResponse, code: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  #fault(res: http.ServerResponse, f: ObjectFault): void {
    this.#send(res, f.statusCode, status(f.statusCode, f.reason ?? (f.statusCode === 409 ? 'Conflict' : 'InternalError'), f.message ?? 'injected fault'));
  }

  #withBody(req: http.IncomingMessage, res: http.ServerResponse, then: (body: StoredObject) => void): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: StoredObject;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as StoredObject;
      } catch {
        this.#send(res, 400, status(400, 'BadRequest', 'invalid JSON'));
        return;
      }
      then(body);
    });
  }

  #store(map: Map<string, StoredObject>, obj: StoredObject, watched: boolean): StoredObject {
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const previous = map.get(key);
    this.#rv++;
    const stored = structuredClone({ ...obj, metadata: { ...obj.metadata, uid: previous?.metadata.uid ?? obj.metadata.uid ?? `uid-obj-${++this.#uid}`, resourceVersion: String(this.#rv) } });
    map.set(key, stored);
    if (watched) {
      const entry: Entry = { rv: this.#rv, type: previous === undefined ? 'ADDED' : 'MODIFIED', obj: stored };
      this.#history.push(entry);
      for (const w of this.#watches) this.#deliver(w, entry);
    }
    this.#notify();
    return structuredClone(stored);
  }

  #get(res: http.ServerResponse, verb: ObjectVerb, map: Map<string, StoredObject>, ns: string, name: string, resource: string, metadataOnly = false): void {
    const f = this.#take(verb);
    if (f !== undefined) { this.#fault(res, f); return; }
    const obj = map.get(`${ns}/${name}`);
    if (obj === undefined) { this.#send(res, 404, status(404, 'NotFound', `${resource} "${name}" not found`)); return; }
    this.#send(res, 200, metadataOnly ? partialMetadata(obj) : obj);
  }

  #create(res: http.ServerResponse, verb: ObjectVerb, map: Map<string, StoredObject>, ns: string, body: StoredObject, resource: string, watched: boolean): void {
    const f = this.#take(verb);
    if (f !== undefined && f.afterWrite !== true) { this.#fault(res, f); return; }
    const name = body.metadata.name;
    if (map.has(`${ns}/${name}`)) { this.#send(res, 409, status(409, 'AlreadyExists', `${resource} "${name}" already exists`)); return; }
    const stored = this.#store(map, { ...body, metadata: { ...body.metadata, namespace: ns, ...(watched ? { generation: 1 } : {}) } }, watched);
    if (map === this.#journals) this.#journalWritten(stored);
    if (f !== undefined) { this.#fault(res, f); return; }
    this.#send(res, 201, stored);
  }

  /** PUT: `all` replaces everything but metadata identity; `status` replaces only .status. */
  #update(res: http.ServerResponse, verb: ObjectVerb, map: Map<string, StoredObject>, ns: string, name: string, body: StoredObject, resource: string, part: 'all' | 'status'): void {
    const f = this.#take(verb);
    if (f !== undefined && f.afterWrite !== true) { this.#fault(res, f); return; }
    const key = `${ns}/${name}`;
    const current = map.get(key);
    if (current === undefined) { this.#send(res, 404, status(404, 'NotFound', `${resource} "${name}" not found`)); return; }
    const rv = body.metadata.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== current.metadata.resourceVersion) {
      this.#send(res, 409, status(409, 'Conflict', `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`)); return;
    }
    const next: StoredObject = part === 'status' ? { ...current, status: body['status'] } : { ...body, metadata: { ...current.metadata, ...body.metadata } };
    const stored = this.#store(map, next, map === this.#hookRuns);
    if (map === this.#journals) this.#journalWritten(stored);
    if (part === 'status') {
      this.statusWrites.set(key, (this.statusWrites.get(key) ?? 0) + 1);
      this.onStatusWrite?.(structuredClone(stored));
    }
    if (f !== undefined) { this.#fault(res, f); return; }
    this.#send(res, 200, stored);
  }

  #journalWritten(stored: StoredObject): void {
    const key = `${stored.metadata.namespace}/${stored.metadata.name}`;
    this.journalWrites.set(key, (this.journalWrites.get(key) ?? 0) + 1);
    this.onJournalWrite?.(structuredClone(stored));
  }

  #delete(res: http.ServerResponse, ns: string, name: string, body: StoredObject, resource: string): void {
    const f = this.#take('journal-delete');
    if (f !== undefined) { this.#fault(res, f); return; }
    const key = `${ns}/${name}`;
    const current = this.#journals.get(key);
    if (current === undefined) { this.#send(res, 404, status(404, 'NotFound', `${resource} "${name}" not found`)); return; }
    const uid = (body['preconditions'] as { uid?: string } | undefined)?.uid;
    if (uid !== undefined && uid !== current.metadata.uid) {
      this.#send(res, 409, status(409, 'Conflict', `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${String(current.metadata.uid)}`)); return;
    }
    this.#journals.delete(key);
    this.#notify();
    this.#send(res, 200, status(200, 'Success', 'deleted'));
  }

  #list(res: http.ServerResponse, ns: string | undefined, metadataOnly: boolean): void {
    const f = this.#take('hookrun-list');
    if (f !== undefined) { this.#fault(res, f); return; }
    const items = [...this.#hookRuns.values()].filter((o) => ns === undefined || o.metadata.namespace === ns);
    const metadata = { resourceVersion: String(this.#rv) };
    // kube-apiserver sends an empty PartialObjectMetadataList with `"items": null` (a nil Go slice).
    if (metadataOnly) this.#send(res, 200, { apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadataList', metadata, items: items.length === 0 ? null : items.map(partialMetadata) });
    else this.#send(res, 200, { apiVersion: 'kubehooks.dev/v1alpha1', kind: 'HookRunList', metadata, items });
  }

  #watch(url: URL, ns: string | undefined, res: http.ServerResponse, metadataOnly: boolean): void {
    const f = this.#take('hookrun-watch');
    if (f !== undefined) { this.#fault(res, f); return; }
    const from = Number(url.searchParams.get('resourceVersion') ?? String(this.#rv));
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    const w: Watch = { namespace: ns, res, metadataOnly, lastRv: from };
    for (const entry of this.#history) this.#deliver(w, entry);
    w.lastRv = Math.max(w.lastRv, from);
    this.#watches.add(w);
    this.#notify();
    const timeoutSeconds = Number(url.searchParams.get('timeoutSeconds') ?? '0');
    const timer = timeoutSeconds > 0 ? setTimeout(() => res.end(), timeoutSeconds * 1000) : undefined;
    res.once('close', () => {
      clearTimeout(timer);
      this.#watches.delete(w);
      this.#notify();
    });
  }

  #deliver(w: Watch, entry: Entry): void {
    if (entry.rv <= w.lastRv) return;
    w.lastRv = entry.rv;
    if (w.namespace !== undefined && entry.obj.metadata.namespace !== w.namespace) return;
    const line = `${JSON.stringify({ type: entry.type, object: w.metadataOnly ? partialMetadata(entry.obj) : entry.obj })}\n`;
    this.hookRunWatchBytes += Buffer.byteLength(line);
    w.res.write(line);
  }
}
