/**
 * The presign core's CPU work outside OpenSSL (issue 13): the exact shortcuts keep every answer.
 * - unit checks: one gcd of a product per modulus (`allCoprime`, `areCoprimePublic`) and a per-key
 *   memo of public units — a non-unit is never accepted, before or after a batch, and the verifier
 *   still names the first offender;
 * - verification equations with negative exponents moved across (`powsEqual`): the same verdict as
 *   the equation with inverses, on both signs;
 * - `mul` with the inverse remembered: the same powers, past the memo's bound;
 * - decoded points cached (the same instance back; bad encodings rejected every time);
 * - `mulAddPublic` (Strauss–Shamir) = two products;
 * - transcript integers: the same bytes as the original hex encoding.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { modInv } from '../src/bigint/arith.js';
import { modPow } from '../src/bigint/modexp.js';
import { bytesToHex, hexToBytes } from '../src/bytes.js';
import { G, IDENTITY, mulAddPublic, mulG, mulPublic, N as ORDER, pointFromBytes, pointToBytes, randomScalar } from '../src/curve.js';
import type { PaillierPublicKey } from '../src/paillier/keys.js';
import { randomBelow, seededRng } from '../src/rng.js';
import * as affg from '../src/zk/affg.js';
import { encodeInt } from '../src/zk/transcript.js';
import { allCoprime, powsEqual } from '../src/zk/util.js';
import { tr, zkParty, type ZkParty } from './helpers/zk-fixtures.js';

const rng = seededRng('zk-cpu');
let P0: ZkParty;
let P1: ZkParty;
let pk: PaillierPublicKey;
let p: bigint;
let q: bigint;

beforeAll(() => {
  P0 = zkParty(0);
  P1 = zkParty(1);
  pk = P0.sk.publicKey;
  ({ p, q } = P0.sk.exportPrimes());
});

const unit = (): bigint => pk.sampleNonce(rng);
const ct = (): bigint => pk.encrypt(randomBelow(rng, 1n << 200n), rng);

describe('unit checks by one gcd of a product', () => {
  it('allCoprime: true only when every value is a unit (zero, a multiple of p or of q anywhere → false)', () => {
    const xs = [unit(), unit(), ct(), unit()];
    expect(allCoprime(xs, pk.n)).toBe(true);
    for (let i = 0; i < xs.length; i++) {
      for (const bad of [0n, p, 3n * q, p * q, pk.n2]) {
        const ys = xs.slice();
        ys[i] = bad;
        expect(allCoprime(ys, pk.n), `${i}: ${bad === p ? 'p' : bad}`).toBe(false);
      }
    }
    expect(allCoprime([], pk.n)).toBe(true);
  });

  it('areCoprimePublic: a batch with one non-unit is refused and the non-unit stays invalid; the units of a good batch are checked once', () => {
    const fresh = new (pk.constructor as new (n: bigint) => PaillierPublicKey)(pk.n);
    const good = [ct(), ct(), unit()];
    const bad = 7n * p; // < N: a nonce-sized non-unit
    const badCt = p * (q + 2n); // < N²: a ciphertext-sized non-unit
    expect(fresh.areCoprimePublic([...good, bad])).toBe(false);
    expect(fresh.areCoprimePublic([badCt, ...good])).toBe(false);
    expect(fresh.isValidPublicNonce(bad)).toBe(false);
    expect(fresh.isValidCiphertext(badCt)).toBe(false);
    expect(() => fresh.validateNonce(bad)).toThrow(/Z\*_N/);
    expect(fresh.areCoprimePublic(good)).toBe(true);
    expect(good.slice(0, 2).every((c) => fresh.isValidCiphertext(c))).toBe(true);
    expect(fresh.isValidPublicNonce(good[2])).toBe(true);
    // the memo answers gcd(x, N) = 1 only; the ranges are checked on every call
    expect(fresh.isValidPublicNonce(good[0])).toBe(good[0]! < fresh.n);
    expect(fresh.isValidCiphertext(good[0]! + fresh.n2)).toBe(false);
    expect(fresh.isValidCiphertext(-good[0]!)).toBe(false);
    // still exact after the memo has been cleared many times over
    for (let i = 0; i < 600; i++) fresh.isValidCiphertext(BigInt(i) * 2n + 1n + (1n << 64n));
    expect(fresh.isValidCiphertext(badCt)).toBe(false);
    expect(fresh.isValidPublicNonce(bad)).toBe(false);
    expect(fresh.areCoprimePublic([1n, 'x' as unknown as bigint])).toBe(false);
  });

  it('Πaff-g: with several non-units the first in the check order is reported; the memo of an accepted proof does not let a non-unit through', () => {
    const key0 = P1.sk.publicKey; // verifier's
    const key1 = P0.sk.publicKey; // prover's
    const p1 = P1.sk.exportPrimes().p;
    const x = 12345n;
    const y = 678n;
    const C = key0.encrypt(99n, rng);
    const { ciphertext: Yc, nonce: rhoY } = key1.encryptAndNonce(y, rng);
    const rho = key0.sampleNonce(rng);
    const D = (key0.mul(C, x) * key0.encryptWithNonce(y, rho)) % key0.n2;
    const pub = { key0, key1, C, D, Y: Yc, X: mulG(x), rp: P1.rp };
    const proof = affg.prove(pub, { x, y, rho, rhoY }, tr(), rng);
    expect(affg.verify(pub, proof, tr())).toEqual({ ok: true });
    const v1 = affg.verify(pub, { ...proof, w: p1, E: p1 }, tr()); // p1 | N̂ = N0
    expect(v1).toEqual({ ok: false, reason: 'RP_NOT_UNIT', detail: 'E' });
    const v2 = affg.verify({ ...pub, D: p1 * 3n }, { ...proof, w: p1 }, tr());
    expect(v2).toEqual({ ok: false, reason: 'CIPHERTEXT_NOT_UNIT', detail: 'D' });
    const v3 = affg.verify(pub, { ...proof, wy: P0.sk.exportPrimes().q }, tr());
    expect(v3).toEqual({ ok: false, reason: 'NONCE_NOT_UNIT', detail: 'wy' });
    expect(affg.verify(pub, proof, tr())).toEqual({ ok: true });
  });
});

describe('verification equations without inverses', () => {
  it('powsEqual agrees with L·Π b^x = R·Π c^y computed with inverses, for every sign pattern, and rejects R ± 1', () => {
    for (let i = 0; i < 8; i++) {
      const [b, c] = [ct(), ct()];
      const x = randomBelow(rng, 1n << 256n) * (i & 1 ? -1n : 1n);
      const y = randomBelow(rng, 1n << 128n) * (i & 2 ? -1n : 1n);
      const L = ct();
      const pw = (base: bigint, e: bigint): bigint => (e < 0n ? modPow(modInv(base, pk.n2), -e, pk.n2) : modPow(base, e, pk.n2));
      // R chosen so that the equation holds: R = L·b^x·c^−y
      const R = (((L * pw(b, x)) % pk.n2) * pw(c, -y)) % pk.n2;
      expect(powsEqual(pk, L, [[b, x]], R, [[c, y]]), `signs ${i}`).toBe(true);
      expect(powsEqual(pk, L, [[b, x]], (R + 1n) % pk.n2, [[c, y]])).toBe(false);
      expect(powsEqual(pk, L, [[b, x + 1n]], R, [[c, y]])).toBe(false);
      expect(powsEqual(pk, L, [], (L * pw(c, -y)) % pk.n2, [[c, y]])).toBe(true);
      expect(powsEqual(pk, L, [[b, 0n]], L, [])).toBe(true);
    }
  });

  it('mul(c, k) with the remembered inverse: the same as c^k with an explicit inverse, past the memo bound', () => {
    const cs = Array.from({ length: 20 }, ct);
    for (let round = 0; round < 2; round++) {
      for (const c of cs) {
        const k = randomBelow(rng, 1n << 256n);
        expect(pk.mul(c, -k)).toBe(modPow(modInv(c, pk.n2), k, pk.n2));
        expect(pk.mul(c, k)).toBe(modPow(c, k, pk.n2));
      }
    }
    expect(() => pk.mul(p * 5n, 3n)).toThrow(/Z\*_\{N²\}/);
  });
});

describe('curve shortcuts', () => {
  it('pointFromBytes returns the cached, validated point; invalid encodings fail every time', () => {
    const P = mulG(randomScalar(rng));
    const b = pointToBytes(P);
    const a1 = pointFromBytes(b);
    const a2 = pointFromBytes(b.slice());
    expect(a2).toBe(a1); // one decoding
    expect(a1.equals(P)).toBe(true);
    expect(pointFromBytes(pointToBytes(P, false)).equals(P)).toBe(true);
    const off = b.slice();
    off[0] = 0x05;
    for (let i = 0; i < 3; i++) expect(() => pointFromBytes(off)).toThrow(/SEC1/);
    // x with no point on the curve (x = 5: 5³ + 7 = 132 is not a square mod p)
    const noY = hexToBytes('02' + '00'.repeat(31) + '05');
    for (let i = 0; i < 3; i++) expect(() => pointFromBytes(noY)).toThrow();
    // many distinct points (past the cache bound) all decode to themselves
    for (let i = 0; i < 300; i++) {
      const Q = mulG(BigInt(i + 1));
      expect(pointFromBytes(pointToBytes(Q)).equals(Q)).toBe(true);
    }
    expect(pointFromBytes(b).equals(P)).toBe(true);
  });

  it('mulAddPublic(P, a, Q, b) = a·P + b·Q for any scalars, G or not, including 0, n − 1, negatives and the identity result', () => {
    const P = mulG(randomScalar(rng));
    const Q = mulG(randomScalar(rng));
    const cases: [bigint, bigint][] = [
      [randomScalar(rng), randomScalar(rng)],
      [0n, randomScalar(rng)],
      [randomScalar(rng), 0n],
      [ORDER - 1n, 1n],
      [-5n, 1n << 130n],
      [-(1n << 128n), -(1n << 200n)],
    ];
    for (const base of [P, G]) {
      for (const [a, b] of cases) {
        expect(mulAddPublic(base, a, Q, b).equals(mulPublic(base, a).add(mulPublic(Q, b))), `${a}, ${b}`).toBe(true);
      }
    }
    expect(mulAddPublic(P, 3n, P, -3n).equals(IDENTITY)).toBe(true);
  });
});

describe('transcript integers', () => {
  // the original encoding, hex digit pairs: sign byte ‖ minimal big-endian magnitude
  const reference = (x: bigint): string => {
    const mag = x < 0n ? -x : x;
    let hex = mag === 0n ? '' : mag.toString(16);
    if (hex.length % 2) hex = '0' + hex;
    return (x < 0n ? '01' : '00') + hex;
  };
  it('encodeInt writes the same bytes as before', () => {
    const xs = [0n, 1n, -1n, 15n, 16n, -255n, 256n, (1n << 4096n) - 1n, -(1n << 4095n), randomBelow(rng, 1n << 3000n), -randomBelow(rng, 1n << 777n)];
    for (const x of xs) expect(bytesToHex(encodeInt(x)), String(x)).toBe(reference(x));
  });
});
