/**
 * Hostile files through the commands, in process: lint, plan, inject and run (with in-memory cluster
 * ports) on oversized, binary, non-UTF-8, deeply nested, alias-bomb and wrongly typed input, and
 * hostile annotations on live pods. Every command must answer with its documented exit code (never
 * 70, the internal-error code), a message naming the file, no stack trace, in bounded time, and
 * without running a hook from a file it could not read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import type { PodManifest } from '../model/pod.ts';
import type { ExecRequest } from '../run/ports.ts';
import type { RunWiring } from './run.ts';
import { fakeRunWiring, runCli, suiteFiles, type CliOutcome } from '../testing/cli-run.ts';

const MiB = 1024 * 1024;
const CLI_FUZZ_RUNS = 60;

const { file } = suiteFiles('kubehooks-hostile-cli-');

function laughs(): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 10; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
  return `apiVersion: velero.io/v1\nkind: Backup\nmetadata:\n  name: b\nspec:\n  hooks:\n    resources:\n      - name: x\n        pre: [{exec: {command: *j}}]\n${lines.map((l) => `# ${l}`).join('\n')}\n${lines.join('\n')}\n`;
}

type Outcome = CliOutcome;
const cli = runCli;

function assertClean(o: Outcome, allowed: readonly number[], what: string): void {
  assert.ok(allowed.includes(o.code), `${what}: exit ${o.code}\n${o.stderr.slice(0, 1500)}`);
  assert.doesNotMatch(o.stderr, /internal error|\n\s+at \S+ \(/, `${what}: no internal error or stack trace`);
}

/** In-memory cluster ports that record every exec (each prints `ok`); lists are not filtered. */
const fakeWiring = (pods: readonly PodManifest[], execs: ExecRequest[]): RunWiring =>
  fakeRunWiring(pods, { connects: 0, lists: [], execs }, { stdout: 'ok', filterNamespaces: false });

const runningPod = (annotations: Record<string, string>): PodManifest => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'db-0', namespace: 'app', uid: 'u1', annotations },
  spec: { containers: [{ name: 'db' }] },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'db', ready: true, state: { running: {} } }] },
});

void describe('hostile files through the CLI commands', { timeout: 300_000 }, () => {
  void it('[S-21] unreadable input: too large, binary, not UTF-8 → exit 2 naming the file; nothing runs', async () => {
    const inputs: [string, string | Uint8Array, RegExp][] = [
      ['huge.yaml', `# ${'x'.repeat(9 * MiB)}\n`, /more than the 8388608 kubehooks reads/],
      ['binary.yaml', new Uint8Array([0x61, 0x3a, 0x00, 0x01, 0xff]), /NUL bytes/],
      ['latin1.yaml', Buffer.concat([Buffer.from('apiVersion: velero.io/v1\nkind: Backup\nmetadata:\n  name: caf'), Buffer.from([0xe9]), Buffer.from('\n')]), /not valid UTF-8/],
    ];
    for (const [name, content, message] of inputs) {
      const path = await file(name, content);
      const execs: ExecRequest[] = [];
      const outcomes = {
        lint: await cli(['lint', path]),
        plan: await cli(['plan', '--backup', path, path]),
        inject: await cli(['inject', '--restore', path, path]),
        run: await cli(['run', 'pre-backup', '--backup', path], fakeWiring([runningPod({ 'pre.hook.backup.velero.io/command': '/bin/true' })], execs)),
      };
      for (const [command, o] of Object.entries(outcomes)) {
        assertClean(o, [2], `${command} ${name}`);
        // lint reports on stdout (its result), the others on stderr.
        assert.match(o.stdout + o.stderr, message, `${command} ${name}`);
        assert.ok((o.stdout + o.stderr).includes(name), `${command} names ${name}`);
      }
      assert.deepEqual(execs, [], 'no hook ran from an unreadable Backup file');
    }
  });

  void it('[S-11][S-22][S-23] parseable but hostile: alias bomb, deep nesting, wrong types, MB values → documented codes, no hook from a broken spec', async () => {
    const pod = stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'app' }, spec: { containers: [{ name: 'db' }] } });
    const cases: [string, string][] = [
      ['laughs.yaml', laughs()],
      ['deep.yaml', `apiVersion: velero.io/v1\nkind: Backup\nmetadata: {name: b}\nspec: ${'['.repeat(20_000)}`],
      ['block.yaml', `apiVersion: velero.io/v1\nkind: Backup\nmetadata:\n  name: b\nspec:\n${Array.from({ length: 2000 }, (_, i) => `${' '.repeat(i + 2)}k${i}:`).join('\n')}\n`],
      ['types.json', JSON.stringify({ apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 7 }, spec: { hooks: { resources: [{ name: 1, includedNamespaces: 'app', pre: [{ exec: { command: 42, container: { x: 1 }, onError: 3, timeout: 30 } }] }] } } })],
      ['restore-types.json', JSON.stringify({ apiVersion: 'velero.io/v1', kind: 'Restore', metadata: { name: 'r' }, spec: { backupName: [], namespaceMapping: 'x', hooks: { resources: [{ postHooks: [{ init: { initContainers: 5 } }, { exec: { command: ['a'], waitTimeout: 5, waitForReady: 'yes' } }] }] } } })],
      ['mb-command.yaml', stringify({ apiVersion: 'velero.io/v1', kind: 'Backup', metadata: { name: 'b' }, spec: { hooks: { resources: [{ name: 'x', pre: [{ exec: { command: ['/bin/echo', 'y'.repeat(4 * MiB)] } }] }] } } })],
    ];
    const pods = await file('pods.yaml', pod);
    for (const [name, text] of cases) {
      const path = await file(name, text);
      const restore = name.startsWith('restore');
      const execs: ExecRequest[] = [];
      const lint = await cli(['lint', path]);
      assertClean(lint, [0, 1, 2], `lint ${name}`);
      const plan = await cli(['plan', restore ? '--restore' : '--backup', path, '-o', 'json', pods]);
      assertClean(plan, [0, 1, 2], `plan ${name}`);
      if (plan.code !== 2) JSON.parse(plan.stdout);
      const inject = await cli(['inject', '--restore', path, pods]);
      assertClean(inject, [0, 1, 2], `inject ${name}`);
      const run = await cli(
        ['run', restore ? 'post-restore' : 'pre-backup', restore ? '--restore' : '--backup', path, '-o', 'json'],
        fakeWiring([runningPod({})], execs),
      );
      assertClean(run, [0, 1, 2], `run ${name}`);
      if (run.code === 2) assert.deepEqual(execs, [], `run ${name}: a file that cannot be read runs nothing`);
      else JSON.parse(run.stdout);
      if (name === 'mb-command.yaml') assert.equal(execs[0]?.command[1]?.length, 4 * MiB, 'a large argv is passed whole, not cut');
    }
  });

  void it(`[S-24] property: random hostile annotations on live pods through run pre-backup and post-restore (${CLI_FUZZ_RUNS} runs)`, async (t) => {
    const backup = await file('empty-backup.yaml', 'apiVersion: velero.io/v1\nkind: Backup\nmetadata:\n  name: b\nspec: {}\n');
    const restore = await file('empty-restore.yaml', 'apiVersion: velero.io/v1\nkind: Restore\nmetadata:\n  name: r\nspec:\n  backupName: b\n');
    const key = fc
      .tuple(fc.constantFrom('pre.hook.backup.velero.io/', 'hook.backup.velero.io/', 'post.hook.restore.velero.io/'), fc.constantFrom('command', 'container', 'on-error', 'timeout', 'exec-timeout', 'wait-timeout', 'wait-for-ready'))
      .map(([p, s]) => p + s);
    // The API server allows 256 KiB of annotations per object: strings only, any content.
    const value = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constantFrom('["/bin/sh","-c","$(reboot)"]', '[1,2]', '[null]', '{"a":1}', '["a",', '30', '-1s', '9999999h', 'db', 'nope', 'Fail'),
      fc.constant('z'.repeat(200 * 1024)),
    );
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.dictionary(key, value, { maxKeys: 6 }), async (annotations) => {
        runs++;
        for (const [kind, flag, path] of [['pre-backup', '--backup', backup], ['post-restore', '--restore', restore]] as const) {
          const execs: ExecRequest[] = [];
          const o = await cli(['run', kind, flag, path, '-o', 'json', '--deadline', '5s'], fakeWiring([runningPod(annotations)], execs));
          assertClean(o, [0, 1], `run ${kind}`);
          const report = JSON.parse(o.stdout) as { results: { status: string }[] };
          assert.ok(report.results.length <= 1);
          for (const e of execs) assert.ok(e.command.length > 0 && e.command.every((c) => typeof c === 'string'));
        }
      }),
      { numRuns: CLI_FUZZ_RUNS },
    );
    t.diagnostic(`${runs} hostile annotation sets × 2 run kinds`);
  });

  void it('memory stays bounded over the whole hostile CLI suite', () => {
    // maxRSS is the process high-water mark (KiB): every input above went through this process.
    const maxRssMiB = process.resourceUsage().maxRSS / 1024;
    assert.ok(maxRssMiB < 1024, `max RSS ${Math.round(maxRssMiB)} MiB`);
  });
});
