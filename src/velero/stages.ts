/**
 * kubehooks' stage extension (ADR 0019): an order across pods that Velero ignores. A pod's
 * `kubehooks.dev/stage` annotation, a `stage` field on a Backup's `spec.hooks.resources[]` entry, or
 * the Backup's `kubehooks.dev/stages` annotation (entry name → stage, for Backups stored in a cluster,
 * where the CRD prunes the field). Readers never throw; bad values are ParseIssues of severity error,
 * so `plan` and `run` refuse them as they refuse other bad input.
 */
import { EXTENSION_PREFIX, EXTENSION_SETTINGS } from './annotation-settings.ts';
import { editDistance } from './unknown-keys.ts';
import { makeIssue, type ParseIssue } from './issue.ts';
import { isRecord } from '../util/is-record.ts';

/** The pod annotation: the stage of every backup hook of the pod (pre and post, annotation or spec). */
export const STAGE_ANNOTATION = `${EXTENSION_PREFIX}${EXTENSION_SETTINGS[0].suffix}`;
/** The Backup/Schedule annotation: `{"<entry name>": <stage>, …}` for stored Backups. */
export const BACKUP_STAGES_ANNOTATION = `${EXTENSION_PREFIX}stages`;
/** The field on a `spec.hooks.resources[]` entry. */
export const STAGE_FIELD = 'stage';
/** Stages are whole numbers from 0 to MAX_STAGE; a hook without a stage is in stage 0. */
export const MAX_STAGE = 999;
export const DEFAULT_STAGE = 0;

/** The extension keys kubehooks reads on pods (lint warns about others under `kubehooks.dev/`). */
export const POD_EXTENSION_KEYS: readonly string[] = EXTENSION_SETTINGS.map((s) => EXTENSION_PREFIX + s.suffix);

const RANGE = `a whole number from 0 to ${MAX_STAGE}`;

function tooLarge(key: string, shown: string, issues: ParseIssue[], label = key): number | undefined {
  issues.push(
    makeIssue('stage-out-of-range', key, `${label} ${shown} is above ${MAX_STAGE}: stages are ${RANGE}`, {
      hint: `Number the stages from 1 up (1, 2, 3…); at most ${MAX_STAGE}.`,
    }),
  );
  return undefined;
}

function negative(key: string, shown: string, issues: ParseIssue[], label = key): number | undefined {
  issues.push(
    makeIssue('stage-negative', key, `${label} ${shown} is negative: stages are ${RANGE}`, {
      hint: 'Hooks without a stage are in stage 0 and run first; number the later stages 1, 2, 3….',
    }),
  );
  return undefined;
}

/**
 * A stage written as annotation text: decimal digits only, no sign, no leading zero, no spaces.
 * undefined (with an issue) when it is not a valid stage.
 */
export function readStageText(text: string, key: string, issues: ParseIssue[]): number | undefined {
  const shown = JSON.stringify(text);
  if (/^(0|[1-9][0-9]*)$/.test(text)) {
    const n = Number(text);
    return n > MAX_STAGE ? tooLarge(key, shown, issues) : n;
  }
  const trimmed = text.trim();
  if (/^-[0-9]+$/.test(trimmed)) return negative(key, shown, issues);
  let hint = `Write ${RANGE} in quotes, e.g. "1".`;
  if (/^\+?[0-9]+(\.0*)?$/.test(trimmed)) {
    const n = Number.parseInt(trimmed.replace(/^\+/, ''), 10);
    if (n <= MAX_STAGE) hint = `Write ${JSON.stringify(String(n))}.`;
  }
  const what = text === '' ? 'is empty' : `${shown} is not a whole number`;
  issues.push(makeIssue('stage-invalid', key, `${key} ${what}: a stage is ${RANGE}; kubehooks does not run a plan with it (Velero ignores the key)`, { hint }));
  return undefined;
}

/** A stage written as a YAML/JSON value (the spec field, a value of the Backup annotation's map). */
export function readStageValue(value: unknown, key: string, issues: ParseIssue[], label = key): number | undefined {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) {
      issues.push(
        makeIssue('stage-invalid', key, `${label} ${value} is not a whole number: a stage is ${RANGE}`, {
          hint: Number.isFinite(value) && value > 0 && value <= MAX_STAGE ? `Write ${Math.round(value)}.` : `Write ${RANGE}.`,
        }),
      );
      return undefined;
    }
    if (value < 0) return negative(key, String(value), issues, label);
    if (value > MAX_STAGE) return tooLarge(key, String(value), issues, label);
    return value;
  }
  const described = typeof value === 'string' ? `the string ${JSON.stringify(value)}` : value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'an object' : typeof value === 'boolean' ? `the boolean ${value ? 'true' : 'false'}` : `a ${typeof value}`;
  const digits = typeof value === 'string' && /^(0|[1-9][0-9]*)$/.test(value.trim()) && Number(value) <= MAX_STAGE;
  issues.push(
    makeIssue('stage-invalid', key, `${label} is ${described}: a stage is ${RANGE}`, {
      hint: digits ? `Write ${String(Number(value))} without quotes.` : `Write ${RANGE}, e.g. ${STAGE_FIELD}: 1.`,
    }),
  );
  return undefined;
}

function annotationsOf(annotations: unknown): Readonly<Record<string, unknown>> | undefined {
  return isRecord(annotations) ? annotations : undefined;
}

export interface PodStageRead {
  /** undefined: the pod declares no stage (or an invalid one: see issues). */
  readonly stage: number | undefined;
  /** true when the annotation is present but not a valid stage: kubehooks refuses to plan the pod. */
  readonly invalid: boolean;
  readonly issues: readonly ParseIssue[];
}

/** The pod's `kubehooks.dev/stage`. A non-string value is the loader's business (annotation-not-string). */
export function readPodStage(annotations: unknown): PodStageRead {
  const record = annotationsOf(annotations);
  if (record === undefined || !Object.hasOwn(record, STAGE_ANNOTATION)) return { stage: undefined, invalid: false, issues: [] };
  const value = record[STAGE_ANNOTATION];
  const issues: ParseIssue[] = [];
  const stage = typeof value === 'string' ? readStageText(value, STAGE_ANNOTATION, issues) : readStageValue(value, STAGE_ANNOTATION, issues);
  return { stage, invalid: stage === undefined, issues };
}

/**
 * Keys under `kubehooks.dev/` on a pod that kubehooks does not read (a typo of `kubehooks.dev/stage`,
 * a per-container form that does not exist). Warnings: such a key has no effect.
 */
export function lintExtensionKeys(annotations: unknown, known: readonly string[] = POD_EXTENSION_KEYS): ParseIssue[] {
  const record = annotationsOf(annotations);
  if (record === undefined) return [];
  const issues: ParseIssue[] = [];
  for (const key of Object.keys(record)) {
    if (!key.startsWith(EXTENSION_PREFIX) || known.includes(key)) continue;
    const suffix = key.slice(EXTENSION_PREFIX.length);
    let hint: string;
    if (suffix.startsWith(`${STAGE_FIELD}.`) || suffix.startsWith(`${STAGE_FIELD}/`) || suffix.startsWith(`${STAGE_FIELD}-`)) {
      hint = `${STAGE_ANNOTATION} sets the stage of all of the pod's backup hooks; there is no per-container form. To give one container of the pod its own stage, use a spec.hooks.resources entry with "container" and "${STAGE_FIELD}".`;
    } else {
      const near = known.map((k) => ({ k, d: editDistance(key.slice(EXTENSION_PREFIX.length), k.slice(EXTENSION_PREFIX.length)) })).sort((a, b) => a.d - b.d)[0];
      hint = near !== undefined && near.d <= 2 ? `Did you mean ${near.k}?` : `Known keys: ${known.join(', ')}.`;
    }
    issues.push(makeIssue('extension-key-unknown', key, `${key} is not a kubehooks annotation; nothing reads it`, { hint }));
  }
  return issues;
}

/** Every stage issue of one pod's annotations (lint). */
export function lintPodStageAnnotations(annotations: unknown): ParseIssue[] {
  return [...readPodStage(annotations).issues, ...lintExtensionKeys(annotations)];
}

/**
 * The Backup's `kubehooks.dev/stages`: a JSON object of entry name → stage. Names that no entry has
 * get a warning; a value that is not a stage, an error. Returns the valid pairs.
 */
export function readBackupStageMap(annotations: unknown, entryNames: readonly string[], issues: ParseIssue[]): ReadonlyMap<string, number> {
  const out = new Map<string, number>();
  const record = annotationsOf(annotations);
  if (record === undefined || !Object.hasOwn(record, BACKUP_STAGES_ANNOTATION)) return out;
  const key = BACKUP_STAGES_ANNOTATION;
  const text = record[key];
  const example = `{"${entryNames[0] ?? 'freeze-app'}": 1${entryNames[1] === undefined ? '' : `, "${entryNames[1]}": 2`}}`;
  let parsed: unknown;
  try {
    parsed = typeof text === 'string' ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!isRecord(parsed)) {
    issues.push(
      makeIssue('stage-invalid', key, `${key} is not a JSON object of spec.hooks.resources entry names and stages`, {
        hint: `Write a JSON object, e.g. ${example}.`,
      }),
    );
    return out;
  }
  for (const [name, value] of Object.entries(parsed)) {
    const at = `${key} ${JSON.stringify(name)}`;
    const stage = readStageValue(value, key, issues, at);
    if (!entryNames.includes(name)) {
      const near = entryNames.map((n) => ({ n, d: editDistance(name, n) })).sort((a, b) => a.d - b.d)[0];
      issues.push(
        makeIssue('stage-entry-unknown', key, `${key} names ${JSON.stringify(name)}, but no spec.hooks.resources entry has that name; it sets no stage`, {
          hint: near !== undefined && near.d <= 2 ? `Did you mean ${JSON.stringify(near.n)}?` : `Entry names: ${entryNames.map((n) => JSON.stringify(n)).join(', ') || '(none)'}.`,
        }),
      );
      continue;
    }
    if (stage !== undefined) out.set(name, stage);
  }
  return out;
}
