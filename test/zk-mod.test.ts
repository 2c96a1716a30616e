/**
 * Πmod negative tests: one per verifier check (recipe §2.10), the BitForge modulus, the forged-w
 * attack (recipe §3 #1, #8), fewer repetitions and repeated challenges (§3 #6), degenerate values.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { jacobi, modInv } from '../src/bigint/arith.js';
import { modPow } from '../src/bigint/modexp.js';
import { seededRng } from '../src/rng.js';
import * as mod from '../src/zk/mod.js';
import { PROFILE_DEFAULT, PROFILE_HIGH } from '../src/zk/params.js';
import { bitforgeModulus, detPrime, forgeModProof, tr, zkParty } from './helpers/zk-fixtures.js';
import { testPrimePairs } from './helpers/test-primes.js';

const profile = PROFILE_DEFAULT;
let N: bigint;
let p: bigint;
let q: bigint;
let proof: mod.ModProof;

beforeAll(() => {
  const sk = zkParty(0).sk;
  ({ p, q } = sk.exportPrimes());
  N = sk.n;
  proof = mod.prove({ N, profile }, { p, q }, tr(), seededRng('zk-mod'));
});

const clone = (): mod.ModProof => ({ w: proof.w, x: [...proof.x], a: [...proof.a], b: [...proof.b], z: [...proof.z] });
const verify = (pr: mod.ModProof, n = N, t = tr()) => mod.verify({ N: n, profile }, pr, t);
const reason = (v: ReturnType<typeof verify>) => (v.ok ? 'OK' : v.reason);

describe('Πmod', () => {
  it('accepts the honest proof; derived challenges are units and pairwise distinct', () => {
    expect(verify(proof)).toEqual({ ok: true });
    const ys = mod.challenges(N, proof.w, profile.m, tr());
    expect(new Set(ys).size).toBe(profile.m);
  });

  it('rejects a replay under another sid, prover index or ρ', () => {
    expect(reason(verify(proof, N, tr('sid-B')))).toMatch(/MOD_(X|Z)_EQUATION/);
    expect(reason(verify(proof, N, tr('sid-A', 2)))).toMatch(/MOD_(X|Z)_EQUATION/);
    expect(reason(verify(proof, N, tr('sid-A', 1, 'rho')))).toMatch(/MOD_(X|Z)_EQUATION/);
  });

  it('modulus: undersized, oversized, even, prime, perfect power, small factor', () => {
    const [p1] = [testPrimePairs(1024)[1]!.p];
    expect(reason(verify(proof, p1 * 3n))).toBe('MODULUS_TOO_SMALL');
    expect(reason(verify(proof, N * 5n))).toBe('MODULUS_TOO_LARGE');
    expect(reason(verify(proof, N - 1n))).toBe('MOD_N_EVEN');
    const prime = detPrime(2048, 'mod-prime');
    expect(mod.checkModulus(prime, profile)).toMatchObject({ ok: false, reason: 'MOD_N_PRIME' });
    expect(mod.checkModulus(p * p, profile)).toMatchObject({ ok: false, reason: 'MOD_N_PERFECT_POWER' });
    expect(mod.checkModulus(65521n * detPrime(2032, 'mod-sf'), profile)).toMatchObject({ ok: false, reason: 'MOD_N_SMALL_FACTOR' });
    expect(mod.checkModulus(N, profile)).toBeNull();
    // a prime N with a w of Jacobi −1 reaches the structural checks inside verify
    let w = 2n;
    while (jacobi(w, prime) !== -1) w++;
    expect(reason(verify({ ...clone(), w }, prime))).toBe('MOD_N_PRIME');
    // p² never has Jacobi(w, p²) = −1: the w check fires first
    expect(reason(verify(clone(), p * p))).toBe('MOD_W_JACOBI');
  });

  it('an undersized N under the high profile', () => {
    expect(mod.verify({ N, profile: PROFILE_HIGH }, proof, tr())).toMatchObject({ ok: false, reason: 'MODULUS_TOO_SMALL' });
  });

  it('repetitions: m−1, m+1, empty, mismatched, a single one', () => {
    for (const k of ['x', 'a', 'b', 'z'] as const) {
      const pr = clone();
      (pr[k] as unknown[]).pop();
      expect(reason(verify(pr))).toBe('MOD_REPETITIONS');
    }
    const more = clone();
    more.x.push(more.x[0]!);
    more.a.push(0);
    more.b.push(0);
    more.z.push(more.z[0]!);
    expect(reason(verify(more))).toBe('MOD_REPETITIONS');
    expect(reason(verify({ w: proof.w, x: [], a: [], b: [], z: [] }))).toBe('MOD_REPETITIONS');
    expect(reason(verify({ w: proof.w, x: [proof.x[0]!], a: [proof.a[0]!], b: [proof.b[0]!], z: [proof.z[0]!] }))).toBe('MOD_REPETITIONS');
  });

  it('w: 0, 1, N−1, N, N+1, a multiple of p, a quadratic residue', () => {
    const cases: [bigint, string][] = [
      [0n, 'MOD_W_NOT_UNIT'],
      [N, 'MOD_W_NOT_UNIT'],
      [N + 1n, 'MOD_W_NOT_UNIT'],
      [-1n, 'PROOF_MALFORMED'],
      [p, 'MOD_W_NOT_UNIT'],
      [3n * q, 'MOD_W_NOT_UNIT'],
      [1n, 'MOD_W_JACOBI'],
      [N - 1n, 'MOD_W_JACOBI'],
      [(proof.w * proof.w) % N, 'MOD_W_JACOBI'],
    ];
    for (const [w, r] of cases) expect(reason(verify({ ...clone(), w })), `w=${w}`).toBe(r);
  });

  it('x_i, z_i: 0, N, ≥ N, non-units', () => {
    for (const [k, code] of [
      ['x', 'MOD_X_NOT_UNIT'],
      ['z', 'MOD_Z_NOT_UNIT'],
    ] as const) {
      for (const v of [0n, N, N + 5n, p, 7n * q]) {
        const pr = clone();
        pr[k][17] = v;
        expect(reason(verify(pr)), `${k}=${v}`).toBe(code);
      }
    }
  });

  it('equations: x_i, a_i, b_i, z_i tampered', () => {
    let pr = clone();
    pr.x[5] = (pr.x[5]! * 2n) % N;
    expect(reason(verify(pr))).toBe('MOD_X_EQUATION');
    pr = clone();
    pr.a[9] = (1 - pr.a[9]!) as 0 | 1;
    expect(reason(verify(pr))).toBe('MOD_X_EQUATION');
    pr = clone();
    pr.b[9] = (1 - pr.b[9]!) as 0 | 1;
    expect(reason(verify(pr))).toBe('MOD_X_EQUATION');
    pr = clone();
    pr.z[127] = (pr.z[127]! * 2n) % N;
    expect(reason(verify(pr))).toBe('MOD_Z_EQUATION');
    // x_i replaced by its negation: still a 4th root of the same value
    pr = clone();
    pr.x[3] = N - pr.x[3]!;
    expect(verify(pr)).toEqual({ ok: true });
  });

  it('repeated challenges: one answer reused for every repetition is rejected', () => {
    const pr = { w: proof.w, x: Array(128).fill(proof.x[0]), a: Array(128).fill(proof.a[0]), b: Array(128).fill(proof.b[0]), z: Array(128).fill(proof.z[0]) };
    expect(reason(verify(pr))).toBe('MOD_X_EQUATION');
  });

  it('duplicate or non-unit derived challenges are rejected (y_i checks)', () => {
    const ys = mod.challenges(N, proof.w, profile.m, tr());
    const dup = [...ys];
    dup[1] = dup[0]!;
    expect(reason(mod.__TEST.verifyWithChallenges(N, proof, dup))).toBe('MOD_Y_DUPLICATE');
    const nonUnit = [...ys];
    nonUnit[4] = p;
    expect(reason(mod.__TEST.verifyWithChallenges(N, proof, nonUnit))).toBe('MOD_Y_NOT_UNIT');
    expect(mod.__TEST.verifyWithChallenges(N, proof, ys)).toEqual({ ok: true });
  });

  it('a witness-less prover is rejected (random roots)', () => {
    const pr = clone();
    for (let i = 0; i < 128; i++) pr.z[i] = (pr.z[i]! * 3n + BigInt(i)) % N;
    expect(reason(verify(pr))).toBe('MOD_Z_EQUATION');
  });

  it('BitForge modulus with a forged Πmod whose w shares a factor with N', () => {
    const P = testPrimePairs(1024)[2]!.p;
    const { N: Nbf, smalls } = bitforgeModulus(P);
    expect(smalls.length).toBeGreaterThan(50);
    const forged = forgeModProof(P, smalls, tr());
    // the forgery satisfies both equations of every repetition (what an unchecked verifier accepts) ...
    const ys = mod.challenges(Nbf, forged.w, 128, tr());
    for (let i = 0; i < 128; i++) {
      let rhs = forged.b[i] ? (forged.w * ys[i]!) % Nbf : ys[i]!;
      if (forged.a[i]) rhs = Nbf - rhs;
      expect(modPow(forged.x[i]!, 4n, Nbf)).toBe(rhs);
      expect(modPow(forged.z[i]!, Nbf, Nbf)).toBe(ys[i]);
    }
    expect(jacobi(forged.w, Nbf)).toBe(0);
    // ... and is rejected on w ∉ Z*_N
    expect(mod.verify({ N: Nbf, profile }, forged, tr())).toMatchObject({ ok: false, reason: 'MOD_W_NOT_UNIT' });
    // the modulus alone fails the structural checks
    expect(mod.checkModulus(Nbf, profile)).toMatchObject({ ok: false, reason: 'MOD_N_SMALL_FACTOR' });
  });

  it('a modulus with three Blum prime factors: the best-effort prover fails (soundness)', () => {
    // N = r1·r2·r3, every r_i ≡ 3 (mod 4): w with Jacobi(w, N) = −1 exists and N-th roots exist,
    // but ±w^b·y is a QR modulo all three primes for only half of the y's
    const blum = (bits: number, tag: string): bigint => {
      for (let i = 0; ; i++) {
        const r = detPrime(bits, `${tag}/${i}`);
        if ((r & 3n) === 3n) return r;
      }
    };
    const rs = [blum(682, 'three-a'), blum(683, 'three-b'), blum(683, 'three-c')];
    const N3 = rs[0]! * rs[1]! * rs[2]!;
    expect(N3.toString(2).length).toBeGreaterThanOrEqual(2047);
    const crt = (res: bigint[]): bigint => {
      let x = 0n;
      for (let i = 0; i < rs.length; i++) {
        const Mi = N3 / rs[i]!;
        x += res[i]! * Mi * modInv(Mi % rs[i]!, rs[i]!);
      }
      return x % N3;
    };
    let w = 2n;
    while (jacobi(w, N3) !== -1) w++;
    const ys = mod.challenges(N3, w, 128, tr());
    const lam = rs.reduce((acc, r) => (acc * (r - 1n)) / 2n, 2n); // a multiple of λ(N)
    const d = modInv(N3, lam);
    const forged: mod.ModProof = { w, x: [], a: [], b: [], z: [] };
    let solvable = 0;
    for (const y of ys) {
      let best = { a: 0 as 0 | 1, b: 0 as 0 | 1, v: y, qr: -1 };
      for (const a of [0, 1] as const)
        for (const b of [0, 1] as const) {
          let v = b ? (w * y) % N3 : y;
          if (a) v = N3 - v;
          const qr = rs.filter((r) => jacobi(v, r) === 1).length;
          if (qr > best.qr) best = { a, b, v, qr };
        }
      if (best.qr === 3) solvable++;
      forged.x.push(crt(rs.map((r) => (jacobi(best.v, r) === 1 ? modPow(best.v % r, ((r + 1n) / 4n) ** 2n % (r - 1n), r) : 1n))));
      forged.a.push(best.a);
      forged.b.push(best.b);
      forged.z.push(modPow(y, d, N3));
      expect(modPow(forged.z.at(-1)!, N3, N3)).toBe(y);
    }
    expect(solvable).toBeLessThan(128);
    expect(mod.verify({ N: N3, profile }, forged, tr())).toMatchObject({ ok: false, reason: 'MOD_X_EQUATION' });
  });
});
