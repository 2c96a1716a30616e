/**
 * Aux round 1: (N_i, s_i, t_i) on the prepared key — fresh t = r², s = t^λ, or the reused ones —
 * ψ̂_i = Πprm bound to (sid, i), ρ_i, u_i ← {0,1}^256; broadcast (cfg, V_i).
 * @module
 */
import type { Round } from '../types.js';
import { commitmentHash, type AuxState, type Decommitment } from './messages.js';
import { ownParameters, prmPoolOf } from './proofs.js';
import type { AuxInfo } from './types.js';

export const round1: Round<AuxState, AuxInfo> = {
  sends: { broadcast: true, p2p: false },
  run(state, _inbox, ctx) {
    const { N, s, t, lambda, prm } = ownParameters(state, ctx.sid, ctx.self, ctx.rng, undefined, prmPoolOf(state));
    const own: Decommitment = { N, s, t, prm, rho: ctx.rng.bytes(32), u: ctx.rng.bytes(32) };
    const V = commitmentHash(ctx.sid, ctx.self, state.cfg, own);
    return { state: { ...state, own, lambda, reuse: null }, outbox: [{ to: null, payload: { cfg: state.cfg, V } }] };
  },
};
