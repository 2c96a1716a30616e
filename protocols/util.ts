/**
 * Helpers shared by the protocols: a payload reader that turns every shape error into
 * `ProtocolAbort(MALFORMED_MESSAGE, round, [sender])`, point/scalar byte conversions, and the
 * redacting container of secret shares that protocol outputs carry.
 * @module
 */
import { bytesToNumberBE, numberToBytesBE } from '../src/bytes.js';
import { N, pointFromBytes, pointToBytes, type Point } from '../src/curve.js';
import { fail, ProtocolAbort } from '../src/errors.js';
import type { Payload } from './types.js';

/** Reads one received payload; every failure blames `from` for its message of round `round`. */
export class PayloadReader {
  readonly #o: Record<string, Payload>;
  constructor(
    payload: Payload | undefined,
    readonly round: number,
    readonly from: number,
    readonly what: string,
  ) {
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload) || payload instanceof Uint8Array) this.fail(`${what}: expected a map`);
    this.#o = payload as Record<string, Payload>;
  }
  fail(detail: string, reason = 'MALFORMED_MESSAGE'): never {
    throw new ProtocolAbort(reason, this.round, [this.from], detail);
  }
  /** The map has exactly these keys. */
  keys(...names: string[]): this {
    const got = Object.keys(this.#o).sort().join(',');
    if (got !== [...names].sort().join(',')) this.fail(`${this.what}: fields ${got}, expected ${[...names].sort().join(',')}`);
    return this;
  }
  raw(name: string): Payload {
    return this.#o[name]!;
  }
  bytes(name: string, len: number): Uint8Array {
    const v = this.#o[name];
    if (!(v instanceof Uint8Array) || v.length !== len) this.fail(`${this.what}.${name}: expected ${len} bytes`);
    return v;
  }
  /** An array of byte strings of `len` bytes each; `count` checked by the caller when it carries a reason. */
  bytesArray(name: string, len: number): Uint8Array[] {
    const v = this.#o[name];
    if (!Array.isArray(v)) this.fail(`${this.what}.${name}: expected an array`);
    if (v.length > 4096) this.fail(`${this.what}.${name}: too long`);
    for (const x of v) if (!(x instanceof Uint8Array) || x.length !== len) this.fail(`${this.what}.${name}: expected ${len}-byte elements`);
    return v as Uint8Array[];
  }
  /** Exactly `count` elements. */
  bytesArrayOf(name: string, len: number, count: number): Uint8Array[] {
    const a = this.bytesArray(name, len);
    if (a.length !== count) this.fail(`${this.what}.${name}: ${a.length} elements, expected ${count}`);
    return a;
  }
  point(b: Uint8Array, title: string): Point {
    try {
      return pointFromBytes(b, title);
    } catch {
      return this.fail(`${this.what}.${title}: not a valid non-identity point`);
    }
  }
  /** 32-byte big-endian scalar in [0, n) (or [1, n) when nonZero). */
  scalar(b: Uint8Array, title: string, nonZero = false): bigint {
    const x = bytesToNumberBE(b);
    if (x >= N || (nonZero && x === 0n)) this.fail(`${this.what}.${title}: scalar out of range`);
    return x;
  }
}

/**
 * Keygen and refresh refuse t = 1: a degree-0 sharing makes every share equal to the key, so each
 * holder (the service's share store among them) would hold the key. `allowThresholdOne: true` in
 * the input states it explicitly (tests only).
 */
export function assertThresholdAllowed(threshold: number, allowThresholdOne: unknown, protocol: string): void {
  if (allowThresholdOne !== undefined && typeof allowThresholdOne !== 'boolean') fail('INVALID_ARGUMENT', `${protocol} input.allowThresholdOne: expected a boolean`);
  if (threshold === 1 && allowThresholdOne !== true)
    fail('OUT_OF_RANGE', `${protocol}: threshold 1 makes every share equal to the key; refused (allowThresholdOne: true states it, tests only)`, { threshold });
}

export const scalarBytes = (x: bigint): Uint8Array => numberToBytesBE(x, 32);
export const pointBytes = (p: Point): Uint8Array => pointToBytes(p, true);
/** Decode a point we produced or already validated. */
export const pointOf = (b: Uint8Array): Point => pointFromBytes(b);

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * Secret shares of one party (index → scalar). Redacted in JSON and inspection; `export(index)`
 * is the explicit way out; `wipe()` forgets them.
 */
export class SecretShares {
  readonly indices: readonly number[];
  #values: Map<number, bigint>;
  constructor(entries: readonly (readonly [number, bigint])[]) {
    this.#values = new Map(entries);
    this.indices = Object.freeze(entries.map(([i]) => i));
  }
  has(index: number): boolean {
    return this.#values.has(index);
  }
  /** The share at `index` as 32 big-endian bytes. */
  export(index: number): Uint8Array {
    return scalarBytes(this.scalar(index));
  }
  /** The share at `index` as a scalar (for the protocols that consume it). */
  scalar(index: number): bigint {
    const v = this.#values.get(index);
    if (v === undefined) throw new RangeError(`no share at index ${index}`);
    return v;
  }
  wipe(): void {
    this.#values.clear();
  }
  toJSON(): unknown {
    return { indices: [...this.indices], values: '<redacted>' };
  }
  [INSPECT](): string {
    return `SecretShares { indices: [${this.indices.join(', ')}], values: <redacted> }`;
  }
}
