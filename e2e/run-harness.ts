/**
 * Helpers for the run e2e tests (e2e/run-*.test.ts): real kube ports against the e2e cluster,
 * planned hooks built directly (the planner has its own tests), and marker files the hook commands
 * write (KWOK runs exec argv as a local process, so a hook can leave evidence on this machine).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { stringify } from 'yaml';
import type { PlannedHook } from '../src/model/plan.ts';
import type { RunReport } from '../src/model/result.ts';
import { createKubePorts } from '../src/kube/index.ts';
import { runBackupHooks } from '../src/run/backup-runner.ts';
import { createSystemClock } from '../src/run/clock.ts';
import type { EventGrouping } from '../src/run/event-summary.ts';
import { runPostRestoreHooks } from '../src/run/post-restore-runner.ts';
import { spawnOwned } from '../src/testing/owned-process.ts';
import type { E2eContext } from './harness/index.ts';

export function hook(
  ctx: E2eContext,
  o: Partial<PlannedHook> & Pick<PlannedHook, 'pod' | 'container' | 'command'>,
): PlannedHook {
  return {
    namespace: ctx.namespace,
    type: 'exec',
    source: 'spec',
    name: 'e2e',
    phase: 'restore',
    index: 0,
    onError: 'Continue',
    execTimeoutMs: 30_000,
    waitTimeoutMs: 0,
    waitForReady: false,
    ...o,
  };
}

export const sh = (script: string): string[] => ['/bin/sh', '-c', script];

/** A temp directory for marker files, removed after the test. */
export async function markerDir(
  t: TestContext,
): Promise<{ dir: string; read(name: string): Promise<string | undefined> }> {
  const dir = await mkdtemp(join(tmpdir(), 'kubehooks-e2e-run-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return {
    dir,
    read: async (name) => {
      try {
        return await readFile(join(dir, name), 'utf8');
      } catch {
        return undefined;
      }
    },
  };
}

export interface RunE2eOptions {
  readonly deadlineMs?: number;
  readonly concurrency?: number;
  readonly kubeconfigPath?: string;
  readonly signal?: AbortSignal;
  readonly events?: boolean;
  /** Per pod (default) or per hook (ADR 0023). */
  readonly eventGrouping?: EventGrouping;
  /** Post-restore: watch only pods matching this label selector (as `run --selector`). */
  readonly labelSelector?: string;
}

export async function postRestore(
  ctx: E2eContext,
  hooks: PlannedHook[],
  options: RunE2eOptions = {},
): Promise<RunReport> {
  const ports = createKubePorts({ kubeconfigPath: options.kubeconfigPath ?? ctx.kubeconfigPath });
  try {
    return await runPostRestoreHooks({
      plan: { hooks, skipped: [] },
      scope: { namespaces: [ctx.namespace], ...(options.labelSelector === undefined ? {} : { labelSelector: options.labelSelector }) },
      executor: ports.executor,
      watcher: ports.watcher,
      events: options.events === false ? undefined : ports.events,
      eventGrouping: options.eventGrouping,
      clock: createSystemClock(),
      signal: options.signal ?? AbortSignal.timeout(120_000),
      deadlineMs: options.deadlineMs ?? 60_000,
      concurrency: options.concurrency,
    });
  } finally {
    ports.close();
  }
}

export async function backup(
  ctx: E2eContext,
  hooks: PlannedHook[],
  options: RunE2eOptions = {},
): Promise<RunReport> {
  const ports = createKubePorts({ kubeconfigPath: options.kubeconfigPath ?? ctx.kubeconfigPath });
  const signal = options.signal ?? AbortSignal.timeout(120_000);
  try {
    const pods = await ports.lister.list({ namespaces: [ctx.namespace] }, signal);
    return await runBackupHooks({
      plan: { hooks, skipped: [] },
      pods,
      executor: ports.executor,
      events: options.events === false ? undefined : ports.events,
      clock: createSystemClock(),
      signal,
      deadlineMs: options.deadlineMs,
      concurrency: options.concurrency,
    });
  } finally {
    ports.close();
  }
}

/** `pod/container/name#index:status[/reasonCode]`, for compact assertions. */
export function statuses(report: RunReport): string[] {
  return report.results.map(
    (r) =>
      `${r.pod}/${r.container}/${r.name}#${r.index}:${r.status}${r.reasonCode === undefined ? '' : `/${r.reasonCode}`}`,
  );
}

const BIN = resolve(import.meta.dirname, '..', 'bin', 'kubehooks.js');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs bin/kubehooks.js with this Node; `onStart` gets the child's pid (to signal it), `onStderr`
 * sees the stderr so far after each chunk (to act when the run reaches a given point), once per chunk.
 * The child is owned by the test process (src/testing/owned-process.ts): it dies with it.
 */
export function kubehooks(
  args: readonly string[],
  onStart?: (pid: number) => void,
  onStderr?: (pid: number, stderrSoFar: string) => void,
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const { child, pid } = spawnOwned(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(pid, stderr);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      resolvePromise({ code, stdout, stderr });
    });
    onStart?.(pid);
  });
}

export async function writeYaml(t: TestContext, name: string, object: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kubehooks-e2e-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, name);
  await writeFile(path, stringify(object));
  return path;
}

