/**
 * Aux-info proof bundle of one peer (cggmp-recipe §2.2): the peer's Paillier/ring-Pedersen modulus
 * N with (s, t), Πprm (bound to (sid, j)), Πmod and Πfac (bound to (sid, j, ρ); Πfac made under
 * the verifier's own ring-Pedersen parameters). Every proof is mandatory: an absent one is
 * `PROOF_MISSING` (BitGo "zero proof"), and there is no switch that skips any of them.
 * @module
 */
import type { PaillierSecretKey } from '../paillier/keys.js';
import type { RingPedersenParams, RingPedersenSecret } from '../paillier/ring-pedersen.js';
import type { Rng } from '../rng.js';
import * as fac from './fac.js';
import * as mod from './mod.js';
import type { ZkProfile } from './params.js';
import * as prm from './prm.js';
import { Transcript } from './transcript.js';
import { checkModulusSize } from './util.js';
import { OK, reject, type Verdict } from './verdict.js';

export const AUX_PROTOCOL = 'aux';

/** What a peer publishes (N, s, t, ψ̂ = Πprm, ψ = Πmod) and sends to us (φ = Πfac). */
export interface PeerAux {
  N: bigint;
  s: bigint;
  t: bigint;
  prm?: prm.PrmProof | undefined;
  mod?: mod.ModProof | undefined;
  fac?: fac.FacProof | undefined;
}

export interface AuxContext {
  sid: Uint8Array;
  /** ρ = ⊕ρ_j of the aux session. */
  rho: Uint8Array;
  profile: ZkProfile;
}

/** The transcripts of prover `i`'s aux proofs; Πfac's also names its verifier `j`. */
export function auxTranscripts(ctx: AuxContext, i: number) {
  const base = { sid: ctx.sid, protocol: AUX_PROTOCOL, prover: i };
  return {
    prm: Transcript.create(base),
    mod: Transcript.create({ ...base, rid: ctx.rho }),
    fac: (j: number) => Transcript.create({ ...base, rid: ctx.rho }).fork('fac-verifier', j),
  };
}

/** Prover side: Πprm and Πmod (broadcast) and Πfac for each verifier's parameters. */
export function proveAux(
  sk: PaillierSecretKey,
  rpSecret: RingPedersenSecret,
  ctx: AuxContext,
  i: number,
  verifiers: ReadonlyMap<number, RingPedersenParams>,
  rng: Rng,
): { prm: prm.PrmProof; mod: mod.ModProof; fac: Map<number, fac.FacProof> } {
  const { p, q } = sk.exportPrimes();
  const N = sk.n;
  const tr = auxTranscripts(ctx, i);
  const rp = rpSecret.params;
  const prmProof = prm.prove({ N, s: rp.s, t: rp.t, profile: ctx.profile }, { lambda: rpSecret.lambda, p, q }, tr.prm, rng);
  const modProof = mod.prove({ N, profile: ctx.profile }, { p, q }, tr.mod, rng);
  const facs = new Map<number, fac.FacProof>();
  for (const [j, rpj] of verifiers) facs.set(j, fac.prove({ N0: N, rp: rpj, profile: ctx.profile }, { p, q }, tr.fac(j), rng));
  return { prm: prmProof, mod: modProof, fac: facs };
}

/**
 * Verifier `j` checks peer `i`'s aux material before storing N_i: all three proofs present, the
 * size window, the structural modulus checks, (s, t) well formed, then Πprm, Πmod, Πfac.
 */
export function verifyPeerAux(peer: PeerAux, ctx: AuxContext, i: number, j: number, ownRp: RingPedersenParams): Verdict {
  if (typeof peer !== 'object' || peer === null || typeof peer.N !== 'bigint' || typeof peer.s !== 'bigint' || typeof peer.t !== 'bigint') {
    return reject('PROOF_MALFORMED', 'N/s/t');
  }
  if (peer.prm == null) return reject('PROOF_MISSING', 'prm');
  if (peer.mod == null) return reject('PROOF_MISSING', 'mod');
  if (peer.fac == null) return reject('PROOF_MISSING', 'fac');
  const { N, s, t } = peer;
  const profile = ctx.profile;
  const size = checkModulusSize(N, profile);
  if (size) return size;
  const structural = mod.checkModulus(N, profile);
  if (structural) return structural;
  const params = prm.checkParams(N, s, t);
  if (params) return params;
  const tr = auxTranscripts(ctx, i);
  const v1 = prm.verify({ N, s, t, profile }, peer.prm, tr.prm);
  if (!v1.ok) return v1;
  const v2 = mod.verify({ N, profile }, peer.mod, tr.mod);
  if (!v2.ok) return v2;
  const v3 = fac.verify({ N0: N, rp: ownRp, profile }, peer.fac, tr.fac(j));
  if (!v3.ok) return v3;
  return OK;
}
