/**
 * `kubehooks run pre-backup|post-backup|post-restore`: one phase from settings to exit code. The
 * file, the ports, the pods (listed, waited for, or --from-restore's), the plan, the runner, and
 * the report in the chosen format. Interrupts: the first SIGINT/SIGTERM stops the run and the
 * partial report follows.
 */
import { formatMs } from '../duration/go-duration.ts';
import type { Plan } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import type { RunReport } from '../model/result.ts';
import { colorsFor } from '../report/color.ts';
import { explainNoHooks } from '../report/no-hooks.ts';
import { podsNeedingPostBackup, renderRunJson, runToJson, type RunContext } from '../report/run-json.ts';
import { renderRunJunit } from '../report/run-junit.ts';
import { renderRunText, thawLines } from '../report/run-text.ts';
import { terminalSafe } from '../report/terminal-text.ts';
import { renderYaml } from '../report/yaml-output.ts';
import { runBackupHooks } from '../run/backup-runner.ts';
import type { PodScope } from '../run/ports.ts';
import { runPostRestoreHooks } from '../run/post-restore-runner.ts';
import { waitForPods } from '../run/wait-for-pods.ts';
import type { CliDeps } from './context.ts';
import { EXIT_FINDINGS, EXIT_OK, writeError, writeWarning } from './context.ts';
import { prepareRunFromRestore } from './from-restore.ts';
import { chooseNamespaces, describeNamespaceChoice } from './namespaces.ts';
import { refuseInvalidStages } from './plan.ts';
import type { RunSettings } from './run-settings.ts';
import { runProgress, runnerPorts, type PreparedRun, type RunPorts, type RunWiring } from './run-wiring.ts';
import { EXIT_INTERRUPTED, exitForSignal } from './signals.ts';
import { versionInfo } from './version.ts';

export interface RunOutcome {
  readonly report: RunReport;
  readonly exitCode: number;
}

/** Runs one hook phase against the cluster and prints the report; returns the exit code. */
export async function executeRun(settings: RunSettings, deps: CliDeps, wiring: RunWiring): Promise<RunOutcome> {
  const ctl = new AbortController();
  let interrupted: 'SIGINT' | 'SIGTERM' | undefined;
  const onOuterAbort = (): void => {
    ctl.abort();
  };
  deps.signal.addEventListener('abort', onOuterAbort, { once: true });
  const offSignals = wiring.onSignals((sig) => {
    interrupted ??= sig;
    deps.io.stderr.write(`\n${sig} received: stopping; in-flight commands are closed and the partial report follows\n`);
    ctl.abort();
  });
  const { progress, onProgress, onEventFailure } = runProgress(deps, settings.kind, wiring.clock);
  const startedAt = new Date(wiring.clock.now()).toISOString();
  let ports: RunPorts | undefined;
  try {
    // Reading the Backup/Restore file (possibly a FIFO) ends on a signal too.
    const planDeps: CliDeps = { ...deps, signal: ctl.signal };
    const planned = async <T>(planning: Promise<T>): Promise<T | undefined> => {
      try {
        return await planning;
      } catch (error) {
        if (ctl.signal.aborted) return undefined;
        throw error;
      }
    };
    const interruptedEarly = (): RunOutcome => {
      deps.io.stderr.write('interrupted before any hook ran\n');
      return { report: { summary: { attempted: 0, failed: 0 }, results: [] }, exitCode: exitForSignal(interrupted) };
    };
    let prepared: PreparedRun | undefined;
    let choice: { readonly namespaces: readonly string[]; readonly all: boolean };
    let scope: PodScope | undefined;
    let fromRestorePods: readonly PodManifest[] | undefined;
    if (settings.fromRestore !== undefined) {
      ports = await wiring.createPorts(settings.connect);
      const ready = await prepareRunFromRestore(settings, settings.fromRestore, ports, wiring.clock, ctl.signal, deps);
      if ('exitCode' in ready) return ready.exitCode === EXIT_INTERRUPTED ? interruptedEarly() : { report: { summary: { attempted: 0, failed: 0 }, results: [] }, exitCode: ready.exitCode };
      ({ prepared, scope } = ready);
      choice = { namespaces: ready.scope.namespaces, all: ready.scope.namespaces.length === 0 };
      fromRestorePods = ready.pods;
    } else {
      // The file first: a file with errors stops here, before any connection or request.
      prepared = await planned(wiring.prepare(settings.kind, settings.file, planDeps, { veleroVersion: settings.policy.veleroVersion }));
      if (prepared === undefined) return interruptedEarly();
      ports = await wiring.createPorts(settings.connect);
      choice = chooseNamespaces(settings.scope.namespaces, settings.allNamespaces, prepared.namespaces, ports.namespace);
      const where = describeNamespaceChoice(choice as ReturnType<typeof chooseNamespaces>, settings.kind === 'post-restore' ? 'restore' : 'backup');
      if (where !== undefined) deps.io.stderr.write(`${settings.kind}: ${where}\n`);
      // Every namespace the file names is excluded: nothing to list or watch.
      scope = !choice.all && choice.namespaces.length === 0 ? undefined : { ...settings.scope, namespaces: choice.namespaces };
    }
    const run: PreparedRun = prepared;
    let pods: readonly PodManifest[];
    try {
      if (fromRestorePods !== undefined) pods = fromRestorePods;
      else if (scope === undefined) pods = [];
      else if (settings.waitForPodsMs !== undefined) {
        const waitMs = settings.deadlineMs === undefined ? settings.waitForPodsMs : Math.min(settings.waitForPodsMs, settings.deadlineMs);
        deps.io.stderr.write(`${settings.kind}: waiting up to ${formatMs(waitMs)} for pods with a hook to appear (--wait-for-pods)\n`);
        const waited = await waitForPods({
          watcher: ports.watcher, scope, clock: wiring.clock, signal: ctl.signal, timeoutMs: waitMs,
          ready: (seen) => run.plan(seen, settings.policy, true).hooks.length > 0,
        });
        if (ctl.signal.aborted) return interruptedEarly();
        if (!waited.ready) deps.io.stderr.write(`${settings.kind}: no pod with a hook appeared within ${formatMs(waitMs)}\n`);
        pods = waited.pods;
      } else pods = await ports.lister.list(scope, ctl.signal);
    } catch (error) {
      if (ctl.signal.aborted) return interruptedEarly();
      throw error;
    }
    const common = {
      ...runnerPorts(settings, ports, wiring.clock, run),
      signal: ctl.signal,
      deadlineMs: settings.deadlineMs,
      onProgress,
      onEventFailure,
    };
    let report: RunReport;
    const plan = run.plan(pods, settings.policy);
    refuseInvalidStages(plan, deps);
    announce(deps, settings, plan);
    const listed = scope === undefined ? [] : choice.namespaces;
    const namespaces = choice.all ? null : listed;
    const noHooks = plan.hooks.length === 0;
    if (noHooks) {
      const lines = explainNoHooks({ kind: settings.kind, namespaces, podsSeen: pods.length, skipped: plan.skipped });
      if (settings.failIfNoHooks) writeError(deps.io, `${lines[0] ?? ''} (--fail-if-no-hooks)`);
      else writeWarning(deps.io, lines[0] ?? '');
      for (const l of lines.slice(1)) deps.io.stderr.write(`${l}\n`);
    }
    if (settings.kind === 'post-restore') {
      report = scope === undefined || noHooks
        ? { summary: { attempted: 0, failed: 0 }, results: [] }
        : await runPostRestoreHooks({ ...common, plan, watcher: ports.watcher, scope, listedPods: pods });
    } else {
      report = await runBackupHooks({ ...common, plan, pods, ...(settings.kind === 'post-backup' ? { stageOrder: settings.thawOrder === 'same' ? 'ascending' : 'descending' } : {}) });
    }
    progress.end();
    const context: RunContext = {
      kind: settings.kind,
      backup: settings.kind === 'post-restore' ? null : (run.name ?? null),
      restore: settings.kind === 'post-restore' ? (run.name ?? null) : null,
      namespaces,
      podsSeen: pods.length,
      startedAt,
      finishedAt: new Date(wiring.clock.now()).toISOString(),
      kubehooksVersion: versionInfo().version,
      interrupted: interrupted !== undefined,
      skipped: plan.skipped,
    };
    deps.io.stdout.write(renderReport(settings, deps, report, context));
    const frozen = podsNeedingPostBackup(settings.kind, report);
    if (frozen.length > 0 && settings.output !== 'text' && settings.output !== 'wide') {
      // The text report says it on stdout; machine formats get it on stderr too, for the person watching.
      const [first, ...rest] = thawLines(frozen, thawCommand(settings));
      writeWarning(deps.io, first ?? '');
      for (const l of rest) deps.io.stderr.write(`${l}\n`);
    }
    const exitCode = interrupted !== undefined
      ? exitForSignal(interrupted)
      : report.summary.failed > 0 || (noHooks && settings.failIfNoHooks) ? EXIT_FINDINGS : EXIT_OK;
    return { report, exitCode };
  } finally {
    progress.end();
    offSignals();
    deps.signal.removeEventListener('abort', onOuterAbort);
    await ports?.close();
  }
}

/** The post-backup command line that thaws what an incomplete pre-backup froze. */
function thawCommand(settings: RunSettings): string {
  const parts = ['kubehooks run post-backup'];
  if (settings.file !== undefined) parts.push(`--backup ${settings.file}`);
  for (const ns of settings.scope.namespaces) parts.push(`-n ${ns}`);
  if (settings.allNamespaces) parts.push('-A');
  if (settings.scope.labelSelector !== undefined) parts.push(`-l ${settings.scope.labelSelector}`);
  return terminalSafe(parts.join(' '));
}

function renderReport(settings: RunSettings, deps: CliDeps, report: RunReport, context: RunContext): string {
  const omitOutput = !settings.includeOutput;
  switch (settings.output) {
    case 'json':
      return renderRunJson(report, { omitOutput, context });
    case 'yaml':
      return renderYaml(runToJson(report, { omitOutput, context }));
    case 'junit':
      return renderRunJunit(report, { name: `kubehooks run ${settings.kind}`, omitOutput });
    case 'text':
    case 'wide':
      return renderRunText(report, {
        omitOutput,
        wide: settings.output === 'wide',
        // Cut long reasons only for a person at a terminal; pipes and files get every character.
        ...(deps.io.stdoutIsTTY === true ? { reasonWidth: 70 } : {}),
        skipped: context.skipped,
        needsPostBackup: podsNeedingPostBackup(settings.kind, report),
        thawCommand: thawCommand(settings),
        colors: colorsFor(deps.io.color?.stdout === true),
      });
  }
}

/** One line on stderr before hooks start, so logs (and people) see what the run is about to do. */
function announce(deps: CliDeps, settings: RunSettings, plan: Plan): void {
  const pods = new Set(plan.hooks.map((h) => `${h.namespace}/${h.pod}`)).size;
  const deadline = settings.deadlineMs === undefined ? 'no deadline' : `deadline ${formatMs(settings.deadlineMs)}`;
  const n = plan.hooks.length;
  deps.io.stderr.write(
    `${settings.kind}: ${n} hook${n === 1 ? '' : 's'} planned in ${pods} pod${pods === 1 ? '' : 's'}` +
      ` (${plan.skipped.length} skipped); ${settings.kind === 'post-restore' ? 'waiting for containers, ' : ''}${deadline}\n`,
  );
}
