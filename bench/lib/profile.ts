/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time per function and per file, and total
 * (inclusive) time for kubehooks' own functions, so the report can name the hot paths.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface HotSpot {
  readonly name: string;
  readonly ms: number;
  readonly percent: number;
}

export interface ProfileSummary {
  readonly file: string;
  readonly totalMs: number;
  readonly idleMs: number;
  readonly gcMs: number;
  readonly topSelf: readonly HotSpot[];
  readonly topFilesSelf: readonly HotSpot[];
  /** Inclusive time of functions defined in this repository (src/, bin/). */
  readonly topOwnInclusive: readonly HotSpot[];
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const src = url.search(/\/(src|bin)\//);
  if (src >= 0) return url.slice(src + 1);
  return url.replace(/^file:\/\//, '');
}

function frameName(f: CallFrame): string {
  const fn = f.functionName === '' ? '(anonymous)' : f.functionName;
  return f.url === '' ? fn : `${fn} ${shortUrl(f.url)}:${f.lineNumber + 1}`;
}

function top(map: Map<string, number>, totalMs: number, n: number): HotSpot[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, percent: Math.round((us / 1000 / totalMs) * 1000) / 10 }));
}

export function summarizeProfile(file: string, n = 20): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>(profile.nodes.map((x) => [x.id, x]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const bySelf = new Map<string, number>();
  const byFile = new Map<string, number>();
  const ownInclusive = new Map<string, number>();
  let idle = 0;
  let gc = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const f = node.callFrame;
    if (f.functionName === '(idle)') idle += us;
    if (f.functionName === '(garbage collector)') gc += us;
    bySelf.set(frameName(f), (bySelf.get(frameName(f)) ?? 0) + us);
    const fileKey = f.url === '' ? f.functionName : shortUrl(f.url);
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + us);
    // Inclusive time for our own frames: walk up once per distinct frame name on the stack.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)?.callFrame;
      if (frame === undefined || !/\/(src|bin)\//.test(frame.url) || frame.url.includes('node_modules')) continue;
      const name = frameName(frame);
      if (seen.has(name)) continue;
      seen.add(name);
      ownInclusive.set(name, (ownInclusive.get(name) ?? 0) + us);
    }
  }
  return {
    file,
    totalMs: Math.round(totalMs),
    idleMs: Math.round(idle / 1000),
    gcMs: Math.round(gc / 1000),
    topSelf: top(bySelf, totalMs, n),
    topFilesSelf: top(byFile, totalMs, n),
    topOwnInclusive: top(ownInclusive, totalMs, n),
  };
}
