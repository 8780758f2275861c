/**
 * npm run cluster:up [-- --with-controllers | --with-velero] | cluster:down | cluster:status
 * One long-lived local cluster per checkout, recorded in .cluster/local (KUBEHOOKS_CLUSTER_DIR
 * overrides). Results (the kubeconfig path) go to stdout, progress to stderr.
 * --with-controllers adds kube-controller-manager and kube-scheduler; --with-velero adds them and a
 * Velero server with its object store (see docs/local-cluster.md).
 * Exit codes: 0 ok; 1 status: not running; 2 failure; 3 Go missing or too old.
 */
import { constants } from 'node:os';
import { resolve } from 'node:path';
import { ClusterError } from './errors.ts';
import { clusterStatus, startCluster, stopClusterAt } from './cluster.ts';
import { startVelero } from './velero.ts';

const REPO = resolve(import.meta.dirname, '..', '..');
const RUN_DIR = process.env['KUBEHOOKS_CLUSTER_DIR'] ?? resolve(REPO, '.cluster', 'local');

const say = (line: string): void => {
  process.stderr.write(`[cluster] ${line}\n`);
};

async function up(flags: readonly string[]): Promise<number> {
  const unknown = flags.filter((f) => f !== '--with-velero' && f !== '--with-controllers');
  if (unknown.length > 0) {
    say(`unknown option ${unknown.join(' ')}; valid: --with-controllers, --with-velero`);
    return 2;
  }
  const withVelero = flags.includes('--with-velero');
  const controllers = withVelero || flags.includes('--with-controllers');
  const existing = await clusterStatus(RUN_DIR);
  if (existing !== undefined && existing.live.length === existing.state.processes.length && existing.ready) {
    const names = new Set(existing.state.processes.map((p) => p.name));
    const missing = [
      ...(controllers && !names.has('kube-controller-manager') ? ['controllers'] : []),
      ...(withVelero && !names.has('velero-server') ? ['Velero'] : []),
    ];
    if (missing.length > 0) {
      say(`a cluster without ${missing.join(' and ')} is running; run npm run cluster:down first`);
      return 2;
    }
    say(`already running (pids ${existing.live.map((p) => p.pid).join(', ')})`);
    process.stdout.write(`${existing.state.kubeconfigPath}\n`);
    return 0;
  }
  if (existing !== undefined && existing.live.length > 0) {
    say('a previous cluster is only partly running; stopping what is left of it');
    await stopClusterAt(RUN_DIR);
  }
  const controller = new AbortController();
  // Listening until `up` is done, not once: a build runs owned (src/testing/owned-process.ts), which
  // stops it on the signal too and then re-raises the signal only when nobody else listens; that must
  // not end us while the abort is still stopping what was started. A second signal ends us at once.
  const onSignal = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(128 + constants.signals[sig]);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const cluster = await startCluster({ runDir: RUN_DIR, signal: controller.signal, log: say, controllers });
    say(
      `pids: ${Object.entries(cluster.pids)
        .map(([name, pid]) => `${name} ${pid}`)
        .join(', ')}`,
    );
    if (withVelero) {
      try {
        const velero = await startVelero(cluster, { signal: controller.signal, log: say });
        say(
          `velero: server pid ${velero.pids.veleroServer}, object store pid ${velero.pids.objectStore} on ${velero.s3Url}; ` +
            `CLI: ${velero.binaries.velero} --kubeconfig ${cluster.kubeconfigPath} -n ${velero.namespace} backup get`,
        );
      } catch (err) {
        say('Velero did not start; stopping the cluster');
        await stopClusterAt(RUN_DIR);
        throw err;
      }
    }
    say(`use it: export KUBECONFIG=${cluster.kubeconfigPath}   (stop it: npm run cluster:down)`);
    process.stdout.write(`${cluster.kubeconfigPath}\n`);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function down(): Promise<number> {
  const outcome = await stopClusterAt(RUN_DIR);
  if (outcome === undefined) {
    say(`no cluster recorded in ${RUN_DIR}`);
    return 0;
  }
  for (const o of outcome) say(`${o.name} (pid ${o.pid}): ${o.outcome}`);
  const survived = outcome.filter((o) => o.outcome === 'survived');
  if (survived.length > 0) {
    say(`could not stop ${survived.map((o) => `${o.name} ${o.pid}`).join(', ')}`);
    return 2;
  }
  say(`stopped; removed ${RUN_DIR}`);
  return 0;
}

async function status(json: boolean): Promise<number> {
  const s = await clusterStatus(RUN_DIR);
  if (s === undefined) {
    say(`not running (no record in ${RUN_DIR}); start one with npm run cluster:up`);
    return 1;
  }
  const running = s.live.length === s.state.processes.length;
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...s.state, running, ready: s.ready }, null, 2)}\n`);
  }
  for (const p of s.state.processes) {
    const alive = s.live.some((l) => l.pid === p.pid);
    say(
      `${p.name.padEnd(15)} pid ${String(p.pid).padEnd(8)} ${alive ? 'running' : 'gone'}   log ${p.logPath}`,
    );
  }
  say(`server ${s.state.server}  api ${s.ready ? 'ready' : 'not ready'}  node ${s.state.nodeName}`);
  say(
    `versions ${Object.entries(s.state.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  if (!running) {
    say('stale: some processes are gone; run npm run cluster:down, then cluster:up');
    return 1;
  }
  if (!json) process.stdout.write(`${s.state.kubeconfigPath}\n`);
  return s.ready ? 0 : 1;
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up':
      return up(rest);
    case 'down':
      return down();
    case 'status':
      return status(rest.includes('--json'));
    default:
      process.stderr.write(
        'usage: node scripts/cluster/cli.ts up [--with-controllers|--with-velero] | down | status [--json]\n',
      );
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ClusterError) {
      say(`${err.code}: ${err.message}`);
      process.exitCode = err.code === 'go-unavailable' ? 3 : 2;
    } else {
      say(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exitCode = 2;
    }
  },
);
