/**
 * Presign round 2. From every other signer j (blame j, round 1): same cfg; K_j, G_j ∈ Z*_{N_j²};
 * Πenc ψ⁰_{i,j} verified under our ring-Pedersen parameters. Then Γ_i = γ_i·G (broadcast) and to
 * each j, with β_{i,j}, β̂_{i,j} ← ±2^{ℓ'}:
 *   D_{j,i} = (γ_i ⊙ K_j) ⊕ enc_j(−β_{i,j}; s),   F_{j,i} = enc_i(−β_{i,j}; r)
 *   D̂_{j,i} = (x_i ⊙ K_j) ⊕ enc_j(−β̂_{i,j}; ŝ),   F̂_{j,i} = enc_i(−β̂_{i,j}; r̂)
 *   ψ_{j,i} = Πaff-g(D, F, Γ_i), ψ̂_{j,i} = Πaff-g(D̂, F̂, X_i), ψ'_{j,i} = Πlog*(G_i, Γ_i; G), under j's (N̂, s, t).
 * @module
 */
import { equalBytes } from '../../src/bytes.js';
import { mulG, pointFromBytes } from '../../src/curve.js';
import * as affg from '../../src/zk/affg.js';
import * as enc from '../../src/zk/enc.js';
import * as logstar from '../../src/zk/logstar.js';
import { pow2 } from '../../src/zk/params.js';
import { randomSigned } from '../../src/zk/util.js';
import { abortUnless } from '../../src/zk/verdict.js';
import type { NoncePair } from '../../src/paillier/nonce-pool.js';
import { ownAuxKeys, paillierPublicOf, ringPedersenOf } from '../aux/materialize.js';
import type { Outgoing, Round } from '../types.js';
import { PayloadReader, pointBytes } from '../util.js';
import { ctBytes, type MtaCts, proofTranscript, readCt, readProof, type PresignOutput, type PresignState } from './messages.js';
import { takeMask, takeNonce } from './precompute.js';

export const round2: Round<PresignState, PresignOutput> = {
  sends: { broadcast: true, p2p: true },
  run(state, inbox, ctx) {
    const { aux, cfg } = state;
    const { sk, pk, rpMine, pkFast } = ownAuxKeys(aux);
    const peerK: [number, bigint][] = [];
    const peerG: [number, bigint][] = [];
    for (const [j, rec] of inbox) {
      const pkj = paillierPublicOf(aux, j);
      const r = new PayloadReader(rec.broadcast, 1, j, 'presign round 1');
      if (!equalBytes(r.bytes('cfg', 32), cfg)) r.fail('configuration hash differs (key, epoch, signers, shift or aux)', 'CONFIG_MISMATCH');
      r.keys('G', 'K', 'cfg');
      const Kj = readCt(r, 'K', pkj);
      const Gj = readCt(r, 'G', pkj);
      const p = new PayloadReader(rec.p2p, 1, j, 'presign round 1 p2p').keys('psi0');
      const psi0 = readProof(p, 'psi0', enc.proofFromBytes);
      abortUnless(enc.verify({ key: pkj, K: Kj, rp: rpMine }, psi0, proofTranscript(ctx.sid, cfg, j, 'psi0', ctx.self)), 1, j, 'Πenc ψ⁰');
      peerK.push([j, Kj]);
      peerG.push([j, Gj]);
    }
    const gamma = state.gamma!;
    const Gamma_i = mulG(gamma);
    const Xi = pointFromBytes(state.X.find(([id]) => id === ctx.self)![1]);
    const { ellPrime } = pk.profile;
    const outbox: Outgoing[] = [{ to: null, payload: { Gamma: pointBytes(Gamma_i) } }];
    const beta: [number, bigint, bigint][] = [];
    const sent: [number, MtaCts][] = [];
    for (const [j, Kj] of peerK) {
      const pkj = paillierPublicOf(aux, j);
      const rpj = ringPedersenOf(aux, j);
      const b = randomSigned(ctx.rng, pow2(ellPrime));
      const bh = randomSigned(ctx.rng, pow2(ellPrime));
      // each nonce from a prepared (ρ, ρ^N) pair when one is ready (./precompute.ts), else drawn here
      const [ps, pr, psh, prh] = [takeNonce(aux, j), takeNonce(aux, ctx.self), takeNonce(aux, j), takeNonce(aux, ctx.self)];
      const s = ps ? ps.nonce : pkj.sampleNonce(ctx.rng);
      const r = pr ? pr.nonce : pk.sampleNonce(ctx.rng);
      const sh = psh ? psh.nonce : pkj.sampleNonce(ctx.rng);
      const rh = prh ? prh.nonce : pk.sampleNonce(ctx.rng);
      const D = (pkj.mul(Kj, gamma) * (ps ? pkj.encryptWithNoncePower(-b, ps) : pkj.encryptWithNonce(-b, s))) % pkj.n2;
      const F = pr ? pk.encryptWithNoncePower(-b, pr) : sk.encryptWithNonce(-b, r);
      const Dh = (pkj.mul(Kj, state.x) * (psh ? pkj.encryptWithNoncePower(-bh, psh) : pkj.encryptWithNonce(-bh, sh))) % pkj.n2;
      const Fh = prh ? pk.encryptWithNoncePower(-bh, prh) : sk.encryptWithNonce(-bh, rh);
      const pre = (): NoncePair | undefined => takeNonce(aux, ctx.self);
      const affgPre = (): affg.AffgPre => ({ r: takeNonce(aux, j), ry: pre(), gamma: takeMask(aux, j, 'gamma'), delta: takeMask(aux, j, 'delta'), m: takeMask(aux, j, 'mu'), mu: takeMask(aux, j, 'mu') });
      const psi = affg.prove({ key0: pkj, key1: pkFast, C: Kj, D, Y: F, X: Gamma_i, rp: rpj }, { x: gamma, y: -b, rho: s, rhoY: r }, proofTranscript(ctx.sid, cfg, ctx.self, 'psi', j), ctx.rng, affgPre());
      const psiHat = affg.prove({ key0: pkj, key1: pkFast, C: Kj, D: Dh, Y: Fh, X: Xi, rp: rpj }, { x: state.x, y: -bh, rho: sh, rhoY: rh }, proofTranscript(ctx.sid, cfg, ctx.self, 'psi-hat', j), ctx.rng, affgPre());
      const psiPrime = logstar.prove({ key: pkFast, C: state.G!, X: Gamma_i, rp: rpj }, { x: gamma, rho: state.nu! }, proofTranscript(ctx.sid, cfg, ctx.self, 'psi-prime', j), ctx.rng, { r: pre(), mu: takeMask(aux, j, 'mu'), gamma: takeMask(aux, j, 'gamma') });
      beta.push([j, b, bh]);
      sent.push([j, { D, F, Dh, Fh }]);
      outbox.push({
        to: j,
        payload: {
          D: ctBytes(pkj, D),
          F: ctBytes(pk, F),
          Dh: ctBytes(pkj, Dh),
          Fh: ctBytes(pk, Fh),
          psi: affg.proofToBytes(psi),
          psiHat: affg.proofToBytes(psiHat),
          psiPrime: logstar.proofToBytes(psiPrime),
        },
      });
    }
    return { state: { ...state, peerK, peerG, Gamma_i: pointBytes(Gamma_i), beta, sent }, outbox };
  },
};
