/**
 * What /proc says about a process: its state, parent, group, session and start time. The start time
 * (clock ticks since boot) together with the PID names one process for its whole life: a PID that
 * was reused has a later start time, so a recorded (pid, start) pair is never signalled by mistake.
 * Linux only; elsewhere every read answers "unknown" (undefined / empty).
 */
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcStat {
  readonly pid: number;
  /** R, S, D, T, Z (zombie: exited, not yet reaped), X (dead), … */
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
  readonly sid: number;
  /** Clock ticks after boot at which the process started. */
  readonly start: number;
}

/** Parses /proc/<pid>/stat; undefined when the text is not one. */
export function parseProcStat(pid: number, text: string): ProcStat | undefined {
  // The command name is in parentheses and may contain spaces and ')': fields after the last ')' are fixed.
  const close = text.lastIndexOf(')');
  if (close === -1) return undefined;
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 of proc(5): state; ppid 4, pgrp 5, session 6, starttime 22.
  const state = fields[0];
  const [ppid, pgrp, sid, start] = [fields[1], fields[2], fields[3], fields[19]].map(Number);
  if (state === undefined || state === '' || ![ppid, pgrp, sid, start].every((n) => Number.isInteger(n))) return undefined;
  return { pid, state, ppid: ppid ?? 0, pgrp: pgrp ?? 0, sid: sid ?? 0, start: start ?? 0 };
}

export function procStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(pid, readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Running (a zombie has exited already; only its parent has not collected it). */
export function isRunning(stat: ProcStat | undefined): stat is ProcStat {
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/** `pid` names a running process (any: pair it with a start time, isSameProcess, to know which). */
export function isAlive(pid: number): boolean {
  return isRunning(procStat(pid));
}

/** The process started at `start` is still running under `pid`. */
export function isSameProcess(pid: number, start: number): boolean {
  const stat = procStat(pid);
  return isRunning(stat) && stat.start === start;
}

/** Every running process's stat, read from /proc (empty where there is no /proc). */
export function allProcesses(): ProcStat[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: ProcStat[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (isRunning(stat)) out.push(stat);
  }
  return out;
}

/**
 * Running members of process group `pgid` that started no earlier than `notBefore` (the leader's
 * start): a group ID is not reused while the group has members, and a member of a later group that
 * reused the number would still have to pass the start-time check against a leader started before.
 */
export function groupMembers(pgid: number, notBefore: number, processes: readonly ProcStat[] = allProcesses()): ProcStat[] {
  return processes.filter((p) => p.pgrp === pgid && p.start >= notBefore && p.pid !== process.pid);
}

/** Running descendants of `pid` (children, their children, …), by parent links. */
export function descendants(pid: number, processes: readonly ProcStat[] = allProcesses()): ProcStat[] {
  const byParent = new Map<number, ProcStat[]>();
  for (const p of processes) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  const out: ProcStat[] = [];
  const queue = [pid];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const child of byParent.get(next) ?? []) {
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}
