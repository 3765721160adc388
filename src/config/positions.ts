import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { Path } from './path.js';

export interface Position {
  readonly line: number;
  readonly column: number;
}

/**
 * Where a key path sits in the source: a map entry points at its key (that is what the path names),
 * a list item at the item. A path that does not exist (a missing key, or one that only exists through
 * a `<<` merge) points at its nearest existing ancestor.
 */
export function positionOf(doc: Document, lineCounter: LineCounter, path: Path): Position | undefined {
  let node: unknown = doc.contents;
  let found: Node | undefined = isNode(node) ? node : undefined;
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(doc);
    let keyNode: Node | undefined;
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      keyNode = isNode(pair.key) ? pair.key : undefined;
      next = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      next = node.items[seg];
      if (next === undefined) break;
    } else {
      break;
    }
    const here = keyNode ?? (isNode(next) ? next : undefined);
    if (here) found = here;
    node = next;
  }
  const start = found?.range?.[0];
  if (start === undefined) return undefined;
  const { line, col } = lineCounter.linePos(start);
  return { line, column: col };
}

function isNode(value: unknown): value is Node {
  return isScalar(value) || isMap(value) || isSeq(value) || isAlias(value);
}
