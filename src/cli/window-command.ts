import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandOutcome, WindowCommand, WindowCommandInput } from '../run/quiesce-window.ts';

/** Environment names given to COMMAND (ADR 0018; a contract). */
export const ENV_RUN_ID = 'KUBEHOOKS_RUN_ID';
export const ENV_FROZEN_PODS = 'KUBEHOOKS_FROZEN_PODS';
/** Between SIGTERM and SIGKILL when the window ends early. */
export const DEFAULT_KILL_GRACE_MS = 10_000;

export interface ChildCommandOptions {
  readonly argv: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly graceMs?: number;
}

/**
 * COMMAND as a child process: stdio passed through; KUBEHOOKS_RUN_ID and KUBEHOOKS_FROZEN_PODS (a JSON
 * file `{ runId, pods: [{ namespace, name, uid, pvcs }] }` in a private temp dir, removed afterwards).
 * On abort: SIGTERM, then SIGKILL after the grace; resolves only once the child has exited.
 */
export function childCommand(options: ChildCommandOptions): WindowCommand {
  return {
    async run(input: WindowCommandInput, signal: AbortSignal): Promise<CommandOutcome> {
      const [file, ...args] = options.argv;
      if (file === undefined) return { kind: 'spawn-failed', message: 'no COMMAND given' };
      const dir = await mkdtemp(join(tmpdir(), 'kubehooks-window-'));
      try {
        const podsFile = join(dir, 'frozen-pods.json');
        await writeFile(podsFile, `${JSON.stringify({ runId: input.runId, pods: input.frozen }, null, 2)}\n`, { mode: 0o600 });
        return await spawnAndWait(file, args, { ...options.env, [ENV_RUN_ID]: input.runId, [ENV_FROZEN_PODS]: podsFile }, signal, options.graceMs ?? DEFAULT_KILL_GRACE_MS);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

function spawnAndWait(file: string, args: string[], env: NodeJS.ProcessEnv, signal: AbortSignal, graceMs: number): Promise<CommandOutcome> {
  return new Promise<CommandOutcome>((resolve) => {
    let killTimer: NodeJS.Timeout | undefined;
    const child = spawn(file, args, { stdio: 'inherit', env });
    const onAbort = (): void => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    };
    const done = (outcome: CommandOutcome): void => {
      clearTimeout(killTimer);
      signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      // Only a failed spawn reports here before 'exit'; a later error (kill failed) still ends in 'close'.
      if (child.pid === undefined) done({ kind: 'spawn-failed', message: `cannot run ${JSON.stringify(file)}: ${error.code ?? error.message}` });
    });
    child.once('close', (code, sig) => {
      done(sig !== null ? { kind: 'signaled', signal: sig } : { kind: 'exited', exitCode: code ?? 1 });
    });
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}
