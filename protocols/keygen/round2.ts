/**
 * Keygen round 2: check every (cfg_j, V_j); reveal (S⃗_i, rid_i, c_i, A⃗_i, u_i) and send
 * σ_{i,m} = f_i(m) to the owner of each index m.
 * @module
 */
import { equalBytes } from '../../src/bytes.js';
import { evaluate } from '../../src/shamir/index.js';
import type { Outgoing, Round } from '../types.js';
import { PayloadReader, scalarBytes } from '../util.js';
import type { KeygenOutput, KeygenState } from './messages.js';

export const round2: Round<KeygenState, KeygenOutput> = {
  sends: { broadcast: true, p2p: true },
  run(state, inbox, ctx) {
    const peerV: [number, Uint8Array][] = [];
    for (const [j, rec] of inbox) {
      const r = new PayloadReader(rec.broadcast, 1, j, 'keygen round 1').keys('V', 'cfg');
      const cfg = r.bytes('cfg', 32);
      if (!equalBytes(cfg, state.cfg)) r.fail('configuration hash differs', 'CONFIG_MISMATCH');
      peerV.push([j, r.bytes('V', 32)]);
    }
    const f = state.f!;
    const outbox: Outgoing[] = [{ to: null, payload: { S: state.S!, rid: state.rid!, c: state.c!, A: state.A!, u: state.u! } }];
    for (const p of ctx.parties) {
      if (p.id === ctx.self) continue;
      outbox.push({ to: p.id, payload: { sigma: p.owns.map((m) => scalarBytes(evaluate(f, BigInt(m)))) } });
    }
    return { state: { ...state, peerV }, outbox };
  },
};
