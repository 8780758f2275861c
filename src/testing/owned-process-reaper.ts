/**
 * The watchdog of owned-process.ts: `node owned-process-reaper.ts <owner pid>`, in a session of its
 * own, reads `own <pid> <start> <graceMs>` and `free <pid>` lines on stdin. When stdin ends (the owner
 * exited, however it ended, SIGKILL included) it stops every process group still owned whose leader
 * is still the process recorded (same PID and start time): SIGTERM, up to the grace, SIGKILL; then
 * kills the members left in those groups, and exits.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { allProcesses, groupMembers, isSameProcess } from './process-tree.ts';

const MAX_GRACE_MS = 30_000;

const owned = new Map<number, { start: number; graceMs: number }>();

function apply(line: string): void {
  const [verb, pidText, startText, graceText] = line.trim().split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return;
  if (verb === 'own') owned.set(pid, { start: Number(startText), graceMs: Math.min(Number(graceText) || 0, MAX_GRACE_MS) });
  else if (verb === 'free') owned.delete(pid);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Gone.
  }
}

let reaping = false;
async function reap(): Promise<void> {
  if (reaping) return;
  reaping = true;
  const leaders = () => [...owned].filter(([pid, e]) => isSameProcess(pid, e.start));
  for (const [pid] of leaders()) signal(-pid, 'SIGTERM');
  const grace = Math.max(0, ...[...owned.values()].map((e) => e.graceMs));
  const deadline = Date.now() + grace;
  while (leaders().length > 0 && Date.now() < deadline) await sleep(50);
  for (const [pid] of leaders()) signal(-pid, 'SIGKILL');
  const processes = allProcesses();
  for (const [pid, e] of owned) for (const member of groupMembers(pid, e.start, processes)) signal(member.pid, 'SIGKILL');
  process.exit(0);
}

let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  pending += chunk;
  const lines = pending.split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) apply(line);
});
process.stdin.on('end', () => void reap());
process.stdin.on('error', () => void reap());
