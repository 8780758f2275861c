/**
 * esbuild settings shared by `npm run build` (scripts/build/build.ts) and the single executable
 * (scripts/build/binary.ts). Entry points are src/index.ts (library) and src/cli/entry.ts (CLI):
 * esbuild follows their imports, so every file added under src/ is picked up without a file list.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BuildOptions, Plugin } from 'esbuild';

export const REPO = resolve(import.meta.dirname, '..', '..');

/** What `--version` reports; fixed at build time (src/cli/version.ts reads it). */
export interface BuildInfo {
  readonly version: string;
  readonly commit: string;
  readonly clientNodeVersion: string;
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

export function buildInfo(): BuildInfo {
  let commit = process.env['KUBEHOOKS_COMMIT'] ?? '';
  if (commit === '') {
    try {
      commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      if (dirty.trim() !== '') commit += '-dirty';
    } catch {
      commit = 'unknown';
    }
  }
  return {
    version: String(readJson(join(REPO, 'package.json'))['version']),
    commit,
    clientNodeVersion: String(readJson(join(REPO, 'node_modules', '@kubernetes', 'client-node', 'package.json'))['version']),
  };
}

/**
 * Lazy chunks. The CLI bundle is split so that what a command does not use is neither parsed nor
 * run: a lazy import becomes a stand-in whose exports load the chunk (a separate CommonJS file, or an
 * asset of the single executable) on first use. A chunk is a bundle of its own.
 * - `kube`: src/kube as the CLI commands import it (createKubePorts), with ws, client-node's
 *   kubeconfig module and node:http/https/tls; lint, plan from files, --help and completion never
 *   load it. The modules src/kube shares with the rest of src (run/clock.ts) are bundled twice, so
 *   nothing crossing this boundary may rely on module state or `instanceof` of a shared class.
 * - `kube-extras`: what that module (and its OIDC helper) imports but a run only uses when the
 *   kubeconfig names a proxy or an OIDC provider: the generated API (3 MB), undici, socks,
 *   openid-client. Same list as src/kube/defer-client-node.ts, which defers them at run time in the
 *   source checkout.
 */
export interface LazyImport {
  /** The importing file as the end of its path, or (ending in '/') any file in that folder. */
  readonly importer: string;
  readonly specifier: string;
  /** The names imported from it; '*' for every value export of the module (read when building). */
  readonly names: readonly string[];
  /** Exports with primitive values: copied into the stand-in, as a stand-in can only forward objects. */
  readonly constants?: Readonly<Record<string, string | number | boolean | null>>;
}
export interface LazyChunk {
  readonly name: string;
  readonly imports: readonly LazyImport[];
}

const CLIENT_NODE_DIST = 'node_modules/@kubernetes/client-node/dist/';
export const LAZY_CHUNKS: readonly LazyChunk[] = [
  {
    name: 'kube',
    imports: [{ importer: 'src/cli/', specifier: '../kube/index.ts', names: ['*'] }],
  },
  {
    name: 'kube-extras',
    imports: [
      { importer: `${CLIENT_NODE_DIST}config.js`, specifier: './gen/index.js', names: ['createConfiguration', 'ServerConfiguration'] },
      { importer: `${CLIENT_NODE_DIST}config.js`, specifier: 'undici', names: ['Agent', 'ProxyAgent'] },
      { importer: `${CLIENT_NODE_DIST}config.js`, specifier: 'socks-proxy-agent', names: ['SocksProxyAgent'] },
      { importer: `${CLIENT_NODE_DIST}config.js`, specifier: 'socks', names: ['SocksClient'] },
      { importer: `${CLIENT_NODE_DIST}oidc_auth.js`, specifier: 'openid-client', names: ['refreshTokenGrant'] },
    ],
  },
];

/** The global through which stand-ins load chunks (installed by the CLI entry, CHUNK_LOADER). */
const LOADER = "globalThis[Symbol.for('kubehooks.loadChunk')]";

/** CLI entry code that installs the chunk loader: files beside the bundle, or single-executable assets. */
export const CHUNK_LOADER = `
globalThis[Symbol.for('kubehooks.loadChunk')] = (name) => {
  const file = name + '.cjs';
  const sea = require('node:sea');
  if (!sea.isSea()) return require(require('node:path').join(__dirname, file));
  const fn = require('node:vm').compileFunction(sea.getAsset(file, 'utf8'), ['exports', 'require', 'module', '__filename', '__dirname'], { filename: file });
  const m = { exports: {} };
  fn(m.exports, require, m, file, '.');
  return m.exports;
};`;

/** Key of one lazy import inside its chunk's exports. */
const keyOf = (lazy: LazyImport): string => `${lazy.importer}|${lazy.specifier}`;

/** Source of a stand-in whose exports forward to `key` of chunk `chunk`, loaded on first use. */
function standInSource(chunk: string, lazy: LazyImport): string {
  return [
    `let real;`,
    `const load = () => (real ??= ${LOADER}(${JSON.stringify(chunk)})[${JSON.stringify(keyOf(lazy))}]);`,
    `const deferred = (name) => new Proxy(function () {}, {`,
    `  construct: (_, args) => Reflect.construct(load()[name], args),`,
    `  apply: (_, self, args) => Reflect.apply(load()[name], self, args),`,
    `  get: (_, key) => { const target = load()[name]; const v = target[key]; return typeof v === 'function' ? v.bind(target) : v; },`,
    `});`,
    ...lazy.names.map((name) => `export const ${name} = deferred(${JSON.stringify(name)});`),
    ...Object.entries(lazy.constants ?? {}).map(([name, value]) => `export const ${name} = ${JSON.stringify(value)};`),
  ].join('\n');
}

/** Entry source of a chunk: its exports, one per lazy import, keyed as the stand-ins expect. */
export function chunkEntrySource(chunk: LazyChunk): string {
  return chunk.imports
    .map((_, i) => `import * as m${i} from 'kubehooks-chunk-import:${i}';`)
    .concat(chunk.imports.map((lazy, i) => `export { m${i} as ${JSON.stringify(keyOf(lazy))} };`))
    .join('\n');
}

/** Resolves a chunk entry's imports as their importer would. */
export function chunkImportPlugin(chunk: LazyChunk): Plugin {
  return {
    name: 'kubehooks-chunk-imports',
    setup(build) {
      build.onResolve({ filter: /^kubehooks-chunk-import:/ }, async (args) => {
        const lazy = chunk.imports[Number(args.path.slice('kubehooks-chunk-import:'.length))];
        if (lazy === undefined) return { errors: [{ text: `no lazy import ${args.path}` }] };
        const dir = lazy.importer.endsWith('/') ? join(REPO, lazy.importer) : dirname(join(REPO, lazy.importer));
        const resolved = await build.resolve(lazy.specifier, { kind: 'import-statement', resolveDir: dir });
        return resolved.errors.length > 0 ? { errors: resolved.errors } : { path: resolved.path };
      });
    },
  };
}

/**
 * LAZY_CHUNKS with each '*' replaced by the module's value exports, read by importing it here (a
 * source module through type stripping), so a name added to src/kube/index.ts needs no edit here.
 */
export async function resolveLazyChunks(chunks: readonly LazyChunk[] = LAZY_CHUNKS): Promise<LazyChunk[]> {
  return Promise.all(
    chunks.map(async (chunk) => ({
      ...chunk,
      imports: await Promise.all(
        chunk.imports.map(async (lazy) => {
          if (!lazy.names.includes('*')) return lazy;
          if (!lazy.specifier.startsWith('.')) throw new Error(`lazy import ${lazy.specifier}: '*' is only for relative (source) modules`);
          const dir = lazy.importer.endsWith('/') ? join(REPO, lazy.importer) : dirname(join(REPO, lazy.importer));
          const module = (await import(pathToFileURL(join(dir, lazy.specifier)).href)) as Record<string, unknown>;
          const names: string[] = [];
          const constants: Record<string, string | number | boolean | null> = {};
          for (const [name, value] of Object.entries(module)) {
            if (name === 'default') continue;
            if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') constants[name] = value;
            else if (typeof value === 'function' || typeof value === 'object') names.push(name);
            else throw new Error(`lazy import ${lazy.specifier}: export ${name} (${typeof value}) cannot be deferred`);
          }
          return { ...lazy, names, constants };
        }),
      ),
    })),
  );
}

/** Replaces the lazy imports of `chunks` with stand-ins (the chunks are built separately). */
export function lazyChunkPlugin(chunks: readonly LazyChunk[]): Plugin {
  return {
    name: 'kubehooks-lazy-chunks',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        const importer = args.importer.split('\\').join('/');
        for (const chunk of chunks) {
          for (const lazy of chunk.imports) {
            const from = lazy.importer.endsWith('/')
              ? importer.slice(0, importer.lastIndexOf('/') + 1).endsWith(lazy.importer)
              : importer.endsWith(lazy.importer);
            if (args.path === lazy.specifier && from) {
              return { path: keyOf(lazy), namespace: 'kubehooks-lazy', pluginData: { chunk: chunk.name, lazy } };
            }
          }
        }
        return undefined;
      });
      build.onLoad({ filter: /.*/, namespace: 'kubehooks-lazy' }, (args) => {
        const { chunk, lazy } = args.pluginData as { chunk: string; lazy: LazyImport };
        return { contents: standInSource(chunk, lazy), loader: 'js' };
      });
    },
  };
}

/**
 * `kubehooks demo` builds a local control plane from Go sources with the scripts in a git checkout;
 * an installed package or binary has neither (no CliDeps.loadDemoPlatform), so there the command says
 * where to run it and never loads demo.ts. The stub keeps demo.ts, and the kube layer it would pull
 * into the CLI's first chunk, out of the bundles.
 */
export function demoStubPlugin(): Plugin {
  return {
    name: 'kubehooks-demo-stub',
    setup(build) {
      build.onResolve({ filter: /^\.\/demo\.ts$/ }, (args) =>
        args.importer.endsWith(join('src', 'cli', 'demo-command.ts')) ? { path: 'demo', namespace: 'kubehooks-demo-stub' } : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: 'kubehooks-demo-stub' }, () => ({
        loader: 'js',
        contents: [
          'export async function runDemo(deps) {',
          "  deps.io.stderr.write('kubehooks: the demo builds a local control plane from a git checkout of kubehooks:\\n' +",
          "    '  git clone <kubehooks repository> && cd kubehooks && npm ci && npm run demo\\n');",
          '  return 2;',
          '}',
        ].join('\n'),
      }));
    },
  };
}

/** Options common to every bundle. */
export function commonOptions(info: BuildInfo): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    target: 'node22',
    logLevel: 'warning',
    legalComments: 'none',
    define: { KUBEHOOKS_BUILD_INFO: JSON.stringify(info) },
    // ws loads these native accelerators optionally (inside try/catch); they are not dependencies.
    external: ['bufferutil', 'utf-8-validate'],
    // src/cli/version.ts reads import.meta only from a source checkout, where no build defines KUBEHOOKS_BUILD_INFO.
    logOverride: { 'empty-import-meta': 'silent' },
  };
}
