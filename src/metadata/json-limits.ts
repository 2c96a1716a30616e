/**
 * Bounds on JSON that comes from outside (records, peer JSON): nesting depth and size, checked
 * iteratively before anything recursive (canonical stringify, clone, parse into models) touches
 * the value — so hostile input gets a typed error, never a stack overflow or a long stall.
 * @module
 */
import { fail } from '../errors.js';

/** Deepest nesting of arrays/objects a metadata document may have (real ones stay below 10). */
export const MAX_JSON_DEPTH = 64;
/** Most elements (values at any level) a metadata document may hold. */
export const MAX_JSON_NODES = 1 << 20;
/** Largest stored record value accepted (characters of the base64url envelope). */
export const MAX_RECORD_CHARS = 1 << 20;

/**
 * Throws `INVALID_JSON` when `value` nests arrays/objects deeper than `max` (the value itself is
 * depth 1) or holds more than `MAX_JSON_NODES` elements counted as a tree (a shared sub-object counts
 * each time it is reached, as the canonical form writes it). Iterative and bounded by
 * `MAX_JSON_NODES` steps: safe on any input; a cycle ends as "too deep".
 */
export function assertJsonDepth(value: unknown, title: string, max = MAX_JSON_DEPTH): void {
  const stack: [unknown, number][] = [[value, 1]];
  let nodes = 0;
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (++nodes > MAX_JSON_NODES) fail('INVALID_JSON', `${title}: more than ${MAX_JSON_NODES} elements`, { limit: MAX_JSON_NODES });
    if (node === null || typeof node !== 'object') continue;
    if (depth > max) fail('INVALID_JSON', `${title}: nested deeper than ${max} levels (or circular)`, { limit: max });
    const children = Array.isArray(node) ? node : Object.values(node);
    for (const c of children) stack.push([c, depth + 1]);
  }
}

/** Throws `PAYLOAD_TOO_LARGE` when a string input exceeds `max` characters. */
export function assertSize(s: string, title: string, max: number): void {
  if (s.length > max) fail('PAYLOAD_TOO_LARGE', `${title}: ${s.length} characters, the limit is ${max}`, { limit: max, size: s.length });
}
