/**
 * A structural pre-pass over MessagePack bytes (layer 1): checks size, element counts, nesting depth
 * and string lengths BEFORE msgpackr decodes anything. O(bytes) time — in fact O(headers): byte and
 * string bodies are skipped by their length — and no allocation proportional to the input (a
 * fixed stack of counters).
 *
 * Refusals:
 * - `BUS_FRAME_TOO_LARGE` (details `{limit, max, actual, offset}`): a limit of `FrameLimits` is hit —
 *   `bytes` (total size), `elements` (values read or declared by array/map headers so far, map keys
 *   included), `depth` (nesting), `str` (one string's length).
 * - `INVALID_ARGUMENT` (details `{reason, offset}`): not MessagePack the codec can produce —
 *   `truncated`, `count` (an array/map header declares more items than bytes remain: each item
 *   takes at least one byte), `type` (float32, ext, 0xc1: never in canonical payloads; float64 is
 *   allowed because msgpackr writes safe integers ≥ 2^32 that way — the codec refuses non-integers), `key` (a map
 *   key that is not a string), `trailing` (bytes after the value), `empty`.
 * @module
 */
import { fail } from '../errors.js';

/** Bounds of one decode (see `frame-limits.ts` for the values per message kind). */
export interface FrameLimits {
  /** Total bytes. */
  readonly maxBytes: number;
  /** Values (map keys included), counted as soon as a header declares them. */
  readonly maxElements: number;
  /** Nesting: the root is level 0, its items level 1, … (as `encodePayload`'s depth). */
  readonly maxDepth: number;
  /** Bytes of one string. */
  readonly maxStr: number;
}

/** Hard ceiling of `maxDepth` (the size of the scanner's counter stack). */
export const SCAN_DEPTH_CEILING = 64;

// per level: items left, and whether the level is a map (then an even count left = a key is next)
const left = new Float64Array(SCAN_DEPTH_CEILING + 2);
const isMap = new Uint8Array(SCAN_DEPTH_CEILING + 2);

function tooLarge(limit: 'bytes' | 'elements' | 'depth' | 'str', max: number, actual: number, offset: number): never {
  return fail('BUS_FRAME_TOO_LARGE', `msgpack: ${limit} limit ${max} exceeded (${actual}) at byte ${offset}`, { limit, max, actual, offset });
}

function invalid(reason: 'truncated' | 'count' | 'type' | 'key' | 'trailing' | 'empty', offset: number): never {
  return fail('INVALID_ARGUMENT', `payload: not MessagePack of plain data (${reason} at byte ${offset})`, { reason, offset });
}

function u16(b: Uint8Array, p: number): number {
  return (b[p]! << 8) | b[p + 1]!;
}
function u32(b: Uint8Array, p: number): number {
  return ((b[p]! << 24) >>> 0) + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
}

/** Check `b` against `lim` without decoding it; throws as described above. */
export function scanMsgpack(b: Uint8Array, lim: FrameLimits): void {
  const len = b.length;
  if (len > lim.maxBytes) tooLarge('bytes', lim.maxBytes, len, 0);
  if (len === 0) invalid('empty', 0);
  const maxDepth = Math.min(lim.maxDepth, SCAN_DEPTH_CEILING);
  let pos = 0;
  let depth = 0;
  let elements = 0; // values read
  let owed = 0; // values declared by headers and not read yet
  left[0] = 1;
  isMap[0] = 0;
  for (;;) {
    while (left[depth] === 0) {
      if (depth === 0) {
        if (pos !== len) invalid('trailing', pos);
        return;
      }
      depth--;
    }
    const key = isMap[depth] === 1 && left[depth]! % 2 === 0;
    left[depth]!--;
    if (depth > 0) owed--;
    elements++;
    if (pos >= len) invalid('truncated', pos);
    const at = pos;
    const t = b[pos++]!;
    let skip = 0; // body bytes after the header
    let items = -1; // container: declared items (map: 2 per entry)
    let map = 0;
    if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) skip = 0;
    else if (t <= 0x8f) {
      items = 2 * (t & 0x0f);
      map = 1;
    } else if (t <= 0x9f) items = t & 0x0f;
    else if (t <= 0xbf) skip = -(t & 0x1f); // fixstr (negative: a string length)
    else {
      let n = 0;
      switch (t) {
        case 0xcc:
        case 0xd0:
          skip = 1;
          break;
        case 0xcd:
        case 0xd1:
          skip = 2;
          break;
        case 0xce:
        case 0xd2:
          skip = 4;
          break;
        case 0xcf:
        case 0xd3:
        case 0xcb: // msgpackr writes safe integers ≥ 2^32 as float64; the codec then refuses non-integers
          skip = 8;
          break;
        case 0xc4:
        case 0xd9:
          if (pos + 1 > len) invalid('truncated', at);
          n = b[pos]!;
          pos += 1;
          skip = t === 0xd9 ? -n : n;
          break;
        case 0xc5:
        case 0xda:
          if (pos + 2 > len) invalid('truncated', at);
          n = u16(b, pos);
          pos += 2;
          skip = t === 0xda ? -n : n;
          break;
        case 0xc6:
        case 0xdb:
          if (pos + 4 > len) invalid('truncated', at);
          n = u32(b, pos);
          pos += 4;
          skip = t === 0xdb ? -n : n;
          break;
        case 0xdc:
        case 0xdd:
          if (pos + (t === 0xdc ? 2 : 4) > len) invalid('truncated', at);
          items = t === 0xdc ? u16(b, pos) : u32(b, pos);
          pos += t === 0xdc ? 2 : 4;
          break;
        case 0xde:
        case 0xdf:
          if (pos + (t === 0xde ? 2 : 4) > len) invalid('truncated', at);
          items = 2 * (t === 0xde ? u16(b, pos) : u32(b, pos));
          pos += t === 0xde ? 2 : 4;
          map = 1;
          break;
        default:
          return invalid('type', at); // 0xc1, ext 0xc7–0xc9 / 0xd4–0xd8, float32 0xca
      }
    }
    const isStr = (t >= 0xa0 && t <= 0xbf) || t === 0xd9 || t === 0xda || t === 0xdb;
    if (key && !isStr) invalid('key', at);
    if (isStr) {
      const n = -skip;
      if (n > lim.maxStr) tooLarge('str', lim.maxStr, n, at);
      skip = n;
    }
    if (items >= 0) {
      if (items > len - pos) invalid('count', at);
      if (elements + owed + items > lim.maxElements) tooLarge('elements', lim.maxElements, elements + owed + items, at);
      if (items > 0) {
        if (depth + 1 > maxDepth) tooLarge('depth', maxDepth, depth + 1, at);
        depth++;
        left[depth] = items;
        isMap[depth] = map;
        owed += items;
      }
      continue;
    }
    if (elements + owed > lim.maxElements) tooLarge('elements', lim.maxElements, elements + owed, at);
    if (skip > len - pos) invalid('truncated', at);
    pos += skip;
  }
}

/** Offset just past the value at `pos` (a value `scanMsgpack` accepted); -1 when out of bounds. */
function skipValue(b: Uint8Array, pos: number): number {
  let n = 1;
  while (n > 0) {
    if (pos >= b.length) return -1;
    const t = b[pos++]!;
    n--;
    if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) continue;
    if (t <= 0x8f) n += 2 * (t & 0x0f);
    else if (t <= 0x9f) n += t & 0x0f;
    else if (t <= 0xbf) pos += t & 0x1f;
    else if (t === 0xcc || t === 0xd0) pos += 1;
    else if (t === 0xcd || t === 0xd1) pos += 2;
    else if (t === 0xce || t === 0xd2) pos += 4;
    else if (t === 0xcf || t === 0xd3 || t === 0xcb) pos += 8;
    else if (t === 0xc4 || t === 0xd9) pos += 1 + (b[pos] ?? 0);
    else if (t === 0xc5 || t === 0xda) pos += 2 + u16(b, pos);
    else if (t === 0xc6 || t === 0xdb) pos += 4 + u32(b, pos);
    else if (t === 0xdc) (n += u16(b, pos)), (pos += 2);
    else if (t === 0xdd) (n += u32(b, pos)), (pos += 4);
    else if (t === 0xde) (n += 2 * u16(b, pos)), (pos += 2);
    else if (t === 0xdf) (n += 2 * u32(b, pos)), (pos += 4);
    else return -1;
    if (n > b.length - pos) return -1;
  }
  return pos <= b.length ? pos : -1;
}

/** Offset of the value of top-level map key `key` (ASCII), or -1 (not a map, no such key, malformed). */
function topLevelValue(b: Uint8Array, key: string): number {
  if (b.length === 0) return -1;
  const t = b[0]!;
  let entries: number;
  let pos: number;
  if (t >= 0x80 && t <= 0x8f) (entries = t & 0x0f), (pos = 1);
  else if (t === 0xde && b.length >= 3) (entries = u16(b, 1)), (pos = 3);
  else if (t === 0xdf && b.length >= 5) (entries = u32(b, 1)), (pos = 5);
  else return -1;
  for (let e = 0; e < entries; e++) {
    if (pos >= b.length) return -1;
    const k = b[pos]!;
    let klen: number;
    let kpos: number;
    if (k >= 0xa0 && k <= 0xbf) (klen = k & 0x1f), (kpos = pos + 1);
    else if (k === 0xd9 && pos + 1 < b.length) (klen = b[pos + 1]!), (kpos = pos + 2);
    else return -1;
    if (kpos + klen > b.length) return -1;
    let same = klen === key.length;
    for (let i = 0; same && i < klen; i++) same = b[kpos + i] === key.charCodeAt(i);
    if (same) return kpos + klen;
    pos = skipValue(b, kpos + klen);
    if (pos < 0) return -1;
  }
  return -1;
}

/** Does `b` (bytes that passed `scanMsgpack`) hold a map with top-level key `key` (ASCII)? Never reads out of bounds. */
export function peekHasKey(b: Uint8Array, key: string): boolean {
  return topLevelValue(b, key) >= 0;
}

/**
 * The unsigned integer under top-level map key `key` (ASCII), without decoding the rest; null when
 * `b` is not a map, has no such key, or holds something else there. Meant for bytes that passed
 * `scanMsgpack`; never reads out of bounds either way.
 */
export function peekUint(b: Uint8Array, key: string): number | null {
  const p = topLevelValue(b, key);
  if (p < 0 || p >= b.length) return null;
  const t = b[p]!;
  if (t <= 0x7f) return t;
  if (t === 0xcc && p + 1 < b.length) return b[p + 1]!;
  if (t === 0xcd && p + 2 < b.length) return u16(b, p + 1);
  if (t === 0xce && p + 4 < b.length) return u32(b, p + 1);
  return null;
}

/** The string under top-level map key `key` if it is at most `maxLen` bytes of ASCII; null otherwise (see `peekUint`). */
export function peekAscii(b: Uint8Array, key: string, maxLen = 64): string | null {
  const p = topLevelValue(b, key);
  if (p < 0 || p >= b.length) return null;
  const t = b[p]!;
  let n: number;
  let s: number;
  if (t >= 0xa0 && t <= 0xbf) (n = t & 0x1f), (s = p + 1);
  else if (t === 0xd9 && p + 1 < b.length) (n = b[p + 1]!), (s = p + 2);
  else return null;
  if (n > maxLen || s + n > b.length) return null;
  let out = '';
  for (let i = s; i < s + n; i++) {
    if (b[i]! > 0x7f) return null;
    out += String.fromCharCode(b[i]!);
  }
  return out;
}
