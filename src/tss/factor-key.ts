/**
 * Factor keys (tkey-formats §4.1, §4.7): secp256k1 scalars whose public keys receive the
 * ECIES-encrypted TSS shares (`factorEncs`) and own the core-kit factor records. Sources: a random
 * device key, a 24-word mnemonic (the core kit's `keyToMnemonic`: the 32 key bytes as BIP39
 * entropy), a key the dApp provides, and the core kit's hashed factor
 * `keccak256(utf8(postboxKeyHex64 + "_" + clientId))`. Security-answer factors live in
 * `security-answer-factor.ts`.
 *
 * A `FactorKey` holds its secret privately: `toJSON()` and inspection show only the public key,
 * `exportBytes()` / `toMnemonic()` are the explicit exports, `destroy()` zeroes the secret.
 * @module
 */
import { abytes, aString, bytesToHex, bytesToNumberBE, utf8ToBytes, wipe } from '../bytes.js';
import { mulG, pointFromBytes, pointToBytes, pointToHex, randomScalar, scalarFromBytes, scalarToBytes, type Point } from '../curve.js';
import { fail } from '../errors.js';
import { keccak256 } from '../hash.js';
import { bytesToMnemonic, mnemonicToBytes } from '../mnemonic.js';
import { cryptoRng, type Rng } from '../rng.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** A factor key: a secret scalar in [1, n−1] and its public key. */
export class FactorKey {
  readonly #secret: Uint8Array;
  #destroyed = false;
  /** G·key. */
  readonly pubPoint: Point;

  private constructor(secret: Uint8Array) {
    const k = scalarFromBytes(secret, 'factorKey');
    this.#secret = secret.slice();
    this.pubPoint = mulG(k);
  }

  /** A key the dApp provides (or one read back from storage): 32 big-endian bytes in [1, n−1]. */
  static fromBytes(key: Uint8Array): FactorKey {
    return new FactorKey(abytes(key, 'factorKey', 32));
  }

  /** A fresh random device key. */
  static random(rng: Rng = cryptoRng): FactorKey {
    const b = scalarToBytes(randomScalar(rng));
    try {
      return new FactorKey(b);
    } finally {
      wipe(b);
    }
  }

  /** A 24-word recovery phrase (the core kit's `mnemonicToKey`). `INVALID_MNEMONIC` on a bad phrase. */
  static fromMnemonic(mnemonic: string): FactorKey {
    const b = mnemonicToBytes(mnemonic);
    try {
      return new FactorKey(b);
    } finally {
      wipe(b);
    }
  }

  /**
   * The core kit's hashed factor ("2-of-2 with cloud"):
   * `keccak256(utf8(postboxKeyHex64 + "_" + clientId))`. `postboxKey` is 32 bytes.
   */
  static hashed(postboxKey: Uint8Array, clientId: string): FactorKey {
    abytes(postboxKey, 'postboxKey', 32);
    aString(clientId, 'clientId');
    const h = keccak256(utf8ToBytes(`${bytesToHex(postboxKey)}_${clientId}`));
    try {
      return new FactorKey(h);
    } finally {
      wipe(h);
    }
  }

  #live(): Uint8Array {
    if (this.#destroyed) fail('INVALID_ARGUMENT', 'factorKey: the key was destroyed');
    return this.#secret;
  }

  /** SEC1 public key (33 bytes compressed by default, 65 uncompressed). */
  pub(compressed = true): Uint8Array {
    return pointToBytes(this.pubPoint, compressed);
  }
  /** Compressed public key hex: the key of the core kit's share descriptions. */
  get pubHex(): string {
    return pointToHex(this.pubPoint, true);
  }

  /** Explicit export of the 32 secret bytes (a copy). */
  exportBytes(): Uint8Array {
    return this.#live().slice();
  }
  /** Explicit export as a 24-word phrase (the core kit's `keyToMnemonic`). */
  toMnemonic(): string {
    return bytesToMnemonic(this.#live());
  }
  /** The secret as a scalar, for library internals (ECIES, derivations). */
  scalar(): bigint {
    return bytesToNumberBE(this.#live());
  }
  /** Zero the secret; later use throws. */
  destroy(): void {
    wipe(this.#secret);
    this.#destroyed = true;
  }

  toJSON(): { factorPub: string; secret: '<redacted>' } {
    return { factorPub: this.pubHex, secret: '<redacted>' };
  }
  toString(): string {
    return `FactorKey(${this.pubHex}, <redacted>)`;
  }
  [INSPECT](): string {
    return this.toString();
  }
}

/** Parse a SEC1 factor public key (33 or 65 bytes) or pass a point through, validated. */
export function factorPubPoint(pub: Uint8Array | Point, title = 'factorPub'): Point {
  if (pub instanceof Uint8Array) return pointFromBytes(pub, title);
  if (typeof pub !== 'object' || pub === null || typeof (pub as Point).toAffine !== 'function') fail('INVALID_ARGUMENT', `${title}: expected SEC1 bytes or a point`);
  return pointFromBytes(pointToBytes(pub, true), title);
}

/** A `FactorKey` or 32 raw key bytes → FactorKey (raw bytes are validated). */
export function asFactorKey(key: FactorKey | Uint8Array, title = 'factorKey'): FactorKey {
  if (key instanceof FactorKey) return key;
  if (key instanceof Uint8Array) return FactorKey.fromBytes(key);
  return fail('INVALID_ARGUMENT', `${title}: expected a FactorKey or 32 bytes`);
}
