import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { runOwned, spawnOwned } from './owned-process.ts';
import type { AfterHooks } from './owned-process.ts';
import { descendants, groupMembers, isRunning, isSameProcess, parseProcStat, procStat } from './process-tree.ts';

const MODULE = new URL('./owned-process.ts', import.meta.url).href;
const GONE_DEADLINE_MS = 15_000;

/** A grandchild (ignoring SIGTERM when asked), then its PID and ours as one JSON line; then idles. */
const CHILD = `
const { spawn } = require('node:child_process');
const stubborn = process.argv[1] === 'stubborn';
const idle = (stubborn ? "process.on('SIGTERM', () => {}); " : '') + 'setInterval(() => {}, 1000)';
const grandchild = spawn(process.execPath, ['-e', idle], { stdio: 'ignore' });
if (stubborn) process.on('SIGTERM', () => {});
process.stdout.write(JSON.stringify({ child: process.pid, grandchild: grandchild.pid }) + '\\n');
setInterval(() => {}, 1000);
`;

/**
 * The owner: spawnOwned(CHILD); on SIGUSR2 it exits (mode exit) or throws (mode throw); with mode
 * handle a SIGTERM handler of its own (once, installed before the child) exits 7 after 1.5 s, as a
 * script that aborts its work and cleans up does; otherwise idles.
 */
const OWNER = `
import { spawnOwned } from ${JSON.stringify(MODULE)};
const [graceMs, mode, stubborn] = process.argv.slice(1);
if (mode === 'handle') process.once('SIGTERM', () => setTimeout(() => process.exit(7), 1500));
process.on('SIGUSR2', () => {
  if (mode === 'exit') process.exit(0);
  throw new Error('the owner crashed');
});
spawnOwned(process.execPath, ['-e', ${JSON.stringify(CHILD)}, stubborn], { stdio: ['ignore', 'inherit', 'inherit'], graceMs: Number(graceMs) });
setInterval(() => {}, 1000);
`;

interface Tree {
  owner: number;
  child: number;
  grandchild: number;
  starts: Map<number, number>;
}

/** Starts an owner, waits for its child's line; every PID is killed at the end of the test if still ours. */
async function startOwner(t: TestContext, graceMs: number, mode: 'idle' | 'exit' | 'throw' | 'handle', stubborn: boolean) {
  const owner = spawnOwned(process.execPath, ['--input-type=module', '-e', OWNER, String(graceMs), mode, stubborn ? 'stubborn' : ''], { stdio: ['ignore', 'pipe', 'pipe'], t, graceMs: 1_000 });
  let out = '';
  let err = '';
  owner.child.stdout?.setEncoding('utf8');
  owner.child.stderr?.setEncoding('utf8');
  owner.child.stderr?.on('data', (d: string) => (err += d));
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`no child line within 20 s; owner stderr: ${err}`));
    }, 20_000);
    owner.child.stdout?.on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl !== -1) {
        clearTimeout(timer);
        resolve(out.slice(0, nl));
      }
    });
  });
  const { child, grandchild } = JSON.parse(line) as { child: number; grandchild: number };
  const starts = new Map<number, number>();
  for (const pid of [owner.pid, child, grandchild]) starts.set(pid, procStat(pid)?.start ?? -1);
  t.after(() => {
    for (const [pid, start] of starts) {
      if (isSameProcess(pid, start)) process.kill(pid, 'SIGKILL');
    }
  });
  const tree: Tree = { owner: owner.pid, child, grandchild, starts };
  return { owner, tree, stderr: () => err };
}

async function allGone(pids: readonly number[], starts: Map<number, number>, deadlineMs: number): Promise<number[]> {
  const deadline = Date.now() + deadlineMs;
  const alive = () => pids.filter((pid) => isSameProcess(pid, starts.get(pid) ?? -1));
  while (alive().length > 0 && Date.now() < deadline) await sleep(50);
  return alive();
}

void describe('spawnOwned: the child and what it started die with the owner', () => {
  const cases: readonly { name: string; act: (tree: Tree) => void; grace: number; stubborn?: boolean; mode?: 'exit' | 'throw' | 'handle'; owner: { code?: number; signal?: NodeJS.Signals } }[] = [
    { name: 'SIGTERM to the owner (node --test, with-cluster)', act: (x) => process.kill(x.owner, 'SIGTERM'), grace: 5_000, owner: { signal: 'SIGTERM' } },
    { name: 'SIGINT to the owner (Ctrl-C)', act: (x) => process.kill(x.owner, 'SIGINT'), grace: 5_000, owner: { signal: 'SIGINT' } },
    { name: 'SIGHUP to the owner (terminal closed)', act: (x) => process.kill(x.owner, 'SIGHUP'), grace: 5_000, owner: { signal: 'SIGHUP' } },
    { name: 'SIGTERM, the child ignores SIGTERM: SIGKILL after the grace', act: (x) => process.kill(x.owner, 'SIGTERM'), grace: 500, stubborn: true, owner: { signal: 'SIGTERM' } },
    { name: 'SIGKILL of the owner: the watchdog stops them', act: (x) => process.kill(x.owner, 'SIGKILL'), grace: 5_000, owner: { signal: 'SIGKILL' } },
    { name: 'SIGKILL of the owner, the child ignores SIGTERM: the watchdog kills after the grace', act: (x) => process.kill(x.owner, 'SIGKILL'), grace: 500, stubborn: true, owner: { signal: 'SIGKILL' } },
    { name: 'the owner exits without stopping it (process.exit)', act: (x) => process.kill(x.owner, 'SIGUSR2'), grace: 5_000, mode: 'exit', owner: { code: 0 } },
    // The keeper must not end it by raising the signal again once the child is stopped (cluster:up, bench/run.ts).
    { name: 'SIGTERM to an owner with a SIGTERM handler of its own (once): the owner ends as its handler says', act: (x) => process.kill(x.owner, 'SIGTERM'), grace: 5_000, mode: 'handle', owner: { code: 7 } },
    { name: 'the owner crashes (uncaught exception)', act: (x) => process.kill(x.owner, 'SIGUSR2'), grace: 5_000, mode: 'throw', owner: { code: 1 } },
  ];
  for (const c of cases) {
    void test(c.name, { timeout: 60_000 }, async (t) => {
      const { owner, tree, stderr } = await startOwner(t, c.grace, c.mode ?? 'idle', c.stubborn === true);
      // Its own group: what the owner's group receives does not reach it, only the owner's stop does.
      assert.equal(procStat(tree.child)?.pgrp, tree.child);
      assert.equal(procStat(tree.grandchild)?.pgrp, tree.child);
      c.act(tree);
      const exit = await owner.exited;
      assert.deepEqual({ code: exit.code ?? undefined, signal: exit.signal ?? undefined }, { code: c.owner.code, signal: c.owner.signal }, stderr());
      const left = await allGone([tree.child, tree.grandchild], tree.starts, c.grace + GONE_DEADLINE_MS);
      assert.deepEqual(left, [], `still running: ${left.join(', ')}; owner stderr: ${stderr()}`);
    });
  }
});

void describe('spawnOwned in this process', () => {
  void test('stop(): the group gets SIGTERM; members left after the leader exited are killed and reported', async () => {
    const sh = spawnOwned('/bin/sh', ['-c', 'sleep 300 & echo $!; wait'], { stdio: ['ignore', 'pipe', 'ignore'] });
    sh.child.stdout?.setEncoding('utf8');
    const [first] = (await once(sh.child.stdout!, 'data')) as [string];
    const sleeper = Number(first.trim());
    const start = procStat(sleeper)?.start ?? -1;
    assert.ok(isSameProcess(sleeper, start));
    // The shell alone, by PID: it dies and leaves its background sleep in its group.
    process.kill(sh.pid, 'SIGKILL');
    const exit = await sh.exited;
    assert.equal(exit.signal, 'SIGKILL');
    assert.deepEqual(exit.leftovers, [sleeper]);
    assert.deepEqual(await allGone([sleeper], new Map([[sleeper, start]]), 5_000), []);
  });

  void test('stop() escalates to SIGKILL after the grace; stopping twice waits for the same exit', async () => {
    const stubborn = spawnOwned(process.execPath, ['-e', "process.on('SIGTERM', () => {}); process.stdout.write('ready\\n'); setInterval(() => {}, 1000)"], { stdio: ['ignore', 'pipe', 'ignore'] });
    await once(stubborn.child.stdout!, 'data');
    const began = Date.now();
    const [a, b] = await Promise.all([stubborn.stop({ graceMs: 300 }), stubborn.stop({ graceMs: 300 })]);
    assert.equal(a.signal, 'SIGKILL');
    assert.deepEqual(a, b);
    assert.ok(Date.now() - began >= 300, 'SIGKILL came before the grace was over');
    assert.deepEqual(await stubborn.stop(), a, 'stop() after the exit resolves with it');
  });

  void test('an AbortSignal stops it; a test context stops it in its after hook', async () => {
    const ac = new AbortController();
    const byAbort = spawnOwned(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore', signal: ac.signal });
    const hooks: (() => Promise<unknown>)[] = [];
    const t: AfterHooks = { after: (fn) => hooks.push(fn) };
    const byHook = spawnOwned(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore', t });
    assert.equal(hooks.length, 1);
    ac.abort();
    assert.equal((await byAbort.exited).signal, 'SIGTERM');
    assert.equal(byHook.hasExited(), false);
    for (const hook of hooks) await hook();
    assert.equal((await byHook.exited).signal, 'SIGTERM');
    assert.throws(() => spawnOwned(process.execPath, ['-e', ''], { signal: ac.signal }), 'an aborted signal starts nothing');
  });

  void test("a test's end stops it even when an earlier after hook threw (node:test skips the later hooks)", { timeout: 60_000 }, async (t) => {
    // A test file whose first after hook throws; spawnOwned's own hook never runs, t.signal still aborts.
    const file = `
      import { test } from 'node:test';
      import { spawnOwned } from ${JSON.stringify(MODULE)};
      test('leaves a child', (t) => {
        t.after(() => { throw new Error('the first after hook fails'); });
        const c = spawnOwned(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore', t });
        process.stdout.write('child ' + c.pid + '\\n');
      });
    `;
    const run = spawnOwned(process.execPath, ['--input-type=module', '-e', file], { stdio: ['ignore', 'pipe', 'pipe'], t, graceMs: 1_000 });
    let out = '';
    run.child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    run.child.stderr?.resume();
    const deadline = setTimeout(() => {
      run.kill('SIGKILL');
    }, 30_000);
    const exit = await run.exited;
    clearTimeout(deadline);
    const child = Number(/child (\d+)/.exec(out)?.[1]);
    assert.ok(child > 0, out);
    assert.notEqual(exit.signal, 'SIGKILL', `the test file did not end within 30 s (its child kept it alive): ${out}`);
    assert.match(out, /first after hook fails/);
    assert.equal(isRunning(procStat(child)), false);
  });

  void test('signal and exit listeners exist only while something is owned', async () => {
    const before = { term: process.listenerCount('SIGTERM'), exit: process.listenerCount('exit') };
    const p = spawnOwned(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    assert.equal(process.listenerCount('SIGTERM'), before.term + 1);
    assert.equal(process.listenerCount('exit'), before.exit + 1);
    await p.stop();
    assert.deepEqual({ term: process.listenerCount('SIGTERM'), exit: process.listenerCount('exit') }, before);
  });

  void test('a program that cannot start throws and owns nothing', () => {
    const before = process.listenerCount('SIGTERM');
    assert.throws(() => spawnOwned('/nonexistent/kubehooks', []), /could not start/);
    assert.equal(process.listenerCount('SIGTERM'), before);
  });
});

void describe('runOwned', () => {
  const cases: readonly { name: string; file: string; args: string[]; input?: string; timeoutMs?: number; maxBuffer?: number; want: { code: number | null; signal: NodeJS.Signals | null; stdout: string; timedOut: boolean; stderr?: RegExp } }[] = [
    { name: 'output and exit code', file: '/bin/sh', args: ['-c', 'echo out; echo err >&2; exit 3'], want: { code: 3, signal: null, stdout: 'out\n', timedOut: false, stderr: /^err$/m } },
    { name: 'input on stdin', file: '/bin/sh', args: ['-c', 'cat'], input: 'a\nb', want: { code: 0, signal: null, stdout: 'a\nb', timedOut: false } },
    { name: 'the deadline: SIGTERM to the group', file: '/bin/sh', args: ['-c', 'sleep 300; echo never'], timeoutMs: 300, want: { code: null, signal: 'SIGTERM', stdout: '', timedOut: true } },
    { name: 'the output bound ends it like the deadline', file: '/bin/sh', args: ['-c', 'yes'], maxBuffer: 64 * 1024, want: { code: null, signal: 'SIGTERM', stdout: 'ignored', timedOut: true } },
    { name: 'a command that cannot start is a result', file: '/nonexistent/kubectl', args: [], want: { code: null, signal: null, stdout: '', timedOut: false, stderr: /could not start/ } },
  ];
  for (const c of cases) {
    void test(c.name, async () => {
      const r = await runOwned(c.file, c.args, { timeoutMs: c.timeoutMs ?? 20_000, ...(c.input === undefined ? {} : { input: c.input }), ...(c.maxBuffer === undefined ? {} : { maxBuffer: c.maxBuffer }) });
      assert.deepEqual({ code: r.code, signal: r.signal, timedOut: r.timedOut }, { code: c.want.code, signal: c.want.signal, timedOut: c.want.timedOut }, r.stderr);
      if (c.want.stdout !== 'ignored') assert.equal(r.stdout, c.want.stdout);
      if (c.want.stderr !== undefined) assert.match(r.stderr, c.want.stderr);
      assert.deepEqual(r.leftovers, []);
    });
  }
});

void describe('process-tree', () => {
  const cases: readonly { name: string; text: string; want: ReturnType<typeof parseProcStat> }[] = [
    { name: 'a plain command', text: '42 (node) S 1 42 42 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 11 0 777 1 2', want: { pid: 42, state: 'S', ppid: 1, pgrp: 42, sid: 42, start: 777 } },
    { name: 'a command name with spaces and parentheses', text: '42 (a b) (c)) Z 7 8 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 1 2', want: { pid: 42, state: 'Z', ppid: 7, pgrp: 8, sid: 9, start: 5 } },
    { name: 'not a stat line', text: 'garbage', want: undefined },
    { name: 'cut short', text: '42 (node) S 1 42', want: undefined },
  ];
  for (const c of cases) {
    void test(`parseProcStat: ${c.name}`, () => {
      assert.deepEqual(parseProcStat(42, c.text), c.want);
    });
  }

  void test('this process: running, its group and session; groupMembers and descendants from a table', () => {
    const self = procStat(process.pid);
    assert.ok(isRunning(self));
    const table = [
      { pid: 10, state: 'S', ppid: 1, pgrp: 10, sid: 10, start: 100 },
      { pid: 11, state: 'S', ppid: 10, pgrp: 10, sid: 10, start: 101 },
      { pid: 12, state: 'S', ppid: 11, pgrp: 12, sid: 12, start: 102 },
      { pid: 13, state: 'S', ppid: 1, pgrp: 10, sid: 10, start: 50 },
    ];
    assert.deepEqual(groupMembers(10, 100, table).map((p) => p.pid), [10, 11], 'older than the leader: not of its group');
    assert.deepEqual(descendants(10, table).map((p) => p.pid), [11, 12]);
  });
});
