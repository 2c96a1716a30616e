/**
 * Every proof: the honest prover convinces the verifier; the proof survives bytes and JSON round
 * trips; the same proof under another sid or prover index is rejected (replay, recipe §3 #10).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { modN, mulG, mulPublic, randomScalar, G } from '../src/curve.js';
import { seededRng } from '../src/rng.js';
import * as affg from '../src/zk/affg.js';
import * as dec from '../src/zk/dec.js';
import * as enc from '../src/zk/enc.js';
import * as fac from '../src/zk/fac.js';
import * as logstar from '../src/zk/logstar.js';
import * as mul from '../src/zk/mul.js';
import * as mulstar from '../src/zk/mulstar.js';
import * as sch from '../src/zk/sch.js';
import { PROFILE_DEFAULT } from '../src/zk/params.js';
import type { Verdict } from '../src/zk/verdict.js';
import { tr, zkParty, type ZkParty } from './helpers/zk-fixtures.js';

interface Case {
  name: string;
  make(): { verify(t: ReturnType<typeof tr>): Verdict; bytes(): Verdict; json(): Verdict };
}

let P0: ZkParty;
let P1: ZkParty;
beforeAll(() => {
  P0 = zkParty(0);
  P1 = zkParty(1);
});

const rng = seededRng('zk-proofs.test');

function roundTrip<T extends object>(
  m: { proofToBytes(p: T): Uint8Array; proofFromBytes(b: Uint8Array): { ok: boolean; proof?: T }; proofToJSON(p: T): unknown; proofFromJSON(j: unknown): { ok: boolean; proof?: T } },
  proof: T,
  verify: (p: T) => Verdict,
) {
  return {
    bytes(): Verdict {
      const d = m.proofFromBytes(m.proofToBytes(proof));
      if (!d.ok) return { ok: false, reason: 'PROOF_MALFORMED' };
      return verify(d.proof!);
    },
    json(): Verdict {
      const d = m.proofFromJSON(JSON.parse(JSON.stringify(m.proofToJSON(proof))));
      if (!d.ok) return { ok: false, reason: 'PROOF_MALFORMED' };
      return verify(d.proof!);
    },
  };
}

const cases: Case[] = [
  {
    name: 'sch',
    make() {
      const x = randomScalar(rng);
      const pub = { X: mulG(x) };
      const proof = sch.prove(pub, { x }, tr(), rng);
      return { verify: (t) => sch.verify(pub, proof, t), ...roundTrip(sch, proof, (p) => sch.verify(pub, p, tr())) };
    },
  },
  {
    name: 'fac',
    make() {
      const { p, q } = P0.sk.exportPrimes();
      const pub = { N0: P0.sk.n, rp: P1.rp, profile: PROFILE_DEFAULT };
      const proof = fac.prove(pub, { p, q }, tr(), rng);
      return { verify: (t) => fac.verify(pub, proof, t), ...roundTrip(fac, proof, (pp) => fac.verify(pub, pp, tr())) };
    },
  },
  {
    name: 'enc',
    make() {
      const key = P0.sk.publicKey;
      const k = randomScalar(rng);
      const { ciphertext: K, nonce: rho } = key.encryptAndNonce(k, rng);
      const pub = { key, K, rp: P1.rp };
      const proof = enc.prove(pub, { k, rho }, tr(), rng);
      return { verify: (t) => enc.verify(pub, proof, t), ...roundTrip(enc, proof, (p) => enc.verify(pub, p, tr())) };
    },
  },
  {
    name: 'logstar',
    make() {
      const key = P0.sk.publicKey;
      const x = randomScalar(rng);
      const g = mulG(randomScalar(rng));
      const { ciphertext: C, nonce: rho } = key.encryptAndNonce(x, rng);
      const pub = { key, C, X: mulPublic(g, x), g, rp: P1.rp };
      const proof = logstar.prove(pub, { x, rho }, tr(), rng);
      return { verify: (t) => logstar.verify(pub, proof, t), ...roundTrip(logstar, proof, (p) => logstar.verify(pub, p, tr())) };
    },
  },
  {
    name: 'affg',
    make() {
      // prover P0 (N1 = N_0), verifier P1 (N0 = N_1, K_1 encrypted under it)
      const key0 = P1.sk.publicKey;
      const key1 = P0.sk.publicKey;
      const C = key0.encrypt(randomScalar(rng), rng);
      const x = randomScalar(rng);
      const y = -(randomScalar(rng) << 1000n); // −β, |β| < 2^ℓ'
      const { ciphertext: encY0, nonce: rho } = key0.encryptAndNonce(y, rng);
      const D = (key0.mul(C, x) * encY0) % key0.n2;
      const { ciphertext: Y, nonce: rhoY } = key1.encryptAndNonce(y, rng);
      const pub = { key0, key1, C, D, Y, X: mulG(x), rp: P1.rp };
      const proof = affg.prove(pub, { x, y, rho, rhoY }, tr(), rng);
      return { verify: (t) => affg.verify(pub, proof, t), ...roundTrip(affg, proof, (p) => affg.verify(pub, p, tr())) };
    },
  },
  {
    name: 'dec',
    make() {
      const key = P0.sk.publicKey;
      const y = -(randomScalar(rng) << 1200n);
      const { ciphertext: C, nonce: rho } = key.encryptAndNonce(y, rng);
      const pub = { key, C, x: modN(y), yBits: 1794, rp: P1.rp };
      const proof = dec.prove(pub, { y, rho }, tr(), rng);
      return { verify: (t) => dec.verify(pub, proof, t), ...roundTrip(dec, proof, (p) => dec.verify(pub, p, tr())) };
    },
  },
  {
    name: 'mul',
    make() {
      const key = P0.sk.publicKey;
      const x = randomScalar(rng);
      const { ciphertext: X, nonce: rhoX } = key.encryptAndNonce(x, rng);
      const Y = key.encrypt(randomScalar(rng), rng);
      const rho = key.sampleNonce(rng);
      const Cx = (key.mul(Y, x) * key.encryptWithNonce(0n, rho)) % key.n2;
      const pub = { key, X, Y, C: Cx };
      const proof = mul.prove(pub, { x, rho, rhoX }, tr(), rng);
      return { verify: (t) => mul.verify(pub, proof, t), ...roundTrip(mul, proof, (p) => mul.verify(pub, p, tr())) };
    },
  },
  {
    name: 'mulstar',
    make() {
      const key = P0.sk.publicKey;
      const x = randomScalar(rng);
      const C = key.encrypt(randomScalar(rng), rng);
      const rho = key.sampleNonce(rng);
      const D = (key.mul(C, x) * key.encryptWithNonce(0n, rho)) % key.n2;
      const pub = { key, C, D, X: mulG(x), rp: P1.rp };
      const proof = mulstar.prove(pub, { x, rho }, tr(), rng);
      return { verify: (t) => mulstar.verify(pub, proof, t), ...roundTrip(mulstar, proof, (p) => mulstar.verify(pub, p, tr())) };
    },
  },
];

describe('honest proofs verify, round-trip, and do not replay', () => {
  for (const c of cases) {
    it(c.name, () => {
      const m = c.make();
      expect(m.verify(tr())).toEqual({ ok: true });
      expect(m.bytes()).toEqual({ ok: true });
      expect(m.json()).toEqual({ ok: true });
      // replay under another sid, another prover index, another rid
      for (const t of [tr('sid-B'), tr('sid-A', 2), tr('sid-A', 1, 'rho')]) {
        const v = m.verify(t);
        expect(v.ok).toBe(false);
      }
    });
  }
  it('Πlog* with the default base G', () => {
    const key = P0.sk.publicKey;
    const x = randomScalar(rng);
    const { ciphertext: C, nonce: rho } = key.encryptAndNonce(x, rng);
    const pub = { key, C, X: mulG(x), rp: P1.rp };
    const proof = logstar.prove(pub, { x, rho }, tr(), rng);
    expect(logstar.verify(pub, proof, tr())).toEqual({ ok: true });
    expect(logstar.verify({ ...pub, g: G }, proof, tr())).toEqual({ ok: true });
  });
});
