/**
 * Starts and stops one local control plane: etcd, kube-apiserver and kwok (a simulated kubelet whose
 * exec runs commands as local processes), all on 127.0.0.1 with free ports and per-run certificates.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { ensureBinaries, pinnedVersions } from './binaries.ts';
import type { Binaries } from './binaries.ts';
import {
  AlreadyRunningError,
  ClusterError,
  ComponentExitedError,
  PortInUseError,
  StartAbortedError,
  StartTimeoutError,
} from './errors.ts';
import { httpCall, probe } from './http.ts';
import type { TlsFiles } from './http.ts';
import { createPki } from './pki.ts';
import type { Pki } from './pki.ts';
import { freePorts } from './ports.ts';
import { logTail, startProcess, stopProcesses } from './processes.ts';
import type { ProcessRecord, Started } from './processes.ts';
import {
  DEFAULT_NODE_NAME,
  NODE_SELECTOR_ANNOTATION,
  NODE_SELECTOR_VALUE,
  UNMANAGED_NODE_NAME,
  kwokArgs,
  kwokConfigYaml,
} from './simulation.ts';
import { liveProcesses, readState, writeState } from './state.ts';
import type { ClusterPorts, ClusterState } from './state.ts';

/** Present in every run directory we create; nothing else is ever removed. */
const RUN_DIR_MARKER = '.kubehooks-run-dir';

export interface StartClusterOptions {
  readonly signal?: AbortSignal | undefined;
  /** Progress lines (default: stderr with a "[cluster]" prefix). */
  readonly log?: ((line: string) => void) | undefined;
  /** Where certificates, data, logs and the kubeconfig go. Default: a fresh directory under the OS temp dir. */
  readonly runDir?: string | undefined;
  /** Deadline for each component to become ready (default 90 s; the API server takes 5-20 s on 2 cores). */
  readonly componentTimeoutMs?: number | undefined;
  /** Use these binaries instead of the cache (they are not built). */
  readonly binaries?: Binaries | undefined;
  /**
   * Also run kube-controller-manager and kube-scheduler (default false), so that Deployments,
   * ReplicaSets, StatefulSets, DaemonSets and Jobs get pods, pods without spec.nodeName are scheduled
   * onto the simulated node, namespaces finish deleting and default service accounts exist.
   */
  readonly controllers?: boolean | undefined;
}

export type StopOutcome = Awaited<ReturnType<typeof stopProcesses>>;

export interface Cluster {
  readonly kubeconfigPath: string;
  readonly runDir: string;
  /** https://127.0.0.1:<port> */
  readonly server: string;
  /** The simulated node: pods with this spec.nodeName run (see simulation.ts for the annotations). */
  readonly nodeName: string;
  /** A node name kwok does not manage: pods bound to it stay Pending forever. */
  readonly unmanagedNodeName: string;
  readonly ports: ClusterPorts;
  readonly pids: {
    readonly etcd: number;
    readonly kubeApiserver: number;
    readonly kwok: number;
    readonly kubeControllerManager?: number;
    readonly kubeScheduler?: number;
  };
  /** Whether kube-controller-manager and kube-scheduler run. */
  readonly controllers: boolean;
  readonly versions: Readonly<Record<string, string>>;
  readonly pki: Pki;
  /** Milliseconds from the call to a Ready node. */
  readonly startMs: number;
  /** Stops exactly the processes this cluster started and removes the run directory. Idempotent. */
  stop(options?: { keepRunDir?: boolean }): Promise<StopOutcome>;
  [Symbol.asyncDispose](): Promise<void>;
}

const defaultLog = (line: string): void => {
  process.stderr.write(`[cluster] ${line}\n`);
};

function childEnv(): NodeJS.ProcessEnv {
  // Components (and the commands kwok runs for exec) see a small, known environment, not ours.
  const env: NodeJS.ProcessEnv = { LANG: 'C.UTF-8' };
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'USER']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

function kubeconfigYaml(server: string, ca: Buffer, cert: Buffer, key: Buffer): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'kubehooks-local', cluster: { server, 'certificate-authority-data': ca.toString('base64') } },
    ],
    users: [
      {
        name: 'kubehooks-admin',
        user: {
          'client-certificate-data': cert.toString('base64'),
          'client-key-data': key.toString('base64'),
        },
      },
    ],
    contexts: [{ name: 'kubehooks-local', context: { cluster: 'kubehooks-local', user: 'kubehooks-admin' } }],
    'current-context': 'kubehooks-local',
  });
}

async function prepareRunDir(runDir: string | undefined, log: (line: string) => void): Promise<string> {
  if (runDir === undefined) {
    const dir = await mkdtemp(join(tmpdir(), 'kubehooks-cluster-'));
    await writeFile(join(dir, RUN_DIR_MARKER), '');
    return dir;
  }
  const dir = resolve(runDir);
  const previous = await readState(dir);
  if (previous !== undefined) {
    const live = liveProcesses(previous);
    if (live.length > 0) {
      throw new AlreadyRunningError(
        `a cluster is already running from ${dir} (pids ${live.map((p) => p.pid).join(', ')}); ` +
          `its kubeconfig is ${previous.kubeconfigPath}. Stop it first (npm run cluster:down).`,
      );
    }
    log(`removing stale run directory ${dir} (its processes are gone)`);
  }
  if (existsSync(dir)) {
    if (!existsSync(join(dir, RUN_DIR_MARKER)) && (await readdir(dir)).length > 0) {
      throw new AlreadyRunningError(`${dir} exists and was not created by kubehooks; refusing to reuse it`);
    }
    await rm(dir, { recursive: true, force: true });
  }
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, RUN_DIR_MARKER), '');
  return dir;
}

interface WaitInput {
  readonly started: Started;
  readonly check: () => Promise<boolean>;
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
}

async function waitUntilReady(input: WaitInput): Promise<void> {
  const { started, check, timeoutMs, signal } = input;
  const { name, logPath } = started.record;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void started.exited.then((e) => (exit = e));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (signal?.aborted) throw new StartAbortedError(`aborted while waiting for ${name}`);
    if (exit !== undefined) {
      const tail = await logTail(logPath);
      const how = exit.signal === null ? `with code ${exit.code}` : `on ${exit.signal}`;
      if (/address already in use/i.test(tail)) {
        throw new PortInUseError(`${name} could not bind its port (exited ${how}); log ${logPath}:\n${tail}`);
      }
      throw new ComponentExitedError(
        `${name} exited ${how} during start; last lines of ${logPath}:\n${tail}`,
      );
    }
    if (await check()) return;
    if (Date.now() > deadline) {
      throw new StartTimeoutError(
        `${name} was not ready after ${timeoutMs} ms; last lines of ${logPath}:\n${await logTail(logPath)}`,
      );
    }
    await sleep(100);
  }
}

/** One start attempt; on failure it stops what it started and rethrows. */
async function startOnce(
  binaries: Binaries,
  runDir: string,
  options: {
    log: (line: string) => void;
    signal: AbortSignal | undefined;
    timeoutMs: number;
    t0: number;
    controllers: boolean;
  },
): Promise<Cluster> {
  const { log, signal, timeoutMs, t0, controllers } = options;
  const elapsed = (): string => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
  const pki = await createPki(join(runDir, 'pki'));
  const [etcdClient, etcdPeer, apiserverPort, kwokPort, kcmPort, schedulerPort] = await freePorts(
    controllers ? 6 : 4,
  );
  if (
    etcdClient === undefined ||
    etcdPeer === undefined ||
    apiserverPort === undefined ||
    kwokPort === undefined
  ) {
    throw new Error('freePorts returned too few ports');
  }
  const ports: ClusterPorts = {
    etcdClient,
    etcdPeer,
    apiserver: apiserverPort,
    kwok: kwokPort,
    ...(controllers ? { kubeControllerManager: kcmPort, kubeScheduler: schedulerPort } : {}),
  };
  const server = `https://127.0.0.1:${apiserverPort}`;
  const kubeconfigPath = join(runDir, 'kubeconfig');
  const versions: Record<string, string> = { ...pinnedVersions() };
  const env = childEnv();
  const started: ProcessRecord[] = [];
  const saveState = (): Promise<void> =>
    writeState({
      version: 1,
      runDir,
      kubeconfigPath,
      server,
      nodeName: DEFAULT_NODE_NAME,
      ports,
      processes: started,
      ownerPid: process.pid,
      startedAt: new Date(t0).toISOString(),
      versions: { ...versions },
    } satisfies ClusterState);
  const launch = async (name: string, bin: string, args: string[]): Promise<Started> => {
    const s = startProcess(name, bin, args, {
      logPath: join(runDir, `${name}.log`),
      marker: runDir,
      cwd: runDir,
      env,
    });
    started.push(s.record);
    // Recorded before waiting, so a launcher killed mid-start leaves PIDs that `down` can stop.
    await saveState();
    return s;
  };

  try {
    const [caPem, adminCert, adminKey] = await Promise.all([
      readFile(pki.caCert),
      readFile(pki.adminCert),
      readFile(pki.adminKey),
    ]);
    const adminTls: TlsFiles = { ca: caPem, cert: adminCert, key: adminKey };

    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const peerUrl = `http://127.0.0.1:${etcdPeer}`;
    const etcd = await launch('etcd', binaries.etcd, [
      '--name=kubehooks',
      `--data-dir=${join(runDir, 'etcd-data')}`,
      '--unsafe-no-fsync',
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=kubehooks=${peerUrl}`,
      '--log-level=warn',
    ]);
    await waitUntilReady({ started: etcd, check: () => probe(`${etcdUrl}/readyz`), timeoutMs, signal });
    log(`etcd ready on 127.0.0.1:${etcdClient} (${elapsed()})`);

    await writeFile(kubeconfigPath, kubeconfigYaml(server, caPem, adminCert, adminKey), { mode: 0o600 });
    const apiserver = await launch('kube-apiserver', binaries.kubeApiserver, [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiserverPort}`,
      '--endpoint-reconciler-type=none',
      `--cert-dir=${join(runDir, 'apiserver-certs')}`,
      `--tls-cert-file=${pki.servingCert}`,
      `--tls-private-key-file=${pki.servingKey}`,
      `--client-ca-file=${pki.caCert}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      '--service-cluster-ip-range=10.96.0.0/24',
      '--authorization-mode=RBAC',
      '--disable-admission-plugins=ServiceAccount',
      '--kubelet-preferred-address-types=InternalIP',
      '--allow-privileged=true',
      '--enable-priority-and-fairness=false',
      '--profiling=false',
    ]);
    await waitUntilReady({
      started: apiserver,
      check: () => probe(`${server}/readyz`, adminTls),
      timeoutMs,
      signal,
    });
    log(`kube-apiserver ready on ${server} (${elapsed()})`);

    // The controllers start now and get ready while kwok and the node come up.
    const controllerProcs = controllers
      ? await launchControllers({ launch, binaries, kubeconfigPath, pki, runDir, kcmPort, schedulerPort })
      : [];

    const execDir = join(runDir, 'exec');
    await mkdir(execDir, { recursive: true });
    const kwokConfig = join(runDir, 'kwok.yaml');
    await writeFile(kwokConfig, kwokConfigYaml(execDir));
    const kwok = await launch(
      'kwok',
      binaries.kwok,
      kwokArgs({
        kubeconfigPath,
        configPath: kwokConfig,
        port: kwokPort,
        servingCert: pki.servingCert,
        servingKey: pki.servingKey,
      }),
    );
    await waitUntilReady({
      started: kwok,
      check: () => probe(`https://127.0.0.1:${kwokPort}/healthz`, { ca: caPem }),
      timeoutMs,
      signal,
    });
    log(`kwok ready on 127.0.0.1:${kwokPort} (${elapsed()})`);

    const created = await httpCall(`${server}/api/v1/nodes`, {
      method: 'POST',
      tls: adminTls,
      body: {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: DEFAULT_NODE_NAME,
          annotations: { [NODE_SELECTOR_ANNOTATION]: NODE_SELECTOR_VALUE },
          labels: { 'kubernetes.io/hostname': DEFAULT_NODE_NAME, 'kubernetes.io/os': 'linux', type: 'kwok' },
        },
      },
    });
    if (created.status !== 201 && created.status !== 409) {
      throw new Error(`creating node ${DEFAULT_NODE_NAME} failed: HTTP ${created.status} ${created.body}`);
    }
    await waitUntilReady({
      started: kwok,
      check: async () => {
        const res = await httpCall(`${server}/api/v1/nodes/${DEFAULT_NODE_NAME}`, { tls: adminTls }).catch(
          () => undefined,
        );
        if (res?.status !== 200) return false;
        const node = JSON.parse(res.body) as { status?: { conditions?: { type: string; status: string }[] } };
        return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
      },
      timeoutMs,
      signal,
    });
    if (controllers) {
      // TaintNodesByCondition admission gave the new node a not-ready NoSchedule taint; the node
      // lifecycle controller (not run: kwok sends no heartbeats) would have removed it once Ready.
      const untainted = await httpCall(`${server}/api/v1/nodes/${DEFAULT_NODE_NAME}`, {
        method: 'PATCH',
        tls: adminTls,
        body: { spec: { taints: null } },
        contentType: 'application/merge-patch+json',
      });
      if (untainted.status !== 200) {
        throw new Error(`removing the taints of node ${DEFAULT_NODE_NAME} failed: HTTP ${untainted.status} ${untainted.body}`);
      }
      for (const c of controllerProcs) {
        await waitUntilReady({
          started: c.started,
          check: () => probe(`https://127.0.0.1:${c.port}/healthz`, { ca: caPem }),
          timeoutMs,
          signal,
        });
        log(`${c.started.record.name} ready on 127.0.0.1:${c.port} (${elapsed()})`);
      }
    }
    const startMs = Date.now() - t0;
    log(`node ${DEFAULT_NODE_NAME} Ready; cluster up in ${elapsed()}; kubeconfig ${kubeconfigPath}`);
    return makeCluster({
      kubeconfigPath,
      runDir,
      server,
      ports,
      pki,
      versions,
      startMs,
      records: [...started],
      controllers,
      pids: {
        etcd: etcd.record.pid,
        kubeApiserver: apiserver.record.pid,
        kwok: kwok.record.pid,
        ...Object.fromEntries(controllerProcs.map((c) => [c.key, c.started.record.pid])),
      },
    });
  } catch (err) {
    await stopProcesses([...started].reverse(), { graceMs: 5_000 });
    throw err;
  }
}

/** Starts kube-controller-manager and kube-scheduler (not waiting for them). */
async function launchControllers(input: {
  launch: (name: string, bin: string, args: string[]) => Promise<Started>;
  binaries: Binaries;
  kubeconfigPath: string;
  pki: Pki;
  runDir: string;
  kcmPort: number | undefined;
  schedulerPort: number | undefined;
}): Promise<{ key: 'kubeControllerManager' | 'kubeScheduler'; started: Started; port: number }[]> {
  const { launch, binaries, kubeconfigPath, pki, runDir, kcmPort, schedulerPort } = input;
  if (kcmPort === undefined || schedulerPort === undefined) throw new Error('freePorts returned too few ports');
  // Both serve /healthz with our serving certificate (SAN 127.0.0.1), so the probe verifies them.
  const serving = (port: number, name: string): string[] => [
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--tls-cert-file=${pki.servingCert}`,
    `--tls-private-key-file=${pki.servingKey}`,
    `--cert-dir=${join(runDir, `${name}-certs`)}`,
    `--kubeconfig=${kubeconfigPath}`,
    `--authentication-kubeconfig=${kubeconfigPath}`,
    `--authorization-kubeconfig=${kubeconfigPath}`,
    '--leader-elect=false',
    '--profiling=false',
  ];
  const kcm = await launch('kube-controller-manager', binaries.kubeControllerManager, [
    ...serving(kcmPort, 'kube-controller-manager'),
    // No node lifecycle controller: kwok sends no node heartbeats, so it would mark the node
    // unreachable after the grace period and evict every pod.
    '--controllers=*,-nodelifecycle',
    `--root-ca-file=${pki.caCert}`,
    `--service-account-private-key-file=${pki.saKey}`,
    '--use-service-account-credentials=false',
    '--concurrent-gc-syncs=5',
  ]);
  const scheduler = await launch(
    'kube-scheduler',
    binaries.kubeScheduler,
    serving(schedulerPort, 'kube-scheduler'),
  );
  return [
    { key: 'kubeControllerManager', started: kcm, port: kcmPort },
    { key: 'kubeScheduler', started: scheduler, port: schedulerPort },
  ];
}

function makeCluster(input: {
  kubeconfigPath: string;
  runDir: string;
  server: string;
  ports: ClusterPorts;
  pki: Pki;
  versions: Record<string, string>;
  startMs: number;
  records: ProcessRecord[];
  pids: Cluster['pids'];
  controllers: boolean;
}): Cluster {
  let stopping: Promise<StopOutcome> | undefined;
  const stop = (options: { keepRunDir?: boolean } = {}): Promise<StopOutcome> => {
    stopping ??= (async () => {
      const outcome = await stopProcesses([...input.records].reverse());
      if (options.keepRunDir !== true) await removeRunDir(input.runDir);
      return outcome;
    })();
    return stopping;
  };
  return {
    kubeconfigPath: input.kubeconfigPath,
    runDir: input.runDir,
    server: input.server,
    nodeName: DEFAULT_NODE_NAME,
    unmanagedNodeName: UNMANAGED_NODE_NAME,
    ports: input.ports,
    pids: input.pids,
    controllers: input.controllers,
    versions: input.versions,
    pki: input.pki,
    startMs: input.startMs,
    stop,
    async [Symbol.asyncDispose]() {
      await stop();
    },
  };
}

async function removeRunDir(runDir: string): Promise<void> {
  if (existsSync(join(runDir, RUN_DIR_MARKER))) await rm(runDir, { recursive: true, force: true });
}

/**
 * Starts a control plane and resolves when its node is Ready. Builds the binaries first when the
 * cache lacks them (minutes; progress goes to `log`). On failure or abort, everything it started is
 * stopped before the promise rejects with a ClusterError.
 */
export async function startCluster(options: StartClusterOptions = {}): Promise<Cluster> {
  const t0 = Date.now();
  const log = options.log ?? defaultLog;
  const signal = options.signal;
  if (signal?.aborted) throw new StartAbortedError('aborted before the cluster was started');
  const binaries = options.binaries ?? (await ensureBinaries({ log, signal }));
  const runDir = await prepareRunDir(options.runDir, log);
  const timeoutMs = options.componentTimeoutMs ?? 90_000;
  const controllers = options.controllers === true;
  try {
    try {
      return await startOnce(binaries, runDir, { log, signal, timeoutMs, t0, controllers });
    } catch (err) {
      // A stranger took a port between our probe and the bind: one more try with fresh ports.
      if (!(err instanceof PortInUseError)) throw err;
      log(`${err.message.split('\n')[0] ?? ''}; retrying with new ports`);
      await rm(join(runDir, 'etcd-data'), { recursive: true, force: true });
      return await startOnce(binaries, runDir, { log, signal, timeoutMs, t0, controllers });
    }
  } catch (err) {
    // Keep logs of a failed start in a named run dir for inspection; a temp dir, or an interrupted
    // start, leaves nothing behind.
    if (options.runDir === undefined || signal?.aborted === true) await removeRunDir(runDir);
    if (err instanceof ClusterError) throw err;
    if (signal?.aborted) throw new StartAbortedError('aborted while starting the cluster', { cause: err });
    throw err;
  }
}

/**
 * Stops the cluster recorded in runDir (whoever started it) and removes the directory.
 * Returns undefined when there is no record.
 */
export async function stopClusterAt(runDir: string): Promise<StopOutcome | undefined> {
  const dir = resolve(runDir);
  const state = await readState(dir);
  if (state === undefined) {
    await removeRunDir(dir);
    return undefined;
  }
  const outcome = await stopProcesses([...state.processes].reverse());
  await removeRunDir(dir);
  return outcome;
}

/** Reads the record in runDir and says whether its processes still run. */
export async function clusterStatus(
  runDir: string,
): Promise<{ state: ClusterState; live: ProcessRecord[]; ready: boolean } | undefined> {
  const state = await readState(resolve(runDir));
  if (state === undefined) return undefined;
  const live = liveProcesses(state);
  let ready = false;
  if (live.length === state.processes.length) {
    const pkiDir = join(state.runDir, 'pki');
    const tls: TlsFiles = {
      ca: await readFile(join(pkiDir, 'ca.crt')),
      cert: await readFile(join(pkiDir, 'admin.crt')),
      key: await readFile(join(pkiDir, 'admin.key')),
    };
    ready = await probe(`${state.server}/readyz`, tls);
  }
  return { state, live, ready };
}

/**
 * Stops and removes run directories under parent whose owner process is gone (an e2e run that was
 * SIGKILLed). Only directories named <prefix><owner pid> are looked at.
 */
export async function reapStaleRuns(
  parent: string,
  prefix: string,
  log: (line: string) => void,
): Promise<void> {
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return;
  }
  for (const name of names.filter((n) => n.startsWith(prefix))) {
    const dir = join(parent, name);
    // The wrapper names its run <prefix><pid>, so a run still starting (no record yet) is recognised.
    const state = await readState(dir);
    const owner = state?.ownerPid ?? Number(name.slice(prefix.length));
    if (Number.isInteger(owner) && owner > 0 && isOwnerAlive(owner)) continue;
    log(`cleaning up stale run ${dir}`);
    await stopClusterAt(dir);
  }
}

function isOwnerAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
