/**
 * Defers the heavy dependencies of client-node's kubeconfig module until they are used.
 *
 * `@kubernetes/client-node/dist/config.js` imports the whole generated API (for `makeApiClient`),
 * undici and socks (for proxies) and openid-client (for OIDC) at load time: ~70 MiB of RSS and
 * ~0.4 s before kubehooks does anything, although a run uses none of them unless the kubeconfig names
 * a proxy or an OIDC provider (bench/README.md, RSS). This resolve hook hands config.js (and
 * oidc_auth.js) a stand-in for each such import whose exports load the real module synchronously
 * (`require`) on first use, so behaviour is unchanged and only the cost moves.
 *
 * Process-wide, so only the CLI entry (bin/kubehooks.js) installs it; the library never does.
 * A no-op where `module.registerHooks` is missing (Node < 22.15).
 */
import module from 'node:module';
import { fileURLToPath } from 'node:url';

/** Importer (a file of client-node's dist/) → specifier → the names it imports from it. */
const DEFERRED: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  'config.js': {
    './gen/index.js': ['createConfiguration', 'ServerConfiguration'],
    undici: ['Agent', 'ProxyAgent'],
    'socks-proxy-agent': ['SocksProxyAgent'],
    socks: ['SocksClient'],
  },
  'oidc_auth.js': { 'openid-client': ['refreshTokenGrant'] },
};

const DIST = '/node_modules/@kubernetes/client-node/dist/';

/** ESM source of a module whose named exports forward every use to `realPath`, loaded on demand. */
export function deferredModuleSource(realPath: string, names: readonly string[]): string {
  const path = JSON.stringify(realPath);
  return [
    `import { createRequire } from 'node:module';`,
    `const require = createRequire(${path});`,
    `let real;`,
    `const load = () => (real ??= require(${path}));`,
    `const deferred = (name) => new Proxy(function () {}, {`,
    `  construct: (_, args) => Reflect.construct(load()[name], args),`,
    `  apply: (_, self, args) => Reflect.apply(load()[name], self, args),`,
    `  get: (_, key) => { const target = load()[name]; const v = target[key]; return typeof v === 'function' ? v.bind(target) : v; },`,
    `});`,
    ...names.map((name) => `export const ${name} = deferred(${JSON.stringify(name)});`),
  ].join('\n');
}

/** Installs the hook once; returns whether it is active. */
export function deferClientNodeDependencies(): boolean {
  const register = (module as { registerHooks?: (hooks: { resolve: ResolveHook }) => unknown }).registerHooks;
  if (typeof register !== 'function') return false;
  register({
    resolve(specifier, context, next) {
      const resolved = next(specifier, context);
      const parent = context.parentURL;
      if (parent === undefined) return resolved;
      const at = parent.lastIndexOf(DIST);
      const names = at < 0 ? undefined : DEFERRED[parent.slice(at + DIST.length)]?.[specifier];
      if (names === undefined || !resolved.url.startsWith('file:')) return resolved;
      const source = deferredModuleSource(fileURLToPath(resolved.url), names);
      return { url: `data:text/javascript,${encodeURIComponent(source)}`, format: 'module', shortCircuit: true };
    },
  });
  return true;
}

type ResolveHook = (
  specifier: string,
  context: { readonly parentURL?: string | undefined },
  next: (specifier: string, context: { readonly parentURL?: string | undefined }) => { url: string; format?: string | null | undefined },
) => { url: string; format?: string | null | undefined; shortCircuit?: boolean };
