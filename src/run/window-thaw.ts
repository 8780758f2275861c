/**
 * `kubehooks thaw`'s runner (ADR 0018): the post hooks a crashed window's journal says are owed,
 * against the pods as they are now. A pod deleted since, or re-created under its name with another
 * UID, is skipped with a code (the frozen process went with the old pod) and the skip is recorded.
 * The post hooks run in the window's recorded thaw order, stage by stage (ADR 0019).
 */
import type { PlannedHook } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import type { RunReport } from '../model/result.ts';
import { runBackupStages } from './backup-runner.ts';
import { hookKey, podKey } from './hook-key.ts';
import type { RunOptions } from './run-options.ts';
import { RunSession } from './run-session.ts';
import { thawDone, type JournalPodRef, type JournalState, type ThawSkipCode } from './window-journal.ts';
import type { WindowJournalSink } from './quiesce-window.ts';

export interface ThawOptions extends Omit<RunOptions, 'journal' | 'deadlineMs'> {
  readonly state: JournalState;
  /** The pods of the pending ones' namespaces, as listed now. */
  readonly pods: readonly PodManifest[];
  readonly journal: WindowJournalSink;
}

export interface ThawSkip {
  readonly pod: JournalPodRef;
  readonly code: ThawSkipCode;
  readonly reason: string;
}

export interface ThawReport {
  /** The post hooks run now (only the pending pods'). */
  readonly report: RunReport;
  readonly thawed: readonly JournalPodRef[];
  readonly notThawed: readonly JournalPodRef[];
  readonly skipped: readonly ThawSkip[];
  readonly journalErrors: readonly string[];
}

export async function runThaw(options: ThawOptions): Promise<ThawReport> {
  const live = new Map(options.pods.map((p) => [podKey(p.metadata.namespace ?? '', p.metadata.name), p]));
  const now = (): string => new Date(options.clock.now()).toISOString();
  const errors: string[] = [];
  const keep = (p: Promise<void>): Promise<void> =>
    p.catch((error: unknown) => {
      errors.push(error instanceof Error ? error.message : String(error));
    });
  const skipped: ThawSkip[] = [];
  const toRun: { pod: JournalPodRef; manifest: PodManifest; hooks: readonly PlannedHook[] }[] = [];
  for (const pending of options.state.pending) {
    const key = podKey(pending.pod.namespace, pending.pod.name);
    const manifest = live.get(key);
    let skip: ThawSkip | undefined;
    if (manifest === undefined) skip = { pod: pending.pod, code: 'pod-gone', reason: `pod ${key} no longer exists: nothing left to thaw` };
    else if (pending.pod.uid !== null && manifest.metadata.uid !== undefined && manifest.metadata.uid !== pending.pod.uid) {
      skip = { pod: pending.pod, code: 'pod-replaced', reason: `pod ${key} was re-created (UID ${manifest.metadata.uid}, the window froze ${pending.pod.uid}): the new pod was never frozen` };
    }
    if (skip !== undefined) {
      skipped.push(skip);
      await keep(options.journal.append({ t: 'skipped', at: now(), pod: key, code: skip.code, reason: skip.reason }));
      continue;
    }
    if (manifest !== undefined) toRun.push({ pod: pending.pod, manifest, hooks: pending.hooks });
  }
  const session = new RunSession(toRun.flatMap((p) => p.hooks), {
    ...options,
    journal: { hookStarting: (hook) => keep(options.journal.append({ t: 'thawing', at: now(), hook: hookKey(hook) })) },
    onResult: (result) => {
      void keep(options.journal.append({ t: 'thawed', at: now(), hook: hookKey(result), status: result.status, reasonCode: result.reasonCode }));
      options.onResult?.(result);
    },
  });
  session.onStop((cause) => {
    session.recordStopped(session.recorder.hooks, cause, undefined);
  });
  session.recorder.progress();
  try {
    // The window's thaw order (ADR 0019): stage by stage, every pod's owed hooks of a stage before
    // the next; without stages one stage, every pod at once. A failed stage does not stop the later
    // ones (every frozen pod is thawed). The session's own hook objects: the recorder's identity.
    const manifests = new Map(toRun.map((p) => [podKey(p.pod.namespace, p.pod.name), p.manifest]));
    await runBackupStages(session, session.recorder.hooks, manifests, {
      order: (options.state.begin.thawOrder ?? 'reverse') === 'same' ? 'ascending' : 'descending',
      stopAfterFailedStage: false,
    });
  } finally {
    await session.close();
  }
  const report = session.report();
  const failed = new Set(report.results.filter((r) => !thawDone(r)).map((r) => podKey(r.namespace, r.pod)));
  return {
    report,
    thawed: toRun.filter((p) => !failed.has(podKey(p.pod.namespace, p.pod.name))).map((p) => p.pod),
    notThawed: toRun.filter((p) => failed.has(podKey(p.pod.namespace, p.pod.name))).map((p) => p.pod),
    skipped,
    journalErrors: errors,
  };
}
