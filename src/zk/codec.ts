/**
 * One schema-driven codec for every proof: bytes and JSON, both canonical, both validating shape.
 * Decoding never throws on adversarial input: it returns `PROOF_MALFORMED` with the field name.
 *
 * Bytes: version 0x01, then the fields in schema order:
 *   int/nat  sign:u8 ‖ len:u32 ‖ |x| minimal big-endian (zero: sign 0, len 0; nat: sign 0)
 *   point    33-byte SEC1 compressed, on the curve, not the identity
 *   bit      u8 ∈ {0, 1}
 *   arrays   count:u32 ‖ elements
 * JSON: int/nat as minimal lower-case hex with an optional leading '-' ("0" for zero); points as
 * 66-char compressed hex; bits as 0/1 numbers; arrays as arrays.
 * @module
 */
import { bytesToHex, hexToBytes } from '../bytes.js';
import { type Point, pointFromBytes, pointToBytes } from '../curve.js';
import { isTkeyTssError } from '../errors.js';
import { encodeInt } from './transcript.js';
import type { ZkReason } from './verdict.js';

export type FieldKind = 'int' | 'nat' | 'point' | 'bit' | 'int[]' | 'nat[]' | 'bit[]';
export type Schema = readonly (readonly [string, FieldKind])[];

/** Caps that bound decoding work: 2048-byte integers (16384 bits), 1024-element arrays. */
export const MAX_INT_BYTES = 2048;
export const MAX_ARRAY = 1024;
const VERSION = 1;

export type Decoded<T> = { ok: true; proof: T } | { ok: false; reason: ZkReason; detail: string };

function bad<T>(detail: string): Decoded<T> {
  return { ok: false, reason: 'PROOF_MALFORMED', detail };
}

function isBit(v: unknown): v is 0 | 1 {
  return v === 0 || v === 1;
}
function isPointObj(v: unknown): v is Point {
  return typeof v === 'object' && v !== null && typeof (v as Point).is0 === 'function' && typeof (v as Point).toAffine === 'function';
}

/** |x| < 2^(8·MAX_INT_BYTES): in-memory proofs get the same work bound as decoded ones. */
const INT_LIMIT = 1n << BigInt(8 * MAX_INT_BYTES);
const isInt = (v: unknown): v is bigint => typeof v === 'bigint' && v < INT_LIMIT && v > -INT_LIMIT;
const isNat = (v: unknown): v is bigint => isInt(v) && v >= 0n;

function fieldOk(kind: FieldKind, v: unknown): boolean {
  switch (kind) {
    case 'int':
      return isInt(v);
    case 'nat':
      return isNat(v);
    case 'point':
      return isPointObj(v);
    case 'bit':
      return isBit(v);
    case 'int[]':
      return Array.isArray(v) && v.length <= MAX_ARRAY && v.every(isInt);
    case 'nat[]':
      return Array.isArray(v) && v.length <= MAX_ARRAY && v.every(isNat);
    case 'bit[]':
      return Array.isArray(v) && v.length <= MAX_ARRAY && v.every(isBit);
  }
}

/** Shape check of an in-memory proof (verifiers call it first). Returns the first bad field or null. */
export function shapeError(schema: Schema, proof: unknown): string | null {
  if (typeof proof !== 'object' || proof === null) return 'proof';
  const o = proof as Record<string, unknown>;
  for (const [name, kind] of schema) if (!fieldOk(kind, o[name])) return name;
  return null;
}

// ---------------------------------------------------------------- bytes

class Writer {
  parts: Uint8Array[] = [];
  u8(n: number): void {
    this.parts.push(new Uint8Array([n]));
  }
  u32(n: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, false);
    this.parts.push(b);
  }
  int(x: bigint): void {
    const e = encodeInt(x);
    this.u8(e[0]!);
    this.u32(e.length - 1);
    this.parts.push(e.subarray(1));
  }
  raw(b: Uint8Array): void {
    this.parts.push(b);
  }
  out(): Uint8Array {
    let n = 0;
    for (const p of this.parts) n += p.length;
    const r = new Uint8Array(n);
    let o = 0;
    for (const p of this.parts) {
      r.set(p, o);
      o += p.length;
    }
    return r;
  }
}

class Truncated extends Error {}
class Bad extends Error {}

class Reader {
  pos = 0;
  constructor(readonly b: Uint8Array) {}
  take(n: number): Uint8Array {
    if (this.pos + n > this.b.length) throw new Truncated();
    const r = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return r;
  }
  u8(): number {
    return this.take(1)[0]!;
  }
  u32(): number {
    const b = this.take(4);
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, false);
  }
  int(signed: boolean): bigint {
    const sign = this.u8();
    const len = this.u32();
    if (sign > 1 || (sign === 1 && !signed)) throw new Bad('sign');
    if (len > MAX_INT_BYTES) throw new Bad('too long');
    const mag = this.take(len);
    if (len > 0 && mag[0] === 0) throw new Bad('non-minimal');
    if (len === 0 && sign === 1) throw new Bad('negative zero');
    const v = len === 0 ? 0n : BigInt('0x' + bytesToHex(mag));
    return sign ? -v : v;
  }
}

function writeField(w: Writer, kind: FieldKind, v: unknown): void {
  switch (kind) {
    case 'int':
    case 'nat':
      return w.int(v as bigint);
    case 'point':
      return w.raw(pointToBytes(v as Point, true));
    case 'bit':
      return w.u8(v as number);
    default: {
      const arr = v as unknown[];
      w.u32(arr.length);
      const el = kind.slice(0, -2) as FieldKind;
      for (const x of arr) writeField(w, el, x);
    }
  }
}

function readField(r: Reader, kind: FieldKind): unknown {
  switch (kind) {
    case 'int':
      return r.int(true);
    case 'nat':
      return r.int(false);
    case 'point':
      try {
        return pointFromBytes(r.take(33));
      } catch (e) {
        if (e instanceof Truncated) throw e;
        throw new Bad('invalid point');
      }
    case 'bit': {
      const b = r.u8();
      if (b > 1) throw new Bad('bit');
      return b;
    }
    default: {
      const n = r.u32();
      if (n > MAX_ARRAY) throw new Bad('array too long');
      const el = kind.slice(0, -2) as FieldKind;
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(readField(r, el));
      return out;
    }
  }
}

export function encodeBytes(schema: Schema, proof: object): Uint8Array {
  const w = new Writer();
  w.u8(VERSION);
  const o = proof as Record<string, unknown>;
  for (const [name, kind] of schema) writeField(w, kind, o[name]);
  return w.out();
}

export function decodeBytes<T>(schema: Schema, bytes: unknown): Decoded<T> {
  if (!(bytes instanceof Uint8Array)) return bad('bytes');
  if (bytes.length === 0) return bad('empty');
  const r = new Reader(bytes);
  const out: Record<string, unknown> = {};
  let field = 'version';
  try {
    if (r.u8() !== VERSION) return bad('version');
    for (const [name, kind] of schema) {
      field = name;
      out[name] = readField(r, kind);
    }
  } catch (e) {
    if (e instanceof Truncated) return bad(`${field}: truncated`);
    if (e instanceof Bad) return bad(`${field}: ${e.message}`);
    throw e;
  }
  if (r.pos !== bytes.length) return bad('trailing bytes');
  return { ok: true, proof: out as T };
}

// ---------------------------------------------------------------- JSON

const INT_RE = /^-?(0|[1-9a-f][0-9a-f]*)$/;

function intToJSON(x: bigint): string {
  return x < 0n ? '-' + (-x).toString(16) : x.toString(16);
}
function intFromJSON(v: unknown, signed: boolean): bigint {
  if (typeof v !== 'string' || !INT_RE.test(v) || v === '-0') throw new Bad('expected canonical hex integer');
  if (v.length > 2 * MAX_INT_BYTES + 1) throw new Bad('too long');
  const neg = v.startsWith('-');
  if (neg && !signed) throw new Bad('negative');
  const m = BigInt('0x' + (neg ? v.slice(1) : v));
  return neg ? -m : m;
}

function fieldToJSON(kind: FieldKind, v: unknown): unknown {
  switch (kind) {
    case 'int':
    case 'nat':
      return intToJSON(v as bigint);
    case 'point':
      return bytesToHex(pointToBytes(v as Point, true));
    case 'bit':
      return v;
    default: {
      const el = kind.slice(0, -2) as FieldKind;
      return (v as unknown[]).map((x) => fieldToJSON(el, x));
    }
  }
}

function fieldFromJSON(kind: FieldKind, v: unknown): unknown {
  switch (kind) {
    case 'int':
      return intFromJSON(v, true);
    case 'nat':
      return intFromJSON(v, false);
    case 'point': {
      if (typeof v !== 'string' || !/^[0-9a-f]{66}$/.test(v)) throw new Bad('expected 33-byte compressed point hex');
      try {
        return pointFromBytes(hexToBytes(v));
      } catch (e) {
        if (isTkeyTssError(e)) throw new Bad('invalid point');
        throw e;
      }
    }
    case 'bit':
      if (!isBit(v)) throw new Bad('expected 0 or 1');
      return v;
    default: {
      if (!Array.isArray(v)) throw new Bad('expected array');
      if (v.length > MAX_ARRAY) throw new Bad('array too long');
      const el = kind.slice(0, -2) as FieldKind;
      return v.map((x) => fieldFromJSON(el, x));
    }
  }
}

export type ProofJSON = Record<string, unknown>;

export function encodeJSON(schema: Schema, proof: object): ProofJSON {
  const o = proof as Record<string, unknown>;
  const out: ProofJSON = {};
  for (const [name, kind] of schema) out[name] = fieldToJSON(kind, o[name]);
  return out;
}

export function decodeJSON<T>(schema: Schema, json: unknown): Decoded<T> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return bad('proof');
  const o = json as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [name, kind] of schema) {
    if (!(name in o)) return bad(`${name}: missing`);
    try {
      out[name] = fieldFromJSON(kind, o[name]);
    } catch (e) {
      if (e instanceof Bad) return bad(`${name}: ${e.message}`);
      throw e;
    }
  }
  for (const k of Object.keys(o)) if (!schema.some(([n]) => n === k)) return bad(`${k}: unknown field`);
  return { ok: true, proof: out as T };
}

/** The four codec functions a proof module re-exports, bound to its schema. */
export function codecFor<T extends object>(schema: Schema) {
  return {
    proofToBytes: (p: T): Uint8Array => encodeBytes(schema, p),
    proofFromBytes: (b: Uint8Array): Decoded<T> => decodeBytes<T>(schema, b),
    proofToJSON: (p: T): ProofJSON => encodeJSON(schema, p),
    proofFromJSON: (j: unknown): Decoded<T> => decodeJSON<T>(schema, j),
  };
}
