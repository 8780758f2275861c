/**
 * npm run build: what the npm package ships (docs/adr/0004-build-and-package.md).
 *   dist/index.js      the library: src/index.ts bundled into one ES module; dependencies stay imports
 *   dist/types/        .d.ts from tsc (tsconfig.build.json), entry dist/types/src/index.d.ts
 *   dist/cli.cjs       the CLI: src/cli/main.ts with every dependency bundled into CommonJS (also the
 *                      single executable's script, scripts/build/binary.ts), plus lazy chunks
 *                      dist/<chunk>.cjs loaded on first use (LAZY_CHUNKS in bundle.ts)
 *   dist/kubehooks.cjs the installed command: a Node version check, then cli.cjs
 * Run with the Node 22 from node_modules/.bin (npm scripts do): node scripts/build/build.ts
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { CHUNK_LOADER, REPO, buildInfo, chunkEntrySource, chunkImportPlugin, commonOptions, demoStubPlugin, lazyChunkPlugin, resolveLazyChunks } from './bundle.ts';

const DIST = join(REPO, 'dist');
const started = Date.now();
const info = buildInfo();
const LAZY_CHUNKS = await resolveLazyChunks();
rmSync(DIST, { recursive: true, force: true });
mkdirSync(DIST, { recursive: true });

/**
 * The installed command (package.json "bin"): refuses an old Node with a message before anything
 * else is parsed, turns on Node's compile cache (V8 code for cli.cjs kept in the OS temp dir, so a
 * second start skips compiling the bundle), then runs the bundle.
 */
const LAUNCHER = `#!/usr/bin/env node
'use strict';
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write('kubehooks needs Node >= 22.18 (this is ' + process.version + '); install Node 22, or use the single executable\\n');
  process.exit(2);
}
try {
  require('node:module').enableCompileCache?.();
} catch {
  // no cache: only slower
}
require('./cli.cjs');
`;

/** The CLI entry: the chunk loader, the memory defaults, then argv to main() and its code to the exit code. */
export const CLI_ENTRY = [
  CHUNK_LOADER,
  // First: V8's memory settings for run/thaw (docs/adr/0025), before other modules allocate.
  "import './src/cli/memory-defaults-start.ts';",
  "import { main } from './src/cli/main.ts';",
  'main(process.argv.slice(2)).then((code) => { process.exitCode = code; });',
].join('\n');

await Promise.all([
  build({
    ...commonOptions(info),
    entryPoints: [join(REPO, 'src', 'index.ts')],
    outfile: join(DIST, 'index.js'),
    format: 'esm',
    packages: 'external',
    plugins: [demoStubPlugin()],
  }),
  build({
    ...commonOptions(info),
    stdin: { contents: CLI_ENTRY, resolveDir: REPO, sourcefile: 'kubehooks-cli.ts', loader: 'ts' },
    outfile: join(DIST, 'cli.cjs'),
    format: 'cjs',
    minify: true,
    plugins: [lazyChunkPlugin(LAZY_CHUNKS), demoStubPlugin()],
  }),
  ...LAZY_CHUNKS.map((chunk, i) =>
    build({
      ...commonOptions(info),
      stdin: { contents: chunkEntrySource(chunk), resolveDir: REPO, sourcefile: `${chunk.name}.js`, loader: 'js' },
      outfile: join(DIST, `${chunk.name}.cjs`),
      format: 'cjs',
      minify: true,
      // A chunk's own lazy imports go to the chunks after it.
      plugins: [chunkImportPlugin(chunk), lazyChunkPlugin(LAZY_CHUNKS.slice(i + 1))],
    }),
  ),
  new Promise<void>((done) => {
    execFileSync(join(REPO, 'node_modules', '.bin', 'tsc'), ['-p', join(REPO, 'tsconfig.build.json')], { stdio: 'inherit' });
    // The local-cluster scripts and the demo (stubbed in the bundles) are not part of the package.
    rmSync(join(DIST, 'types', 'scripts'), { recursive: true, force: true });
    rmSync(join(DIST, 'types', 'src', 'cli', 'demo.d.ts'), { force: true });
    done();
  }),
]);
writeFileSync(join(DIST, 'kubehooks.cjs'), LAUNCHER, { mode: 0o755 });
chmodSync(join(DIST, 'kubehooks.cjs'), 0o755);
writeFileSync(join(DIST, 'build-info.json'), `${JSON.stringify(info, null, 2)}\n`);
process.stderr.write(`build: dist/ for kubehooks ${info.version} (${info.commit}) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
