/**
 * Loading and validating a kubeconfig the way kubectl does: `--kubeconfig`, else KUBECONFIG (merged,
 * first file wins per name), else ~/.kube/config, else the in-cluster service account. client-node
 * parses and merges; we check what kubectl refuses (no current context, a missing cluster or user, a
 * CA together with insecure-skip-tls-verify, plain HTTP) and read what client-node drops (`tokenFile`).
 * Every problem is a KubeconfigError naming the file, the entry and what would be valid.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// The kubeconfig module only: the package's index also loads the generated API, watch, cache, etc.
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { parse as parseYaml } from 'yaml';
import { checkAuthProvider } from './auth-provider.ts';
import { unsafeLocalFile } from './local-files.ts';
import { KubeconfigError, errorText } from './errors.ts';
import { isRecord } from './status.ts';

export interface KubeconfigOptions {
  /** Explicit kubeconfig file (`--kubeconfig`); otherwise KUBECONFIG, ~/.kube/config, then in-cluster. */
  readonly kubeconfigPath?: string | undefined;
  /** Context to use (`--context`); otherwise the kubeconfig's current context. */
  readonly context?: string | undefined;
  /** Disable TLS verification of the API server. Dangerous; logs a warning. */
  readonly insecureSkipTlsVerify?: boolean | undefined;
  /** Where warnings go (default: stderr). */
  readonly warn?: ((message: string) => void) | undefined;
  /** Environment to read KUBECONFIG/HOME/in-cluster variables from (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
}

export function defaultWarn(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}

/** Loads and validates a kubeconfig the way kubectl would, or throws KubeconfigError. */
export function loadKubeConfig(options: KubeconfigOptions = {}): KubeConfig {
  const env = options.env ?? process.env;
  const kc = new KubeConfig();
  let source: string;
  let files: string[] = [];
  let inClusterTokenFile: string | undefined;
  try {
    if (options.kubeconfigPath !== undefined) {
      source = options.kubeconfigPath;
      if (!fs.existsSync(source)) {
        throw new KubeconfigError(`kubeconfig ${source} does not exist`);
      }
      files = [source];
      refuseUnsafe(source, `kubeconfig ${source}`);
      kc.loadFromFile(source);
    } else if (env['KUBECONFIG'] !== undefined && env['KUBECONFIG'] !== '') {
      files = env['KUBECONFIG'].split(path.delimiter).filter((f) => f !== '' && fs.existsSync(f));
      if (files.length === 0) {
        throw new KubeconfigError(`none of the files in KUBECONFIG (${env['KUBECONFIG']}) exists`);
      }
      source = files.join(path.delimiter);
      for (const file of files) refuseUnsafe(file, `kubeconfig ${file} (from KUBECONFIG)`);
      mergeLikeKubectl(kc, files);
    } else {
      const home = env['HOME'] ?? os.homedir();
      const fallback = path.join(home, '.kube', 'config');
      if (fs.existsSync(fallback)) {
        source = fallback;
        files = [fallback];
        refuseUnsafe(fallback, `kubeconfig ${fallback}`);
        kc.loadFromFile(fallback);
      } else if (env['KUBERNETES_SERVICE_HOST'] !== undefined && env['KUBERNETES_SERVICE_PORT'] !== undefined) {
        source = 'in-cluster service account';
        inClusterTokenFile = loadInCluster(kc, env);
      } else {
        throw new KubeconfigError(
          'no kubeconfig found: pass --kubeconfig FILE, set KUBECONFIG, create ~/.kube/config, or run inside a pod',
        );
      }
    }
  } catch (error) {
    if (error instanceof KubeconfigError) throw error;
    throw new KubeconfigError(`cannot load kubeconfig ${describeSource(options, env)}: ${errorText(error)}`, {
      cause: error,
    });
  }

  if (kc.getClusters().length === 0 && kc.getContexts().length === 0) {
    throw new KubeconfigError(`${source} does not look like a kubeconfig: it has no clusters and no contexts`);
  }
  if (options.context !== undefined) {
    if (kc.getContextObject(options.context) === null) {
      const known = kc.getContexts().map((c) => c.name);
      throw new KubeconfigError(
        `context "${options.context}" not found in ${source}; it has: ${known.length === 0 ? '(none)' : known.join(', ')}`,
      );
    }
    kc.setCurrentContext(options.context);
  }
  const contextName = kc.getCurrentContext();
  if (contextName === '' || kc.getContextObject(contextName) === null) {
    throw new KubeconfigError(`${source} has no current context; pass --context NAME`);
  }
  const cluster = kc.getCurrentCluster();
  if (cluster === null || cluster.server === '') {
    throw new KubeconfigError(`context "${contextName}" in ${source} refers to a cluster that is missing or has no server`);
  }
  if (!/^https?:\/\//.test(cluster.server)) {
    throw new KubeconfigError(`cluster "${cluster.name}" has an invalid server URL: ${cluster.server}`);
  }
  const user = kc.getCurrentUser();
  if (user === null) {
    // client-node applies no TLS settings at all without a user entry; make that explicit.
    throw new KubeconfigError(`context "${contextName}" in ${source} refers to a user that does not exist`);
  }
  // gcp/azure (removed from kubectl) and unknown providers: refused before any request.
  checkAuthProvider(user, source);
  // kubectl (client-go's transport) refuses a CA together with insecure-skip-tls-verify in one cluster entry.
  if (cluster.skipTLSVerify && ((cluster.caData ?? '') !== '' || (cluster.caFile ?? '') !== '')) {
    throw new KubeconfigError(
      `cluster "${cluster.name}" in ${source} sets both certificate-authority${(cluster.caData ?? '') !== '' ? '-data' : ''} and insecure-skip-tls-verify: true; ` +
        'kubectl refuses that too ("specifying a root certificates file with the insecure flag is not allowed"): remove one of them',
    );
  }
  const extra: UserExtras = inClusterTokenFile === undefined ? readUserExtras(files, user.name) : { tokenFile: inClusterTokenFile };
  USER_EXTRAS.set(kc, extra);
  // Files read with readFileSync on every connection (client-node) or every 50 s (tokenFile).
  if ((cluster.caFile ?? '') !== '') refuseUnsafe(cluster.caFile ?? '', `cluster "${cluster.name}" in ${source}: its certificate-authority ${cluster.caFile ?? ''}`);
  if ((user.certFile ?? '') !== '') refuseUnsafe(user.certFile ?? '', `user "${user.name}" in ${source}: its client-certificate ${user.certFile ?? ''}`);
  if ((user.keyFile ?? '') !== '') refuseUnsafe(user.keyFile ?? '', `user "${user.name}" in ${source}: its client-key ${user.keyFile ?? ''}`);
  if (extra.tokenFile !== undefined) refuseUnsafe(extra.tokenFile, `user "${user.name}" in ${source}: its tokenFile ${extra.tokenFile}`);
  if (extra.tokenFile !== undefined) {
    // client-go reads a tokenFile once at load when there is no static token and fails if it cannot.
    if ((user.token ?? '') === '') {
      try {
        fs.readFileSync(extra.tokenFile);
      } catch (error) {
        throw new KubeconfigError(`user "${user.name}" in ${source}: cannot read its tokenFile ${extra.tokenFile}: ${errorText(error)}`, { cause: error });
      }
    }
  }

  const warn = options.warn ?? defaultWarn;
  if (!hasCredentials(user, extra)) {
    warn(
      `user "${user.name}" in ${source} has no credentials (no token, tokenFile, client certificate, exec plugin or auth-provider): ` +
        'requests go out unauthenticated, as system:anonymous',
    );
  }
  if (options.insecureSkipTlsVerify === true) {
    warn(
      `TLS verification of the API server ${cluster.server} is DISABLED (--insecure-skip-tls-verify). ` +
        'Anyone on the network path can impersonate the cluster and read the hooks\' output.',
    );
    kc.loadFromOptions({
      clusters: kc.getClusters().map((c) => (c.name === cluster.name ? { ...c, skipTLSVerify: true } : c)),
      contexts: kc.getContexts(),
      users: kc.getUsers(),
      currentContext: kc.getCurrentContext(),
    });
  } else if (cluster.server.startsWith('http:')) {
    if (!cluster.skipTLSVerify) {
      throw new KubeconfigError(
        `cluster "${cluster.name}" uses plain HTTP (${cluster.server}); that is refused unless the cluster entry sets insecure-skip-tls-verify: true`,
      );
    }
    warn(`the API server ${cluster.server} is plain HTTP: traffic and credentials are not encrypted`);
  } else if (cluster.skipTLSVerify) {
    warn(`the kubeconfig disables TLS verification for ${cluster.server} (insecure-skip-tls-verify)`);
  }
  return kc;
}

/** Throws a KubeconfigError when `file` is a FIFO, a device or huge (reading it would block or never end). */
function refuseUnsafe(file: string, what: string): void {
  const why = unsafeLocalFile(file);
  if (why !== undefined) throw new KubeconfigError(`${what}: ${why}`);
}

/** Where a pod's service account token, CA and namespace are mounted (KUBEHOOKS_SERVICE_ACCOUNT_DIR overrides, for tests). */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * client-go's in-cluster configuration: https://KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT, the
 * mounted CA, and the mounted token as a tokenFile (re-read as it rotates). client-node's own
 * loadFromCluster uses an auth-provider named "tokenFile" that no kubectl knows (and that
 * checkAuthProvider refuses). Returns the token file.
 */
function loadInCluster(kc: KubeConfig, env: Readonly<Record<string, string | undefined>>): string {
  const dir = env['KUBEHOOKS_SERVICE_ACCOUNT_DIR'] ?? SERVICE_ACCOUNT_DIR;
  const host = env['KUBERNETES_SERVICE_HOST'] ?? '';
  const port = env['KUBERNETES_SERVICE_PORT'] ?? '';
  if (host === '' || port === '') throw new KubeconfigError('in-cluster configuration: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set');
  const tokenFile = path.join(dir, 'token');
  for (const f of [tokenFile, path.join(dir, 'ca.crt')]) {
    if (!fs.existsSync(f)) throw new KubeconfigError(`in-cluster configuration: ${f} does not exist (is a service account token mounted?)`);
  }
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  kc.loadFromOptions({
    clusters: [{ name: 'in-cluster', server, caFile: path.join(dir, 'ca.crt'), skipTLSVerify: false }],
    users: [{ name: 'in-cluster-service-account' }],
    contexts: [{ name: 'in-cluster', cluster: 'in-cluster', user: 'in-cluster-service-account' }],
    currentContext: 'in-cluster',
  });
  return tokenFile;
}

/** What client-node drops from a kubeconfig user entry and kubectl honours. */
export interface UserExtras {
  /** `users[].user.tokenFile`, resolved against the kubeconfig file's directory as kubectl does. */
  readonly tokenFile?: string;
  /** The kubeconfig file that defines the user (refreshed oidc tokens are written back there, as kubectl does). */
  readonly definedIn?: string;
}

const USER_EXTRAS = new WeakMap<KubeConfig, UserExtras>();

/** What loadKubeConfig read of the current user beyond client-node: `tokenFile` (absolute) and the file defining it. */
export function userExtrasOf(kc: KubeConfig): UserExtras | undefined {
  return USER_EXTRAS.get(kc);
}

/** The `tokenFile` of `userName` and the file defining it, from the first kubeconfig file that defines that user (kubectl's merge). */
function readUserExtras(files: readonly string[], userName: string): UserExtras {
  for (const file of files) {
    let doc: unknown;
    try {
      doc = parseYaml(fs.readFileSync(file, 'utf8'));
    } catch {
      continue; // client-node has loaded it already; an unreadable file has no extras
    }
    const users = isRecord(doc) && Array.isArray(doc['users']) ? (doc['users'] as unknown[]) : [];
    const entry = users.find((u) => isRecord(u) && u['name'] === userName);
    if (!isRecord(entry)) continue;
    const user = entry['user'];
    const tokenFile = isRecord(user) ? user['tokenFile'] : undefined;
    if (typeof tokenFile !== 'string' || tokenFile === '') return { definedIn: file };
    return { definedIn: file, tokenFile: path.isAbsolute(tokenFile) ? tokenFile : path.resolve(path.dirname(file), tokenFile) };
  }
  return {};
}

function hasCredentials(user: NonNullable<ReturnType<KubeConfig['getCurrentUser']>>, extra: UserExtras): boolean {
  const set = (v: unknown): boolean => v !== undefined && v !== null && v !== '';
  return [user.token, user.certData, user.certFile, user.exec, user.authProvider, user.username, extra.tokenFile].some(set);
}

/** kubectl's KUBECONFIG merge: for every name and for current-context, the first file that sets it wins. */
function mergeLikeKubectl(kc: KubeConfig, files: readonly string[]): void {
  const parts = files.map((file) => {
    const part = new KubeConfig();
    part.loadFromFile(file);
    return part;
  });
  const firstByName = <T extends { readonly name: string }>(lists: readonly (readonly T[])[]): T[] => {
    const out = new Map<string, T>();
    for (const list of lists) for (const item of list) if (!out.has(item.name)) out.set(item.name, item);
    return [...out.values()];
  };
  kc.loadFromOptions({
    clusters: firstByName(parts.map((p) => p.getClusters())),
    users: firstByName(parts.map((p) => p.getUsers())),
    contexts: firstByName(parts.map((p) => p.getContexts())),
    currentContext: parts.map((p) => p.getCurrentContext()).find((c) => typeof c === 'string' && c !== '') ?? '',
  });
}

function describeSource(options: KubeconfigOptions, env: Readonly<Record<string, string | undefined>>): string {
  if (options.kubeconfigPath !== undefined) return options.kubeconfigPath;
  if (env['KUBECONFIG'] !== undefined && env['KUBECONFIG'] !== '') return `from KUBECONFIG (${env['KUBECONFIG']})`;
  return '~/.kube/config';
}
