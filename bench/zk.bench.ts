/**
 * ZK proofs: `zk/<proof>/prove` and `zk/<proof>/verify` in the default profile (2048-bit N) and
 * `zk/<proof>/prove:high`, `zk/<proof>/verify:high` in the high profile (3072-bit N);
 * `aux/verify-peer` (`:high`) = Πprm + Πmod + Πfac of one peer, as aux-info verifies them
 * (target ≤ 1.5 s in the default profile, issue 3). Fixtures: the pregenerated TEST primes.
 */
import { mulG, mulPublic, randomScalar, modN } from '../src/curve.js';
import { type ProfileName, PROFILES } from '../src/paillier/profiles.js';
import { seededRng } from '../src/rng.js';
import { utf8ToBytes } from '../src/bytes.js';
import * as affg from '../src/zk/affg.js';
import { type AuxContext, type PeerAux, proveAux, verifyPeerAux } from '../src/zk/aux.js';
import * as dec from '../src/zk/dec.js';
import * as enc from '../src/zk/enc.js';
import * as fac from '../src/zk/fac.js';
import * as logstar from '../src/zk/logstar.js';
import * as mod from '../src/zk/mod.js';
import * as mul from '../src/zk/mul.js';
import * as mulstar from '../src/zk/mulstar.js';
import * as prm from '../src/zk/prm.js';
import * as sch from '../src/zk/sch.js';
import type { Verdict } from '../src/zk/verdict.js';
import { tr, zkParty } from '../test/helpers/zk-fixtures.js';
import type { BenchRegistry } from './registry.js';

interface Case {
  prove(): object;
  verify(proof: object): Verdict;
}

function cases(profile: ProfileName): Record<string, Case> {
  const P0 = zkParty(0, profile);
  const P1 = zkParty(1, profile);
  const pr = PROFILES[profile];
  const rng = seededRng(`bench/zk/${profile}`);
  const { p, q } = P0.sk.exportPrimes();
  const N = P0.sk.n;
  const pk0 = P0.sk.publicKey;
  const pk1 = P1.sk.publicKey;
  const ok = (v: Verdict): Verdict => {
    if (!v.ok) throw new Error(`benchmark proof rejected: ${v.reason}`);
    return v;
  };

  const x = randomScalar(rng);
  const schPub = { X: mulG(x) };
  const modPub = { N, profile: pr };
  const prmPub = { N, s: P0.rp.s, t: P0.rp.t, profile: pr };
  const facPub = { N0: N, rp: P1.rp, profile: pr };
  const k = randomScalar(rng);
  const K = pk0.encryptAndNonce(k, rng);
  const encPub = { key: pk0, K: K.ciphertext, rp: P1.rp };
  const g = mulG(randomScalar(rng));
  const lsPub = { key: pk0, C: K.ciphertext, X: mulPublic(g, k), g, rp: P1.rp };
  // Πaff-g: prover P0 (N1 = N_0) answers verifier P1's K_1 (N0 = N_1)
  const K1 = pk1.encrypt(randomScalar(rng), rng);
  const gamma = randomScalar(rng);
  const beta = -(randomScalar(rng) << 1000n);
  const e0 = pk1.encryptAndNonce(beta, rng);
  const Dc = (pk1.mul(K1, gamma) * e0.ciphertext) % pk1.n2;
  const F = pk0.encryptAndNonce(beta, rng);
  const affPub = { key0: pk1, key1: pk0, C: K1, D: Dc, Y: F.ciphertext, X: mulG(gamma), rp: P1.rp };
  const y = -(randomScalar(rng) << 1500n);
  const Cy = pk0.encryptAndNonce(y, rng);
  const decPub = { key: pk0, C: Cy.ciphertext, x: modN(y), yBits: 1794, rp: P1.rp }; // ℓ_y of a 2-signer blame round
  const G0 = pk0.encrypt(randomScalar(rng), rng);
  const rhoM = pk0.sampleNonce(rng);
  const H = (pk0.mul(G0, k) * pk0.encryptWithNonce(0n, rhoM)) % pk0.n2;
  const mulPub = { key: pk0, X: K.ciphertext, Y: G0, C: H };
  const msPub = { key: pk0, C: G0, D: H, X: mulG(k), rp: P1.rp };

  return {
    sch: { prove: () => sch.prove(schPub, { x }, tr(), rng), verify: (pf) => ok(sch.verify(schPub, pf as sch.SchProof, tr())) },
    mod: { prove: () => mod.prove(modPub, { p, q }, tr(), rng), verify: (pf) => ok(mod.verify(modPub, pf as mod.ModProof, tr())) },
    prm: {
      prove: () => prm.prove(prmPub, { lambda: P0.rpSecret.lambda, p, q }, tr(), rng),
      verify: (pf) => ok(prm.verify(prmPub, pf as prm.PrmProof, tr())),
    },
    fac: { prove: () => fac.prove(facPub, { p, q }, tr(), rng), verify: (pf) => ok(fac.verify(facPub, pf as fac.FacProof, tr())) },
    enc: { prove: () => enc.prove(encPub, { k, rho: K.nonce }, tr(), rng), verify: (pf) => ok(enc.verify(encPub, pf as enc.EncProof, tr())) },
    affg: {
      prove: () => affg.prove(affPub, { x: gamma, y: beta, rho: e0.nonce, rhoY: F.nonce }, tr(), rng),
      verify: (pf) => ok(affg.verify(affPub, pf as affg.AffgProof, tr())),
    },
    logstar: { prove: () => logstar.prove(lsPub, { x: k, rho: K.nonce }, tr(), rng), verify: (pf) => ok(logstar.verify(lsPub, pf as logstar.LogStarProof, tr())) },
    dec: { prove: () => dec.prove(decPub, { y, rho: Cy.nonce }, tr(), rng), verify: (pf) => ok(dec.verify(decPub, pf as dec.DecProof, tr())) },
    mul: { prove: () => mul.prove(mulPub, { x: k, rho: rhoM, rhoX: K.nonce }, tr(), rng), verify: (pf) => ok(mul.verify(mulPub, pf as mul.MulProof, tr())) },
    mulstar: { prove: () => mulstar.prove(msPub, { x: k, rho: rhoM }, tr(), rng), verify: (pf) => ok(mulstar.verify(msPub, pf as mulstar.MulStarProof, tr())) },
  };
}

/** Iterations per case: Πmod and Πprm are 128 repetitions each. */
const HEAVY = new Set(['mod', 'prm']);

function lazy<T>(f: () => T): () => T {
  let v: T | undefined;
  let done = false;
  return () => {
    if (!done) {
      v = f();
      done = true;
    }
    return v as T;
  };
}

export default function (b: BenchRegistry): void {
  for (const profile of ['default', 'high'] as const) {
    const suffix = profile === 'default' ? '' : ':high';
    const all = lazy(() => cases(profile));
    for (const name of ['sch', 'mod', 'prm', 'fac', 'enc', 'affg', 'logstar', 'dec', 'mul', 'mulstar']) {
      const heavy = HEAVY.has(name);
      const opts = heavy ? { iterations: profile === 'high' ? 2 : 3, time: 0 } : { iterations: profile === 'high' ? 5 : 10, time: 500 };
      const proof = lazy(() => all()[name]!.prove());
      b.add(`zk/${name}/prove${suffix}`, () => all()[name]!.prove(), opts);
      b.add(`zk/${name}/verify${suffix}`, () => all()[name]!.verify(proof()), opts);
    }
    const peer = lazy(() => {
      const P0 = zkParty(0, profile);
      const P1 = zkParty(1, profile);
      const ctx: AuxContext = { sid: utf8ToBytes('bench-aux'), rho: utf8ToBytes('bench-rho'), profile: PROFILES[profile] };
      const out = proveAux(P0.sk, P0.rpSecret, ctx, 1, new Map([[2, P1.rp]]), seededRng(`bench/aux/${profile}`));
      const bundle: PeerAux = { N: P0.sk.n, s: P0.rp.s, t: P0.rp.t, prm: out.prm, mod: out.mod, fac: out.fac.get(2)! };
      return { ctx, bundle, rp: P1.rp };
    });
    b.add(
      `aux/verify-peer${suffix}`,
      () => {
        const { ctx, bundle, rp } = peer();
        const v = verifyPeerAux(bundle, ctx, 1, 2, rp);
        if (!v.ok) throw new Error(`aux bundle rejected: ${v.reason}`);
      },
      { iterations: profile === 'high' ? 2 : 5, time: 0 },
    );
  }
}
