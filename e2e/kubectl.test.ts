/**
 * The same exec as the smoke test, done by the machine's kubectl against the same cluster: proves the
 * cluster works for an independent client, and what kubectl reports for kwok's exit statuses.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { kubectlSkipReason, run } from './admission-support.ts';
import { e2eContext } from './harness/index.ts';

/** kubectl as an owned child (src/testing/owned-process.ts) with a 30 s deadline: it dies with this test process. */
const kubectl = (args: readonly string[]) => run('kubectl', args);

// Each test carries the reason, so node's summary counts the skipped tests.
const skip = kubectlSkipReason();

void describe('local control plane (kubectl)', () => {
  void test(
    'kubectl exec: output, and a non-zero exit gives a non-zero kubectl exit',
    { skip },
    async (t) => {
      const ctx = await e2eContext(t);
      await ctx.createPod({ name: 'kubectl-exec', containers: ['c'] });
      await ctx.waitForRunning('kubectl-exec', { timeoutMs: 20_000 });
      const base = [
        '--kubeconfig',
        ctx.kubeconfigPath,
        'exec',
        '-n',
        ctx.namespace,
        'kubectl-exec',
        '-c',
        'c',
        '--',
      ];

      const ok = await kubectl([...base, 'sh', '-c', 'echo hi; echo err >&2']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout, 'hi\n');
      assert.equal(ok.stderr, 'err\n');

      const failed = await kubectl([...base, 'sh', '-c', 'exit 3']);
      // kwok loses the exit code (InternalError), so kubectl exits 1, not 3; the text keeps it.
      assert.notEqual(failed.code, 0);
      assert.equal(failed.stdout, '');
      assert.match(failed.stderr, /exit status 3/);
    },
  );
});
