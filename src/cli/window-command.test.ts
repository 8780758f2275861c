import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { existsSync } from 'node:fs';
import { childCommand } from './window-command.ts';

const input = { runId: 'run-9', frozen: [{ namespace: 'ns', name: 'db', uid: 'u1', pvcs: ['data'] }] };
const sh = (script: string): string[] => ['/bin/sh', '-c', script];

void describe('window COMMAND as a child process', () => {
  void it('gets KUBEHOOKS_RUN_ID and KUBEHOOKS_FROZEN_PODS (the JSON of the frozen pods); the file is removed afterwards', async () => {
    const out = `${process.env['TMPDIR'] ?? '/tmp'}/kubehooks-window-test-${process.pid}`;
    const cmd = childCommand({ argv: sh(`echo "$KUBEHOOKS_RUN_ID $KUBEHOOKS_FROZEN_PODS" > ${out}; cat "$KUBEHOOKS_FROZEN_PODS" >> ${out}`), env: process.env });
    assert.deepEqual(await cmd.run(input, new AbortController().signal), { kind: 'exited', exitCode: 0 });
    const { readFile, rm } = await import('node:fs/promises');
    const text = await readFile(out, 'utf8');
    await rm(out);
    const [first, ...rest] = text.split('\n');
    const [runId, path] = (first ?? '').split(' ');
    assert.equal(runId, 'run-9');
    assert.deepEqual(JSON.parse(rest.join('\n')), { runId: 'run-9', pods: input.frozen });
    assert.equal(existsSync(path ?? ''), false, 'frozen-pods file removed');
  });

  void it('exit code and spawn failure are outcomes, not exceptions', async () => {
    assert.deepEqual(await childCommand({ argv: sh('exit 7'), env: process.env }).run(input, new AbortController().signal), { kind: 'exited', exitCode: 7 });
    const r = await childCommand({ argv: ['/nonexistent/kubehooks-cmd'], env: process.env }).run(input, new AbortController().signal);
    assert.equal(r.kind, 'spawn-failed');
  });

  void it('abort: SIGTERM; a child that ignores it gets SIGKILL after the grace', async () => {
    const ctl = new AbortController();
    const polite = childCommand({ argv: ['sleep', '30'], env: process.env, graceMs: 5_000 }).run(input, ctl.signal);
    setTimeout(() => { ctl.abort(); }, 100);
    assert.deepEqual(await polite, { kind: 'signaled', signal: 'SIGTERM' });
    const ctl2 = new AbortController();
    const stubborn = childCommand({ argv: sh("trap '' TERM; while :; do :; done"), env: process.env, graceMs: 200 }).run(input, ctl2.signal);
    setTimeout(() => { ctl2.abort(); }, 300);
    assert.deepEqual(await stubborn, { kind: 'signaled', signal: 'SIGKILL' });
  });
});
