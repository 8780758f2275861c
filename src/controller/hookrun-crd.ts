/**
 * The CustomResourceDefinition of HookRun (`hookruns.kubehooks.dev`, v1alpha1): a structural schema
 * whose refusals name the field, CEL rules for what the structure cannot say (one hook source, the
 * source matching the phase, no negative deadline, the spec frozen once the run started), printer
 * columns and the status subresource. Pure: `kubehooks manifests controller` and the Helm chart print it.
 */
import { GO_DURATION_RE, celString } from '../admission/policy.ts';
import {
  HOOKRUN_CRD_NAME,
  HOOKRUN_GROUP,
  HOOKRUN_KIND,
  HOOKRUN_PHASES,
  HOOKRUN_PLURAL,
  HOOKRUN_RESULT_STATUSES,
  HOOKRUN_STATUS_PHASES,
  HOOKRUN_VERSION,
  MAX_HOOKS_PER_RUN,
  OUTPUT_TAIL_MAX_BYTES,
  REASON_MAX_BYTES,
  SKIPPED_MAX_ENTRIES,
} from './hookrun-types.ts';
import { SKIP_CODES } from '../model/skip.ts';

type Schema = Record<string, unknown>;

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

const str = (description: string, extra: Schema = {}): Schema => ({ type: 'string', description, ...extra });
const bool = (description: string): Schema => ({ type: 'boolean', description });

const namespaceName = (description: string): Schema => str(description, { maxLength: 63, pattern: DNS_LABEL });

function objectRef(what: string): Schema {
  return {
    type: 'object',
    description: `A ${what} in the cluster, read when the run starts.`,
    required: ['name'],
    properties: {
      namespace: namespaceName(`Namespace of the ${what}; defaults to the HookRun's namespace.`),
      name: str(`Name of the ${what}.`, { maxLength: 253, minLength: 1, pattern: DNS_SUBDOMAIN }),
    },
  };
}

function veleroObject(kinds: readonly string[]): Schema {
  const kindList = kinds.join(' or ');
  return {
    type: 'object',
    description: `An inline velero.io/v1 ${kindList}, read by the same parser as \`kubehooks run\` (its spec.hooks and scope).`,
    'x-kubernetes-embedded-resource': true,
    'x-kubernetes-preserve-unknown-fields': true,
    required: ['apiVersion', 'kind'],
    properties: {
      apiVersion: str('Must be velero.io/v1.', { maxLength: 64 }),
      kind: str(`${kindList}.`, { maxLength: 64 }),
    },
    'x-kubernetes-validations': [
      { rule: "self.apiVersion == 'velero.io/v1'", message: 'must be a velero.io/v1 object (apiVersion: velero.io/v1)', fieldPath: '.apiVersion', reason: 'FieldValueInvalid' },
      { rule: `self.kind in [${kinds.map(celString).join(', ')}]`, message: `kind must be ${kindList}`, fieldPath: '.kind', reason: 'FieldValueInvalid' },
    ],
  };
}

const labelSelector: Schema = {
  type: 'object',
  description: 'Only pods whose labels match (metav1.LabelSelector; the CLI\'s -l).',
  'x-kubernetes-map-type': 'atomic',
  properties: {
    matchLabels: { type: 'object', additionalProperties: { type: 'string', maxLength: 63 }, maxProperties: 64 },
    matchExpressions: {
      type: 'array',
      maxItems: 64,
      'x-kubernetes-list-type': 'atomic',
      items: {
        type: 'object',
        required: ['key', 'operator'],
        properties: {
          key: str('Label key.', { maxLength: 317, minLength: 1 }),
          operator: str('In, NotIn, Exists or DoesNotExist.', { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] }),
          values: { type: 'array', maxItems: 256, items: { type: 'string', maxLength: 63 }, 'x-kubernetes-list-type': 'atomic' },
        },
        'x-kubernetes-validations': [
          {
            rule: "self.operator in ['In', 'NotIn'] ? (has(self.values) && size(self.values) > 0) : (!has(self.values) || size(self.values) == 0)",
            message: 'values must be non-empty for In and NotIn, and empty for Exists and DoesNotExist',
            fieldPath: '.values',
            reason: 'FieldValueInvalid',
          },
        ],
      },
    },
  },
};

const globList = (description: string): Schema => ({
  type: 'array',
  description,
  maxItems: 64,
  'x-kubernetes-list-type': 'set',
  items: { type: 'string', minLength: 1, maxLength: 253 },
});

const SOURCES = ['backup', 'backupRef', 'restore', 'restoreRef'] as const;

const specSchema: Schema = {
  type: 'object',
  description: 'What to run. Frozen once the run has started (status.startTime set): create a new HookRun instead.',
  required: ['phase'],
  properties: {
    phase: str('Which hooks: pre-backup, post-backup (the Backup\'s spec.hooks and pod annotations) or post-restore (the Restore\'s).', { enum: [...HOOKRUN_PHASES] }),
    backup: veleroObject(['Backup', 'Schedule']),
    restore: veleroObject(['Restore']),
    backupRef: objectRef('velero.io/v1 Backup'),
    restoreRef: objectRef('velero.io/v1 Restore'),
    namespaces: {
      type: 'array',
      description: 'Namespaces to act in (the CLI\'s -n); empty = the namespaces the Backup/Restore names, else all.',
      maxItems: 256,
      'x-kubernetes-list-type': 'set',
      items: namespaceName('A namespace name.'),
    },
    selector: labelSelector,
    concurrency: { type: 'integer', description: 'Most hook commands running at once (hard maximum; unset: adaptive from 8 up to 64).', minimum: 1, maximum: 1000 },
    deadline: str('Overall deadline as a Go duration, counted from status.startTime (also across controller restarts); unset: 10m for post-restore, none for backups; 0 = none.', {
      maxLength: 64,
      pattern: GO_DURATION_RE,
      'x-kubernetes-validations': [{ rule: "!self.startsWith('-') || duration(self) >= duration('0s')", message: 'must not be negative (0 = no deadline)', reason: 'FieldValueInvalid' }],
    }),
    noAnnotationHooks: bool('Ignore hook annotations on pods; run only the Backup/Restore spec.hooks.'),
    noOutput: bool('Leave command stdout/stderr out of status.results.'),
    allowNamespaces: globList('Hooks may run only in namespaces matching one of these globs (Velero\'s glob syntax).'),
    denyNamespaces: globList('Hooks never run in namespaces matching one of these globs; a deny match always wins.'),
  },
  'x-kubernetes-validations': [
    {
      rule: `[${SOURCES.map((s) => `has(self.${s})`).join(', ')}].filter(x, x).size() == 1`,
      message: 'exactly one of spec.backup, spec.backupRef, spec.restore or spec.restoreRef must be set',
      reason: 'FieldValueRequired',
    },
    {
      rule: "self.phase == 'post-restore' ? !(has(self.backup) || has(self.backupRef)) : !(has(self.restore) || has(self.restoreRef))",
      messageExpression: "self.phase == 'post-restore' ? 'phase post-restore takes spec.restore or spec.restoreRef, not a Backup' : 'phase ' + self.phase + ' takes spec.backup or spec.backupRef, not a Restore'",
      fieldPath: '.phase',
      reason: 'FieldValueInvalid',
    },
  ],
};

const resultSchema: Schema = {
  type: 'object',
  required: ['namespace', 'pod', 'container', 'source', 'name', 'phase', 'index', 'status'],
  properties: {
    namespace: { type: 'string' },
    pod: { type: 'string' },
    container: { type: 'string' },
    source: { type: 'string', enum: ['annotation', 'spec'] },
    name: { type: 'string' },
    phase: { type: 'string', enum: ['pre', 'post', 'restore'] },
    index: { type: 'integer', minimum: 0 },
    status: { type: 'string', enum: [...HOOKRUN_RESULT_STATUSES] },
    exitCode: { type: 'integer', nullable: true },
    stdout: { type: 'string', description: `Tail of stdout, at most ${OUTPUT_TAIL_MAX_BYTES} bytes (status.outputTailBytes for this run).` },
    stderr: { type: 'string', description: `Tail of stderr, at most ${OUTPUT_TAIL_MAX_BYTES} bytes.` },
    truncated: { type: 'boolean' },
    startedAt: { type: 'string', format: 'date-time', nullable: true },
    durationMs: { type: 'integer', nullable: true, minimum: 0 },
    reason: { type: 'string', nullable: true, description: `At most ${REASON_MAX_BYTES} bytes.` },
    reasonCode: { type: 'string' },
  },
};

const conditionSchema: Schema = {
  type: 'object',
  required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
  properties: {
    type: { type: 'string', maxLength: 316, pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$' },
    status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
    observedGeneration: { type: 'integer', format: 'int64', minimum: 0 },
    lastTransitionTime: { type: 'string', format: 'date-time' },
    reason: { type: 'string', maxLength: 1024, minLength: 1, pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$' },
    message: { type: 'string', maxLength: 32768 },
  },
};

const count = (description: string): Schema => ({ type: 'integer', minimum: 0, description });

const statusSchema: Schema = {
  type: 'object',
  description: 'Written by the controller only. It is the run\'s journal: a hook\'s start is recorded here before its exec.',
  properties: {
    phase: { type: 'string', enum: [...HOOKRUN_STATUS_PHASES], description: 'Pending, Running, Succeeded or Failed; see conditions for why.' },
    observedGeneration: { type: 'integer', format: 'int64', minimum: 0, description: 'The generation of the spec the run was planned from.' },
    conditions: { type: 'array', maxItems: 16, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'], items: conditionSchema },
    startTime: { type: 'string', format: 'date-time' },
    completionTime: { type: 'string', format: 'date-time' },
    summary: {
      type: 'object',
      properties: {
        attempted: count('Planned hooks (Velero\'s hooksAttempted).'),
        failed: count('Hooks whose outcome is a failure (Velero\'s hooksFailed).'),
        succeeded: count('Hooks that succeeded.'),
        running: count('Hooks started without a result yet.'),
        pending: count('Hooks planned but not started.'),
        skipped: count('Pods that get no hook (skipped[] lists the first ones).'),
      },
    },
    plannedPods: {
      type: 'array',
      description: 'The pods planned at the start; after a controller restart only these are considered.',
      maxItems: MAX_HOOKS_PER_RUN,
      'x-kubernetes-list-type': 'atomic',
      items: { type: 'object', required: ['namespace', 'name'], properties: { namespace: { type: 'string' }, name: { type: 'string' }, uid: { type: 'string' } } },
    },
    outputTailBytes: count('Bytes kept of each stream\'s tail in results[] for this run.'),
    holder: { type: 'string', maxLength: 253, description: 'The controller process that wrote the status last (pod name and a random suffix).' },
    journalUID: { type: 'string', maxLength: 128, description: 'metadata.uid of this run\'s HookRunJournal (same name), recorded with the plan: a resumed run whose journal is missing or has another uid runs nothing more.' },
    results: {
      type: 'array',
      description: `One entry per planned hook, shaped like \`kubehooks run -o json\`'s results[], plus status pending (not started) and running (started, no result yet); at most ${MAX_HOOKS_PER_RUN}.`,
      maxItems: MAX_HOOKS_PER_RUN,
      'x-kubernetes-list-type': 'atomic',
      items: resultSchema,
    },
    skipped: {
      type: 'array',
      description: `Pods that get no hook, with a stable code; the first ${SKIPPED_MAX_ENTRIES}.`,
      maxItems: SKIPPED_MAX_ENTRIES,
      'x-kubernetes-list-type': 'atomic',
      items: {
        type: 'object',
        required: ['namespace', 'pod', 'code', 'reason'],
        properties: { namespace: { type: 'string' }, pod: { type: 'string' }, code: { type: 'string', enum: Object.keys(SKIP_CODES) }, reason: { type: 'string' } },
      },
    },
  },
};

/** The CRD, as `kubehooks manifests controller` prints it. */
export function hookRunCrd(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: HOOKRUN_CRD_NAME, labels: { 'app.kubernetes.io/name': 'kubehooks' } },
    spec: {
      group: HOOKRUN_GROUP,
      scope: 'Namespaced',
      names: { plural: HOOKRUN_PLURAL, singular: 'hookrun', kind: HOOKRUN_KIND, listKind: `${HOOKRUN_KIND}List`, categories: ['kubehooks'] },
      versions: [
        {
          name: HOOKRUN_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Pending, Running, Succeeded or Failed' },
            { name: 'Attempted', type: 'integer', jsonPath: '.status.summary.attempted', description: 'Planned hooks' },
            { name: 'Failed', type: 'integer', jsonPath: '.status.summary.failed', description: 'Failed hooks' },
            { name: 'Hooks', type: 'string', jsonPath: '.spec.phase', priority: 1, description: 'pre-backup, post-backup or post-restore' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: 'HookRun runs Velero-format hooks (pod annotations and a Backup\'s or Restore\'s spec.hooks) once, in the cluster, and records every hook\'s outcome in its status.',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: specSchema,
                status: statusSchema,
              },
              'x-kubernetes-validations': [
                {
                  rule: '!has(oldSelf.status) || !has(oldSelf.status.startTime) || self.spec == oldSelf.spec',
                  message: 'spec cannot change once the run has started (status.startTime is set): the run is never re-run; create a new HookRun',
                  fieldPath: '.spec',
                  reason: 'FieldValueForbidden',
                },
              ],
            },
          },
        },
      ],
    },
  };
}
