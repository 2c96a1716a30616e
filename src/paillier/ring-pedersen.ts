/**
 * Ring-Pedersen parameters (N̂, s, t) (CGGMP21 §3.3, cggmp-recipe §2.2, §2.11): t = r² mod N for a
 * random r ∈ Z*_N, s = t^λ mod N for a secret λ ∈ Z_φ(N). They share N with the owner's Paillier
 * key. A commitment is s^x · t^y mod N with signed exponents.
 *
 * Safe primes make QR_N cyclic of order p'q', so t generates it w.o.p. and s ∈ ⟨t⟩: the owner's
 * generator therefore requires a key whose primes are safe. A peer checks what it can
 * (`validate`): s, t ∈ Z*_N, both ∉ {0, 1, N − 1}, s ≠ t; Πprm (src/zk) proves s ∈ ⟨t⟩.
 * @module
 */
import { bytesToNumberBE, numberToBytesBE } from '../bytes.js';
import { fail } from '../errors.js';
import { cryptoRng, randomBelow, type Rng } from '../rng.js';
import { gcd } from '../bigint/arith.js';
import { FixedBaseTable, multiModPow } from '../bigint/modexp.js';
import type { PaillierSecretKey } from './keys.js';
import { assertModulusSize, getProfile, type ProfileName, type SecurityProfile } from './profiles.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

function abig(x: unknown, title: string): bigint {
  if (typeof x !== 'bigint') fail('INVALID_ARGUMENT', `${title}: expected bigint`);
  return x;
}

/** Public ring-Pedersen parameters. */
export class RingPedersenParams {
  readonly N: bigint;
  readonly s: bigint;
  readonly t: bigint;
  readonly profile: SecurityProfile;
  #tables: { s: FixedBaseTable; t: FixedBaseTable } | undefined;

  /** Validates N's size and s, t ∈ Z*_N \ {1, N − 1}, s ≠ t (RING_PEDERSEN_INVALID otherwise). */
  constructor(N: bigint, s: bigint, t: bigint, profile: ProfileName | SecurityProfile = 'default') {
    abig(N, 'N');
    abig(s, 's');
    abig(t, 't');
    this.profile = getProfile(profile);
    assertModulusSize(N, this.profile, 'N̂');
    if ((N & 1n) === 0n) fail('INVALID_MODULUS', 'N̂: must be odd');
    for (const [v, name] of [
      [s, 's'],
      [t, 't'],
    ] as const) {
      if (v <= 1n || v >= N - 1n) fail('RING_PEDERSEN_INVALID', `${name}: must be in (1, N̂ − 1)`);
      if (gcd(v, N) !== 1n) fail('RING_PEDERSEN_INVALID', `${name}: not a unit mod N̂`);
    }
    if (s === t) fail('RING_PEDERSEN_INVALID', 's and t must differ');
    this.N = N;
    this.s = s;
    this.t = t;
  }

  /** Byte length of N̂ (fixed-width encodings of s, t and commitments). */
  get byteLength(): number {
    return Math.ceil(this.N.toString(2).length / 8);
  }

  /**
   * s^x · t^y mod N̂ for SECRET signed exponents (prover side): each power on the constant-time
   * route (in Node a reusable OpenSSL DH object per base; portable: the WebAssembly kernel's comb
   * over a table resident per base, src/bigint/README.md); the sign picks the inverse base.
   */
  commit(x: bigint, y: bigint): bigint {
    abig(x, 'x');
    abig(y, 'y');
    const tb = this.tables();
    return (tb.s.powSecret(x) * tb.t.powSecret(y)) % this.N;
  }

  /**
   * s^x · t^y mod N̂ for PUBLIC signed exponents (verifier side): the same OpenSSL objects in Node,
   * windowed BigInt tables (built on first use) in the portable backend.
   */
  commitPublic(x: bigint, y: bigint): bigint {
    abig(x, 'x');
    abig(y, 'y');
    const tb = this.tables();
    return (tb.s.pow(x) * tb.t.pow(y)) % this.N;
  }

  /** Π of extra (base, exp) pairs times s^x t^y (public data), for verification equations. */
  commitTimes(x: bigint, y: bigint, extra: readonly (readonly [bigint, bigint])[]): bigint {
    return (this.commitPublic(x, y) * multiModPow(extra, this.N)) % this.N;
  }

  /**
   * Fixed-base contexts for s and t (their inverses are built inside on the first negative
   * exponent). Portable tables cover exponents of up to bits(N̂) + ℓ + ε + 64 bits (window 4:
   * ~3 MB per BigInt table for public exponents and ~3.5 MB per kernel table for secret ones at
   * 2048 bits; larger exponents use modPow / modPowSecret).
   */
  tables(): { s: FixedBaseTable; t: FixedBaseTable } {
    if (!this.#tables) {
      const maxBits = this.N.toString(2).length + this.profile.ell + this.profile.epsilon + 64;
      this.#tables = { s: new FixedBaseTable(this.s, this.N, maxBits, 4), t: new FixedBaseTable(this.t, this.N, maxBits, 4) };
    }
    return this.#tables;
  }

  /** An element of Z*_N̂ (commitments): throws RING_PEDERSEN_INVALID otherwise. */
  validateElement(v: unknown, title = 'element'): bigint {
    abig(v, title);
    const x = v as bigint;
    if (x <= 0n || x >= this.N || gcd(x, this.N) !== 1n) fail('RING_PEDERSEN_INVALID', `${title}: not in Z*_N̂`);
    return x;
  }

  /** N̂ ‖ s ‖ t, each fixed-width big-endian of N̂'s byte length. */
  toBytes(): Uint8Array {
    const L = this.byteLength;
    const out = new Uint8Array(3 * L);
    out.set(numberToBytesBE(this.N, L), 0);
    out.set(numberToBytesBE(this.s, L), L);
    out.set(numberToBytesBE(this.t, L), 2 * L);
    return out;
  }

  static fromBytes(bytes: Uint8Array, profile: ProfileName | SecurityProfile = 'default'): RingPedersenParams {
    if (!(bytes instanceof Uint8Array) || bytes.length === 0 || bytes.length % 3 !== 0) fail('INVALID_LENGTH', 'ring-Pedersen bytes: expected 3 equal fields');
    const L = bytes.length / 3;
    return new RingPedersenParams(
      bytesToNumberBE(bytes.subarray(0, L)),
      bytesToNumberBE(bytes.subarray(L, 2 * L)),
      bytesToNumberBE(bytes.subarray(2 * L)),
      profile,
    );
  }

  equals(o: RingPedersenParams): boolean {
    return o instanceof RingPedersenParams && o.N === this.N && o.s === this.s && o.t === this.t;
  }

  toJSON(): { N: string; s: string; t: string; profile: ProfileName } {
    return { N: this.N.toString(16), s: this.s.toString(16), t: this.t.toString(16), profile: this.profile.name };
  }
}

/** The owner's ring-Pedersen secret: λ with s = t^λ, and φ(N) (the Πprm witness). */
export class RingPedersenSecret {
  readonly params: RingPedersenParams;
  readonly #lambda: bigint;
  readonly #phi: bigint;
  constructor(params: RingPedersenParams, lambda: bigint, phi: bigint) {
    this.params = params;
    this.#lambda = lambda;
    this.#phi = phi;
  }
  /** λ (secret). */
  get lambda(): bigint {
    return this.#lambda;
  }
  /** φ(N) (secret). */
  get phi(): bigint {
    return this.#phi;
  }
  toJSON(): { params: ReturnType<RingPedersenParams['toJSON']>; secret: '<redacted>' } {
    return { params: this.params.toJSON(), secret: '<redacted>' };
  }
  toString(): string {
    return 'RingPedersenSecret(<redacted>)';
  }
  [INSPECT](): string {
    return this.toString();
  }
}

/**
 * Generate (N, s, t) on the owner's Paillier key: r ← Z*_N, t = r² mod N, λ ← Z_φ(N), s = t^λ mod N
 * (secret exponent on the constant-time route, by CRT). Requires safe primes (checked) so that
 * ⟨t⟩ = QR_N; resamples in the negligible cases s = t or s, t ∈ {1, N − 1}.
 */
export function generateRingPedersen(sk: PaillierSecretKey, rng: Rng = cryptoRng): RingPedersenSecret {
  if (!sk.isSafe()) fail('RING_PEDERSEN_INVALID', 'ring-Pedersen parameters need a key made of safe primes');
  const N = sk.n;
  const phi = sk.phi;
  const crt = sk.crtN;
  for (;;) {
    const r = randomBelow(rng, N);
    if (r <= 1n || gcd(r, N) !== 1n) continue;
    const t = (r * r) % N;
    const lambda = randomBelow(rng, phi);
    const s = crt.pow(t, lambda, { secret: true });
    if (t <= 1n || s <= 1n || t === N - 1n || s === N - 1n || s === t) continue;
    return new RingPedersenSecret(new RingPedersenParams(N, s, t, sk.publicKey.profile), lambda, phi);
  }
}
