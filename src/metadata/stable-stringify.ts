/**
 * Canonical JSON as `json-stable-stringify` 1.x writes it (the peer's hashing and record format):
 * object keys sorted by UTF-16 code units, no whitespace, `toJSON()` honoured, `undefined`,
 * functions and symbols dropped from objects and written as `null` in arrays.
 * @module
 */
import { fail } from '../errors.js';

function str(node: unknown, seen: object[]): string | undefined {
  if (node !== null && typeof node === 'object' && typeof (node as { toJSON?: unknown }).toJSON === 'function') {
    node = (node as { toJSON: () => unknown }).toJSON();
  }
  if (node === undefined || typeof node === 'function' || typeof node === 'symbol') return undefined;
  if (typeof node === 'bigint') return fail('INVALID_ARGUMENT', 'stableStringify: bigint is not JSON');
  if (node === null || typeof node !== 'object') return JSON.stringify(node);
  if (seen.includes(node)) fail('INVALID_ARGUMENT', 'stableStringify: circular structure');
  seen.push(node);
  let out: string;
  if (Array.isArray(node)) {
    out = '[' + node.map((v) => str(v, seen) ?? 'null').join(',') + ']';
  } else {
    const parts: string[] = [];
    const rec = node as Record<string, unknown>;
    for (const k of Object.keys(rec).sort()) {
      const v = str(rec[k], seen);
      if (v !== undefined) parts.push(JSON.stringify(k) + ':' + v);
    }
    out = '{' + parts.join(',') + '}';
  }
  seen.pop();
  return out;
}

/** Sorted-key, whitespace-free JSON (json-stable-stringify semantics). */
export function stableStringify(value: unknown): string {
  const s = str(value, []);
  if (s === undefined) fail('INVALID_ARGUMENT', 'stableStringify: value has no JSON form');
  return s;
}
