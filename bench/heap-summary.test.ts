/** bench/heap-summary.ts on a hand-built snapshot whose groups, retainers and dominators are known. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderHeapSummary, summarizeHeap } from './heap-summary.ts';
import type { HeapSnapshotFile } from './heap-summary.ts';

const NODE_TYPES = [
  'hidden',
  'array',
  'string',
  'object',
  'code',
  'closure',
  'regexp',
  'number',
  'native',
  'synthetic',
];
const EDGE_TYPES = ['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak'];
const NF = 7; // type, name, id, self_size, edge_count, trace_node_id, detachedness

/**
 * 0 (root, synthetic) ─[1]→ 1 Runner (100) ─items→ 2 array (50) ─[0]→ 3 string (20)
 *                   │                     │                    └[1]→ 5 Pod (40)
 *                   └[2]→ 4 Pod (30) ←current┘      4 Pod ─weak→ 5 Pod (does not retain)
 * 6 Pod (1000) is unreachable (garbage a snapshot would not even contain).
 * Dominators: 1, 4 ← root; 2 ← 1; 3, 5 ← 2. Retained: 1 = 210, 2 = 110, 4 = 30.
 */
function snapshot(): HeapSnapshotFile {
  const strings = ['', 'Runner', '(array)', 'hello', 'Pod', 'items', 'current', 'ref'];
  const t = (name: string): number => NODE_TYPES.indexOf(name);
  const e = (name: string): number => EDGE_TYPES.indexOf(name);
  const s = (text: string): number => strings.indexOf(text);
  const nodes = [
    [t('synthetic'), s(''), 1, 0, 2],
    [t('object'), s('Runner'), 3, 100, 2],
    [t('array'), s(''), 5, 50, 2],
    [t('string'), s('hello'), 7, 20, 0],
    [t('object'), s('Pod'), 9, 30, 1],
    [t('object'), s('Pod'), 11, 40, 0],
    [t('object'), s('Pod'), 13, 1000, 0],
  ].flatMap((n) => [...n, 0, 0]);
  const edges = [
    [e('element'), 1, 1],
    [e('element'), 2, 4],
    [e('property'), s('items'), 2],
    [e('property'), s('current'), 4],
    [e('element'), 0, 3],
    [e('element'), 1, 5],
    [e('weak'), s('ref'), 5],
  ].flatMap(([type, name, to]) => [type ?? 0, name ?? 0, (to ?? 0) * NF]);
  return {
    snapshot: {
      meta: {
        node_fields: ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'],
        node_types: [NODE_TYPES, 'string', 'number', 'number', 'number', 'number', 'number'],
        edge_fields: ['type', 'name_or_index', 'to_node'],
        edge_types: [EDGE_TYPES, 'string_or_number', 'node'],
      },
    },
    nodes,
    edges,
    strings,
  };
}

void describe('summarizeHeap', () => {
  const s = summarizeHeap(snapshot());

  void it('counts only reachable nodes, by type and by constructor', () => {
    assert.equal(s.nodes, 7);
    assert.equal(s.totalSelfBytes, 240);
    assert.deepEqual(
      s.byConstructor.map((c) => [c.name, c.count, c.selfBytes]),
      [
        ['Runner', 1, 100],
        ['Pod', 2, 70],
        ['(array)', 1, 50],
        ['(string)', 1, 20],
        ['(synthetic)', 1, 0],
      ],
    );
    assert.deepEqual(
      s.byType.map((x) => [x.name, x.selfBytes]),
      [
        ['object', 170],
        ['array', 50],
        ['string', 20],
        ['synthetic', 0],
      ],
    );
  });

  void it('puts each object under its immediate dominator and the edge from it, weak edges excluded', () => {
    const pod = s.byConstructor.find((c) => c.name === 'Pod');
    assert.deepEqual(
      pod?.retainers.map((r) => [r.name, r.count, r.selfBytes]),
      [
        ['(array).[]', 1, 40],
        ['(synthetic).[]', 1, 30],
      ],
    );
  });

  void it('ranks objects by retained size from the dominator tree, with their dominators', () => {
    assert.deepEqual(
      s.topRetained.map((d) => [d.name, d.id, d.retainedBytes, d.dominatedBy]),
      [
        ['Runner', 3, 210, []],
        ['(array)', 5, 110, ['Runner']],
        ['Pod', 11, 40, ['(array)', 'Runner']],
        ['Pod', 9, 30, []],
        ['(string)', 7, 20, ['(array)', 'Runner']],
      ],
    );
  });

  void it('renders markdown with escaped cells', () => {
    const text = renderHeapSummary(s);
    assert.match(text, /^Live heap: 0\.00 MiB in 7 nodes, 7 edges\./);
    assert.match(text, /\| Runner \| 1 \| 0\.00 \|/);
  });

  void it('rejects a snapshot whose edges do not point at nodes', () => {
    const bad = snapshot();
    assert.throws(
      () => summarizeHeap({ ...bad, edges: [...bad.edges.slice(0, -1), 3] }),
      /edge 6 points at 3, not a node/,
    );
  });
});
