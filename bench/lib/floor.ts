/**
 * The client-go floor (bench/floor): its report, its figures and kubehooks' ratios to it (pure).
 * The floor runs the same hooks at the same concurrency through client-go's remotecommand, so
 * kubehooks' hooks/s, CPU per hook and exec p99 are read as ratios to it within one bench run.
 */
import { round, summarize } from './stats.ts';
import type { Summary } from './stats.ts';

export const FLOOR_TRANSPORTS = ['websocket', 'spdy'] as const;
export type FloorTransport = (typeof FLOOR_TRANSPORTS)[number];

/** What bench/floor prints on stdout. */
export interface FloorReport {
  readonly transport: string;
  readonly concurrency: number;
  readonly hooks: number;
  readonly failed: number;
  readonly wallMs: number;
  readonly results: readonly { readonly startedAt: string; readonly durationMs: number; readonly error?: string }[];
}

/** The figures both sides are compared on. */
export interface ExecFigures {
  /** Hooks over the process's wall time (start-up included). */
  readonly hooksPerSecond: number;
  /** Hooks over first exec start → last exec end. */
  readonly execWindowHooksPerSecond: number;
  /** The process's own CPU (user + system) per hook, ms. */
  readonly cpuPerHookMs: number;
  /** One exec's round trip (kubehooks: a hook's durationMs), ms. */
  readonly perExecMs: Summary;
}

export interface FloorRun extends ExecFigures {
  readonly transport: FloorTransport;
  readonly concurrency: number;
  readonly hooks: number;
  readonly failed: number;
  readonly firstError: string | undefined;
  readonly wallMs: number;
  readonly peakRssMiB: number;
  readonly requests: Readonly<Record<string, number>>;
  readonly cpuSeconds: Readonly<Record<string, number>>;
}

export function parseFloorReport(stdout: string): FloorReport {
  const r = JSON.parse(stdout) as Partial<FloorReport>;
  if (typeof r.hooks !== 'number' || !Array.isArray(r.results)) throw new Error('floor: report without hooks/results');
  return r as FloorReport;
}

/** Figures from timed executions: [start ms, duration ms] per exec, the process's wall ms and CPU s. */
export function execFigures(execs: readonly (readonly [number, number])[], wallMs: number, cpuSeconds: number): ExecFigures {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const [start, d] of execs) {
    first = Math.min(first, start);
    last = Math.max(last, start + d);
  }
  const n = execs.length;
  return {
    hooksPerSecond: round(n / (wallMs / 1000)),
    execWindowHooksPerSecond: n === 0 ? Number.NaN : round(n / ((last - first) / 1000)),
    cpuPerHookMs: n === 0 ? Number.NaN : round((cpuSeconds * 1000) / n, 2),
    perExecMs: summarize(execs.map(([, d]) => d)),
  };
}

/** The executions of a floor report that started, as [start ms, duration ms]. */
export function floorExecs(report: FloorReport): [number, number][] {
  return report.results.flatMap((r) => (r.startedAt === '' ? [] : [[Date.parse(r.startedAt), r.durationMs] as [number, number]]));
}

export interface FloorRatios {
  readonly transport: FloorTransport;
  /** kubehooks ÷ floor: above 1 is faster than the floor. */
  readonly hooksPerSecond: number;
  readonly execWindowHooksPerSecond: number;
  /** kubehooks ÷ floor: above 1 costs more than the floor. */
  readonly cpuPerHook: number;
  readonly perExecP50: number;
  readonly perExecP99: number;
}

const ratio = (a: number, b: number): number => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? round(a / b, 2) : Number.NaN);

export function ratiosToFloor(kubehooks: ExecFigures, floor: ExecFigures & { readonly transport: FloorTransport }): FloorRatios {
  return {
    transport: floor.transport,
    hooksPerSecond: ratio(kubehooks.hooksPerSecond, floor.hooksPerSecond),
    execWindowHooksPerSecond: ratio(kubehooks.execWindowHooksPerSecond, floor.execWindowHooksPerSecond),
    cpuPerHook: ratio(kubehooks.cpuPerHookMs, floor.cpuPerHookMs),
    perExecP50: ratio(kubehooks.perExecMs.p50, floor.perExecMs.p50),
    perExecP99: ratio(kubehooks.perExecMs.p99, floor.perExecMs.p99),
  };
}
