/**
 * Child processes for the bench: one measured process (kubehooks) with its peak RSS sampled from
 * /proc, and a bounded run of many short ones (the kubectl baseline). Every child has a deadline and
 * is stopped by its own PID; nothing is ever signalled by name.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

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
  /** [ms since start, VmRSS KiB] samples. */
  readonly rssSeries: readonly (readonly [number, number])[];
  readonly timedOut: boolean;
  readonly pid: number;
  readonly startedAt: number;
}

export interface MeasureOptions {
  readonly deadlineMs: number;
  readonly sampleMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly onSample?: () => void;
}

/** Runs one process to completion, sampling its memory; SIGTERM then SIGKILL (its PID only) at the deadline. */
export function runMeasured(cmd: string, args: readonly string[], options: MeasureOptions): Promise<Measured> {
  const startedAt = Date.now();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
  const pid = child.pid ?? -1;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  let peak = 0;
  const series: [number, number][] = [];
  const sample = (): void => {
    const m = memoryOf(pid);
    if (m === undefined) return;
    peak = Math.max(peak, m.hwmKiB);
    series.push([Date.now() - startedAt, m.rssKiB]);
    options.onSample?.();
  };
  const sampler = setInterval(sample, options.sampleMs ?? 100);
  let timedOut = false;
  const killer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
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
          rssSeries: series,
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
