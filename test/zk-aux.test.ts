/**
 * One peer's aux-info bundle (Πprm + Πmod + Πfac): every proof mandatory (BitGo zero proof),
 * BitForge modulus with proofs omitted or forged, undersized N (Alpha-Rays), replay across
 * sessions, provers and ρ (recipe §3 #1, #3, #4, #8, #10). One high-profile test.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { utf8ToBytes } from '../src/bytes.js';
import { seededRng } from '../src/rng.js';
import { type AuxContext, auxTranscripts, type PeerAux, proveAux, verifyPeerAux } from '../src/zk/aux.js';
import * as enc from '../src/zk/enc.js';
import * as fac from '../src/zk/fac.js';
import * as mod from '../src/zk/mod.js';
import { PROFILE_DEFAULT, PROFILE_HIGH } from '../src/zk/params.js';
import { bitforgeModulus, forgeModProof, tr, zkParty, type ZkParty } from './helpers/zk-fixtures.js';
import { testPrimePairs } from './helpers/test-primes.js';

const ctx: AuxContext = { sid: utf8ToBytes('aux-session-1'), rho: utf8ToBytes('rho-xor-of-all'), profile: PROFILE_DEFAULT };
let P0: ZkParty;
let P1: ZkParty;
let peer: PeerAux;

beforeAll(() => {
  P0 = zkParty(0);
  P1 = zkParty(1);
  const out = proveAux(P0.sk, P0.rpSecret, ctx, 1, new Map([[2, P1.rp]]), seededRng('zk-aux'));
  peer = { N: P0.sk.n, s: P0.rp.s, t: P0.rp.t, prm: out.prm, mod: out.mod, fac: out.fac.get(2)! };
});

const verdict = (p: PeerAux, c = ctx, i = 1, j = 2) => verifyPeerAux(p, c, i, j, P1.rp);

describe('aux-info verification of one peer', () => {
  it('accepts an honest bundle', () => {
    expect(verdict(peer)).toEqual({ ok: true });
  });

  it('every proof is mandatory', () => {
    for (const k of ['prm', 'mod', 'fac'] as const) {
      expect(verdict({ ...peer, [k]: undefined }), k).toMatchObject({ ok: false, reason: 'PROOF_MISSING', detail: k });
      expect(verdict({ ...peer, [k]: null } as unknown as PeerAux), k).toMatchObject({ ok: false, reason: 'PROOF_MISSING' });
      expect(verdict({ ...peer, [k]: {} } as unknown as PeerAux), k).toMatchObject({ ok: false, reason: 'PROOF_MALFORMED' });
    }
    expect(verdict({ ...peer, N: undefined } as unknown as PeerAux)).toMatchObject({ ok: false, reason: 'PROOF_MALFORMED' });
  });

  it('replay under another sid, prover index or ρ is rejected', () => {
    expect(verdict(peer, { ...ctx, sid: utf8ToBytes('aux-session-2') }).ok).toBe(false);
    expect(verdict(peer, ctx, 3).ok).toBe(false);
    expect(verdict(peer, { ...ctx, rho: utf8ToBytes('another-rho') })).toMatchObject({ ok: false });
    // Πfac addressed to verifier 2 is not valid for verifier 3
    expect(verdict(peer, ctx, 1, 3)).toMatchObject({ ok: false, reason: 'RP_EQUATION' });
  });

  it('BitForge modulus: proofs omitted, then a forged Πmod (w shares a factor with N)', () => {
    const P = testPrimePairs(1024)[3]!.p;
    const { N, smalls } = bitforgeModulus(P);
    const bare: PeerAux = { N, s: 4n, t: 9n };
    expect(verdict(bare)).toMatchObject({ ok: false, reason: 'PROOF_MISSING' });
    const forgedMod = forgeModProof(P, smalls, auxTranscripts(ctx, 1).mod);
    // with every proof present the structural checks stop it before any proof work
    expect(verdict({ ...bare, prm: peer.prm, mod: forgedMod, fac: peer.fac })).toMatchObject({ ok: false, reason: 'MOD_N_SMALL_FACTOR' });
    // the forged Πmod alone: w ∉ Z*_N
    expect(mod.verify({ N, profile: PROFILE_DEFAULT }, forgedMod, auxTranscripts(ctx, 1).mod)).toMatchObject({ ok: false, reason: 'MOD_W_NOT_UNIT' });
  });

  it('undersized N (1024-bit-prime modulus under the high profile; a 1536-bit N under default)', () => {
    expect(verdict(peer, { ...ctx, profile: PROFILE_HIGH })).toMatchObject({ ok: false, reason: 'MODULUS_TOO_SMALL' });
    const small = testPrimePairs(1024)[4]!.p * 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffn;
    expect(verdict({ ...peer, N: small })).toMatchObject({ ok: false, reason: 'MODULUS_TOO_SMALL' });
  });

  it('s, t degenerate', () => {
    expect(verdict({ ...peer, s: 1n })).toMatchObject({ ok: false, reason: 'PRM_S_INVALID' });
    expect(verdict({ ...peer, t: peer.N - 1n })).toMatchObject({ ok: false, reason: 'PRM_T_INVALID' });
    expect(verdict({ ...peer, s: peer.t })).toMatchObject({ ok: false, reason: 'PRM_S_EQUALS_T' });
  });
});

describe('high profile (1536-bit primes)', () => {
  it('Πenc and Πfac verify, and reject a default-size modulus', () => {
    const H0 = zkParty(0, 'high');
    const H1 = zkParty(1, 'high');
    const rng = seededRng('zk-high');
    const key = H0.sk.publicKey;
    const { ciphertext: K, nonce: rho } = key.encryptAndNonce(-42n, rng);
    const pub = { key, K, rp: H1.rp };
    const pe = enc.prove(pub, { k: -42n, rho }, tr(), rng);
    expect(enc.verify(pub, pe, tr())).toEqual({ ok: true });
    const { p, q } = H0.sk.exportPrimes();
    const fpub = { N0: key.n, rp: H1.rp, profile: PROFILE_HIGH };
    const pf = fac.prove(fpub, { p, q }, tr(), rng);
    expect(fac.verify(fpub, pf, tr())).toEqual({ ok: true });
    expect(fac.verify({ ...fpub, N0: zkParty(0).sk.n }, pf, tr())).toMatchObject({ ok: false, reason: 'MODULUS_TOO_SMALL' });
  });
});
