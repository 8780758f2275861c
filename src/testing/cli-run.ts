/**
 * In-process CLI runs for tests: the real commands, with `run`'s cluster replaced by in-memory
 * ports that record what they were asked, and a temporary directory for the files a test passes.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { COMMANDS } from '../cli/commands.ts';
import { main } from '../cli/main.ts';
import { createRunCommand } from '../cli/run.ts';
import { prepareRunFile, type RunWiring } from '../cli/run-wiring.ts';
import type { PodManifest } from '../model/pod.ts';
import { createSystemClock } from '../run/clock.ts';
import type { ExecOutcome, ExecRequest, PodScope } from '../run/ports.ts';
import { captureIo } from './cli-io.ts';

export interface CliOutcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in-process; `wiring` replaces `run`'s cluster (the other commands are as registered). */
export async function runCli(argv: readonly string[], wiring?: RunWiring): Promise<CliOutcome> {
  const io = captureIo();
  const commands = wiring === undefined ? COMMANDS : COMMANDS.map((c) => (c.name === 'run' ? createRunCommand(() => wiring) : c));
  const code = await main([...argv], { io: io.io, commands });
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

/** What the fake cluster was asked: connections, pod lists (their scopes) and execs. */
export interface ClusterRecord {
  connects: number;
  readonly lists: PodScope[];
  readonly execs: ExecRequest[];
}

export const newClusterRecord = (): ClusterRecord => ({ connects: 0, lists: [], execs: [] });

export interface FakeClusterOptions {
  /** Each exec's exit status (default 0); a non-zero one says `command terminated with exit code N`. */
  readonly exitCode?: (request: ExecRequest) => number;
  /** Each exec's stdout (default empty). */
  readonly stdout?: string;
  /** Whether a list returns only the pods in the scope's namespaces (default true; all pods when none). */
  readonly filterNamespaces?: boolean;
}

/** `run`'s wiring over in-memory pods: every exec is recorded and exits as `exitCode` says; the watch lists the pods once. */
export function fakeRunWiring(pods: readonly PodManifest[], record: ClusterRecord = newClusterRecord(), options: FakeClusterOptions = {}): RunWiring {
  const outcome = (r: ExecRequest): ExecOutcome => {
    const code = options.exitCode?.(r) ?? 0;
    const message = code === 0 ? '' : `command terminated with exit code ${code}`;
    return { kind: 'exited', exitCode: code, message, stdout: options.stdout ?? '', stderr: '', truncated: false, startedAt: new Date(), durationMs: 1 };
  };
  return {
    createPorts: () => {
      record.connects++;
      return {
        executor: { exec: (r) => (record.execs.push(r), Promise.resolve(outcome(r))) },
        watcher: {
          run: (_scope, handlers, signal) => {
            for (const pod of pods) handlers.onEvent({ type: 'upsert', pod });
            handlers.onLifecycle?.({ type: 'listed', namespace: undefined, count: pods.length });
            return new Promise((resolve) => {
              signal.addEventListener('abort', () => {
                resolve();
              }, { once: true });
            });
          },
        },
        lister: {
          list: (scope) => {
            record.lists.push(scope);
            const ns = new Set(scope.namespaces);
            const all = options.filterNamespaces === false || ns.size === 0;
            return Promise.resolve(all ? pods : pods.filter((p) => ns.has(p.metadata.namespace ?? 'default')));
          },
        },
        events: { record: () => Promise.resolve({ ok: true }) },
        close: () => undefined,
      };
    },
    prepare: prepareRunFile,
    clock: createSystemClock(),
    onSignals: () => () => undefined,
  };
}

/** A temporary directory for the suite (made before, removed after); `file` writes one file in it. */
export function suiteFiles(prefix: string): { readonly file: (name: string, content: string | Uint8Array) => Promise<string>; readonly dir: () => string } {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return {
    dir: () => dir,
    file: async (name, content) => {
      const path = join(dir, name);
      await writeFile(path, content);
      return path;
    },
  };
}
