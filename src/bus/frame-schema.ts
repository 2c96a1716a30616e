/**
 * Strict schemas for the bus's own frames (handshake frames, sealed frames, bus control payloads):
 * a decoded map must have EXACTLY the listed keys (no extra key such as `constructor`, `__proto__`
 * or `polluted`, none missing), each of the exact type and size; anything else is
 * `BUS_FRAME_INVALID` before any further work. The checked fields are copied into a fresh
 * null-prototype record, so nothing downstream ever sees a prototype the sender chose.
 * @module
 */
import { fail } from '../errors.js';
import type { WirePayload } from './codec.js';

/** Who a refusal names: the claimed sender party (or null) and the peer node's identity key (hex, or null). */
export interface Blame {
  sender: number | null;
  peer: string | null;
}

export type Field =
  | { t: 'uint'; min?: number; max?: number }
  | { t: 'bin'; len?: number; min?: number; max?: number }
  | { t: 'str'; max: number; re?: RegExp }
  | { t: 'const'; value: number | string | null }
  | { t: 'uints'; max: number; min?: number };

export type Schema = Readonly<Record<string, Field>>;

/** The largest uint a bus field takes (party ids, rounds): 2^32 − 1. */
export const U32 = 0xffff_ffff;

function bad(what: string, why: string, blame: Blame): never {
  return fail('BUS_FRAME_INVALID', `${what}: ${why}`, { sender: blame.sender, peer: blame.peer });
}

function isMap(v: WirePayload): v is { readonly [k: string]: WirePayload } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function isUint(x: WirePayload, min: number, max: number): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= min && x <= max;
}

function checkField(x: WirePayload, f: Field): boolean {
  switch (f.t) {
    case 'uint':
      return isUint(x, f.min ?? 0, f.max ?? Number.MAX_SAFE_INTEGER);
    case 'bin':
      return x instanceof Uint8Array && (f.len !== undefined ? x.length === f.len : x.length >= (f.min ?? 0) && x.length <= (f.max ?? Infinity));
    case 'str':
      return typeof x === 'string' && x.length <= f.max && (!f.re || f.re.test(x));
    case 'const':
      return x === f.value;
    case 'uints':
      return Array.isArray(x) && x.length <= f.max && x.every((c) => isUint(c, f.min ?? 0, U32));
  }
}

/**
 * `v` checked against `schema`: a map with exactly the schema's keys, each field valid. Returns a
 * null-prototype copy holding only those keys. `what` names the frame kind in the message.
 */
export function strictMap(v: WirePayload, schema: Schema, what: string, blame: Blame): Record<string, WirePayload> {
  if (!isMap(v)) return bad(what, 'expected a map', blame);
  const want = Object.keys(schema).sort();
  const got = Object.keys(v).sort();
  if (got.length !== want.length || got.some((k, i) => k !== want[i])) {
    return bad(what, `expected exactly the keys {${want.join(', ')}}, got {${got.join(', ')}}`, blame);
  }
  const out = Object.create(null) as Record<string, WirePayload>;
  for (const k of want) {
    const x = Object.getOwnPropertyDescriptor(v, k)?.value as WirePayload;
    if (!checkField(x, schema[k]!)) return bad(what, `field ${k} has the wrong type, size or value`, blame);
    out[k] = x;
  }
  return out;
}
