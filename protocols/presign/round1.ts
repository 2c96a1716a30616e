/**
 * Presign round 1: k_i, γ_i ← Z_q, ρ_i, ν_i ← Z*_{N_i}; K_i = enc_i(k_i; ρ_i), G_i = enc_i(γ_i; ν_i)
 * (own key: CRT encryption); broadcast {cfg, K, G}; to each j the Πenc ψ⁰_{j,i} that K_i encrypts
 * k_i ∈ ±2^{ℓ+ε}, made under j's ring-Pedersen parameters.
 * `runParallel`: the same, each peer's Πenc a task on `ctx.parallel` (./tasks.ts).
 * @module
 */
import { randomScalar } from '../../src/curve.js';
import * as enc from '../../src/zk/enc.js';
import { ownPaillierFast, paillierSecretFromAux, ringPedersenOf } from '../aux/materialize.js';
import { takeMask, takeNonce } from './precompute.js';
import type { Outgoing, Round, RoundContext } from '../types.js';
import { ctBytes, proofTranscript, type PresignOutput, type PresignState } from './messages.js';
import type { EncProveTask } from './tasks.js';

/** k_i, γ_i, ρ_i, ν_i and K_i, G_i: the part both paths share (same draws in the same order). */
function commit(state: PresignState, ctx: RoundContext) {
  const sk = paillierSecretFromAux(state.aux);
  const pk = sk.publicKey;
  const k = randomScalar(ctx.rng);
  const gamma = randomScalar(ctx.rng);
  // prepared (ρ, ρ^N) pairs when ready (./precompute.ts), else ρ, ν drawn here as always
  const preK = takeNonce(state.aux, ctx.self);
  const rho = preK ? preK.nonce : pk.sampleNonce(ctx.rng);
  const preG = takeNonce(state.aux, ctx.self);
  const nu = preG ? preG.nonce : pk.sampleNonce(ctx.rng);
  const K = preK ? pk.encryptWithNoncePower(k, preK) : sk.encryptWithNonce(k, rho);
  const G = preG ? pk.encryptWithNoncePower(gamma, preG) : sk.encryptWithNonce(gamma, nu);
  const outbox: Outgoing[] = [{ to: null, payload: { cfg: state.cfg, K: ctBytes(pk, K), G: ctBytes(pk, G) } }];
  return { k, gamma, rho, nu, K, G, outbox };
}

export const round1: Round<PresignState, PresignOutput> = {
  sends: { broadcast: true, p2p: true },
  run(state, _inbox, ctx) {
    const { k, gamma, rho, nu, K, G, outbox } = commit(state, ctx);
    for (const j of state.signers) {
      if (j === ctx.self) continue;
      const pre = { r: takeNonce(state.aux, ctx.self), mu: takeMask(state.aux, j, 'mu'), gamma: takeMask(state.aux, j, 'gamma') };
      const psi0 = enc.prove({ key: ownPaillierFast(state.aux), K, rp: ringPedersenOf(state.aux, j) }, { k, rho }, proofTranscript(ctx.sid, state.cfg, ctx.self, 'psi0', j), ctx.rng, pre);
      outbox.push({ to: j, payload: { psi0: enc.proofToBytes(psi0) } });
    }
    return { state: { ...state, k, gamma, rho, nu, K, G }, outbox };
  },
  async runParallel(state, _inbox, ctx) {
    const { k, gamma, rho, nu, K, G, outbox } = commit(state, ctx);
    const peers = state.signers.filter((j) => j !== ctx.self);
    // per peer, in signer order: the task's seed, then its prepared items (taken here, once)
    const tasks: EncProveTask[] = peers.map((j) => ({
      kind: 'presign/enc-prove',
      sid: ctx.sid,
      cfg: state.cfg,
      aux: state.aux,
      peer: j,
      seed: ctx.rng.bytes(32),
      K,
      k,
      rho,
      pre: { r: takeNonce(state.aux, ctx.self), mu: takeMask(state.aux, j, 'mu'), gamma: takeMask(state.aux, j, 'gamma') },
    }));
    const proofs = (await ctx.parallel.run(tasks)) as Uint8Array[];
    peers.forEach((j, n) => outbox.push({ to: j, payload: { psi0: proofs[n]! } }));
    return { state: { ...state, k, gamma, rho, nu, K, G }, outbox };
  },
};
