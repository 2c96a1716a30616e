/**
 * CGGMP21 online signing (1 round) with a single-use presignature (protocols/presign).
 *
 *   const s = Session.create(sign, {sid, self, parties: signers, threshold: t}, {presignature, digest, publicKey, epoch, shift}, {rng});
 *
 * `init` refuses (InvalidInput, nothing sent, nothing consumed) a presignature bound to another key,
 * epoch, derivation shift or signer set (PRESIGN_BINDING_MISMATCH: the Groth–Shoup hazard of picking
 * the path after presigning), then consumes it (PRESIGN_USED on a second use). An abort
 * burns it: it is never retried.
 * @module
 */
import { abytes, bytesToNumberBE, equalBytes } from '../../src/bytes.js';
import { fail } from '../../src/errors.js';
import { modN, N as q, pointFromBytes, pointToBytes } from '../../src/curve.js';
import { Presignature } from '../presign/presignature.js';
import type { PartyContext, Protocol } from '../types.js';
import { PROTOCOL, type SignInput, type SignOutput, type SignState } from './messages.js';
import { round1 } from './round1.js';
import { round2 } from './round2.js';

export * from './messages.js';

function init(input: SignInput, ctx: PartyContext): SignState {
  if (typeof input !== 'object' || input === null) fail('INVALID_ARGUMENT', 'sign input: expected an object');
  const ps = input.presignature;
  if (!(ps instanceof Presignature)) fail('INVALID_ARGUMENT', 'presignature: expected a Presignature');
  const digest = abytes(input.digest, 'digest', 32);
  // compared with the presignature's (validated, compressed) key as bytes; an uncompressed key is compressed first
  const Yin = abytes(input.publicKey, 'publicKey', [33, 65]);
  const Y = Yin.length === 33 ? Yin : pointToBytes(pointFromBytes(Yin, 'publicKey'), true);
  if (!Number.isSafeInteger(input.epoch) || input.epoch < 0) fail('INVALID_ARGUMENT', 'epoch: expected a non-negative integer');
  const shift = input.shift === undefined ? new Uint8Array(32) : abytes(input.shift, 'shift', 32);
  if (bytesToNumberBE(shift) >= q) fail('INVALID_SCALAR', 'shift: not below the group order');
  const ids = ctx.parties.map((p) => p.id);
  if (ps.self !== ctx.self || ps.signers.length !== ids.length || ps.signers.some((id, k) => id !== ids[k])) fail('PRESIGN_BINDING_MISMATCH', 'presignature: made for another signer set');
  if (!equalBytes(ps.publicKey, Y)) fail('PRESIGN_BINDING_MISMATCH', 'presignature: made for another key');
  if (ps.epoch !== input.epoch) fail('PRESIGN_BINDING_MISMATCH', 'presignature: made for another epoch (refreshed shares)');
  if (!equalBytes(ps.shift, shift)) fail('PRESIGN_BINDING_MISMATCH', 'presignature: made for another derivation path');
  const d = ps.consume();
  const R = pointFromBytes(d.R);
  const { x: Rx } = R.toAffine();
  const r = modN(Rx);
  const m = modN(bytesToNumberBE(digest));
  const k = bytesToNumberBE(d.k);
  const chi = bytesToNumberBE(d.chi);
  return {
    tag: d.tag,
    digest: new Uint8Array(digest),
    m,
    r,
    R: pointToBytes(R, false),
    Yd: d.derivedKey,
    sigma: modN(k * m + r * chi),
    Rbar: d.Rbar.map((e) => [e.id, e.P]),
    Sbar: d.Sbar.map((e) => [e.id, e.P]),
  };
}

export const sign: Protocol<SignInput, SignState, SignOutput> = Object.freeze({
  name: PROTOCOL,
  init,
  rounds: [round1, round2],
});
