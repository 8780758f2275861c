/**
 * The README's library examples, type-checked by `npm run typecheck` and run by a unit test:
 *   node examples/library.ts test/fixtures/manifests            (lint, plan, inject)
 *   node examples/library.ts DIR --kubeconfig FILE -n NS     (also runs post-restore hooks)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createKubePorts,
  injectDocuments,
  lintSources,
  loadSources,
  parseBackupObject,
  parseRestoreObject,
  planBackup,
  planRestore,
  renderDiagnosticsText,
  renderPlanText,
  renderRunText,
  runPostRestoreHooks,
} from 'kubehooks';

const [dir = 'test/fixtures/manifests', ...rest] = process.argv.slice(2);
const read = (name: string): { file: string; text: string } => ({ file: name, text: readFileSync(join(dir, name), 'utf8') });

// lint: diagnostics are data; renderers print them
const { diagnostics } = lintSources([read('web-deployment.yaml')]);
process.stdout.write(renderDiagnosticsText(diagnostics));

// plan: which hook runs where, in order, and why other pods get none
const { objects } = loadSources([read('backup.yaml'), read('postgres-statefulset.yaml')]);
const { backup } = parseBackupObject(objects.find((o) => o.type === 'backup')?.raw);
const pods = objects.flatMap((o) => (o.type === 'pod' ? [o.pod] : []));
process.stdout.write(renderPlanText(planBackup(pods, backup, 'pre')));

// inject: restore init hooks applied to manifests (pure; input untouched)
const { restore } = parseRestoreObject(loadSources([read('restore.yaml')]).objects[0]?.raw);
const { documents } = loadSources([read('postgres-statefulset.yaml')]);
if (restore !== undefined) {
  process.stdout.write(injectDocuments(documents, restore, { generateName: () => 'velero-restore-init-0000abcd' }).text);
}

// run: post-restore hooks against a cluster, through the ports that src/kube implements
const kubeconfigPath = rest[rest.indexOf('--kubeconfig') + 1];
const namespace = rest[rest.indexOf('-n') + 1];
if (rest.includes('--kubeconfig') && kubeconfigPath !== undefined && namespace !== undefined) {
  const ports = createKubePorts({ kubeconfigPath });
  try {
    const scope = { namespaces: [namespace] };
    const live = await ports.lister.list(scope, AbortSignal.timeout(30_000));
    const plan = planRestore(live, restore, { generateName: () => 'velero-restore-init-0000abcd' });
    const report = await runPostRestoreHooks({
      plan,
      scope,
      executor: ports.executor,
      watcher: ports.watcher,
      clock: ports.clock,
      signal: AbortSignal.timeout(120_000),
      deadlineMs: 60_000,
    });
    process.stdout.write(renderRunText(report));
  } finally {
    ports.close();
  }
}
