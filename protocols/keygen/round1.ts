/**
 * Keygen round 1: sample f_i of degree t−1, rid_i, c_i, u_i and a Schnorr nonce α_{i,m} per owned
 * index m; broadcast (cfg, V_i).
 * @module
 */
import { commit, randomPolynomial } from '../../src/shamir/index.js';
import { commit as schCommit } from '../../src/zk/sch.js';
import type { Round } from '../types.js';
import { pointBytes } from '../util.js';
import { commitmentHash, type KeygenOutput, type KeygenState, ownsOf, type Round1Broadcast } from './messages.js';

export const round1: Round<KeygenState, KeygenOutput> = {
  sends: { broadcast: true, p2p: false },
  run(state, _inbox, ctx) {
    const { rng } = ctx;
    const f = randomPolynomial(rng, ctx.threshold - 1);
    const S = commit(f).map(pointBytes); // S_{i,k} = a_{i,k}·G, a_{i,k} ≠ 0
    const rid = rng.bytes(32);
    const c = rng.bytes(32);
    const nonces = ownsOf(ctx, ctx.self).map(() => schCommit(rng));
    const A = nonces.map((n) => pointBytes(n.A));
    const u = rng.bytes(32);
    const V = commitmentHash(ctx.sid, ctx.self, state.cfg, { S, rid, c, A, u });
    const bc: Round1Broadcast = { cfg: state.cfg, V };
    return {
      state: { ...state, f, S, rid, c, u, alpha: nonces.map((n) => n.alpha), A, V },
      outbox: [{ to: null, payload: { cfg: bc.cfg, V: bc.V } }],
    };
  },
};
