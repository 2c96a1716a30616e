/**
 * t-of-n distributed key generation (CGGMP21 threshold variant, cggmp-recipe §2.3): commit,
 * reveal with Feldman commitment vectors of exactly t points plus rid and chain-code shares,
 * private shares, Feldman checks, Schnorr proofs bound to (sid, i, rid, m). Every party deals; a
 * party may own several share indices (the device computes the shares of offline factors).
 *
 *   const s = Session.create(keygen, {sid, self: 2, parties: [{id: 1, owns: [1]}, {id: 2, owns: [2, 3]}], threshold: 2}, {}, {rng});
 * @module
 */
import { fail } from '../../src/errors.js';
import type { PartyContext, Protocol } from '../types.js';
import { assertThresholdAllowed } from '../util.js';
import { configHash, type KeygenInput, type KeygenOutput, type KeygenState, PROTOCOL } from './messages.js';
import { round1 } from './round1.js';
import { round2 } from './round2.js';
import { round3 } from './round3.js';
import { round4 } from './round4.js';

export * from './messages.js';

export const keygen: Protocol<KeygenInput, KeygenState, KeygenOutput> = Object.freeze({
  name: PROTOCOL,
  init(input: KeygenInput, ctx: PartyContext): KeygenState {
    if (typeof input !== 'object' || input === null || Object.keys(input).some((k) => k !== 'allowThresholdOne')) fail('INVALID_ARGUMENT', 'keygen input: expected {} (or {allowThresholdOne} in tests)');
    assertThresholdAllowed(ctx.threshold, input.allowThresholdOne, 'keygen');
    return { cfg: configHash(ctx) };
  },
  rounds: [round1, round2, round3, round4],
  echoRound: 1,
});
