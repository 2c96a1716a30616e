/**
 * The presign blame round really identifies (issue 9 item 3). A liar in the blame round "proves"
 * with Πdec that C_δ (C_χ) decrypts to its false δ_i (χ_i) using the witness y' = y + k·N_i, which
 * is ≡ y (mod N_i) and ≡ the lie (mod q): every Πdec equation holds. The range-less Πdec (v1)
 * accepted it and the presign ended DELTA_MISMATCH / CHI_MISMATCH with no culprit; the ranged Πdec
 * (v2) rejects it (DEC_Z1_RANGE) and names the liar. Also: the liar's own (honest) round 5 names
 * nobody, i.e. the honest parties' Πdec pass at ℓ_y even against a peer that pushed its MtA mask far
 * out; honest runs finish; ℓ_y fits both profiles for the signer counts they support.
 */
import { describe, expect, it } from 'vitest';
import { bytesToNumberBE, numberToBytesBE, utf8ToBytes } from '../src/bytes.js';
import { invN, modN, mulSecret, pointFromBytes, N as q } from '../src/curve.js';
import { PROFILES } from '../src/paillier/profiles.js';
import { seededRng } from '../src/rng.js';
import * as affg from '../src/zk/affg.js';
import * as dec from '../src/zk/dec.js';
import { pow2 } from '../src/zk/params.js';
import { paillierPublicOf, paillierSecretFromAux, ringPedersenOf } from '../protocols/aux/materialize.js';
import { blameBits, maxBlameSigners, proofTranscript, type PresignState } from '../protocols/presign/index.js';
import { combined } from '../protocols/presign/round4.js';
import type { Outgoing, Payload, RoundResult } from '../protocols/types.js';
import { pointBytes, scalarBytes } from '../protocols/util.js';
import { auxFixtures } from './helpers/aux-fixtures.js';
import { runPresign } from './helpers/signing.js';
import { runKeygen } from './helpers/simulate.js';
import { tamper, type Rule } from './helpers/tamper.js';

const P = (id: number) => ({ id, owns: [id] });
const key2 = [...runKeygen([P(1), P(2)], 2, 'blame2').outputs.values()];
const key3 = [...runKeygen([P(1), P(2), P(3)], 3, 'blame3').outputs.values()];
type Obj = Record<string, Payload>;
type Res = { state: PresignState; outbox: Outgoing[] };

const bc = (res: Res) => res.outbox.find((m) => m.to === null)!.payload as Obj;
const p2p = (res: Res, to: number) => res.outbox.find((m) => m.to === to)!.payload as Obj;
const rule = (party: number, round: number, fn: (res: Res) => void): Rule => ({
  party,
  round,
  after: (res: RoundResult<unknown, unknown>) => {
    fn(res as Res);
    return res;
  },
});
const others = (st: PresignState, self: number) => st.signers.filter((j) => j !== self);

/** Round 3: announce δ_i + d (consistently: state, broadcast, view). */
const lieDelta = (party: number, d: (res: Res) => bigint) =>
  rule(party, 3, (res) => {
    res.state.delta_i = modN(res.state.delta_i! + d(res));
    bc(res).delta = scalarBytes(res.state.delta_i);
  });
/** Round 3: announce χ_i + d, i.e. S_i = (χ_i + d)·Γ (revealed as χ_i + d in the blame round). */
const lieChi = (party: number, d: (res: Res) => bigint) =>
  rule(party, 3, (res) => {
    res.state.chi_i = modN(res.state.chi_i! + d(res));
    bc(res).S = pointBytes(mulSecret(pointFromBytes(res.state.Gamma!), res.state.chi_i));
  });

/**
 * Round 4: replace `party`'s Πdec(δ) or Πdec(χ) to every verifier by a forged one for the announced
 * (false) value x: witness y' = y + k·N_i with k ≡ (x − y)·N_i⁻¹ (mod q), |k| ≤ q/2 (the unguarded
 * prover; a liar runs its own code). Every equation of Πdec holds for y'; only its size is wrong.
 */
function forgeDec(party: number, seed: string, which: 'delta' | 'chi'): Rule {
  return rule(party, 4, (res) => {
    const st = res.state;
    const sk = paillierSecretFromAux(st.aux);
    const pk = sk.publicKey;
    const blame = bc(res).blame as Obj;
    expect(blame, 'the blame path runs').not.toBeNull();
    const sent = new Map(st.sent!);
    const recv = new Map(st.recv!);
    const peers = others(st, party);
    const C =
      which === 'delta'
        ? combined(pk, bytesToNumberBE(blame.H as Uint8Array), peers.map((j) => [recv.get(j)!.D, sent.get(j)!.F] as const))
        : combined(pk, bytesToNumberBE(blame.Hh as Uint8Array), peers.map((j) => [recv.get(j)!.Dh, sent.get(j)!.Fh] as const));
    const y = sk.decrypt(C);
    const rho = sk.recoverNonce(C);
    const x = which === 'delta' ? st.delta_i! : st.chi_i!;
    expect(modN(y)).not.toBe(x); // it is a lie
    let k = modN((x - modN(y)) * invN(modN(pk.n)));
    if (k > q / 2n) k -= q;
    const yLie = y + k * pk.n;
    expect(modN(yLie)).toBe(x);
    const yBits = blameBits(st.aux.profile, st.signers.length);
    const rng = seededRng(`${seed}/forge`);
    for (const j of peers) {
      const t = proofTranscript(utf8ToBytes(`${seed}/sid`), st.cfg, party, which === 'delta' ? 'blame-dec-delta' : 'blame-dec-chi', j);
      const forged = dec.__TEST.proveUnchecked({ key: pk, C, x, yBits, rp: ringPedersenOf(st.aux, j) }, { y: yLie, rho }, t, rng);
      ((p2p(res, j).proofs as Obj)[which === 'delta' ? 'decDelta' : 'decChi'] = dec.proofToBytes(forged));
    }
  });
}

/** α_{i,j} ∓ N_i: another integer representative of the MtA share (the same decryption of D_{i,j}). */
function mtaShift(res: Res, party: number, hat: boolean): bigint {
  const st = res.state;
  const sk = paillierSecretFromAux(st.aux);
  const from = others(st, party)[0]!;
  const c = new Map(st.recv!).get(from)!;
  const alpha = sk.decrypt(hat ? c.Dh : c.D);
  return alpha >= 0n ? -sk.publicKey.n : sk.publicKey.n;
}

type Run = ReturnType<typeof runPresign>;
function expectNamed(r: Run, honest: number[], liar: number, reason: string, proof: RegExp): void {
  for (const h of honest) {
    expect(r.outputs.has(h), `party ${h} has no output`).toBe(false);
    const a = r.aborts.get(h);
    expect(a, `party ${h} aborted`).toBeDefined();
    expect([a!.reason, a!.round, [...a!.culprits]], `party ${h}: ${a!.message}`).toEqual([reason, 3, [liar]]);
    expect(a!.message).toMatch(proof);
  }
  // the liar runs an honest round 5: the honest parties' Πdec (and every other blame proof) pass
  const own = r.aborts.get(liar);
  expect(own?.reason).toBe(reason);
  expect([...own!.culprits], own!.message).toEqual([]);
}

const two = (seed: string, ...rules: Rule[]) => runPresign(key2, [1, 2], { seed, extra: tamper(...rules) });

describe('presign blame round: a liar is named (Πdec with a plaintext range)', () => {
  it('lying about δ_i: δ_2 + 1 announced, Πdec(δ) forged with y + k·N_2', () => {
    const r = two('lie-delta', lieDelta(2, () => 1n), forgeDec(2, 'lie-delta', 'delta'));
    expectNamed(r, [1], 2, 'DELTA_MISMATCH', /Πdec\(δ\) DEC_Z1_RANGE/);
  });

  it('lying about χ_i: S_2 = (χ_2 + 1)·Γ, χ_2 + 1 revealed, Πdec(χ) forged with y + k·N_2', () => {
    const r = two('lie-chi', lieChi(2, () => 1n), forgeDec(2, 'lie-chi', 'chi'));
    expectNamed(r, [1], 2, 'CHI_MISMATCH', /Πdec\(χ\) DEC_Z1_RANGE/);
  });

  it('lying about an MtA share: α_{2,1} ∓ N_2 (the same decryption of D_{2,1}) in δ_2, Πdec(δ) with y ∓ N_2', () => {
    const r = two('lie-mta', lieDelta(2, (res) => mtaShift(res, 2, false)), forgeDec(2, 'lie-mta', 'delta'));
    expectNamed(r, [1], 2, 'DELTA_MISMATCH', /Πdec\(δ\) DEC_Z1_RANGE/);
  });

  it('lying about an MtA share of χ: α̂_{2,1} ∓ N_2 in χ_2, Πdec(χ) with y ∓ N_2', () => {
    const r = two('lie-mta-chi', lieChi(2, (res) => mtaShift(res, 2, true)), forgeDec(2, 'lie-mta-chi', 'chi'));
    expectNamed(r, [1], 2, 'CHI_MISMATCH', /Πdec\(χ\) DEC_Z1_RANGE/);
  });

  it('three signers: party 3 lies about δ_3 with a forged Πdec; parties 1 and 2 name only 3', () => {
    const r = runPresign(key3, [1, 2, 3], { seed: 'lie-delta3', extra: tamper(lieDelta(3, () => 5n), forgeDec(3, 'lie-delta3', 'delta')) });
    expectNamed(r, [1, 2], 3, 'DELTA_MISMATCH', /party 3: Πdec\(δ\) DEC_Z1_RANGE/);
  });

  it("completeness: a peer's MtA mask far beyond ±2^ℓ' (2^1650, a valid Πaff-g) does not make the honest Πdec fail", () => {
    // party 2 sends D_{1,2} = K_1^{γ_2}·enc_1(−β), F = enc_2(−β) with β = 2^1650 (Πaff-g allows ±2^{ℓ'+ε}),
    // so party 1's C_δ decrypts to a ~2^1650 integer; then party 2 lies about δ_2 so the blame runs
    const sid = 'big-beta';
    const bigBeta = rule(2, 2, (res) => {
      const st = res.state;
      const sk = paillierSecretFromAux(st.aux);
      const pk1 = paillierPublicOf(st.aux, 1);
      const K1 = new Map(st.peerK!).get(1)!;
      const rng = seededRng(`${sid}/beta`);
      const b = pow2(1650) + 12345n;
      const s = pk1.sampleNonce(rng);
      const rr = sk.publicKey.sampleNonce(rng);
      const D = (pk1.mul(K1, st.gamma!) * pk1.encryptWithNonce(-b, s)) % pk1.n2;
      const F = sk.encryptWithNonce(-b, rr);
      const pub = { key0: pk1, key1: sk.publicKey, C: K1, D, Y: F, X: pointFromBytes(st.Gamma_i!), rp: ringPedersenOf(st.aux, 1) };
      const psi = affg.__TEST.proveUnchecked(pub, { x: st.gamma!, y: -b, rho: s, rhoY: rr }, proofTranscript(utf8ToBytes(`${sid}/sid`), st.cfg, 2, 'psi', 1), rng);
      expect(affg.verify(pub, psi, proofTranscript(utf8ToBytes(`${sid}/sid`), st.cfg, 2, 'psi', 1))).toEqual({ ok: true });
      st.beta = st.beta!.map(([j, , bh]) => [j, b, bh]);
      st.sent = st.sent!.map(([j, c]) => [j, { ...c, D, F }]);
      Object.assign(p2p(res, 1), { D: numberToBytesBE(D, pk1.n2Bytes), F: numberToBytesBE(F, sk.publicKey.n2Bytes), psi: affg.proofToBytes(psi) });
    });
    const r = two(sid, bigBeta, lieDelta(2, () => 1n), forgeDec(2, sid, 'delta'));
    expectNamed(r, [1], 2, 'DELTA_MISMATCH', /Πdec\(δ\) DEC_Z1_RANGE/);
  });

  it('an honest run names nobody (2 and 3 signers): every party outputs the same R', () => {
    for (const [key, signers] of [
      [key2, [1, 2]],
      [key3, [1, 2, 3]],
    ] as const) {
      const r = runPresign(key, signers, { seed: `honest-${signers.length}` });
      expect(r.aborts.size).toBe(0);
      expect(r.outputs.size).toBe(signers.length);
      const Rs = new Set([...r.outputs.values()].map((o) => Buffer.from(o.R).toString('hex')));
      expect(Rs.size).toBe(1);
    }
  });
});

describe('ℓ_y of the blame round (a checked parameter)', () => {
  it('the default and high profiles fit every supported signer count', () => {
    expect(blameBits('default', 2)).toBe(1794);
    expect(blameBits('high', 2)).toBe(1794);
    for (const p of ['default', 'high'] as const) {
      const pr = PROFILES[p];
      const room = dec.maxYBits(pr, pr.minModulusBits);
      for (const n of [2, 3, 4, 5, 8, 16, 32, 100, 255, 256, 1000, 65536]) {
        const bits = blameBits(p, n);
        expect(bits).toBeLessThanOrEqual(room);
        expect(bits).toBe(1793 + (n - 1).toString(2).length); // (n − 1)·(2^1793 + …)
      }
    }
    expect(dec.maxYBits(PROFILES.default, 2047)).toBe(1815);
    expect(dec.maxYBits(PROFILES.high, 3071)).toBe(2839);
  });

  it('beyond the largest signer count the configuration is refused (typed DEC_BOUND_UNFIT): blameBits (presign init) and the Πdec prover', () => {
    const max = maxBlameSigners('default');
    expect(max).toBe(2 ** 22);
    expect(blameBits('default', max)).toBe(1815);
    expect(() => blameBits('default', max + 1)).toThrow(expect.objectContaining({ code: 'DEC_BOUND_UNFIT' }));
    expect(maxBlameSigners('high')).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => blameBits('default', 0)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    // the Πdec prover refuses an ℓ_y one bit above what a real N0 carries (the verifier's
    // DEC_BOUND_UNFIT reason is tested in zk-paillier-proofs)
    const aux = auxFixtures([1, 2]).get(2)!;
    const pk = paillierPublicOf(aux, 1);
    const yBits = dec.maxYBits(PROFILES.default, pk.n.toString(2).length) + 1;
    expect(() => dec.prove({ key: pk, C: 1n, x: 0n, yBits, rp: ringPedersenOf(aux, 2) }, { y: 0n, rho: 1n }, proofTranscript(new Uint8Array(1), new Uint8Array(32), 1, 'x'), seededRng('x'))).toThrow(
      expect.objectContaining({ code: 'DEC_BOUND_UNFIT' }),
    );
  });
});
