/**
 * Bytes of a stored service record: canonical MessagePack (`src/bus/codec.ts`) of the plain data,
 * bigints (aux moduli, ring-Pedersen parameters, Paillier primes) as `{"$big": big-endian bytes}`
 * and absent (undefined) fields dropped. Byte strings stay bytes, so share buffers can be wiped
 * after sealing (no hex or base64 string copy of a secret is made).
 * @module
 */
import { bytesToNumberBE, numberToBytesMin } from '../../bytes.js';
import { decodePayload, encodePayload, type WirePayload } from '../../bus/codec.js';
import { fail } from '../../errors.js';
import { MAX_STATE_VALUE } from '../store/state-types.js';

const BIG = '$big';
const LIMITS = Object.freeze({ maxBytes: MAX_STATE_VALUE, maxElements: 1 << 20, maxDepth: 16, maxStr: 64 * 1024 });

function toWire(v: unknown, depth: number): WirePayload {
  if (depth > 16) fail('INVALID_ARGUMENT', 'record nested too deeply');
  if (typeof v === 'bigint') {
    if (v < 0n) fail('INVALID_ARGUMENT', 'record: negative bigint');
    return { [BIG]: numberToBytesMin(v) };
  }
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return v as WirePayload;
  if (Array.isArray(v)) return v.map((x) => toWire(x, depth + 1));
  const out: Record<string, WirePayload> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) out[k] = toWire(x, depth + 1);
  return out;
}

function fromWire(v: WirePayload): unknown {
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map(fromWire);
  const o = v as Record<string, WirePayload>;
  const keys = Object.keys(o);
  if (keys.length === 1 && keys[0] === BIG && o[BIG] instanceof Uint8Array) return o[BIG].length === 0 ? 0n : bytesToNumberBE(o[BIG]);
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = fromWire(o[k]!);
  return out;
}

export function encodeRecord(value: unknown): Uint8Array {
  return encodePayload(toWire(value, 0));
}

export function decodeRecord<T>(bytes: Uint8Array): T {
  return fromWire(decodePayload(bytes, LIMITS)) as T;
}
