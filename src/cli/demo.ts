/**
 * `kubehooks demo`: the main job end to end on the built-in local control plane. Starts etcd +
 * kube-apiserver + KWOK, creates a small app whose pods carry Velero hook annotations, runs the
 * pre- and post-backup hooks, "restores" the pods into a new namespace with init hooks injected,
 * runs the post-restore hooks, prints every report and tears everything down (also on Ctrl-C).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { terminalSafe } from '../report/terminal-text.ts';
import { KubeClient, createKubePorts } from '../kube/index.ts';
import type { KubePorts } from '../kube/index.ts';
import { injectInitHooks } from '../inject/inject.ts';
import type { PodManifest } from '../model/pod.ts';
import type { RunReport } from '../model/result.ts';
import type { RestoreHooks } from '../velero/spec.ts';
import { renderRunText } from '../report/run-text.ts';
import { runBackupHooks } from '../run/backup-runner.ts';
import { createSystemClock } from '../run/clock.ts';
import { runPostRestoreHooks } from '../run/post-restore-runner.ts';
import { EXIT_OK, EXIT_USAGE } from './context.ts';
import type { CliDeps } from './context.ts';
import type { DemoCluster, DemoPlatform } from './demo-platform.ts';
import { loadBackupFile, loadRestoreFile } from './hook-file.ts';
import { planBackupFromFile, planRestoreFromFile, podsFromPaths } from './plan.ts';
import { EXIT_INTERRUPTED, processSignals } from './signals.ts';

const DEMO_DIR = resolve(import.meta.dirname, '..', '..', 'demo');
const APP_NAMESPACE = 'kubehooks-demo';
const RESTORE_NAMESPACE = 'kubehooks-demo-restored';

export interface DemoOptions {
  /** Where demo/app.yaml, backup.yaml and restore.yaml are (default: the repository's demo/). */
  readonly demoDir?: string;
  /** The local control plane (scripts/cluster's, from the checkout's entry point). */
  readonly platform: DemoPlatform;
}

class Out {
  readonly #deps: CliDeps;
  constructor(deps: CliDeps) {
    this.#deps = deps;
  }
  line(text = ''): void {
    this.#deps.io.stdout.write(`${text}\n`);
  }
  step(n: number, text: string): void {
    this.line();
    this.line(`[${n}/6] ${text}`);
  }
  report(report: RunReport): void {
    for (const l of renderRunText(report).trimEnd().split('\n')) this.line(l === '' ? '' : `  ${l}`);
    const said = report.results.filter((r) => r.status === 'succeeded' && r.stdout.trim() !== '');
    if (said.length > 0) {
      this.line('  hook output:');
      for (const r of said) this.line(`    ${r.pod}/${r.container} ${r.name}#${r.index}: ${r.stdout.trim().split('\n').join(' | ')}`);
    }
  }
}

async function api(client: KubeClient, method: string, path: string, body: unknown, signal: AbortSignal, what: string): Promise<unknown> {
  return client.request(method, path, { body, signal, what });
}

async function createNamespace(client: KubeClient, name: string, signal: AbortSignal): Promise<void> {
  await api(client, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, signal, `create namespace ${name}`);
}

async function createPod(client: KubeClient, pod: PodManifest, signal: AbortSignal): Promise<void> {
  const ns = pod.metadata.namespace ?? 'default';
  await api(client, 'POST', `/api/v1/namespaces/${ns}/pods`, pod, signal, `create pod ${ns}/${pod.metadata.name}`);
}

/** Polls until every named pod has all containers running (the app must be up before its backup). */
async function waitRunning(ports: KubePorts, namespace: string, names: readonly string[], signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const pods = await ports.lister.list({ namespaces: [namespace] }, signal);
    const up = names.every((n) => {
      const pod = pods.find((p) => p.metadata.name === n);
      const statuses = pod?.status?.containerStatuses ?? [];
      return pod !== undefined && statuses.length === pod.spec.containers.length && statuses.every((s) => s.state?.running !== undefined);
    });
    if (up) return;
    if (Date.now() > deadline) throw new Error(`pods ${names.join(', ')} in ${namespace} did not start within 60s`);
    await ports.clock.sleep(250, signal);
  }
}

/** The app's pods as they would be in a backup: bound to the simulated node, in the app namespace. */
function appPods(manifests: readonly PodManifest[], cluster: DemoCluster): PodManifest[] {
  return manifests.map((p) => ({
    ...p,
    metadata: { ...p.metadata, namespace: APP_NAMESPACE },
    spec: { ...p.spec, nodeName: cluster.nodeName },
  }));
}

interface HookEvent {
  readonly reason: string;
  readonly pod: string;
  readonly message: string;
  readonly time: string;
}

/** kubehooks' Events (reason Hook*) from an EventList, oldest first. */
function hookEvents(list: unknown): HookEvent[] {
  const items = typeof list === 'object' && list !== null && Array.isArray((list as { items?: unknown }).items) ? (list as { items: unknown[] }).items : [];
  const out: HookEvent[] = [];
  for (const e of items) {
    if (typeof e !== 'object' || e === null) continue;
    const { reason, message, involvedObject, eventTime, firstTimestamp, metadata } = e as Record<string, unknown>;
    if (typeof reason !== 'string' || !reason.startsWith('Hook')) continue;
    const pod = typeof involvedObject === 'object' && involvedObject !== null ? (involvedObject as { name?: unknown }).name : undefined;
    const created = typeof metadata === 'object' && metadata !== null ? (metadata as { creationTimestamp?: unknown }).creationTimestamp : undefined;
    const time = [eventTime, firstTimestamp, created].find((t): t is string => typeof t === 'string') ?? '';
    out.push({ reason, pod: typeof pod === 'string' ? pod : '', message: typeof message === 'string' ? message : '', time });
  }
  return out.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

/** What Velero does to a backed-up pod before creating it: init hooks injected, namespace mapped. */
function restoredPod(pod: PodManifest, restore: RestoreHooks, deps: CliDeps, target: string): PodManifest {
  const result = injectInitHooks(pod, restore, {
    generateName: deps.generateInitName ?? (() => 'velero-restore-init-00000000'),
    sourceNamespace: APP_NAMESPACE,
  });
  if (result.error !== undefined) throw new Error(`cannot restore ${pod.metadata.name}: ${result.error}`);
  const { uid: _uid, resourceVersion: _rv, ...metadata } = result.pod.metadata;
  return { ...result.pod, metadata: { ...metadata, name: pod.metadata.name, namespace: target } };
}

export async function runDemo(deps: CliDeps, options: DemoOptions): Promise<number> {
  const { platform } = options;
  const out = new Out(deps);
  const dir = options.demoDir ?? DEMO_DIR;
  const file = (name: string): string => join(dir, name);
  const ctl = new AbortController();
  let interrupted = false;
  // Read through a call: the signal handler flips it, which narrowing cannot see.
  const wasInterrupted = (): boolean => interrupted;
  const offSignals = processSignals((sig) => {
    interrupted = true;
    deps.io.stderr.write(`\nkubehooks demo: ${sig} received: stopping and tearing down\n`);
    ctl.abort();
  });
  const onOuterAbort = (): void => {
    ctl.abort();
  };
  deps.signal.addEventListener('abort', onOuterAbort, { once: true });
  const signal = ctl.signal;
  let cluster: DemoCluster | undefined;
  let ports: KubePorts | undefined;
  let client: KubeClient | undefined;
  try {
    out.line('kubehooks demo: Velero-compatible application-consistency hooks on a local control plane');
    out.step(1, 'Starting the local control plane (etcd + kube-apiserver + KWOK on 127.0.0.1)');
    out.line('      The first run builds the binaries with Go: 5-15 minutes on 2 cores, numbered steps on stderr.');
    try {
      cluster = await platform.startCluster({ signal, log: (l) => {
        deps.io.stderr.write(`[cluster] ${l}\n`);
      } });
    } catch (error) {
      if (platform.isGoUnavailable(error)) {
        deps.io.stderr.write(
          `error: ${error instanceof Error ? error.message : String(error)}\n` +
            'The demo builds its local control plane with Go 1.26 (from the Go module proxy). Without Go, try the\n' +
            'same steps on any cluster you can use:\n' +
            `  kubectl create namespace ${APP_NAMESPACE} && kubectl apply -n ${APP_NAMESPACE} -f demo/app.yaml\n` +
            `  kubehooks run pre-backup --backup demo/backup.yaml -n ${APP_NAMESPACE}\n` +
            `  kubehooks run post-backup --backup demo/backup.yaml -n ${APP_NAMESPACE}\n`,
        );
        return EXIT_USAGE;
      }
      throw error;
    }
    out.line(`      Up in ${(cluster.startMs / 1000).toFixed(1)}s at ${cluster.server}; KWOK runs hook commands as local processes`);
    out.line(`      in ${join(cluster.runDir, 'exec')} (printed at the end: teardown deletes it)`);
    ports = createKubePorts({ kubeconfigPath: cluster.kubeconfigPath });
    client = KubeClient.load({ kubeconfigPath: cluster.kubeconfigPath });
    const clock = createSystemClock();

    out.step(2, `Creating namespace ${APP_NAMESPACE} with the sample app (demo/app.yaml)`);
    const manifests = await podsFromPaths([file('app.yaml')], deps);
    const pods = appPods(manifests, cluster);
    await createNamespace(client, APP_NAMESPACE, signal);
    for (const pod of pods) {
      await createPod(client, pod, signal);
      out.line(`      pod ${APP_NAMESPACE}/${pod.metadata.name}: containers ${pod.spec.containers.map((c) => c.name).join(', ')}`);
    }
    await waitRunning(ports, APP_NAMESPACE, pods.map((p) => p.metadata.name), signal);
    out.line('      all containers running');

    const scope = { namespaces: [APP_NAMESPACE] };
    const common = { executor: ports.executor, clock, signal, events: ports.events };
    const backup = await loadBackupFile(file('backup.yaml'), deps);
    const backupEvents = { ...common, eventSubject: { kind: 'Backup', namespace: backup.namespace, name: backup.name } as const };
    for (const [n, phase] of [[3, 'pre'], [4, 'post']] as const) {
      out.step(n, `${phase === 'pre' ? 'Pre' : 'Post'}-backup hooks of Backup "nightly" (demo/backup.yaml): annotations on postgres-0, spec hooks for web-0`);
      out.line(`      = kubehooks run ${phase}-backup --backup demo/backup.yaml -n ${APP_NAMESPACE}`);
      const live = await ports.lister.list(scope, signal);
      const plan = await planBackupFromFile(file('backup.yaml'), live, phase, deps);
      out.report(await runBackupHooks({ ...backupEvents, plan, pods: live }));
      if (signal.aborted) return EXIT_INTERRUPTED;
    }

    out.step(5, `Restore "nightly-restore" (demo/restore.yaml) into ${RESTORE_NAMESPACE}: init hooks injected, pods created`);
    const restore = await loadRestoreFile(file('restore.yaml'), deps);
    await createNamespace(client, RESTORE_NAMESPACE, signal);
    for (const pod of pods) {
      const restored = restoredPod(pod, restore, deps, RESTORE_NAMESPACE);
      // The simulated node brings the restored pods up slowly, as a real restore would.
      const sim = pod.metadata.name === 'postgres-0' ? { [platform.sim.startDelay]: '500ms', [platform.sim.readyDelay]: '2s' } : { [platform.sim.startDelay]: '1s' };
      const created: PodManifest = {
        ...restored,
        metadata: { ...restored.metadata, annotations: { ...restored.metadata.annotations, ...sim } },
      };
      await createPod(client, created, signal);
      const inits = (created.spec.initContainers ?? []).map((c) => c.name);
      out.line(`      pod ${RESTORE_NAMESPACE}/${created.metadata.name}: init containers [${inits.join(', ')}]`);
    }
    out.line('      KWOK never runs containers: it reports the injected init containers as completed without running them.');
    out.line('      On a real node they run before the app containers start.');

    out.step(6, 'Post-restore hooks: postgres waits for Ready; the web warm-up fails on purpose (onError Continue)');
    out.line(`      = kubehooks run post-restore --restore demo/restore.yaml -n ${RESTORE_NAMESPACE}`);
    const restoreScope = { namespaces: [RESTORE_NAMESPACE] };
    const restoredPods = await ports.lister.list(restoreScope, signal);
    const restorePlan = await planRestoreFromFile(file('restore.yaml'), restoredPods, deps);
    const t0 = Date.now();
    const eventSubject = { kind: 'Restore', namespace: restore.namespace, name: restore.name } as const;
    const report = await runPostRestoreHooks({ ...common, eventSubject, plan: restorePlan, watcher: ports.watcher, scope: restoreScope, deadlineMs: 60_000 });
    out.report(report);
    out.line(`      finished in ${((Date.now() - t0) / 1000).toFixed(1)}s (the hooks waited for their containers)`);
    if (signal.aborted) return EXIT_INTERRUPTED;

    const execDir = join(cluster.runDir, 'exec');
    const files = (await readdir(execDir)).sort();
    out.line();
    out.line(`Files the hooks left in ${execDir}: ${files.length === 0 ? '(none)' : files.join(', ')}`);
    for (const f of files) out.line(`  ${f}: ${(await readFile(join(execDir, f), 'utf8')).trim()}`);
    const events: HookEvent[] = [];
    for (const ns of [APP_NAMESPACE, RESTORE_NAMESPACE]) {
      events.push(...hookEvents(await api(client, 'GET', `/api/v1/namespaces/${ns}/events`, undefined, signal, 'list events')));
    }
    out.line(`Events kubehooks recorded on the pods (kubectl describe pod shows them): ${events.length === 0 ? '(none)' : ''}`);
    for (const e of events) out.line(`  ${e.reason.padEnd(20)} ${terminalSafe(e.pod)}: ${terminalSafe(e.message)}`);
    out.line();
    out.line('Done: every planned hook has an outcome. Try the commands above on your own cluster (docs/rbac.md lists the permissions).');
    return EXIT_OK;
  } catch (error) {
    if (signal.aborted || wasInterrupted()) return EXIT_INTERRUPTED;
    throw error;
  } finally {
    offSignals();
    deps.signal.removeEventListener('abort', onOuterAbort);
    ports?.close();
    client?.close();
    if (cluster !== undefined) {
      out.line();
      out.line('Tearing down the local control plane...');
      await cluster.stop();
      out.line('Stopped.');
    }
  }
}
