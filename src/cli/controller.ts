/**
 * `kubehooks controller`: the in-cluster controller from its settings (controller-settings.ts):
 * the ports, the HookRun runner, leader election, the endpoints and --watch-restores, until a signal.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { HookRunController, observeStatusWrites } from '../controller/controller.ts';
import { HookRunRunner } from '../controller/hookrun-run.ts';
import { ControllerEndpoints } from '../controller/http-endpoints.ts';
import { LeaderElector } from '../controller/leader.ts';
import { ControllerMetrics } from '../controller/metrics.ts';
import { controllerReadiness } from '../controller/readiness.ts';
import { KubeLeaseClient } from '../kube/leases.ts';
import { createKubePorts } from '../kube/index.ts';
import { KubeClient } from '../kube/client.ts';
import { KubeHookRunJournalClient } from '../kube/hookrunjournals.ts';
import { KubeHookRunClient } from '../kube/hookruns.ts';
import { KubeRestoreClient } from '../kube/restores.ts';
import { RESTORE_OPT_IN_ANNOTATION, watchRestores } from '../controller/restore-hookruns.ts';
import { createSystemClock } from '../run/clock.ts';
import { terminalSafe } from '../report/terminal-text.ts';
import type { CliCommand } from './command.ts';
import { EXIT_OK, EXIT_USAGE, UsageError, describeError } from './context.ts';
import { declareControllerFlags, parseControllerSettings, type RawControllerOptions } from './controller-settings.ts';
import { processSignals } from './signals.ts';

/** `kubehooks controller`: runs HookRuns in the cluster until SIGTERM/SIGINT. */
export const controllerCommand: CliCommand = {
  name: 'controller',
  register(program, ctx) {
    declareControllerFlags(
      program
        .command('controller')
        .description('run HookRuns (hookruns.kubehooks.dev) in the cluster: each once, with the runners of `kubehooks run`, the status as its journal'),
    )
      .action(async (raw: RawControllerOptions) => {
        const settings = parseControllerSettings(raw, process.env);
        const { namespaces, systemNamespace, timing, leaderElection, watchRestores: restoreWatching } = settings;
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
          const connect = settings.connect;
          const clock = createSystemClock();
          ports = createKubePorts({ ...connect, clock });
          const kube = KubeClient.load(connect);
          client = kube;
          const api = new KubeHookRunClient(client);
          const identity = `${process.env['POD_NAME'] ?? hostname()}_${randomBytes(4).toString('hex')}`;
          const metrics = new ControllerMetrics();
          const elector = leaderElection !== undefined
            ? new LeaderElector({
                store: new KubeLeaseClient(client, { timeoutMs: timing.renewDeadlineMs }),
                clock,
                config: { ...leaderElection, identity, ...timing },
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
            api: observeStatusWrites(api, (stored) => {
              metrics.observeStatusWrite(stored);
            }),
            executor: ports.executor,
            watcher: ports.watcher,
            lister: ports.lister,
            events: settings.events ? ports.events : undefined,
            eventGrouping: settings.eventGrouping,
            restores: ports.restores,
            settleMs: settings.settleMs,
            journals: new KubeHookRunJournalClient(client),
            startLookahead: settings.startLookahead ?? 'concurrency',
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
          if (settings.metricsListen !== undefined) {
            endpoints = await ControllerEndpoints.start({
              ...settings.metricsListen,
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
              maxConcurrentRuns: settings.maxConcurrentRuns,
              clock,
              log,
              onEvent: (event) => {
                if (event.type === 'deleted') metrics.observeHookRun('deleted', { metadata: event.meta });
                else metrics.observeHookRun('upsert', event.hookRun);
              },
            });
            current = controller;
            metrics.setLeader(true);
            // --watch-restores runs on the leader only, for as long as it leads (its creates are idempotent: 409 AlreadyExists).
            const watchStop = new AbortController();
            const restoreWatch =
              restoreWatching !== undefined
                ? watchRestores({ api: new KubeRestoreClient(kube), ...restoreWatching, clock, log }, AbortSignal.any([signal, watchStop.signal]))
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
          log(`watching HookRuns ${namespaces.length === 0 ? 'in all namespaces' : `in ${namespaces.join(', ')}`} on ${ports.server}; system namespace: ${systemNamespace ?? '(none: every HookRun acts in its own namespace)'}${elector === undefined ? '' : `; leader election on Lease ${leaderElection?.namespace ?? ''}/${leaderElection?.name ?? ''} as ${identity}`}`);
          if (restoreWatching !== undefined) log(`--watch-restores: Restores annotated ${RESTORE_OPT_IN_ANNOTATION}="true" ${restoreWatching.namespaces.length === 0 ? 'in all namespaces' : `in ${restoreWatching.namespaces.join(', ')}`} get a HookRun in ${restoreWatching.systemNamespace}`);
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
