/**
 * node bench/heap-summary.ts FILE.heapsnapshot [--top 25] [--json]
 *
 * Summarises a V8 heap snapshot (bench/lib/heap-probe.js, `node --heapsnapshot-signal`, DevTools):
 *   - self size by node type (object, string, code, closure, array, hidden …);
 *   - self size by constructor (DevTools' "Summary" grouping: objects by constructor name, every
 *     string as (string), closures as (closure), V8 internals as (system) …), each with what holds
 *     it: every object is put under its immediate dominator's group and the edge from it
 *     (`Runner.items`; `(indirect)` when the dominator reaches it only through other objects), so
 *     the holders' sizes add up to the group's;
 *   - the objects that retain most (retained size from the dominator tree: what would be freed if
 *     that object went), each with its chain of dominators up to the root.
 * Weak edges do not retain. Sizes are V8's shallow sizes of live objects (a snapshot collects
 * garbage first); they add up to the live heap, not to RSS.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/** The parts of a .heapsnapshot file this summary reads. */
export interface HeapSnapshotFile {
  readonly snapshot: {
    readonly meta: {
      readonly node_fields: readonly string[];
      readonly node_types: readonly (readonly string[] | string)[];
      readonly edge_fields: readonly string[];
      readonly edge_types: readonly (readonly string[] | string)[];
    };
    readonly node_count?: number;
  };
  readonly nodes: readonly number[];
  readonly edges: readonly number[];
  readonly strings: readonly string[];
}

export interface Group {
  readonly name: string;
  readonly count: number;
  readonly selfBytes: number;
}

export interface ConstructorGroup extends Group {
  /** Who holds these objects: `dominator's group.edge`, by self size (they add up to the group's). */
  readonly retainers: readonly Group[];
}

export interface Dominator {
  readonly name: string;
  readonly id: number;
  readonly selfBytes: number;
  readonly retainedBytes: number;
  /** Its dominators, nearest first, up to (not including) the snapshot's root. */
  readonly dominatedBy: readonly string[];
}

export interface HeapSummary {
  readonly nodes: number;
  readonly edges: number;
  readonly totalSelfBytes: number;
  readonly byType: readonly Group[];
  readonly byConstructor: readonly ConstructorGroup[];
  readonly topRetained: readonly Dominator[];
}

/** A flat, index-based view of the snapshot (node i's fields start at nodes[i * nodeFields]). */
class Graph {
  readonly count: number;
  readonly type: Uint8Array;
  readonly nameIndex: Uint32Array;
  readonly id: Float64Array;
  readonly self: Float64Array;
  /** Outgoing edges of node i: edgeStart[i] .. edgeStart[i + 1] in edgeTo/edgeType/edgeName. */
  readonly edgeStart: Uint32Array;
  readonly edgeTo: Uint32Array;
  readonly edgeType: Uint8Array;
  readonly edgeName: Float64Array;
  readonly nodeTypes: readonly string[];
  readonly edgeTypes: readonly string[];
  readonly file: HeapSnapshotFile;

  constructor(file: HeapSnapshotFile) {
    this.file = file;
    const meta = file.snapshot.meta;
    const nf = meta.node_fields.length;
    const ef = meta.edge_fields.length;
    const field = (fields: readonly string[], name: string): number => {
      const i = fields.indexOf(name);
      if (i < 0)
        throw new Error(`heap snapshot: meta lacks the "${name}" field (fields: ${fields.join(', ')})`);
      return i;
    };
    const nType = field(meta.node_fields, 'type');
    const nName = field(meta.node_fields, 'name');
    const nId = field(meta.node_fields, 'id');
    const nSelf = field(meta.node_fields, 'self_size');
    const nEdges = field(meta.node_fields, 'edge_count');
    const eType = field(meta.edge_fields, 'type');
    const eName = field(meta.edge_fields, 'name_or_index');
    const eTo = field(meta.edge_fields, 'to_node');
    const types = (t: readonly string[] | string | undefined, what: string): readonly string[] => {
      if (!Array.isArray(t)) throw new Error(`heap snapshot: meta.${what} does not list the types`);
      return t as readonly string[];
    };
    this.nodeTypes = types(meta.node_types[nType], 'node_types');
    this.edgeTypes = types(meta.edge_types[eType], 'edge_types');
    if (file.nodes.length % nf !== 0)
      throw new Error(`heap snapshot: ${file.nodes.length} node values is not a multiple of ${nf} fields`);
    if (file.edges.length % ef !== 0)
      throw new Error(`heap snapshot: ${file.edges.length} edge values is not a multiple of ${ef} fields`);
    const n = file.nodes.length / nf;
    const e = file.edges.length / ef;
    this.count = n;
    this.type = new Uint8Array(n);
    this.nameIndex = new Uint32Array(n);
    this.id = new Float64Array(n);
    this.self = new Float64Array(n);
    this.edgeStart = new Uint32Array(n + 1);
    this.edgeTo = new Uint32Array(e);
    this.edgeType = new Uint8Array(e);
    this.edgeName = new Float64Array(e);
    let edge = 0;
    for (let i = 0; i < n; i++) {
      const base = i * nf;
      this.type[i] = file.nodes[base + nType] ?? 0;
      this.nameIndex[i] = file.nodes[base + nName] ?? 0;
      this.id[i] = file.nodes[base + nId] ?? 0;
      this.self[i] = file.nodes[base + nSelf] ?? 0;
      this.edgeStart[i] = edge;
      edge += file.nodes[base + nEdges] ?? 0;
    }
    if (edge !== e) throw new Error(`heap snapshot: the nodes count ${edge} edges, the file has ${e}`);
    this.edgeStart[n] = e;
    for (let j = 0; j < e; j++) {
      const base = j * ef;
      const to = file.edges[base + eTo] ?? 0;
      if (to % nf !== 0 || to / nf >= n)
        throw new Error(`heap snapshot: edge ${j} points at ${to}, not a node`);
      this.edgeTo[j] = to / nf;
      this.edgeType[j] = file.edges[base + eType] ?? 0;
      this.edgeName[j] = file.edges[base + eName] ?? 0;
    }
  }

  typeOf(i: number): string {
    return this.nodeTypes[this.type[i] ?? 0] ?? 'unknown';
  }

  nameOf(i: number): string {
    return this.file.strings[this.nameIndex[i] ?? 0] ?? '';
  }

  /** DevTools' Summary grouping. */
  groupOf(i: number): string {
    const type = this.typeOf(i);
    switch (type) {
      case 'object':
      case 'native':
      case 'synthetic':
        return this.nameOf(i) || `(${type})`;
      case 'string':
      case 'concatenated string':
      case 'sliced string':
        return '(string)';
      case 'hidden':
      case 'object shape':
        return '(system)';
      case 'code':
        return '(compiled code)';
      default:
        return `(${type})`;
    }
  }

  edgeLabel(j: number): string {
    const type = this.edgeTypes[this.edgeType[j] ?? 0] ?? 'unknown';
    const name = this.edgeName[j] ?? 0;
    if (type === 'element' || type === 'hidden') return `[${name}]`;
    return this.file.strings[name] ?? String(name);
  }

  isWeak(j: number): boolean {
    return this.edgeTypes[this.edgeType[j] ?? 0] === 'weak';
  }

}

/**
 * Immediate dominators from node 0 (the snapshot's root) over the non-weak edges (Cooper, Harvey and
 * Kennedy's iterative algorithm), and each node's retained size. Unreachable nodes keep idom -1.
 */
function dominators(g: Graph): { idom: Int32Array; retained: Float64Array } {
  const n = g.count;
  const order = new Int32Array(n).fill(-1); // postorder number
  const byOrder = new Int32Array(n);
  let next = 0;
  // Iterative DFS for the postorder.
  const stack = new Int32Array(n);
  const cursor = new Uint32Array(n);
  const visited = new Uint8Array(n);
  let top = 0;
  if (n > 0) {
    stack[top++] = 0;
    visited[0] = 1;
    cursor[0] = g.edgeStart[0] ?? 0;
  }
  while (top > 0) {
    const v = stack[top - 1] ?? 0;
    const end = g.edgeStart[v + 1] ?? 0;
    let pushed = false;
    while ((cursor[v] ?? 0) < end) {
      const j = cursor[v] ?? 0;
      cursor[v] = j + 1;
      if (g.isWeak(j)) continue;
      const w = g.edgeTo[j] ?? 0;
      if (visited[w] === 1) continue;
      visited[w] = 1;
      cursor[w] = g.edgeStart[w] ?? 0;
      stack[top++] = w;
      pushed = true;
      break;
    }
    if (!pushed) {
      top--;
      order[v] = next;
      byOrder[next] = v;
      next++;
    }
  }
  // Predecessors (reachable, non-weak) in CSR form.
  const predCount = new Uint32Array(n + 1);
  for (let v = 0; v < n; v++) {
    if (order[v] === -1) continue;
    for (let j = g.edgeStart[v] ?? 0; j < (g.edgeStart[v + 1] ?? 0); j++)
      if (!g.isWeak(j)) {
        const w = (g.edgeTo[j] ?? 0) + 1;
        predCount[w] = (predCount[w] ?? 0) + 1;
      }
  }
  for (let v = 0; v < n; v++) predCount[v + 1] = (predCount[v + 1] ?? 0) + (predCount[v] ?? 0);
  const preds = new Int32Array(predCount[n] ?? 0);
  const fill = predCount.slice(0, n);
  for (let v = 0; v < n; v++) {
    if (order[v] === -1) continue;
    for (let j = g.edgeStart[v] ?? 0; j < (g.edgeStart[v + 1] ?? 0); j++)
      if (!g.isWeak(j)) {
        const w = g.edgeTo[j] ?? 0;
        const at = fill[w] ?? 0;
        preds[at] = v;
        fill[w] = at + 1;
      }
  }
  const idom = new Int32Array(n).fill(-1);
  if (n > 0) idom[0] = 0;
  const intersect = (a: number, b: number): number => {
    let x = a;
    let y = b;
    while (x !== y) {
      while ((order[x] ?? 0) < (order[y] ?? 0)) x = idom[x] ?? 0;
      while ((order[y] ?? 0) < (order[x] ?? 0)) y = idom[y] ?? 0;
    }
    return x;
  };
  for (let changed = true; changed;) {
    changed = false;
    for (let k = next - 2; k >= 0; k--) {
      const v = byOrder[k] ?? 0;
      let candidate = -1;
      for (let p = predCount[v] ?? 0; p < (predCount[v + 1] ?? 0); p++) {
        const u = preds[p] ?? 0;
        if (idom[u] === -1) continue;
        candidate = candidate === -1 ? u : intersect(u, candidate);
      }
      if (candidate !== -1 && idom[v] !== candidate) {
        idom[v] = candidate;
        changed = true;
      }
    }
  }
  const retained = new Float64Array(n);
  for (let k = 0; k < next; k++) {
    const v = byOrder[k] ?? 0;
    retained[v] = (retained[v] ?? 0) + (g.self[v] ?? 0);
    if (v !== 0) retained[idom[v] ?? 0] = (retained[idom[v] ?? 0] ?? 0) + (retained[v] ?? 0);
  }
  return { idom, retained };
}

const byBytes = (a: Group, b: Group): number => b.selfBytes - a.selfBytes || a.name.localeCompare(b.name);

function add(map: Map<string, { count: number; selfBytes: number }>, key: string, bytes: number): void {
  const g = map.get(key);
  if (g === undefined) map.set(key, { count: 1, selfBytes: bytes });
  else {
    g.count++;
    g.selfBytes += bytes;
  }
}

const groups = (map: Map<string, { count: number; selfBytes: number }>): Group[] =>
  [...map].map(([name, g]) => ({ name, ...g })).sort(byBytes);

/** The summary of one parsed snapshot; `top` bounds each list. */
export function summarizeHeap(file: HeapSnapshotFile, top = 25, retainersPerGroup = 5): HeapSummary {
  const g = new Graph(file);
  const { idom, retained } = dominators(g);
  const byType = new Map<string, { count: number; selfBytes: number }>();
  const byGroup = new Map<string, { count: number; selfBytes: number }>();
  let total = 0;
  for (let i = 0; i < g.count; i++) {
    if ((idom[i] ?? -1) === -1) continue; // unreachable: not live
    const bytes = g.self[i] ?? 0;
    total += bytes;
    add(byType, g.typeOf(i), bytes);
    add(byGroup, g.groupOf(i), bytes);
  }
  const topGroups = groups(byGroup).slice(0, top);
  const wanted = new Set(topGroups.map((x) => x.name));
  // Each object is put under its immediate dominator (the one object whose going would free it) and
  // the edge from it, when there is a direct one: the self sizes of a group's holders add up to its own.
  const retainers = new Map<string, Map<string, { count: number; selfBytes: number }>>();
  for (let w = 1; w < g.count; w++) {
    const d = idom[w] ?? -1;
    if (d === -1) continue;
    const group = g.groupOf(w);
    if (!wanted.has(group)) continue;
    let edge = '(indirect)';
    for (let j = g.edgeStart[d] ?? 0; j < (g.edgeStart[d + 1] ?? 0); j++) {
      if (g.edgeTo[j] === w && !g.isWeak(j)) {
        edge = g.edgeLabel(j).replace(/^\[?\d+\]?$/, '[]');
        break;
      }
    }
    let m = retainers.get(group);
    if (m === undefined) retainers.set(group, (m = new Map<string, { count: number; selfBytes: number }>()));
    add(m, `${g.groupOf(d)}.${edge}`, g.self[w] ?? 0);
  }
  const label = (i: number): string => {
    const group = g.groupOf(i);
    const name = g.nameOf(i);
    if (group === '(system)' && name !== '') return name.slice(0, 60);
    return group.startsWith('(') && name !== '' && !group.includes(name) && g.typeOf(i) !== 'string'
      ? `${group} ${name.slice(0, 60)}`
      : group;
  };
  const candidates: number[] = [];
  for (let i = 1; i < g.count; i++) if ((idom[i] ?? -1) !== -1) candidates.push(i);
  candidates.sort((a, b) => (retained[b] ?? 0) - (retained[a] ?? 0));
  // Skip V8's synthetic roots ((GC roots), (Internalized strings) …): they hold everything.
  const topRetained = candidates
    .filter((i) => g.typeOf(i) !== 'synthetic')
    .slice(0, top)
    .map((i): Dominator => {
      const chain: string[] = [];
      for (let d = idom[i] ?? 0; d !== 0 && chain.length < 12; d = idom[d] ?? 0) chain.push(label(d));
      return {
        name: label(i),
        id: g.id[i] ?? 0,
        selfBytes: g.self[i] ?? 0,
        retainedBytes: retained[i] ?? 0,
        dominatedBy: chain,
      };
    });
  return {
    nodes: g.count,
    edges: g.edgeTo.length,
    totalSelfBytes: total,
    byType: groups(byType),
    byConstructor: topGroups.map((x) => ({
      ...x,
      retainers: groups(retainers.get(x.name) ?? new Map<string, { count: number; selfBytes: number }>()).slice(0, retainersPerGroup),
    })),
    topRetained,
  };
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(2);
const cell = (text: string): string => text.replace(/[\r\n]+/g, ' ').replace(/\|/g, '\\|');

/** Markdown tables of a summary. */
export function renderHeapSummary(s: HeapSummary): string {
  const lines = [
    `Live heap: ${mib(s.totalSelfBytes)} MiB in ${s.nodes} nodes, ${s.edges} edges.`,
    '',
    '| type | count | self MiB |',
    '|---|---|---|',
  ];
  for (const t of s.byType) lines.push(`| ${cell(t.name)} | ${t.count} | ${mib(t.selfBytes)} |`);
  lines.push(
    '',
    '| constructor | count | self MiB | held by (retainer.edge: self MiB) |',
    '|---|---|---|---|',
  );
  for (const c of s.byConstructor) {
    lines.push(
      `| ${cell(c.name)} | ${c.count} | ${mib(c.selfBytes)} | ${c.retainers.map((r) => `${cell(r.name)}: ${mib(r.selfBytes)}`).join('; ')} |`,
    );
  }
  lines.push(
    '',
    '| object (largest retained) | retained MiB | self MiB | dominated by (nearest first) |',
    '|---|---|---|---|',
  );
  for (const d of s.topRetained)
    lines.push(
      `| ${cell(d.name)} @${d.id} | ${mib(d.retainedBytes)} | ${mib(d.selfBytes)} | ${cell(d.dominatedBy.join(' ← '))} |`,
    );
  return `${lines.join('\n')}\n`;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      top: { type: 'string', default: '25' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help || positionals.length !== 1) {
    process.stdout.write(
      'usage: node bench/heap-summary.ts FILE.heapsnapshot [--top 25] [--json OUT.json]\n',
    );
    process.exit(values.help ? 0 : 2);
  }
  const top = Number(values.top);
  if (!Number.isInteger(top) || top < 1)
    throw new Error(`--top must be a positive integer, not "${values.top}"`);
  const file = positionals[0] ?? '';
  const summary = summarizeHeap(JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshotFile, top);
  if (values.json !== undefined)
    writeFileSync(values.json, `${JSON.stringify({ file, ...summary }, null, 2)}\n`);
  process.stdout.write(renderHeapSummary(summary));
}
