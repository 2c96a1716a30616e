/**
 * Πprm and Πfac negative tests (recipe §2.10, §3 #1, #6, #7, #9): binary challenges and exact
 * repetition count, degenerate s, t, A_i, z_i; Πfac under the verifier's parameters, factor-size
 * ranges, degenerate commitments.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { modPow } from '../src/bigint/modexp.js';
import { seededRng } from '../src/rng.js';
import * as fac from '../src/zk/fac.js';
import { PROFILE_DEFAULT, PROFILE_HIGH, pow2 } from '../src/zk/params.js';
import * as prm from '../src/zk/prm.js';
import { sqrtBound } from '../src/zk/util.js';
import { detPrime, prmFixture, tr, type ZkParty } from './helpers/zk-fixtures.js';

const profile = PROFILE_DEFAULT;
let P0: ZkParty;
let P1: ZkParty;
let p: bigint, q: bigint, N: bigint, s: bigint, t: bigint, lambda: bigint;
let prmProof: prm.PrmProof;
let facProof: fac.FacProof;

beforeAll(() => {
  ({ P0, P1, p, q, N, s, t, lambda } = prmFixture());
  prmProof = prm.prove({ N, s, t, profile }, { lambda, p, q }, tr(), seededRng('prm'));
  facProof = fac.prove({ N0: N, rp: P1.rp, profile }, { p, q }, tr(), seededRng('fac'));
});

const reason = (v: { ok: boolean; reason?: string }) => (v.ok ? 'OK' : v.reason);

describe('Πprm', () => {
  const vp = (pr: prm.PrmProof, o: Partial<{ N: bigint; s: bigint; t: bigint }> = {}, tt = tr()) =>
    reason(prm.verify({ N: o.N ?? N, s: o.s ?? s, t: o.t ?? t, profile }, pr, tt));
  const clone = () => ({ A: [...prmProof.A], z: [...prmProof.z] });

  it('accepts the honest proof, rejects replays', () => {
    expect(vp(prmProof)).toBe('OK');
    expect(vp(prmProof, {}, tr('sid-B'))).toBe('PRM_EQUATION');
    expect(vp(prmProof, {}, tr('sid-A', 2))).toBe('PRM_EQUATION');
  });
  it('repetitions: m−1, a single large-challenge style proof, empty, mismatched', () => {
    const a = clone();
    a.A.pop();
    a.z.pop();
    expect(vp(a)).toBe('PRM_REPETITIONS');
    expect(vp({ A: [prmProof.A[0]!], z: [prmProof.z[0]!] })).toBe('PRM_REPETITIONS');
    expect(vp({ A: [], z: [] })).toBe('PRM_REPETITIONS');
    const b = clone();
    b.z.pop();
    expect(vp(b)).toBe('PRM_REPETITIONS');
  });
  it('s and t: 0, 1, N−1, N, non-units, s = t; N even, N undersized', () => {
    for (const v of [0n, 1n, N - 1n, N, N + 2n, p]) {
      expect(vp(prmProof, { s: v }), `s=${v}`).toBe('PRM_S_INVALID');
      expect(vp(prmProof, { t: v }), `t=${v}`).toBe('PRM_T_INVALID');
    }
    expect(vp(prmProof, { s: t })).toBe('PRM_S_EQUALS_T');
    expect(vp(prmProof, { N: N - 1n })).toBe('PRM_N_EVEN');
    expect(vp(prmProof, { N: p * 3n })).toBe('MODULUS_TOO_SMALL');
  });
  it('A_i: 0, 1, N, non-unit; z_i ≥ N; tampered z_i', () => {
    for (const v of [0n, 1n, N, N + 1n, q]) {
      const pr = clone();
      pr.A[11] = v;
      expect(vp(pr), `A=${v}`).toBe('PRM_A_NOT_UNIT');
    }
    let pr = clone();
    pr.z[3] = N;
    expect(vp(pr)).toBe('PRM_Z_RANGE');
    pr = clone();
    pr.z[3] = pr.z[3]! + 1n;
    expect(vp(pr)).toBe('PRM_EQUATION');
    pr = clone();
    pr.z[3] = -1n;
    expect(vp(pr)).toBe('PROOF_MALFORMED');
  });
  it('repeated answers and a witness-less prover guessing every e_i = 1 are rejected', () => {
    expect(vp({ A: Array(128).fill(prmProof.A[0]), z: Array(128).fill(prmProof.z[0]) })).toBe('PRM_EQUATION');
    // cheater without λ: z_i random, A_i = t^z_i · s^−1 (right iff e_i = 1; all 128 right w.p. 2^−128)
    const rng = seededRng('prm-cheat');
    const z: bigint[] = [];
    const A: bigint[] = [];
    for (let i = 0; i < 128; i++) {
      const zi = BigInt(i + 2) * 0x1234567890abcdefn + BigInt(rng.bytes(1)[0]!);
      z.push(zi);
      A.push((modPow(t, zi, N) * modPow(s, -1n, N)) % N);
    }
    expect(vp({ A, z })).toBe('PRM_EQUATION');
  });
  it('shape: missing or wrong-typed fields', () => {
    expect(vp({ A: prmProof.A } as prm.PrmProof)).toBe('PROOF_MALFORMED');
    expect(vp({ A: prmProof.A, z: prmProof.z.map(Number) } as unknown as prm.PrmProof)).toBe('PROOF_MALFORMED');
    expect(vp(null as unknown as prm.PrmProof)).toBe('PROOF_MALFORMED');
  });
});

describe('Πfac', () => {
  const vf = (pr: fac.FacProof, o: { N0?: bigint; tt?: ReturnType<typeof tr> } = {}) =>
    reason(fac.verify({ N0: o.N0 ?? N, rp: P1.rp, profile }, pr, o.tt ?? tr()));

  it('accepts the honest proof under the verifier’s parameters; rejects replays', () => {
    expect(vf(facProof)).toBe('OK');
    expect(vf(facProof, { tt: tr('sid-B') })).toBe('RP_EQUATION');
    expect(vf(facProof, { tt: tr('sid-A', 2) })).toBe('RP_EQUATION');
  });
  it('a proof made under the prover’s own parameters does not verify under the verifier’s', () => {
    const own = fac.prove({ N0: N, rp: P0.rp, profile }, { p, q }, tr(), seededRng('fac-own'));
    expect(fac.verify({ N0: N, rp: P0.rp, profile }, own, tr())).toEqual({ ok: true });
    expect(vf(own)).not.toBe('OK');
  });
  it('N0 with a 16-bit factor: the honest algorithm with p = 65521 fails the range check', () => {
    const big = detPrime(2032, 'fac-small');
    const N0 = 65521n * big;
    const pr = fac.prove({ N0, rp: P1.rp, profile }, { p: 65521n, q: big }, tr(), seededRng('fac-sf'));
    expect(vf(pr, { N0 })).toBe('Z2_RANGE');
  });
  it('undersized N0 (also under the high profile)', () => {
    expect(vf(facProof, { N0: p * 3n })).toBe('MODULUS_TOO_SMALL');
    expect(reason(fac.verify({ N0: N, rp: P1.rp, profile: PROFILE_HIGH }, facProof, tr()))).toBe('MODULUS_TOO_SMALL');
  });
  it('commitments P, Q, A, B, T: 0, 1, N̂, ≥ N̂, non-unit', () => {
    const Nh = P1.rp.N;
    const { p: ph } = P1.sk.exportPrimes();
    for (const k of ['P', 'Q', 'A', 'B', 'T'] as const) {
      for (const v of [0n, 1n, Nh, Nh + 3n, ph]) expect(vf({ ...facProof, [k]: v }), `${k}=${v}`).toBe('RP_NOT_UNIT');
      expect(vf({ ...facProof, [k]: Nh - 1n }), `${k}=N̂−1`).toBe('RP_EQUATION');
    }
  });
  it('ranges: σ, z1, z2 just outside', () => {
    const { ell, epsilon } = profile;
    const zb = sqrtBound(N) << BigInt(ell + epsilon);
    const sb = pow2(ell) * N * P1.rp.N;
    expect(vf({ ...facProof, sigma: sb + 1n })).toBe('SIGMA_RANGE');
    expect(vf({ ...facProof, sigma: -sb - 1n })).toBe('SIGMA_RANGE');
    expect(vf({ ...facProof, z1: zb + 1n })).toBe('Z1_RANGE');
    expect(vf({ ...facProof, z1: -zb - 1n })).toBe('Z1_RANGE');
    expect(vf({ ...facProof, z2: zb + 1n })).toBe('Z2_RANGE');
    expect(vf({ ...facProof, z2: zb })).toBe('RP_EQUATION');
  });
  it('equations: w1, w2, v, σ tampered', () => {
    expect(vf({ ...facProof, w1: facProof.w1 + 1n })).toBe('RP_EQUATION');
    expect(vf({ ...facProof, w2: facProof.w2 + 1n })).toBe('RP_EQUATION');
    expect(vf({ ...facProof, v: facProof.v + 1n })).toBe('RP_EQUATION');
    expect(vf({ ...facProof, sigma: facProof.sigma + 1n })).toBe('RP_EQUATION');
  });
  it('shape: a missing field', () => {
    const { v: _v, ...rest } = facProof;
    expect(vf(rest as fac.FacProof)).toBe('PROOF_MALFORMED');
  });
});
