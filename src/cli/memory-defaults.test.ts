import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { OLD_GENERATION_FLAG, YOUNG_GENERATION_FLAG, applyMemoryDefaults, memoryDefaults } from './memory-defaults.ts';

const BOTH = [OLD_GENERATION_FLAG, YOUNG_GENERATION_FLAG];

void describe('memoryDefaults', () => {
  const cases: readonly { name: string; argv: string[]; execArgv?: string[]; env?: Record<string, string>; want: string[] }[] = [
    { name: 'run post-restore gets both', argv: ['run', 'post-restore', '--restore', 'r.yaml'], want: BOTH },
    { name: 'run backup gets both', argv: ['run', 'backup', '-f', 'b.yaml'], want: BOTH },
    { name: 'thaw gets both', argv: ['thaw', '--journal', 'j'], want: BOTH },
    { name: 'a global option before the command', argv: ['--no-color', 'run', 'post-restore'], want: BOTH },
    { name: 'lint: none (short, small)', argv: ['lint', 'k8s/'], want: [] },
    { name: '--help: none', argv: ['--help'], want: [] },
    { name: 'no arguments: none', argv: [], want: [] },
    { name: 'the controller gets both (its HookRuns grow with the pods)', argv: ['controller', '--leader-elect'], want: BOTH },
    { name: 'the webhook: none (one review at a time)', argv: ['webhook'], want: [] },
    { name: 'KUBEHOOKS_MEMORY_DEFAULTS=off', argv: ['run', 'post-restore'], env: { KUBEHOOKS_MEMORY_DEFAULTS: 'off' }, want: [] },
    { name: 'KUBEHOOKS_MEMORY_DEFAULTS=0', argv: ['run', 'post-restore'], env: { KUBEHOOKS_MEMORY_DEFAULTS: '0' }, want: [] },
    { name: 'KUBEHOOKS_MEMORY_DEFAULTS=on is the default', argv: ['run', 'post-restore'], env: { KUBEHOOKS_MEMORY_DEFAULTS: 'on' }, want: BOTH },
    { name: 'the user chose a semi-space size: young generation left alone', argv: ['run', 'post-restore'], execArgv: ['--max-semi-space-size=8'], want: [OLD_GENERATION_FLAG] },
    { name: 'the same with underscores, in NODE_OPTIONS', argv: ['run', 'post-restore'], env: { NODE_OPTIONS: '--max_semi_space_size=8  --inspect' }, want: [OLD_GENERATION_FLAG] },
    { name: 'the user said --no-optimize-for-size: old generation left alone', argv: ['run', 'post-restore'], execArgv: ['--no-optimize-for-size'], want: [YOUNG_GENERATION_FLAG] },
    { name: 'a heap cap alone changes neither', argv: ['run', 'post-restore'], execArgv: ['--max-old-space-size=256'], want: BOTH },
    { name: 'a value that looks like a command after an option is still the command', argv: ['run', '--concurrency', '16'], want: BOTH },
  ];
  for (const c of cases) {
    void it(c.name, () => {
      assert.deepEqual(memoryDefaults({ argv: c.argv, execArgv: c.execArgv ?? [], env: c.env ?? {} }), c.want);
    });
  }
});

void describe('applyMemoryDefaults', () => {
  void it('sets each flag in order through the setter and returns them', () => {
    const set: string[] = [];
    const flags = applyMemoryDefaults({ argv: ['run', 'post-restore'], execArgv: [], env: {} }, (f) => set.push(f));
    assert.deepEqual(set, BOTH);
    assert.deepEqual(flags, BOTH);
  });
  void it('sets nothing for lint', () => {
    const set: string[] = [];
    applyMemoryDefaults({ argv: ['lint', '-'], execArgv: [], env: {} }, (f) => set.push(f));
    assert.deepEqual(set, []);
  });
});

void describe('the flags take effect when set at run time (after V8 set up its heap)', () => {
  // A child process churns objects with a retained share, as queued hooks do; V8 grows the young
  // generation to 16 MiB semi-spaces on its own, but not once the defaults are set.
  const child = (argv: string[]): { newSpaceMiB: number } => {
    const script = [
      `import v8 from 'node:v8';`,
      `import { applyMemoryDefaults } from ${JSON.stringify(new URL('./memory-defaults.ts', import.meta.url).href)};`,
      `applyMemoryDefaults({ argv: ${JSON.stringify(argv)}, execArgv: [], env: {} });`,
      `const kept = []; let maxNew = 0;`,
      `for (let i = 0; i < 400; i++) {`,
      `  for (let j = 0; j < 2000; j++) { const o = { s: 'x'.repeat(40) + j, a: [i, j] }; if (j % 10 === 0) kept.push(o); }`,
      `  if (kept.length > 50000) kept.splice(0, 2000);`,
      `  maxNew = Math.max(maxNew, v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);`,
      `}`,
      `process.stdout.write(JSON.stringify({ newSpaceMiB: maxNew / 2 ** 20 }));`,
    ].join('\n');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
    return JSON.parse(out) as { newSpaceMiB: number };
  };
  void it('run: the young generation stays at its starting 2 MiB; lint (no defaults): V8 grows it', () => {
    const run = child(['run', 'post-restore']);
    const lint = child(['lint', '-']);
    assert.ok(run.newSpaceMiB <= 2, `new space with the defaults: ${run.newSpaceMiB} MiB`);
    assert.ok(lint.newSpaceMiB > 2, `new space without: ${lint.newSpaceMiB} MiB (the check above would mean nothing)`);
  });
});
