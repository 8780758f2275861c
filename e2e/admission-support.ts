/**
 * Helpers for the admission e2e tests: kubectl against the e2e cluster, the minimal Velero CRDs the
 * API server needs to admit Backup/Schedule/Restore objects, and the webhook as a child process
 * (`kubehooks webhook`), stopped by its PID. Every child is owned by the test process
 * (src/testing/owned-process.ts): it dies with it however the test process ends.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { runOwned, spawnOwned } from '../src/testing/owned-process.ts';
import { e2eSkipReason } from './harness/index.ts';

const REPO = resolve(import.meta.dirname, '..');
export const KUBEHOOKS_BIN = resolve(REPO, 'bin', 'kubehooks.js');

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function kubectlSkipReason(): string | false {
  const skip = e2eSkipReason();
  if (skip !== false) return skip;
  const probe = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.error !== undefined || probe.status !== 0) {
    return `kubectl not available (${probe.error?.message ?? probe.stderr.trim()}); .ci/run installs Debian's kubectl`;
  }
  return false;
}

export async function run(file: string, args: readonly string[], input?: string, timeoutMs = 30_000): Promise<Run> {
  const r = await runOwned(file, args, { input: input ?? '', timeoutMs });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

export function kubectl(kubeconfig: string, args: readonly string[], input?: string): Promise<Run> {
  return run('kubectl', ['--kubeconfig', kubeconfig, ...args], input);
}

/** `kubehooks …` with the Node that runs the tests (Node 22 from node_modules/.bin). */
export function kubehooks(args: readonly string[], input?: string): Promise<Run> {
  return run(process.execPath, [KUBEHOOKS_BIN, ...args], input);
}

/** The `Warning: …` lines kubectl printed (without the prefix kubectl adds). */
export function warningsOf(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('Warning: '))
    .map((l) => l.slice('Warning: '.length));
}

const VELERO_CRDS = [
  ['backups', 'Backup', 'BackupList'],
  ['schedules', 'Schedule', 'ScheduleList'],
  ['restores', 'Restore', 'RestoreList'],
] as const;

/**
 * Velero's three hook-carrying CRDs, schema-less (x-kubernetes-preserve-unknown-fields), created
 * only when absent (a cluster with Velero's real CRDs keeps them).
 */
export async function ensureVeleroCrds(kubeconfig: string): Promise<void> {
  for (const [plural, kind, listKind] of VELERO_CRDS) {
    const name = `${plural}.velero.io`;
    const got = await kubectl(kubeconfig, ['get', 'crd', name, '-o', 'name']);
    if (got.code === 0) continue;
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name },
      spec: {
        group: 'velero.io',
        scope: 'Namespaced',
        names: { plural, singular: kind.toLowerCase(), kind, listKind },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    };
    const created = await kubectl(kubeconfig, ['create', '-f', '-'], JSON.stringify(crd));
    if (created.code !== 0 && !created.stderr.includes('AlreadyExists')) throw new Error(`creating CRD ${name}: ${created.stderr}`);
  }
  const established = await kubectl(kubeconfig, [
    'wait', '--for=condition=Established', '--timeout=30s', ...VELERO_CRDS.map(([p]) => `crd/${p}.velero.io`),
  ]);
  if (established.code !== 0) throw new Error(`Velero CRDs not established: ${established.stderr}`);
}

/** Polls `probe` until it returns a value, at most `timeoutMs`; throws with `what` at the deadline. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface WebhookProcess {
  readonly port: number;
  readonly pid: number;
  stderr(): string;
  /** SIGTERM by PID, then waits for the exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

/** Starts `kubehooks webhook --listen 127.0.0.1:0 …` and waits for its "serving" line (15 s deadline). */
export async function startWebhook(args: readonly string[]): Promise<WebhookProcess> {
  const owned = spawnOwned(process.execPath, [KUBEHOOKS_BIN, 'webhook', '--listen', '127.0.0.1:0', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const child = owned.child;
  let err = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (c: string) => {
    err += c;
  });
  const stop = async (): Promise<void> => {
    await owned.stop({ graceMs: 10_000 });
  };
  try {
    const port = await eventually('the webhook to listen', () => {
      if (child.exitCode !== null) throw new Error(`kubehooks webhook exited ${child.exitCode}: ${err}`);
      const m = /serving https:\/\/127\.0\.0\.1:(\d+)\/validate/.exec(err);
      return Promise.resolve(m === null ? undefined : Number(m[1]));
    }, 15_000);
    return { port, pid: owned.pid, stderr: () => err, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
