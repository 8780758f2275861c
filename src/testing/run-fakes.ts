/** In-memory ports for runner tests (and for anyone testing code built on the runners). */
import type { PlannedHook } from '../model/plan.ts';
import type { ContainerStatusView, PodManifest } from '../model/pod.ts';
import type { FakeClock } from './fake-clock.ts';
import type {
  EventRecorder,
  ExecErrorCode,
  ExecOutcome,
  ExecRequest,
  PodEvent,
  PodEventRecord,
  PodExecutor,
  PodScope,
  PodWatcher,
  PodWatchHandlers,
} from '../run/ports.ts';

export interface FakeExecBehaviour {
  readonly exitCode?: number;
  readonly delayMs?: number;
  /** Never finishes on its own (until timeout or abort). */
  readonly hang?: boolean;
  readonly error?: { readonly code: ExecErrorCode; readonly message: string };
  readonly stdout?: string;
  readonly stderr?: string;
}

export type FakeExecScript = (request: ExecRequest) => FakeExecBehaviour;

/** Executes nothing: answers per the script after simulated time, honouring timeout and abort. */
export class FakeExecutor implements PodExecutor {
  readonly calls: ExecRequest[] = [];
  active = 0;
  maxActive = 0;
  readonly #clock: FakeClock;
  readonly #script: FakeExecScript;

  constructor(clock: FakeClock, script: FakeExecScript = () => ({ exitCode: 0 })) {
    this.#clock = clock;
    this.#script = script;
  }

  /** Commands executed, as `pod/container:argv-joined`. */
  get executed(): string[] {
    return this.calls.map((c) => `${c.pod}/${c.container}:${c.command.join(' ')}`);
  }

  async exec(request: ExecRequest): Promise<ExecOutcome> {
    this.calls.push(request);
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    const startedAt = new Date(this.#clock.now());
    const behaviour = this.#script(request);
    const out = (): { stdout: string; stderr: string; truncated: boolean; startedAt: Date; durationMs: number } => ({
      stdout: behaviour.stdout ?? '',
      stderr: behaviour.stderr ?? '',
      truncated: false,
      startedAt,
      durationMs: this.#clock.now() - startedAt.getTime(),
    });
    const timer = new AbortController();
    const onAbort = (): void => {
      timer.abort();
    };
    request.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const wantMs = behaviour.hang === true ? Infinity : (behaviour.delayMs ?? 0);
      const sleepMs = Math.min(wantMs, request.timeoutMs);
      try {
        await this.#clock.sleep(sleepMs, timer.signal);
      } catch {
        return { ...out(), kind: 'error', code: 'aborted', message: 'exec aborted' };
      }
      if (wantMs > request.timeoutMs) return { ...out(), kind: 'timed-out', message: 'timed out' };
      if (behaviour.error !== undefined) return { ...out(), kind: 'error', ...behaviour.error };
      const exitCode = behaviour.exitCode ?? 0;
      return { ...out(), kind: 'exited', exitCode, message: exitCode === 0 ? '' : `command terminated with exit code ${exitCode}` };
    } finally {
      request.signal.removeEventListener('abort', onAbort);
      this.active--;
    }
  }
}

/** A watcher the test drives: `emit` delivers events to the (single) running watch. */
export class FakeWatcher implements PodWatcher {
  runs = 0;
  readonly scopes: PodScope[] = [];
  #handlers: PodWatchHandlers | undefined;
  #initial: PodManifest[];
  #failWith: Error | undefined;
  readonly #announceList: boolean;

  /** `announceList`: report the initial list as complete (lifecycle `listed`), as a real watcher does. */
  constructor(initial: PodManifest[] = [], failWith?: Error, announceList = false) {
    this.#initial = initial;
    this.#failWith = failWith;
    this.#announceList = announceList;
  }

  get active(): boolean {
    return this.#handlers !== undefined;
  }

  async run(scope: PodScope, handlers: PodWatchHandlers, signal: AbortSignal): Promise<void> {
    this.runs++;
    this.scopes.push(scope);
    if (this.#failWith !== undefined) throw this.#failWith;
    this.#handlers = handlers;
    for (const pod of this.#initial) handlers.onEvent({ type: 'upsert', pod });
    if (this.#announceList) handlers.onLifecycle?.({ type: 'listed', namespace: undefined, count: this.#initial.length });
    this.#initial = [];
    try {
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        signal.addEventListener('abort', () => {
          resolve();
        }, { once: true });
      });
    } finally {
      this.#handlers = undefined;
    }
  }

  emit(event: PodEvent): void {
    this.#handlers?.onEvent(event);
  }

  upsert(pod: PodManifest): void {
    this.emit({ type: 'upsert', pod });
  }
}

export class FakeEvents implements EventRecorder {
  readonly records: PodEventRecord[] = [];
  readonly #ok: boolean;
  constructor(ok = true) {
    this.#ok = ok;
  }
  record(event: PodEventRecord): Promise<{ readonly ok: boolean; readonly error?: string }> {
    this.records.push(event);
    return Promise.resolve(this.#ok ? { ok: true } : { ok: false, error: 'forbidden' });
  }
}

// ---------- builders ----------

export function plannedHook(overrides: Partial<PlannedHook> & Pick<PlannedHook, 'pod' | 'container'>): PlannedHook {
  return {
    namespace: 'default',
    type: 'exec',
    source: 'spec',
    name: 'my-hook',
    phase: 'restore',
    index: 0,
    command: ['/usr/bin/foo'],
    onError: 'Continue',
    execTimeoutMs: 30_000,
    waitTimeoutMs: 0,
    waitForReady: false,
    ...overrides,
  };
}

export type ContainerState = 'waiting' | 'running' | 'ready' | 'terminated';

/** A pod whose containers are in the given states (`ready` = running and Ready). */
export function podWith(
  name: string,
  containers: Record<string, ContainerState>,
  extra: { namespace?: string; phase?: string; uid?: string; specContainers?: string[] } = {},
): PodManifest {
  const statuses: ContainerStatusView[] = Object.entries(containers).map(([c, state]) => ({
    name: c,
    ready: state === 'ready',
    state:
      state === 'waiting'
        ? { waiting: { reason: 'ContainerCreating' } }
        : state === 'terminated'
          ? { terminated: { exitCode: 1, reason: 'Error' } }
          : { running: { startedAt: '2026-11-25T12:00:00Z' } },
  }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: extra.namespace ?? 'default', uid: extra.uid ?? `uid-${name}` },
    spec: { containers: (extra.specContainers ?? Object.keys(containers)).map((c) => ({ name: c, image: 'busybox' })) },
    status: { phase: extra.phase ?? 'Running', containerStatuses: statuses },
  };
}
