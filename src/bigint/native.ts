/**
 * Native modular exponentiation through OpenSSL in `node:crypto`, without an addon.
 *
 * - RSA route: `publicEncrypt({key: RSA public key {n: m, e}, padding: RSA_NO_PADDING}, b)` is
 *   b^e mod m (BN_mod_exp_mont, variable time: PUBLIC data only). OpenSSL limits: m odd, e < m,
 *   and for m over 3072 bits e must fit in 64 bits. Exponents up to 64 bits longer than m are split
 *   as hi·2^s + lo (`rsaFeasible`); anything else goes to the DH route.
 * - DH route: BN_mod_exp_mont_consttime (constant time in the exponent's value for its word length)
 *   in three forms: `dhPow` (createDiffieHellman on a padded modulus, see `dhModulus`),
 *   `dhPkcs8Pow` (a PKCS#8 DH private key), and the reusable objects `NativeFixedExp` /
 *   `NativeFixedBase`. Limits: m odd, 512 ≤ bits(m) ≤ 10000, b ∉ {0, 1} ("bad generator").
 *
 * `node:crypto` is reached through `process.getBuiltinModule` (Node ≥ 20.16): there is no static
 * import, so bundlers for browsers never see it and this module loads (and reports "unavailable")
 * wherever `process` is missing. `enableNativeBackend()` covers older Node through a dynamic import.
 * @module
 */
import type * as NodeCryptoModule from 'node:crypto';

type NodeCrypto = typeof NodeCryptoModule;

interface ProcessLike {
  versions?: { node?: string };
  getBuiltinModule?: (id: string) => unknown;
}

function probe(): NodeCrypto | undefined {
  try {
    const proc = (globalThis as { process?: ProcessLike }).process;
    if (!proc?.versions?.node || typeof proc.getBuiltinModule !== 'function') return undefined;
    const c = proc.getBuiltinModule('node:crypto') as NodeCrypto | undefined;
    return c && typeof c.createDiffieHellman === 'function' && typeof c.publicEncrypt === 'function' ? c : undefined;
  } catch {
    return undefined;
  }
}

let nc: NodeCrypto | undefined = probe();

/** True when the OpenSSL routes are usable in this runtime. */
export function nativeAvailable(): boolean {
  return nc !== undefined;
}

/**
 * Load `node:crypto` by dynamic import when `process.getBuiltinModule` is missing (Node < 20.16).
 * Resolves to whether the native routes are now available. Never throws.
 */
export async function enableNativeBackend(): Promise<boolean> {
  if (nc) return true;
  const proc = (globalThis as { process?: ProcessLike }).process;
  if (!proc?.versions?.node) return false;
  try {
    const spec = 'node:crypto';
    const mod = (await import(/* @vite-ignore */ /* webpackIgnore: true */ spec)) as NodeCrypto & { default?: NodeCrypto };
    const c = typeof mod.createDiffieHellman === 'function' ? mod : mod.default;
    if (c && typeof c.createDiffieHellman === 'function') nc = c;
  } catch {
    /* stays portable */
  }
  return nc !== undefined;
}

/** Test hook: pretend `node:crypto` is absent (`false`) or probe again (`true`). */
export function setNativeForTesting(enabled: boolean): void {
  nc = enabled ? probe() : undefined;
}

type BufferCtor = { from(s: string, enc: string): Uint8Array & { toString(enc: string): string } };
const Buf = (globalThis as { Buffer?: BufferCtor }).Buffer;

function hexEven(x: bigint): string {
  const h = x.toString(16);
  return h.length & 1 ? '0' + h : h;
}
function toBuf(x: bigint, len?: number): Uint8Array {
  const h = hexEven(x);
  return Buf!.from(len === undefined ? h : h.padStart(len * 2, '0'), 'hex');
}
function fromBuf(b: Uint8Array): bigint {
  const h = (b as Uint8Array & { toString(enc: string): string }).toString('hex');
  return h.length === 0 ? 0n : BigInt('0x' + h);
}

/** Smallest modulus size (bits) OpenSSL's DH accepts. */
export const DH_MIN_BITS = 512;
/** Largest modulus size (bits) we send to OpenSSL's DH (its limit, 10000, minus the padding). */
export const DH_MAX_BITS = 10000 - 512;
/** OpenSSL's RSA: moduli above this many bits accept only exponents of ≤ 64 bits. */
export const RSA_SMALL_MODULUS_BITS = 3072;
/** OpenSSL's RSA modulus ceiling. */
export const RSA_MAX_BITS = 16384;

/**
 * Node's `createDiffieHellman(m, g)` runs OpenSSL's DH_check on m: trial division, then Miller–Rabin.
 * A modulus without small factors (p², N, N², a prime) costs at least one full-size modexp there
 * (a prime: 64 rounds — 27 ms at 1024 bits). We therefore exponentiate modulo m' = k·m with 3 | k,
 * which fails the trial division at once, and reduce the result mod m. k pads m' to a multiple of
 * 512 bits: OpenSSL's fast Montgomery code wants a multiple of 8 words (measured: a 2050-bit
 * modulus is 2× slower than a 2560-bit one). Moduli with a factor below 64 are used as they are.
 */
const dhModCache = new Map<bigint, bigint>();
const TRIAL = [3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n, 41n, 43n, 47n, 53n, 59n, 61n];

export function dhModulus(m: bigint, mBits: number): bigint {
  const hit = dhModCache.get(m);
  if (hit !== undefined) return hit;
  let out = m;
  if (!TRIAL.some((d) => m % d === 0n)) {
    const T = Math.ceil((mBits + 2) / 512) * 512;
    let k = ((1n << BigInt(T)) - 1n) / m; // ≥ 3 since T ≥ mBits + 2
    k -= (((k - 3n) % 6n) + 6n) % 6n; // k ≡ 3 (mod 6): odd and divisible by 3
    out = k * m;
  }
  if (dhModCache.size > 64) dhModCache.clear();
  dhModCache.set(m, out);
  return out;
}

/**
 * DH route: base^exp mod m, constant time in exp's value (for its word length). Requires m odd
 * with bits in [DH_MIN_BITS, DH_MAX_BITS − 512], 2 ≤ base < m, exp ≥ 1.
 */
export function dhPow(base: bigint, exp: bigint, m: bigint, mBits = m.toString(2).length): bigint {
  const mm = dhModulus(m, mBits);
  const dh = nc!.createDiffieHellman(toBuf(mm), toBuf(base));
  dh.setPrivateKey(toBuf(exp));
  const r = fromBuf(dh.generateKeys());
  return mm === m ? r : r % m;
}

// --- reusable DH objects: fixed exponent or fixed base ---------------------------------------------
//
// A `DiffieHellman` object keeps its modulus, Montgomery context and key between calls, so its
// one-time DH_check is paid once and the modulus needs no padding:
// - fixed exponent, varying base: `setPrivateKey(e)` once, then `computeSecret(base)` = base^e mod m
//   (decryption's c^(p−1) mod p², encryption's ρ^N mod N²);
// - fixed base, varying exponent: `createDiffieHellman(m, base)`, then `setPrivateKey(e)` and
//   `generateKeys()` = base^e mod m (ring-Pedersen s^x, t^y).
// Both run BN_mod_exp_mont_consttime. Measured: p−1 mod p² 0.91 ms (PKCS#8 form 1.40), N mod N²
// 7.0 ms (7.8), s^x for a 768-bit x mod 2048-bit N̂ 0.69 ms.

type DH = ReturnType<NodeCrypto['createDiffieHellman']>;

/**
 * base^exp mod m for a fixed exp (1 ≤ exp) and odd m in the DH range; bases in [2, m − 2].
 * Returns undefined when the result is 1 or m − 1: OpenSSL refuses such shared secrets
 * (SP 800-56A), and the caller recomputes on another route.
 */
export class NativeFixedExp {
  readonly #dh: DH;
  readonly #m: bigint;
  readonly #padded: boolean;
  /** `padded`: work modulo `dhModulus(m)` (for prime m, whose one-time DH_check would cost 64 rounds). */
  constructor(exp: bigint, m: bigint, padded = false) {
    const mm = padded ? dhModulus(m, m.toString(2).length) : m;
    this.#m = m;
    this.#padded = mm !== m;
    this.#dh = nc!.createDiffieHellman(toBuf(mm), toBuf(2n));
    this.#dh.setPrivateKey(toBuf(exp));
  }
  pow(base: bigint): bigint | undefined {
    try {
      const r = fromBuf(this.#dh.computeSecret(toBuf(base)));
      return this.#padded ? r % this.#m : r;
    } catch {
      return undefined;
    }
  }
}

/** base^exp mod m for a fixed base in [2, m − 2] and odd m in the DH range; exponents ≥ 1. */
export class NativeFixedBase {
  readonly #dh: DH;
  constructor(base: bigint, m: bigint) {
    this.#dh = nc!.createDiffieHellman(toBuf(m), toBuf(base));
  }
  pow(exp: bigint): bigint {
    this.#dh.setPrivateKey(toBuf(exp));
    return fromBuf(this.#dh.generateKeys());
  }
}

// --- DH route through a PKCS#8 private key ------------------------------------------------------
//
// `createPrivateKey(PKCS#8 DH key {p: m, g: base, x: exp})` makes OpenSSL derive the public key
// g^x mod p with the same constant-time exponentiation, without DH_check and without padding m,
// for a fixed cost of ~0.4 ms (the decoder chain). Measured faster than the padded route from
// 2048-bit moduli up (README.bigint.md); the dispatcher picks by size.

function derLen(n: number): number[] {
  if (n < 128) return [n];
  const out: number[] = [];
  while (n > 0) {
    out.unshift(n & 0xff);
    n >>>= 8;
  }
  return [0x80 | out.length, ...out];
}
function derTlv(tag: number, body: Uint8Array): Uint8Array {
  const h = [tag, ...derLen(body.length)];
  const out = new Uint8Array(h.length + body.length);
  out.set(h, 0);
  out.set(body, h.length);
  return out;
}
function derInt(x: bigint): Uint8Array {
  let h = hexEven(x);
  if (parseInt(h.slice(0, 2), 16) & 0x80) h = '00' + h;
  return derTlv(0x02, Buf!.from(h, 'hex'));
}
function cat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
const DH_OID = new Uint8Array([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x03, 0x01]); // 1.2.840.113549.1.3.1
const VERSION0 = new Uint8Array([0x02, 0x01, 0x00]);

/** Read the DER length at `o` (the tag is at o − 1): returns [content offset, length]. */
function readLen(b: Uint8Array, o: number): [number, number] {
  let len = b[o]!;
  let off = o + 1;
  if (len & 0x80) {
    const nb = len & 0x7f;
    len = 0;
    for (let j = 0; j < nb; j++) len = len * 256 + b[off + j]!;
    off += nb;
  }
  return [off, len];
}

/**
 * PKCS#8 DH route: base^exp mod m, constant time in exp's value. Requires m odd with bits in
 * [DH_MIN_BITS, DH_MAX_BITS], 2 ≤ base < m, exp ≥ 1.
 */
export function dhPkcs8Pow(base: bigint, exp: bigint, m: bigint): bigint {
  const params = derTlv(0x30, cat(derInt(m), derInt(base)));
  const alg = derTlv(0x30, cat(DH_OID, params));
  const der = derTlv(0x30, cat(VERSION0, alg, derTlv(0x04, derInt(exp))));
  const key = nc!.createPrivateKey({ key: der as Buffer, format: 'der', type: 'pkcs8' });
  const spki = nc!.createPublicKey(key).export({ format: 'der', type: 'spki' }) as Uint8Array;
  // SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier, BIT STRING (0 unused bits, INTEGER y) }
  const [o0] = readLen(spki, 1);
  const [o1, l1] = readLen(spki, o0 + 1);
  const bs = o1 + l1;
  const [o2] = readLen(spki, bs + 1);
  const [o3, l3] = readLen(spki, o2 + 2);
  if (spki[bs] !== 0x03 || spki[o2 + 1] !== 0x02) throw new Error('unexpected SPKI encoding');
  return fromBuf(spki.subarray(o3, o3 + l3));
}

// the modulus of the last RSA call, base64url, so repeated calls under one modulus skip the encoding
let lastM = -1n;
let lastMb64 = '';

function rsaOnce(base: bigint, exp: bigint, m: bigint, mLen: number): bigint {
  if (m !== lastM) {
    lastMb64 = (toBuf(m) as Uint8Array & { toString(enc: string): string }).toString('base64url');
    lastM = m;
  }
  const e = (toBuf(exp) as Uint8Array & { toString(enc: string): string }).toString('base64url');
  const key = nc!.createPublicKey({ key: { kty: 'RSA', n: lastMb64, e }, format: 'jwk' });
  const out = nc!.publicEncrypt({ key, padding: nc!.constants.RSA_NO_PADDING }, toBuf(base, mLen));
  return fromBuf(out);
}

/** Exponents above the modulus the RSA route still takes: e = hi·2^s + lo with s ≤ this. */
export const RSA_MAX_EXCESS_BITS = 64;

/**
 * Whether the RSA route takes (exp, m) — OpenSSL limits: e < m, and e ≤ 64 bits when m has more
 * than 3072 bits. Up to 3072 bits an exponent ≥ m is split as hi·2^s + lo (s ≤ 64): one call for
 * hi, s squarings, one call for lo (Πmod's z^N mod N is s = 1).
 */
export function rsaFeasible(exp: bigint, m: bigint, mBits: number, expBits: number): boolean {
  if (mBits > RSA_MAX_BITS || (m & 1n) === 0n || mBits < DH_MIN_BITS) return false;
  if (mBits > RSA_SMALL_MODULUS_BITS) return expBits <= 64 && exp < m;
  return exp < m || expBits - mBits + 1 <= RSA_MAX_EXCESS_BITS;
}

/**
 * RSA route: base^exp mod m, variable time (PUBLIC data only). Preconditions: `rsaFeasible`,
 * 2 ≤ base < m, exp ≥ 2.
 */
export function rsaPow(base: bigint, exp: bigint, m: bigint, mBits: number, expBits: number): bigint {
  const mLen = (mBits + 7) >> 3;
  if (exp < m) return rsaOnce(base, exp, m, mLen);
  const sh = expBits - mBits + 1;
  const s = BigInt(sh);
  const hi = exp >> s; // < 2^(mBits−1) ≤ m
  const lo = exp & ((1n << s) - 1n);
  let r = rsaOnce(base, hi, m, mLen);
  for (let i = 0; i < sh; i++) r = (r * r) % m;
  if (lo === 1n) r = (r * base) % m;
  else if (lo > 1n) r = (r * rsaOnce(base, lo, m, mLen)) % m;
  return r;
}
