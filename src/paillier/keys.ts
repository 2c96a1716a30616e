/**
 * Paillier encryption with g = N + 1 (CGGMP's enc(m; ρ) = (1 + N)^m · ρ^N mod N²):
 * - encryption costs one multiplication for (1 + N)^m = 1 + mN and one exponentiation ρ^N;
 *   the key owner encrypts with CRT (mod p², q²);
 * - decryption by CRT into the signed range (−N/2, N/2];
 * - every ciphertext that enters an operation is checked to lie in Z*_{N²};
 * - N is checked against the size bounds of its security profile.
 * Secret keys redact themselves in `toJSON` and `util.inspect`; exporting them is explicit.
 * @module
 */
import { abytes, bytesToNumberBE, concatBytes, numberToBytesBE, numberToBytesMin } from '../bytes.js';
import { fail } from '../errors.js';
import { cryptoRng, randomBelow, type Rng } from '../rng.js';
import { gcd, hasSmallFactor, isProbablePrime, modInv } from '../bigint/arith.js';
import { CrtContext, FixedExponent, modPow, modPowSecret } from '../bigint/modexp.js';
import { generatePrime, isSafePrime } from '../bigint/primes.js';
import { assertModulusSize, getProfile, type ProfileName, type SecurityProfile } from './profiles.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');
/** Bounds of a public key's memos (cleared when full): a presign touches ~20 values per key. */
const UNIT_MEMO = 256;
const INVERSE_MEMO = 16;

function abig(x: unknown, title: string): bigint {
  if (typeof x !== 'bigint') fail('INVALID_ARGUMENT', `${title}: expected bigint`);
  return x;
}

function byteLen(x: bigint): number {
  return Math.ceil(x.toString(2).length / 8);
}

/** A Paillier public key N (g = N + 1). */
export class PaillierPublicKey {
  readonly n: bigint;
  readonly n2: bigint;
  readonly profile: SecurityProfile;
  /** (N − 1)/2: plaintexts above it decrypt as negative numbers. */
  readonly halfN: bigint;
  /** Byte length of N and of ciphertexts (N²), for fixed-width encodings. */
  readonly nBytes: number;
  readonly n2Bytes: number;
  /** ρ ↦ ρ^N mod N² (a reusable OpenSSL context in Node, built on first use). */
  #nth: FixedExponent | undefined;
  /**
   * PUBLIC values x already shown to have gcd(x, N) = 1 (ciphertexts, verifiers' proof values),
   * so the checks a value meets again (decode, verifier membership, `powPublic`, `mul`) cost a
   * lookup instead of a gcd. Bounded; only public values are ever added (never a prover's nonce).
   */
  readonly #units = new Set<bigint>();
  /** c → c⁻¹ mod N² for recent PUBLIC ciphertexts of `mul` (the same K_j is raised ~4 times per presign). */
  readonly #inverses = new Map<bigint, bigint>();

  /**
   * Checks: N odd, within the profile's size bounds, without prime factors below 2000, not a
   * perfect square. (That N is a Paillier-Blum biprime with no small factors is what Πmod and Πfac
   * prove; those proofs are verified in the aux-info protocol before a peer's key is stored.)
   */
  constructor(n: bigint, profile: ProfileName | SecurityProfile = 'default') {
    abig(n, 'N');
    this.profile = getProfile(profile);
    assertModulusSize(n, this.profile);
    if ((n & 1n) === 0n) fail('INVALID_MODULUS', 'N: must be odd');
    if (hasSmallFactor(n)) fail('INVALID_MODULUS', 'N: has a small prime factor');
    const r = isqrt(n);
    if (r * r === n) fail('INVALID_MODULUS', 'N: is a perfect square');
    this.n = n;
    this.n2 = n * n;
    this.halfN = (n - 1n) >> 1n;
    this.nBytes = byteLen(n);
    this.n2Bytes = byteLen(this.n2);
  }

  /** True when c ∈ Z*_{N²}: 0 < c < N² and gcd(c, N) = 1. */
  isValidCiphertext(c: unknown): c is bigint {
    return typeof c === 'bigint' && c > 0n && c < this.n2 && this.#coprimePublic(c);
  }

  /** True when a PUBLIC value w ∈ Z*_N (a proof's nonce response): 0 < w < N and gcd(w, N) = 1. */
  isValidPublicNonce(w: unknown): w is bigint {
    return typeof w === 'bigint' && w > 0n && w < this.n && this.#coprimePublic(w);
  }

  /**
   * True when gcd(x, N) = 1 for every PUBLIC x in `xs` (any sign and size): one gcd of the product
   * Π x mod N (a prime r | N divides the product iff it divides some x). On true every x is
   * remembered, so the membership checks that follow are lookups; on false nothing is, and the
   * caller's checks run one by one as before (they find the first offender). Exact: no check
   * is replaced by a probabilistic one.
   */
  areCoprimePublic(xs: readonly bigint[]): boolean {
    let acc = 1n;
    let fresh = 0;
    for (const x of xs) {
      if (typeof x !== 'bigint') return false;
      if (this.#units.has(x)) continue;
      acc = (acc * (x % this.n)) % this.n;
      fresh++;
    }
    if (fresh > 0 && gcd(acc, this.n) !== 1n) return false;
    for (const x of xs) this.#remember(x);
    return true;
  }

  #remember(x: bigint): void {
    if (this.#units.size >= UNIT_MEMO) this.#units.clear();
    this.#units.add(x);
  }

  /** gcd(x, N) = 1 for a public x, through the memo. */
  #coprimePublic(x: bigint): boolean {
    if (this.#units.has(x)) return true;
    if (gcd(x, this.n) !== 1n) return false;
    this.#remember(x);
    return true;
  }

  /** Throws PAILLIER_INVALID_CIPHERTEXT unless c ∈ Z*_{N²}. */
  validateCiphertext(c: unknown, title = 'ciphertext'): bigint {
    if (typeof c !== 'bigint') fail('INVALID_ARGUMENT', `${title}: expected bigint`);
    if (!this.isValidCiphertext(c)) fail('PAILLIER_INVALID_CIPHERTEXT', `${title}: not in Z*_{N²}`);
    return c;
  }

  /** Throws unless ρ ∈ Z*_N. */
  validateNonce(rho: unknown, title = 'nonce'): bigint {
    abig(rho, title);
    const r = rho as bigint;
    // a memo hit is a public value checked before; a secret nonce is looked up, never added
    if (r <= 0n || r >= this.n || (!this.#units.has(r) && gcd(r, this.n) !== 1n)) fail('PAILLIER_PLAINTEXT_RANGE', `${title}: not in Z*_N`);
    return r;
  }

  /** Plaintexts accepted by `encrypt`: −N < m < N (reduced mod N). */
  #plain(m: unknown): bigint {
    abig(m, 'm');
    const v = m as bigint;
    if (v <= -this.n || v >= this.n) fail('PAILLIER_PLAINTEXT_RANGE', 'm: must satisfy −N < m < N');
    return v < 0n ? v + this.n : v;
  }

  /** A uniform nonce ρ ∈ Z*_N. */
  sampleNonce(rng: Rng = cryptoRng): bigint {
    for (;;) {
      const r = randomBelow(rng, this.n);
      if (r !== 0n && gcd(r, this.n) === 1n) return r;
    }
  }

  /** (1 + N)^m mod N² = 1 + (m mod N)·N. */
  gm(m: bigint): bigint {
    return 1n + this.#plain(m) * this.n;
  }

  /** enc(m; ρ) = (1 + mN) · ρ^N mod N². ρ ∈ Z*_N. */
  encryptWithNonce(m: bigint, rho: bigint): bigint {
    const g = this.gm(m);
    return this.#enc(g, this.validateNonce(rho, 'rho'));
  }

  /** ρ^N mod N² for ρ ∈ Z*_N. */
  nthPower(rho: bigint): bigint {
    if (!this.#nth) this.#nth = new FixedExponent(this.n, this.n2);
    return this.#nth.pow(rho);
  }

  /** (1 + mN) · ρ^N mod N² for a checked ρ. */
  #enc(g: bigint, rho: bigint): bigint {
    return (g * this.nthPower(rho)) % this.n2;
  }

  /**
   * Offline half of an encryption: a fresh ρ ∈ Z*_N and ρ^N mod N² (the one exponentiation).
   * Compute these ahead of time (idle time, a worker) and finish with `encryptWithNoncePower`.
   * Each one is single-use: reusing it reuses the nonce.
   */
  precomputeNonce(rng: Rng = cryptoRng): { nonce: bigint; noncePower: bigint } {
    const nonce = this.sampleNonce(rng);
    return { nonce, noncePower: this.nthPower(nonce) };
  }

  /** Online half: (1 + mN) · noncePower mod N² (one multiplication); same ciphertext as `encryptWithNonce(m, nonce)`. */
  encryptWithNoncePower(m: bigint, pre: { noncePower: bigint }): bigint {
    const g = this.gm(m);
    const r = pre?.noncePower;
    if (typeof r !== 'bigint' || r <= 0n || r >= this.n2) fail('PAILLIER_PLAINTEXT_RANGE', 'noncePower: not in (0, N²)');
    return (g * r) % this.n2;
  }

  /** enc(m; ρ) with a fresh nonce; returns the ciphertext. */
  encrypt(m: bigint, rng: Rng = cryptoRng): bigint {
    return this.encryptAndNonce(m, rng).ciphertext;
  }

  /** enc(m; ρ) with a fresh nonce; returns both (provers need ρ). */
  encryptAndNonce(m: bigint, rng: Rng = cryptoRng): { ciphertext: bigint; nonce: bigint } {
    const g = this.gm(m);
    const nonce = this.sampleNonce(rng);
    return { ciphertext: this.#enc(g, nonce), nonce };
  }

  /** Homomorphic addition: enc(m1 + m2) = c1 · c2 mod N². */
  add(c1: bigint, c2: bigint): bigint {
    this.validateCiphertext(c1, 'c1');
    this.validateCiphertext(c2, 'c2');
    return (c1 * c2) % this.n2;
  }

  /** enc(m + k) from enc(m) and a plaintext k (no fresh randomness). */
  addPlain(c: bigint, k: bigint): bigint {
    this.validateCiphertext(c, 'c');
    return (c * this.gm(k)) % this.n2;
  }

  /**
   * Homomorphic scalar multiplication: enc(k · m) = c^k mod N². k may be negative (the inverse of c
   * is always computed, so the sign costs no visible branch of its own) and secret: the power is on
   * the constant-time route.
   */
  mul(c: bigint, k: bigint): bigint {
    this.validateCiphertext(c, 'c');
    abig(k, 'k');
    if (k <= -this.n2 || k >= this.n2) fail('PAILLIER_PLAINTEXT_RANGE', 'k: must satisfy |k| < N²');
    const inv = this.#inverse(c);
    return k < 0n ? modPowSecret(inv, -k, this.n2) : modPowSecret(c, k, this.n2);
  }

  /** c⁻¹ mod N² for a public ciphertext, remembered for the next few calls. */
  #inverse(c: bigint): bigint {
    let inv = this.#inverses.get(c);
    if (inv === undefined) {
      inv = modInv(c, this.n2);
      if (this.#inverses.size >= INVERSE_MEMO) this.#inverses.clear();
      this.#inverses.set(c, inv);
    }
    return inv;
  }

  /**
   * c^e mod N² for a ciphertext c ∈ Z*_{N²} (PAILLIER_INVALID_CIPHERTEXT otherwise) and a PUBLIC
   * signed exponent e (verification equations; variable time). The owner's fast key
   * (protocols/aux/materialize.ts) computes the same by CRT.
   */
  powPublic(c: bigint, e: bigint): bigint {
    this.validateCiphertext(c, 'c');
    abig(e, 'e');
    return modPow(c, e, this.n2);
  }

  /** Re-randomise: c · ρ^N for a fresh ρ. */
  rerandomize(c: bigint, rng: Rng = cryptoRng): bigint {
    this.validateCiphertext(c, 'c');
    return (c * this.nthPower(this.sampleNonce(rng))) % this.n2;
  }

  /** N as big-endian bytes (minimal). */
  toBytes(): Uint8Array {
    return numberToBytesMin(this.n);
  }

  /** Parse N from big-endian bytes and validate it against `profile`. */
  static fromBytes(bytes: Uint8Array, profile: ProfileName | SecurityProfile = 'default'): PaillierPublicKey {
    abytes(bytes, 'bytes');
    return new PaillierPublicKey(bytesToNumberBE(bytes), profile);
  }

  /** A ciphertext as fixed-width big-endian bytes (the byte length of N²). */
  ciphertextToBytes(c: bigint): Uint8Array {
    this.validateCiphertext(c);
    return numberToBytesBE(c, this.n2Bytes);
  }

  /** Parse and validate a fixed-width ciphertext. */
  ciphertextFromBytes(bytes: Uint8Array): bigint {
    abytes(bytes, 'ciphertext', this.n2Bytes);
    return this.validateCiphertext(bytesToNumberBE(bytes));
  }

  equals(other: PaillierPublicKey): boolean {
    return other instanceof PaillierPublicKey && other.n === this.n;
  }

  toJSON(): { n: string; profile: ProfileName } {
    return { n: this.n.toString(16), profile: this.profile.name };
  }
}

/** Integer square root (floor). */
function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** The owner's reusable exponentiation contexts (decryption and CRT encryption). */
interface OwnerContexts {
  decP: FixedExponent;
  decQ: FixedExponent;
  encP1: FixedExponent;
  encP2: FixedExponent;
  encQ1: FixedExponent;
  encQ2: FixedExponent;
}

/** A Paillier secret key: the primes p, q of N (and what CRT needs). */
export class PaillierSecretKey {
  readonly publicKey: PaillierPublicKey;
  readonly #p: bigint;
  readonly #q: bigint;
  readonly #crt2: CrtContext; // mod p², q²
  readonly #crt1: CrtContext; // mod p, q
  readonly #hp: bigint; // (L_p((1+N)^(p−1) mod p²))^{-1} mod p = (−q)^{-1} mod p
  readonly #hq: bigint;
  readonly #p2: bigint;
  readonly #q2: bigint;
  #fx: OwnerContexts | undefined;
  #destroyed = false;

  /** Use `paillierFromPrimes` (validating) or `generatePaillierKey`. */
  private constructor(p: bigint, q: bigint, profile: SecurityProfile) {
    if (p < q) [p, q] = [q, p];
    this.#p = p;
    this.#q = q;
    this.publicKey = new PaillierPublicKey(p * q, profile);
    this.#p2 = p * p;
    this.#q2 = q * q;
    this.#crt2 = new CrtContext([
      [p, 2],
      [q, 2],
    ]);
    this.#crt1 = new CrtContext([
      [p, 1],
      [q, 1],
    ]);
    this.#hp = modInv(-q, p);
    this.#hq = modInv(-p, q);
  }

  /** @internal construct after validation. */
  static fromValidatedPrimes(p: bigint, q: bigint, profile: SecurityProfile): PaillierSecretKey {
    return new PaillierSecretKey(p, q, profile);
  }

  #alive(): void {
    if (this.#destroyed) fail('INVALID_ARGUMENT', 'PaillierSecretKey: the key was destroyed');
  }

  /**
   * Reusable exponentiation contexts (OpenSSL DH objects in Node), built on first use.
   * Owner encryption uses ρ^N mod p² = ω(ρ^(q mod (p−1)) mod p) with ω(x) = x^p mod p² (the
   * Teichmüller lift: Z*_{p²} = μ_{p−1} × (1 + pℤ) and (1 + pt)^N ≡ 1), i.e. a 1024-bit power mod p
   * and a 1024-bit power mod p² instead of a 2048-bit power mod p²; both exponents are secret, so
   * both run constant-time.
   */
  #ctx(): OwnerContexts {
    if (!this.#fx) {
      const p = this.#p;
      const q = this.#q;
      this.#fx = {
        decP: new FixedExponent(p - 1n, this.#p2, { secret: true }),
        decQ: new FixedExponent(q - 1n, this.#q2, { secret: true }),
        encP1: new FixedExponent(q % (p - 1n), p, { secret: true, primeModulus: true }),
        encP2: new FixedExponent(p, this.#p2, { secret: true }),
        encQ1: new FixedExponent(p % (q - 1n), q, { secret: true, primeModulus: true }),
        encQ2: new FixedExponent(q, this.#q2, { secret: true }),
      };
    }
    return this.#fx;
  }
  get n(): bigint {
    return this.publicKey.n;
  }
  /** The larger prime. Secret. */
  get p(): bigint {
    this.#alive();
    return this.#p;
  }
  /** The smaller prime. Secret. */
  get q(): bigint {
    this.#alive();
    return this.#q;
  }
  /** φ(N) = (p − 1)(q − 1). Secret. */
  get phi(): bigint {
    this.#alive();
    return (this.#p - 1n) * (this.#q - 1n);
  }
  /** CRT context mod (p², q²) for callers that exponentiate under their own key (secret). */
  get crtN2(): CrtContext {
    this.#alive();
    return this.#crt2;
  }
  /** CRT context mod (p, q). Secret. */
  get crtN(): CrtContext {
    this.#alive();
    return this.#crt1;
  }
  /** p ≡ q ≡ 3 (mod 4) (a Paillier-Blum modulus, what Πmod proves). */
  get isBlum(): boolean {
    return (this.#p & 3n) === 3n && (this.#q & 3n) === 3n;
  }
  /** Both primes are safe primes (what ring-Pedersen parameters need). Runs Miller–Rabin. */
  isSafe(rounds = 20): boolean {
    this.#alive();
    return isSafePrime(this.#p, rounds) && isSafePrime(this.#q, rounds);
  }

  /** Ciphertext check with the factors: 0 < c < N², p ∤ c, q ∤ c. */
  isValidCiphertext(c: unknown): c is bigint {
    return typeof c === 'bigint' && c > 0n && c < this.publicKey.n2 && c % this.#p !== 0n && c % this.#q !== 0n;
  }

  /**
   * Decrypt into the signed range (−N/2, N/2] (i.e. [−(N−1)/2, (N−1)/2], N odd), by CRT:
   * m_p = L_p(c^(p−1) mod p²) · h_p mod p, likewise for q. The secret exponents p − 1, q − 1 run on
   * the constant-time route.
   */
  decrypt(c: bigint): bigint {
    const m = this.decryptUnsigned(c);
    return m > this.publicKey.halfN ? m - this.publicKey.n : m;
  }

  /** Decrypt into [0, N). */
  decryptUnsigned(c: bigint): bigint {
    this.#alive();
    abig(c, 'ciphertext');
    if (!this.isValidCiphertext(c)) fail('PAILLIER_INVALID_CIPHERTEXT', 'ciphertext: not in Z*_{N²}');
    const p = this.#p;
    const q = this.#q;
    const ctx = this.#ctx();
    const xp = ctx.decP.pow(c % this.#p2);
    const xq = ctx.decQ.pow(c % this.#q2);
    const mp = ((((xp - 1n) / p) % p) * this.#hp) % p;
    const mq = ((((xq - 1n) / q) % q) * this.#hq) % q;
    return this.#crt1.combine(mp, mq);
  }

  /** ρ^N mod N² by CRT and the Teichmüller lift (see `#ctx`). */
  #rhoN(rho: bigint): bigint {
    const ctx = this.#ctx();
    const rp = ctx.encP2.pow(ctx.encP1.pow(rho % this.#p));
    const rq = ctx.encQ2.pow(ctx.encQ1.pow(rho % this.#q));
    return this.#crt2.combine(rp, rq);
  }

  /** enc(m; ρ) computed with CRT (the owner's fast path; same result as the public key's). */
  encryptWithNonce(m: bigint, rho: bigint): bigint {
    this.#alive();
    const pk = this.publicKey;
    const g = pk.gm(m);
    const r = pk.validateNonce(rho, 'rho');
    return (g * this.#rhoN(r)) % pk.n2;
  }

  /**
   * Offline half of an encryption under the own key: a fresh ρ ∈ Z*_N and ρ^N mod N² by CRT (same
   * values as the public key's `precomputeNonce`; single use, finish with `encryptWithNoncePower`).
   */
  precomputeNonce(rng: Rng = cryptoRng): { nonce: bigint; noncePower: bigint } {
    this.#alive();
    const nonce = this.publicKey.sampleNonce(rng);
    return { nonce, noncePower: this.#rhoN(nonce) };
  }

  /** enc(m) with a fresh nonce via CRT. */
  encrypt(m: bigint, rng: Rng = cryptoRng): bigint {
    return this.encryptWithNonce(m, this.publicKey.sampleNonce(rng));
  }

  /** enc(m) with a fresh nonce via CRT; returns both. */
  encryptAndNonce(m: bigint, rng: Rng = cryptoRng): { ciphertext: bigint; nonce: bigint } {
    const nonce = this.publicKey.sampleNonce(rng);
    return { ciphertext: this.encryptWithNonce(m, nonce), nonce };
  }

  /**
   * Recover the nonce ρ ∈ Z*_N of a ciphertext c = (1+N)^m ρ^N: ρ = (c mod N)^(N^{-1} mod φ) mod N
   * (the secret exponent runs on the constant-time route, per CRT half).
   */
  recoverNonce(c: bigint): bigint {
    this.#alive();
    if (!this.isValidCiphertext(c)) fail('PAILLIER_INVALID_CIPHERTEXT', 'ciphertext: not in Z*_{N²}');
    const p = this.#p;
    const q = this.#q;
    const n = this.publicKey.n;
    const rp = modPowSecret(c % p, modInv(n % (p - 1n), p - 1n), p);
    const rq = modPowSecret(c % q, modInv(n % (q - 1n), q - 1n), q);
    return this.#crt1.combine(rp, rq);
  }

  /** Explicit export of the secret primes as bigints. */
  exportPrimes(): { p: bigint; q: bigint } {
    this.#alive();
    return { p: this.#p, q: this.#q };
  }

  /**
   * Explicit export as bytes: u16 length ‖ p ‖ u16 length ‖ q, big-endian. SECRET: encrypt before
   * storing (e.g. to a factor key).
   */
  exportSecretBytes(): Uint8Array {
    this.#alive();
    const enc = (x: bigint): Uint8Array => {
      const b = numberToBytesMin(x);
      return concatBytes(new Uint8Array([b.length >> 8, b.length & 0xff]), b);
    };
    return concatBytes(enc(this.#p), enc(this.#q));
  }

  /** Inverse of `exportSecretBytes`, with the checks of `paillierFromPrimes`. */
  static fromSecretBytes(bytes: Uint8Array, profile: ProfileName | SecurityProfile = 'default'): PaillierSecretKey {
    abytes(bytes, 'bytes');
    let off = 0;
    const read = (): bigint => {
      if (off + 2 > bytes.length) fail('INVALID_LENGTH', 'secret key bytes: truncated');
      const len = (bytes[off]! << 8) | bytes[off + 1]!;
      off += 2;
      if (len === 0 || off + len > bytes.length) fail('INVALID_LENGTH', 'secret key bytes: truncated');
      const v = bytesToNumberBE(bytes.subarray(off, off + len));
      off += len;
      return v;
    };
    const p = read();
    const q = read();
    if (off !== bytes.length) fail('INVALID_LENGTH', 'secret key bytes: trailing data');
    return paillierFromPrimes(p, q, profile);
  }

  /** Forget the key: later calls throw. (BigInts cannot be zeroed in JS; references are dropped.) */
  destroy(): void {
    this.#destroyed = true;
  }

  toJSON(): { n: string; profile: ProfileName; secret: '<redacted>' } {
    return { n: this.publicKey.n.toString(16), profile: this.publicKey.profile.name, secret: '<redacted>' };
  }
  toString(): string {
    return `PaillierSecretKey(${this.publicKey.n.toString(2).length}-bit N, <redacted>)`;
  }
  [INSPECT](): string {
    return this.toString();
  }
}

/**
 * A secret key from primes p, q, validated: distinct probable primes (Miller–Rabin) whose product
 * is within the profile's size bounds. Safe-prime and Blum properties are reported by `isSafe()`
 * and `isBlum` (ring-Pedersen generation and Πmod require them).
 */
export function paillierFromPrimes(p: bigint, q: bigint, profile: ProfileName | SecurityProfile = 'default'): PaillierSecretKey {
  abig(p, 'p');
  abig(q, 'q');
  const pr = getProfile(profile);
  if (p === q) fail('PAILLIER_INVALID_KEY', 'p and q must be distinct');
  if (p < 3n || q < 3n) fail('PAILLIER_INVALID_KEY', 'p and q must be odd primes');
  assertModulusSize(p * q, pr);
  if (!isProbablePrime(p, 20) || !isProbablePrime(q, 20)) fail('PAILLIER_INVALID_KEY', 'p and q must be primes');
  // gcd(N, φ(N)) = 1 holds for distinct primes of equal size; check anyway (cheap)
  if (gcd(p * q, (p - 1n) * (q - 1n)) !== 1n) fail('PAILLIER_INVALID_KEY', 'gcd(N, φ(N)) ≠ 1');
  return PaillierSecretKey.fromValidatedPrimes(p, q, pr);
}

/**
 * A fresh key from two safe primes of the profile's size (async: in Node the primes come from
 * OpenSSL on libuv's thread pool; ~0.7 s median per 1024-bit safe prime, heavy tail). Pass an `Rng`
 * (or `{rng}`) for reproducible JS-sieve generation, or `{primes}` to take primes from a `PrimePool`
 * (`{primes: () => pool.take()}`).
 */
export async function generatePaillierKey(
  profile: ProfileName | SecurityProfile = 'default',
  rngOrOpts: Rng | { rng?: Rng; primes?: () => Promise<bigint> } = {},
): Promise<PaillierSecretKey> {
  const pr = getProfile(profile);
  const opts: { rng?: Rng; primes?: () => Promise<bigint> } =
    typeof (rngOrOpts as Rng).bytes === 'function' ? { rng: rngOrOpts as Rng } : (rngOrOpts as { rng?: Rng; primes?: () => Promise<bigint> });
  const next =
    opts.primes ?? (() => generatePrime(pr.primeBits, opts.rng ? { kind: 'safe', rng: opts.rng } : { kind: 'safe' }));
  // with the platform RNG both primes are drawn concurrently (OpenSSL runs on libuv's pool);
  // a seeded JS sieve stays sequential so the draw order is reproducible
  const [p, q] = opts.rng ? [await next(), await next()] : await Promise.all([next(), next()]);
  if (p.toString(2).length !== pr.primeBits || q.toString(2).length !== pr.primeBits) {
    fail('PRIME_GENERATION_FAILED', `expected two ${pr.primeBits}-bit primes`);
  }
  // equal primes (probability ~2^−1000 unless a supplier repeats itself): a bug, not bad luck
  if (p === q) fail('PRIME_GENERATION_FAILED', 'the two primes are equal');
  if (!isSafePrime(p, 2) || !isSafePrime(q, 2)) fail('PRIME_GENERATION_FAILED', 'generated primes are not safe primes');
  // both primes have their top bit set, so N has 2·primeBits − 1 or 2·primeBits bits: within bounds
  return PaillierSecretKey.fromValidatedPrimes(p, q, pr);
}
