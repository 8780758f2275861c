/**
 * What /readyz answers (ADR 0020). Ready means this replica knows its part: without leader election,
 * every watched namespace has been listed (the controller sees every HookRun); with it, the Lease has
 * been read or written (who leads is known) and, when this replica leads, the list is synced too. A
 * standby is ready, so a rolling update (which waits for new pods to be ready) can go on.
 */
export interface ReadinessInputs {
  readonly elector: { readonly leaderKnown: boolean; readonly isLeader: boolean } | undefined;
  readonly controller: { readonly ready: boolean } | undefined;
  readonly stopping: boolean;
}

/** undefined when ready; otherwise why not, in one line. */
export function controllerReadiness(i: ReadinessInputs): string | undefined {
  if (i.stopping) return 'stopping';
  if (i.elector !== undefined) {
    if (!i.elector.leaderKnown) return 'leader election: the Lease has not been read yet';
    if (!i.elector.isLeader) return undefined;
  }
  if (i.controller === undefined) return 'the controller has not started watching HookRuns';
  return i.controller.ready ? undefined : 'HookRuns not listed yet';
}
