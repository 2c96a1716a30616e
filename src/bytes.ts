/**
 * Byte helpers and named asserts for public entries. Bytes at the API, bigint inside.
 * @module
 */
import { fail } from './errors.js';

const HEX_RE = /^[0-9a-fA-F]*$/;

/** Assert `value` is a Uint8Array (of `len` bytes when given). `title` names the argument. */
export function abytes(value: unknown, title: string, len?: number | readonly number[]): Uint8Array {
  if (!(value instanceof Uint8Array)) fail('INVALID_ARGUMENT', `${title}: expected Uint8Array`);
  if (len !== undefined) {
    const ok = typeof len === 'number' ? value.length === len : len.includes(value.length);
    if (!ok) fail('INVALID_LENGTH', `${title}: expected ${typeof len === 'number' ? len : len.join(' or ')} bytes, got ${value.length}`);
  }
  return value;
}

/** Assert `value` is a bigint in [min, max). */
export function aInRange(value: unknown, title: string, min: bigint, max: bigint): bigint {
  if (typeof value !== 'bigint') fail('INVALID_ARGUMENT', `${title}: expected bigint`);
  if (value < min || value >= max) fail('OUT_OF_RANGE', `${title}: out of range`);
  return value;
}

/** Assert a safe non-negative integer. */
export function aInt(value: unknown, title: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail('INVALID_ARGUMENT', `${title}: expected an integer`);
  if (value < min || value > max) fail('OUT_OF_RANGE', `${title}: expected ${min}..${max}, got ${value}`);
  return value;
}

/** Assert a string. */
export function aString(value: unknown, title: string): string {
  if (typeof value !== 'string') fail('INVALID_ARGUMENT', `${title}: expected string`);
  return value;
}

// byte → two lower-case hex digits, and char code → nibble (−1 for a non-hex character)
const HEX_OF = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  NIBBLE['0123456789abcdef'.charCodeAt(i)] = i;
  NIBBLE['0123456789ABCDEF'.charCodeAt(i)] = i;
}

export function bytesToHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX_OF[b[i]!]!;
  return s;
}

/** Parse hex (optional `0x`, odd length left-padded with one zero). */
export function hexToBytes(hex: string, title = 'hex'): Uint8Array {
  aString(hex, title);
  const h = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (!HEX_RE.test(h)) fail('INVALID_HEX', `${title}: not hex`);
  return hexDigitsToBytes(h);
}

/** Hex digits only (checked, or written by `toString(16)`), odd length left-padded with one zero. */
function hexDigitsToBytes(hex: string): Uint8Array {
  const h = hex.length % 2 ? '0' + hex : hex;
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = (NIBBLE[h.charCodeAt(2 * i)]! << 4) | NIBBLE[h.charCodeAt(2 * i + 1)]!;
  return out;
}

/** Big-endian unsigned bytes → bigint. */
export function bytesToNumberBE(b: Uint8Array): bigint {
  if (b.length === 0) return 0n;
  return BigInt('0x' + bytesToHex(b));
}

/** bigint → big-endian bytes of exactly `len` bytes (throws if it does not fit). */
export function numberToBytesBE(n: bigint, len: number): Uint8Array {
  if (typeof n !== 'bigint') fail('INVALID_ARGUMENT', 'numberToBytesBE: expected bigint');
  if (n < 0n) fail('OUT_OF_RANGE', 'numberToBytesBE: negative');
  const hex = n.toString(16);
  if (hex.length > len * 2) fail('OUT_OF_RANGE', `numberToBytesBE: does not fit in ${len} bytes`);
  return hexDigitsToBytes(hex.padStart(len * 2, '0'));
}

/** bigint → minimal big-endian bytes (0 → empty). */
export function numberToBytesMin(n: bigint): Uint8Array {
  if (typeof n !== 'bigint') fail('INVALID_ARGUMENT', 'numberToBytesMin: expected bigint');
  if (n < 0n) fail('OUT_OF_RANGE', 'numberToBytesMin: negative');
  if (n === 0n) return new Uint8Array(0);
  return hexDigitsToBytes(n.toString(16));
}

/** bigint → lower-case unpadded hex, as bn.js `toString('hex')` writes it ("0" for zero). */
export function toHexUnpadded(n: bigint): string {
  return n.toString(16);
}

/** bigint → lower-case hex left-padded to `chars` characters. */
export function toHexPadded(n: bigint, chars = 64): string {
  return n.toString(16).padStart(chars, '0');
}

/** Parse hex of any padding into a bigint. */
export function hexToNumber(hex: string, title = 'hex'): bigint {
  aString(hex, title);
  const h = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (h.length === 0 || !HEX_RE.test(h)) fail('INVALID_HEX', `${title}: not hex`);
  return BigInt('0x' + h);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Constant-time equality (time depends only on the lengths). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });
export function utf8ToBytes(s: string): Uint8Array {
  return enc.encode(s);
}
export function bytesToUtf8(b: Uint8Array): string {
  try {
    return dec.decode(b);
  } catch {
    return fail('INVALID_ARGUMENT', 'bytes are not valid UTF-8');
  }
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Standard base64 with padding. */
export function bytesToBase64(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length; i += 3) {
    const n = (b[i]! << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]!;
    out += i + 1 < b.length ? B64[(n >> 6) & 63]! : '=';
    out += i + 2 < b.length ? B64[n & 63]! : '=';
  }
  return out;
}
/** Decode base64 or base64url, padded or not. */
export function base64ToBytes(s: string, title = 'base64'): Uint8Array {
  aString(s, title);
  const clean = s.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(clean) || clean.length % 4 === 1) fail('INVALID_ARGUMENT', `${title}: not base64`);
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let j = 0;
  for (const ch of clean) {
    acc = (acc << 6) | B64.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}
/** base64url without padding (what the tKey metadata server stores). */
export function bytesToBase64Url(b: Uint8Array): string {
  return bytesToBase64(b).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Overwrite a secret buffer with zeros. */
export function wipe(...bufs: (Uint8Array | undefined)[]): void {
  for (const b of bufs) b?.fill(0);
}
