/**
 * Canonical JSON as `json-stable-stringify` 1.x writes it (the peer's hashing and record format):
 * object keys sorted by UTF-16 code units, no whitespace, `toJSON()` honoured, `undefined`,
 * functions and symbols dropped from objects and written as `null` in arrays. Nesting deeper than
 * `MAX_JSON_DEPTH`, or more than `MAX_JSON_NODES` elements (shared sub-objects counted each time),
 * is refused (`INVALID_JSON`) before the recursion could exhaust the stack or the output explode.
 * @module
 */
import { fail } from '../errors.js';
import { MAX_JSON_DEPTH, MAX_JSON_NODES } from './json-limits.js';

interface Walk {
  seen: object[];
  nodes: number;
}

function str(node: unknown, w: Walk): string | undefined {
  if (++w.nodes > MAX_JSON_NODES) fail('INVALID_JSON', `stableStringify: more than ${MAX_JSON_NODES} elements`, { limit: MAX_JSON_NODES });
  const seen = w.seen;
  if (node !== null && typeof node === 'object' && typeof (node as { toJSON?: unknown }).toJSON === 'function') {
    node = (node as { toJSON: () => unknown }).toJSON();
  }
  if (node === undefined || typeof node === 'function' || typeof node === 'symbol') return undefined;
  if (typeof node === 'bigint') return fail('INVALID_ARGUMENT', 'stableStringify: bigint is not JSON');
  if (node === null || typeof node !== 'object') return JSON.stringify(node);
  if (seen.includes(node)) fail('INVALID_ARGUMENT', 'stableStringify: circular structure');
  if (seen.length >= MAX_JSON_DEPTH) fail('INVALID_JSON', `stableStringify: nested deeper than ${MAX_JSON_DEPTH} levels`, { limit: MAX_JSON_DEPTH });
  seen.push(node);
  let out: string;
  if (Array.isArray(node)) {
    out = '[' + node.map((v) => str(v, w) ?? 'null').join(',') + ']';
  } else {
    const parts: string[] = [];
    const rec = node as Record<string, unknown>;
    for (const k of Object.keys(rec).sort()) {
      const v = str(rec[k], w);
      if (v !== undefined) parts.push(JSON.stringify(k) + ':' + v);
    }
    out = '{' + parts.join(',') + '}';
  }
  seen.pop();
  return out;
}

/** Sorted-key, whitespace-free JSON (json-stable-stringify semantics). */
export function stableStringify(value: unknown): string {
  const s = str(value, { seen: [], nodes: 0 });
  if (s === undefined) fail('INVALID_ARGUMENT', 'stableStringify: value has no JSON form');
  return s;
}
