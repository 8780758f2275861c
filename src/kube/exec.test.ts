/**
 * KubePodExecutor against the fake API server and recording channels: outcomes, limits, abort,
 * timeouts, late channels, credential plugins. Over 300 lines on purpose: every exec outcome of
 * the executor is pinned here, beside one shared server set-up.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { ExecOutcome, ExecRequest } from '../run/ports.ts';
import { withDeadline } from '../testing/changes.ts';
import { FakeApiServer, pendingPod, runLocally, runningPod } from '../testing/fake-api-server.ts';
import { activeHandlesAfterSettling } from '../testing/handles.ts';
import { KubeClient } from './client.ts';
import { AbortedBeforeOpenError } from './errors.ts';
import type { ExecChannel, ExecChannelHandlers, ExecChannelOpener } from './exec-channel.ts';
import { wsExecChannelOpener } from './exec-channel-ws.ts';
import { KubePodExecutor } from './exec.ts';

void describe('KubePodExecutor against the fake API server', () => {
  let server: FakeApiServer;
  let client: KubeClient;
  let executor: KubePodExecutor;
  const warnings: string[] = [];

  before(async () => {
    server = await FakeApiServer.start();
    client = KubeClient.load({ kubeconfigPath: server.writeKubeconfig(), warn: (m) => warnings.push(m) });
    executor = new KubePodExecutor(client, { closeGraceMs: 200 });
    server.putPod(runningPod('ns', 'p', ['app', 'sidecar']));
    server.putPod({ ...pendingPod('ns', 'unscheduled'), spec: { containers: [{ name: 'app' }] } });
    server.putPod({ ...runningPod('ns', 'done'), status: { phase: 'Succeeded' } });
    server.putPod({
      ...pendingPod('ns', 'waiting'),
      status: { phase: 'Running', containerStatuses: [{ name: 'app', state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
    });
    server.putPod(pendingPod('ns', 'pending'));
  });

  after(async () => {
    client.close();
    await server.close();
  });

  const request = (overrides: Partial<ExecRequest> = {}): ExecRequest => ({
    namespace: 'ns',
    pod: 'p',
    container: 'app',
    command: ['/bin/true'],
    timeoutMs: 5000,
    maxOutputBytes: 1024 * 1024,
    signal: new AbortController().signal,
    ...overrides,
  });

  function exited(outcome: ExecOutcome): number {
    assert.equal(outcome.kind, 'exited', `expected exited, got ${JSON.stringify(outcome)}`);
    return outcome.exitCode;
  }
  function errorCode(outcome: ExecOutcome): string {
    return outcome.kind === 'error' ? outcome.code : `(not an error: ${outcome.kind})`;
  }

  void it('passes argv exactly (no shell), v5 negotiated, captures stdout and stderr, exit 0', async () => {
    server.onExec((ctx) => {
      ctx.stdout(JSON.stringify(ctx.command));
      ctx.stderr(`container=${ctx.container} stdin=${ctx.query.get('stdin')} tty=${ctx.query.get('tty')}`);
      return { exitCode: 0 };
    });
    const command = ['/bin/sh', '-c', 'echo "$1" && exit 0', 'a b', '*', '$(x)'];
    const outcome = await executor.exec(request({ command }));
    assert.equal(exited(outcome), 0);
    assert.deepEqual(JSON.parse(outcome.stdout), command);
    assert.equal(outcome.stderr, 'container=app stdin=false tty=false');
    assert.equal(outcome.truncated, false);
    assert.equal(server.execSessions.at(-1)?.protocol, 'v5.channel.k8s.io');
    assert.ok(outcome.durationMs >= 0);
  });

  void it('reports exact exit codes in the kubelet form', async () => {
    for (const code of [1, 3, 42, 255]) {
      server.onExec(() => ({ exitCode: code }));
      assert.equal(exited(await executor.exec(request())), code);
    }
  });

  void it('reports the exit code from KWOK\'s InternalError form', async () => {
    server.onExec((ctx) => {
      ctx.stderr('boom\n');
      return {
        status: {
          status: 'Failure',
          reason: 'InternalError',
          code: 500,
          message: 'Internal error occurred: error executing command in container: cmd wait: sh -c exit 7: exit status 7',
        },
      };
    });
    const outcome = await executor.exec(request());
    assert.equal(exited(outcome), 7);
    assert.equal(outcome.stderr, 'boom\n');
  });

  void it('works when the server only speaks v4', async () => {
    server.execProtocols = ['v4.channel.k8s.io'];
    try {
      server.onExec((ctx) => {
        ctx.stdout('v4');
        return { exitCode: 2 };
      });
      const outcome = await executor.exec(request());
      assert.equal(exited(outcome), 2);
      assert.equal(outcome.stdout, 'v4');
      assert.equal(server.execSessions.at(-1)?.protocol, 'v4.channel.k8s.io');
    } finally {
      server.execProtocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
    }
  });

  void it('an server that accepts no channel protocol is a remote-error', async () => {
    server.execProtocols = ['v3.channel.k8s.io'];
    try {
      const outcome = await executor.exec(request());
      assert.equal(errorCode(outcome), 'remote-error');
    } finally {
      server.execProtocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
    }
  });

  void it('[S-17] caps each stream separately and marks truncated', async () => {
    server.onExec((ctx) => {
      for (let i = 0; i < 10; i++) ctx.stdout('0123456789');
      ctx.stderr('short');
      return { exitCode: 0 };
    });
    const outcome = await executor.exec(request({ maxOutputBytes: 25 }));
    assert.equal(exited(outcome), 0);
    assert.equal(outcome.stdout, '0123456789012345678901234');
    assert.equal(outcome.stderr, 'short');
    assert.equal(outcome.truncated, true);
  });

  void it('[R-21][R-36] times out a hanging command, returns output so far, and closes the stream', async () => {
    server.onExec(
      (ctx) =>
        new Promise((resolve) => {
          ctx.stdout('started\n');
          ctx.signal.addEventListener('abort', () => {
            resolve({ exitCode: 0 });
          });
        }),
    );
    const outcome = await executor.exec(request({ timeoutMs: 300 }));
    assert.equal(outcome.kind, 'timed-out');
    assert.equal(outcome.stdout, 'started\n');
    assert.ok(outcome.durationMs >= 290, `durationMs ${outcome.durationMs}`);
    const session = server.execSessions.at(-1);
    assert.ok(session);
    await session.closed;
    assert.equal(session.clientClosedFirst, true);
  });

  void it('[R-10][R-21] abort closes the stream and returns error/aborted', async () => {
    const controller = new AbortController();
    server.onExec(
      (ctx) =>
        new Promise((resolve) => {
          ctx.stdout('x');
          ctx.signal.addEventListener('abort', () => {
            resolve({ exitCode: 0 });
          });
          // Aborted while the command runs on the server.
          controller.abort();
        }),
    );
    const outcome = await executor.exec(request({ signal: controller.signal }));
    assert.equal(errorCode(outcome), 'aborted');
    const session = server.execSessions.at(-1);
    assert.ok(session);
    await session.closed;
    assert.equal(session.clientClosedFirst, true);
  });

  void it('an already aborted signal never connects', async () => {
    const before = server.execSessions.length;
    const outcome = await executor.exec(request({ signal: AbortSignal.abort() }));
    assert.equal(errorCode(outcome), 'aborted');
    assert.equal(server.execSessions.length, before);
  });

  void it('a close without status is stream-closed', async () => {
    server.onExec((ctx) => {
      ctx.stdout('partial');
      return { closeWithoutStatus: true };
    });
    const outcome = await executor.exec(request());
    assert.equal(errorCode(outcome), 'stream-closed');
    assert.equal(outcome.stdout, 'partial');
  });

  void it('an unreadable status is a remote-error', async () => {
    server.onExec(() => ({ status: 'not a status' }));
    const outcome = await executor.exec(request());
    assert.equal(errorCode(outcome), 'remote-error');
  });

  void it('names a missing container and lists the pod\'s containers', async () => {
    const outcome = await executor.exec(request({ container: 'db' }));
    assert.equal(errorCode(outcome), 'no-such-container');
    assert.equal(outcome.message, 'container "db" not found in pod ns/p; it has: app, sidecar');
  });

  void it('pod not found, completed pod, unscheduled pod', async () => {
    const missing = await executor.exec(request({ pod: 'nope' }));
    assert.equal(errorCode(missing), 'pod-not-found');
    assert.match(missing.message, /ns\/nope not found/);
    const done = await executor.exec(request({ pod: 'done' }));
    assert.equal(errorCode(done), 'pod-not-running');
    assert.match(done.message, /completed \(phase Succeeded\)/);
    const unscheduled = await executor.exec(request({ pod: 'unscheduled' }));
    assert.equal(errorCode(unscheduled), 'pod-not-running');
    assert.match(unscheduled.message, /not scheduled/);
  });

  void it('a failure status for a container that is not running is container-not-running', async () => {
    server.onExec(() => ({
      status: { status: 'Failure', reason: 'InternalError', code: 500, message: 'Internal error occurred: container not running (app)' },
    }));
    const outcome = await executor.exec(request({ pod: 'waiting' }));
    assert.equal(errorCode(outcome), 'container-not-running');
    assert.match(outcome.message, /not running \(CrashLoopBackOff\)/);
    const pending = await executor.exec(request({ pod: 'pending' }));
    assert.equal(errorCode(pending), 'pod-not-running');
  });

  void it('refused upgrades: 403 forbidden, 401 unauthorized, 500 remote-error (with the server message)', async () => {
    server.failNext({ verb: 'exec', statusCode: 403, message: 'pods "p" is forbidden: User "x" cannot create resource "pods/exec"' });
    const forbidden = await executor.exec(request());
    assert.equal(errorCode(forbidden), 'forbidden');
    assert.match(forbidden.message, /cannot create resource "pods\/exec"/);
    server.failNext({ verb: 'exec', statusCode: 401, message: 'Unauthorized' });
    const unauthorized = await executor.exec(request());
    assert.equal(errorCode(unauthorized), 'unauthorized');
    server.failNext({ verb: 'exec', statusCode: 500, message: 'etcd is sad' });
    const remote = await executor.exec(request());
    assert.equal(errorCode(remote), 'remote-error');
    assert.match(remote.message, /etcd is sad/);
  });

  void it('runs a real local process without a shell (exact exit code, both streams)', async () => {
    server.onExec(runLocally);
    const node = process.execPath;
    const outcome = await executor.exec(
      request({ command: [node, '-e', 'process.stdout.write("out " + process.argv[1]); process.stderr.write("err"); process.exit(5)', 'a b'] }),
    );
    assert.equal(exited(outcome), 5);
    assert.equal(outcome.stdout, 'out a b');
    assert.equal(outcome.stderr, 'err');
  });

  void it('connection refused is unreachable', async () => {
    const dead = await FakeApiServer.start();
    const file = dead.writeKubeconfig();
    const deadClient = KubeClient.load({ kubeconfigPath: file, warn: () => undefined });
    await dead.close();
    try {
      const outcome = await new KubePodExecutor(deadClient).exec(request());
      assert.equal(errorCode(outcome), 'unreachable');
      assert.match(outcome.message, /ECONNREFUSED|connect/);
    } finally {
      deadClient.close();
    }
  });

  void it('many concurrent execs all finish with their own codes', async () => {
    server.onExec(async (ctx) => {
      await new Promise((r) => setTimeout(r, 5));
      ctx.stdout(ctx.command.join(' '));
      return { exitCode: Number(ctx.command[1]) };
    });
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => executor.exec(request({ command: ['code', String(i)] }))),
    );
    outcomes.forEach((o, i) => {
      assert.equal(exited(o), i);
      assert.equal(o.stdout, `code ${i}`);
    });
  });

  void it('warned that the fake server is plain HTTP', () => {
    assert.ok(warnings.some((w) => w.includes('plain HTTP')));
  });
});

void it('leaves no sockets, servers or timers behind', async () => {
  assert.deepEqual(await activeHandlesAfterSettling(), []);
});

/** A channel that records how it is ended; it never delivers anything (still connecting). */
class RecordingChannel implements ExecChannel {
  closedWithGraceMs: number | undefined;
  readonly #closed: Promise<void>;
  #markClosed: () => void = () => undefined;
  constructor() {
    this.#closed = new Promise((resolve) => {
      this.#markClosed = resolve;
    });
  }
  get closed(): Promise<void> {
    return this.#closed;
  }
  close(graceMs: number): Promise<void> {
    this.closedWithGraceMs = graceMs;
    this.#markClosed();
    return Promise.resolve();
  }
  drop(): void {
    this.closedWithGraceMs = -1;
    this.#markClosed();
  }
}

void describe('KubePodExecutor: how the channel is ended', () => {
  const noClient = { server: 'https://api.example' } as unknown as KubeClient;
  const statusFrame = (status: object): Uint8Array => Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(status))]);
  /** Opens at once and plays `script` on the handlers; records how the executor ends the channel. */
  const scripted = (script: (h: ExecChannelHandlers) => void, ends: string[]): ExecChannelOpener => ({
    server: 'https://api.example',
    open: (_target, _options, handlers) => {
      setImmediate(() => {
        handlers.open('v5.channel.k8s.io');
        script(handlers);
      });
      return Promise.resolve({
        close: (graceMs: number) => {
          ends.push(`close ${graceMs}`);
          return Promise.resolve();
        },
        drop: () => {
          ends.push('drop');
        },
      });
    },
  });
  const cases: { name: string; script: (h: ExecChannelHandlers) => void; timeoutMs: number; abortAfterMs?: number; want: [string, string[]] }[] = [
    { name: 'after the Status frame (exit 0): dropped, no close handshake', script: (h) => { h.frame(statusFrame({ status: 'Success' })); }, timeoutMs: 5000, want: ['exited', ['drop']] },
    {
      name: 'after a Status with a non-zero exit: dropped',
      script: (h) => { h.frame(statusFrame({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } })); },
      timeoutMs: 5000,
      want: ['exited', ['drop']],
    },
    { name: 'on a timeout: closed gracefully', script: () => undefined, timeoutMs: 20, want: ['timed-out', ['close 50']] },
    { name: 'on an abort: closed gracefully', script: () => undefined, timeoutMs: 5000, abortAfterMs: 20, want: ['error', ['close 50']] },
    { name: 'on a close without Status: closed gracefully', script: (h) => { h.closed(1006, ''); }, timeoutMs: 5000, want: ['error', ['close 50']] },
  ];
  for (const c of cases) {
    void it(c.name, async () => {
      const ends: string[] = [];
      const ctl = new AbortController();
      const timer = c.abortAfterMs === undefined ? undefined : setTimeout(() => { ctl.abort(); }, c.abortAfterMs);
      const exec = new KubePodExecutor(noClient, { closeGraceMs: 50, channel: scripted(c.script, ends) });
      const outcome = await exec.exec({ namespace: 'ns', pod: 'p', container: 'c', command: ['true'], timeoutMs: c.timeoutMs, maxOutputBytes: 0, signal: ctl.signal });
      clearTimeout(timer);
      assert.deepEqual([outcome.kind, ends], c.want);
    });
  }
});

void describe('KubePodExecutor: a channel opened after the exec ended', () => {
  // Like the WebSocket opener, awaits credentials (an exec plugin, an OIDC refresh) before opening;
  // unlike it, ignores the signal, so the executor's own guard is what is tested.
  const slowCredentialsOpener = (ms: number, channels: RecordingChannel[], created: () => void, preparing: () => void): ExecChannelOpener => ({
    server: 'https://api.example',
    async open() {
      preparing();
      await delay(ms);
      const channel = new RecordingChannel();
      channels.push(channel);
      created();
      return channel;
    },
  });
  const noClient = { server: 'https://api.example' } as unknown as KubeClient;

  for (const trigger of ['abort', 'timeout'] as const) {
    void it(`F5: ${trigger} while credentials are prepared: the late channel is closed at once, before it can run the command`, async () => {
      const channels: RecordingChannel[] = [];
      let markCreated: () => void = () => undefined;
      const created = new Promise<void>((resolve) => {
        markCreated = resolve;
      });
      const ctl = new AbortController();
      // The abort comes while the credentials are being prepared.
      const preparing = (): void => {
        if (trigger === 'abort') ctl.abort();
      };
      const exec = new KubePodExecutor(noClient, { closeGraceMs: 10, channel: slowCredentialsOpener(50, channels, markCreated, preparing) });
      const outcome = await exec.exec({
        namespace: 'ns',
        pod: 'p',
        container: 'c',
        command: ['fsfreeze', '-f', '/data'],
        timeoutMs: trigger === 'abort' ? 30_000 : 10,
        maxOutputBytes: 0,
        signal: ctl.signal,
      });
      // A timeout while the credentials are still being prepared: the command never started (issue 10).
      assert.deepEqual([outcome.kind, 'code' in outcome ? outcome.code : ''], ['error', trigger === 'abort' ? 'aborted' : 'unauthorized']);
      await withDeadline(created, 'the late channel to be opened');
      await withDeadline(channels[0]!.closed, 'the late channel to be closed');
      assert.equal(channels.length, 1);
      assert.equal(channels[0]?.closedWithGraceMs, 0, 'closed at once (a connecting WebSocket is terminated)');
    });
  }
});

void describe('KubePodExecutor: slow credentials (exec plugin) against the fake API server', () => {
  void it('[R-21] F5: aborted while the credential plugin runs: no exec request reaches the server, nothing stays open', async () => {
    const server = await FakeApiServer.start();
    server.putPod(runningPod('ns', 'p', ['app']));
    const credential = JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', status: { token: 'fake-token' } });
    const plugin = [
      '    exec:',
      '      apiVersion: client.authentication.k8s.io/v1beta1',
      `      command: ${JSON.stringify(process.execPath)}`,
      `      args: ["-e", ${JSON.stringify(`setTimeout(() => console.log(${JSON.stringify(credential)}), 400)`)}]`,
      '      interactiveMode: Never',
    ].join('\n');
    const yaml = server.kubeconfigYaml().replace(/^ {4}token: .*$/m, plugin);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubehooks-exec-plugin-'));
    const file = path.join(dir, 'kubeconfig');
    fs.writeFileSync(file, yaml);
    const client = KubeClient.load({ kubeconfigPath: file, warn: () => undefined });
    try {
      // The real WebSocket opener, watched: its attempt must end without opening anything.
      const ws = wsExecChannelOpener(client);
      const attempts: Promise<ExecChannel>[] = [];
      const ctl = new AbortController();
      const watched: ExecChannelOpener = {
        server: ws.server,
        open: (...args) => {
          const attempt = ws.open(...args);
          attempts.push(attempt);
          // Aborted once the attempt has started the credential plugin (which answers after 400 ms).
          queueMicrotask(() => {
            ctl.abort();
          });
          return attempt;
        },
      };
      const executor = new KubePodExecutor(client, { closeGraceMs: 50, channel: watched });
      const outcome = await executor.exec({
        namespace: 'ns',
        pod: 'p',
        container: 'app',
        command: ['fsfreeze', '-f', '/data'],
        timeoutMs: 30_000,
        maxOutputBytes: 0,
        signal: ctl.signal,
      });
      assert.equal(outcome.kind === 'error' && outcome.code, 'aborted');
      // The open attempt ends as soon as it sees the abort: nothing after that can open a connection.
      assert.equal(attempts.length, 1);
      await assert.rejects(withDeadline(attempts[0]!, 'the open attempt to end'), AbortedBeforeOpenError);
      assert.deepEqual(
        server.requests.filter((r) => r.path.endsWith('/exec')).map((r) => r.path),
        [],
      );
      assert.equal(server.execSessions.length, 0);
    } finally {
      client.close();
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
