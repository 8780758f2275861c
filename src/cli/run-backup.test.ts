import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Plan, PlannedHook } from '../model/plan.ts';
import type { PodManifest } from '../model/pod.ts';
import { assertMatchesSchema, schemaErrors } from '../report/output-schemas.ts';
import type { CommandOutcome, WindowCommand, WindowCommandInput } from '../run/quiesce-window.ts';
import { FakeClock, settle } from '../testing/fake-clock.ts';
import { FakeEvents, FakeExecutor, type FakeExecScript, FakeWatcher, plannedHook, podWith } from '../testing/run-fakes.ts';
import { main } from './main.ts';
import { createRunCommand } from './run.ts';
import { createThawCommand } from './thaw.ts';
import { parseJournal, replayJournal } from '../run/window-journal.ts';
import type { WindowWiring } from './run-backup.ts';

interface World {
  readonly exec: FakeExecutor;
  readonly out: string[];
  readonly err: string[];
  readonly commands: { argv: readonly string[]; input: WindowCommandInput }[];
  fireSignal: ((s: 'SIGINT' | 'SIGTERM') => void) | undefined;
  closed: number;
  readonly run: (argv: string[]) => Promise<number>;
}

const freeze = (pod: string, o: Partial<PlannedHook> = {}): PlannedHook =>
  plannedHook({ namespace: 'app', pod, container: 'db', phase: 'pre', name: 'freeze', command: ['freeze'], onError: 'Fail', ...o });
const thaw = (pod: string): PlannedHook => plannedHook({ namespace: 'app', pod, container: 'db', phase: 'post', name: 'thaw', command: ['thaw'] });
const PODS = ['a', 'b', 'c'];
const pods = (): PodManifest[] =>
  PODS.map((p) => {
    const pod = podWith(p, { db: 'running' }, { namespace: 'app' });
    return { ...pod, spec: { ...pod.spec, volumes: [{ name: 'data', persistentVolumeClaim: { claimName: `data-${p}` } }] } };
  });

/** COMMAND as a fake: exits with `exitCode` at once, or hangs until stopped (then SIGTERM). */
function fakeCommand(w: World, behaviour: { exitCode?: number; hang?: boolean; onStart?: () => void }): (argv: readonly string[]) => WindowCommand {
  return (argv) => ({
    run(input: WindowCommandInput, signal: AbortSignal): Promise<CommandOutcome> {
      w.commands.push({ argv, input });
      behaviour.onStart?.();
      if (behaviour.hang !== true) return Promise.resolve({ kind: 'exited', exitCode: behaviour.exitCode ?? 0 });
      return new Promise((resolve) => {
        signal.addEventListener('abort', () => {
          resolve({ kind: 'signaled', signal: 'SIGTERM' });
        }, { once: true });
      });
    },
  });
}

function world(opts: { pre?: PlannedHook[]; post?: PlannedHook[]; script?: FakeExecScript; command?: { exitCode?: number; hang?: boolean; onStart?: () => void }; name?: string; live?: PodManifest[] }): World {
  const clock = new FakeClock();
  const exec = new FakeExecutor(clock, opts.script);
  const list = opts.live ?? pods();
  const pre: Plan = { hooks: opts.pre ?? PODS.map((p) => freeze(p)), skipped: [] };
  const post: Plan = { hooks: opts.post ?? PODS.map((p) => thaw(p)), skipped: [] };
  const w: World = {
    exec,
    out: [],
    err: [],
    commands: [],
    fireSignal: undefined,
    closed: 0,
    run: (argv) => {
      const wiring: WindowWiring = {
        createPorts: () => ({
          executor: exec,
          watcher: new FakeWatcher(list),
          lister: { list: () => Promise.resolve(list) },
          events: new FakeEvents(),
          close: () => {
            w.closed++;
          },
        }),
        prepare: () => Promise.resolve({ namespaces: undefined, name: opts.name ?? 'nightly', plan: () => pre, planPhase: (phase) => (phase === 'pre' ? pre : post) }),
        clock,
        onSignals: (h) => {
          w.fireSignal = h;
          return () => undefined;
        },
        windowCommand: fakeCommand(w, opts.command ?? {}),
      };
      return main(argv, {
        commands: [createRunCommand(() => wiring), createThawCommand(() => wiring)],
        io: { stdout: { write: (t) => w.out.push(t) }, stderr: { write: (t) => w.err.push(t) }, stderrIsTTY: false, env: { XDG_STATE_HOME: STATE } },
      });
    },
  };
  return w;
}

const STATE = mkdtempSync(join(tmpdir(), 'kubehooks-window-test-'));
after(() => {
  rmSync(STATE, { recursive: true, force: true });
});

const BASE = ['run', 'backup', '--backup', 'b.yaml', '-n', 'app'];
const order = (w: World): string[] => w.exec.executed.map((e) => e.split(':')[1] ?? '');

void describe('kubehooks run backup -- COMMAND', () => {
  void it('success: pre hooks, COMMAND (told the frozen pods and PVCs), post hooks; exit 0; JSON valid against run-backup-output', async () => {
    const w = world({});
    const code = await w.run([...BASE, '-o', 'json', '--', './snap.sh', '--fast']);
    assert.equal(code, 0, w.err.join(''));
    assert.deepEqual(order(w), ['freeze', 'freeze', 'freeze', 'thaw', 'thaw', 'thaw']);
    assert.equal(w.commands.length, 1);
    assert.deepEqual(w.commands[0]?.argv, ['./snap.sh', '--fast']);
    assert.deepEqual(w.commands[0].input.frozen.map((p) => `${p.namespace}/${p.name}:${p.pvcs.join(',')}`), ['app/a:data-a', 'app/b:data-b', 'app/c:data-c']);
    const doc = assertMatchesSchema('run-backup-output', w.out.join('')) as Record<string, unknown>;
    assert.equal(doc['status'], 'ok');
    assert.equal(doc['exitCode'], 0);
    assert.equal(doc['backup'], 'nightly');
    assert.deepEqual(doc['command'], { ...(doc['command'] as object), ran: true, outcome: 'exited', exitCode: 0, stoppedBy: null });
    assert.equal((doc['pre'] as { kind: string }).kind, 'pre-backup');
    assert.equal((doc['post'] as { kind: string }).kind, 'post-backup');
    assert.equal(w.closed, 1);
  });

  void it('the schema check can fail: a renamed field is refused', async () => {
    const w = world({});
    await w.run([...BASE, '-o', 'json', '--', 'true']);
    const doc = JSON.parse(w.out.join('')) as Record<string, unknown>;
    const { notThawed, ...rest } = doc;
    assert.notDeepEqual(schemaErrors('run-backup-output', { ...rest, stillFrozen: notThawed }), []);
    assert.notDeepEqual(schemaErrors('run-backup-output', { ...doc, pre: { ...(doc['pre'] as object), kind: 'backup' } }), []);
  });

  void it('exit codes per failure kind (text report names the sections and the status)', async () => {
    const cases: [string, Parameters<typeof world>[0], string[], number, RegExp][] = [
      ['COMMAND fails', { command: { exitCode: 9 } }, [], 4, /== command: exited 9/],
      ['a Fail pre hook fails in one pod of three', { script: (r) => (r.pod === 'b' && r.command[0] === 'freeze' ? { exitCode: 1 } : { exitCode: 0 }) }, [], 3, /== command: not run: a pre hook with onError Fail failed/],
      ['--on-pre-failure continue runs COMMAND', { script: (r) => (r.pod === 'b' && r.command[0] === 'freeze' ? { exitCode: 1 } : { exitCode: 0 }) }, ['--on-pre-failure', 'continue'], 3, /== command: exited 0/],
      ['a post hook fails', { script: (r) => (r.pod === 'c' && r.command[0] === 'thaw' ? { exitCode: 1 } : { exitCode: 0 }) }, [], 6, /Not thawed: app\/c/],
    ];
    for (const [what, opts, flags, want, text] of cases) {
      const w = world(opts);
      const code = await w.run([...BASE, ...flags, '--', 'snap']);
      assert.equal(code, want, `${what}: ${w.err.join('')}`);
      const out = w.out.join('');
      assert.match(out, /^== pre: /m, what);
      assert.match(out, /^== post$/m, what);
      assert.match(out, text, what);
      // Every frozen pod is thawed exactly once; a pod never frozen is not thawed.
      for (const p of PODS) {
        const froze = w.exec.calls.some((c) => c.pod === p && c.command[0] === 'freeze');
        assert.equal(w.exec.calls.filter((c) => c.pod === p && c.command[0] === 'thaw').length, froze ? 1 : 0, `${what}: pod ${p}`);
      }
    }
  });

  void it('first SIGINT during COMMAND stops it and thaws every frozen pod; exit 130', async () => {
    const w = world({ command: { hang: true, onStart: () => { queueMicrotask(() => w.fireSignal?.('SIGINT')); } } });
    const code = await w.run([...BASE, '--', 'snap']);
    assert.equal(code, 130);
    assert.deepEqual(order(w), ['freeze', 'freeze', 'freeze', 'thaw', 'thaw', 'thaw']);
    assert.match(w.err.join(''), /SIGINT received: stopping the pre hooks and COMMAND, then thawing/);
  });

  void it('usage errors name the flag: no COMMAND, bad --window-timeout, bad --on-pre-failure, -o junit, --deadline, COMMAND for another kind', async () => {
    const cases: [string[], RegExp][] = [
      [[...BASE], /needs a COMMAND after --/],
      [[...BASE, '--window-timeout', '10 minutes', '--', 'x'], /--window-timeout/],
      [[...BASE, '--window-timeout', '-1s', '--', 'x'], /--window-timeout must not be negative/],
      [[...BASE, '--on-pre-failure', 'thaw', '--', 'x'], /on-pre-failure/],
      [[...BASE, '-o', 'junit', '--', 'x'], /run backup: --output must be one of text, wide, json, yaml/],
      [[...BASE, '--deadline', '1m', '--', 'x'], /--deadline does not apply to run backup/],
      [['run', 'pre-backup', '-n', 'app', '--', 'x'], /only run backup takes a COMMAND/],
      [['run', 'pre-backup', '-n', 'app', '--window-timeout', '1m'], /apply to run backup only/],
    ];
    for (const [argv, want] of cases) {
      const w = world({});
      const code = await w.run(argv);
      assert.equal(code, 2, argv.join(' '));
      assert.match(w.err.join(''), want, argv.join(' '));
      assert.equal(w.exec.calls.length, 0, 'no hook ran');
      assert.equal(w.commands.length, 0, 'COMMAND not run');
    }
  });

  void it('no hook planned: a warning and COMMAND runs; with --fail-if-no-hooks exit 1 and COMMAND is not run', async () => {
    const w = world({ pre: [], post: [] });
    assert.equal(await w.run([...BASE, '--', 'snap']), 0);
    assert.equal(w.commands.length, 1);
    assert.match(w.err.join(''), /COMMAND runs without a freeze/);
    const strict = world({ pre: [], post: [] });
    assert.equal(await strict.run([...BASE, '--fail-if-no-hooks', '--', 'snap']), 1);
    assert.equal(strict.commands.length, 0);
    await settle();
  });
});

void describe('run backup journal and kubehooks thaw', () => {
  void it('the journal is printed, records every freeze and thaw, and ends settled: thaw then has nothing to do (exit 0, no exec)', async () => {
    const w = world({});
    const file = join(STATE, 'ok.jsonl');
    assert.equal(await w.run([...BASE, '--journal', file, '--', 'snap']), 0, w.err.join(''));
    assert.match(w.err.join(''), new RegExp(`journal: ${file} \\(after a crash: kubehooks thaw --journal ${file}\\)`));
    const records = parseJournal(readFileSync(file, 'utf8'));
    assert.deepEqual(records.map((r) => r.t), ['begin', 'freezing', 'freezing', 'freezing', 'pre-ended', 'pre-ended', 'pre-ended', 'command', 'command-ended', 'thawing', 'thawing', 'thawing', 'thawed', 'thawed', 'thawed', 'end']);
    const state = replayJournal(records);
    assert.equal(state.begin.thawOrder, 'reverse', 'the thaw order is recorded for kubehooks thaw');
    assert.deepEqual(state.pending, []);
    assert.deepEqual(state.settled.map((s) => `${s.pod.name}=${s.how}`), ['a=thawed', 'b=thawed', 'c=thawed']);
    const again = world({});
    assert.equal(await again.run(['thaw', '--journal', file]), 0, again.err.join(''));
    assert.match(again.out.join(''), /nothing to thaw: the 3 frozen pod\(s\) of window \S+ were thawed or skipped already/);
    assert.equal(again.exec.calls.length, 0);
  });

  void it('a journal cut short (a crash during COMMAND): thaw runs the post hooks of exactly the frozen pods, once; a second thaw does nothing', async () => {
    const w = world({});
    const file = join(STATE, 'crash.jsonl');
    assert.equal(await w.run([...BASE, '--journal', file, '--', 'snap']), 0);
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    // Keep begin and the freezes of a and b only, as if killed while c's freeze was being recorded, then during COMMAND.
    const cut = lines.filter((l) => { const r = JSON.parse(l) as { t: string; pod?: string }; return r.t === 'begin' || (r.t === 'freezing' && r.pod !== 'app/c'); });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, `${cut.join('\n')}\n${cut[1]?.slice(0, 20) ?? ''}`); // and a torn last write
    // A journal that still owes thaws is never overwritten by the next window.
    const next = world({});
    assert.equal(await next.run([...BASE, '--journal', file, '--', 'snap']), 2);
    assert.match(next.err.join(''), /still records 2 frozen pod\(s\) of window \S+: run `kubehooks thaw --journal/);
    assert.equal(next.exec.calls.length, 0);
    const thaw = world({});
    const code = await thaw.run(['thaw', '--journal', file, '-o', 'json']);
    assert.equal(code, 0, thaw.err.join(''));
    assert.deepEqual(thaw.exec.executed, ['a/db:thaw', 'b/db:thaw']);
    const doc = JSON.parse(thaw.out.join('')) as { status: string; thawed: { name: string }[] };
    assert.equal(doc.status, 'ok');
    assert.deepEqual(doc.thawed.map((p) => p.name), ['a', 'b']);
    const second = world({});
    assert.equal(await second.run(['thaw', '--journal', file]), 0);
    assert.match(second.out.join(''), /nothing to thaw/);
    assert.equal(second.exec.calls.length, 0);
    // Once settled, the file may be reused by the next window.
    const reuse = world({});
    assert.equal(await reuse.run([...BASE, '--journal', file, '--', 'snap']), 0, reuse.err.join(''));
  });

  void it('thaw: a missing or damaged journal exits 2 naming the file and line', async () => {
    const { writeFileSync } = await import('node:fs');
    const damaged = join(STATE, 'damaged.jsonl');
    writeFileSync(damaged, '{"t":"begin","v":1}\nnot json\n{"t":"end"}\n');
    const cases: [string, RegExp][] = [[join(STATE, 'none.jsonl'), /no such file/], [damaged, /damaged\.jsonl:2: not a JSON record/]];
    for (const [file, want] of cases) {
      const w = world({});
      assert.equal(await w.run(['thaw', '--journal', file]), 2);
      assert.match(w.err.join(''), want);
    }
  });
});


void it('thaw skips a frozen pod deleted since (pod-gone) or re-created with a new UID (pod-replaced), records it, and thaws the rest', async () => {
  const w = world({});
  const file = join(STATE, 'changed.jsonl');
  assert.equal(await w.run([...BASE, '--journal', file, '--', 'snap']), 0);
  const { writeFileSync } = await import('node:fs');
  const kept = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '' && ['begin', 'freezing'].includes((JSON.parse(l) as { t: string }).t));
  writeFileSync(file, `${kept.join('\n')}\n`);
  const [a, , c] = pods();
  assert.ok(a !== undefined && c !== undefined);
  const replaced = { ...a, metadata: { ...a.metadata, uid: 'a-new-uid' } };
  const thaw = world({ live: [replaced, c] });
  assert.equal(await thaw.run(['thaw', '--journal', file, '-o', 'json']), 0, thaw.err.join(''));
  assert.deepEqual(thaw.exec.executed, ['c/db:thaw']);
  const doc = JSON.parse(thaw.out.join('')) as { skipped: { name: string; code: string }[]; thawed: { name: string }[] };
  assert.deepEqual(doc.skipped.map((s) => `${s.name}:${s.code}`), ['a:pod-replaced', 'b:pod-gone']);
  assert.deepEqual(doc.thawed.map((p) => p.name), ['c']);
  const state = replayJournal(parseJournal(readFileSync(file, 'utf8')));
  assert.deepEqual(state.settled.map((s) => `${s.pod.name}=${s.how}`), ['a=pod-replaced', 'b=pod-gone', 'c=thawed']);
});
