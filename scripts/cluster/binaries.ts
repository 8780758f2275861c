/**
 * Locates the pinned binaries in the cache, building them with build.sh when any is missing.
 * The pins and the cache path live only in build.sh; this file asks it for them.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { spawnOwned } from '../../src/testing/owned-process.ts';
import { BuildFailedError, GoUnavailableError, StartAbortedError } from './errors.ts';

export const BUILD_SCRIPT = join(import.meta.dirname, 'build.sh');

export interface Binaries {
  readonly dir: string;
  readonly etcd: string;
  readonly kubeApiserver: string;
  readonly kubeControllerManager: string;
  readonly kubeScheduler: string;
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
    kubeControllerManager: join(dir, 'kube-controller-manager'),
    kubeScheduler: join(dir, 'kube-scheduler'),
    kwok: join(dir, 'kwok'),
  };
}

const allOf = (b: Binaries): string[] => [b.etcd, b.kubeApiserver, b.kubeControllerManager, b.kubeScheduler, b.kwok];

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The cached binaries when all five exist, else undefined. Never builds. */
export function cachedBinaries(): Binaries | undefined {
  const b = binariesIn(toolsDir());
  return allOf(b).every(isExecutable) ? b : undefined;
}

export interface EnsureBinariesOptions {
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Runs a build script and resolves with the directory it printed last on stdout. Its progress lines
 * (those starting with `[<tag>]`) are passed to `log`; the Go tool's own chatter ("go: downloading
 * ...") is counted, not echoed. Exit 3 means Go is missing or too old.
 */
export async function runBuildScript(
  script: string,
  tag: string,
  options: EnsureBinariesOptions,
): Promise<string> {
  const { log, signal } = options;
  signal?.throwIfAborted();
  // Owned (src/testing/owned-process.ts): the script and the go commands it runs are a process group
  // of their own, stopped on `signal`, on this process's SIGTERM/SIGINT/SIGHUP and exit, and by the
  // watchdog after a SIGKILL of this process; a cold build runs for minutes and must not outlive us.
  const owned = spawnOwned('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'], ...(signal === undefined ? {} : { signal }) });
  const { child } = owned;
  const { stdout: out, stderr } = child;
  if (out === null || stderr === null) {
    await owned.stop();
    throw new BuildFailedError(`${script}: no pipes to read`);
  }
  const tail: string[] = [];
  let goLines = 0;
  const prefix = `[${tag}] `;
  const lines = createInterface({ input: stderr });
  lines.on('line', (line) => {
    tail.push(line);
    if (tail.length > 30) tail.shift();
    if (line.startsWith(prefix)) log(line.replace(prefix, 'build: '));
    else if (++goLines % 200 === 0) log(`build: ... ${goLines} lines of go output so far`);
  });
  let stdout = '';
  out.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  lines.close();
  if (signal?.aborted) throw new StartAbortedError(`aborted while running ${script}`);
  if (code === 3) {
    throw new GoUnavailableError(
      `${tail.filter((l) => l.startsWith(prefix)).join('\n')}\n` +
        'Without Go the local control plane cannot be built. Run kubehooks against an existing cluster ' +
        'with --kubeconfig <path> (and set KUBEHOOKS_E2E_KUBECONFIG=<path> for the e2e tests).',
    );
  }
  if (code !== 0) {
    throw new BuildFailedError(`${script} exited with ${code}; last lines:\n${tail.join('\n')}`);
  }
  return stdout.trim().split('\n').pop() ?? '';
}

/**
 * Returns the binaries, running build.sh first when one is missing (progress goes to `log`).
 */
export async function ensureBinaries(options: EnsureBinariesOptions): Promise<Binaries> {
  const cached = cachedBinaries();
  if (cached) return cached;
  options.log('binaries missing from the cache: building them (a cold build takes several minutes)');
  const dir = await runBuildScript(BUILD_SCRIPT, 'cluster:build', options);
  const built = binariesIn(dir);
  if (!allOf(built).every(isExecutable)) {
    throw new BuildFailedError(`build.sh finished but ${dir} does not hold all five binaries`);
  }
  return built;
}
