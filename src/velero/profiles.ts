/**
 * Velero version profiles: where Velero 1.18.x and Velero main (the coming 1.19) differ in hook
 * behaviour users depend on. One table, read by the parsers (which onError values exist), the planner
 * (what Velero would do with each planned hook) and lint (messages naming both versions). kubehooks'
 * own runner is bounded whatever the profile (docs/adr/0012-velero-version-profiles.md).
 */
import { DEFAULT_EXEC_TIMEOUT_MS, MAX_EXEC_TIMEOUT_MS, type HookPhase, type OnError } from '../model/hook.ts';

export const VELERO_VERSIONS = ['1.18', '1.19'] as const;
export type VeleroVersion = (typeof VELERO_VERSIONS)[number];

/**
 * 1.18.x is what people run (the latest release; 1.19 is unreleased main), so by default plan and lint
 * describe 1.18 and flag what only 1.19 would do.
 */
export const DEFAULT_VELERO_VERSION: VeleroVersion = '1.18';

export interface VeleroProfile {
  readonly version: VeleroVersion;
  /** For messages: `Velero 1.18.x`. */
  readonly label: string;
  /** Exec timeout (PR #10125): what a value <= 0 means, the cap, and whether the stream is stopped. */
  readonly execTimeout: {
    /** `no-timer`: a negative value disables the timer (0 still means 30s); `default`: every value <= 0 means 30s. */
    readonly nonPositive: 'no-timer' | 'default';
    /** undefined = no cap. */
    readonly capMs: number | undefined;
    /** false: on timeout the remote command keeps running (the stream is left open). */
    readonly stopsCommand: boolean;
  };
  /** Backup exec hooks may target native sidecars (PR #9403). */
  readonly backupHooksOnSidecars: boolean;
  /** onError values the CRD enum and the annotation reader accept (FailBlock: PR #10177). */
  readonly onErrorValues: readonly OnError[];
  /** What Velero does with a post-restore hook for a container the pod lacks (#9749, PR #9750). */
  readonly missingRestoreContainer: string;
}

export const VELERO_PROFILES: Readonly<Record<VeleroVersion, VeleroProfile>> = {
  '1.18': {
    version: '1.18',
    label: 'Velero 1.18.x',
    execTimeout: { nonPositive: 'no-timer', capMs: undefined, stopsCommand: false },
    backupHooksOnSidecars: false,
    onErrorValues: ['Continue', 'Fail'],
    missingRestoreContainer:
      'Velero 1.18.x discards the hook without recording it, so the restore waits in Finalizing forever and every later restore waits behind it (velero#9749, #9744)',
  },
  '1.19': {
    version: '1.19',
    label: 'Velero 1.19 (main)',
    execTimeout: { nonPositive: 'default', capMs: MAX_EXEC_TIMEOUT_MS, stopsCommand: true },
    backupHooksOnSidecars: true,
    onErrorValues: ['Continue', 'Fail', 'FailBlock'],
    missingRestoreContainer:
      'Velero 1.19 still discards the hook; its finalizer gives up after --resource-timeout (default 10m) and the restore ends PartiallyFailed without hookStatus (PR #9750 would record the hook failed)',
  },
};

/** Readers that depend on the profile (which onError values exist) take this. Default: DEFAULT_VELERO_VERSION. */
export interface VeleroReadOptions {
  readonly veleroVersion?: VeleroVersion | undefined;
}

export function veleroProfile(version: VeleroVersion | undefined): VeleroProfile {
  return VELERO_PROFILES[version ?? DEFAULT_VELERO_VERSION];
}

/** The other profile, for "behaves differently on …" messages. */
export function otherProfile(profile: VeleroProfile): VeleroProfile {
  return VELERO_PROFILES[profile.version === '1.18' ? '1.19' : '1.18'];
}

/** `1.18`, `1.18.3`, `v1.18.2` → 1.18; `1.19`, `main` → 1.19; anything else undefined. */
export function parseVeleroVersion(text: string): VeleroVersion | undefined {
  const t = text.trim().replace(/^v/, '');
  if (t === 'main') return '1.19';
  const m = /^1\.(18|19)(?:\.\d+)?$/.exec(t);
  return m === null ? undefined : (`1.${m[1]}` as VeleroVersion);
}

/**
 * The exec timeout Velero applies under `profile` to a declared value (ms, 0 = unset), or null when it
 * applies none at all (1.18.x with a negative value).
 */
export function veleroExecTimeoutMs(profile: VeleroProfile, declaredMs: number): number | null {
  if (declaredMs < 0 && profile.execTimeout.nonPositive === 'no-timer') return null;
  if (!(declaredMs > 0)) return DEFAULT_EXEC_TIMEOUT_MS;
  const cap = profile.execTimeout.capMs;
  return cap === undefined ? declaredMs : Math.min(declaredMs, cap);
}

/**
 * onError as Velero acts on it for a hook of `phase` (unset: Continue). FailBlock skips the whole
 * ItemBlock only for pre hooks; on post hooks it acts as Fail (the items are already backed up); on
 * restore hooks, which have no ItemBlocks, Velero's `== Fail` checks treat it as Continue.
 */
export function effectiveOnError(declared: OnError | undefined, phase: HookPhase): OnError {
  if (declared === undefined) return 'Continue';
  if (declared !== 'FailBlock') return declared;
  if (phase === 'pre') return 'FailBlock';
  return phase === 'post' ? 'Fail' : 'Continue';
}

/** Fail and FailBlock stop the pod's later hooks of the same phase. */
export function stopsLaterHooks(onError: OnError): boolean {
  return onError === 'Fail' || onError === 'FailBlock';
}

/** What a profile says about an exec timeout value, for lint and plan notes; undefined = nothing differs. */
export function execTimeoutDifference(profile: VeleroProfile, declaredMs: number): string | undefined {
  const here = veleroExecTimeoutMs(profile, declaredMs);
  const there = veleroExecTimeoutMs(otherProfile(profile), declaredMs);
  if (here === there) return undefined;
  const describe = (ms: number | null): string => (ms === null ? 'no timeout at all (the timer is disabled)' : ms === MAX_EXEC_TIMEOUT_MS ? 'the 4h cap' : ms === DEFAULT_EXEC_TIMEOUT_MS ? 'the default 30s' : 'the value as written');
  return `on ${profile.label} this ${declaredMs < 0 ? 'negative' : 'over-4h'} exec timeout means ${describe(here)}; on ${otherProfile(profile).label} ${describe(there)}`;
}
