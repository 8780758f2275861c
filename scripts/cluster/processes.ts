/**
 * Starting and stopping the control plane's processes. Each component runs in its own process group
 * (detached), so a terminal's Ctrl-C reaches only the launcher, which then stops them in order; and
 * the commands kwok runs for `exec` (children in kwok's group) are stopped with it. A recorded PID is
 * signalled only after /proc confirms it is still the binary we started with our run directory in its
 * arguments, so a reused PID is never touched.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

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

function procStat(pid: number): { state: string; pgrp: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces; fields after it are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/** Running and not a zombie (a zombie already exited; its parent just has not reaped it). */
export function isAlive(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
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
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const members: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === record.pid || pid === process.pid) continue;
    const stat = procStat(pid);
    if (stat?.pgrp !== record.pid || !isAlive(pid)) continue;
    let ours = false;
    try {
      ours = readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(record.marker);
      if (!ours) {
        const cwd = readlinkSync(`/proc/${pid}/cwd`);
        ours = cwd === record.marker || cwd.startsWith(`${record.marker}/`);
      }
    } catch {
      ours = false;
    }
    if (ours) members.push(pid);
  }
  return members;
}

function signal(record: ProcessRecord, sig: NodeJS.Signals): void {
  const stat = procStat(record.pid);
  try {
    // Signal the whole group when the process leads it (it does: we start it detached).
    process.kill(stat?.pgrp === record.pid ? -record.pid : record.pid, sig);
  } catch {
    // Already gone.
  }
}

async function waitGone(pid: number, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(25);
  }
  return !isAlive(pid);
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
    signal(record, 'SIGTERM');
    if (await waitGone(record.pid, Date.now() + graceMs)) {
      // Leftover group members (kwok's exec children) get no grace.
      try {
        process.kill(-record.pid, 'SIGKILL');
      } catch {
        // The group is empty.
      }
      results.push({ name: record.name, pid: record.pid, outcome: 'terminated' });
      continue;
    }
    signal(record, 'SIGKILL');
    const gone = await waitGone(record.pid, Date.now() + 5_000);
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
