/**
 * The same exec as the smoke test, done by the machine's kubectl against the same cluster: proves the
 * cluster works for an independent client, and what kubectl reports for kwok's exit statuses.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { kubectlSkipReason } from './admission-support.ts';
import { e2eContext } from './harness/index.ts';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function kubectl(args: readonly string[], timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile('kubectl', args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

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
