/**
 * npm run bench:startup -- [--runs 7] [--out FILE]
 *
 * Phase S of the benchmark (bench/README.md, "Start-up"): what one kubehooks process costs before it
 * does anything, for each way of running it, as medians of --runs runs and as ratios against
 * `node -e 0` measured in the same run, interleaved so that machine noise spreads over all of them:
 *   lint     `lint` of a 20-line pod manifest: CPU seconds (user + system) and peak RSS
 *   help     `--help`: CPU seconds and peak RSS
 *   run      `run post-restore`: wall time from spawn to the first request reaching the API server
 *            (a local HTTP server that answers 403, so the run ends there), and its CPU and RSS
 * Variants: the source checkout (bin/kubehooks.js, type stripping), the npm package's command
 * (dist/kubehooks.cjs: the file the package installs, with Node's compile cache warm, and with it
 * disabled), and the single executable (dist/kubehooks-linux-<arch>). CPU and RSS come from the
 * kernel's rusage of the child (GNU time), not from sampling. Needs `npm run build` and
 * `npm run build:binary` for the built variants (missing ones are reported and skipped).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { spawnOwned } from '../src/testing/owned-process.ts';
import { percentile } from './lib/stats.ts';

const median = (values: readonly number[]): number => percentile([...values].sort((a, b) => a - b), 0.5);

const REPO = resolve(import.meta.dirname, '..');
const TIME = '/usr/bin/time';
const { values: flags } = parseArgs({
  options: { runs: { type: 'string', default: '7' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
  strict: true,
});
if (flags.help) {
  process.stdout.write('usage: node bench/startup.ts [--runs 7] [--out FILE]   (npm run bench:startup)\n');
  process.exit(0);
}
const RUNS = Number(flags.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`--runs must be a positive integer, not "${flags.runs}"`);
if (!existsSync(TIME)) {
  process.stderr.write(`bench:startup needs GNU time at ${TIME} (apt-get install time)\n`);
  process.exit(2);
}

interface Variant {
  readonly name: string;
  readonly argv: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}
const node = process.execPath;
const binary = join(REPO, 'dist', `kubehooks-linux-${process.arch}`);
const allVariants: readonly (Variant & { readonly needs?: string })[] = [
  { name: 'checkout (bin/kubehooks.js)', argv: [node, join(REPO, 'bin', 'kubehooks.js')] },
  { name: 'npm package, compile cache warm', argv: [node, join(REPO, 'dist', 'kubehooks.cjs')], needs: join(REPO, 'dist', 'cli.cjs') },
  { name: 'npm package, no compile cache', argv: [node, join(REPO, 'dist', 'kubehooks.cjs')], env: { NODE_DISABLE_COMPILE_CACHE: '1' }, needs: join(REPO, 'dist', 'cli.cjs') },
  // The memory defaults of run/thaw (docs/adr/0025) off: what setting them costs at start.
  { name: 'npm package, compile cache warm, KUBEHOOKS_MEMORY_DEFAULTS=off', argv: [node, join(REPO, 'dist', 'kubehooks.cjs')], env: { KUBEHOOKS_MEMORY_DEFAULTS: 'off' }, needs: join(REPO, 'dist', 'cli.cjs') },
  { name: 'single executable', argv: [binary], needs: binary },
];
const variants = allVariants.filter((v) => {
  if (v.needs === undefined || existsSync(v.needs)) return true;
  process.stderr.write(`bench:startup: skipping "${v.name}": ${v.needs} is missing (npm run build, npm run build:binary)\n`);
  return false;
});

interface Sample {
  readonly cpuS: number;
  readonly rssMiB: number;
  readonly wallS: number;
  readonly firstRequestMs?: number;
}

const work = mkdtempSync(join(os.tmpdir(), 'kubehooks-bench-startup-'));
const compileCache = join(work, 'compile-cache');
mkdirSync(compileCache);
const smallFile = join(work, 'pod.yaml');
writeFileSync(
  smallFile,
  [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    '  name: db',
    '  namespace: shop',
    '  labels:',
    '    app: db',
    '  annotations:',
    "    pre.hook.backup.velero.io/command: '[\"/bin/sh\", \"-c\", \"sync\"]'",
    '    pre.hook.backup.velero.io/container: postgres',
    '    pre.hook.backup.velero.io/timeout: 2m',
    "    post.hook.restore.velero.io/command: '[\"/bin/sh\", \"-c\", \"psql -c ANALYZE\"]'",
    '    post.hook.restore.velero.io/wait-for-ready: "true"',
    'spec:',
    '  containers:',
    '    - name: postgres',
    '      image: postgres:16',
    '      readinessProbe:',
    '        exec: {command: [pg_isready]}',
    '    - name: exporter',
    '',
  ].join('\n'),
);
const restoreFile = join(work, 'restore.yaml');
writeFileSync(
  restoreFile,
  'apiVersion: velero.io/v1\nkind: Restore\nmetadata: {name: r, namespace: velero}\nspec:\n  backupName: b\n  hooks:\n    resources:\n      - name: all\n        postHooks: [{exec: {command: [/bin/true]}}]\n',
);

/** A stand-in API server: notes when the first request arrives, answers 403 so the run stops. */
let firstRequestAt: bigint | undefined;
const server = http.createServer((req, res) => {
  firstRequestAt ??= process.hrtime.bigint();
  req.resume();
  res.writeHead(403, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'bench: forbidden', reason: 'Forbidden', code: 403 }));
});
await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
const port = (server.address() as AddressInfo).port;
const kubeconfig = join(work, 'kubeconfig');
writeFileSync(
  kubeconfig,
  `apiVersion: v1\nkind: Config\nclusters: [{name: b, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]\nusers: [{name: b, user: {token: bench}}]\ncontexts: [{name: b, context: {cluster: b, user: b}}]\ncurrent-context: b\n`,
);

const CASES: Readonly<Record<string, readonly string[]>> = {
  lint: ['lint', smallFile],
  help: ['--help'],
  run: ['run', 'post-restore', '--restore', restoreFile, '--kubeconfig', kubeconfig, '--deadline', '20s', '--no-events'],
};

/** One measured process: rusage through GNU time (-f '%e %U %S %M': wall, user, system, max RSS KiB). */
function measure(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Sample> {
  const timeFile = join(work, 'time.txt');
  firstRequestAt = undefined;
  const started = process.hrtime.bigint();
  return new Promise((done, reject) => {
    // Owned, in a group of its own: the deadline's SIGKILL reaches kubehooks too, not GNU time alone.
    const owned = spawnOwned(TIME, ['-f', '%e %U %S %M', '-o', timeFile, ...argv], {
      stdio: ['ignore', 'ignore', 'ignore'],
      env: { ...process.env, KUBECONFIG: '', NODE_COMPILE_CACHE: compileCache, ...env },
    });
    const { child } = owned;
    const deadline = setTimeout(() => void owned.stop({ signal: 'SIGKILL' }).catch(() => undefined), 60_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(deadline);
      // GNU time puts "Command exited with non-zero status N" before the figures.
      const last = readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '';
      const [wall = NaN, user = NaN, sys = NaN, rssKiB = NaN] = last.split(' ').map(Number);
      const first = firstRequestAt === undefined ? undefined : Number(firstRequestAt - started) / 1e6;
      done({ wallS: wall, cpuS: user + sys, rssMiB: rssKiB / 1024, ...(first !== undefined ? { firstRequestMs: first } : {}) });
    });
  });
}

interface Row {
  readonly variant: string;
  readonly case: string;
  readonly cpuS: number;
  readonly wallS: number;
  readonly rssMiB: number;
  readonly firstRequestMs?: number;
  /** First request's time over `node -e 0`'s wall time (both medians). */
  readonly firstRequestRatio?: number;
  readonly cpuRatio: number;
  readonly rssRatio: number;
}

try {
  const baselineArgv = [node, '-e', '0'];
  const depsArgv = [node, '-e', "require('yaml'); require('zod'); require('commander')"];
  // One untimed start per variant and case primes the compile cache and the page cache.
  for (const v of variants) for (const args of Object.values(CASES)) await measure([...v.argv, ...args], v.env);
  const samples = new Map<string, Sample[]>();
  const add = (key: string, s: Sample): void => void samples.set(key, [...(samples.get(key) ?? []), s]);
  for (let i = 0; i < RUNS; i += 1) {
    add('node -e 0', await measure(baselineArgv));
    add('node + yaml, zod, commander', await measure(depsArgv, { NODE_PATH: join(REPO, 'node_modules') }));
    for (const v of variants) for (const [name, args] of Object.entries(CASES)) add(`${v.name}|${name}`, await measure([...v.argv, ...args], v.env));
    process.stderr.write(`bench:startup: round ${i + 1}/${RUNS}\n`);
  }
  const med = (key: string, pick: (s: Sample) => number | undefined): number =>
    median((samples.get(key) ?? []).map(pick).filter((x): x is number => x !== undefined));
  const baseCpu = med('node -e 0', (s) => s.cpuS);
  const baseRss = med('node -e 0', (s) => s.rssMiB);
  const baseWall = med('node -e 0', (s) => s.wallS);
  const rows: Row[] = [];
  for (const key of samples.keys()) {
    const [variant = key, kase = '-'] = key.split('|');
    const cpuS = med(key, (s) => s.cpuS);
    const rssMiB = med(key, (s) => s.rssMiB);
    const wallS = med(key, (s) => s.wallS);
    const first = kase === 'run' ? med(key, (s) => s.firstRequestMs) : undefined;
    rows.push({
      variant,
      case: kase,
      cpuS,
      wallS,
      rssMiB,
      ...(first !== undefined ? { firstRequestMs: first, firstRequestRatio: first / 1000 / baseWall } : {}),
      cpuRatio: cpuS / baseCpu,
      rssRatio: rssMiB / baseRss,
    });
  }
  const lines = [
    `| variant | case | CPU s (median) | × node -e 0 | peak RSS MiB | × node -e 0 | wall s | spawn → first API request (× node -e 0 wall) |`,
    `|---|---|---|---|---|---|---|---|`,
    ...rows.map(
      (r) =>
        `| ${r.variant} | ${r.case} | ${r.cpuS.toFixed(3)} | ${r.cpuRatio.toFixed(1)} | ${r.rssMiB.toFixed(0)} | ${r.rssRatio.toFixed(2)} | ${r.wallS.toFixed(2)} | ${
          r.case !== 'run'
            ? ''
            : r.firstRequestMs === undefined || Number.isNaN(r.firstRequestMs)
              ? 'no request'
              : `${(r.firstRequestMs / 1000).toFixed(3)} s (${(r.firstRequestRatio ?? NaN).toFixed(1)}×)`
        } |`,
    ),
  ];
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    runs: RUNS,
    machine: { cpus: os.cpus().length, loadavg: os.loadavg() },
    rows,
    samples: Object.fromEntries(samples),
  };
  const out = flags.out ?? join(REPO, 'bench', 'results', `${result.date.slice(0, 10)}-startup.json`);
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${lines.join('\n')}\n\n(${RUNS} runs each; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; ${out})\n`);
} finally {
  server.close();
  rmSync(work, { recursive: true, force: true });
}
