/** Writes the delay chart of a results file: always the SVG, the PNG only when rsvg-convert exists. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { delaySvg } from './plot.ts';

interface ResultsLike {
  readonly date: string;
  readonly parameters: { readonly spreadMs: number; readonly concurrency: number };
  readonly runs: readonly { readonly pods: number; readonly latency: { readonly delays: { readonly firstHookStart: { readonly p50: number; readonly p99: number } } } }[];
}

export function writeDelayPlot(resultsFile: string): string[] {
  const r = JSON.parse(readFileSync(resultsFile, 'utf8')) as ResultsLike;
  const points = r.runs.map((x) => ({ pods: x.pods, p50: x.latency.delays.firstHookStart.p50, p99: x.latency.delays.firstHookStart.p99 }));
  const title = `Running → hook exec start, first hook per container (spread ${r.parameters.spreadMs / 1000} s, concurrency ${r.parameters.concurrency})`;
  const svg = resultsFile.replace(/\.json$/, '-delay.svg');
  writeFileSync(svg, delaySvg(points, title));
  const png = svg.replace(/\.svg$/, '.png');
  const converted = spawnSync('rsvg-convert', ['-o', png, svg], { timeout: 30_000 });
  return converted.status === 0 ? [svg, png] : [svg];
}
