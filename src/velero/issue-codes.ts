import type { Severity } from '../model/diagnostic.ts';

export interface IssueCodeInfo {
  /** Default severity; a parser may raise or lower it where the context says so (documented per code). */
  readonly severity: Severity;
  /** One line: what Velero does with such input. */
  readonly meaning: string;
  /** Default hint: what to do about it. */
  readonly hint: string;
}

/**
 * Every code the parsers in src/velero (and the spec/annotation readers) can emit. Stable strings:
 * the lint layer, docs and JSON consumers key on them.
 */
export const ISSUE_CODES = {
  'duration-invalid': {
    severity: 'error',
    meaning:
      'The value is not a Go duration. Annotation: Velero logs a warning and uses the default (exec: 30s, wait: no deadline). spec.hooks: Velero cannot decode the metav1.Duration, so it cannot read the object.',
    hint: 'Use a Go duration with a unit, e.g. "30s", "1m30s", "1.5h" (units: ns, us, ms, s, m, h; no "d").',
  },
  'duration-negative': {
    severity: 'warning',
    meaning:
      'A negative duration parses: as exec timeout Velero 1.18.x disables the timer (no timeout at all), Velero 1.19 and kubehooks use 30s; as wait timeout the hook expires as soon as it is reached.',
    hint: 'Use a positive duration, or remove the value to get the default.',
  },
  'duration-too-long': {
    severity: 'warning',
    meaning: 'Exec timeouts above 4h are capped to 4h by Velero 1.19 and kubehooks; Velero 1.18.x applies them as written.',
    hint: 'Use at most "4h".',
  },
  'on-error-invalid': {
    severity: 'warning',
    meaning:
      'onError must be exactly "Continue" or "Fail" (Velero 1.19 also "FailBlock"); Velero silently treats anything else (e.g. "fail", or "FailBlock" on 1.18.x) as unset, which behaves as Continue. In spec.hooks the CRD enum rejects it (error).',
    hint: 'Write "Fail" or "Continue" with that capitalisation.',
  },
  'on-error-failblock': {
    severity: 'info',
    meaning:
      'FailBlock exists only from Velero 1.19 (PR #10177, proposed): a failed pre hook then leaves its whole ItemBlock (pod, PVCs, PVs) out of the backup. Velero 1.18.x rejects it in spec.hooks (CRD enum) and ignores it in an annotation (the hook behaves as Continue).',
    hint: 'Make sure every Velero that reads this object is 1.19 or later; for 1.18.x write "Fail".',
  },
  'on-error-failblock-no-effect': {
    severity: 'warning',
    meaning:
      'FailBlock (Velero 1.19, PR #10177) skips the whole ItemBlock when a pre hook fails. On a post hook the block is already backed up, so it acts as Fail; on a restore hook (no ItemBlocks) Velero treats it as Continue.',
    hint: 'Use FailBlock on pre hooks only; write "Fail" on post and restore hooks.',
  },
  'command-json-invalid': {
    severity: 'error',
    meaning:
      'The command starts like a JSON array but is not a JSON array of strings (or leading whitespace hides the "["); Velero then runs the whole text as ONE argv element, which fails.',
    hint: 'Write a JSON array of strings starting with "[" at the first character, e.g. ["/bin/sh","-c","echo hi"].',
  },
  'command-shell-line': {
    severity: 'error',
    meaning:
      'The program (first argv element) contains whitespace: Velero never splits commands or runs a shell, so the exec looks for a binary with that whole name and fails.',
    hint: 'Split it into a JSON array, or run a shell: ["/bin/sh","-c","<your command line>"].',
  },
  'command-empty': {
    severity: 'error',
    meaning: 'The command is an empty array (or its program is ""); Velero fails the hook with "command is required".',
    hint: 'Give at least the program to run, e.g. ["/bin/sync"].',
  },
  'command-null-element': {
    severity: 'warning',
    meaning: 'A JSON null inside the command array becomes an empty-string argument (Go semantics).',
    hint: 'Replace null with the intended string.',
  },
  'command-missing': {
    severity: 'warning',
    meaning:
      'Hook settings are present but the command is absent or empty, so Velero declares no hook and ignores the other settings.',
    hint: 'Add the ".../command" annotation (or remove the stray settings).',
  },
  'annotation-key-unknown': {
    severity: 'warning',
    meaning: 'An annotation under a Velero hook prefix that Velero never reads; its value has no effect.',
    hint: 'Fix the key name (see the suggestion) or remove it.',
  },
  'annotation-family-mixed': {
    severity: 'warning',
    meaning:
      'Backup pre hooks come from ONE family: pre.hook.backup.velero.io/* if its command is set, else the legacy hook.backup.velero.io/*; keys of the other family are ignored.',
    hint: 'Put all settings of the pre hook under the same prefix, preferably pre.hook.backup.velero.io/.',
  },
  'restore-timeout-ignored': {
    severity: 'warning',
    meaning:
      'post.hook.restore.velero.io/timeout is not read by Velero (restore exec hooks use exec-timeout and wait-timeout); the exec timeout stays 30s.',
    hint: 'Rename it to post.hook.restore.velero.io/exec-timeout (or wait-timeout for the time to wait for the container).',
  },
  'wait-for-ready-invalid': {
    severity: 'warning',
    meaning:
      'wait-for-ready is parsed with Go strconv.ParseBool (1, t, T, TRUE, true, True / 0, f, F, FALSE, false, False); anything else is logged and treated as false.',
    hint: 'Write "true" or "false".',
  },
  'init-command-missing': {
    severity: 'error',
    meaning:
      'Annotation init hook without command: Velero up to 1.18.2 panics and fails the pod restore; kubehooks (like the upstream fix) injects a container that runs the image entrypoint.',
    hint: 'Add init.hook.restore.velero.io/command, e.g. ["/bin/sh","-c","..."].',
  },
  'init-image-missing': {
    severity: 'warning',
    meaning:
      'Init hook annotations are present but init.hook.restore.velero.io/container-image is absent or empty, so no init container is added.',
    hint: 'Add init.hook.restore.velero.io/container-image.',
  },
  'init-name-generated': {
    severity: 'info',
    meaning: 'No init container name is given; a random name velero-restore-init-xxxxxxxx is generated at restore time.',
    hint: 'Set init.hook.restore.velero.io/container-name for a stable name.',
  },
  'init-timeout-unused': {
    severity: 'info',
    meaning: 'The init hook timeout (annotation or spec.hooks ... init.timeout) is declared by Velero but never used.',
    hint: 'Remove it; init containers have no timeout.',
  },
  'init-container-invalid': {
    severity: 'error',
    meaning:
      'A spec init container lacks name, image or command (or is not a container object); Velero fails restore validation ("invalid InitContainer in restore hook, it doesn\'t have Command, Name or Image field").',
    hint: 'Give every init container a name, an image and a non-empty command.',
  },
  'spec-hook-name-empty': {
    severity: 'error',
    meaning: 'A spec.hooks.resources entry with an empty name: every one of its exec hooks fails with "hookName is required".',
    hint: 'Give the entry a non-empty name.',
  },
  'spec-schema-invalid': {
    severity: 'error',
    meaning: 'The value does not have the type or shape the Velero CRD requires; the API server rejects the object.',
    hint: 'Fix the field to match the velero.io/v1 schema.',
  },
  'spec-hook-empty': {
    severity: 'warning',
    meaning: 'A hook list element without exec (or, for restore, without exec and init) does nothing.',
    hint: 'Add an exec (or init) section or remove the element.',
  },
  'spec-entry-no-hooks': {
    severity: 'info',
    meaning: 'A spec.hooks.resources entry has no hooks at all.',
    hint: 'Add pre/post (backup) or postHooks (restore), or remove the entry.',
  },
  'label-selector-invalid': {
    severity: 'error',
    meaning:
      'The labelSelector cannot be converted (bad operator, In/NotIn without values, Exists/DoesNotExist with values, bad key or value): the backup fails, the restore fails validation.',
    hint: 'Use operators In, NotIn, Exists, DoesNotExist; give values only to In/NotIn; use valid label keys and values.',
  },
  'namespace-glob-invalid': {
    severity: 'error',
    meaning:
      'A namespace pattern is not a valid glob; Velero then treats its whole list as matching nothing (and may skip later valid patterns).',
    hint: 'Close every "[" and "{", or escape it with a backslash.',
  },
  'resources-filter-ignored': {
    severity: 'info',
    meaning: 'Restore hooks ignore includedResources/excludedResources; they always apply to pods only.',
    hint: 'Remove the resource filters; use namespaces and labelSelector to choose pods.',
  },
  'resources-exclude-pods': {
    severity: 'error',
    meaning:
      'The backup hook entry\'s includedResources/excludedResources leave out pods; hooks only ever run on pods, so this entry never runs.',
    hint: 'Remove the resource filters, or include "pods".',
  },
  'scope-invalid': {
    severity: 'error',
    meaning:
      'The Backup\'s or Restore\'s own scope fails Velero\'s validation (includes/excludes lists, labelSelector together with orLabelSelectors, old and new resource filters mixed): the backup fails validation or the restore is FailedValidation, so no hook runs.',
    hint: 'Use either labelSelector or orLabelSelectors; do not list an item in both includes and excludes; do not put "*" in excludes; do not mix includedResources/excludedResources with the *ScopedResources lists.',
  },
  'object-invalid': {
    severity: 'error',
    meaning: 'The object is not a velero.io/v1 Backup, Restore or Schedule of the expected kind.',
    hint: 'Pass an object with apiVersion velero.io/v1 and the expected kind.',
  },
  'stage-invalid': {
    severity: 'error',
    meaning:
      'A kubehooks stage (the kubehooks.dev/stage pod annotation, the stage field of a spec.hooks.resources entry, or a value of the Backup\'s kubehooks.dev/stages annotation) is not a whole number, or kubehooks.dev/stages is not a JSON object. Velero ignores stages; kubehooks refuses to plan or run the window with an order it cannot read.',
    hint: 'Write a whole number from 0 to 999: "1" in an annotation, 1 in the spec field, {"entry-name": 1} in kubehooks.dev/stages.',
  },
  'stage-negative': {
    severity: 'error',
    meaning: 'A kubehooks stage is negative. Stages are whole numbers from 0 to 999; hooks without a stage are in stage 0.',
    hint: 'Number the stages 1, 2, 3…; leave the stage out for stage 0.',
  },
  'stage-out-of-range': {
    severity: 'error',
    meaning: 'A kubehooks stage is above 999, the highest stage kubehooks accepts.',
    hint: 'Number the stages from 1 up; only their order matters.',
  },
  'stage-entry-unknown': {
    severity: 'warning',
    meaning: 'The Backup\'s kubehooks.dev/stages annotation names a spec.hooks.resources entry that does not exist, so it sets no stage.',
    hint: 'Use the entry\'s name exactly as in spec.hooks.resources[].name.',
  },
  'stage-conflict': {
    severity: 'warning',
    meaning: 'A spec.hooks.resources entry has a stage field and the Backup\'s kubehooks.dev/stages annotation gives it another stage; the field wins.',
    hint: 'Keep one of them (the annotation survives in a cluster, where Velero\'s CRD drops the field).',
  },
  'stage-not-applicable': {
    severity: 'warning',
    meaning: 'A stage on a Restore (entry field or kubehooks.dev/stages): stages order backup hooks only; restore hooks run as Velero runs them.',
    hint: 'Remove the stage from the Restore.',
  },
  'extension-key-unknown': {
    severity: 'warning',
    meaning: 'An annotation under kubehooks.dev/ that kubehooks does not read (the pod extension key is kubehooks.dev/stage); it has no effect.',
    hint: 'Fix the key name (see the suggestion) or remove it.',
  },
} as const satisfies Readonly<Record<string, IssueCodeInfo>>;

export type IssueCode = keyof typeof ISSUE_CODES;

export function isIssueCode(code: string): code is IssueCode {
  return Object.hasOwn(ISSUE_CODES, code);
}
