/**
 * A TSS share f(tssIndex) of the TSS key's polynomial, and its check against the Feldman
 * commitments `tssPolyCommits` (tkey-formats §4.1–4.2): `G·u == Σⱼ tssIndexʲ·Aⱼ`. The peer's
 * commitments are always the two points [A0, A1] (degree 1); ours have t points after a threshold
 * change, and the same check covers both.
 *
 * The share value is secret: `toJSON()` and inspection redact it, `valueBytes()` is the explicit
 * export.
 * @module
 */
import { abytes, aInt } from '../bytes.js';
import { aScalar, mulGUnsafe, scalarFromBytes, scalarToBytes, type Point } from '../curve.js';
import { fail } from '../errors.js';
import { assertShare, verifyShare } from '../shamir/index.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** Largest TSS index accepted (the peer's JSON carries it as a JS number). */
export const MAX_TSS_INDEX = 0x7fffffff;

/** Assert a TSS share index: an integer in [min, MAX_TSS_INDEX] (min 1; 2 for user factors, 1 being the service). */
export function aTssIndex(index: unknown, title = 'tssIndex', min = 1): number {
  return aInt(index, title, min, MAX_TSS_INDEX);
}

export class TssShare {
  /** x of the share (1 = the service share, 2.. = user shares). */
  readonly index: number;
  readonly #value: bigint;

  constructor(index: number, value: bigint) {
    this.index = aTssIndex(index, 'index');
    this.#value = aScalar(value, 'value', true);
  }
  /** A share from its index and 32 big-endian value bytes. */
  static fromBytes(index: number, value: Uint8Array): TssShare {
    return new TssShare(index, scalarFromBytes(abytes(value, 'value', 32), 'value', true));
  }
  /** The secret value as a scalar (library internals). */
  get value(): bigint {
    return this.#value;
  }
  /** Explicit export: 32 big-endian bytes. */
  valueBytes(): Uint8Array {
    return scalarToBytes(this.#value);
  }
  /** G·value (may be the identity only for a zero share, which never verifies against real commitments). */
  publicShare(): Point {
    return mulGUnsafe(this.#value);
  }
  toJSON(): { index: number; value: '<redacted>' } {
    return { index: this.index, value: '<redacted>' };
  }
  toString(): string {
    return `TssShare(${this.index}, <redacted>)`;
  }
  [INSPECT](): string {
    return this.toString();
  }
}

/** Does the share lie on the commitments (degree = commitments.length − 1)? */
export function verifyTssShare(commitments: readonly Point[], share: TssShare): boolean {
  if (!Array.isArray(commitments) || commitments.length === 0) fail('INVALID_ARGUMENT', 'commitments: expected a non-empty array');
  return verifyShare(commitments, { x: BigInt(share.index), y: share.value });
}

/** Throwing variant: `SHARE_NOT_ON_POLYNOMIAL`. */
export function assertTssShare(commitments: readonly Point[], share: TssShare): void {
  if (!Array.isArray(commitments) || commitments.length === 0) fail('INVALID_ARGUMENT', 'commitments: expected a non-empty array');
  assertShare(commitments, { x: BigInt(share.index), y: share.value });
}
