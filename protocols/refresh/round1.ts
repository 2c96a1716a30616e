/**
 * Refresh round 1: a dealer samples g_i of degree t'−1 with g_i(0) = w_i and broadcasts C⃗_i; every
 * party sends σ_{i,m} = g_i(m) to the owner of each new index m (empty lists from a non-dealer).
 * @module
 */
import { InternalBug } from '../../src/errors.js';
import { commit, evaluate, randomPolynomial } from '../../src/shamir/index.js';
import type { Outgoing, Payload, Round } from '../types.js';
import { pointBytes, scalarBytes } from '../util.js';
import { ownsOf, type RefreshExtension, type RefreshOutput, type RefreshState } from './messages.js';

export function round1(ext: RefreshExtension | undefined): Round<RefreshState, RefreshOutput> {
  return {
    sends: { broadcast: true, p2p: true },
    run(state, _inbox, ctx) {
      const g = state.w === null ? null : randomPolynomial(ctx.rng, ctx.threshold - 1, state.w);
      if (g && g.some((a) => a === 0n)) throw new InternalBug('refresh: zero coefficient'); // w = 0 only if the old key is broken
      const C = g ? commit(g).map(pointBytes) : [];
      const x = ext?.round1(ctx);
      const bc: Record<string, Payload> = { cfg: state.cfg, C };
      if (x) bc.ext = x.broadcast;
      const outbox: Outgoing[] = [{ to: null, payload: bc }];
      for (const p of ctx.parties) {
        if (p.id === ctx.self) continue;
        const msg: Record<string, Payload> = { sigma: g ? p.owns.map((m) => scalarBytes(evaluate(g, BigInt(m)))) : [] };
        if (x) msg.ext = x.p2p.get(p.id) ?? null;
        outbox.push({ to: p.id, payload: msg });
      }
      const ownSigma = ownsOf(ctx, ctx.self).map((m) => (g ? evaluate(g, BigInt(m)) : 0n));
      return { state: { ...state, w: null, C, ownSigma, bc1: bc, ...(x ? { ext: x.state } : {}) }, outbox };
    },
  };
}
