import { isMap, isPair, isScalar, isSeq } from 'yaml';
import type { LineCounter, Node } from 'yaml';
import type { PathSegment } from './key-path.ts';

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

function locate(root: unknown, path: readonly PathSegment[]): Located {
  let node: unknown = root;
  let offset = rangeStart(root);
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
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
}

function rangeStart(node: unknown): number | undefined {
  if (node === null || typeof node !== 'object' || !('range' in node)) return undefined;
  const range = (node as Node).range;
  return range?.[0];
}

export function yamlDocumentPositions(contents: unknown, lineCounter: LineCounter, docStart: number): DocumentPositions {
  const toPosition = (offset: number | undefined): Position => {
    const p = lineCounter.linePos(offset ?? docStart);
    return { line: p.line, column: p.col };
  };
  return {
    at: (path) => toPosition(locate(contents, path).offset),
    has: (path) => locate(contents, path).found,
  };
}

/** For input whose structure we could not map (e.g. a parse fallback): everything is at one place. */
export function fixedPositions(position: Position): DocumentPositions {
  return { at: () => position, has: () => false };
}
