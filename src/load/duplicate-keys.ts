import { isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Node } from 'yaml';
import type { PathSegment } from './key-path.ts';
import { NO_COUNTER } from './work-counter.ts';
import type { WorkCounter } from './work-counter.ts';

/** A mapping key written a second (or later) time. */
export interface DuplicateKey {
  /** Path of the repeated key from the document root (`['metadata', 'annotations', 'a']`). */
  readonly path: readonly PathSegment[];
  /** Offset of the repeated key in the text. */
  readonly offset: number;
  /** Offset of the first occurrence. */
  readonly firstOffset: number;
}

/** Path text of a scalar key; a YAML 1.1 merge key decodes to a Symbol. */
function keyText(value: unknown): string {
  return typeof value === 'symbol' ? '<<' : String(value);
}

interface Frame {
  readonly node: unknown;
  readonly path: readonly PathSegment[];
}

/**
 * Every repeated key of every mapping in a parsed YAML document, in one pass with a Set per mapping
 * (O(keys)). The `yaml` package's own check (`uniqueKeys`) compares each key with all earlier ones,
 * which is quadratic in the keys of one mapping, so the loader turns it off and uses this instead.
 * Keys are compared like that check does: scalar keys by value (`1` and `"1"` differ; YAML 1.1
 * merge keys `<<` never collide); other keys are not compared. Aliases are not followed.
 */
export function findDuplicateKeys(contents: unknown, counter: WorkCounter = NO_COUNTER): DuplicateKey[] {
  const duplicates: DuplicateKey[] = [];
  const stack: Frame[] = [{ node: contents, path: [] }];
  while (stack.length > 0) {
    const frame = stack.pop();
    if (frame === undefined) break;
    const { node, path } = frame;
    if (isMap(node)) {
      const first = new Map<unknown, number>();
      for (const item of node.items) {
        counter.add(1);
        if (!isPair(item)) continue;
        const key: unknown = item.key;
        if (isScalar(key)) {
          const offset = (key as Node).range?.[0] ?? 0;
          const seen = first.get(key.value);
          if (seen === undefined) first.set(key.value, offset);
          else duplicates.push({ path: [...path, keyText(key.value)], offset, firstOffset: seen });
        }
        if (isMap(item.value) || isSeq(item.value)) {
          stack.push({ node: item.value, path: [...path, isScalar(key) ? keyText(key.value) : '?'] });
        }
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        counter.add(1);
        if (isMap(item) || isSeq(item)) stack.push({ node: item, path: [...path, i] });
      });
    }
  }
  return duplicates.sort((a, b) => a.offset - b.offset);
}
