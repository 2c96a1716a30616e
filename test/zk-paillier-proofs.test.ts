/**
 * Negative tests of the Paillier proofs Πenc, Πaff-g, Πlog*, Πdec, Πmul, Πmul*: one per verifier
 * check (recipe §2.10), degenerate values (0, 1, N−1, non-units, ≥ the modulus, identity points),
 * values just outside the ranges, witnesses just outside the range (Alpha-Rays), tampered responses.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { bitLength } from '../src/bigint/arith.js';
import { IDENTITY, invN, modN, mulG, randomScalar } from '../src/curve.js';
import { seededRng } from '../src/rng.js';
import * as affg from '../src/zk/affg.js';
import * as dec from '../src/zk/dec.js';
import * as enc from '../src/zk/enc.js';
import * as logstar from '../src/zk/logstar.js';
import * as mul from '../src/zk/mul.js';
import * as mulstar from '../src/zk/mulstar.js';
import { PROFILE_DEFAULT, pow2 } from '../src/zk/params.js';
import type { Verdict } from '../src/zk/verdict.js';
import { tr, zkParty, type ZkParty } from './helpers/zk-fixtures.js';

const { ell, ellPrime, epsilon } = PROFILE_DEFAULT;
const B1 = pow2(ell + epsilon);
const B2 = pow2(ellPrime + epsilon);
const rng = seededRng('zk-paillier-proofs');
let P0: ZkParty;
let P1: ZkParty;
let p0: bigint; // a factor of the prover's N
let p1: bigint; // a factor of the verifier's N (= N̂)

beforeAll(() => {
  P0 = zkParty(0);
  P1 = zkParty(1);
  p0 = P0.sk.exportPrimes().p;
  p1 = P1.sk.exportPrimes().p;
});

type Mut = [name: string, pub: Record<string, unknown> | null, proof: Record<string, unknown> | null, reason: string, detail?: string];

function run(verify: (pub: never, proof: never) => Verdict, pub: object, proof: object, muts: Mut[]): void {
  expect(verify(pub as never, proof as never)).toEqual({ ok: true });
  for (const [name, dp, dpr, reason, detail] of muts) {
    const v = verify({ ...pub, ...(dp ?? {}) } as never, { ...proof, ...(dpr ?? {}) } as never);
    expect(v.ok, name).toBe(false);
    if (!v.ok) {
      expect(v.reason, name).toBe(reason);
      if (detail !== undefined) expect(v.detail, name).toBe(detail);
    }
  }
}

/** 0, N², p·k (non-unit), −1 → CIPHERTEXT_NOT_UNIT / PROOF_MALFORMED for a proof field. */
function ctMuts(field: string, N: bigint, p: bigint, where: 'pub' | 'proof'): Mut[] {
  const vals = [0n, N * N, N * N + 1n, p, p * 12345n];
  return vals.map((v) => [`${field}=${v}`, where === 'pub' ? { [field]: v } : null, where === 'proof' ? { [field]: v } : null, 'CIPHERTEXT_NOT_UNIT', field] as Mut);
}
function rpMuts(field: string, Nh: bigint, p: bigint): Mut[] {
  return [0n, 1n, Nh, Nh + 1n, p].map((v) => [`${field}=${v}`, null, { [field]: v }, 'RP_NOT_UNIT', field] as Mut);
}
function nonceMuts(field: string, N: bigint, p: bigint): Mut[] {
  return [0n, N, N + 1n, p].map((v) => [`${field}=${v}`, null, { [field]: v }, 'NONCE_NOT_UNIT', field] as Mut);
}

describe('Πenc', () => {
  it('every verifier check', () => {
    const key = P0.sk.publicKey;
    const k = randomScalar(rng);
    const { ciphertext: K, nonce: rho } = key.encryptAndNonce(k, rng);
    const pub = { key, K, rp: P1.rp };
    const pr = enc.prove(pub, { k, rho }, tr(), rng);
    const verify = (a: typeof pub, b: enc.EncProof) => enc.verify(a, b, tr());
    run(verify, pub, pr, [
      ...ctMuts('K', key.n, p0, 'pub'),
      ...ctMuts('A', key.n, p0, 'proof'),
      ...rpMuts('S', P1.rp.N, p1),
      ...rpMuts('C', P1.rp.N, p1),
      ...nonceMuts('z2', key.n, p0),
      ['z1 = 2^{ℓ+ε}+1', null, { z1: B1 + 1n }, 'Z1_RANGE'],
      ['z1 = −2^{ℓ+ε}−1', null, { z1: -B1 - 1n }, 'Z1_RANGE'],
      ['z1+1', null, { z1: pr.z1 + 1n }, 'PAILLIER_EQUATION'],
      ['z2·2', null, { z2: (pr.z2 * 2n) % key.n }, 'PAILLIER_EQUATION'],
      ['z3+1', null, { z3: pr.z3 + 1n }, 'RP_EQUATION'],
      ['S = N̂−1', null, { S: P1.rp.N - 1n }, 'PAILLIER_EQUATION'],
      ['K for another plaintext', { K: key.encrypt(k + 1n, rng) }, null, 'PAILLIER_EQUATION'],
      ['missing z3', null, { z3: undefined }, 'PROOF_MALFORMED'],
    ]);
  });
  it('a plaintext just outside ±2^{ℓ+ε} fails the range check (Alpha-Rays)', () => {
    const key = P0.sk.publicKey;
    const k = B1 + 1n;
    const { ciphertext: K, nonce: rho } = key.encryptAndNonce(k, rng);
    const pub = { key, K, rp: P1.rp };
    expect(() => enc.prove(pub, { k, rho }, tr(), rng)).toThrow(/OUT_OF_RANGE/);
    const pr = enc.__TEST.proveUnchecked(pub, { k, rho }, tr(), rng);
    expect(enc.verify(pub, pr, tr())).toMatchObject({ ok: false, reason: 'Z1_RANGE' });
    const k2 = -(pow2(ell + epsilon + 1));
    const c2 = key.encryptAndNonce(k2, rng);
    const pr2 = enc.__TEST.proveUnchecked({ ...pub, K: c2.ciphertext }, { k: k2, rho: c2.nonce }, tr(), rng);
    expect(enc.verify({ ...pub, K: c2.ciphertext }, pr2, tr())).toMatchObject({ ok: false, reason: 'Z1_RANGE' });
  });
});

describe('Πlog*', () => {
  it('every verifier check', () => {
    const key = P0.sk.publicKey;
    const x = randomScalar(rng);
    const { ciphertext: C, nonce: rho } = key.encryptAndNonce(x, rng);
    const pub = { key, C, X: mulG(x), rp: P1.rp };
    const pr = logstar.prove(pub, { x, rho }, tr(), rng);
    const verify = (a: typeof pub, b: logstar.LogStarProof) => logstar.verify(a, b, tr());
    run(verify, pub, pr, [
      ...ctMuts('C', key.n, p0, 'pub'),
      ...ctMuts('A', key.n, p0, 'proof'),
      ...rpMuts('S', P1.rp.N, p1),
      ...rpMuts('D', P1.rp.N, p1),
      ...nonceMuts('z2', key.n, p0),
      ['X identity', { X: IDENTITY }, null, 'POINT_IDENTITY', 'X'],
      ['g identity', { g: IDENTITY }, null, 'POINT_IDENTITY', 'g'],
      ['Y identity', null, { Y: IDENTITY }, 'POINT_IDENTITY', 'Y'],
      ['z1 out of range', null, { z1: B1 + 1n }, 'Z1_RANGE'],
      ['X for another x (changes e)', { X: mulG(x + 1n) }, null, 'PAILLIER_EQUATION'],
      ['another base (changes e)', { g: mulG(2n) }, null, 'PAILLIER_EQUATION'],
      ['z1+1', null, { z1: pr.z1 + 1n }, 'PAILLIER_EQUATION'],
      ['z3+1', null, { z3: pr.z3 + 1n }, 'RP_EQUATION'],
    ]);
    // a proof made for X' = (x+1)·G while C encrypts x: Paillier and ring-Pedersen parts hold
    const bad = { ...pub, X: mulG(x + 1n) };
    expect(logstar.verify(bad, logstar.prove(bad, { x, rho }, tr(), rng), tr())).toMatchObject({ ok: false, reason: 'POINT_EQUATION' });
  });
  it('x just outside the range', () => {
    const key = P0.sk.publicKey;
    const x = B1 + 1n;
    const { ciphertext: C, nonce: rho } = key.encryptAndNonce(x, rng);
    const pub = { key, C, X: mulG(modN(x)), rp: P1.rp };
    expect(() => logstar.prove(pub, { x, rho }, tr(), rng)).toThrow(/OUT_OF_RANGE/);
    const pr = logstar.__TEST.proveUnchecked(pub, { x, rho }, tr(), rng);
    expect(logstar.verify(pub, pr, tr())).toMatchObject({ ok: false, reason: 'Z1_RANGE' });
  });
});

function affgFixture(x: bigint, y: bigint) {
  const key0 = P1.sk.publicKey; // verifier's
  const key1 = P0.sk.publicKey; // prover's
  const C = key0.encrypt(randomScalar(rng), rng);
  const { ciphertext: e0, nonce: rho } = key0.encryptAndNonce(y, rng);
  const D = (key0.mul(C, x) * e0) % key0.n2;
  const { ciphertext: Y, nonce: rhoY } = key1.encryptAndNonce(y, rng);
  const pub = { key0, key1, C, D, Y, X: mulG(modN(x)), rp: P1.rp };
  return { pub, priv: { x, y, rho, rhoY } };
}

describe('Πaff-g', () => {
  it('every verifier check', () => {
    const { pub, priv } = affgFixture(randomScalar(rng), -(randomScalar(rng) << 1000n));
    const pr = affg.prove(pub, priv, tr(), rng);
    const { key0, key1 } = pub;
    const verify = (a: typeof pub, b: affg.AffgProof) => affg.verify(a, b, tr());
    run(verify, pub, pr, [
      ...ctMuts('C', key0.n, p1, 'pub'),
      ...ctMuts('D', key0.n, p1, 'pub'),
      ...ctMuts('A', key0.n, p1, 'proof'),
      ...ctMuts('Y', key1.n, p0, 'pub'),
      ...ctMuts('By', key1.n, p0, 'proof'),
      ...rpMuts('E', P1.rp.N, p1),
      ...rpMuts('S', P1.rp.N, p1),
      ...rpMuts('F', P1.rp.N, p1),
      ...rpMuts('T', P1.rp.N, p1),
      ...nonceMuts('w', key0.n, p1),
      ...nonceMuts('wy', key1.n, p0),
      ['X identity', { X: IDENTITY }, null, 'POINT_IDENTITY', 'X'],
      ['Bx identity', null, { Bx: IDENTITY }, 'POINT_IDENTITY', 'Bx'],
      ['z1 > 2^{ℓ+ε}', null, { z1: B1 + 1n }, 'Z1_RANGE'],
      ["z2 > 2^{ℓ'+ε}", null, { z2: B2 + 1n }, 'Z2_RANGE'],
      ["z2 < −2^{ℓ'+ε}", null, { z2: -B2 - 1n }, 'Z2_RANGE'],
      ['z1+1', null, { z1: pr.z1 + 1n }, 'PAILLIER_EQUATION', 'N0'],
      ['z2+1', null, { z2: pr.z2 + 1n }, 'PAILLIER_EQUATION', 'N0'],
      ['wy·2', null, { wy: (pr.wy * 2n) % key1.n }, 'PAILLIER_EQUATION', 'N1'],
      ['Y for another y (changes e)', { Y: key1.encrypt(5n, rng) }, null, 'PAILLIER_EQUATION', 'N0'],
      ['X wrong (changes e)', { X: mulG(7n) }, null, 'PAILLIER_EQUATION', 'N0'],
      ['z3+1', null, { z3: pr.z3 + 1n }, 'RP_EQUATION', 'E'],
      ['z4+1', null, { z4: pr.z4 + 1n }, 'RP_EQUATION', 'F'],
      ['keys swapped', { key0: key1, key1: key0 }, null, 'CIPHERTEXT_NOT_UNIT'],
    ]);
    // proofs of a false statement where only one relation breaks
    const badX = { ...pub, X: mulG(7n) };
    expect(affg.verify(badX, affg.__TEST.proveUnchecked(badX, priv, tr(), rng), tr())).toMatchObject({ ok: false, reason: 'POINT_EQUATION' });
    const badY = { ...pub, Y: key1.encryptWithNonce(5n, priv.rhoY) };
    expect(affg.verify(badY, affg.__TEST.proveUnchecked(badY, priv, tr(), rng), tr())).toMatchObject({ ok: false, reason: 'PAILLIER_EQUATION', detail: 'N1' });
  });
  it('x or y just outside the range', () => {
    const a = affgFixture(B1 + 1n, 12345n);
    expect(() => affg.prove(a.pub, a.priv, tr(), rng)).toThrow(/OUT_OF_RANGE/);
    expect(affg.verify(a.pub, affg.__TEST.proveUnchecked(a.pub, a.priv, tr(), rng), tr())).toMatchObject({ ok: false, reason: 'Z1_RANGE' });
    const b = affgFixture(3n, B2 + 1n);
    expect(() => affg.prove(b.pub, b.priv, tr(), rng)).toThrow(/OUT_OF_RANGE/);
    expect(affg.verify(b.pub, affg.__TEST.proveUnchecked(b.pub, b.priv, tr(), rng), tr())).toMatchObject({ ok: false, reason: 'Z2_RANGE' });
  });
});

describe('Πdec', () => {
  const yBits = 1794; // ℓ_y of a 2-signer presign blame round
  it('every verifier check', () => {
    const key = P0.sk.publicKey;
    const y = -(randomScalar(rng) << 1500n);
    const { ciphertext: C, nonce: rho } = key.encryptAndNonce(y, rng);
    const pub = { key, C, x: modN(y), yBits, rp: P1.rp };
    const pr = dec.prove(pub, { y, rho }, tr(), rng);
    const verify = (a: typeof pub, b: dec.DecProof) => dec.verify(a, b, tr());
    const Z = pow2(dec.alphaBits(PROFILE_DEFAULT, yBits) + 1); // |z1| ≤ 2^{ℓ_y+c+λ+1}
    const fit = dec.maxYBits(PROFILE_DEFAULT, bitLength(key.n));
    run(verify, pub, pr, [
      ['ℓ_y not an integer', { yBits: 1794.5 }, null, 'STATEMENT_MALFORMED'],
      ['ℓ_y < 0', { yBits: -1 }, null, 'STATEMENT_MALFORMED'],
      ['ℓ_y one bit above what N0 carries', { yBits: fit + 1 }, null, 'DEC_BOUND_UNFIT'],
      ...ctMuts('C', key.n, p0, 'pub'),
      ...ctMuts('A', key.n, p0, 'proof'),
      ...rpMuts('S', P1.rp.N, p1),
      ...rpMuts('T', P1.rp.N, p1),
      ...nonceMuts('w', key.n, p0),
      ['x = q', { x: modN(-1n) + 1n }, null, 'SCALAR_RANGE', 'x'],
      ['x < 0', { x: -1n }, null, 'SCALAR_RANGE', 'x'],
      ['γ = q', null, { gamma: modN(-1n) + 1n }, 'SCALAR_RANGE', 'gamma'],
      ['z1 one past the bound', null, { z1: Z + 1n }, 'DEC_Z1_RANGE'],
      ['z1 one below −bound', null, { z1: -Z - 1n }, 'DEC_Z1_RANGE'],
      ['z1 + N0 (same residue mod N0)', null, { z1: pr.z1 + key.n }, 'DEC_Z1_RANGE'],
      ['wrong x (changes e)', { x: modN(y + 1n) }, null, 'PAILLIER_EQUATION'],
      ['another ℓ_y (changes e)', { yBits: yBits + 1 }, null, 'PAILLIER_EQUATION'],
      ['γ+1 (changes e)', null, { gamma: modN(pr.gamma + 1n) }, 'PAILLIER_EQUATION'],
      ['z1+1', null, { z1: pr.z1 + 1n }, 'PAILLIER_EQUATION'],
      ['z2+1', null, { z2: pr.z2 + 1n }, 'RP_EQUATION'],
      ['C of another plaintext', { C: key.encrypt(y + 1n, rng) }, null, 'PAILLIER_EQUATION'],
    ]);
    // claiming x = y + 1 mod q for C = enc(y) with the true y: only the mod-q relation breaks
    const bad = { ...pub, x: modN(y + 1n) };
    expect(dec.verify(bad, dec.prove(bad, { y, rho }, tr(), rng), tr())).toMatchObject({ ok: false, reason: 'MOD_Q_EQUATION' });
  });

  it('a lie x = y + 1 mod q proven with y + k·N0 (≡ y mod N0): the plaintext range rejects it', () => {
    const key = P0.sk.publicKey;
    const y = randomScalar(rng) << 1200n;
    const { ciphertext: C, nonce: rho } = key.encryptAndNonce(y, rng);
    const lie = modN(y + 1n);
    const pub = { key, C, x: lie, yBits, rp: P1.rp };
    // y' = y + k·N0 with y' ≡ x (mod q): every equation holds, only |y'| ≈ 2^{2048+256} is too big
    const k = modN((lie - modN(y)) * invN(modN(key.n)));
    const yLie = y + k * key.n;
    expect(modN(yLie)).toBe(lie);
    const forged = dec.__TEST.proveUnchecked(pub, { y: yLie, rho }, tr(), rng);
    expect(dec.verify(pub, forged, tr())).toMatchObject({ ok: false, reason: 'DEC_Z1_RANGE' });
    // the smallest lie, y ∓ N0 (|y'| < N0: what the v1 prover itself accepted), is caught too
    const yShift = y - key.n;
    const shifted = { ...pub, x: modN(yShift) };
    expect(dec.verify(shifted, dec.__TEST.proveUnchecked(shifted, { y: yShift, rho }, tr(), rng), tr())).toMatchObject({ ok: false, reason: 'DEC_Z1_RANGE' });
    expect(() => dec.prove(shifted, { y: yShift, rho }, tr(), rng)).toThrow(/OUT_OF_RANGE/);
  });

  it('completeness at the bound: |y| = 2^{ℓ_y} proves and verifies', () => {
    const key = P0.sk.publicKey;
    for (const y of [pow2(yBits), -pow2(yBits)]) {
      const { ciphertext: C, nonce: rho } = key.encryptAndNonce(y, rng);
      const pub = { key, C, x: modN(y), yBits, rp: P1.rp };
      expect(dec.verify(pub, dec.prove(pub, { y, rho }, tr(), rng), tr())).toEqual({ ok: true });
      expect(() => dec.prove(pub, { y: y + (y > 0n ? 1n : -1n), rho }, tr(), rng)).toThrow(/OUT_OF_RANGE/);
    }
  });

  it('the prover refuses (typed) an ℓ_y that does not fit N0; the largest that fits works', () => {
    const key = P0.sk.publicKey;
    const fit = dec.maxYBits(PROFILE_DEFAULT, bitLength(key.n));
    expect(fit).toBe(bitLength(key.n) - 4 - 128 - dec.LAMBDA);
    const y = randomScalar(rng);
    const { ciphertext: C, nonce: rho } = key.encryptAndNonce(y, rng);
    const pub = { key, C, x: modN(y), yBits: fit, rp: P1.rp };
    expect(dec.verify(pub, dec.prove(pub, { y, rho }, tr(), rng), tr())).toEqual({ ok: true });
    expect(() => dec.prove({ ...pub, yBits: fit + 1 }, { y, rho }, tr(), rng)).toThrow(expect.objectContaining({ code: 'DEC_BOUND_UNFIT' }));
    expect(() => dec.assertYBitsFit(PROFILE_DEFAULT, fit + 1, key.n)).toThrow(expect.objectContaining({ code: 'DEC_BOUND_UNFIT' }));
  });
});

describe('Πmul', () => {
  it('every verifier check', () => {
    const key = P0.sk.publicKey;
    const x = randomScalar(rng);
    const { ciphertext: X, nonce: rhoX } = key.encryptAndNonce(x, rng);
    const Y = key.encrypt(randomScalar(rng), rng);
    const rho = key.sampleNonce(rng);
    const C = (key.mul(Y, x) * key.encryptWithNonce(0n, rho)) % key.n2;
    const pub = { key, X, Y, C };
    const pr = mul.prove(pub, { x, rho, rhoX }, tr(), rng);
    const verify = (a: typeof pub, b: mul.MulProof) => mul.verify(a, b, tr());
    run(verify, pub, pr, [
      ...ctMuts('X', key.n, p0, 'pub'),
      ...ctMuts('Y', key.n, p0, 'pub'),
      ...ctMuts('C', key.n, p0, 'pub'),
      ...ctMuts('A', key.n, p0, 'proof'),
      ...ctMuts('B', key.n, p0, 'proof'),
      ...nonceMuts('u', key.n, p0),
      ...nonceMuts('v', key.n, p0),
      ['z+1', null, { z: pr.z + 1n }, 'PAILLIER_EQUATION', 'C'],
      ['v·2', null, { v: (pr.v * 2n) % key.n }, 'PAILLIER_EQUATION', 'X'],
      ['C = Y^(x+1)', { C: (key.mul(Y, x + 1n) * key.encryptWithNonce(0n, rho)) % key.n2 }, null, 'PAILLIER_EQUATION', 'C'],
      ['X of another x (changes e)', { X: key.encrypt(x + 1n, rng) }, null, 'PAILLIER_EQUATION', 'C'],
    ]);
    // X = enc(x + 1; ρ_x) while C = Y^x ρ^N: only the X relation breaks
    const bad = { ...pub, X: key.encryptWithNonce(x + 1n, rhoX) };
    expect(mul.verify(bad, mul.prove(bad, { x, rho, rhoX }, tr(), rng), tr())).toMatchObject({ ok: false, reason: 'PAILLIER_EQUATION', detail: 'X' });
  });
});

describe('Πmul*', () => {
  it('every verifier check', () => {
    const key = P0.sk.publicKey;
    const x = randomScalar(rng);
    const C = key.encrypt(randomScalar(rng), rng);
    const rho = key.sampleNonce(rng);
    const D = (key.mul(C, x) * key.encryptWithNonce(0n, rho)) % key.n2;
    const pub = { key, C, D, X: mulG(x), rp: P1.rp };
    const pr = mulstar.prove(pub, { x, rho }, tr(), rng);
    const verify = (a: typeof pub, b: mulstar.MulStarProof) => mulstar.verify(a, b, tr());
    run(verify, pub, pr, [
      ...ctMuts('C', key.n, p0, 'pub'),
      ...ctMuts('D', key.n, p0, 'pub'),
      ...ctMuts('A', key.n, p0, 'proof'),
      ...rpMuts('E', P1.rp.N, p1),
      ...rpMuts('S', P1.rp.N, p1),
      ...nonceMuts('w', key.n, p0),
      ['X identity', { X: IDENTITY }, null, 'POINT_IDENTITY', 'X'],
      ['Bx identity', null, { Bx: IDENTITY }, 'POINT_IDENTITY', 'Bx'],
      ['z1 out of range', null, { z1: -B1 - 1n }, 'Z1_RANGE'],
      ['z1+1', null, { z1: pr.z1 + 1n }, 'PAILLIER_EQUATION'],
      ['X wrong (changes e)', { X: mulG(x + 1n) }, null, 'PAILLIER_EQUATION'],
      ['z2+1', null, { z2: pr.z2 + 1n }, 'RP_EQUATION'],
    ]);
    const bad = { ...pub, X: mulG(x + 1n) };
    expect(mulstar.verify(bad, mulstar.prove(bad, { x, rho }, tr(), rng), tr())).toMatchObject({ ok: false, reason: 'POINT_EQUATION' });
  });
});
