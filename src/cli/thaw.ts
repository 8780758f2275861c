/**
 * `kubehooks thaw --journal FILE` (issue 16, ADR 0018): after a `run backup` window was killed (or
 * the machine died), runs the post hooks for exactly the pods its journal says were frozen and not
 * yet thawed, once; a second thaw finds nothing to do and says so. Thin: journal → state
 * (src/run/window-journal.ts) → runThaw (src/run/window-thaw.ts) → report.
 */
import { Option } from 'commander';
import type { Command } from 'commander';
import { hostname } from 'node:os';
import { renderRunText } from '../report/run-text.ts';
import { runToJson } from '../report/run-json.ts';
import { colorsFor } from '../report/color.ts';
import { terminalSafe } from '../report/terminal-text.ts';
import type { EventGrouping } from '../run/event-summary.ts';
import { OMITTED_OUTPUT_MAX_BYTES } from '../run/run-options.ts';
import { replayJournal, type JournalPodRef, type JournalState } from '../run/window-journal.ts';
import { runThaw } from '../run/window-thaw.ts';
import { hooksByStage } from '../plan/stages.ts';
import type { CliCommand, CommandContext } from './command.ts';
import { EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError, describeError, writeError, writeWarning } from './context.ts';
import type { CliDeps } from './context.ts';
import { addEventsFlags, eventsFromFlags } from './events-flags.ts';
import { addHelpSections } from './help.ts';
import { defaultRunWiring, type RunWiring } from './run-wiring.ts';
import { EXIT_INTERRUPTED, EXIT_TERMINATED } from './signals.ts';
import { versionInfo } from './version.ts';
import { JournalFile, readJournalFile } from './window-journal-file.ts';

export const THAW_FORMATS = ['text', 'json'] as const;

export interface ThawSettings {
  readonly journal: string;
  readonly kubeconfig: string | undefined;
  readonly context: string | undefined;
  readonly insecureSkipTlsVerify: boolean;
  readonly retryInterrupted: boolean;
  readonly force: boolean;
  readonly output: (typeof THAW_FORMATS)[number];
  readonly events: boolean;
  /** --events (ADR 0023). */
  readonly eventGrouping: EventGrouping;
  readonly includeOutput: boolean;
}

const ref = (p: JournalPodRef): string => terminalSafe(`${p.namespace}/${p.name}`);

/** Is the window (or thaw) that last wrote the journal still running here? */
function ownerAlive(state: JournalState): boolean {
  const { pid, host, ended } = state.owner;
  if (ended || host !== hostname() || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** ` (stages 3, 2, 1: the window's thaw order reverse)` when the owed hooks have stages; '' without. */
function stageOrderText(state: JournalState): string {
  const hooks = state.pending.flatMap((p) => p.hooks);
  if (!hooks.some((h) => h.stage !== undefined)) return '';
  const order = state.begin.thawOrder ?? 'reverse';
  const stages = hooksByStage(hooks, order === 'same' ? 'ascending' : 'descending').map((s) => s.stage);
  return `; stages ${stages.join(', ')} in the window's thaw order (${order})`;
}

export async function executeThaw(settings: ThawSettings, deps: CliDeps, wiring: RunWiring): Promise<number> {
  const records = await readJournalFile(settings.journal);
  const state = replayJournal(records, { retryInterrupted: settings.retryInterrupted });
  const { begin } = state;
  const name = terminalSafe(begin.runId);
  if (ownerAlive(state) && !settings.force) {
    throw new UsageError(`window ${name} is still running (pid ${state.owner.pid} on this host) and thaws its pods itself; stop it first, or --force if that pid is another process now`);
  }
  for (const s of state.settled) {
    if (s.how === 'interrupted') {
      writeWarning(deps.io, `${ref(s.pod)}: post hook ${s.interrupted.map((h) => terminalSafe(`${h.name}#${h.index}`)).join(', ')} started and its end was not recorded; it runs to its end in the container, so it is not run again (--retry-interrupted runs it again)`);
    }
  }
  if (state.pending.length === 0) {
    const settled = state.settled.length;
    const line = settled === 0
      ? `nothing to thaw: window ${name} recorded no frozen pod`
      : `nothing to thaw: the ${settled} frozen pod(s) of window ${name} were thawed or skipped already (${state.settled.map((s) => `${ref(s.pod)} ${s.how}`).join(', ')})`;
    if (settings.output === 'json') deps.io.stdout.write(`${JSON.stringify({ kind: 'thaw', runId: begin.runId, journal: settings.journal, status: 'nothing-to-thaw', exitCode: EXIT_OK, thawed: [], notThawed: [], skipped: [], settled: state.settled.map((s) => ({ ...s.pod, how: s.how })) }, null, 2)}\n`);
    else deps.io.stdout.write(`${line}\n`);
    return EXIT_OK;
  }
  deps.io.stderr.write(
    `thaw: window ${name} (Backup ${terminalSafe(begin.backup ?? '-')}, started ${begin.at}, last step ${state.step}): ${state.pending.length} pod(s) frozen and not thawed: ${state.pending.map((p) => `${ref(p.pod)}${p.freezeUnfinished ? ' (its freeze never finished: possibly frozen)' : ''}`).join(', ')}${stageOrderText(state)}\n`,
  );
  const ctl = new AbortController();
  let interrupted: 'SIGINT' | 'SIGTERM' | undefined;
  const off = wiring.onSignals((sig) => {
    interrupted ??= sig;
    deps.io.stderr.write(`\nthaw: ${sig} received: stopping; run thaw again to finish\n`);
    ctl.abort();
  });
  const journal = await JournalFile.openForAppend(settings.journal);
  const kubeconfig = settings.kubeconfig ?? begin.kubeconfig;
  const context = settings.context ?? begin.context;
  const ports = await wiring.createPorts({
    ...(kubeconfig === null ? {} : { kubeconfigPath: kubeconfig }),
    ...(context === null ? {} : { context }),
    ...(settings.insecureSkipTlsVerify ? { insecureSkipTlsVerify: true } : {}),
  });
  try {
    await journal.append({ t: 'thaw-begin', at: new Date(wiring.clock.now()).toISOString(), pid: process.pid, host: hostname() });
    const namespaces = [...new Set(state.pending.map((p) => p.pod.namespace))];
    const pods = await ports.lister.list({ namespaces }, ctl.signal);
    const result = await runThaw({
      state,
      pods,
      journal,
      executor: ports.executor,
      clock: wiring.clock,
      signal: ctl.signal,
      events: settings.events ? ports.events : undefined,
      eventGrouping: settings.eventGrouping,
      // The thaw's Events name the window it finishes (message and the kubehooks.dev/run-id label).
      eventSubject: { kind: 'Backup', namespace: '', name: begin.backup ?? '', runId: begin.runId },
      concurrency: 8,
      maxOutputBytes: settings.includeOutput ? undefined : OMITTED_OUTPUT_MAX_BYTES,
    });
    const status = interrupted !== undefined ? 'interrupted' : result.notThawed.length > 0 ? 'thaw-failed' : 'ok';
    await journal.append({ t: 'end', at: new Date(wiring.clock.now()).toISOString(), by: 'thaw', status }).catch((error: unknown) => {
      writeWarning(deps.io, `cannot record the thaw's end in the journal (${terminalSafe(String(error))})`);
    });
    if (result.journalErrors.length > 0) writeWarning(deps.io, `the journal missed ${result.journalErrors.length} record(s) (${terminalSafe(result.journalErrors[0] ?? '')})`);
    const exitCode = interrupted === 'SIGTERM' ? EXIT_TERMINATED : interrupted === 'SIGINT' ? EXIT_INTERRUPTED : result.notThawed.length > 0 ? EXIT_FINDINGS : EXIT_OK;
    if (settings.output === 'json') {
      const doc = {
        kind: 'thaw',
        runId: begin.runId,
        journal: settings.journal,
        status,
        exitCode,
        thawed: result.thawed,
        notThawed: result.notThawed,
        skipped: result.skipped.map((s) => ({ ...s.pod, code: s.code, reason: s.reason })),
        settled: state.settled.map((s) => ({ ...s.pod, how: s.how })),
        post: runToJson(result.report, {
          omitOutput: !settings.includeOutput,
          context: {
            kind: 'post-backup', backup: begin.backup, restore: null, namespaces, podsSeen: pods.length, startedAt: begin.at,
            finishedAt: new Date(wiring.clock.now()).toISOString(), kubehooksVersion: versionInfo().version, interrupted: interrupted !== undefined, skipped: [],
          },
        }),
      };
      deps.io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    } else {
      const lines = [renderRunText(result.report, { omitOutput: !settings.includeOutput, colors: colorsFor(deps.io.color?.stdout === true) })];
      for (const s of result.skipped) lines.push(`skipped ${ref(s.pod)}: ${s.code}: ${terminalSafe(s.reason)}\n`);
      lines.push(`thaw of window ${name}: ${result.thawed.length} pod(s) thawed${result.thawed.length > 0 ? ` (${result.thawed.map(ref).join(', ')})` : ''}, ${result.skipped.length} skipped, ${result.notThawed.length} not thawed${result.notThawed.length > 0 ? ` (${result.notThawed.map(ref).join(', ')}: run thaw again to retry)` : ''}\n`);
      deps.io.stdout.write(lines.join(''));
    }
    return exitCode;
  } finally {
    off();
    await journal.close().catch(() => undefined);
    await ports.close();
  }
}

/** Builds `kubehooks thaw` with the given wiring (the registry uses the real cluster). */
export function createThawCommand(wiring: () => RunWiring): CliCommand {
  return {
    name: 'thaw',
    register(program: Command, ctx: CommandContext): void {
      const cmd = program
        .command('thaw')
        .description('after a `run backup` window was killed: run the post hooks of exactly the pods its journal says were frozen and not yet thawed, once')
        .requiredOption('--journal <file>', 'the window\'s journal (run backup printed its path; --journal there names it)')
        .option('--kubeconfig <file>', 'kubeconfig file (default: the one the window used, then $KUBECONFIG, then ~/.kube/config)')
        .option('--context <name>', 'kubeconfig context (default: the window\'s)')
        .option('--retry-interrupted', 'also run again a post hook whose start was recorded without its end (by default it is not: it ran on in the container)')
        .option('--force', 'thaw even though the journal\'s writer looks alive on this host (its pid was reused)')
        .addOption(new Option('-o, --output <format>', 'report format').choices(THAW_FORMATS).default('text'));
      addEventsFlags(cmd, 'the pods')
        .option('--insecure-skip-tls-verify', 'do not verify the API server certificate (dangerous; warns on stderr)');
      addHelpSections(cmd, [
        ['thaw --journal ~/.local/state/kubehooks/windows/RUN-ID.jsonl', 'thaw what a killed window left frozen'],
        ['thaw --journal window.jsonl -o json', 'the same, with a JSON report'],
      ], [
        [0, 'every pod left frozen was thawed or skipped (deleted or re-created), or there was nothing to thaw'],
        [1, 'a post hook failed: the pod may still be frozen (run thaw again to retry)'],
        [2, 'usage, a missing or damaged journal, the window still running, or cluster access'],
        [130, 'interrupted by SIGINT (run thaw again to finish)'],
        [143, 'terminated by SIGTERM (run thaw again to finish)'],
      ]);
      cmd.action(async (raw: { journal: string; kubeconfig?: string; context?: string; retryInterrupted?: boolean; force?: boolean; output: 'text' | 'json'; events?: boolean | string; insecureSkipTlsVerify?: boolean }) => {
        if (raw.journal === '') throw new UsageError('--journal needs the journal file run backup printed');
        const settings: ThawSettings = {
          journal: raw.journal,
          kubeconfig: raw.kubeconfig,
          context: raw.context,
          insecureSkipTlsVerify: raw.insecureSkipTlsVerify === true,
          retryInterrupted: raw.retryInterrupted === true,
          force: raw.force === true,
          output: raw.output,
          ...eventsFromFlags(raw.events),
          includeOutput: true,
        };
        try {
          ctx.setExitCode(await executeThaw(settings, ctx.deps, wiring()));
        } catch (error) {
          if (error instanceof UsageError) throw error;
          writeError(ctx.deps.io, describeError(error));
          ctx.setExitCode(EXIT_USAGE);
        }
      });
    },
  };
}

/** `kubehooks thaw --journal FILE` */
export const thawCommand: CliCommand = createThawCommand(defaultRunWiring);
