/** The markdown table of a bench result (pure), as printed and written next to the JSON. */

interface SummaryLike {
  readonly p50: number;
  readonly p99: number;
}

interface RunLike {
  readonly pods: number;
  readonly containers: number;
  readonly hooks: number;
  readonly latency: {
    readonly exitCode: number | null;
    readonly statuses: Readonly<Record<string, number>>;
    readonly measured: { readonly wallMs: number; readonly peakRssKiB: number };
    readonly hooksPerSecond: number;
    readonly requestsTotal: number;
    readonly requests: Readonly<Record<string, number>>;
    readonly peakWatchConnections: number;
    readonly delays: { readonly firstHookStart: SummaryLike; readonly firstHookEnd: SummaryLike; readonly anyHookStart: SummaryLike; readonly runningBeforeSpawn: number };
  };
  readonly throughput: {
    readonly measured: { readonly wallMs: number; readonly peakRssKiB: number };
    readonly hooksPerSecond: number;
    readonly execWindowHooksPerSecond: number;
    readonly requestsTotal: number;
    readonly statuses: Readonly<Record<string, number>>;
    readonly cpuSeconds: Readonly<Record<string, number>>;
  };
  readonly baseline:
    | {
        readonly hooksRun: number;
        readonly sampled: boolean;
        readonly failed: number;
        readonly hooksPerSecond: number;
        readonly execWindowHooksPerSecond: number;
        readonly wallMs: number;
        readonly requestsTotal: number;
        readonly kubectlPeakRssMiB: number;
        readonly cpuSeconds: Readonly<Record<string, number>>;
      }
    | undefined;
  readonly throughputRatio: number | undefined;
  readonly throughputFigures?: FigureLike;
  readonly throughputConcurrency?: string;
  readonly floor?: readonly (FigureLike & { readonly transport: string; readonly concurrency: number; readonly failed: number; readonly peakRssMiB: number })[];
  readonly floorRatios?: readonly {
    readonly transport: string;
    readonly hooksPerSecond: number;
    readonly execWindowHooksPerSecond: number;
    readonly cpuPerHook: number;
    readonly perExecP99: number;
  }[];
}

interface FigureLike {
  readonly hooksPerSecond: number;
  readonly execWindowHooksPerSecond: number;
  readonly cpuPerHookMs: number;
  readonly perExecMs: SummaryLike;
}

interface ResultLike {
  readonly date: string;
  readonly parameters: { readonly spreadMs: number; readonly concurrency: number | string; readonly hooksPerPod: string };
  readonly runs: readonly RunLike[];
}

const mib = (kib: number): string => (kib / 1024).toFixed(0);
const s = (ms: number): string => (ms / 1000).toFixed(1);
const perHook = (seconds: number | undefined, hooks: number): string =>
  seconds === undefined || !Number.isFinite(seconds) ? '—' : ((seconds * 1000) / hooks).toFixed(1);
const ok = (statuses: Readonly<Record<string, number>>): string => {
  const bad = Object.entries(statuses).filter(([k]) => k !== 'succeeded');
  return bad.length === 0 ? 'all ok' : bad.map(([k, v]) => `${v} ${k}`).join(', ');
};

export function renderTable(result: ResultLike): string {
  const p = result.parameters;
  const lines = [
    `Bench ${result.date.slice(0, 16)}Z — hooks per pod ${p.hooksPerPod}, start spread ${s(p.spreadMs)} s, concurrency ${p.concurrency}`,
    '',
    '| N pods (containers, hooks) | A: wall s | A: Running→exec p50 / p99 ms (first hook per container) | A: →hook end p99 ms | A: any hook p99 ms | A: peak RSS MiB | A: watches | A: API requests | B: hooks/s (exec window) | B: peak RSS MiB | B: CPU ms/hook kubehooks / machine | kubectl hooks/s (exec window) | kubectl: machine CPU ms/hook | ratio | outcomes A / B / kubectl |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of result.runs) {
    const a = r.latency;
    const b = r.throughput;
    const c = r.baseline;
    const early = a.delays.runningBeforeSpawn > 0 ? ` (${a.delays.runningBeforeSpawn} started before kubehooks)` : '';
    lines.push(
      `| ${r.pods} (${r.containers}, ${r.hooks}) | ${s(a.measured.wallMs)} | ${a.delays.firstHookStart.p50} / ${a.delays.firstHookStart.p99}${early} | ${a.delays.firstHookEnd.p99} | ${a.delays.anyHookStart.p99} | ${mib(a.measured.peakRssKiB)} | ${a.peakWatchConnections} | ${a.requestsTotal} | ${b.hooksPerSecond} (${b.execWindowHooksPerSecond}) | ${mib(b.measured.peakRssKiB)} | ${perHook(b.cpuSeconds['kubehooks'], r.hooks)} / ${perHook(b.cpuSeconds['machineBusy'], r.hooks)} | ${c === undefined ? '—' : `${c.hooksPerSecond} (${c.execWindowHooksPerSecond})${c.sampled ? `, ${c.hooksRun} sampled` : ''}`} | ${c === undefined ? '—' : perHook(c.cpuSeconds['machineBusy'], c.hooksRun)} | ${r.throughputRatio ?? '—'} | ${ok(a.statuses)} / ${ok(b.statuses)} / ${c === undefined ? '—' : c.failed === 0 ? 'all ok' : `${c.failed} failed`} |`,
    );
  }
  const withFloor = result.runs.filter((r) => (r.floor ?? []).length > 0);
  if (withFloor.length > 0) {
    lines.push(
      '',
      'Phase B against the client-go floor (phase F right after B: WebSocket, then SPDY; same hooks, at the concurrency kubehooks chose in B). Ratios are kubehooks ÷ floor: hooks/s above 1 is faster, CPU and p99 above 1 cost more.',
      '',
      '| N | run (concurrency) | hooks/s (exec window) | CPU ms/hook (own process) | exec p50 / p99 ms | peak RSS MiB | kubehooks ÷ it: hooks/s (window) | CPU per hook | exec p99 |',
      '|---|---|---|---|---|---|---|---|---|',
    );
    for (const r of withFloor) {
      const k = r.throughputFigures;
      if (k !== undefined) {
        lines.push(`| ${r.pods} | kubehooks B (${r.throughputConcurrency ?? '—'}) | ${k.hooksPerSecond} (${k.execWindowHooksPerSecond}) | ${k.cpuPerHookMs} | ${k.perExecMs.p50} / ${k.perExecMs.p99} | ${mib(r.throughput.measured.peakRssKiB)} | | | |`);
      }
      for (const f of r.floor ?? []) {
        const q = r.floorRatios?.find((x) => x.transport === f.transport);
        lines.push(
          `| ${r.pods} | floor ${f.transport} (${f.concurrency})${f.failed > 0 ? ` (${f.failed} failed)` : ''} | ${f.hooksPerSecond} (${f.execWindowHooksPerSecond}) | ${f.cpuPerHookMs} | ${f.perExecMs.p50} / ${f.perExecMs.p99} | ${f.peakRssMiB} | ${q === undefined ? '—' : `**${q.hooksPerSecond}×** (${q.execWindowHooksPerSecond}×)`} | ${q === undefined ? '—' : `**${q.cpuPerHook}×**`} | ${q === undefined ? '—' : `${q.perExecP99}×`} |`,
        );
      }
    }
  }
  lines.push('', 'API requests by kubehooks in phase A (verb resource → count):', '');
  for (const r of result.runs) {
    lines.push(`- N=${r.pods}: ${Object.entries(r.latency.requests).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}
