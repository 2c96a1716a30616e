/**
 * Presign round 2. From every other signer j (blame j, round 1): same cfg; K_j, G_j ∈ Z*_{N_j²};
 * Πenc ψ⁰_{i,j} verified under our ring-Pedersen parameters. Then Γ_i = γ_i·G (broadcast) and to
 * each j, with β_{i,j}, β̂_{i,j} ← ±2^{ℓ'}:
 *   D_{j,i} = (γ_i ⊙ K_j) ⊕ enc_j(−β_{i,j}; s),   F_{j,i} = enc_i(−β_{i,j}; r)
 *   D̂_{j,i} = (x_i ⊙ K_j) ⊕ enc_j(−β̂_{i,j}; ŝ),   F̂_{j,i} = enc_i(−β̂_{i,j}; r̂)
 *   ψ_{j,i} = Πaff-g(D, F, Γ_i), ψ̂_{j,i} = Πaff-g(D̂, F̂, X_i), ψ'_{j,i} = Πlog*(G_i, Γ_i; G), under j's (N̂, s, t).
 * `runParallel`: every peer's Πenc check and every (D, F, ψ), (D̂, F̂, ψ̂), ψ' a task on
 * `ctx.parallel` (./tasks.ts), all at once; the checks are reported in `run`'s order (peer by peer:
 * its message's shape, then its Πenc), so the abort and its culprit are the same.
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
import type { Verdict } from '../../src/zk/verdict.js';
import type { AuxInfo } from '../aux/types.js';
import type { Outgoing, Received, Round } from '../types.js';
import { PayloadReader, pointBytes } from '../util.js';
import { ctBytes, type MtaCts, proofTranscript, readCt, readProof, type PresignOutput, type PresignState } from './messages.js';
import { takeMask, takeNonce } from './precompute.js';
import type { AffgProveTask, EncVerifyTask, LogStarProveTask } from './tasks.js';

/** Peer j's round-1 messages, shape-checked (blame j, round 1): K_j, G_j and its Πenc. */
function readRound1(rec: Received, j: number, aux: AuxInfo, cfg: Uint8Array): { Kj: bigint; Gj: bigint; psi0: enc.EncProof; psi0Bytes: Uint8Array } {
  const pkj = paillierPublicOf(aux, j);
  const r = new PayloadReader(rec.broadcast, 1, j, 'presign round 1');
  if (!equalBytes(r.bytes('cfg', 32), cfg)) r.fail('configuration hash differs (key, epoch, signers, shift or aux)', 'CONFIG_MISMATCH');
  r.keys('G', 'K', 'cfg');
  const Kj = readCt(r, 'K', pkj);
  const Gj = readCt(r, 'G', pkj);
  const p = new PayloadReader(rec.p2p, 1, j, 'presign round 1 p2p').keys('psi0');
  const psi0 = readProof(p, 'psi0', enc.proofFromBytes);
  return { Kj, Gj, psi0, psi0Bytes: p.raw('psi0') as Uint8Array };
}
export const round2: Round<PresignState, PresignOutput> = {
  sends: { broadcast: true, p2p: true },
  run(state, inbox, ctx) {
    const { aux, cfg } = state;
    const { sk, pk, rpMine, pkFast } = ownAuxKeys(aux);
    const peerK: [number, bigint][] = [];
    const peerG: [number, bigint][] = [];
    for (const [j, rec] of inbox) {
      const pkj = paillierPublicOf(aux, j);
      const { Kj, Gj, psi0 } = readRound1(rec, j, aux, cfg);
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
  async runParallel(state, inbox, ctx) {
    const { aux, cfg } = state;
    const { pk } = ownAuxKeys(aux);
    // every peer's message read first (an error kept, reported in order below)
    type Read = { j: number; ok: ReturnType<typeof readRound1> } | { j: number; error: unknown };
    const read = [...inbox].map(([j, rec]): Read => {
      try {
        return { j, ok: readRound1(rec, j, aux, cfg) };
      } catch (error) {
        return { j, error };
      }
    });
    const verify: EncVerifyTask[] = read.flatMap((e) => ('ok' in e ? [{ kind: 'presign/enc-verify' as const, sid: ctx.sid, cfg, aux, peer: e.j, K: e.ok.Kj, proof: e.ok.psi0Bytes }] : []));
    const wellFormed = read.every((e) => 'ok' in e);
    const gamma = state.gamma!;
    const Gamma_i = mulG(gamma);
    const GammaBytes = pointBytes(Gamma_i);
    const XiBytes = state.X.find(([id]) => id === ctx.self)![1];
    const { ellPrime } = pk.profile;
    const beta: [number, bigint, bigint][] = [];
    const prove: (AffgProveTask | LogStarProveTask)[] = [];
    if (wellFormed) {
      // per peer, in inbox order: β, β̂, then each task's seed; prepared items taken here, once
      for (const e of read) {
        const j = e.j;
        const Kj = (e as { ok: { Kj: bigint } }).ok.Kj;
        const b = randomSigned(ctx.rng, pow2(ellPrime));
        const bh = randomSigned(ctx.rng, pow2(ellPrime));
        beta.push([j, b, bh]);
        const base = { sid: ctx.sid, cfg, aux, peer: j };
        const affgPre = () => ({ r: takeNonce(aux, j), ry: takeNonce(aux, ctx.self), gamma: takeMask(aux, j, 'gamma'), delta: takeMask(aux, j, 'delta'), m: takeMask(aux, j, 'mu'), mu: takeMask(aux, j, 'mu') });
        prove.push({ kind: 'presign/affg-prove', ...base, what: 'psi', seed: ctx.rng.bytes(32), Kj, x: gamma, X: GammaBytes, beta: b, s: takeNonce(aux, j), r: takeNonce(aux, ctx.self), pre: affgPre() });
        prove.push({ kind: 'presign/affg-prove', ...base, what: 'psi-hat', seed: ctx.rng.bytes(32), Kj, x: state.x, X: XiBytes, beta: bh, s: takeNonce(aux, j), r: takeNonce(aux, ctx.self), pre: affgPre() });
        prove.push({ kind: 'presign/logstar-prove', ...base, what: 'psi-prime', seed: ctx.rng.bytes(32), C: state.G!, X: GammaBytes, x: gamma, rho: state.nu!, pre: { r: takeNonce(aux, ctx.self), mu: takeMask(aux, j, 'mu'), gamma: takeMask(aux, j, 'gamma') } });
      }
    }
    const results = await ctx.parallel.run([...verify, ...prove]);
    let v = 0;
    for (const e of read) {
      if ('error' in e) throw e.error;
      abortUnless(results[v++] as Verdict, 1, e.j, 'Πenc ψ⁰');
    }
    const made = results.slice(verify.length);
    const outbox: Outgoing[] = [{ to: null, payload: { Gamma: GammaBytes } }];
    const sent: [number, MtaCts][] = [];
    read.forEach((e, n) => {
      const pkj = paillierPublicOf(aux, e.j);
      const psi = made[3 * n] as { D: bigint; F: bigint; proof: Uint8Array };
      const psiHat = made[3 * n + 1] as { D: bigint; F: bigint; proof: Uint8Array };
      sent.push([e.j, { D: psi.D, F: psi.F, Dh: psiHat.D, Fh: psiHat.F }]);
      outbox.push({
        to: e.j,
        payload: {
          D: ctBytes(pkj, psi.D),
          F: ctBytes(pk, psi.F),
          Dh: ctBytes(pkj, psiHat.D),
          Fh: ctBytes(pk, psiHat.F),
          psi: psi.proof,
          psiHat: psiHat.proof,
          psiPrime: made[3 * n + 2] as Uint8Array,
        },
      });
    });
    const ok = read as { j: number; ok: { Kj: bigint; Gj: bigint } }[]; // every entry read (an error was thrown above)
    const peerK: [number, bigint][] = ok.map((e) => [e.j, e.ok.Kj]);
    const peerG: [number, bigint][] = ok.map((e) => [e.j, e.ok.Gj]);
    return { state: { ...state, peerK, peerG, Gamma_i: GammaBytes, beta, sent }, outbox };
  },
};
