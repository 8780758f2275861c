/**
 * Readers of one annotation or spec value the way Velero reads it (§2.5), reporting what Velero
 * would do with a bad one. They never throw. Where Velero versions differ (which onError values
 * exist), the reader takes the version profile (profiles.ts) as a parameter.
 */
import { MAX_EXEC_TIMEOUT_MS, type HookPhase, type HookSource, type OnError } from '../model/hook.ts';
import { nsToMs, parseGoDuration } from '../duration/go-duration.ts';
import { makeIssue, type ParseIssue } from './issue.ts';
import { veleroProfile, type VeleroProfile, type VeleroReadOptions } from './profiles.ts';

export type DurationUse = 'exec' | 'wait';

/**
 * Reads a duration the way Velero does (unparseable → 0) and reports what Velero would do with it.
 * Returns milliseconds; 0 = unset.
 */
export function readDurationValue(value: string | undefined, key: string, use: DurationUse, issues: ParseIssue[]): number {
  if (value === undefined) return 0;
  const parsed = parseGoDuration(value);
  if (!parsed.ok) {
    const fallback = use === 'exec' ? 'the default 30s' : 'no wait deadline';
    issues.push(makeIssue('duration-invalid', key, `${parsed.error}; Velero ignores it and uses ${fallback}`));
    return 0;
  }
  const ms = nsToMs(parsed.ns);
  if (ms < 0) {
    const effect =
      use === 'exec'
        ? 'on Velero 1.18.x this negative exec timeout disables the timer (no timeout at all); Velero 1.19 and kubehooks use the default 30s'
        : 'the hook counts as expired as soon as its container is up';
    issues.push(makeIssue('duration-negative', key, `negative duration ${JSON.stringify(value)}: ${effect}`));
  } else if (use === 'exec' && ms > MAX_EXEC_TIMEOUT_MS) {
    issues.push(makeIssue('duration-too-long', key, `exec timeout ${JSON.stringify(value)} is above 4h: Velero 1.19 and kubehooks cap it to 4h; Velero 1.18.x applies it as written`));
  }
  return ms;
}

/** Go strconv.ParseBool. */
export function parseGoBool(value: string): boolean | undefined {
  switch (value) {
    case '1':
    case 't':
    case 'T':
    case 'TRUE':
    case 'true':
    case 'True':
      return true;
    case '0':
    case 'f':
    case 'F':
    case 'FALSE':
    case 'false':
    case 'False':
      return false;
    default:
      return undefined;
  }
}

/** A Go boolean annotation (wait-for-ready): anything ParseBool refuses is logged by Velero and read as false. */
export function readGoBoolValue(value: string | undefined, key: string, issues: ParseIssue[]): boolean {
  if (value === undefined) return false;
  const parsed = parseGoBool(value);
  if (parsed !== undefined) return parsed;
  issues.push(makeIssue('wait-for-ready-invalid', key, `strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax; Velero logs it and uses false`));
  return false;
}

// ---------- onError ----------

/** `"Continue" or "Fail"`, `"Continue", "Fail" or "FailBlock"`. */
export function quotedList(values: readonly string[]): string {
  const q = values.map((v) => JSON.stringify(v));
  return q.length <= 1 ? (q[0] ?? '') : `${q.slice(0, -1).join(', ')} or ${q.at(-1) ?? ''}`;
}

/** Why FailBlock does nothing more than Fail (post) or nothing at all (restore); undefined for pre hooks. */
export function failBlockNoEffect(phase: HookPhase | undefined): string | undefined {
  if (phase === 'post') return 'does nothing more than "Fail" on a post hook: the ItemBlock is already backed up (Velero 1.19 treats it as Fail)';
  if (phase === 'restore') return 'does nothing on a restore hook: restores have no ItemBlocks and Velero treats it as Continue; write "Fail" to stop the pod\'s later hooks';
  return undefined;
}

/**
 * What differs between the two places an onError is written. An annotation Velero does not know is
 * ignored (the hook behaves as Continue); a spec value outside the CRD enum makes the API server
 * reject the whole object (an error).
 */
interface OnErrorSource {
  /** The field as the user wrote it: `on-error` (annotation), `onError` (spec). */
  readonly field: string;
  /** What Velero 1.18.x does with a FailBlock the 1.19 profile accepts: long and short. */
  readonly failBlockOn118: string;
  readonly failBlockOn118Short: string;
  /** The issue for a value the profile does not accept. */
  readonly invalid: (value: string, key: string, profile: VeleroProfile) => ParseIssue;
}

const ON_ERROR_SOURCES: Readonly<Record<HookSource, OnErrorSource>> = {
  annotation: {
    field: 'on-error',
    failBlockOn118: 'Velero 1.18.x does not know the value and ignores it (the hook behaves as Continue)',
    failBlockOn118Short: 'Velero 1.18.x ignores the value (Continue)',
    invalid: (value, key, profile) => {
      if (value === 'FailBlock') {
        return makeIssue(
          'on-error-invalid',
          key,
          `on-error "FailBlock" is not known to ${profile.label}: it silently ignores it and the hook behaves as Continue (FailBlock comes with Velero 1.19, PR #10177; --velero-version 1.19)`,
          { hint: 'Write "Fail" for Velero 1.18.x, or plan and lint with --velero-version 1.19 if that is what runs your backups.' },
        );
      }
      const lower = value.toLowerCase();
      const suggestion = lower === 'fail' ? 'Fail' : lower === 'continue' ? 'Continue' : lower === 'failblock' && profile.onErrorValues.includes('FailBlock') ? 'FailBlock' : undefined;
      return makeIssue(
        'on-error-invalid',
        key,
        `on-error ${JSON.stringify(value)} is not ${quotedList(profile.onErrorValues)}; Velero silently ignores it and the hook behaves as Continue`,
        suggestion === undefined ? {} : { hint: `Write ${JSON.stringify(suggestion)} (case-sensitive).` },
      );
    },
  },
  spec: {
    field: 'onError',
    failBlockOn118: 'the Velero 1.18.x CRD rejects the value (the API server refuses the object)',
    failBlockOn118Short: 'the Velero 1.18.x CRD rejects the value',
    invalid: (value, key, profile) => {
      const lower = value.toLowerCase();
      const fix = lower === 'fail' ? 'Fail' : lower === 'continue' ? 'Continue' : undefined;
      const failBlock = value === 'FailBlock' || lower === 'failblock';
      const message = failBlock
        ? `onError ${JSON.stringify(value)} is not in the ${profile.label} CRD enum (${quotedList(profile.onErrorValues)}): the API server rejects the object. FailBlock comes with Velero 1.19 (PR #10177)`
        : `onError ${JSON.stringify(value)} is not ${quotedList(profile.onErrorValues)}; the Velero CRD rejects it`;
      const hint = failBlock
        ? 'Write "Fail" for Velero 1.18.x, or plan, lint and run with --velero-version 1.19 if that is what runs your backups.'
        : fix === undefined ? undefined : `Write ${JSON.stringify(fix)} (case-sensitive).`;
      return makeIssue('on-error-invalid', key, message, { severity: 'error', ...(hint === undefined ? {} : { hint }) });
    },
  },
};

/**
 * Velero's onError rule, for annotations and spec.hooks alike: exactly one of the profile's values
 * (Continue, Fail; on 1.19 also FailBlock), anything else is unset and reported as the source
 * demands. `phase` is the hook's, for FailBlock's warnings; the profile is options.veleroVersion's.
 */
export function readOnError(
  value: string | null | undefined,
  key: string,
  source: HookSource,
  issues: ParseIssue[],
  options: VeleroReadOptions & { readonly phase?: HookPhase | undefined } = {},
): OnError | undefined {
  if (value === undefined || value === null) return undefined;
  const profile = veleroProfile(options.veleroVersion);
  const wording = ON_ERROR_SOURCES[source];
  if (!(profile.onErrorValues as readonly string[]).includes(value)) {
    issues.push(wording.invalid(value, key, profile));
    return undefined;
  }
  const mode = value as OnError;
  if (mode === 'FailBlock') {
    const noEffect = failBlockNoEffect(options.phase);
    issues.push(
      noEffect === undefined
        ? makeIssue('on-error-failblock', key, `${wording.field} "FailBlock": if this hook fails, Velero 1.19 leaves the pod's whole ItemBlock out of the backup; ${wording.failBlockOn118}`)
        : makeIssue('on-error-failblock-no-effect', key, `${wording.field} "FailBlock" ${noEffect}; ${wording.failBlockOn118Short}`),
    );
  }
  return mode;
}
