/**
 * Starting and stopping the control plane's processes. Each component runs in its own process group
 * (detached), so a terminal's Ctrl-C reaches only the launcher, which then stops them in order; and
 * the commands kwok runs for `exec` (children in kwok's group) are stopped with it. A recorded PID is
 * signalled only after /proc confirms it is still the binary we started with our run directory in its
 * arguments, and from then on only while its start time is the one read then, so a reused PID is
 * never touched. /proc is read through src/testing/process-tree.ts, shared with with-cluster and
 * the e2e tests' owned processes.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { groupMembers, isAlive, isRunning, isSameProcess, procStat } from '../../src/testing/process-tree.ts';

export interface ProcessRecord {
  readonly name: string;
  readonly pid: number;
  /** The binary path; must equal argv[0] of the live process. */
  readonly bin: string;
  /** A string that must appear in the live process's arguments (the run directory). */
  readonly marker: string;
  readonly logPath: string;
}

export interface Started {
  readonly record: ProcessRecord;
  /** Resolves when the process exits (only observable by the process that spawned it). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startProcess(
  name: string,
  bin: string,
  args: readonly string[],
  options: { logPath: string; marker: string; cwd: string; env: NodeJS.ProcessEnv },
): Started {
  const fd = openSync(options.logPath, 'a');
  try {
    const child = spawn(bin, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    // Let a short-lived owner (`cluster:up`) exit while the component keeps running.
    child.unref();
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => {
        resolve({ code, signal });
      });
      child.once('error', () => {
        resolve({ code: null, signal: null });
      });
    });
    if (child.pid === undefined) throw new Error(`could not start ${bin}`);
    return {
      record: { name, pid: child.pid, bin, marker: options.marker, logPath: options.logPath },
      exited,
    };
  } finally {
    closeSync(fd);
  }
}

/** The PID is alive and still the process we recorded. */
export function isOurs(record: ProcessRecord): boolean {
  if (!isAlive(record.pid)) return false;
  try {
    const argv = readFileSync(`/proc/${record.pid}/cmdline`, 'utf8').split('\0');
    return argv[0] === record.bin && argv.some((a) => a.includes(record.marker));
  } catch {
    return false;
  }
}

/**
 * Live members of the group a dead leader started, that are provably ours: their arguments or their
 * working directory name the run directory (children inherit the leader's cwd, which is inside it).
 * A PGID is not reused while its group has members, but after that a reused PID could lead another
 * group, hence the /proc check of each member instead of a blind kill(-pid).
 */
export function orphanedGroupMembers(record: ProcessRecord): number[] {
  // The leader's start time is gone with it: every member counts (notBefore 0), the run directory decides.
  return groupMembers(record.pid, 0)
    .filter((member) => member.pid !== record.pid && namesRunDir(member.pid, record.marker))
    .map((member) => member.pid);
}

function namesRunDir(pid: number, runDir: string): boolean {
  try {
    if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(runDir)) return true;
    const cwd = readlinkSync(`/proc/${pid}/cwd`);
    return cwd === runDir || cwd.startsWith(`${runDir}/`);
  } catch {
    return false;
  }
}

/** Signals the process started at `start` (its whole group when it leads one: it does, started detached); nothing once it is gone. */
function signal(pid: number, start: number, sig: NodeJS.Signals): void {
  const stat = procStat(pid);
  if (!isRunning(stat) || stat.start !== start) return;
  try {
    process.kill(stat.pgrp === pid ? -pid : pid, sig);
  } catch {
    // Already gone.
  }
}

async function waitGone(pid: number, start: number, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    if (!isSameProcess(pid, start)) return true;
    await sleep(25);
  }
  return !isSameProcess(pid, start);
}

/**
 * Stops the recorded processes one after another, in the order given: SIGTERM, wait up to
 * `graceMs`, then SIGKILL. Returns what happened to each, for the caller to report.
 */
export async function stopProcesses(
  records: readonly ProcessRecord[],
  options: { graceMs?: number } = {},
): Promise<{ name: string; pid: number; outcome: 'not-running' | 'terminated' | 'killed' | 'survived' }[]> {
  const graceMs = options.graceMs ?? 10_000;
  const results: {
    name: string;
    pid: number;
    outcome: 'not-running' | 'terminated' | 'killed' | 'survived';
  }[] = [];
  for (const record of records) {
    if (!isOurs(record)) {
      // The leader may have died on its own (velero server after a crash) and left its children
      // (Velero's plugin processes) behind in its group: end those that are provably ours.
      for (const pid of orphanedGroupMembers(record)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      results.push({ name: record.name, pid: record.pid, outcome: 'not-running' });
      continue;
    }
    // Checked to be ours just now: from here on its start time names it, so a reused PID is never signalled.
    const start = procStat(record.pid)?.start ?? 0;
    signal(record.pid, start, 'SIGTERM');
    if (await waitGone(record.pid, start, Date.now() + graceMs)) {
      // Leftover group members (kwok's exec children) get no grace. The group is still the one our
      // process led while it has members that started after it (a PGID is not reused while in use).
      if (groupMembers(record.pid, start).length > 0) {
        try {
          process.kill(-record.pid, 'SIGKILL');
        } catch {
          // The group emptied meanwhile.
        }
      }
      results.push({ name: record.name, pid: record.pid, outcome: 'terminated' });
      continue;
    }
    signal(record.pid, start, 'SIGKILL');
    const gone = await waitGone(record.pid, start, Date.now() + 5_000);
    results.push({ name: record.name, pid: record.pid, outcome: gone ? 'killed' : 'survived' });
  }
  return results;
}

/** The last `lines` lines of a log file, for error messages. */
export async function logTail(path: string, lines = 20): Promise<string> {
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, 16_384);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      return buffer
        .toString('utf8')
        .split('\n')
        .slice(-lines - 1)
        .join('\n')
        .trimEnd();
    } finally {
      await handle.close();
    }
  } catch {
    return '(no log)';
  }
}
