/**
 * Aux info (CGGMP21 auxiliary information, cggmp-recipe §2.2): each party's Paillier–Blum modulus
 * N_i = p_i·q_i (safe primes) and ring-Pedersen parameters (N_i, s_i, t_i) with Πprm, Πmod and Πfac
 * (made under each verifier's parameters), all bound to the session and to ρ = ⊕ρ_j. Run once per
 * signer group; the result is reused across keys (the service's aux is long-lived).
 *
 * Primes are prepared BEFORE the session (`prepareAuxInput`, or `generatePaillierKey` with a
 * `PrimePool`: OpenSSL on libuv's thread pool); the rounds are pure.
 *
 *   const input = await prepareAuxInput('default');            // or reuseAux(previousAux)
 *   const s = Session.create(aux, {sid, self: 1, parties, threshold: 1}, input, {rng});
 *   // … run over the transport … s.output: AuxInfo (secret redacted in JSON / inspection)
 *
 * `parties[].owns` and `threshold` of the session config are not used by aux (any valid values).
 * @module
 */
import type { PartyContext, Protocol } from '../types.js';
import { type AuxInput, type AuxState, configHash, PROTOCOL } from './messages.js';
import { attachPrmPool, validateInput } from './proofs.js';
import { round1 } from './round1.js';
import { round2 } from './round2.js';
import { round3 } from './round3.js';
import { round4 } from './round4.js';
import type { AuxInfo } from './types.js';

export * from './info.js';
export * from './materialize.js';
export * from './messages.js';
export { prepareAuxInput, type AuxPrepareProgress, type ParallelPrimeSource, type PrepareAuxOptions } from './prepare.js';
export { auxRotation, AUX_ROTATION, auxFromRefresh } from './refresh-extension.js';
export type * from './types.js';

export const aux: Protocol<AuxInput, AuxState, AuxInfo> = Object.freeze({
  name: PROTOCOL,
  init(input: AuxInput, ctx: PartyContext): AuxState {
    const key = validateInput(input);
    const state: AuxState = { profile: key.profile, cfg: configHash(ctx, key.profile), p: key.p, q: key.q, reuse: key.reuse };
    attachPrmPool(state, input.prmPool);
    return state;
  },
  rounds: [round1, round2, round3, round4],
  echoRound: 1,
});
