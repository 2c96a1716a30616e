/**
 * Aux round 3. For every other party j (blame j, round 2): ψ̂_j present; the decommitment opens
 * V_j; bitlen(N_j) in the profile window, N_j odd, no factor < 2^16, not prime, not a perfect
 * power; s_j, t_j well formed; Πprm_j under (sid, j). Then ρ = ⊕ρ_j; broadcast ψ_i = Πmod bound to
 * (sid, i, ρ) and send each j φ_i^j = Πfac bound to (sid, i, ρ, j) under j's ring-Pedersen
 * parameters (never our own: Taurus 21fa6bf).
 * @module
 */
import { equalBytes } from '../../src/bytes.js';
import { getProfile } from '../../src/paillier/profiles.js';
import type { Outgoing, Round } from '../types.js';
import { PayloadReader } from '../util.js';
import { type AuxState, commitmentHash, xor } from './messages.js';
import { checkPeerModulus, type Modulus, proofBytes, proveModFac, readModulus } from './proofs.js';
import type { AuxInfo } from './types.js';

export const round3: Round<AuxState, AuxInfo> = {
  sends: { broadcast: true, p2p: true },
  run(state, inbox, ctx) {
    const profile = getProfile(state.profile);
    const peerV = new Map(state.peerV!);
    let rho = state.own!.rho;
    const peers: [number, Modulus][] = [];
    for (const [j, rec] of inbox) {
      const r = new PayloadReader(rec.broadcast, 2, j, 'aux round 2');
      const prm = proofBytes(r, 'prm');
      r.keys('N', 'prm', 'rho', 's', 't', 'u');
      const m = readModulus(r, profile);
      const d = { ...m, prm, rho: r.bytes('rho', 32), u: r.bytes('u', 32) };
      if (!equalBytes(commitmentHash(ctx.sid, j, state.cfg, d), peerV.get(j)!)) r.fail('decommitment does not open V_j', 'DECOMMITMENT_MISMATCH');
      checkPeerModulus(r, m, prm, ctx.sid, profile);
      rho = xor(rho, d.rho);
      peers.push([j, m]);
    }
    peers.sort((a, b) => a[0] - b[0]);
    const { mod, fac } = proveModFac(state, ctx.sid, ctx.self, rho, peers, ctx.rng);
    const outbox: Outgoing[] = [{ to: null, payload: { mod } }];
    for (const [j] of peers) outbox.push({ to: j, payload: { fac: fac.get(j)! } });
    return { state: { ...state, rho, peers, peerV: [] }, outbox };
  },
};
