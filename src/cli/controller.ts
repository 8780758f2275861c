import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { HookRunController } from '../controller/controller.ts';
import { HookRunRunner } from '../controller/hookrun-run.ts';
import { createKubePorts } from '../kube/index.ts';
import { KubeClient } from '../kube/client.ts';
import { SERVICE_ACCOUNT_DIR } from '../kube/kubeconfig.ts';
import { KubeHookRunClient } from '../kube/hookruns.ts';
import { createSystemClock } from '../run/clock.ts';
import { terminalSafe } from '../report/terminal-text.ts';
import type { CliCommand } from './command.ts';
import { EXIT_OK, EXIT_USAGE, UsageError, describeError } from './context.ts';
import { collect } from './options.ts';
import { processSignals } from './run.ts';

interface RawControllerOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string[];
  systemNamespace?: string;
  maxConcurrentRuns: string;
  events?: boolean;
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
      .action(async (raw: RawControllerOptions) => {
        const namespaces = [...new Set((raw.namespace ?? []).map((n) => n.trim()))];
        const bad = namespaces.find((n) => !DNS_LABEL.test(n) || n.length > 63);
        if (bad !== undefined) throw new UsageError(`-n/--namespace: "${bad}" is not a valid namespace name`);
        if (!/^\d+$/.test(raw.maxConcurrentRuns) || Number(raw.maxConcurrentRuns) < 1 || Number(raw.maxConcurrentRuns) > 64) {
          throw new UsageError(`--max-concurrent-runs must be a whole number from 1 to 64 (got "${raw.maxConcurrentRuns}")`);
        }
        const systemNamespace = raw.systemNamespace ?? defaultSystemNamespace(process.env);
        if (systemNamespace !== undefined && !DNS_LABEL.test(systemNamespace)) throw new UsageError(`--system-namespace "${systemNamespace}" is not a valid namespace name`);
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
        try {
          const connect = { kubeconfigPath: raw.kubeconfig, context: raw.context };
          const clock = createSystemClock();
          ports = createKubePorts({ ...connect, clock });
          client = KubeClient.load(connect);
          const api = new KubeHookRunClient(client);
          const runner = new HookRunRunner({
            api,
            executor: ports.executor,
            watcher: ports.watcher,
            lister: ports.lister,
            events: raw.events === false ? undefined : ports.events,
            clock,
            systemNamespace,
            log,
            holder: `${process.env['POD_NAME'] ?? hostname()}-${randomBytes(4).toString('hex')}`,
          });
          const controller = new HookRunController(api, runner, { namespaces, maxConcurrentRuns: Number(raw.maxConcurrentRuns), clock, log });
          log(`watching HookRuns ${namespaces.length === 0 ? 'in all namespaces' : `in ${namespaces.join(', ')}`} on ${ports.server}; system namespace: ${systemNamespace ?? '(none: every HookRun acts in its own namespace)'}`);
          await controller.run(ctl.signal);
          log('stopped');
          ctx.setExitCode(EXIT_OK);
        } catch (error) {
          if (error instanceof UsageError) throw error;
          log(describeError(error));
          ctx.setExitCode(EXIT_USAGE);
        } finally {
          offSignals();
          ctx.deps.signal.removeEventListener('abort', onOuter);
          ports?.close();
          client?.close();
        }
      });
  },
};
