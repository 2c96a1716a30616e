/**
 * Provisional wire encoding of envelopes and payloads (formalised in the bus issue): canonical
 * MessagePack via msgpackr.
 *
 *   message := map{ from, payload, protocol, round, sid, to }      (keys sorted, see below)
 *
 * Canonical form: maps with string keys sorted by code unit (= UTF-8 byte order for ASCII keys),
 * smallest map/array/str/bin headers, integers as the smallest msgpack int, byte strings as `bin`,
 * `to: nil` for a broadcast. Payloads hold only null, booleans, safe integers, strings, byte
 * strings, arrays and maps (no floats, no bigints: scalars are 32-byte, points 33-byte `bin`).
 * Decoding rejects anything else and re-encodes to check canonicity, so one message has exactly
 * one encoding (the echo check and the vectors hash these bytes).
 * @module
 */
import { Packr } from 'msgpackr';
import { equalBytes } from '../src/bytes.js';
import { fail } from '../src/errors.js';
import type { Message, Payload } from './types.js';

const packr = new Packr({ useRecords: false, variableMapSize: true, mapsAsObjects: true, moreTypes: false });

const MAX_DEPTH = 16;

function canon(v: unknown, depth: number): Payload {
  if (depth > MAX_DEPTH) fail('INVALID_ARGUMENT', 'payload nested too deeply');
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) fail('INVALID_ARGUMENT', 'payload: numbers must be safe integers');
    return v;
  }
  if (v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map((x) => canon(x, depth + 1));
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const o = v as Record<string, unknown>;
    const out: Record<string, Payload> = {};
    for (const k of Object.keys(o).sort()) {
      if (o[k] === undefined) continue;
      out[k] = canon(o[k], depth + 1);
    }
    return out;
  }
  return fail('INVALID_ARGUMENT', `payload: unsupported value of type ${typeof v}`);
}

/** Canonical bytes of a payload. */
export function encodePayload(p: Payload): Uint8Array {
  return new Uint8Array(packr.pack(canon(p, 0)));
}

/** Decoded msgpack → plain data with Uint8Array (not Buffer) byte strings. */
function plain(v: unknown, depth: number): Payload {
  if (depth > MAX_DEPTH) fail('INVALID_ARGUMENT', 'payload nested too deeply');
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) fail('INVALID_ARGUMENT', 'payload: non-integer number');
    return v;
  }
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (Array.isArray(v)) return v.map((x) => plain(x, depth + 1));
  if (typeof v === 'object') {
    const out: Record<string, Payload> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (k === '__proto__') fail('INVALID_ARGUMENT', 'payload: forbidden key');
      out[k] = plain(x, depth + 1);
    }
    return out;
  }
  return fail('INVALID_ARGUMENT', `payload: unsupported decoded value of type ${typeof v}`);
}

export function decodePayload(b: Uint8Array): Payload {
  let v: unknown;
  try {
    v = packr.unpack(b);
  } catch {
    return fail('INVALID_ARGUMENT', 'payload: not MessagePack');
  }
  const p = plain(v, 0);
  if (!equalBytes(encodePayload(p), b)) fail('INVALID_ARGUMENT', 'payload: not canonical');
  return p;
}

export function encodeMessage(m: Message): Uint8Array {
  return encodePayload({ from: m.from, payload: m.payload, protocol: m.protocol, round: m.round, sid: m.sid, to: m.to });
}

/** Bytes → envelope. Shape errors are InvalidInput; the session checks the values. */
export function decodeMessage(b: Uint8Array): Message {
  const v = decodePayload(b);
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) fail('INVALID_ARGUMENT', 'message: expected a map');
  const o = v as Record<string, Payload>;
  const keys = Object.keys(o).sort().join(',');
  if (keys !== 'from,payload,protocol,round,sid,to') fail('INVALID_ARGUMENT', `message: unexpected fields ${keys}`);
  const { sid, protocol, round, from, to, payload } = o;
  if (!(sid instanceof Uint8Array) || typeof protocol !== 'string' || typeof round !== 'number' || typeof from !== 'number' || !(to === null || typeof to === 'number')) {
    fail('INVALID_ARGUMENT', 'message: envelope field of the wrong type');
  }
  return { sid, protocol, round, from, to, payload: payload as Payload };
}
