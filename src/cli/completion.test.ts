import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { main } from './main.ts';
import { captureIo } from '../testing/cli-io.ts';
import { completionTree } from './completion.ts';
import type { Shell } from './completion.ts';

async function script(t: TestContext, shell: Shell): Promise<string> {
  const cap = captureIo();
  const code = await main(['completion', shell], { io: cap.io, name: 'kubehooks' });
  assert.equal(code, 0, cap.stderr());
  const dir = await mkdtemp(join(tmpdir(), 'kubehooks-completion-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, `kubehooks.${shell}`);
  await writeFile(file, cap.stdout());
  return file;
}

function shellMissing(shell: string): string | undefined {
  const probe = spawnSync(shell, ['-c', 'exit 0'], { timeout: 10_000 });
  return probe.error === undefined && probe.status === 0 ? undefined : `${shell} is not installed (.ci/run installs it with apt-get)`;
}

function run(shell: string, args: readonly string[]): string {
  const result = spawnSync(shell, args, { encoding: 'utf8', timeout: 20_000, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: tmpdir() } });
  assert.equal(result.error, undefined);
  assert.equal(result.status, 0, `${shell} failed: ${result.stderr}`);
  return result.stdout;
}

/** Typed words → candidates each shell must offer (the last word is the one being completed). */
const CASES: readonly { readonly words: readonly string[]; readonly expect: readonly string[]; readonly not?: readonly string[] }[] = [
  { words: ['kubehooks', ''], expect: ['lint', 'plan', 'inject', 'run', 'completion'] },
  { words: ['kubehooks', 'lint', '--output', ''], expect: ['text', 'json'], not: ['lint'] },
  { words: ['kubehooks', 'run', ''], expect: ['pre-backup', 'post-backup', 'post-restore'] },
  { words: ['kubehooks', 'run', 'post-restore', '--'], expect: ['--restore', '--kubeconfig', '--deadline'] },
  { words: ['kubehooks', 'completion', ''], expect: ['bash', 'zsh', 'fish'] },
];

void test('completion bash: the script loads, registers the function and completes', { skip: shellMissing('bash') }, async (t) => {
  const file = await script(t, 'bash');
  for (const { words, expect, not = [] } of CASES) {
    const line = words.map((w) => `'${w}'`).join(' ');
    const out = run('bash', [
      '-c',
      `set -e; source '${file}'; complete -p kubehooks; COMP_WORDS=(${line}); COMP_CWORD=${words.length - 1}; _kubehooks_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ]);
    const lines = out.split('\n');
    assert.match(lines[0] ?? '', /complete .*-F _kubehooks_complete kubehooks/);
    for (const word of expect) assert.ok(lines.includes(word), `${words.join(' ')} → ${word} missing in ${out}`);
    for (const word of not) assert.ok(!lines.includes(word), `${words.join(' ')} → ${word} should not be offered`);
  }
});

void test('completion zsh: the script loads under compinit, registers with compdef and completes', { skip: shellMissing('zsh') }, async (t) => {
  const file = await script(t, 'zsh');
  for (const { words, expect, not = [] } of CASES) {
    const line = words.map((w) => `'${w}'`).join(' ');
    const out = run('zsh', ['-f', '-c', `autoload -Uz compinit && compinit -u -D && source '${file}' && print -r -- "$_comps[kubehooks]" && _kubehooks_words ${line}`]);
    const [registered, words2 = ''] = out.split('\n');
    assert.equal(registered, '_kubehooks_complete');
    const offered = words2.split(' ');
    for (const word of expect) assert.ok(offered.includes(word), `${words.join(' ')} → ${word} missing in ${out}`);
    for (const word of not) assert.ok(!offered.includes(word), `${words.join(' ')} → ${word} should not be offered`);
  }
});

void test('completion fish: the script loads and `complete -C` offers the candidates', { skip: shellMissing('fish') }, async (t) => {
  const file = await script(t, 'fish');
  for (const { words, expect, not = [] } of CASES) {
    const out = run('fish', ['--no-config', '-c', `source '${file}'; complete -C '${words.join(' ')}'`]);
    const offered = out.split('\n').map((l) => l.split('\t')[0]);
    for (const word of expect) assert.ok(offered.includes(word), `${words.join(' ')} → ${word} missing in ${out}`);
    for (const word of not) assert.ok(!offered.includes(word), `${words.join(' ')} → ${word} should not be offered`);
  }
});

void test('completion: an unknown shell is a usage error naming the choices', async () => {
  const cap = captureIo();
  assert.equal(await main(['completion', 'tcsh'], { io: cap.io }), 2);
  assert.match(cap.stderr(), /bash, zsh, fish/);
});

void test('completionTree follows the command definitions: a new command and option appear', () => {
  const program = new Command('tool');
  program.command('alpha').description('first').option('--level <n>', 'a level').option('--fast', 'go');
  program.command('beta').argument('<mode>', 'on | off').option('--file <file>', 'input');
  const nodes = completionTree(program);
  const alpha = nodes.find((n) => n.path.join(' ') === 'alpha');
  assert.deepEqual(nodes.map((n) => n.path.join(' ')), ['', 'alpha', 'beta']);
  assert.ok(alpha);
  assert.deepEqual(alpha.options.map((o) => [o.names, o.value]), [[['--level'], []], [['--fast'], undefined], [['-h', '--help'], undefined]]);
  const beta = nodes.find((n) => n.path.join(' ') === 'beta');
  assert.ok(beta);
  assert.deepEqual(beta.argumentWords, ['on', 'off']);
  assert.equal(beta.options[0]?.value, 'files');
});
