/**
 * The artifacts as a user gets them, not the checkout: the packed npm tarball installed into an empty
 * prefix, `npx` of the tarball, a consumer project (plain ESM JavaScript and TypeScript with
 * moduleResolution nodenext and bundler) that imports the library, the single executable, and both as
 * the kubectl plugin. Each command's output is compared with the source checkout's on the same input.
 * Needs `npm run build` and `npm run build:binary` first (`npm test` runs them).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { runOwned } from '../src/testing/owned-process.ts';
import { e2eContext, e2eSkipReason } from './harness/index.ts';
import { kubehooks as sourceKubehooks, markerDir, sh, writeYaml } from './run-harness.ts';
import type { CliResult } from './run-harness.ts';

const REPO = resolve(import.meta.dirname, '..');
const DIST = join(REPO, 'dist');
const FIXTURES = join(REPO, 'test', 'fixtures', 'manifests');
const BINARY = join(DIST, `kubehooks-linux-${process.arch}`);
const NODE_DIR = resolve(process.execPath, '..');
const skipCluster = e2eSkipReason();
const missingBuild = existsSync(join(DIST, 'kubehooks.cjs')) ? false : 'dist/ is missing: run `npm run build` (npm test does)';
const missingBinary = existsSync(BINARY) ? false : `${BINARY} is missing: run \`npm run build:binary\` (npm test does)`;

/** PATH with this Node first: the installed command's `#!/usr/bin/env node` must find Node 22. */
const pathWith = (...dirs: string[]): string => [...dirs, NODE_DIR, process.env['PATH'] ?? '/usr/bin:/bin'].join(':');

/**
 * A command to completion, owned by this test process (src/testing/owned-process.ts: its own group,
 * stopped at the deadline, and with this process however it ends; npm and npx start children).
 * Rejects when it did not exit by itself (could not start, the deadline, more output than 64 MiB).
 */
async function run(file: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  const r = await runOwned(file, args, { cwd: options.cwd ?? REPO, env: { ...process.env, KUBECONFIG: '', ...options.env }, timeoutMs: options.timeoutMs ?? 120_000, maxBuffer: 64 << 20 });
  if (r.code === null) throw new Error(`${file} ${args.join(' ')}: ${r.timedOut ? 'deadline or output bound reached' : `ended by ${r.signal ?? 'failure to start'}`}\n${r.stderr}`);
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

async function npm(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const r = await run('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd, env: { PATH: pathWith(), ...env }, timeoutMs: 300_000 });
  assert.equal(r.code, 0, `npm ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** The checkout's answer for the same command line: what every artifact must print. */
async function expectSameAsSource(result: CliResult, args: readonly string[], label: string): Promise<void> {
  const source = await sourceKubehooks(args);
  assert.equal(result.code, source.code, `${label}: exit ${result.code} vs source ${source.code}\n${result.stderr}`);
  assert.equal(result.stdout, source.stdout, `${label}: stdout differs from the source checkout`);
  assert.equal(result.stderr, source.stderr, `${label}: stderr differs from the source checkout`);
}

const LINT = ['lint', FIXTURES];
const LINT_JSON = ['lint', '--output', 'json', FIXTURES];
const PLAN = ['plan', '--restore', join(FIXTURES, 'restore.yaml'), FIXTURES];

function checkVersion(stdout: string, label: string): void {
  const lines = stdout.split('\n');
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
  const build = JSON.parse(readFileSync(join(DIST, 'build-info.json'), 'utf8')) as { commit: string; clientNodeVersion: string };
  assert.equal(lines[0], `kubehooks ${pkg.version}`, label);
  assert.equal(lines[1], `commit: ${build.commit}`, label);
  assert.match(build.commit, /^[0-9a-f]{12}(-dirty)?$/, `${label}: the build knows its commit`);
  assert.match(lines[2] ?? '', /^node: v22\.\d+\.\d+$/, label);
  assert.equal(lines[3], `client-node: ${build.clientNodeVersion}`, label);
}

async function postRestoreThrough(t: TestContext, file: string, label: string): Promise<void> {
  const ctx = await e2eContext(t);
  const m = await markerDir(t);
  await ctx.createPod({
    name: 'db',
    annotations: { 'post.hook.restore.velero.io/command': JSON.stringify(sh(`echo restored > ${m.dir}/db; echo done`)) },
  });
  await ctx.createPod({ name: 'web', startDelayMs: 300 });
  const restore = await writeYaml(t, 'restore.yaml', {
    apiVersion: 'velero.io/v1',
    kind: 'Restore',
    metadata: { name: 'artifact', namespace: 'velero' },
    spec: { backupName: 'b', hooks: { resources: [{ name: 'web', includedNamespaces: [ctx.namespace], postHooks: [{ exec: { command: sh('echo spec') } }] }] } },
  });
  const r = await run(file, ['run', 'post-restore', '--restore', restore, '--kubeconfig', ctx.kubeconfigPath, '-n', ctx.namespace, '-o', 'json', '--deadline', '2m'], {
    env: { PATH: pathWith() },
  });
  assert.equal(r.code, 0, `${label}: ${r.stderr}`);
  const report = JSON.parse(r.stdout) as { summary: { attempted: number; failed: number }; results: { pod: string; source: string; status: string; stdout: string }[] };
  assert.deepEqual(
    report.results.map((x) => `${x.pod}:${x.source}:${x.status}:${x.stdout.trim()}`).sort(),
    ['db:annotation:succeeded:done', 'web:spec:succeeded:spec'],
    label,
  );
  assert.deepEqual({ attempted: report.summary.attempted, failed: report.summary.failed }, { attempted: 2, failed: 0 }, label);
  assert.equal(await m.read('db'), 'restored\n', `${label}: the hook ran in the pod`);
}

void describe('artifacts: npm package', { skip: missingBuild }, () => {
  let work = '';
  let tarball = '';
  let prefix = '';
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'kubehooks-artifacts-'));
    // prepack would rebuild dist/; npm test has just built it.
    const packed = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], REPO);
    const info = JSON.parse(packed.stdout) as { filename: string }[];
    tarball = join(work, info[0]?.filename ?? 'missing.tgz');
    prefix = join(work, 'prefix');
    mkdirSync(prefix);
    await npm(['install', '--global', '--prefix', prefix, tarball], work);
  });
  after(() => {
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  void it('the tarball holds the built package only: no sources, tests, e2e, bench or fixtures', async () => {
    const r = await npm(['pack', '--ignore-scripts', '--dry-run', '--json'], REPO);
    const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path) ?? [];
    for (const need of ['package.json', 'README.md', 'dist/index.js', 'dist/types/src/index.d.ts', 'dist/kubehooks.cjs', 'dist/cli.cjs', 'dist/kube.cjs', 'dist/kube-extras.cjs']) {
      assert.ok(files.includes(need), `${need} missing from the tarball`);
    }
    const stray = files.filter((f) => /^(src|e2e|test|bench|scripts|examples|demo|bin)\//.test(f) || /\.test\.|\.ts$/.test(f.replace(/\.d\.ts$/, '')));
    assert.deepEqual(stray, []);
    assert.ok(!files.some((f) => f.startsWith(`dist/kubehooks-linux-`)), 'the single executable is not in the npm package');
  });

  void it('installed globally into an empty prefix: --version, lint and plan on the fixtures match the checkout', async () => {
    const bin = join(prefix, 'bin', 'kubehooks');
    const version = await run(bin, ['--version'], { env: { PATH: pathWith() } });
    assert.equal(version.code, 0, version.stderr);
    checkVersion(version.stdout, 'installed');
    await expectSameAsSource(await run(bin, LINT, { env: { PATH: pathWith() } }), LINT, 'installed lint');
    await expectSameAsSource(await run(bin, LINT_JSON, { env: { PATH: pathWith() } }), LINT_JSON, 'installed lint json');
    await expectSameAsSource(await run(bin, PLAN, { env: { PATH: pathWith() } }), PLAN, 'installed plan');
    const demo = await run(bin, ['demo'], { env: { PATH: pathWith() } });
    assert.equal(demo.code, 2);
    assert.match(demo.stderr, /npm run demo/);
  });

  void it('as the kubectl plugin: `kubectl backup-hooks` runs the installed command', { skip: kubectlMissing() }, async () => {
    const env = { PATH: pathWith(join(prefix, 'bin')) };
    const list = await run('kubectl', ['plugin', 'list'], { env });
    assert.match(list.stdout, /kubectl-backup_hooks/);
    await expectSameAsSource(await run('kubectl', ['backup-hooks', ...LINT], { env }), LINT, 'kubectl plugin lint');
    const help = await run('kubectl', ['backup-hooks', '--help'], { env });
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: kubectl backup-hooks /);
  });

  void it('npx of the tarball runs the CLI', async () => {
    const r = await run('npx', ['--yes', '--prefer-offline', '--package', tarball, 'kubehooks', ...LINT], {
      cwd: work,
      env: { PATH: pathWith() },
      timeoutMs: 300_000,
    });
    await expectSameAsSource(r, LINT, 'npx');
  });

  void it('a consumer project imports the library: plain ESM JavaScript runs; TypeScript (nodenext and bundler) type-checks and runs', async () => {
    const app = join(work, 'consumer');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const typesNode = (JSON.parse(readFileSync(join(REPO, 'node_modules', '@types', 'node', 'package.json'), 'utf8')) as { version: string }).version;
    await npm(['install', tarball, `@types/node@${typesNode}`], app);
    const js = [
      "import { parseGoDuration, lintSources, planRestore, renderDiagnosticsJson, main } from 'kubehooks';",
      "const d = parseGoDuration('1m30s');",
      "if (!d.ok || d.ns !== 90_000_000_000n) throw new Error('parseGoDuration: ' + JSON.stringify(String(d.ns)));",
      "const r = lintSources([{ file: 'pod.yaml', text: 'apiVersion: v1\\nkind: Pod\\nmetadata:\\n  name: p\\n  annotations:\\n    pre.hook.backup.velero.io/command: /bin/sh -c sync\\nspec:\\n  containers: [{name: app}]\\n' }]);",
      "const codes = JSON.parse(renderDiagnosticsJson(r.diagnostics)).diagnostics.map((x) => x.code);",
      "if (typeof planRestore !== 'function' || typeof main !== 'function') throw new Error('exports missing');",
      "console.log(codes.join(','));",
    ].join('\n');
    writeFileSync(join(app, 'main.mjs'), js);
    const ts = [
      "import { parseGoDuration, lintSources, formatGoDuration } from 'kubehooks';",
      "import type { Diagnostic, LintResult, RunReport } from 'kubehooks';",
      "const d = parseGoDuration('1m30s');",
      "const text: string = d.ok ? formatGoDuration(d.ns) : d.error;",
      "const r: LintResult = lintSources([{ file: 'pod.yaml', text: 'apiVersion: v1\\nkind: Pod\\nmetadata: {name: p}\\n' }]);",
      'const first: Diagnostic | undefined = r.diagnostics[0];',
      'const none: RunReport | undefined = undefined;',
      'console.log(text, first?.code ?? "none", none === undefined);',
    ].join('\n');
    writeFileSync(join(app, 'main.ts'), ts);
    writeFileSync(join(app, 'bad.ts'), "import { parseGoDuration } from 'kubehooks';\nconst n: number = parseGoDuration('1s');\nconsole.log(n);\n");
    const base = { strict: true, target: 'es2023', lib: ['es2023'], types: ['node'], noEmit: true, skipLibCheck: false, exactOptionalPropertyTypes: true };
    writeFileSync(join(app, 'tsconfig.nodenext.json'), JSON.stringify({ compilerOptions: { ...base, module: 'nodenext', moduleResolution: 'nodenext' }, files: ['main.ts'] }));
    // The package's own .d.ts (and those of the dependencies it names) are checked once, under nodenext.
    writeFileSync(join(app, 'tsconfig.bundler.json'), JSON.stringify({ compilerOptions: { ...base, skipLibCheck: true, module: 'esnext', moduleResolution: 'bundler' }, files: ['main.ts'] }));
    writeFileSync(join(app, 'tsconfig.bad.json'), JSON.stringify({ compilerOptions: { ...base, skipLibCheck: true, module: 'nodenext', moduleResolution: 'nodenext' }, files: ['bad.ts'] }));

    const jsRun = await run(process.execPath, ['main.mjs'], { cwd: app });
    assert.equal(jsRun.code, 0, jsRun.stderr);
    assert.equal(jsRun.stdout.trim(), 'command-shell-line');
    const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
    for (const config of ['tsconfig.nodenext.json', 'tsconfig.bundler.json']) {
      const check = await run(process.execPath, [tsc, '-p', config], { cwd: app });
      assert.equal(check.code, 0, `${config}:\n${check.stdout}${check.stderr}`);
    }
    // The types are real: a wrong use is an error naming the type.
    const bad = await run(process.execPath, [tsc, '-p', 'tsconfig.bad.json'], { cwd: app });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stdout, /bad\.ts.*GoDurationResult.*number/s);
    const tsRun = await run(process.execPath, ['main.ts'], { cwd: app });
    assert.equal(tsRun.code, 0, tsRun.stderr);
    assert.match(tsRun.stdout, /^1m30s \S+ true$/m);
  });

  void it('run post-restore through the installed command against the local control plane', { skip: skipCluster }, async (t) => {
    await postRestoreThrough(t, join(prefix, 'bin', 'kubehooks'), 'installed');
  });
});

function kubectlMissing(): string | false {
  const probe = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8', timeout: 10_000 });
  return probe.error === undefined && probe.status === 0 ? false : 'kubectl not available; .ci/run installs Debian kubectl';
}

void describe('artifacts: single executable', { skip: missingBinary }, () => {
  let bin = '';
  before(() => {
    // No Node on PATH: the executable carries its own.
    bin = mkdtempSync(join(tmpdir(), 'kubehooks-sea-bin-'));
    copyFileSync(BINARY, join(bin, 'kubehooks'));
    symlinkSync(join(bin, 'kubehooks'), join(bin, 'kubectl-backup_hooks'));
    spawnSync('chmod', ['755', join(bin, 'kubehooks')]);
  });
  after(() => {
    if (bin !== '') rmSync(bin, { recursive: true, force: true });
  });
  const noNode = (): NodeJS.ProcessEnv => ({ PATH: `${bin}:/usr/bin:/bin` });

  void it('its .sha256 matches and it starts without Node on PATH: --version, lint, plan match the checkout', async () => {
    const sum = readFileSync(`${BINARY}.sha256`, 'utf8').split(/\s+/)[0];
    const check = spawnSync('sha256sum', [BINARY], { encoding: 'utf8' });
    assert.equal(check.stdout.split(/\s+/)[0], sum);
    const exe = join(bin, 'kubehooks');
    const version = await run(exe, ['--version'], { env: noNode() });
    assert.equal(version.code, 0, version.stderr);
    checkVersion(version.stdout, 'binary');
    await expectSameAsSource(await run(exe, LINT, { env: noNode() }), LINT, 'binary lint');
    await expectSameAsSource(await run(exe, PLAN, { env: noNode() }), PLAN, 'binary plan');
  });

  void it('as the kubectl plugin on PATH: `kubectl backup-hooks lint`', { skip: kubectlMissing() }, async () => {
    const r = await run('kubectl', ['backup-hooks', ...LINT], { env: noNode() });
    await expectSameAsSource(r, LINT, 'binary as kubectl plugin');
  });

  void it('run post-restore through the single executable against the local control plane', { skip: skipCluster }, async (t) => {
    await postRestoreThrough(t, join(bin, 'kubehooks'), 'binary');
  });
});

const ARM64 = join(DIST, 'kubehooks-linux-arm64');
function arm64Skip(): string | false {
  if (process.arch === 'arm64') return false;
  if (!existsSync(ARM64)) return `${ARM64} is missing (npm run install:node-arm64, then npm run build:binary)`;
  const probe = spawnSync('qemu-aarch64', ['-version'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.error !== undefined || probe.status !== 0) return 'qemu-aarch64 is not installed (apt-get install qemu-user); .ci/run installs it';
  if (!existsSync('/lib/ld-linux-aarch64.so.1')) return 'no arm64 C library for qemu-user (apt-get install libc6:arm64 libstdc++6:arm64 with arm64 multiarch)';
  return false;
}

void describe('artifacts: single executable for linux-arm64', { skip: arm64Skip() }, () => {
  // On an x64 machine it runs under qemu-user: slow (about 10 s a start) but the real arm64 code.
  const exe = process.arch === 'arm64' ? [ARM64] : ['qemu-aarch64', ARM64];
  void it('--version and lint of the fixtures match the checkout', async () => {
    const [file = '', ...pre] = exe;
    const version = await run(file, [...pre, '--version'], { env: { PATH: '/usr/bin:/bin' } });
    assert.equal(version.code, 0, version.stderr);
    checkVersion(version.stdout, 'arm64 binary');
    assert.equal(readFileSync(`${ARM64}.sha256`, 'utf8').split(/\s+/)[0], spawnSync('sha256sum', [ARM64], { encoding: 'utf8' }).stdout.split(/\s+/)[0]);
    await expectSameAsSource(await run(file, [...pre, ...LINT], { env: { PATH: '/usr/bin:/bin' } }), LINT, 'arm64 binary lint');
  });
});
