/**
 * The ValidatingWebhookConfiguration that `kubehooks manifests webhook` prints: the webhook for
 * exactly the kinds it reviews, failing open, without side effects, with a short timeout and
 * kube-system left alone. Pure.
 */

export const WEBHOOK_CONFIGURATION_NAME = 'kubehooks';
export const WEBHOOK_NAME = 'hooks.kubehooks.dev';
export const WEBHOOK_PATH = '/validate';
/** ≤ 2 s: the webhook answers well within it (its own request deadline is 1 s). */
export const DEFAULT_WEBHOOK_TIMEOUT_SECONDS = 2;

/** The kinds reviewed: pods, the workloads whose pod templates carry hooks, and Velero's hook objects. */
export const WEBHOOK_RULES = [
  { apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] },
  { apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'] },
  { apiGroups: ['batch'], apiVersions: ['v1'], resources: ['jobs', 'cronjobs'] },
  { apiGroups: ['velero.io'], apiVersions: ['v1'], resources: ['backups', 'schedules', 'restores'] },
] as const;

export type WebhookTarget =
  | { readonly url: string }
  | { readonly service: { readonly namespace: string; readonly name: string; readonly port: number; readonly path: string } };

export interface WebhookManifestOptions {
  readonly target: WebhookTarget;
  /** PEM bundle of the CA(s) that signed the serving certificate (encoded to base64 here). */
  readonly caBundlePem: string;
  readonly failurePolicy?: 'Ignore' | 'Fail';
  readonly timeoutSeconds?: number;
  readonly name?: string;
  /** Extra namespaces to leave alone besides kube-system. */
  readonly excludeNamespaces?: readonly string[];
}

export function webhookConfiguration(options: WebhookManifestOptions): Record<string, unknown> {
  const clientConfig =
    'url' in options.target
      ? { url: options.target.url }
      : { service: { ...options.target.service } };
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: options.name ?? WEBHOOK_CONFIGURATION_NAME, labels: { 'app.kubernetes.io/name': 'kubehooks' } },
    webhooks: [
      {
        name: WEBHOOK_NAME,
        admissionReviewVersions: ['v1'],
        clientConfig: { ...clientConfig, caBundle: Buffer.from(options.caBundlePem, 'utf8').toString('base64') },
        rules: WEBHOOK_RULES.map((r) => ({
          operations: ['CREATE', 'UPDATE'],
          apiGroups: [...r.apiGroups],
          apiVersions: [...r.apiVersions],
          resources: [...r.resources],
          scope: 'Namespaced',
        })),
        failurePolicy: options.failurePolicy ?? 'Ignore',
        sideEffects: 'None',
        timeoutSeconds: options.timeoutSeconds ?? DEFAULT_WEBHOOK_TIMEOUT_SECONDS,
        matchPolicy: 'Equivalent',
        namespaceSelector: {
          matchExpressions: [
            { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', ...(options.excludeNamespaces ?? [])] },
          ],
        },
      },
    ],
  };
}
