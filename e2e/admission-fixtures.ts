/** Manifests for the admission e2e tests: one bad object per check, and good ones that must pass quietly. */
// JSON, which kubectl reads as YAML too, with no YAML 1.1 surprises (`y` is a boolean there).
const stringify = (v: unknown): string => JSON.stringify(v);

export function pod(ns: string, name: string, annotations: Record<string, string>): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, annotations },
    spec: { containers: [{ name: 'db', image: 'postgres' }] },
  });
}

export function workload(ns: string, kind: 'Deployment' | 'CronJob', name: string, annotations: Record<string, string>): string {
  const template = {
    metadata: { labels: { app: name }, annotations },
    spec: { restartPolicy: kind === 'CronJob' ? 'Never' : 'Always', containers: [{ name: 'web', image: 'nginx' }] },
  };
  return stringify(
    kind === 'Deployment'
      ? { apiVersion: 'apps/v1', kind, metadata: { name, namespace: ns }, spec: { selector: { matchLabels: { app: name } }, template } }
      : { apiVersion: 'batch/v1', kind, metadata: { name, namespace: ns }, spec: { schedule: '0 * * * *', jobTemplate: { spec: { template } } } },
  );
}

export function restore(ns: string, name: string, exec: Record<string, unknown>): string {
  return stringify({
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    metadata: { name, namespace: ns },
    spec: { backupName: 'nightly', hooks: { resources: [{ name: 'warm-cache', postHooks: [{ exec }] }] } },
  });
}

export function backup(ns: string, kind: 'Backup' | 'Schedule', name: string, exec: Record<string, unknown>): string {
  const spec = { hooks: { resources: [{ name: 'freeze', pre: [{ exec }] }] } };
  return stringify({
    apiVersion: 'velero.io/v1',
    kind,
    metadata: { name, namespace: ns },
    spec: kind === 'Backup' ? spec : { schedule: '@daily', template: spec },
  });
}

export const GOOD_POD_ANNOTATIONS = {
  'pre.hook.backup.velero.io/command': '["/bin/sh", "-c", "pg_dump > /backup/db.sql"]',
  'pre.hook.backup.velero.io/container': 'db',
  'pre.hook.backup.velero.io/on-error': 'Fail',
  'pre.hook.backup.velero.io/timeout': '2m30s',
  'post.hook.restore.velero.io/command': '["/bin/warm", "--all"]',
  'post.hook.restore.velero.io/exec-timeout': '1m',
  'post.hook.restore.velero.io/wait-timeout': '10m',
  'post.hook.restore.velero.io/wait-for-ready': 'false',
};

export const GOOD_EXEC = { container: 'db', command: ['/bin/sync'], onError: 'Continue', timeout: '30s' };
export const GOOD_RESTORE_EXEC = { container: 'db', command: ['/bin/warm'], onError: 'Fail', execTimeout: '1m', waitTimeout: '5m', waitForReady: true };
