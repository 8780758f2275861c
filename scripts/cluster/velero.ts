/**
 * A real Velero beside the local control plane, started on demand: an S3-compatible object store
 * (gofakes3, bolt file in the run directory), Velero's CRDs as printed by the Velero binary itself,
 * a BackupStorageLocation on that store through the AWS object-store plugin, and `velero server`
 * as a local process. No node agent: resource backups only. Everything binds to 127.0.0.1 and is
 * recorded in the cluster's run directory, so `cluster:down` stops it by PID with the rest.
 * The cluster must run its controllers (restored pods have no nodeName and need the scheduler).
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { runOwned } from '../../src/testing/owned-process.ts';
import { isExecutable, runBuildScript } from './binaries.ts';
import type { EnsureBinariesOptions } from './binaries.ts';
import { BuildFailedError, ComponentExitedError, StartAbortedError, StartTimeoutError } from './errors.ts';
import { httpCall, probe } from './http.ts';
import type { TlsFiles } from './http.ts';
import { freePorts } from './ports.ts';
import { isOurs, logTail, startProcess, stopProcesses } from './processes.ts';
import type { ProcessRecord, Started } from './processes.ts';
import { readState, writeState } from './state.ts';

const run = promisify(execFile);

export const VELERO_BUILD_SCRIPT = join(import.meta.dirname, 'build-velero.sh');
export const VELERO_NAMESPACE = 'velero';
export const VELERO_BUCKET = 'velero';

export interface VeleroBinaries {
  readonly dir: string;
  readonly velero: string;
  readonly pluginDir: string;
  readonly gofakes3: string;
}

function veleroBinariesIn(dir: string): VeleroBinaries {
  return {
    dir,
    velero: join(dir, 'velero'),
    pluginDir: join(dir, 'plugins'),
    gofakes3: join(dir, 'gofakes3'),
  };
}

const complete = (b: VeleroBinaries): boolean =>
  [b.velero, b.gofakes3, join(b.pluginDir, 'velero-plugin-for-aws')].every(isExecutable);

/** Velero, its AWS plugin and the S3 server, building them with build-velero.sh when missing. */
export async function ensureVeleroBinaries(options: EnsureBinariesOptions): Promise<VeleroBinaries> {
  const printed = await run('bash', [VELERO_BUILD_SCRIPT, '--print-dir']);
  const cached = veleroBinariesIn(printed.stdout.trim());
  if (complete(cached)) return cached;
  options.log('Velero binaries missing from the cache: building them (a cold build takes several minutes)');
  const built = veleroBinariesIn(await runBuildScript(VELERO_BUILD_SCRIPT, 'velero:build', options));
  if (!complete(built)) throw new BuildFailedError(`build-velero.sh finished but ${built.dir} is incomplete`);
  return built;
}

export async function veleroVersions(): Promise<Record<string, string>> {
  const printed = await run('bash', [VELERO_BUILD_SCRIPT, '--print-versions']);
  return JSON.parse(printed.stdout) as Record<string, string>;
}

/** What startVelero needs of a running cluster (a Cluster has all of it). */
export interface VeleroClusterInput {
  readonly kubeconfigPath: string;
  readonly runDir: string;
  readonly server: string;
  readonly pki: { readonly caCert: string; readonly adminCert: string; readonly adminKey: string };
}

export interface StartVeleroOptions {
  readonly signal?: AbortSignal | undefined;
  readonly log?: ((line: string) => void) | undefined;
  readonly timeoutMs?: number | undefined;
  readonly binaries?: VeleroBinaries | undefined;
}

export interface CliOutcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Velero {
  readonly namespace: string;
  readonly binaries: VeleroBinaries;
  /** http://127.0.0.1:<port> */
  readonly s3Url: string;
  readonly pids: { readonly objectStore: number; readonly veleroServer: number };
  readonly versions: Readonly<Record<string, string>>;
  readonly startMs: number;
  /** Runs the Velero CLI (same binary) against this cluster and namespace; every call has a deadline. */
  cli(args: readonly string[], options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<CliOutcome>;
  /** Stops the Velero server and the object store (not the cluster). Idempotent. */
  stop(): Promise<void>;
}

function veleroEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    LANG: 'C.UTF-8',
    // The object store takes any key; the plugin needs some. No instance metadata lookups.
    AWS_ACCESS_KEY_ID: 'kubehooks',
    AWS_SECRET_ACCESS_KEY: 'kubehooks-local',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'USER']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

/** Splits multi-document YAML (or a `List`) into objects. */
export function yamlObjects(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const doc of parseAllDocuments(text)) {
    const value = doc.toJS() as unknown;
    if (value === null || typeof value !== 'object') continue;
    const object = value as Record<string, unknown>;
    if (object['kind'] === 'List' && Array.isArray(object['items'])) {
      out.push(...(object['items'] as Record<string, unknown>[]));
    } else out.push(object);
  }
  return out;
}

export async function startVelero(cluster: VeleroClusterInput, options: StartVeleroOptions = {}): Promise<Velero> {
  const t0 = Date.now();
  const log = options.log ?? ((line: string) => process.stderr.write(`[velero] ${line}\n`));
  const signal = options.signal;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const elapsed = (): string => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
  const binaries = options.binaries ?? (await ensureVeleroBinaries({ log, signal }));
  const versions = await veleroVersions();
  const runDir = cluster.runDir;
  const veleroDir = join(runDir, 'velero');
  await mkdir(veleroDir, { recursive: true });
  const tls: TlsFiles = {
    ca: await readFile(cluster.pki.caCert),
    cert: await readFile(cluster.pki.adminCert),
    key: await readFile(cluster.pki.adminKey),
  };
  const api = async (path: string, init: { method?: string; body?: unknown; contentType?: string } = {}) =>
    httpCall(`${cluster.server}${path}`, { ...init, tls, timeoutMs: 10_000 });

  const [s3Port, metricsPort] = await freePorts(2);
  if (s3Port === undefined || metricsPort === undefined) throw new Error('freePorts returned too few ports');
  const s3Url = `http://127.0.0.1:${s3Port}`;
  const env = veleroEnv();
  const started: ProcessRecord[] = [];

  // Recorded in the cluster's state as they start, so `cluster:down` (and stale-run cleanup) stops them.
  const record = async (s: Started): Promise<void> => {
    started.push(s.record);
    const state = await readState(runDir);
    if (state !== undefined) {
      await writeState({
        ...state,
        processes: [...state.processes.filter((p) => p.name !== s.record.name), s.record],
        versions: { ...state.versions, ...versions },
      });
    }
  };
  const waitFor = async (s: Started, what: string, check: () => Promise<boolean>): Promise<void> => {
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    void s.exited.then((e) => (exit = e));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (signal?.aborted) throw new StartAbortedError(`aborted while waiting for ${what}`);
      if (exit !== undefined) {
        throw new ComponentExitedError(
          `${s.record.name} exited during start; last lines of ${s.record.logPath}:\n${await logTail(s.record.logPath)}`,
        );
      }
      if (await check()) return;
      if (Date.now() > deadline) {
        throw new StartTimeoutError(
          `${what} not reached after ${timeoutMs} ms; last lines of ${s.record.logPath}:\n${await logTail(s.record.logPath)}`,
        );
      }
      await sleep(250);
    }
  };

  const startServer = async (): Promise<Started> => {
    const s = startProcess(
      'velero-server',
      binaries.velero,
      [
        'server',
        `--kubeconfig=${cluster.kubeconfigPath}`,
        `--namespace=${VELERO_NAMESPACE}`,
        `--plugin-dir=${binaries.pluginDir}`,
        `--metrics-address=127.0.0.1:${metricsPort}`,
        '--profiler-address=',
        '--default-volumes-to-fs-backup=false',
        '--log-level=info',
        '--log-format=json',
        '--store-validation-frequency=10s',
      ],
      { logPath: join(veleroDir, 'velero-server.log'), marker: runDir, cwd: veleroDir, env },
    );
    await record(s);
    return s;
  };

  const bslAvailable = async (): Promise<boolean> => {
    const res = await api(
      `/apis/velero.io/v1/namespaces/${VELERO_NAMESPACE}/backupstoragelocations/default`,
    ).catch(() => undefined);
    if (res?.status !== 200) return false;
    return (JSON.parse(res.body) as { status?: { phase?: string } }).status?.phase === 'Available';
  };

  let server: Started | undefined;
  try {
    const store = startProcess(
      'object-store',
      binaries.gofakes3,
      [
        '-backend',
        'bolt',
        '-bolt.db',
        join(veleroDir, 's3.db'),
        '-host',
        `127.0.0.1:${s3Port}`,
        '-initialbucket',
        VELERO_BUCKET,
        '-quiet',
      ],
      { logPath: join(veleroDir, 'object-store.log'), marker: runDir, cwd: veleroDir, env },
    );
    await record(store);
    await waitFor(store, `object store on ${s3Url}`, async () => {
      const res = await httpCall(`${s3Url}/`, {}).catch(() => undefined);
      return res !== undefined && res.status > 0 && res.status < 500;
    });
    log(`object store (gofakes3) ready on ${s3Url} (${elapsed()})`);

    // CRDs exactly as this Velero binary prints them.
    const printed = await run(
      binaries.velero,
      ['install', '--crds-only', '--dry-run', '-o', 'yaml', `--kubeconfig=${cluster.kubeconfigPath}`],
      { env, maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
    );
    const crds = yamlObjects(printed.stdout).filter((o) => o['kind'] === 'CustomResourceDefinition');
    if (crds.length === 0) throw new BuildFailedError('velero install --crds-only --dry-run printed no CRDs');
    for (const crd of crds) {
      const res = await api('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { method: 'POST', body: crd });
      if (res.status !== 201 && res.status !== 409) {
        throw new Error(`creating a Velero CRD failed: HTTP ${res.status} ${res.body.slice(0, 500)}`);
      }
    }
    const names = crds.map((c) => (c['metadata'] as { name: string }).name);
    const deadline = Date.now() + timeoutMs;
    for (const name of names) {
      for (;;) {
        signal?.throwIfAborted();
        const res = await api(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
        const conditions =
          (JSON.parse(res.body) as { status?: { conditions?: { type: string; status: string }[] } }).status
            ?.conditions ?? [];
        if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) break;
        if (Date.now() > deadline) throw new StartTimeoutError(`CRD ${name} not Established after ${timeoutMs} ms`);
        await sleep(100);
      }
    }
    log(`${crds.length} Velero CRDs established (${elapsed()})`);

    const ns = await api('/api/v1/namespaces', {
      method: 'POST',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: VELERO_NAMESPACE } },
    });
    if (ns.status !== 201 && ns.status !== 409) throw new Error(`creating namespace velero: HTTP ${ns.status} ${ns.body}`);
    const bsl = await api(`/apis/velero.io/v1/namespaces/${VELERO_NAMESPACE}/backupstoragelocations`, {
      method: 'POST',
      body: {
        apiVersion: 'velero.io/v1',
        kind: 'BackupStorageLocation',
        metadata: { name: 'default', namespace: VELERO_NAMESPACE },
        spec: {
          provider: 'aws',
          default: true,
          objectStorage: { bucket: VELERO_BUCKET },
          config: {
            region: 'us-east-1',
            s3ForcePathStyle: 'true',
            s3Url,
            // No aws-chunked trailing checksums: the local store verifies Content-MD5 only.
            checksumAlgorithm: '',
          },
        },
      },
    });
    if (bsl.status !== 201 && bsl.status !== 409) {
      throw new Error(`creating the BackupStorageLocation: HTTP ${bsl.status} ${bsl.body}`);
    }

    // Velero's restore item actions read Velero's own Deployment (for the image of their helper
    // containers); without it every restore ends PartiallyFailed with `deployments.apps "velero"
    // not found`. One with 0 replicas stands in for the Deployment `velero install` would create.
    const deployment = await api(`/apis/apps/v1/namespaces/${VELERO_NAMESPACE}/deployments`, {
      method: 'POST',
      body: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'velero', namespace: VELERO_NAMESPACE, labels: { component: 'velero' } },
        spec: {
          replicas: 0,
          selector: { matchLabels: { deploy: 'velero' } },
          template: {
            metadata: { labels: { deploy: 'velero', component: 'velero' } },
            spec: {
              containers: [
                { name: 'velero', image: `velero/velero:${versions['velero'] ?? 'v1.18.3'}`, command: ['/velero'] },
              ],
            },
          },
        },
      },
    });
    if (deployment.status !== 201 && deployment.status !== 409) {
      throw new Error(`creating the stand-in velero Deployment: HTTP ${deployment.status} ${deployment.body}`);
    }

    server = await startServer();
    await waitFor(server, 'BackupStorageLocation default Available', bslAvailable);
    log(`velero server ready, storage location Available (${elapsed()})`);
  } catch (err) {
    await stopProcesses([...started].reverse(), { graceMs: 5_000 });
    throw err;
  }

  const startMs = Date.now() - t0;
  const current = server;
  let stopping: Promise<void> | undefined;
  const velero: Velero = {
    namespace: VELERO_NAMESPACE,
    binaries,
    s3Url,
    versions,
    startMs,
    get pids() {
      const store = started.find((p) => p.name === 'object-store');
      return { objectStore: store?.pid ?? 0, veleroServer: current.record.pid };
    },
    // Owned (src/testing/owned-process.ts): stopped at the deadline, on the signal, and with this process.
    cli: async (args, cliOptions = {}) => {
      const r = await runOwned(binaries.velero, [...args, `--kubeconfig=${cluster.kubeconfigPath}`, `--namespace=${VELERO_NAMESPACE}`], {
        env,
        cwd: veleroDir,
        timeoutMs: cliOptions.timeoutMs ?? 120_000,
        ...(cliOptions.signal === undefined ? {} : { signal: cliOptions.signal }),
      });
      return { code: r.code, stdout: r.stdout, stderr: r.stderr };
    },
    stop() {
      stopping ??= (async () => {
        await stopProcesses([...started].reverse().filter(isOurs));
        const state = await readState(runDir);
        if (state !== undefined) {
          const ours = new Set(started.map((p) => p.pid));
          await writeState({ ...state, processes: state.processes.filter((p) => !ours.has(p.pid)) });
        }
      })();
      return stopping;
    },
  };
  return velero;
}

/** Whether the object store answers (for status). */
export function objectStoreUp(s3Url: string): Promise<boolean> {
  return probe(`${s3Url}/`);
}
