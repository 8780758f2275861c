/**
 * Helpers for the fault and security e2e tests (e2e/fault-*.test.ts, e2e/security-*.test.ts): the
 * kubehooks binary as a child process with a hard deadline, its exit lag and peak RSS; restarting,
 * pausing and resuming a control plane process that the test's own cluster started (by PID only);
 * and checks that every planned hook has exactly one outcome.
 *
 * The launcher (scripts/cluster) exposes the PIDs of etcd, kube-apiserver and kwok but no restart:
 * restartProcess re-executes a process with the argv, environment and cwd read from /proc.
 * Every child here is owned by the test process (src/testing/owned-process.ts): a restarted control
 * plane process too, which the cluster's own stop does not know; it dies with the test process.
 */
import assert from 'node:assert/strict';
import { closeSync, openSync } from 'node:fs';
import { readFile, readlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnOwned } from '../src/testing/owned-process.ts';
import type { OwnedProcess } from '../src/testing/owned-process.ts';
import type { E2eContext } from './harness/index.ts';

const BIN = resolve(import.meta.dirname, '..', 'bin', 'kubehooks.js');

export interface JsonResult {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly source: string;
  readonly name: string;
  readonly index: number;
  readonly status: string;
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly truncated: boolean;
  readonly durationMs: number | null;
  readonly reason: string | null;
  readonly reasonCode?: string;
}

export interface JsonReport {
  readonly summary: { readonly attempted: number; readonly failed: number };
  readonly results: readonly JsonResult[];
}

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time from spawn to exit. */
  readonly ms: number;
  /** From the last byte on stdout (the report) to the process exit: what open handles would stretch. */
  readonly exitLagMs: number;
  /** Peak resident set (VmHWM) of the kubehooks process, as last sampled, in KiB. */
  readonly peakRssKiB: number;
  /** true when the hard deadline killed it (a hang). */
  readonly killed: boolean;
}

export interface CliOptions {
  /** The process is SIGKILLed after this long and the run marked `killed` (default 120 s). */
  readonly timeoutMs?: number;
  readonly onStart?: (pid: number) => void;
  /** Called after each stderr chunk with everything so far. */
  readonly onStderr?: (pid: number, stderrSoFar: string) => void;
}

async function peakRss(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return m?.[1] === undefined ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

/** Runs bin/kubehooks.js with this Node (KUBECONFIG cleared: pass --kubeconfig). */
export function kubehooksCli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const owned = spawnOwned(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: '' } });
    const { child, pid } = owned;
    let stdout = '';
    let stderr = '';
    let lastStdoutAt = started;
    let peak = 0;
    let killed = false;
    let sampling = true;
    // Read through a call: the flag flips in event handlers, which narrowing cannot see.
    const isSampling = (): boolean => sampling;
    // VmHWM is the high-water mark: sampling now and then loses nothing but the last moments.
    void (async () => {
      while (isSampling()) {
        const kb = await peakRss(pid);
        if (kb !== undefined) peak = Math.max(peak, kb);
        await sleep(100);
      }
    })();
    const hard = setTimeout(() => {
      killed = true;
      owned.kill('SIGKILL');
    }, options.timeoutMs ?? 120_000);
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      lastStdoutAt = performance.now();
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      options.onStderr?.(pid, stderr);
    });
    child.on('error', (error) => {
      sampling = false;
      clearTimeout(hard);
      reject(error);
    });
    child.on('exit', () => {
      sampling = false;
    });
    child.on('close', (code, signal) => {
      sampling = false;
      clearTimeout(hard);
      const now = performance.now();
      resolvePromise({ code, signal, stdout, stderr, ms: now - started, exitLagMs: now - lastStdoutAt, peakRssKiB: peak, killed });
    });
    options.onStart?.(pid);
  });
}

export function parseReport(run: CliRun): JsonReport {
  try {
    return JSON.parse(run.stdout) as JsonReport;
  } catch {
    assert.fail(`stdout is not a JSON report (exit ${String(run.code)}):\n${run.stdout.slice(0, 2000)}\nstderr:\n${run.stderr.slice(-3000)}`);
  }
}

/** `pod/container/name#index` of a result. */
export const hookId = (r: Pick<JsonResult, 'pod' | 'container' | 'name' | 'index'>): string => `${r.pod}/${r.container}/${r.name}#${r.index}`;

/** Every expected hook has exactly one result, and there is no other; summary.attempted agrees. */
export function assertOneOutcomeEach(report: JsonReport, expected: readonly string[]): void {
  const ids = report.results.map(hookId);
  assert.deepEqual([...ids].sort(), [...expected].sort(), 'one result per planned hook');
  assert.equal(new Set(ids).size, ids.length, 'no hook has two results');
  assert.equal(report.summary.attempted, expected.length);
  for (const r of report.results) {
    assert.ok(['succeeded', 'failed', 'timed-out', 'not-run'].includes(r.status), r.status);
    if (r.status !== 'succeeded') assert.ok(r.reason !== null && r.reasonCode !== undefined, `${hookId(r)} has a reason`);
  }
}

/** `pod:status/reasonCode` per result, for compact assertions. */
export const outcomes = (report: JsonReport): string[] =>
  report.results.map((r) => `${r.pod}:${r.status}${r.reasonCode === undefined ? '' : `/${r.reasonCode}`}`);

/** Asserts the process ended by itself, promptly after printing its report. */
export function assertExitedPromptly(run: CliRun, maxLagMs = 3_000): void {
  assert.equal(run.killed, false, `kubehooks hung; stderr:\n${run.stderr.slice(-3000)}`);
  assert.ok(run.exitLagMs < maxLagMs, `exited ${Math.round(run.exitLagMs)} ms after its report (open handles?)`);
}

// ---------- processes of the test's own cluster ----------

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM (or the given signal), then SIGKILL after `graceMs`; waits until the PID is gone. */
export async function stopPid(pid: number, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, signal);
  for (let waited = 0; waited < graceMs && alive(pid); waited += 50) await sleep(50);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100 && alive(pid); i++) await sleep(50);
}

interface ProcessImage {
  readonly argv: string[];
  readonly env: Record<string, string>;
  readonly cwd: string;
}

async function processImage(pid: number): Promise<ProcessImage> {
  const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter((a) => a !== '');
  const env = Object.fromEntries(
    (await readFile(`/proc/${pid}/environ`, 'utf8'))
      .split('\0')
      .filter((e) => e.includes('='))
      .map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
  );
  return { argv, env, cwd: await readlink(`/proc/${pid}/cwd`) };
}

/**
 * Stops a process of the test's cluster (SIGKILL = "killed", SIGTERM = graceful) and starts it again
 * with the same argv, environment and cwd; returns the new PID, which the caller must stop at the end
 * (the cluster's own stop only knows the original PIDs).
 */
export async function restartProcess(pid: number, logPath: string, how: NodeJS.Signals = 'SIGTERM'): Promise<number> {
  const image = await processImage(pid);
  await stopPid(pid, how);
  const [bin, ...args] = image.argv;
  if (bin === undefined) throw new Error(`no command line for pid ${pid}`);
  const fd = openSync(logPath, 'a');
  // Its own process group, like the launcher's: stopping the group also ends commands kwok started.
  let owned: OwnedProcess;
  try {
    owned = spawnOwned(bin, args, { cwd: image.cwd, env: image.env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  owned.child.unref();
  restarted.set(owned.pid, owned);
  return owned.pid;
}

/** The processes restartProcess started, until stopRestarted stops them. */
const restarted = new Map<number, OwnedProcess>();

/** Stops a process we restarted, with its process group (commands kwok started run in it). */
export async function stopRestarted(pid: number | undefined): Promise<void> {
  const owned = pid === undefined ? undefined : restarted.get(pid);
  if (owned !== undefined && pid !== undefined) {
    restarted.delete(pid);
    await owned.stop({ graceMs: 10_000 });
    return;
  }
  if (pid === undefined || !alive(pid)) return;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    // the group is gone already
  }
  await stopPid(pid);
}

/** Polls until `check` returns true; throws after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** Lines of a marker file the hooks append to (missing file = no lines). */
export async function lines(path: string): Promise<string[]> {
  try {
    return (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '');
  } catch {
    return [];
  }
}

/** A JSON-array command annotation value for `sh -c script`. */
export const shJson = (script: string): string => JSON.stringify(['/bin/sh', '-c', script]);

/** One rule of a Role. */
export interface RoleRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/**
 * A ServiceAccount `name` in the test's namespace with a Role of exactly `rules` bound to it;
 * resolves with the path of a kubeconfig that authenticates as it (its token).
 */
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment -- client-node's models are
   data-only classes and its serializer takes plain objects. */
export async function serviceAccountWithRole(ctx: E2eContext, name: string, rules: RoleRule[]): Promise<string> {
  await ctx.rbac.createNamespacedRole({ namespace: ctx.namespace, body: { metadata: { name }, rules } });
  await ctx.rbac.createNamespacedRoleBinding({
    namespace: ctx.namespace,
    body: {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: ctx.namespace }],
    },
  });
  return ctx.serviceAccountKubeconfig(name);
}
/* eslint-enable @typescript-eslint/no-unsafe-class-instance-assignment */
