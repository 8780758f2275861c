/**
 * kube-apiserver /metrics (Prometheus text format): request counters by verb/resource/subresource
 * (`apiserver_request_total`) and in-flight long-running requests (`apiserver_longrunning_requests`:
 * watches and exec streams). Pure parsing and diffing; the bench fetches the text.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Samples of the named metrics only (everything else is skipped without parsing its labels). */
export function parseMetrics(text: string, names: readonly string[]): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    if (!names.some((n) => line.startsWith(n))) continue;
    const m = LINE.exec(line);
    if (m === null || !names.includes(m[1] ?? '')) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1] ?? ''] = l[2] ?? '';
    out.push({ name: m[1] ?? '', labels, value: Number(m[3]) });
  }
  return out;
}

export const REQUESTS = 'apiserver_request_total';
export const LONGRUNNING = 'apiserver_longrunning_requests';

/** `VERB resource[/subresource]`, e.g. `WATCH pods`, `CONNECT pods/exec`, `POST events`. */
export function requestKey(labels: Readonly<Record<string, string>>): string {
  const resource = labels['resource'] ?? '';
  const sub = labels['subresource'] ?? '';
  return `${labels['verb'] ?? '?'} ${resource === '' ? '(non-resource)' : resource}${sub === '' ? '' : `/${sub}`}`;
}

/** Summed request counts by requestKey (codes, scopes, groups and components folded together). */
export function requestCounts(samples: readonly Sample[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of samples) {
    if (s.name !== REQUESTS) continue;
    const k = requestKey(s.labels);
    counts.set(k, (counts.get(k) ?? 0) + s.value);
  }
  return counts;
}

/** after - before, keeping only keys that changed. */
export function diffCounts(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of [...after.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const d = v - (before.get(k) ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

/** In-flight long-running requests for one verb/resource/subresource (e.g. WATCH pods). */
export function longRunning(samples: readonly Sample[], verb: string, resource: string, subresource = ''): number {
  let n = 0;
  for (const s of samples) {
    if (s.name !== LONGRUNNING) continue;
    if (s.labels['verb'] === verb && s.labels['resource'] === resource && (s.labels['subresource'] ?? '') === subresource) n += s.value;
  }
  return n;
}

/**
 * The requests a hook runner makes, out of a cluster-wide diff: pods (list/watch/get), pods/exec,
 * events. kwok's own traffic is on pods/status, nodes and leases and is left out; so is the bench's
 * (pod creation happens before the first snapshot, its watch stays open across both).
 */
export function runnerRequests(diff: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(diff)) {
    const [, target] = k.split(' ');
    if (target === 'pods' || target === 'pods/exec' || target === 'events') out[k] = v;
  }
  return out;
}

/** The Events a run POSTed (or created otherwise), out of `runnerRequests`' `VERB events` keys. */
export function eventRequests(requests: Readonly<Record<string, number>>): number {
  return Object.entries(requests).filter(([k]) => k.endsWith(' events')).reduce((t, [, v]) => t + v, 0);
}

export function total(counts: Readonly<Record<string, number>>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}
