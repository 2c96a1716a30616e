/**
 * `Share` and `ShareStore`, the peer's JSON shapes (tkey-formats §2.2):
 * `{share, shareIndex}` and `{share: {share, shareIndex}, polynomialID}`, scalars as lower-case
 * unpadded hex (bn.js `toString("hex")`); any padding and an optional `0x` are accepted on input.
 * Share values are secret: `toJSON()` and inspection redact them, `exportJSON()` is the explicit export.
 * @module
 */
import { aString, hexToNumber, toHexUnpadded } from '../bytes.js';
import { aScalar, mulGUnsafe, N, scalarToBytes, type Point } from '../curve.js';
import { fail } from '../errors.js';

export interface ShareJSON {
  share: string;
  shareIndex: string;
}
export interface ShareStoreJSON {
  share: ShareJSON;
  polynomialID: string;
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

function obj(j: unknown, title: string): Record<string, unknown> {
  if (typeof j !== 'object' || j === null || Array.isArray(j)) fail('INVALID_JSON', `${title}: expected an object`);
  return j as Record<string, unknown>;
}

/** Parse a share index (hex, any padding): in [1, n−1]. */
export function parseShareIndex(hex: unknown, title = 'shareIndex'): bigint {
  if (typeof hex !== 'string') fail('INVALID_JSON', `${title}: expected a hex string`);
  const x = hexToNumber(hex, title);
  if (x === 0n) fail('ZERO_INDEX', `${title}: index 0 is not a share`);
  if (x >= N) fail('OUT_OF_RANGE', `${title}: not below the group order`);
  return x;
}

/** A point (index, value) of the metadata-key polynomial. `value` is secret. */
export class Share {
  readonly index: bigint;
  readonly #value: bigint;
  constructor(index: bigint, value: bigint) {
    this.index = aScalar(index, 'index');
    this.#value = aScalar(value, 'value', true);
  }
  /** The secret share value (bigint). */
  get value(): bigint {
    return this.#value;
  }
  /** 32-byte big-endian share value (secret). */
  valueBytes(): Uint8Array {
    return scalarToBytes(this.#value);
  }
  /** Unpadded hex index, the key used throughout the peer's JSON. */
  get indexHex(): string {
    return toHexUnpadded(this.index);
  }
  /** G·value. */
  publicShare(): Point {
    return mulGUnsafe(this.#value);
  }
  exportJSON(): ShareJSON {
    return { share: toHexUnpadded(this.#value), shareIndex: toHexUnpadded(this.index) };
  }
  static fromJSON(j: unknown): Share {
    const o = obj(j, 'Share');
    if (typeof o.share !== 'string') fail('INVALID_JSON', 'Share.share: expected a hex string');
    const v = hexToNumber(o.share, 'Share.share');
    if (v >= N) fail('OUT_OF_RANGE', 'Share.share: not below the group order');
    return new Share(parseShareIndex(o.shareIndex, 'Share.shareIndex'), v);
  }
  toJSON(): { share: string; shareIndex: string } {
    return { share: '<redacted>', shareIndex: toHexUnpadded(this.index) };
  }
  [INSPECT](): string {
    return `Share(index=${toHexUnpadded(this.index)}, value=<redacted>)`;
  }
}

/** A share together with the polynomial it lies on. */
export class ShareStore {
  readonly share: Share;
  readonly polynomialID: string;
  constructor(share: Share, polynomialID: string) {
    if (!(share instanceof Share)) fail('INVALID_ARGUMENT', 'share: expected a Share');
    aString(polynomialID, 'polynomialID');
    if (polynomialID.length === 0) fail('INVALID_ARGUMENT', 'polynomialID: empty');
    this.share = share;
    this.polynomialID = polynomialID;
  }
  get index(): bigint {
    return this.share.index;
  }
  /** The peer's JSON (secret share in clear): what records, transfers and backups hold. */
  exportJSON(): ShareStoreJSON {
    return { share: this.share.exportJSON(), polynomialID: this.polynomialID };
  }
  static fromJSON(j: unknown): ShareStore {
    const o = obj(j, 'ShareStore');
    if (typeof o.polynomialID !== 'string' || o.polynomialID.length === 0) fail('INVALID_JSON', 'ShareStore.polynomialID: expected a string');
    return new ShareStore(Share.fromJSON(o.share), o.polynomialID);
  }
  toJSON(): { share: { share: string; shareIndex: string }; polynomialID: string } {
    return { share: this.share.toJSON(), polynomialID: this.polynomialID };
  }
  [INSPECT](): string {
    return `ShareStore(index=${toHexUnpadded(this.share.index)}, polynomialID=${this.polynomialID.slice(0, 20)}…, value=<redacted>)`;
  }
}

/** Peer JSON → ShareStore (alias of `ShareStore.fromJSON`). */
export function shareStoreFromJSON(j: unknown): ShareStore {
  return ShareStore.fromJSON(j);
}
/** ShareStore → peer JSON (explicit export of the secret share). */
export function shareStoreToJSON(s: ShareStore): ShareStoreJSON {
  return s.exportJSON();
}
