/**
 * CGGMP21 presigning for any t signers of a t-of-n key (cggmp-recipe §2.5, §2.8, §2.9): Lawrence
 * conversion to additive shares over the signing set, Paillier MtA with Πenc, Πaff-g, Πlog*, the δ
 * check, R = δ⁻¹·Γ; round 4 confirms the round-3 view or, after a failed δ/S check, runs the
 * Πmul, Πmul* and Πdec blame so the culprit is named. Output: a single-use `Presignature`.
 *
 *   parties = signers, each {id: share index, owns: [id]}; threshold = number of signers (t)
 *   const s = Session.create(presign, {sid, self, parties, threshold: t}, {publicKey, epoch, publicShares, share, shift, aux}, {rng});
 * @module
 */
import { abytes, bytesToNumberBE } from '../../src/bytes.js';
import { fail } from '../../src/errors.js';
import { IDENTITY, modN, N as q, msm, mulGUnsafe, pointFromBytes, scalarFromBytes, type Point } from '../../src/curve.js';
import { lagrangeCoefficient } from '../../src/shamir/index.js';
import { paillierPublicOf, paillierSecretFromAux, ringPedersenOf } from '../aux/materialize.js';
import type { AuxInfo } from '../aux/types.js';
import type { PartyContext, Protocol } from '../types.js';
import { pointBytes } from '../util.js';
import { blameBits } from './blame-bound.js';
import { configHash, PROTOCOL, type PresignInput, type PresignOutput, type PresignState } from './messages.js';
import { round1 } from './round1.js';
import { round2 } from './round2.js';
import { round3 } from './round3.js';
import { round4 } from './round4.js';
import { round5 } from './round5.js';

export * from './messages.js';
export { blameBits, maxBlameSigners } from './blame-bound.js';
export { Presignature } from './presignature.js';
export { maskPoolOf, noncePoolOf, preparePresign, presignDemand, takeMask, takeNonce } from './precompute.js';

function checkAux(aux: AuxInfo, ctx: PartyContext): void {
  if (typeof aux !== 'object' || aux === null || !Array.isArray(aux.parties)) fail('INVALID_ARGUMENT', 'aux: expected AuxInfo');
  if (aux.profile !== 'default' && aux.profile !== 'high') fail('INVALID_ARGUMENT', 'aux.profile: expected "default" or "high"');
  if (aux.self !== ctx.self) fail('INVALID_ARGUMENT', 'aux.self: not this party');
  if (typeof aux.secret !== 'object' || aux.secret === null) fail('INVALID_ARGUMENT', 'aux.secret: expected {p, q, lambda}');
  const Ns = new Set<bigint>();
  for (const p of ctx.parties) {
    const e = aux.parties.find((a) => a.id === p.id);
    if (!e || typeof e.N !== 'bigint' || typeof e.s !== 'bigint' || typeof e.t !== 'bigint') fail('INVALID_ARGUMENT', `aux: no valid entry for signer ${p.id}`);
    if (Ns.has(e.N)) fail('INVALID_ARGUMENT', `aux: signer ${p.id} reuses another signer's modulus`);
    Ns.add(e.N);
    paillierPublicOf(aux, p.id); // size and structure checks
    ringPedersenOf(aux, p.id);
  }
  paillierSecretFromAux(aux);
}

function init(input: PresignInput, ctx: PartyContext): PresignState {
  if (typeof input !== 'object' || input === null) fail('INVALID_ARGUMENT', 'presign input: expected an object');
  for (const p of ctx.parties) if (p.owns.length !== 1 || p.owns[0] !== p.id) fail('INVALID_ARGUMENT', `party ${p.id}: a signer owns exactly its share index (owns: [${p.id}])`);
  if (ctx.threshold !== ctx.parties.length) fail('INVALID_ARGUMENT', 'threshold: presign runs among exactly t signers (threshold = number of parties)');
  const Y = pointFromBytes(abytes(input.publicKey, 'publicKey'), 'publicKey');
  if (!Number.isSafeInteger(input.epoch) || input.epoch < 0) fail('INVALID_ARGUMENT', 'epoch: expected a non-negative integer');
  const shift = input.shift === undefined ? new Uint8Array(32) : abytes(input.shift, 'shift', 32);
  const delta = bytesToNumberBE(shift);
  if (delta >= q) fail('INVALID_SCALAR', 'shift: not below the group order');
  if (!Array.isArray(input.publicShares)) fail('INVALID_ARGUMENT', 'publicShares: expected an array');
  checkAux(input.aux, ctx);
  blameBits(input.aux.profile, ctx.parties.length); // the blame round's Πdec must fit (DEC_BOUND_UNFIT)
  const ids = ctx.parties.map((p) => p.id);
  const Xs: [number, Uint8Array][] = ids.map((id) => {
    const e = input.publicShares.find((s) => s?.index === id);
    if (!e) fail('INVALID_ARGUMENT', `publicShares: none for signer ${id}`);
    return [id, pointBytes(pointFromBytes(abytes(e.X, `publicShares[${id}].X`), `publicShares[${id}].X`))];
  });
  // Lawrence conversion: λ_j over the signing set; Y = Σ λ_j·X'_j (the public shares are those of Y)
  const xsBig = ids.map(BigInt);
  const lambda = ids.map((id) => lagrangeCoefficient(xsBig, BigInt(id)));
  const Xprime = Xs.map(([, b]) => pointFromBytes(b));
  if (!msm(Xprime, lambda).equals(Y)) fail('SHARE_NOT_ON_POLYNOMIAL', "publicShares: the signers' public shares do not interpolate to publicKey");
  const own = scalarFromBytes(abytes(input.share, 'share', 32), 'share');
  const me = ids.indexOf(ctx.self);
  if (!mulGUnsafe(own).equals(Xprime[me]!)) fail('SHARE_NOT_ON_POLYNOMIAL', 'share: does not match its public share');
  const shiftG = mulGUnsafe(delta);
  const Yd = Y.add(shiftG);
  if (Yd.equals(IDENTITY)) fail('INVALID_SCALAR', 'shift: Y + shift·G is the identity');
  const additive: Point[] = Xprime.map((P, k) => {
    const A = P.multiplyUnsafe(lambda[k]!);
    return k === 0 ? A.add(shiftG) : A;
  });
  if (additive.some((P) => P.equals(IDENTITY))) fail('INVALID_SCALAR', 'shift: an additive public share is the identity');
  let x = modN(lambda[me]! * own);
  if (me === 0) x = modN(x + delta);
  const cfg = configHash(ctx, { Y: pointBytes(Y), epoch: input.epoch, Xs, shift, aux: input.aux });
  return {
    cfg,
    aux: input.aux,
    signers: ids,
    Y: pointBytes(Y),
    Yd: pointBytes(Yd),
    epoch: input.epoch,
    shift,
    X: ids.map((id, k) => [id, pointBytes(additive[k]!)]),
    x,
  };
}

export const presign: Protocol<PresignInput, PresignState, PresignOutput> = Object.freeze({
  name: PROTOCOL,
  init,
  rounds: [round1, round2, round3, round4, round5],
  echoRound: 1,
});
