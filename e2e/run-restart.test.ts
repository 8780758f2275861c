/**
 * The API server restarts while a post-restore hook waits: the run resumes (the watcher reconnects
 * and relists) and completes. Needs its own control plane, to restart its kube-apiserver; skipped
 * when the e2e tier is skipped or the local binaries are not built.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { cachedBinaries, SIM, startCluster } from '../scripts/cluster/index.ts';
import { KubeClient, createKubePorts } from '../src/kube/index.ts';
import { createSystemClock } from '../src/run/clock.ts';
import { runPostRestoreHooks } from '../src/run/post-restore-runner.ts';
import type { WatchLifecycle } from '../src/run/ports.ts';
import { restartProcess, stopRestarted } from './fault-support.ts';
import { e2eSkipReason } from './harness/index.ts';

const skip = e2eSkipReason() || (cachedBinaries() === undefined ? 'local control plane binaries not built' : false);

void describe('run: API server restart while hooks wait', { skip }, () => {
  void it('[R-58] the watch resumes after the restart and the hook runs once its container starts', async () => {
    const cluster = await startCluster({ log: () => undefined });
    let restartedPid: number | undefined;
    const client = KubeClient.load({ kubeconfigPath: cluster.kubeconfigPath });
    const ports = createKubePorts({ kubeconfigPath: cluster.kubeconfigPath, watcher: { backoff: { initialMs: 200, maxMs: 1_000 } } });
    try {
      const signal = AbortSignal.timeout(120_000);
      const ns = 'restart';
      await client.request('POST', '/api/v1/namespaces', { body: { metadata: { name: ns } }, signal, what: 'create namespace' });
      await client.request('POST', `/api/v1/namespaces/${ns}/pods`, {
        body: {
          metadata: { name: 'slow', namespace: ns, annotations: { [SIM.startDelay]: '8s' } },
          spec: { nodeName: cluster.nodeName, containers: [{ name: 'app', image: 'x' }], terminationGracePeriodSeconds: 0 },
        },
        signal,
        what: 'create pod',
      });
      const lifecycle: WatchLifecycle[] = [];
      const run = runPostRestoreHooks({
        plan: {
          hooks: [
            {
              namespace: ns, pod: 'slow', container: 'app', type: 'exec', source: 'spec', name: 'after-restart', phase: 'restore', index: 0,
              command: ['/bin/sh', '-c', 'echo resumed'], onError: 'Continue', execTimeoutMs: 10_000, waitTimeoutMs: 0, waitForReady: false,
            },
          ],
          skipped: [],
        },
        scope: { namespaces: [ns] },
        executor: ports.executor,
        watcher: {
          run: (scope, handlers, s) => ports.watcher.run(scope, { ...handlers, onLifecycle: (e) => lifecycle.push(e) }, s),
        },
        clock: createSystemClock(),
        signal,
        deadlineMs: 90_000,
      });
      await sleep(1_500);
      restartedPid = await restartProcess(cluster.pids.kubeApiserver, join(cluster.runDir, 'kube-apiserver-restarted.log'));
      const report = await run;
      assert.deepEqual(report.results.map((r) => `${r.status}:${r.stdout}`), ['succeeded:resumed\n']);
      assert.ok(lifecycle.some((e) => e.type === 'reconnecting' || e.type === 'relisting'), JSON.stringify(lifecycle));
    } finally {
      ports.close();
      client.close();
      await stopRestarted(restartedPid);
      await cluster.stop();
    }
  });
});
