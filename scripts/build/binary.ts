/**
 * npm run build:binary: the single executable, dist/kubehooks-linux-x64 (and its .sha256), from the
 * bundle that `npm run build` wrote. Node's single executable applications: a preparation blob
 * (dist/cli.cjs as the main script with its V8 code cache, the lazy chunks as assets) injected with
 * postject into a copy of the Node 22 binary that the `node` devDependency installed. Nothing is
 * downloaded. docs/adr/0004-build-and-package.md.
 *
 *   node scripts/build/binary.ts [--arch x64|arm64] [--if-available]   (default: this machine's)
 * --if-available: when that architecture's Node binary is not installed, say so and exit 0
 * (linux-arm64 needs `npm run install:node-arm64` first).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { inject } from 'postject';
import { LAZY_CHUNKS, REPO } from './bundle.ts';

const SENTINEL_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const DIST = join(REPO, 'dist');
const { values } = parseArgs({
  options: { arch: { type: 'string', default: process.arch }, 'if-available': { type: 'boolean', default: false } },
  strict: true,
});
const arch = values.arch;

/** The Node binary to embed into, from the npm registry package of that platform (no download here). */
function nodeBinary(): string {
  const candidates =
    arch === process.arch
      ? [join(REPO, 'node_modules', 'node', 'bin', 'node'), join(REPO, 'node_modules', `node-linux-${arch}`, 'bin', 'node')]
      : [
          join(REPO, 'node_modules', `node-linux-${arch}`, 'bin', 'node'),
          // npm run install:node-arm64 puts the registry package here (npm ci never installs a foreign cpu's).
          join(REPO, '.cache', `node-linux-${arch}`, 'node_modules', `node-linux-${arch}`, 'bin', 'node'),
        ];
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined) {
    throw new Error(`no Node binary for linux-${arch}: looked at ${candidates.join(', ')} (the node-linux-${arch} npm package provides it: npm run install:node-${arch})`);
  }
  return found;
}

function fail(message: string): never {
  process.stderr.write(`build:binary: ${message}\n`);
  process.exit(1);
}

const started = Date.now();
const main = join(DIST, 'cli.cjs');
if (!existsSync(main)) fail('dist/cli.cjs is missing: run `npm run build` first');
let node: string;
try {
  node = nodeBinary();
} catch (err) {
  if (values['if-available']) {
    process.stderr.write(`build:binary: skipping linux-${arch}: ${(err as Error).message}\n`);
    process.exit(0);
  }
  fail((err as Error).message);
}
const work = mkdtempSync(join(os.tmpdir(), 'kubehooks-sea-'));
try {
  const blob = join(work, 'sea-prep.blob');
  const assets = Object.fromEntries(LAZY_CHUNKS.map((chunk) => [`${chunk.name}.cjs`, join(DIST, `${chunk.name}.cjs`)]));
  const config = {
    main,
    output: blob,
    disableExperimentalSEAWarning: true,
    // A code cache is V8 data of the building machine's architecture: only for a native build.
    useCodeCache: arch === process.arch,
    useSnapshot: false,
    assets,
  };
  writeFileSync(join(work, 'sea-config.json'), JSON.stringify(config, null, 2));
  // The blob is made by the Node that will run it (same version): the one being embedded, if it runs here.
  const generator = arch === process.arch ? node : process.execPath;
  execFileSync(generator, ['--experimental-sea-config', join(work, 'sea-config.json')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const out = join(DIST, `kubehooks-linux-${arch}`);
  rmSync(out, { force: true });
  copyFileSync(node, out);
  chmodSync(out, 0o755);
  await inject(out, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SENTINEL_FUSE });
  const digest = createHash('sha256').update(readFileSync(out)).digest('hex');
  writeFileSync(`${out}.sha256`, `${digest}  kubehooks-linux-${arch}\n`);
  const size = statSync(out).size;
  process.stderr.write(
    `build:binary: dist/kubehooks-linux-${arch} (${(size / 2 ** 20).toFixed(1)} MiB, Node ${execFileSync(generator, ['--version'], { encoding: 'utf8' }).trim()}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
