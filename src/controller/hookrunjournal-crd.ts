/**
 * The CustomResourceDefinition of HookRunJournal (`hookrunjournals.kubehooks.dev`, v1alpha1, ADR 0024):
 * the write-ahead part of a HookRun's journal, one per HookRun (same namespace and name, an
 * ownerReference to it). A structural schema, no subresources (the controller PUTs the whole object).
 * Pure: `kubehooks manifests controller` and the Helm chart print it.
 */
import {
  HOOKRUN_GROUP,
  HOOKRUN_VERSION,
  HOOKRUNJOURNAL_CRD_NAME,
  HOOKRUNJOURNAL_KIND,
  HOOKRUNJOURNAL_PLURAL,
  JOURNAL_OUTCOME_STATUSES,
  MAX_HOOKS_PER_RUN,
} from './hookrun-types.ts';

type Schema = Record<string, unknown>;

const entrySchema: Schema = {
  type: 'object',
  description: 'A hook whose start is durable: it may have executed from here on.',
  required: ['namespace', 'pod', 'container', 'source', 'name', 'phase', 'index', 'startedAt'],
  properties: {
    namespace: { type: 'string', maxLength: 63 },
    pod: { type: 'string', maxLength: 253 },
    container: { type: 'string', maxLength: 253 },
    source: { type: 'string', enum: ['annotation', 'spec'] },
    name: { type: 'string', maxLength: 1024 },
    phase: { type: 'string', enum: ['pre', 'post', 'restore'] },
    index: { type: 'integer', minimum: 0 },
    startedAt: { type: 'string', format: 'date-time' },
    outcome: {
      type: 'object',
      description: 'The hook\'s outcome, once known (no output: that is in the HookRun status).',
      required: ['status'],
      properties: {
        status: { type: 'string', enum: [...JOURNAL_OUTCOME_STATUSES] },
        exitCode: { type: 'integer', nullable: true },
        durationMs: { type: 'integer', nullable: true, minimum: 0 },
        reasonCode: { type: 'string', maxLength: 64 },
      },
    },
  },
};

/** The CRD, as `kubehooks manifests controller` prints it. */
export function hookRunJournalCrd(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: HOOKRUNJOURNAL_CRD_NAME, labels: { 'app.kubernetes.io/name': 'kubehooks' } },
    spec: {
      group: HOOKRUN_GROUP,
      scope: 'Namespaced',
      names: { plural: HOOKRUNJOURNAL_PLURAL, singular: 'hookrunjournal', kind: HOOKRUNJOURNAL_KIND, listKind: `${HOOKRUNJOURNAL_KIND}List`, categories: ['kubehooks'] },
      versions: [
        {
          name: HOOKRUN_VERSION,
          served: true,
          storage: true,
          additionalPrinterColumns: [
            { name: 'Holder', type: 'string', jsonPath: '.spec.holder', description: 'The controller process that wrote it last' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: 'HookRunJournal is written by the kubehooks controller only: the hooks of the HookRun of the same name whose start is durable and whose final result the HookRun status does not hold yet. Deleted with its HookRun (ownerReference).',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: {
                  type: 'object',
                  required: ['hookRunUID', 'holder', 'entries'],
                  properties: {
                    hookRunUID: { type: 'string', maxLength: 128, description: 'metadata.uid of the HookRun this journal belongs to.' },
                    holder: { type: 'string', maxLength: 253, description: 'The controller process that wrote the journal last.' },
                    entries: {
                      type: 'array',
                      description: 'Durable starts, with their outcomes once known; an entry leaves once the HookRun status holds its final result.',
                      maxItems: MAX_HOOKS_PER_RUN,
                      'x-kubernetes-list-type': 'atomic',
                      items: entrySchema,
                    },
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
}
