import { isMap, isPair, isScalar, isSeq } from 'yaml';
import type { LineCounter, Node, Pair, YAMLMap } from 'yaml';
import type { PathSegment } from './key-path.ts';
import { NO_COUNTER } from './work-counter.ts';
import type { WorkCounter } from './work-counter.ts';

/** 1-based; 0/0 when unknown. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

export const UNKNOWN_POSITION: Position = { line: 0, column: 0 };

/** Positions inside one parsed document. */
export interface DocumentPositions {
  /** Position of the key (or item) at `path`, or of the nearest parent that exists. */
  at(path: readonly PathSegment[]): Position;
  /** Whether `path` exists as written. */
  has(path: readonly PathSegment[]): boolean;
}

interface Located {
  readonly offset: number | undefined;
  readonly found: boolean;
}

function rangeStart(node: unknown): number | undefined {
  if (node === null || typeof node !== 'object' || !('range' in node)) return undefined;
  const range = (node as Node).range;
  return range?.[0];
}

/**
 * Positions of one YAML document. Each mapping is indexed (key text → first pair with that key) the
 * first time a path goes through it, so a lookup costs O(path length) and locating every key of a
 * mapping with n keys costs O(n), not O(n²) — lint locates one key per diagnostic.
 */
export function yamlDocumentPositions(
  contents: unknown,
  lineCounter: LineCounter,
  docStart: number,
  counter: WorkCounter = NO_COUNTER,
): DocumentPositions {
  const indexes = new WeakMap<YAMLMap, ReadonlyMap<string, Pair>>();
  const indexOf = (map: YAMLMap): ReadonlyMap<string, Pair> => {
    let index = indexes.get(map);
    if (index === undefined) {
      const built = new Map<string, Pair>();
      for (const p of map.items) {
        // The first pair wins, as a linear search would find it.
        if (isPair(p) && isScalar(p.key) && !built.has(String(p.key.value))) built.set(String(p.key.value), p);
      }
      counter.add(map.items.length);
      indexes.set(map, built);
      index = built;
    }
    return index;
  };
  const locate = (path: readonly PathSegment[]): Located => {
    let node: unknown = contents;
    let offset = rangeStart(contents);
    for (const seg of path) {
      counter.add(1);
      if (isMap(node)) {
        const pair = indexOf(node).get(String(seg));
        if (pair === undefined) return { offset, found: false };
        offset = rangeStart(pair.key) ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item: unknown = node.items[seg];
        if (item === undefined) return { offset, found: false };
        offset = rangeStart(item) ?? offset;
        node = item;
      } else {
        return { offset, found: false };
      }
    }
    return { offset, found: true };
  };
  const toPosition = (offset: number | undefined): Position => {
    const p = lineCounter.linePos(offset ?? docStart);
    return { line: p.line, column: p.col };
  };
  return {
    at: (path) => toPosition(locate(path).offset),
    has: (path) => locate(path).found,
  };
}

/** For input whose structure we could not map (e.g. a parse fallback): everything is at one place. */
export function fixedPositions(position: Position): DocumentPositions {
  return { at: () => position, has: () => false };
}
