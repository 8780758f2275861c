/**
 * Locates the pinned binaries in the cache, building them with build.sh when any is missing.
 * The pins and the cache path live only in build.sh; this file asks it for them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BuildFailedError, GoUnavailableError, StartAbortedError } from './errors.ts';

export const BUILD_SCRIPT = join(import.meta.dirname, 'build.sh');

export interface Binaries {
  readonly dir: string;
  readonly etcd: string;
  readonly kubeApiserver: string;
  readonly kwok: string;
}

export interface Versions {
  readonly kubernetes: string;
  readonly staging: string;
  readonly etcd: string;
  readonly kwok: string;
  readonly minGo: string;
}

function runBuildScriptSync(flag: string): string {
  const r = spawnSync('bash', [BUILD_SCRIPT, flag], { encoding: 'utf8' });
  if (r.status !== 0) throw new BuildFailedError(`${BUILD_SCRIPT} ${flag} failed: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** The cache directory build.sh builds into (honours KUBEHOOKS_TOOLS and XDG_CACHE_HOME). */
export function toolsDir(): string {
  return runBuildScriptSync('--print-dir');
}

export function pinnedVersions(): Versions {
  return JSON.parse(runBuildScriptSync('--print-versions')) as Versions;
}

function binariesIn(dir: string): Binaries {
  return {
    dir,
    etcd: join(dir, 'etcd'),
    kubeApiserver: join(dir, 'kube-apiserver'),
    kwok: join(dir, 'kwok'),
  };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The cached binaries when all three exist, else undefined. Never builds. */
export function cachedBinaries(): Binaries | undefined {
  const b = binariesIn(toolsDir());
  return [b.etcd, b.kubeApiserver, b.kwok].every(isExecutable) ? b : undefined;
}

export interface EnsureBinariesOptions {
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Returns the binaries, running build.sh first when one is missing. build.sh's progress lines are
 * passed to `log`; the Go tool's own chatter ("go: downloading ...") is counted, not echoed.
 */
export async function ensureBinaries(options: EnsureBinariesOptions): Promise<Binaries> {
  const cached = cachedBinaries();
  if (cached) return cached;
  const { log, signal } = options;
  signal?.throwIfAborted();
  log('binaries missing from the cache: building them (a cold build takes several minutes)');
  const child = spawn('bash', [BUILD_SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] });
  const onAbort = (): void => {
    child.kill('SIGTERM');
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const tail: string[] = [];
  let goLines = 0;
  const lines = createInterface({ input: child.stderr });
  lines.on('line', (line) => {
    tail.push(line);
    if (tail.length > 30) tail.shift();
    if (line.startsWith('[cluster:build]')) log(line.replace('[cluster:build] ', 'build: '));
    else if (++goLines % 200 === 0) log(`build: ... ${goLines} lines of go output so far`);
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  signal?.removeEventListener('abort', onAbort);
  lines.close();
  if (signal?.aborted) throw new StartAbortedError('aborted while building the control plane binaries');
  if (code === 3) {
    throw new GoUnavailableError(
      `${tail.filter((l) => l.startsWith('[cluster:build]')).join('\n')}\n` +
        'Without Go the local control plane cannot be built. Run kubehooks against an existing cluster ' +
        'with --kubeconfig <path> (and set KUBEHOOKS_E2E_KUBECONFIG=<path> for the e2e tests).',
    );
  }
  if (code !== 0) {
    throw new BuildFailedError(`build.sh exited with ${code}; last lines:\n${tail.join('\n')}`);
  }
  const dir = stdout.trim().split('\n').pop() ?? '';
  const built = binariesIn(dir);
  if (![built.etcd, built.kubeApiserver, built.kwok].every(isExecutable)) {
    throw new BuildFailedError(`build.sh finished but ${dir} does not hold all three binaries`);
  }
  return built;
}
