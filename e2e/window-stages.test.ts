/**
 * Stages in `kubehooks run backup` (ADR 0019) on the local control plane: three pods in stages 1, 2
 * and 3; each hook writes its start and end time (ns) to the pod's side-effect file, COMMAND its own.
 * Checks on disk: each pre stage starts after the previous ended, COMMAND after the last, and the
 * thaw runs 3-2-1 (or 1-2-3 with --thaw-order same), each pod frozen and thawed exactly once; and
 * the report's frozenAt/thawedAt bracket each pod's hook lines.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { existsSync } from 'node:fs';
import { e2eContext, e2eSkipReason } from './harness/index.ts';
import type { E2eContext } from './harness/index.ts';
import { kubehooks, markerDir, writeYaml } from './run-harness.ts';
import { assertMatchesSchema } from '../src/report/output-schemas.ts';

const skip = e2eSkipReason();
const STAGES: Record<string, string> = { s1: '1', s2: '2', s3: '3' };
const sh = (script: string): string => JSON.stringify(['/bin/sh', '-c', script]);
interface FreezeDoc {
  status: string;
  frozen: { name: string }[];
  freezes: { name: string; stage: number | null; frozenAt: string | null; thawedAt: string | null; frozenMs: number | null; thaw: string }[];
  summary: { frozen: number; thawed: number; notThawed: number; longestFreeze: { name: string } | null; command: { ran: boolean; exitCode: number | null; signal: string | null; timedOut: boolean } };
}
const stamp = (what: string, file: string): string => `echo "${what}-start $(date +%s%N)" >> ${file}; sleep 0.3; echo "${what}-end $(date +%s%N)" >> ${file}`;

/** Three running pods in stages 1, 2, 3 whose hooks stamp their start and end; the Backup file. */
async function stagedPods(t: TestContext): Promise<{ ctx: E2eContext; m: Awaited<ReturnType<typeof markerDir>>; file: string; lines: (pod: string) => Promise<string[]>; times: (pod: string, what: string) => Promise<bigint> }> {
  const ctx = await e2eContext(t);
  const m = await markerDir(t);
  for (const [pod, stage] of Object.entries(STAGES)) {
    await ctx.createPod({
      name: pod,
      annotations: {
        'kubehooks.dev/stage': stage,
        'pre.hook.backup.velero.io/command': sh(stamp('pre', `${m.dir}/${pod}.log`)),
        'pre.hook.backup.velero.io/on-error': 'Fail',
        'post.hook.backup.velero.io/command': sh(stamp('post', `${m.dir}/${pod}.log`)),
      },
    });
  }
  for (const pod of Object.keys(STAGES)) await ctx.waitForRunning(pod);
  const file = await writeYaml(t, 'backup.yaml', { apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'staged', namespace: 'velero' }, spec: { includedNamespaces: [ctx.namespace] } });
  const lines = async (pod: string): Promise<string[]> => ((await m.read(`${pod}.log`)) ?? '').split('\n').filter((l) => l !== '');
  return {
    ctx,
    m,
    file,
    lines,
    times: async (pod, what) => {
      const all = (await lines(pod)).filter((l) => l.startsWith(`${what} `));
      assert.equal(all.length, 1, `${pod}: one ${what} line (${JSON.stringify(await lines(pod))})`);
      return BigInt((all[0] ?? '').split(' ')[1] ?? '0');
    },
  };
}

async function stagedWindow(t: TestContext, flags: readonly string[]): Promise<{ times: (pod: string, what: string) => Promise<bigint>; command: bigint[]; stdout: string }> {
  const { ctx, m, file, times } = await stagedPods(t);
  const r = await kubehooks(['run', 'backup', '--backup', file, '--kubeconfig', ctx.kubeconfigPath, '-o', 'json', ...flags, '--', '/bin/sh', '-c', `date +%s%N > ${m.dir}/command; sleep 0.3; date +%s%N >> ${m.dir}/command`]);
  assert.equal(r.code, 0, r.stderr);
  const command = (await readFile(join(m.dir, 'command'), 'utf8')).split('\n').filter(Boolean).map((l) => BigInt(l));
  return { command, stdout: r.stdout, times };
}

void describe('run backup with stages on the local cluster', { skip }, () => {
  void it('stages 1-2-3: pre in order, COMMAND after the last, reverse thaw 3-2-1 (timestamps)', async (t) => {
    const w = await stagedWindow(t, []);
    const t1 = await w.times('s1', 'pre-end');
    const t2s = await w.times('s2', 'pre-start');
    const t2 = await w.times('s2', 'pre-end');
    const t3s = await w.times('s3', 'pre-start');
    const t3 = await w.times('s3', 'pre-end');
    assert.ok(t1 <= t2s, 'stage 2 starts after stage 1 ended');
    assert.ok(t2 <= t3s, 'stage 3 starts after stage 2 ended');
    const [cmdStart = 0n, cmdEnd = 0n] = w.command;
    assert.ok(t3 <= cmdStart, 'COMMAND starts after the last pre stage');
    const p3s = await w.times('s3', 'post-start');
    const p3 = await w.times('s3', 'post-end');
    const p2s = await w.times('s2', 'post-start');
    const p2 = await w.times('s2', 'post-end');
    const p1s = await w.times('s1', 'post-start');
    assert.ok(cmdEnd <= p3s, 'the thaw starts after COMMAND');
    assert.ok(p3 <= p2s && p2 <= p1s, 'thaw in reverse stage order: 3, 2, 1');
    const doc = assertMatchesSchema('run-backup-output', w.stdout) as FreezeDoc;
    assert.equal(doc.status, 'ok');
    assert.deepEqual(doc.frozen.map((p) => p.name).sort(), ['s1', 's2', 's3']);
    // The report's timeline against the side-effect files (one machine, one clock; the report has ms):
    // frozenAt is the exec's start, before the hook wrote pre-start; thawedAt the exec's end, after post-end.
    const ms = (ns: bigint): number => Number(ns / 1_000_000n);
    for (const pod of ['s1', 's2', 's3']) {
      const f = doc.freezes.find((x) => x.name === pod);
      assert.ok(f !== undefined, `${pod} in freezes`);
      assert.equal(f.thaw, 'thawed');
      assert.equal(f.stage, Number(STAGES[pod]));
      const frozenAt = Date.parse(f.frozenAt ?? '');
      const thawedAt = Date.parse(f.thawedAt ?? '');
      const preStart = ms(await w.times(pod, 'pre-start'));
      const postEnd = ms(await w.times(pod, 'post-end'));
      assert.ok(frozenAt <= preStart, `${pod}: frozenAt ${f.frozenAt} <= its pre hook's first line (${preStart})`);
      // durationMs is rounded to the ms: allow that one.
      assert.ok(thawedAt + 1 >= postEnd, `${pod}: thawedAt ${f.thawedAt} >= its post hook's last line (${postEnd})`);
      assert.equal(f.frozenMs, thawedAt - frozenAt);
      assert.ok(frozenAt < ms(cmdStart) && ms(cmdEnd) <= thawedAt + 1, `${pod}: frozen across COMMAND`);
    }
    // Reverse thaw: stage 1 is frozen first and thawed last.
    assert.equal(doc.summary.longestFreeze?.name, 's1');
    assert.deepEqual({ ...doc.summary, longestFreeze: null }, { frozen: 3, thawed: 3, notThawed: 0, longestFreeze: null, command: { ...doc.summary.command, ran: true, exitCode: 0, signal: null, timedOut: false } });
  });

  void it('killed with SIGKILL during COMMAND: kubehooks thaw --journal follows the recorded reverse order, 3-2-1 (timestamps), each pod once', async (t) => {
    const { ctx, m, file, lines, times } = await stagedPods(t);
    const journal = join(m.dir, 'journal.jsonl');
    const marker = join(m.dir, 'command-started');
    const r = await kubehooks(
      ['run', 'backup', '--backup', file, '--kubeconfig', ctx.kubeconfigPath, '--journal', journal, '--', '/bin/sh', '-c', `echo $$ > ${m.dir}/command.pid; touch ${marker}; exec sleep 60`],
      (pid) => {
        void (async () => {
          const end = Date.now() + 60_000;
          while (!existsSync(marker) && Date.now() < end) await new Promise((res) => setTimeout(res, 50));
          process.kill(pid, 'SIGKILL');
        })();
      },
    );
    assert.equal(r.code, null, 'killed');
    const orphan = Number((await readFile(join(m.dir, 'command.pid'), 'utf8')).trim());
    if (orphan > 0) process.kill(orphan, 'SIGKILL'); // COMMAND outlives a SIGKILLed kubehooks
    for (const pod of Object.keys(STAGES)) assert.equal((await lines(pod)).filter((l) => l.startsWith('post-')).length, 0, `${pod} not thawed before thaw`);
    const thaw = await kubehooks(['thaw', '--journal', journal]);
    assert.equal(thaw.code, 0, thaw.stderr + thaw.stdout);
    assert.match(thaw.stderr, /stages 3, 2, 1 in the window's thaw order \(reverse\)/);
    const p3 = await times('s3', 'post-end');
    const p2s = await times('s2', 'post-start');
    const p2 = await times('s2', 'post-end');
    const p1s = await times('s1', 'post-start');
    assert.ok(p3 <= p2s, 'thaw: stage 2 starts after stage 3 ended');
    assert.ok(p2 <= p1s, 'thaw: stage 1 starts after stage 2 ended');
    const again = await kubehooks(['thaw', '--journal', journal]);
    assert.match(again.stdout, /nothing to thaw/);
    for (const pod of Object.keys(STAGES)) {
      const l = await lines(pod);
      assert.deepEqual([l.filter((x) => x.startsWith('pre-start')).length, l.filter((x) => x.startsWith('post-start')).length], [1, 1], `${pod}: frozen and thawed once (${JSON.stringify(l)})`);
    }
  });

  void it('--thaw-order same: thaw 1-2-3', async (t) => {
    const w = await stagedWindow(t, ['--thaw-order', 'same']);
    assert.ok((await w.times('s1', 'post-end')) <= (await w.times('s2', 'post-start')));
    assert.ok((await w.times('s2', 'post-end')) <= (await w.times('s3', 'post-start')));
  });
});
