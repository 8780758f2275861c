/**
 * Runs a command (the e2e tests) against one local control plane:
 *   node scripts/cluster/with-cluster.ts [--controllers] [--velero] -- node --test 'e2e/*.test.ts'
 * --controllers also runs kube-controller-manager and kube-scheduler; --velero (implies
 * --controllers) also a Velero server and its object store, described to the tests by
 * KUBEHOOKS_E2E_VELERO (JSON: the velero binary, its namespace, the object store URL).
 * Starts the cluster, passes its kubeconfig as KUBEHOOKS_E2E_KUBECONFIG, runs the command, and stops
 * exactly the cluster's processes afterwards: on exit, on SIGINT/SIGTERM, and on a crash of this script.
 * The command runs in a process group (and session) of its own: on a signal it gets SIGTERM (node
 * --test passes that on to its test files, which stop what they started: src/testing/owned-process.ts),
 * SIGKILL after 10 s; whatever is still in its group 10 s later (a test's orphan) gets SIGTERM, SIGKILL
 * after 5 s, and is named on stderr. The same sweep (after 1 s) follows a command that exited on its own.
 *
 * No cluster is started when KUBEHOOKS_E2E=0, when KUBEHOOKS_E2E_KUBECONFIG is already set (that
 * cluster is used), or when Go is unavailable to build one; in the skip cases the command still runs,
 * with KUBEHOOKS_E2E_SKIP saying why, so the e2e tests report themselves skipped with that reason.
 * Exit code: the command's (128 + signal number when it was killed by a signal).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { constants } from 'node:os';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { groupMembers, isSameProcess, procStat } from '../../src/testing/process-tree.ts';
import { GoUnavailableError, ClusterError } from './errors.ts';
import { reapStaleRuns, startCluster } from './cluster.ts';
import type { Cluster } from './cluster.ts';
import { startVelero } from './velero.ts';
import type { Velero } from './velero.ts';

const REPO = resolve(import.meta.dirname, '..', '..');
const RUNS = resolve(REPO, '.cluster');
const RUN_PREFIX = 'e2e-';

const say = (line: string): void => {
  process.stderr.write(`[e2e] ${line}\n`);
};

function parseCommand(argv: readonly string[]): { command: string[]; controllers: boolean; velero: boolean } {
  const i = argv.indexOf('--');
  const command = i === -1 ? [...argv] : argv.slice(i + 1);
  const flags = i === -1 ? [] : argv.slice(0, i);
  const unknown = flags.filter((f) => f !== '--controllers' && f !== '--velero');
  if (command.length === 0 || unknown.length > 0) {
    say('usage: node scripts/cluster/with-cluster.ts [--controllers] [--velero] -- <command> [args...]');
    process.exit(2);
  }
  const velero = flags.includes('--velero');
  return { command, velero, controllers: velero || flags.includes('--controllers') };
}

const signalNumber = (sig: NodeJS.Signals): number => constants.signals[sig];

let cluster: Cluster | undefined;
let velero: Velero | undefined;
let child: ChildProcess | undefined;
/** The command's process group: its leader's PID and start time (members older than that are not ours). */
let commandGroup: { pid: number; start: number } | undefined;
let starting: Promise<unknown> | undefined;
let stopping: Promise<void> | undefined;
let shuttingDown = false;
// Read through a function: the flag changes in signal handlers, which narrowing cannot see.
const isShuttingDown = (): boolean => shuttingDown;
const startAbort = new AbortController();

function stopCluster(): Promise<void> {
  stopping ??= (async () => {
    const c = cluster;
    if (c === undefined) return;
    await velero?.stop();
    velero = undefined;
    const outcome = await c.stop();
    cluster = undefined;
    const bad = outcome.filter((o) => o.outcome === 'survived' || o.outcome === 'killed');
    say(
      bad.length === 0
        ? 'control plane stopped'
        : `control plane stopped; ${bad.map((o) => `${o.name} ${o.outcome}`).join(', ')}`,
    );
  })();
  return stopping;
}

async function shutdown(code: number, why: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  say(why);
  // An interrupted start stops what it started before its promise settles; wait for that.
  startAbort.abort();
  await starting?.catch(() => undefined);
  if (child !== undefined && child.exitCode === null && child.signalCode === null) {
    // The leader only: node --test passes SIGTERM on to its test files and waits for them.
    child.kill('SIGTERM');
    const exited = new Promise((r) => child?.once('exit', r));
    const timer = setTimeout(() => child?.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  await sweepCommandGroup(10_000);
  await stopCluster().catch((err: unknown) => {
    say(`teardown failed: ${String(err)}`);
  });
  process.exit(code);
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    void shutdown(128 + signalNumber(sig), `received ${sig}; stopping the tests and the control plane`);
  });
}
process.on('uncaughtException', (err) => {
  void shutdown(1, `crashed: ${err.stack ?? String(err)}`);
});
process.on('unhandledRejection', (err) => {
  void shutdown(1, `crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
});
const commandLine = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 200);
  } catch {
    return '?';
  }
};

/**
 * Stops what is left in the command's process group once its leader is gone (a test that did not
 * stop its children): waits up to `settleMs` for it to end by itself (node --test's test files may
 * be stopping what they own after a SIGTERM), then SIGTERM, up to `graceMs`, SIGKILL; says what it
 * found. Only processes that /proc shows in the group and started after its leader are signalled,
 * each by PID.
 */
async function sweepCommandGroup(settleMs: number, graceMs = 5_000): Promise<void> {
  const group = commandGroup;
  if (group === undefined) return;
  let found = groupMembers(group.pid, group.start);
  for (const until = Date.now() + settleMs; found.length > 0 && Date.now() < until; found = groupMembers(group.pid, group.start)) await sleep(50);
  if (found.length === 0) return;
  say(`the command left ${found.length} process(es) behind, stopping them: ${found.map((p) => `${p.pid} ${commandLine(p.pid)}`).join('; ')}`);
  const signal = (pid: number, sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      // Gone.
    }
  };
  for (const p of found) signal(p.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (found.some((p) => isSameProcess(p.pid, p.start)) && Date.now() < deadline) await sleep(50);
  // Members may have started others meanwhile: everything still in the group now.
  for (const p of groupMembers(group.pid, group.start)) signal(p.pid, 'SIGKILL');
}

// Last resort if we exit without the async teardown (process.exit elsewhere): signal synchronously.
process.on('exit', () => {
  if (commandGroup !== undefined) {
    const leader = child;
    if (leader !== undefined && leader.exitCode === null && leader.signalCode === null) leader.kill('SIGKILL');
    for (const p of groupMembers(commandGroup.pid, commandGroup.start)) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // Gone.
      }
    }
  }
  const c = cluster;
  if (c === undefined) return;
  const v = velero;
  const extra = v === undefined ? [] : [v.pids.veleroServer, v.pids.objectStore];
  const controllers = [c.pids.kubeScheduler, c.pids.kubeControllerManager].filter((p) => p !== undefined);
  for (const pid of [...extra, ...controllers, c.pids.kwok, c.pids.kubeApiserver, c.pids.etcd]) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
});

async function prepare(wanted: { controllers: boolean; velero: boolean }): Promise<{ env: NodeJS.ProcessEnv }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (process.env['KUBEHOOKS_E2E'] === '0') {
    env['KUBEHOOKS_E2E_SKIP'] = 'KUBEHOOKS_E2E=0 is set';
    delete env['KUBEHOOKS_E2E_KUBECONFIG'];
    say('e2e tier skipped: KUBEHOOKS_E2E=0');
    return { env };
  }
  const given = process.env['KUBEHOOKS_E2E_KUBECONFIG'];
  if (given !== undefined && given !== '') {
    say(`using the existing cluster in KUBEHOOKS_E2E_KUBECONFIG=${given}`);
    return { env };
  }
  await mkdir(RUNS, { recursive: true });
  await reapStaleRuns(RUNS, RUN_PREFIX, say);
  try {
    const start = startCluster({
      runDir: resolve(RUNS, `${RUN_PREFIX}${process.pid}`),
      signal: startAbort.signal,
      controllers: wanted.controllers,
      log: (line) => {
        say(`cluster: ${line}`);
      },
    });
    starting = start;
    cluster = await start;
    if (wanted.velero) {
      const startingVelero = startVelero(cluster, {
        signal: startAbort.signal,
        log: (line) => {
          say(`velero: ${line}`);
        },
      });
      starting = startingVelero;
      velero = await startingVelero;
    }
  } catch (err) {
    if (err instanceof GoUnavailableError) {
      const reason = `no local control plane: ${err.message.split('\n').find((l) => l.trim() !== '') ?? 'Go unavailable'} (set KUBEHOOKS_E2E_KUBECONFIG to use an existing cluster)`;
      env['KUBEHOOKS_E2E_SKIP'] = reason;
      say(`e2e tier skipped: ${reason}`);
      return { env };
    }
    if (err instanceof ClusterError && err.code === 'aborted') throw err;
    say(
      `the control plane failed to start (logs in ${resolve(RUNS, `${RUN_PREFIX}${process.pid}`)} until the next run); ` +
        'set KUBEHOOKS_E2E=0 to skip the e2e tier',
    );
    throw err;
  }
  env['KUBEHOOKS_E2E_KUBECONFIG'] = cluster.kubeconfigPath;
  env['KUBEHOOKS_E2E_LOCAL'] = '1';
  if (cluster.controllers) env['KUBEHOOKS_E2E_CONTROLLERS'] = '1';
  if (velero !== undefined) {
    env['KUBEHOOKS_E2E_VELERO'] = JSON.stringify({
      velero: velero.binaries.velero,
      namespace: velero.namespace,
      s3Url: velero.s3Url,
      runDir: cluster.runDir,
      serverPid: velero.pids.veleroServer,
      versions: velero.versions,
    });
  }
  delete env['KUBEHOOKS_E2E_SKIP'];
  return { env };
}

async function main(): Promise<void> {
  const { command, controllers, velero: wantVelero } = parseCommand(process.argv.slice(2));
  let env: NodeJS.ProcessEnv;
  try {
    ({ env } = await prepare({ controllers, velero: wantVelero }));
  } catch (err) {
    if (shuttingDown) return; // shutdown() owns the exit
    say(err instanceof Error ? err.message : String(err));
    process.exit(2);
  }
  if (shuttingDown) return;
  const [bin, ...args] = command as [string, ...string[]];
  // A group of its own: what it leaves behind can be found (and a terminal's Ctrl-C reaches only us,
  // who stop it in order).
  const proc = spawn(bin, args, { stdio: 'inherit', env, detached: true });
  child = proc;
  if (proc.pid !== undefined) commandGroup = { pid: proc.pid, start: procStat(proc.pid)?.start ?? 0 };
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (done) => {
      proc.once('exit', (c, s) => {
        done({ code: c, signal: s });
      });
      proc.once('error', (err) => {
        say(`could not run ${bin}: ${err.message}`);
        done({ code: 127, signal: null });
      });
    },
  );
  child = undefined;
  if (isShuttingDown()) return; // shutdown() owns the exit
  await sweepCommandGroup(1_000);
  await stopCluster();
  process.exit(signal === null ? (code ?? 1) : 128 + signalNumber(signal));
}

void main();
