import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseRunSettings } from './run-settings.ts';

void describe('run flags: deadlines as docs/reliability.md states them', () => {
  void it('[R-6] --deadline defaults to 10m for post-restore and to none for backups; 0 means none', () => {
    assert.equal(parseRunSettings('post-restore', { restore: 'r.yaml' }).deadlineMs, 600_000);
    assert.equal(parseRunSettings('pre-backup', { backup: 'b.yaml' }).deadlineMs, undefined);
    assert.equal(parseRunSettings('post-backup', { backup: 'b.yaml' }).deadlineMs, undefined);
    assert.equal(parseRunSettings('post-restore', { restore: 'r.yaml', deadline: '0' }).deadlineMs, undefined);
    assert.equal(parseRunSettings('pre-backup', { backup: 'b.yaml', deadline: '1m30s' }).deadlineMs, 90_000);
  });

  void it('[R-8] an API request (credentials included) gets 30 s, and never longer than --deadline', () => {
    const timeout = (kind: string, raw: Parameters<typeof parseRunSettings>[1]): number | undefined => parseRunSettings(kind, raw).connect.requestTimeoutMs;
    // No deadline: the client's own 30 s per request (src/kube/client.ts).
    assert.equal(timeout('pre-backup', { backup: 'b.yaml' }), undefined);
    assert.equal(timeout('post-restore', { restore: 'r.yaml' }), 30_000);
    assert.equal(timeout('pre-backup', { backup: 'b.yaml', deadline: '5s' }), 5_000);
    assert.equal(timeout('pre-backup', { backup: 'b.yaml', deadline: '2h' }), 30_000);
  });
});

void describe('run: signals', () => {
  void it('[R-41] the first SIGINT is the run\'s to handle (abort, partial report); a second SIGINT kills the process at once', async () => {
    // A child whose handler, like a run still closing its streams, does not exit on the first signal.
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', `import { processSignals } from ${JSON.stringify(join(import.meta.dirname, 'signals.ts'))};
processSignals((s) => { process.stdout.write('handled ' + s + '\\n'); });
setInterval(() => undefined, 1000);
process.stdout.write('ready\\n');`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let gone = false;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => {
        gone = true;
        resolve({ code, signal });
      });
    });
    // A loaded 2-core machine can take several seconds to start Node; the guard only ends a stuck child.
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
    }, 90_000);
    /** Waits for `text` on the child's stdout; fails (never hangs) once the child is gone without it. */
    const waitFor = async (text: string): Promise<void> => {
      while (!out.includes(text)) {
        if (gone) assert.fail(`the child exited before printing ${JSON.stringify(text)}: ${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor('ready');
    child.kill('SIGINT');
    await waitFor('handled SIGINT');
    child.kill('SIGINT');
    const end = await exited;
    clearTimeout(guard);
    assert.deepEqual(end, { code: null, signal: 'SIGINT' }, out);
  });
});
