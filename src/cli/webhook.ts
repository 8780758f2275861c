import { Option } from 'commander';
import { startWebhookServer, WebhookConfigError } from '../admission/server.ts';
import type { WebhookServer, WebhookServerOptions } from '../admission/server.ts';
import type { DenyOn } from '../admission/review.ts';
import { versionInfo } from './version.ts';
import type { CliCommand } from './command.ts';
import { EXIT_OK, EXIT_USAGE, UsageError, writeError } from './context.ts';
import { untilSignal } from './signals.ts';

/** `HOST:PORT` or `[IPv6]:PORT`; port 0 picks a free one. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = m === null ? NaN : Number(m[3]);
  const host = m?.[1] ?? m?.[2];
  if (host === undefined || !Number.isInteger(port) || port > 65535) {
    throw new UsageError(`--listen must be HOST:PORT, e.g. 127.0.0.1:8443 or 0.0.0.0:8443 (got "${text}")`);
  }
  return { host, port };
}

export interface WebhookWiring {
  start(options: WebhookServerOptions): Promise<WebhookServer>;
  /** Resolves on SIGINT/SIGTERM (or the CLI's abort signal). */
  untilStopped(signal: AbortSignal): Promise<string>;
}

export function createWebhookCommand(wiring: WebhookWiring): CliCommand {
  return {
    name: 'webhook',
    register(program, ctx) {
      program
        .command('webhook')
        .description(
          'serve the admission webhook: lints Pods, workload pod templates and Velero Backup/Schedule/Restore objects at admission and returns warnings (or, with --deny-on error, denials)',
        )
        .requiredOption('--listen <host:port>', 'address to serve HTTPS on, e.g. 127.0.0.1:8443 (in a cluster: 0.0.0.0:8443)')
        .requiredOption('--tls-cert-file <file>', 'PEM serving certificate (re-read when the file changes)')
        .requiredOption('--tls-private-key-file <file>', 'PEM private key of the serving certificate (re-read when the file changes)')
        .addOption(new Option('--deny-on <severity>', 'deny objects with diagnostics of this severity; default: allow and warn').choices(['error']))
        .option('--request-timeout <ms>', 'deadline for reading one request, ms (keep well under the webhook timeoutSeconds)', '1000')
        .action(async (opts: { listen: string; tlsCertFile: string; tlsPrivateKeyFile: string; denyOn?: string; requestTimeout: string }) => {
          const { host, port } = parseListen(opts.listen);
          const timeout = Number(opts.requestTimeout);
          if (!/^\d+$/.test(opts.requestTimeout) || timeout < 100 || timeout > 30_000) {
            throw new UsageError(`--request-timeout must be a whole number of milliseconds from 100 to 30000 (got "${opts.requestTimeout}")`);
          }
          const denyOn: DenyOn = opts.denyOn === 'error' ? 'error' : 'none';
          let server: WebhookServer;
          try {
            server = await wiring.start({
              host, port, certFile: opts.tlsCertFile, keyFile: opts.tlsPrivateKeyFile, denyOn, version: versionInfo().version,
              requestTimeoutMs: timeout,
              log: (line) => {
                ctx.deps.io.stderr.write(`kubehooks webhook: ${line}\n`);
              },
            });
          } catch (err) {
            if (err instanceof WebhookConfigError) throw new UsageError(err.message);
            const code = (err as NodeJS.ErrnoException).code;
            if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
              writeError(ctx.deps.io, `cannot listen on ${opts.listen}: ${code}`);
              ctx.setExitCode(EXIT_USAGE);
              return;
            }
            throw err;
          }
          const a = server.address();
          const shown = a.host.includes(':') ? `[${a.host}]` : a.host;
          ctx.deps.io.stderr.write(
            `kubehooks webhook: serving https://${shown}:${a.port}/validate (${denyOn === 'error' ? 'denying errors' : 'warnings only'}), /healthz, /metrics\n`,
          );
          const why = await wiring.untilStopped(ctx.deps.signal);
          await server.close();
          ctx.deps.io.stderr.write(`kubehooks webhook: stopped (${why})\n`);
          ctx.setExitCode(EXIT_OK);
        });
    },
  };
}

export const webhookCommand: CliCommand = createWebhookCommand({ start: startWebhookServer, untilStopped: (signal) => untilSignal(signal) });
