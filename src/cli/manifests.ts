import { stringify } from 'yaml';
import { controllerManifests, DEFAULT_CONTROLLER_NAME, DEFAULT_CONTROLLER_NAMESPACE } from '../controller/manifests.ts';
import { WEBHOOK_PATH, webhookConfiguration } from '../admission/manifests.ts';
import type { WebhookTarget } from '../admission/manifests.ts';
import type { CliCommand } from './command.ts';
import { EXIT_OK, UsageError } from './context.ts';
import { collect } from './options.ts';

/** `NAMESPACE/NAME[:PORT]` → a Service reference (port 443 by default, path /validate). */
export function parseServiceRef(text: string): Extract<WebhookTarget, { service: unknown }> {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9]*[a-z0-9])?)(?::(\d{1,5}))?$/.exec(text);
  const port = m?.[5] === undefined ? 443 : Number(m[5]);
  if (m === null || port < 1 || port > 65535) {
    throw new UsageError(`--service must be NAMESPACE/NAME or NAMESPACE/NAME:PORT, e.g. velero/kubehooks-webhook:443 (got "${text}")`);
  }
  return { service: { namespace: m[1] ?? '', name: m[3] ?? '', port, path: WEBHOOK_PATH } };
}

function checkUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url "${text}" is not a URL; give the webhook's full address, e.g. https://127.0.0.1:8443/validate`);
  }
  if (url.protocol !== 'https:') throw new UsageError(`--url must use https (the API server calls webhooks over TLS only), got "${text}"`);
  if (url.username !== '' || url.password !== '' || url.hash !== '' || url.search !== '') {
    throw new UsageError(`--url must not carry user info, a query or a fragment (Kubernetes refuses them): "${text}"`);
  }
  return text;
}

/** `kubehooks manifests webhook|controller`: what the in-cluster parts need. */
export const manifestsCommand: CliCommand = {
  name: 'manifests',
  register(program, ctx) {
    const manifests = program.command('manifests').description('print Kubernetes manifests for the in-cluster parts of kubehooks');
    manifests
      .command('webhook')
      .description('print the ValidatingWebhookConfiguration for `kubehooks webhook` (failurePolicy Ignore, sideEffects None, timeout 2s, kube-system left alone)')
      .option('--url <url>', 'the webhook URL, used as given (e.g. https://127.0.0.1:8443/validate)')
      .option('--service <ns/name[:port]>', 'a Service in front of the webhook instead of --url (path /validate)')
      .requiredOption('--ca-bundle-file <file>', 'PEM file of the CA that signed the webhook serving certificate')
      .option('--fail-closed', 'failurePolicy Fail: refuse applies while the webhook is down (default: Ignore)')
      .option('--timeout-seconds <n>', 'how long the API server waits for the webhook, 1 or 2', '2')
      .option('--name <name>', 'name of the ValidatingWebhookConfiguration', 'kubehooks')
      .option('--exclude-namespace <ns>', 'namespace to leave alone besides kube-system (repeatable)', collect)
      .action(
        async (opts: { url?: string; service?: string; caBundleFile: string; failClosed?: boolean; timeoutSeconds: string; name: string; excludeNamespace?: string[] }) => {
          if ((opts.url === undefined) === (opts.service === undefined)) throw new UsageError('give exactly one of --url URL or --service NAMESPACE/NAME[:PORT]');
          const target: WebhookTarget = opts.url !== undefined ? { url: checkUrl(opts.url) } : parseServiceRef(opts.service ?? '');
          if (!/^[12]$/.test(opts.timeoutSeconds)) throw new UsageError(`--timeout-seconds must be 1 or 2 (got "${opts.timeoutSeconds}")`);
          if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(opts.name)) throw new UsageError(`--name "${opts.name}" is not a valid object name`);
          let pem: string;
          try {
            pem = new TextDecoder('utf-8', { fatal: true }).decode(await ctx.deps.io.fs.readCapped(opts.caBundleFile, { maxBytes: 1024 * 1024, signal: ctx.deps.signal }));
          } catch (err) {
            throw new UsageError(`--ca-bundle-file ${opts.caBundleFile}: cannot read it as text (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
          }
          if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
            throw new UsageError(`--ca-bundle-file ${opts.caBundleFile} holds no PEM certificate (expected "-----BEGIN CERTIFICATE-----")`);
          }
          const config = webhookConfiguration({
            target,
            caBundlePem: pem,
            failurePolicy: opts.failClosed === true ? 'Fail' : 'Ignore',
            timeoutSeconds: Number(opts.timeoutSeconds),
            name: opts.name,
            ...(opts.excludeNamespace === undefined ? {} : { excludeNamespaces: opts.excludeNamespace }),
          });
          ctx.deps.io.stdout.write(stringify(config, { lineWidth: 0 }));
          ctx.setExitCode(EXIT_OK);
        },
      );
    manifests
      .command('controller')
      .description('print the HookRun CRD, the controller\'s ServiceAccount, least-privilege RBAC, bindings and Deployment for `kubehooks controller`')
      .requiredOption('--image <image>', 'container image whose entrypoint is the kubehooks CLI, e.g. registry.example/kubehooks:0.1.0')
      .option('-n, --namespace <ns>', 'namespace the controller runs in (its HookRuns there may name any namespace)', DEFAULT_CONTROLLER_NAMESPACE)
      .option('--name <name>', 'name of the ServiceAccount, roles, bindings and Deployment', DEFAULT_CONTROLLER_NAME)
      .option('--watch-namespace <ns>', 'watch only this namespace (repeatable; Role + RoleBinding in each); default: cluster-wide (ClusterRole)', collect)
      .option('--no-leader-elect', 'one replica, strategy Recreate, no Lease (default: leader election on a Lease named like the controller, 2 replicas)')
      .option('--watch-restores', 'also create HookRuns for Velero Restores annotated kubehooks.dev/post-restore-hooks="true" (adds list on restores and create on hookruns)')
      .option('--replicas <n>', 'Deployment replicas (default: 2 with leader election, else 1; more than 1 needs leader election)')
      .action((opts: { image: string; namespace: string; name: string; watchNamespace?: string[]; leaderElect: boolean; replicas?: string; watchRestores?: boolean }) => {
        const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
        if (opts.image.trim() === '' || /\s/.test(opts.image)) throw new UsageError(`--image must be an image reference without spaces (got "${opts.image}")`);
        for (const [flag, value] of [['--namespace', opts.namespace], ...(opts.watchNamespace ?? []).map((n) => ['--watch-namespace', n] as const)] as const) {
          if (!dnsLabel.test(value) || value.length > 63) throw new UsageError(`${flag} "${value}" is not a valid namespace name`);
        }
        if (!dnsLabel.test(opts.name) || opts.name.length > 63) throw new UsageError(`--name "${opts.name}" is not a valid name (lower-case letters, digits and '-', at most 63)`);
        if (opts.replicas !== undefined && (!/^\d{1,2}$/.test(opts.replicas) || Number(opts.replicas) < 1 || Number(opts.replicas) > 10)) {
          throw new UsageError(`--replicas must be a whole number from 1 to 10 (got "${opts.replicas}")`);
        }
        if (!opts.leaderElect && opts.replicas !== undefined && Number(opts.replicas) > 1) {
          throw new UsageError(`--replicas ${opts.replicas} with --no-leader-elect would run HookRuns twice: without leader election run one replica`);
        }
        const objects = controllerManifests({
          image: opts.image,
          namespace: opts.namespace,
          name: opts.name,
          watchNamespaces: [...new Set(opts.watchNamespace ?? [])],
          leaderElect: opts.leaderElect,
          ...(opts.watchRestores === true ? { watchRestores: true } : {}),
          ...(opts.replicas === undefined ? {} : { replicas: Number(opts.replicas) }),
        });
        ctx.deps.io.stdout.write(objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n'));
        ctx.setExitCode(EXIT_OK);
      });
  },
};
