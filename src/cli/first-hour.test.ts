/**
 * The first hour (issue 12), in-process: help of every command, colour rules, where text is cut,
 * plan with the phase alone. The binary-tier twin is first-hour-binary.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, it } from 'node:test';
import type { PodManifest } from '../model/pod.ts';
import { assertMatchesSchema } from '../report/output-schemas.ts';
import { FakeClock } from '../testing/fake-clock.ts';
import { FakeEvents, FakeExecutor, FakeWatcher, podWith } from '../testing/run-fakes.ts';
import { Command } from 'commander';
import { COMMANDS } from './commands.ts';
import { commandPaths } from './help-texts.ts';
import { main } from './main.ts';
import { createRunCommand } from './run.ts';
import { prepareRunFile, type RunWiring } from './run-wiring.ts';
import { captureIo } from '../testing/cli-io.ts';

const ESC = String.fromCharCode(27);
/** A regular expression with `<ESC>` standing for the escape character (colour sequences). */
const ansi = (source: string, flags = ''): RegExp => new RegExp(source.replaceAll('<ESC>', ESC), flags);

const fx = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'manifests');

interface Outcome {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  readonly events: FakeEvents;
}

async function cli(argv: readonly string[], options: { pods?: PodManifest[]; stdoutIsTTY?: boolean; stderrIsTTY?: boolean; env?: Record<string, string> } = {}): Promise<Outcome> {
  const clock = new FakeClock();
  const pods = options.pods ?? [];
  const events = new FakeEvents(true);
  const wiring: RunWiring = {
    createPorts: () => ({
      executor: new FakeExecutor(clock, (req) => (req.command[0] === '/bin/fail' ? { exitCode: 3, stderr: 'upstream not reachable\n' } : { exitCode: 0 })),
      watcher: new FakeWatcher(pods),
      lister: { list: (scope) => Promise.resolve(pods.filter((p) => scope.namespaces.length === 0 || scope.namespaces.includes(p.metadata.namespace ?? ''))) },
      events,
      namespace: 'app',
      close: () => undefined,
    }),
    prepare: prepareRunFile,
    clock,
    onSignals: () => () => undefined,
  };
  const cap = captureIo('', options.env ?? {});
  const commands = COMMANDS.map((c) => (c.name === 'run' ? createRunCommand(() => wiring) : c));
  const code = await main([...argv], {
    commands,
    io: { ...cap.io, stdoutIsTTY: options.stdoutIsTTY ?? false, stderrIsTTY: options.stderrIsTTY ?? false },
  });
  return { code, out: cap.stdout(), err: cap.stderr(), events };
}

const annotated = (name: string, annotations: Record<string, string>): PodManifest => {
  const pod = podWith(name, { app: 'running' }, { namespace: 'app' });
  return { ...pod, metadata: { ...pod.metadata, annotations } };
};
const containers = ['mongodb-primary-with-a-long-name', 'metrics-exporter-sidecar', 'log-shipper-for-the-audit-trail'];
const failing: PodManifest = (() => {
  const pod = podWith('web-0', Object.fromEntries(containers.map((c) => [c, 'running' as const])), { namespace: 'app' });
  return { ...pod, metadata: { ...pod.metadata, annotations: { 'pre.hook.backup.velero.io/command': '["/bin/freeze"]', 'pre.hook.backup.velero.io/container': 'mongo' } } };
})();
const longReason = containers.at(-1) ?? '';

void describe('--help of every command', () => {
  // Every command and subcommand as registered (manifests webhook, manifests controller, …).
  const registered = new Command('kubehooks');
  const ctx = { deps: { io: captureIo('', {}).io, signal: new AbortController().signal, generateInitName: () => 'x', createPodLister: () => { throw new Error('unused'); } }, setExitCode: () => undefined };
  for (const c of COMMANDS) c.register(registered, ctx);
  const paths = commandPaths(registered);
  void it('the walk finds the subcommands', () => {
    assert.ok(paths.includes('manifests webhook') && paths.includes('manifests controller'), paths.join(', '));
  });
  for (const command of paths) {
    void it(`${command} --help has examples and exit codes, defaults written unquoted`, async () => {
      const r = await cli([...command.split(' '), '--help']);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /\nExamples:\n {2}(# .*\n {2})?kubehooks /);
      assert.match(r.out, /\nExit codes:\n\s+0 {2}\S/);
      assert.doesNotMatch(r.out, /default: "/);
      assert.doesNotMatch(r.out, /choices: "/);
    });
  }
  void it('run --help: --concurrency <n> shows its default as a number', async () => {
    const r = await cli(['run', '--help']);
    assert.match(r.out, /--concurrency <n>[^]*?\(default: 64\)/);
    assert.match(r.out, /-A, --all-namespaces/);
    assert.match(r.out, /--wait-for-pods <duration>/);
    assert.match(r.out, /--fail-if-no-hooks/);
    assert.match(r.out, /\s130 {2}interrupted by SIGINT/);
  });
});

void describe('colour and cutting follow the terminal', () => {
  const argv = ['run', 'pre-backup', '--no-events'];
  void it('piped (not a terminal): no colour, no cut reason', async () => {
    const r = await cli(argv, { pods: [failing] });
    assert.equal(r.code, 1, r.err);
    assert.ok(!r.out.includes(ESC), 'no escape sequence');
    assert.ok(r.out.includes(longReason), 'the whole reason is there');
  });
  void it('a terminal: the status is coloured, the reason cut to fit; -o wide never cuts', async () => {
    const r = await cli(argv, { pods: [failing], stdoutIsTTY: true, stderrIsTTY: true });
    assert.match(r.out, ansi('<ESC>\\[31mfailed<ESC>\\[39m'));
    const row = r.out.split('\n').find((l) => l.includes('web-0') && l.includes('#0')) ?? '';
    assert.match(row, /…$/);
    assert.ok(!row.includes(longReason), row);
    const wide = await cli([...argv, '-o', 'wide'], { pods: [failing], stdoutIsTTY: true });
    assert.ok(wide.out.split('\n').some((l) => l.includes('#0') && l.includes(longReason)));
  });
  void it('NO_COLOR (any value) and --no-color turn colour off on a terminal; errors then read `error:` plainly', async () => {
    for (const [extra, env] of [[[], { NO_COLOR: '1' }], [['--no-color'], {}]] as const) {
      const r = await cli([...argv, ...extra], { pods: [failing], stdoutIsTTY: true, stderrIsTTY: true, env });
      // (The progress line on a terminal stderr uses cursor escapes; colours are ESC[3xm.)
      assert.ok(!(r.out + r.err).includes(`${ESC}[3`), JSON.stringify(env));
      assert.match(r.out, /^failed {2}/m);
    }
    const usage = await cli(['run', 'pre-backup', '--deadline', 'soon'], { stderrIsTTY: true });
    assert.match(usage.err, ansi('^<ESC>\\[31merror:<ESC>\\[39m --deadline: '));
    const plain = await cli(['run', 'pre-backup', '--deadline', 'soon', '--no-color'], { stderrIsTTY: true });
    assert.match(plain.err, /^error: --deadline: /);
  });
});

void describe('lint: colour on a terminal, -o yaml', () => {
  const broken = join(fx, 'backup.yaml');
  void it('a terminal paints the severity; piped, NO_COLOR or --no-color do not', async () => {
    const tty = await cli(['lint', broken], { stdoutIsTTY: true });
    assert.equal(tty.code, 1, tty.err);
    assert.match(tty.out, ansi(': <ESC>\\[31merror<ESC>\\[39m <ESC>\\[1m[a-z-]+<ESC>\\[22m: '));
    for (const [argv, options] of [
      [['lint', broken], {}],
      [['lint', broken], { stdoutIsTTY: true, env: { NO_COLOR: '1' } }],
      [['lint', '--no-color', broken], { stdoutIsTTY: true }],
    ] as const) {
      const r = await cli(argv, options);
      assert.equal(r.code, 1, r.err);
      assert.ok(!r.out.includes(ESC), `${argv.join(' ')} ${JSON.stringify(options)}`);
      assert.match(r.out, /: error [a-z-]+: /);
    }
  });
  void it('-o yaml is the JSON document (same fields, same values), valid against the lint schema', async () => {
    const json = await cli(['lint', '-o', 'json', broken]);
    const yaml = await cli(['lint', '-o', 'yaml', broken]);
    assert.equal(yaml.code, json.code);
    assert.ok(!yaml.out.trimStart().startsWith('{'));
    const doc: unknown = parseYaml(yaml.out);
    assert.deepEqual(doc, assertMatchesSchema('lint-output', json.out));
    assert.deepEqual(assertMatchesSchema('lint-output', JSON.stringify(doc)), doc);
  });
});

void describe('plan and run with the phase alone', () => {
  void it('plan k8s/: pre-backup annotation hooks without any --backup file', async () => {
    const r = await cli(['plan', '-o', 'json', join(fx, 'postgres-statefulset.yaml')]);
    assert.equal(r.code, 0, r.err);
    const plan = assertMatchesSchema('plan-output', r.out) as { hooks: { phase: string; source: string }[] };
    assert.ok(plan.hooks.length > 0);
    assert.ok(plan.hooks.every((h) => h.phase === 'pre' && h.source === 'annotation'));
  });
  void it('plan --phase restore: restore hooks from annotations; -o wide adds skip codes', async () => {
    const r = await cli(['plan', '--phase', 'restore', '-o', 'wide', join(fx, 'web-deployment.yaml'), join(fx, 'postgres-statefulset.yaml')]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /\[(no-hooks|annotation-without-command)\]$/m);
  });
  void it('plan of manifests with no hook: a warning naming the pods and codes; --fail-if-no-hooks exits 1', async () => {
    const r = await cli(['plan', '--phase', 'post', join(fx, 'web-deployment.yaml')]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /^warning: no hook planned: 1 pod seen in the manifests, 1 skipped; top reasons:/m);
    const strict = await cli(['plan', '--phase', 'post', '--fail-if-no-hooks', join(fx, 'web-deployment.yaml')]);
    assert.equal(strict.code, 1, strict.err);
    assert.match(strict.err, /^error: no hook planned: .*\(--fail-if-no-hooks\)$/m);
  });
  void it('run post-restore -o yaml without --restore: the same document as JSON would be, per schema', async () => {
    const pod = annotated('pg-0', { 'post.hook.restore.velero.io/command': '["/bin/warm"]' });
    const yaml = await cli(['run', 'post-restore', '-o', 'yaml', '--no-events'], { pods: [pod] });
    assert.equal(yaml.code, 0, yaml.err);
    const { parse } = await import('yaml');
    const doc = parse(yaml.out) as Record<string, unknown>;
    assertMatchesSchema('run-output', JSON.stringify(doc));
    assert.equal(doc['kind'], 'post-restore');
    assert.deepEqual(doc['namespaces'], ['app']);
  });
});

void describe('Events name the Backup or Restore the hooks came from', () => {
  const pod = (() => {
    const p = podWith('postgres-0', { postgres: 'running' }, { namespace: 'db' });
    return { ...p, metadata: { ...p.metadata, labels: { app: 'postgres' } } };
  })();
  void it('a Backup file with metadata.namespace: the Event says Backup velero/nightly-db', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubehooks-events-'));
    const file = join(dir, 'backup.yaml');
    writeFileSync(
      file,
      ['apiVersion: velero.io/v1', 'kind: Backup', 'metadata: {name: nightly-db, namespace: velero}', 'spec:', '  hooks:', '    resources:',
        '      - name: postgres-freeze', '        pre: [{exec: {container: postgres, command: ["/bin/true"]}}]', ''].join('\n'),
    );
    try {
      // The default (ADR 0023): one summary per pod and phase.
      const r = await cli(['run', 'pre-backup', '--backup', file, '-n', 'db'], { pods: [pod] });
      assert.equal(r.code, 0, r.err);
      assert.deepEqual(r.events.records.map((e) => e.reason), ['HooksSucceeded']);
      assert.match(r.events.records[0]?.message ?? '', /^pre-backup hooks for Backup velero\/nightly-db: 1 of 1 succeeded: postgres-freeze#0 \(spec\) in container postgres in \d+ms$/);
      // --events per-hook: the hook's own Event (ADR 0022's).
      const perHook = await cli(['run', 'pre-backup', '--backup', file, '-n', 'db', '--events', 'per-hook'], { pods: [pod] });
      assert.equal(perHook.code, 0, perHook.err);
      assert.deepEqual(perHook.events.records.map((e) => e.reason), ['HookSucceeded']);
      assert.match(perHook.events.records[0]?.message ?? '', /^pre-backup hook postgres-freeze#0 \(spec\) in container postgres for Backup velero\/nightly-db succeeded in \d+ms$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  void it('annotation hooks alone (no file): the Event names no object', async () => {
    const r = await cli(['run', 'pre-backup', '-n', 'app'], { pods: [annotated('web-0', { 'pre.hook.backup.velero.io/command': '["/bin/true"]' })] });
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.events.records[0]?.message ?? '', / for (Backup|Restore) /);
  });
});
