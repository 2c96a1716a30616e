/**
 * The wire codec (layer 1): canonical MessagePack (msgpackr) of envelopes, payloads and bus frames.
 * `protocols/wire.ts` re-exports it, so there is ONE codec; the byte format is specified in
 * `test-vectors/README.md` ("Wire format").
 *
 *   envelope := map{ from, payload, protocol, round, sid, to }      (keys sorted, see below)
 *
 * Canonical form: maps with string keys sorted by code unit (= UTF-8 byte order for ASCII keys),
 * smallest map/array/str/bin headers, integers as the smallest msgpack int, byte strings as `bin`,
 * `to: nil` for a broadcast. Payloads hold only null, booleans, safe integers, strings, byte
 * strings, arrays and maps (no floats, no bigints: big integers travel as fixed-width big-endian
 * `bin` — scalars 32 bytes, points 33-byte compressed SEC1, Paillier values at the byte length of
 * their modulus). Decoding rejects anything else and re-encodes to check canonicity, so one message
 * has exactly one encoding (the echo check, the signatures of the secure channel and the vectors
 * hash these bytes).
 *
 * Before msgpackr sees any bytes, `scanMsgpack` (msgpack-scan.ts) checks them against the limits of
 * the message kind (`frame-limits.ts`; `decodePayload` defaults to `PROTOCOL_LIMITS`): total size,
 * element count, nesting depth, string length, counts satisfiable by the remaining bytes. A refusal
 * there (`BUS_FRAME_TOO_LARGE`, or INVALID_ARGUMENT for malformed bytes) costs O(headers) and
 * allocates nothing in proportion to the input.
 * @module
 */
import { Packr } from 'msgpackr';
import { equalBytes } from '../bytes.js';
import { fail } from '../errors.js';
import { MAX_FRAME_DEPTH, PROTOCOL_LIMITS } from './frame-limits.js';
import { scanMsgpack, type FrameLimits } from './msgpack-scan.js';

/** Plain data a payload may hold (structurally the same as `protocols/types.ts` `Payload`). */
export type WirePayload = null | boolean | number | string | Uint8Array | readonly WirePayload[] | { readonly [k: string]: WirePayload };

/** The envelope (DESIGN §6); structurally the same as `protocols/types.ts` `Message`. */
export interface Envelope {
  sid: Uint8Array;
  protocol: string;
  round: number;
  from: number;
  /** null = broadcast */
  to: number | null;
  payload: WirePayload;
}

const packr = new Packr({ useRecords: false, variableMapSize: true, mapsAsObjects: true, moreTypes: false });

const MAX_DEPTH = MAX_FRAME_DEPTH;

function canon(v: unknown, depth: number): WirePayload {
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
    const out: Record<string, WirePayload> = {};
    for (const k of Object.keys(o).sort()) {
      if (o[k] === undefined) continue;
      out[k] = canon(o[k], depth + 1);
    }
    return out;
  }
  return fail('INVALID_ARGUMENT', `payload: unsupported value of type ${typeof v}`);
}

/** Canonical bytes of a payload. */
export function encodePayload(p: WirePayload): Uint8Array {
  return new Uint8Array(packr.pack(canon(p, 0)));
}

/** Decoded msgpack → plain data with Uint8Array (not Buffer) byte strings. */
function plain(v: unknown, depth: number): WirePayload {
  if (depth > MAX_DEPTH) fail('INVALID_ARGUMENT', 'payload nested too deeply');
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) fail('INVALID_ARGUMENT', 'payload: non-integer number');
    return v;
  }
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (Array.isArray(v)) return v.map((x) => plain(x, depth + 1));
  if (typeof v === 'object') {
    const out: Record<string, WirePayload> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (k === '__proto__') fail('INVALID_ARGUMENT', 'payload: forbidden key');
      out[k] = plain(x, depth + 1);
    }
    return out;
  }
  return fail('INVALID_ARGUMENT', `payload: unsupported decoded value of type ${typeof v}`);
}

/**
 * Canonical bytes → plain data. `BUS_FRAME_TOO_LARGE` past `limits` (checked before decoding);
 * InvalidInput if not MessagePack, not plain data or not canonical.
 */
export function decodePayload(b: Uint8Array, limits: FrameLimits = PROTOCOL_LIMITS): WirePayload {
  if (!(b instanceof Uint8Array)) fail('INVALID_ARGUMENT', 'payload: expected bytes');
  scanMsgpack(b, limits);
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

/** The envelope as a plain map (the shape that is encoded). */
export function envelopeToPayload(m: Envelope): WirePayload {
  return { from: m.from, payload: m.payload, protocol: m.protocol, round: m.round, sid: m.sid, to: m.to };
}

export function encodeMessage(m: Envelope): Uint8Array {
  return encodePayload(envelopeToPayload(m));
}

/** A decoded map → envelope (shape checks only). */
export function payloadToEnvelope(v: WirePayload, what = 'message'): Envelope {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) return fail('INVALID_ARGUMENT', `${what}: expected a map`);
  const o = v as Record<string, WirePayload>;
  const keys = Object.keys(o).sort().join(',');
  if (keys !== 'from,payload,protocol,round,sid,to') fail('INVALID_ARGUMENT', `${what}: unexpected fields ${keys}`);
  const { sid, protocol, round, from, to, payload } = o;
  if (!(sid instanceof Uint8Array) || typeof protocol !== 'string' || typeof round !== 'number' || typeof from !== 'number' || !(to === null || typeof to === 'number')) {
    fail('INVALID_ARGUMENT', `${what}: envelope field of the wrong type`);
  }
  return { sid, protocol, round, from, to, payload: payload as WirePayload };
}

/** Bytes → envelope. Shape errors are InvalidInput; the session checks the values. Limits as `decodePayload`. */
export function decodeMessage(b: Uint8Array, limits: FrameLimits = PROTOCOL_LIMITS): Envelope {
  return payloadToEnvelope(decodePayload(b, limits));
}
