/**
 * Randomness. Every function that draws randomness takes an `Rng` (DESIGN §3.1, §3.7):
 * `cryptoRng` (the platform CSPRNG) by default, `seededRng(seed)` — a ChaCha20 DRBG — for tests
 * and conformance vectors, so every transcript is reproducible from its seed.
 * @module
 */
import { chacha20 } from '@noble/ciphers/chacha.js';
import { abytes, aInt, bytesToNumberBE, concatBytes, utf8ToBytes } from './bytes.js';
import { fail } from './errors.js';
import { sha256 } from './hash.js';

export interface Rng {
  /** `n` fresh random bytes. */
  bytes(n: number): Uint8Array;
}

/** The platform CSPRNG (WebCrypto `getRandomValues`, present in browsers, workers, Node ≥ 20, RN with a polyfill). */
export const cryptoRng: Rng = Object.freeze({
  bytes(n: number): Uint8Array {
    aInt(n, 'n');
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 65536) globalThis.crypto.getRandomValues(out.subarray(off, Math.min(n, off + 65536)));
    return out;
  },
});

const BLOCK = 64;
const CHUNK = 64 * BLOCK;

/**
 * Deterministic DRBG: the ChaCha20 keystream under key = SHA-256("tkey-tss/drbg/v1" ‖ seed), nonce 0.
 * With a known seed it is for tests and vectors only: never use a guessable seed for real keys. The
 * library itself seeds one only from ≥ 32 fresh CSPRNG bytes, where a queued metadata operation
 * must replay byte-identically (src/client/metadata-ops.ts).
 */
export class SeededRng implements Rng {
  readonly #key: Uint8Array;
  #block = 0;
  #buf = new Uint8Array(0);
  #pos = 0;
  constructor(seed: Uint8Array | string) {
    const s = typeof seed === 'string' ? utf8ToBytes(seed) : abytes(seed, 'seed');
    this.#key = sha256(concatBytes(utf8ToBytes('tkey-tss/drbg/v1'), s));
  }
  bytes(n: number): Uint8Array {
    aInt(n, 'n');
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      if (this.#pos === this.#buf.length) {
        this.#buf = chacha20(this.#key, new Uint8Array(12), new Uint8Array(CHUNK), undefined, this.#block);
        this.#block += CHUNK / BLOCK;
        this.#pos = 0;
      }
      const take = Math.min(n - filled, this.#buf.length - this.#pos);
      out.set(this.#buf.subarray(this.#pos, this.#pos + take), filled);
      this.#pos += take;
      filled += take;
    }
    return out;
  }
  /** An independent child DRBG for `label` (e.g. one per party), not advancing this one. */
  fork(label: string): SeededRng {
    return new SeededRng(concatBytes(this.#key, utf8ToBytes('/' + label)));
  }
  toJSON(): string {
    return 'SeededRng(<redacted>)';
  }
}

export function seededRng(seed: Uint8Array | string): SeededRng {
  return new SeededRng(seed);
}

/** Uniform integer in [0, max) by rejection sampling (max > 0). */
export function randomBelow(rng: Rng, max: bigint): bigint {
  if (max <= 0n) fail('OUT_OF_RANGE', 'randomBelow: max must be positive');
  if (max === 1n) return 0n;
  const bits = (max - 1n).toString(2).length;
  const len = Math.ceil(bits / 8);
  const excess = BigInt(len * 8 - bits);
  for (;;) {
    const v = bytesToNumberBE(rng.bytes(len)) >> excess;
    if (v < max) return v;
  }
}

/** Uniform integer in [min, max). */
export function randomInRange(rng: Rng, min: bigint, max: bigint): bigint {
  if (max <= min) fail('OUT_OF_RANGE', 'randomInRange: empty range');
  return min + randomBelow(rng, max - min);
}

/** Uniform integer in [−2^bits, 2^bits] (the ±2^ℓ ranges of the CGGMP proofs). */
export function randomSignedBits(rng: Rng, bits: number): bigint {
  const bound = 1n << BigInt(bits);
  return randomBelow(rng, 2n * bound + 1n) - bound;
}
