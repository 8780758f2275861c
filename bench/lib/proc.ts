/**
 * Child processes for the bench: one measured process (kubehooks) with its peak RSS sampled from
 * /proc, and a bounded run of many short ones (the kubectl baseline). Every child has a deadline and
 * is stopped by its own PID; nothing is ever signalled by name. The measured one runs for minutes, so
 * it is owned (src/testing/owned-process.ts): its own process group, stopped at the deadline and with
 * the bench however the bench ends (SIGTERM/SIGINT to the bench stop it at once).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { spawnOwned } from '../../src/testing/owned-process.ts';
import type { OwnedProcess } from '../../src/testing/owned-process.ts';

/** VmHWM (peak RSS) and VmRSS of a live process, in KiB; undefined once it is gone. */
export function memoryOf(pid: number): { hwmKiB: number; rssKiB: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /^VmHWM:\s+(\d+) kB/m.exec(text)?.[1];
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(text)?.[1];
    if (hwm === undefined || rss === undefined) return undefined;
    return { hwmKiB: Number(hwm), rssKiB: Number(rss) };
  } catch {
    return undefined;
  }
}

export interface Measured {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly wallMs: number;
  /** Highest VmHWM seen while it ran (sampled every `sampleMs`). */
  readonly peakRssKiB: number;
  /** CPU seconds (user + system) at the last sample before exit. */
  readonly cpuSeconds: number;
  /** [ms since start, VmRSS KiB] samples. */
  readonly rssSeries: readonly (readonly [number, number])[];
  readonly timedOut: boolean;
  readonly pid: number;
  readonly startedAt: number;
  /** Date.now() when the process first wrote to stderr (kubehooks: its "hooks planned" line), or null. */
  readonly firstStderrAt: number | null;
}

export interface MeasureOptions {
  readonly deadlineMs: number;
  readonly sampleMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly onSample?: () => void;
}

/** Runs one process to completion, sampling its memory; SIGTERM to its group, then SIGKILL after 5 s, at the deadline. */
export function runMeasured(cmd: string, args: readonly string[], options: MeasureOptions): Promise<Measured> {
  const startedAt = Date.now();
  let owned: OwnedProcess;
  try {
    owned = spawnOwned(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
  const { child, pid } = owned;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => out.push(c));
  let firstStderrAt: number | null = null;
  child.stderr?.on('data', (c: Buffer) => {
    firstStderrAt ??= Date.now();
    err.push(c);
  });
  let peak = 0;
  let cpu = 0;
  const series: [number, number][] = [];
  const sample = (): void => {
    const m = memoryOf(pid);
    if (m === undefined) return;
    cpu = cpuSecondsOf(pid) ?? cpu;
    peak = Math.max(peak, m.hwmKiB);
    series.push([Date.now() - startedAt, m.rssKiB]);
    options.onSample?.();
  };
  const sampler = setInterval(sample, options.sampleMs ?? 100);
  let timedOut = false;
  const killer = setTimeout(() => {
    timedOut = true;
    void owned.stop({ graceMs: 5_000 }).catch(() => undefined);
  }, options.deadlineMs);
  return new Promise((resolve, reject) => {
    child.on('error', (e) => {
      clearInterval(sampler);
      clearTimeout(killer);
      reject(e);
    });
    let exitedAt = 0;
    child.on('exit', () => {
      exitedAt = Date.now();
      clearInterval(sampler);
      clearTimeout(killer);
    });
    // 'close' comes after the pipes drained, so stdout is whole.
    child.on('close', (code, signal) => {
      clearInterval(sampler);
      clearTimeout(killer);
      const wallMs = (exitedAt || Date.now()) - startedAt;
      {
        resolve({
          code,
          signal,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          wallMs,
          peakRssKiB: peak,
          cpuSeconds: Math.round(cpu * 100) / 100,
          rssSeries: series,
          firstStderrAt,
          timedOut,
          pid,
          startedAt,
        });
      }
    });
  });
}

export interface Quick {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
  readonly peakRssKiB: number;
}

/** A short child with a deadline; its peak RSS comes from one /proc sample shortly after start (cheap, approximate). */
export function runQuick(cmd: string, args: readonly string[], deadlineMs: number, sampleRss = false): Promise<Quick> {
  const t0 = performance.now();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  let peak = 0;
  const sampler = sampleRss
    ? setInterval(() => {
        const m = child.pid === undefined ? undefined : memoryOf(child.pid);
        if (m !== undefined) peak = Math.max(peak, m.hwmKiB);
      }, 10)
    : undefined;
  const killer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
  return new Promise((resolve) => {
    const finish = (code: number | null): void => {
      clearTimeout(killer);
      if (sampler !== undefined) clearInterval(sampler);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms: performance.now() - t0, peakRssKiB: peak });
    };
    child.on('error', () => {
      finish(null);
    });
    child.on('close', (code) => {
      finish(code);
    });
  });
}

/**
 * utime + stime of a live process in seconds (/proc/<pid>/stat), plus its reaped children's with
 * `children` (kwok's exec commands); undefined once it is gone.
 */
export function cpuSecondsOf(pid: number, children = false): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const reaped = children ? Number(fields[13]) + Number(fields[14]) : 0;
    return (utime + stime + reaped) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** Busy and total CPU seconds of the whole machine (/proc/stat, all cores). */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const all = v.reduce((a, b) => a + b, 0);
  return { busy: (all - idle) / CLOCK_TICKS, total: all / CLOCK_TICKS };
}

/** Linux's USER_HZ is 100 on every common architecture. */
const CLOCK_TICKS = 100;

/** CPU seconds used between the call and stop() by named processes (children included) and by the whole machine. */
export function cpuMeter(pids: Readonly<Record<string, number>>): { stop(): Record<string, number> } {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSecondsOf(pid, true) ?? Number.NaN]));
  const m0 = machineCpu();
  const load0 = loadavg()[0] ?? Number.NaN;
  return {
    stop() {
      const m1 = machineCpu();
      // Other work on the machine (other test runs) shows here: the bench cannot keep it away.
      const out: Record<string, number> = { loadAverage1mAtStart: load0, loadAverage1mAtEnd: loadavg()[0] ?? Number.NaN };
      for (const [k, pid] of Object.entries(pids)) out[k] = Math.round(((cpuSecondsOf(pid, true) ?? Number.NaN) - (before[k] ?? Number.NaN)) * 100) / 100;
      out['machineBusy'] = Math.round((m1.busy - m0.busy) * 100) / 100;
      out['machineUtilisation'] = Math.round(((m1.busy - m0.busy) / Math.max(0.01, m1.total - m0.total)) * 1000) / 1000;
      return out;
    },
  };
}
