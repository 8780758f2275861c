/**
 * The launcher's own contract (scripts/cluster): clear failures, stale runs, exact teardown by the
 * CLI and by the e2e wrapper on a signal. Starts its own small clusters beside the run's cluster.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import {
  cachedBinaries,
  ComponentExitedError,
  PortInUseError,
  StartAbortedError,
  startCluster,
} from '../../scripts/cluster/index.ts';
import type { ClusterState } from '../../scripts/cluster/index.ts';
import { startProcess, stopProcesses } from '../../scripts/cluster/processes.ts';
import { spawnOwned } from '../../src/testing/owned-process.ts';
import { isAlive, isSameProcess, procStat } from '../../src/testing/process-tree.ts';

const REPO = resolve(import.meta.dirname, '..', '..');
const CLI = join(REPO, 'scripts', 'cluster', 'cli.ts');
const WRAPPER = join(REPO, 'scripts', 'cluster', 'with-cluster.ts');
const noBinaries =
  process.env['KUBEHOOKS_E2E'] === '0'
    ? 'e2e tier skipped: KUBEHOOKS_E2E=0 is set'
    : cachedBinaries() === undefined
      ? 'e2e tier skipped: the control plane binaries are not built'
      : false;

/** A PATH without Go (Go lives in /usr/local/go/bin on our machines). */
const PATH_WITHOUT_GO = '/usr/bin:/bin';
const goOnPlainPath =
  spawnSync('sh', ['-c', 'command -v go'], { env: { PATH: PATH_WITHOUT_GO } }).status === 0;

async function tempDir(t: { after: (fn: () => Promise<void>) => void }, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function run(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    // Owned by the test process; the cluster it may start runs in process groups of its own.
    const { child } = spawnOwned(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('close', (code) => {
      done({ code, stdout, stderr });
    });
  });
}

const deadPid = (): number => {
  const r = spawnSync('sh', ['-c', 'echo $$']);
  return Number(r.stdout.toString().trim());
};

void describe('launcher', () => {
  void test(
    'without Go and without binaries: cluster:up exits 3 and says how to use --kubeconfig',
    {
      skip: goOnPlainPath ? 'go is on the plain PATH' : false,
    },
    async (t) => {
      const tools = await tempDir(t, 'kubehooks-no-tools-');
      const runDir = join(tools, 'run');
      const r = await run([CLI, 'up'], {
        PATH: PATH_WITHOUT_GO,
        KUBEHOOKS_TOOLS: tools,
        KUBEHOOKS_CLUSTER_DIR: runDir,
      });
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /Go is not installed/);
      assert.match(r.stderr, /--kubeconfig/);
      assert.equal(existsSync(runDir), false);
    },
  );

  void test(
    'without Go the wrapper runs the tests with KUBEHOOKS_E2E_SKIP set',
    {
      skip: goOnPlainPath ? 'go is on the plain PATH' : false,
    },
    async (t) => {
      const tools = await tempDir(t, 'kubehooks-no-tools-');
      const r = await run(
        [WRAPPER, '--', process.execPath, '-e', 'console.log(process.env.KUBEHOOKS_E2E_SKIP)'],
        { PATH: PATH_WITHOUT_GO, KUBEHOOKS_TOOLS: tools },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /no local control plane: .*Go is not installed/);
      assert.match(r.stderr, /e2e tier skipped/);
    },
  );

  void test('KUBEHOOKS_E2E=0 skips without starting anything', async () => {
    const { KUBEHOOKS_E2E_KUBECONFIG: _ignored, ...env } = process.env;
    const r = await run(
      [WRAPPER, '--', process.execPath, '-e', 'console.log(process.env.KUBEHOOKS_E2E_SKIP)'],
      {
        ...env,
        KUBEHOOKS_E2E: '0',
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'KUBEHOOKS_E2E=0 is set\n');
  });

  void test(
    '[R-24] a component that exits during start: its log tail in the error, the others stopped',
    {
      skip: noBinaries,
    },
    async (t) => {
      const real = cachedBinaries()!;
      const dir = await tempDir(t, 'kubehooks-fake-bin-');
      const fake = join(dir, 'kube-apiserver');
      await writeFile(fake, '#!/bin/sh\necho "fake apiserver: flag provided but not defined" >&2\nexit 7\n');
      await chmod(fake, 0o755);
      const runDir = join(dir, 'run');
      const err = await startCluster({
        runDir,
        binaries: { ...real, kubeApiserver: fake },
        log: () => undefined,
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof ComponentExitedError, String(err));
      assert.match(err.message, /kube-apiserver exited with code 7/);
      assert.match(err.message, /flag provided but not defined/);
      // A named run dir keeps the record and logs of a failed start for inspection.
      const state = JSON.parse(await readFile(join(runDir, 'cluster.json'), 'utf8')) as ClusterState;
      const etcdPid = state.processes.find((p) => p.name === 'etcd')?.pid ?? 0;
      assert.ok(etcdPid > 0);
      assert.equal(isAlive(etcdPid), false, 'etcd was left running');
    },
  );

  void test(
    'a port taken by a stranger: one retry with new ports, then PortInUseError',
    {
      skip: noBinaries,
    },
    async (t) => {
      const real = cachedBinaries()!;
      const dir = await tempDir(t, 'kubehooks-fake-bin-');
      const fake = join(dir, 'etcd');
      await writeFile(
        fake,
        '#!/bin/sh\necho "listen tcp 127.0.0.1:2379: bind: address already in use" >&2\nexit 1\n',
      );
      await chmod(fake, 0o755);
      const lines: string[] = [];
      const err = await startCluster({
        binaries: { ...real, etcd: fake },
        log: (line) => lines.push(line),
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof PortInUseError, String(err));
      assert.match(err.message, /etcd could not bind its port/);
      assert.equal(lines.filter((l) => l.includes('retrying with new ports')).length, 1);
    },
  );

  void test(
    '[R-24] aborting a start stops what was started and leaves no run dir',
    { skip: noBinaries },
    async (t) => {
      const runDir = join(await tempDir(t, 'kubehooks-abort-'), 'run');
      const controller = new AbortController();
      const err = await startCluster({
        runDir,
        signal: controller.signal,
        log: (line) => {
          if (line.startsWith('etcd ready')) controller.abort();
        },
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof StartAbortedError, String(err));
      assert.equal(existsSync(runDir), false);
      const survivors = (await readdir('/proc')).filter((pid) => {
        try {
          return /^\d+$/.test(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(runDir);
        } catch {
          return false;
        }
      });
      assert.deepEqual(survivors, []);
    },
  );

  void test('cluster:up over a stale run dir, status, up again, down', { skip: noBinaries }, async (t) => {
    const runDir = join(await tempDir(t, 'kubehooks-cli-'), 'local');
    const env = { ...process.env, KUBEHOOKS_CLUSTER_DIR: runDir };
    t.after(async () => {
      await run([CLI, 'down'], env);
    });
    // A run dir whose processes are gone, as after a reboot or a SIGKILLed launcher.
    await mkdir(runDir, { recursive: true });
    await writeFile(join(runDir, '.kubehooks-run-dir'), '');
    const stale = {
      version: 1,
      runDir,
      kubeconfigPath: join(runDir, 'kubeconfig'),
      server: 'https://127.0.0.1:1',
    };
    await writeFile(
      join(runDir, 'cluster.json'),
      JSON.stringify({
        ...stale,
        nodeName: 'x',
        ports: {},
        ownerPid: deadPid(),
        startedAt: '',
        versions: {},
        processes: [{ name: 'etcd', pid: deadPid(), bin: '/nonexistent/etcd', marker: runDir, logPath: '' }],
      }),
    );

    const up = await run([CLI, 'up'], env);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stderr, /stale/);
    const kubeconfig = up.stdout.trim();
    assert.equal(kubeconfig, join(runDir, 'kubeconfig'));
    const state = JSON.parse(await readFile(join(runDir, 'cluster.json'), 'utf8')) as ClusterState;
    const pids = state.processes.map((p) => p.pid);
    assert.equal(pids.length, 3);
    for (const name of ['etcd', 'kube-apiserver', 'kwok']) {
      assert.equal(
        Number(await readFile(join(runDir, `${name}.pid`), 'utf8')),
        state.processes.find((p) => p.name === name)?.pid,
      );
    }

    const status = await run([CLI, 'status'], env);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(status.stdout.trim(), kubeconfig);

    const again = await run([CLI, 'up'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /already running/);
    assert.equal(again.stdout.trim(), kubeconfig);

    const down = await run([CLI, 'down'], env);
    assert.equal(down.code, 0, down.stderr);
    for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} still running`);
    assert.equal(existsSync(runDir), false);
    const after = await run([CLI, 'status'], env);
    assert.equal(after.code, 1);
  });

  void test('[R-24] the wrapper stops exactly its cluster on SIGTERM', { skip: noBinaries }, async (t) => {
    const { KUBEHOOKS_E2E_KUBECONFIG: _ignored, ...env } = process.env;
    const { child } = spawnOwned(
      process.execPath,
      [
        WRAPPER,
        '--',
        process.execPath,
        '-e',
        'console.log(process.env.KUBEHOOKS_E2E_KUBECONFIG); setInterval(() => {}, 1000)',
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'], t },
    );
    child.stderr?.resume();
    const exited = new Promise<number | null>((done) => child.once('exit', done));
    const lines = createInterface({ input: child.stdout! });
    const kubeconfig = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => {
        fail(new Error('the wrapper did not start the command within 120 s'));
      }, 120_000);
      lines.once('line', (line) => {
        clearTimeout(timer);
        done(line);
      });
    });
    lines.close();
    const runDir = dirname(kubeconfig);
    const state = JSON.parse(await readFile(join(runDir, 'cluster.json'), 'utf8')) as ClusterState;
    const pids = state.processes.map((p) => p.pid);
    assert.ok(pids.every(isAlive));
    child.kill('SIGTERM');
    assert.equal(await exited, 143);
    for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} still running`);
    assert.equal(existsSync(runDir), false);
  });

  // The wrapper's command, without a cluster (KUBEHOOKS_E2E=0): it starts a grandchild that does
  // not stop on its own, prints both PIDs, and then idles or exits.
  const commandWithGrandchild = (then: 'idle' | 'exit'): string[] => [
    process.execPath,
    '-e',
    "const c = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });" +
      "console.log(JSON.stringify({ command: process.pid, grandchild: c.pid }));" +
      (then === 'idle' ? 'setInterval(() => {}, 1000);' : 'c.unref(); setTimeout(() => process.exit(0), 200);'),
  ];
  const startWrapper = async (t: TestContext, then: 'idle' | 'exit') => {
    const { KUBEHOOKS_E2E_KUBECONFIG: _ignored, ...env } = process.env;
    const wrapper = spawnOwned(process.execPath, [WRAPPER, '--', ...commandWithGrandchild(then)], { env: { ...env, KUBEHOOKS_E2E: '0' }, stdio: ['ignore', 'pipe', 'pipe'], t });
    let stderr = '';
    wrapper.child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const lines = createInterface({ input: wrapper.child.stdout! });
    const line = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => {
        fail(new Error(`the wrapper did not start the command within 60 s: ${stderr}`));
      }, 60_000);
      lines.once('line', (l) => {
        clearTimeout(timer);
        done(l);
      });
    });
    lines.close();
    const pids = JSON.parse(line) as { command: number; grandchild: number };
    const starts = new Map([pids.command, pids.grandchild].map((pid) => [pid, procStat(pid)?.start ?? -1]));
    t.after(() => {
      for (const [pid, start] of starts) if (isSameProcess(pid, start)) process.kill(pid, 'SIGKILL');
    });
    const running = () => [...starts].filter(([pid, start]) => isSameProcess(pid, start)).map(([pid]) => pid);
    return { wrapper, pids, running, stderr: () => stderr };
  };

  void test('[R-24] on SIGTERM the wrapper stops its command and what the command started', async (t) => {
    const { wrapper, pids, running, stderr } = await startWrapper(t, 'idle');
    assert.equal(procStat(pids.command)?.pgrp, pids.command, 'the command leads a group of its own');
    assert.deepEqual(running().sort(), [pids.command, pids.grandchild].sort());
    wrapper.kill('SIGTERM');
    const exit = await wrapper.exited;
    assert.equal(exit.code, 143, stderr());
    // The wrapper exits after its sweep: nothing of the command's may run by then.
    assert.deepEqual(running(), [], stderr());
  });

  void test('[R-24] a command that leaves a process behind: the wrapper stops it and names it', async (t) => {
    const { wrapper, pids, running, stderr } = await startWrapper(t, 'exit');
    const exit = await wrapper.exited;
    assert.equal(exit.code, 0, stderr());
    assert.deepEqual(running(), [], stderr());
    assert.match(stderr(), new RegExp(`the command left 1 process\\(es\\) behind, stopping them: ${pids.grandchild} `));
  });

  void test('[R-24] children left in the group of a leader that died on its own are stopped too', async (t) => {
    // velero server runs its plugins as children; when the server dies by itself, its record is no
    // longer ours, but the plugins still sit in its process group with the run dir as their cwd.
    const dir = await tempDir(t, 'kubehooks-orphans-');
    const started = startProcess('leader', '/bin/sh', ['-c', 'sleep 300 & echo $! > child.pid; exit 0'], {
      logPath: join(dir, 'leader.log'),
      marker: dir,
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    });
    // The leader is unref'd (it outlives short-lived owners), so poll instead of awaiting its exit.
    const until = Date.now() + 10_000;
    while ((isAlive(started.record.pid) || !existsSync(join(dir, 'child.pid'))) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.equal(isAlive(started.record.pid), false, 'the leader should have exited');
    const child = Number((await readFile(join(dir, 'child.pid'), 'utf8')).trim());
    t.after(() => {
      if (isAlive(child)) process.kill(child, 'SIGKILL');
    });
    assert.equal(isAlive(child), true, 'the orphan should be running before the stop');
    const outcome = await stopProcesses([started.record], { graceMs: 1000 });
    assert.deepEqual(outcome.map((o) => o.outcome), ['not-running']);
    const deadline = Date.now() + 5000;
    while (isAlive(child) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    assert.equal(isAlive(child), false, `orphan ${child} survived the stop`);
  });
});
