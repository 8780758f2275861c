/**
 * `kubehooks run backup --backup FILE [scope flags] -- COMMAND [ARGS…]` (issue 16, ADR 0018): the
 * quiesce window. Pre hooks, then COMMAND as a child process, then always the post hooks of the pods
 * whose pre hooks started. Thin: flags → settings, the cluster through RunWiring, the window through
 * src/run/quiesce-window.ts, the report through src/report/run-window.ts.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { formatMs, nsToMs, parseGoDuration } from '../duration/go-duration.ts';
import type { Plan } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import { explainNoHooks } from '../report/no-hooks.ts';
import { colorsFor } from '../report/color.ts';
import type { RunContext } from '../report/run-json.ts';
import { renderWindowJson, renderWindowText, windowToJson, type WindowContext } from '../report/run-window.ts';
import { terminalSafe } from '../report/terminal-text.ts';
import { renderYaml } from '../report/yaml-output.ts';
import { runQuiesceWindow, WINDOW_EXIT_CODES, type WindowCommand, type WindowReport, type WindowStep } from '../run/quiesce-window.ts';
import type { PodScope } from '../run/ports.ts';
import type { CliDeps } from './context.ts';
import { EXIT_FINDINGS, UsageError, writeError, writeWarning } from './context.ts';
import { chooseNamespaces, describeNamespaceChoice } from './namespaces.ts';
import { refuseInvalidStages } from './plan.ts';
import type { RunSettings } from './run-settings.ts';
import { runnerPorts, type RunPorts, type RunWiring } from './run-wiring.ts';
import { exitForSignal, signalSteps, type SignalName } from './signals.ts';
import { versionInfo } from './version.ts';
import { childCommand } from './window-command.ts';
import { defaultJournalPath, JournalFile } from './window-journal-file.ts';
import { JOURNAL_VERSION } from '../run/window-journal.ts';

export const WINDOW_FORMATS = ['text', 'wide', 'json', 'yaml'] as const;

export interface WindowSettings {
  /** The shared run flags (scope, output, concurrency, events, connection, policy), kind pre-backup. */
  readonly run: RunSettings;
  /** COMMAND and its arguments. */
  readonly argv: readonly string[];
  /** undefined = no window timeout. */
  readonly windowTimeoutMs: number | undefined;
  readonly onPreFailure: 'fail' | 'continue';
  /** --journal FILE; undefined = the default path (printed). */
  readonly journal: string | undefined;
}

export interface RawWindowOptions {
  windowTimeout?: string;
  onPreFailure?: string;
  deadline?: string;
  journal?: string;
}

/** `--window-timeout`, `--on-pre-failure` and COMMAND, checked; every problem is a UsageError naming the flag. */
export function parseWindowSettings(run: RunSettings, raw: RawWindowOptions, argv: readonly string[]): WindowSettings {
  if (argv.length === 0 || argv[0] === '') {
    throw new UsageError('run backup needs a COMMAND after --, e.g. kubehooks run backup --backup backup.yaml -- ./snapshot.sh');
  }
  if (!(WINDOW_FORMATS as readonly string[]).includes(run.output)) {
    throw new UsageError(`run backup: --output must be one of ${WINDOW_FORMATS.join(', ')} (got "${run.output}"; junit is for the single phases)`);
  }
  if (raw.deadline !== undefined) {
    throw new UsageError('--deadline does not apply to run backup: each hook has its timeout, --window-timeout bounds COMMAND, and the thaw is never cut short');
  }
  const text = raw.windowTimeout ?? '0';
  const parsed = parseGoDuration(text);
  if (!parsed.ok) throw new UsageError(`--window-timeout: ${parsed.error} (use a Go duration such as 90s, 10m or 1h30m; 0 = none)`);
  if (parsed.ns < 0n) throw new UsageError(`--window-timeout must not be negative (got ${text})`);
  const mode = raw.onPreFailure ?? 'fail';
  if (mode !== 'fail' && mode !== 'continue') {
    throw new UsageError(`--on-pre-failure must be fail (COMMAND is not run after a Fail pre hook failed) or continue (run it anyway); got "${mode}"`);
  }
  if (raw.journal === '') throw new UsageError('--journal needs a file name (or leave it out: a file under $XDG_STATE_HOME/kubehooks/windows/)');
  return { run, argv, windowTimeoutMs: parsed.ns === 0n ? undefined : nsToMs(parsed.ns), onPreFailure: mode, journal: raw.journal };
}

/** What the window needs beyond RunWiring: COMMAND (a child process unless a test passes one). */
export interface WindowWiring extends RunWiring {
  readonly windowCommand?: ((argv: readonly string[], env: Readonly<Record<string, string | undefined>>) => WindowCommand) | undefined;
}

/**
 * Runs the window and prints its report; returns the exit code. The first SIGINT/SIGTERM stops the
 * pre hooks and COMMAND and thaws; the second stops the thaw (the pods left are reported).
 */
export async function executeWindowRun(settings: WindowSettings, deps: CliDeps, wiring: WindowWiring): Promise<number> {
  const freeze = new AbortController();
  const thaw = new AbortController();
  let interrupted: SignalName | undefined;
  // A later signal must never kill us mid-thaw: signalSteps subscribes again after each one.
  const offSignals = signalSteps(wiring.onSignals, {
    first: (sig) => {
      interrupted = sig;
      deps.io.stderr.write(`\nbackup: ${sig} received: stopping the pre hooks and COMMAND, then thawing every frozen pod (a second signal stops the thaw)\n`);
      freeze.abort();
    },
    second: (sig) => {
      deps.io.stderr.write(`\nbackup: second ${sig}: stopping the thaw; the pods not thawed are listed in the report\n`);
      thaw.abort();
    },
  });
  const onOuterAbort = (): void => {
    freeze.abort();
    thaw.abort();
  };
  deps.signal.addEventListener('abort', onOuterAbort, { once: true });
  const startedAt = new Date(wiring.clock.now()).toISOString();
  let ports: RunPorts | undefined;
  let journal: JournalFile | undefined;
  try {
    const run = settings.run;
    const prepared = await wiring.prepare('pre-backup', run.file, { ...deps, signal: freeze.signal }, { veleroVersion: run.policy.veleroVersion }).catch((error: unknown) => {
      if (freeze.signal.aborted) return undefined;
      throw error;
    });
    if (prepared === undefined) {
      deps.io.stderr.write('backup: interrupted before any hook ran\n');
      return exitForSignal(interrupted);
    }
    ports = await wiring.createPorts(run.connect);
    const choice = chooseNamespaces(run.scope.namespaces, run.allNamespaces, prepared.namespaces, ports.namespace);
    const where = describeNamespaceChoice(choice, 'backup');
    if (where !== undefined) deps.io.stderr.write(`backup: ${where}\n`);
    const scope: PodScope | undefined = !choice.all && choice.namespaces.length === 0 ? undefined : { ...run.scope, namespaces: choice.namespaces };
    let pods: readonly PodManifest[];
    try {
      pods = scope === undefined ? [] : await ports.lister.list(scope, freeze.signal);
    } catch (error) {
      if (freeze.signal.aborted) {
        deps.io.stderr.write('backup: interrupted before any hook ran\n');
        return exitForSignal(interrupted);
      }
      throw error;
    }
    const pre = prepared.plan(pods, run.policy);
    const post: Plan = prepared.planPhase === undefined ? { hooks: [], skipped: [] } : prepared.planPhase('post', pods, run.policy, true);
    // ADR 0019: a pod whose stage cannot be read refuses the window before anything is frozen.
    refuseInvalidStages({ hooks: [], skipped: [...pre.skipped, ...post.skipped.filter((s) => !pre.skipped.some((p) => p.namespace === s.namespace && p.pod === s.pod))] }, deps);
    const namespaces = choice.all ? null : scope === undefined ? [] : choice.namespaces;
    if (pre.hooks.length === 0 && post.hooks.length === 0) {
      const lines = explainNoHooks({ kind: 'pre-backup', namespaces, podsSeen: pods.length, skipped: pre.skipped });
      if (run.failIfNoHooks) {
        writeError(deps.io, `${lines[0] ?? ''} (--fail-if-no-hooks; COMMAND was not run)`);
        for (const l of lines.slice(1)) deps.io.stderr.write(`${l}\n`);
        return EXIT_FINDINGS;
      }
      writeWarning(deps.io, `${lines[0] ?? ''}; COMMAND runs without a freeze`);
      for (const l of lines.slice(1)) deps.io.stderr.write(`${l}\n`);
    }
    const runId = randomUUID();
    const podCount = (plan: Plan): number => new Set(plan.hooks.map((h) => `${h.namespace}/${h.pod}`)).size;
    const timeout = settings.windowTimeoutMs === undefined ? 'no window timeout' : `window timeout ${formatMs(settings.windowTimeoutMs)}`;
    deps.io.stderr.write(
      `backup: window ${runId}: ${pre.hooks.length} pre hook(s) in ${podCount(pre)} pod(s), ${post.hooks.length} post hook(s) in ${podCount(post)} pod(s) (${pre.skipped.length} skipped); ${timeout}\n`,
    );
    // Durable before any hook starts: the pods, the post plan and how to reach the cluster.
    const journalPath = resolve(settings.journal ?? defaultJournalPath(deps.io.env, runId));
    journal = await JournalFile.create(journalPath, {
      t: 'begin',
      v: JOURNAL_VERSION,
      at: startedAt,
      runId,
      pid: process.pid,
      host: hostname(),
      backup: prepared.name ?? null,
      file: run.file === undefined ? null : resolve(run.file),
      kubeconfig: run.connect.kubeconfigPath === undefined ? null : resolve(run.connect.kubeconfigPath),
      context: run.connect.context ?? null,
      pods: [...new Map(pre.hooks.map((h) => [`${h.namespace}/${h.pod}`, h])).values()].map((h) => {
        const pod = pods.find((p) => p.metadata.name === h.pod && (p.metadata.namespace ?? '') === h.namespace);
        return { namespace: h.namespace, name: h.pod, uid: pod?.metadata.uid ?? null };
      }),
      post: post.hooks.filter((h) => h.type === 'exec'),
      thawOrder: run.thawOrder,
    });
    deps.io.stderr.write(`backup: journal: ${terminalSafe(journalPath)} (after a crash: kubehooks thaw --journal ${terminalSafe(journalPath)})\n`);
    const onStep = (step: WindowStep): void => {
      if (step.step === 'command') {
        const frozen = `${step.frozen.length} pod(s) frozen`;
        if (step.skipped === 'pre-failed') deps.io.stderr.write(`backup: ${frozen}; a Fail pre hook failed: COMMAND is not run (--on-pre-failure continue runs it anyway); thawing\n`);
        else if (step.skipped === 'interrupted') deps.io.stderr.write(`backup: ${frozen}; interrupted: COMMAND is not run; thawing\n`);
        else deps.io.stderr.write(`backup: ${frozen}; running COMMAND: ${terminalSafe(settings.argv.join(' '))}\n`);
      } else {
        deps.io.stderr.write(`backup: thawing ${step.frozen.length} pod(s)\n`);
      }
    };
    const report = await runQuiesceWindow({
      runId,
      pre,
      post,
      pods,
      command: (wiring.windowCommand ?? ((argv, env) => childCommand({ argv, env: { ...env } })))(settings.argv, deps.io.env),
      signal: freeze.signal,
      thawSignal: thaw.signal,
      windowTimeoutMs: settings.windowTimeoutMs,
      onPreFailure: settings.onPreFailure,
      thawOrder: run.thawOrder,
      onStep,
      ...runnerPorts(run, ports, wiring.clock, prepared),
      journal,
    });
    const exitCode = report.status === 'interrupted' ? exitForSignal(interrupted) : WINDOW_EXIT_CODES[report.status];
    const journalErrors = [...(report.journalErrors ?? [])];
    await journal.append({ t: 'end', at: new Date(wiring.clock.now()).toISOString(), by: 'window', status: report.status }).catch((error: unknown) => {
      journalErrors.push(error instanceof Error ? error.message : String(error));
    });
    if (journalErrors.length > 0) writeWarning(deps.io, `the journal ${terminalSafe(journalPath)} missed ${journalErrors.length} record(s) (${terminalSafe(journalErrors[0] ?? '')}); a later thaw may repeat or skip work`);
    const finishedAt = new Date(wiring.clock.now()).toISOString();
    const phaseContext = (kind: 'pre-backup' | 'post-backup', plan: Plan): RunContext => ({
      kind,
      backup: prepared.name ?? null,
      restore: null,
      namespaces,
      podsSeen: pods.length,
      startedAt,
      finishedAt,
      kubehooksVersion: versionInfo().version,
      interrupted: interrupted !== undefined,
      skipped: plan.skipped,
    });
    const context: WindowContext = {
      backup: prepared.name ?? null,
      namespaces,
      kubehooksVersion: versionInfo().version,
      startedAt,
      finishedAt,
      interrupted: interrupted !== undefined,
      exitCode,
      journal: journalPath,
      pre: phaseContext('pre-backup', pre),
      post: phaseContext('post-backup', post),
    };
    deps.io.stdout.write(renderWindow(settings, deps, report, context));
    if (report.notThawed.length > 0 && run.output !== 'text' && run.output !== 'wide') {
      writeWarning(deps.io, `${report.notThawed.length} pod(s) may still be frozen: ${report.notThawed.map((p) => terminalSafe(`${p.namespace}/${p.name}`)).join(', ')}`);
    }
    return exitCode;
  } finally {
    offSignals();
    deps.signal.removeEventListener('abort', onOuterAbort);
    await journal?.close().catch(() => undefined);
    await ports?.close();
  }
}

function renderWindow(settings: WindowSettings, deps: CliDeps, report: WindowReport, context: WindowContext): string {
  const omitOutput = !settings.run.includeOutput;
  switch (settings.run.output) {
    case 'json':
      return renderWindowJson(report, context, omitOutput);
    case 'yaml':
      return renderYaml(windowToJson(report, context, omitOutput));
    default:
      return renderWindowText(report, context, {
        omitOutput,
        wide: settings.run.output === 'wide',
        ...(deps.io.stdoutIsTTY === true ? { reasonWidth: 70 } : {}),
        colors: colorsFor(deps.io.color?.stdout === true),
      });
  }
}
