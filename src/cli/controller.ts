import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { HookRunController } from '../controller/controller.ts';
import { HookRunRunner } from '../controller/hookrun-run.ts';
import { ControllerEndpoints, parseListenAddress } from '../controller/http-endpoints.ts';
import { LeaderElector, leaderElectionConfigError } from '../controller/leader.ts';
import { DEFAULT_CONTROLLER_NAME } from '../controller/manifests.ts';
import { ControllerMetrics } from '../controller/metrics.ts';
import { controllerReadiness } from '../controller/readiness.ts';
import { parseGoDuration, nsToMs } from '../duration/go-duration.ts';
import { KubeLeaseClient } from '../kube/leases.ts';
import { createKubePorts } from '../kube/index.ts';
import { KubeClient } from '../kube/client.ts';
import { SERVICE_ACCOUNT_DIR } from '../kube/kubeconfig.ts';
import { KubeHookRunClient } from '../kube/hookruns.ts';
import { KubeRestoreClient } from '../kube/restores.ts';
import { RESTORE_OPT_IN_ANNOTATION, watchRestores } from '../controller/restore-hookruns.ts';
import { createSystemClock } from '../run/clock.ts';
import { terminalSafe } from '../report/terminal-text.ts';
import type { CliCommand } from './command.ts';
import { EXIT_OK, EXIT_USAGE, UsageError, describeError } from './context.ts';
import { collect } from './options.ts';
import { processSignals } from './signals.ts';

interface RawControllerOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string[];
  systemNamespace?: string;
  maxConcurrentRuns: string;
  events?: boolean;
  leaderElect?: boolean;
  leaderElectionNamespace?: string;
  leaderElectionId: string;
  leaderElectLeaseDuration: string;
  leaderElectRenewDeadline: string;
  leaderElectRetryPeriod: string;
  metricsAddr?: string;
  watchRestores?: boolean;
  restoreNamespace?: string[];
  settle?: string;
}

/** A flag's Go duration (`15s`, `1m30s`) in ms; a usage error naming the flag otherwise. */
function durationFlag(flag: string, text: string): number {
  const parsed = parseGoDuration(text);
  if (!parsed.ok || parsed.ns <= 0n) throw new UsageError(`${flag} must be a positive duration such as 15s or 1m (got "${text}")`);
  return nsToMs(parsed.ns);
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The namespace the controller runs in: POD_NAMESPACE, else the mounted service account's. */
export function defaultSystemNamespace(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const fromEnv = env['POD_NAMESPACE'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  try {
    const ns = readFileSync(join(env['KUBEHOOKS_SERVICE_ACCOUNT_DIR'] ?? SERVICE_ACCOUNT_DIR, 'namespace'), 'utf8').trim();
    return ns === '' ? undefined : ns;
  } catch {
    return undefined;
  }
}

/** `kubehooks controller`: runs HookRuns in the cluster until SIGTERM/SIGINT. */
export const controllerCommand: CliCommand = {
  name: 'controller',
  register(program, ctx) {
    program
      .command('controller')
      .description('run HookRuns (hookruns.kubehooks.dev) in the cluster: each once, with the runners of `kubehooks run`, the status as its journal')
      .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then the in-cluster service account)')
      .option('--context <name>', 'kubeconfig context to use')
      .option('-n, --namespace <ns>', 'watch HookRuns only in this namespace (repeatable; default: all namespaces)', collect)
      .option('--system-namespace <ns>', 'HookRuns in this namespace may name any namespace; others act only in their own (default: $POD_NAMESPACE, else the service account\'s namespace)')
      .option('--max-concurrent-runs <n>', 'HookRuns run at the same time', '4')
      .option('--no-events', 'do not record Kubernetes Events on pods and HookRuns')
      .option('--leader-elect', 'run several replicas, one active: hold a coordination.k8s.io/v1 Lease; only the holder runs HookRuns')
      .option('--leader-election-namespace <ns>', 'namespace of the Lease (default: the system namespace)')
      .option('--leader-election-id <name>', 'name of the Lease', DEFAULT_CONTROLLER_NAME)
      .option('--leader-elect-lease-duration <d>', 'how long a standby waits after the leader\'s last renewal before it takes over', '15s')
      .option('--leader-elect-renew-deadline <d>', 'how long the leader retries a renewal before it stops running hooks', '10s')
      .option('--leader-elect-retry-period <d>', 'how often candidates try to take the Lease and the leader renews it', '2s')
      .option('--metrics-addr <host:port>', 'serve /metrics (Prometheus), /healthz and /readyz here, e.g. 127.0.0.1:8080 or :8080 (every interface); default: off')
      .option('--watch-restores', `create a HookRun (restoreRef) in the system namespace for every Velero Restore annotated ${RESTORE_OPT_IN_ANNOTATION}="true" (off by default: annotation hooks run commands)`)
      .option('--settle <duration>', 'restoreRef: plan once no new pod has appeared in the Restore\'s namespaces for this long (Go duration, default 30s)')
      .option('--restore-namespace <ns>', 'with --watch-restores: look at Restores only in this namespace (repeatable; default: all namespaces)', collect)
      .action(async (raw: RawControllerOptions) => {
        const namespaces = [...new Set((raw.namespace ?? []).map((n) => n.trim()))];
        const bad = namespaces.find((n) => !DNS_LABEL.test(n) || n.length > 63);
        if (bad !== undefined) throw new UsageError(`-n/--namespace: "${bad}" is not a valid namespace name`);
        if (!/^\d+$/.test(raw.maxConcurrentRuns) || Number(raw.maxConcurrentRuns) < 1 || Number(raw.maxConcurrentRuns) > 64) {
          throw new UsageError(`--max-concurrent-runs must be a whole number from 1 to 64 (got "${raw.maxConcurrentRuns}")`);
        }
        const systemNamespace = raw.systemNamespace ?? defaultSystemNamespace(process.env);
        if (systemNamespace !== undefined && !DNS_LABEL.test(systemNamespace)) throw new UsageError(`--system-namespace "${systemNamespace}" is not a valid namespace name`);
        const leaderElect = raw.leaderElect === true;
        const timing = {
          leaseDurationMs: durationFlag('--leader-elect-lease-duration', raw.leaderElectLeaseDuration),
          renewDeadlineMs: durationFlag('--leader-elect-renew-deadline', raw.leaderElectRenewDeadline),
          retryPeriodMs: durationFlag('--leader-elect-retry-period', raw.leaderElectRetryPeriod),
        };
        const badTiming = leaderElectionConfigError(timing);
        if (badTiming !== undefined) throw new UsageError(badTiming);
        const leaseNamespace = raw.leaderElectionNamespace ?? systemNamespace;
        if (leaderElect && leaseNamespace === undefined) throw new UsageError('--leader-elect needs --leader-election-namespace (no system namespace: $POD_NAMESPACE is unset and there is no service account namespace file)');
        if (leaseNamespace !== undefined && !DNS_LABEL.test(leaseNamespace)) throw new UsageError(`--leader-election-namespace "${leaseNamespace}" is not a valid namespace name`);
        if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(raw.leaderElectionId)) throw new UsageError(`--leader-election-id "${raw.leaderElectionId}" is not a valid object name (lower-case letters, digits, '-' and '.')`);
        let listen: { host: string; port: number } | undefined;
        try {
          listen = raw.metricsAddr === undefined ? undefined : parseListenAddress(raw.metricsAddr, '--metrics-addr');
        } catch (error) {
          throw new UsageError(error instanceof Error ? error.message : String(error));
        }
        const restoreNamespaces = [...new Set((raw.restoreNamespace ?? []).map((n) => n.trim()))];
        const badRestoreNs = restoreNamespaces.find((n) => !DNS_LABEL.test(n) || n.length > 63);
        if (badRestoreNs !== undefined) throw new UsageError(`--restore-namespace: "${badRestoreNs}" is not a valid namespace name`);
        if (restoreNamespaces.length > 0 && raw.watchRestores !== true) throw new UsageError('--restore-namespace applies only with --watch-restores');
        if (raw.watchRestores === true && systemNamespace === undefined) throw new UsageError('--watch-restores creates HookRuns in the system namespace: set --system-namespace (or POD_NAMESPACE)');
        let settleMs: number | undefined;
        if (raw.settle !== undefined) {
          const parsed = parseGoDuration(raw.settle);
          if (!parsed.ok || parsed.ns < 0n) throw new UsageError(`--settle: ${parsed.ok ? 'must not be negative' : parsed.error} (a Go duration such as 10s or 1m)`);
          settleMs = nsToMs(parsed.ns);
        }
        const log = (message: string): void => {
          ctx.deps.io.stderr.write(`${new Date().toISOString()} kubehooks controller: ${terminalSafe(message)}\n`);
        };
        const ctl = new AbortController();
        const offSignals = processSignals((sig) => {
          log(`${sig} received: stopping (hooks in flight are recorded interrupted by the next controller; hooks not started stay pending)`);
          ctl.abort();
        });
        const onOuter = (): void => {
          ctl.abort();
        };
        ctx.deps.signal.addEventListener('abort', onOuter, { once: true });
        let ports: ReturnType<typeof createKubePorts> | undefined;
        let client: KubeClient | undefined;
        let endpoints: ControllerEndpoints | undefined;
        try {
          const connect = { kubeconfigPath: raw.kubeconfig, context: raw.context };
          const clock = createSystemClock();
          ports = createKubePorts({ ...connect, clock });
          const kube = KubeClient.load(connect);
          client = kube;
          const api = new KubeHookRunClient(client);
          const identity = `${process.env['POD_NAME'] ?? hostname()}_${randomBytes(4).toString('hex')}`;
          const metrics = new ControllerMetrics();
          const elector = leaderElect && leaseNamespace !== undefined
            ? new LeaderElector({
                store: new KubeLeaseClient(client, { timeoutMs: timing.renewDeadlineMs }),
                clock,
                config: { namespace: leaseNamespace, name: raw.leaderElectionId, identity, ...timing },
                log,
                onEvent: (event) => {
                  if (event.type === 'new-leader') log(`leader election: ${event.identity} leads; this replica (${identity}) stands by`);
                  if (event.type === 'stopped-leading') {
                    metrics.setLeader(false);
                    log(`leader election: stopped leading (${event.why}); runs in flight are stopped, their hooks left to the next leader`);
                  }
                },
              })
            : undefined;
          const runner = new HookRunRunner({
            api,
            executor: ports.executor,
            watcher: ports.watcher,
            lister: ports.lister,
            events: raw.events === false ? undefined : ports.events,
            restores: ports.restores,
            settleMs,
            clock,
            systemNamespace,
            log,
            holder: identity,
            onResult: (result, hookRun, runStartedAt) => {
              metrics.hookEnded(result, hookRun.spec.phase, runStartedAt);
            },
            fence: elector === undefined ? undefined : () => (elector.mayAct() ? undefined : 'this replica no longer holds the leader Lease'),
          });
          let current: HookRunController | undefined;
          const stopping = { value: false };
          if (listen !== undefined) {
            endpoints = await ControllerEndpoints.start({
              ...listen,
              metrics: () => metrics.text(),
              metricsContentType: metrics.contentType,
              healthz: () => (stopping.value ? 'stopping' : undefined),
              readyz: () => controllerReadiness({ elector, controller: current, stopping: stopping.value }),
            });
            log(`serving /metrics, /healthz and /readyz on ${endpoints.url}`);
          }
          const lead = async (signal: AbortSignal): Promise<void> => {
            const controller = new HookRunController(api, runner, {
              namespaces,
              maxConcurrentRuns: Number(raw.maxConcurrentRuns),
              clock,
              log,
              onEvent: (event) => {
                metrics.observeHookRun(event.type, event.hookRun);
              },
            });
            current = controller;
            metrics.setLeader(true);
            // --watch-restores runs on the leader only, for as long as it leads (its creates are idempotent: 409 AlreadyExists).
            const watchStop = new AbortController();
            const restoreWatch =
              raw.watchRestores === true && systemNamespace !== undefined
                ? watchRestores({ api: new KubeRestoreClient(kube), namespaces: restoreNamespaces, systemNamespace, clock, log }, AbortSignal.any([signal, watchStop.signal]))
                : Promise.resolve();
            try {
              await controller.run(signal);
            } finally {
              watchStop.abort();
              await restoreWatch;
              metrics.setLeader(false);
              current = undefined;
            }
          };
          log(`watching HookRuns ${namespaces.length === 0 ? 'in all namespaces' : `in ${namespaces.join(', ')}`} on ${ports.server}; system namespace: ${systemNamespace ?? '(none: every HookRun acts in its own namespace)'}${elector === undefined ? '' : `; leader election on Lease ${leaseNamespace ?? ''}/${raw.leaderElectionId} as ${identity}`}`);
          if (raw.watchRestores === true) log(`--watch-restores: Restores annotated ${RESTORE_OPT_IN_ANNOTATION}="true" ${restoreNamespaces.length === 0 ? 'in all namespaces' : `in ${restoreNamespaces.join(', ')}`} get a HookRun in ${systemNamespace ?? ''}`);
          if (elector === undefined) await lead(ctl.signal);
          else await elector.run(ctl.signal, lead);
          stopping.value = true;
          log('stopped');
          ctx.setExitCode(EXIT_OK);
        } catch (error) {
          if (error instanceof UsageError) throw error;
          log(describeError(error));
          ctx.setExitCode(EXIT_USAGE);
        } finally {
          offSignals();
          ctx.deps.signal.removeEventListener('abort', onOuter);
          await endpoints?.close();
          ports?.close();
          client?.close();
        }
      });
  },
};
