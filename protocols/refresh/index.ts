/**
 * Proactive refresh (re-sharing) among a qualified set to a new index set and threshold, same
 * public key, epoch + 1. Every party holding old indices deals its Lagrange-weighted share
 * w_i = Σ_{k∈old_i} λ_k·x_k with Feldman commitments; every party receives shares for the new
 * indices it owns (the device computes those of offline factors). Round 2 is a confirmation: all
 * parties hash the same round-1 view and prove knowledge of their new shares, so when any party
 * has output, every party has verified its new shares — the output holds everything needed to make
 * the new sharing durable (commitments, public shares, epoch, own shares) before old ones go.
 * Round 3 (n ≥ 3) echoes the confirmations, so a party that confirms different views to different
 * parties is named by every honest party. An abort after the new shares are verified keeps them
 * as `Session.unconfirmed`: the owner stages them like an output and the durable commit decides
 * the epoch, so honest parties never split (README "Durability").
 *
 *   refresh                 — without extension
 *   refreshProtocol(ext)    — with an extension riding in the `ext` fields (aux info re-proofs)
 * @module
 */
import { abytes } from '../../src/bytes.js';
import { fail } from '../../src/errors.js';
import { lagrangeCoefficient } from '../../src/shamir/index.js';
import { IDENTITY, modN, msm, mulGUnsafe, pointFromBytes, scalarFromBytes, type Point } from '../../src/curve.js';
import type { PartyContext, Protocol } from '../types.js';
import { assertThresholdAllowed, pointBytes } from '../util.js';
import { configHash, PROTOCOL, type RefreshExtension, type RefreshInput, type RefreshOutput, type RefreshState } from './messages.js';
import { round1 } from './round1.js';
import { round2 } from './round2.js';
import { round3 } from './round3.js';
import { outputOf, round4 } from './round4.js';

export * from './messages.js';

function init(input: RefreshInput, ctx: PartyContext, ext: RefreshExtension | undefined): RefreshState {
  if (typeof input !== 'object' || input === null) fail('INVALID_ARGUMENT', 'refresh input: expected an object');
  assertThresholdAllowed(ctx.threshold, input.allowThresholdOne, 'refresh');
  const Y = pointFromBytes(abytes(input.publicKey, 'publicKey'), 'publicKey');
  if (!Number.isSafeInteger(input.epoch) || input.epoch < 0) fail('INVALID_ARGUMENT', 'epoch: expected a non-negative integer');
  if (!Number.isSafeInteger(input.oldThreshold) || input.oldThreshold < 1) fail('INVALID_ARGUMENT', 'oldThreshold: expected a positive integer');
  if (!Array.isArray(input.oldPublicShares)) fail('INVALID_ARGUMENT', 'oldPublicShares: expected an array');
  const oldPublic = new Map<number, Point>();
  for (const [k, e] of input.oldPublicShares.entries()) {
    if (!Number.isSafeInteger(e?.index) || e.index < 0) fail('INVALID_ARGUMENT', `oldPublicShares[${k}].index: expected a positive integer`);
    if (e.index === 0) fail('ZERO_INDEX', `oldPublicShares[${k}]: index 0`);
    if (oldPublic.has(e.index)) fail('DUPLICATE_INDEX', `oldPublicShares: index ${e.index} twice`);
    oldPublic.set(e.index, pointFromBytes(abytes(e.X, `oldPublicShares[${k}].X`), `oldPublicShares[${k}].X`));
  }
  if (!Array.isArray(input.dealers)) fail('INVALID_ARGUMENT', 'dealers: expected an array');
  const partyIds = new Set(ctx.parties.map((p) => p.id));
  const dealers = new Map<number, number[]>();
  const S = new Set<number>();
  for (const [k, d] of input.dealers.entries()) {
    if (!partyIds.has(d?.party)) fail('INVALID_ARGUMENT', `dealers[${k}].party: not a party of the session`);
    if (dealers.has(d.party)) fail('DUPLICATE_INDEX', `dealers: party ${d.party} twice`);
    if (!Array.isArray(d.indices) || d.indices.length === 0) fail('INVALID_ARGUMENT', `dealers[${k}].indices: expected a non-empty array`);
    for (const i of d.indices) {
      if (i === 0) fail('ZERO_INDEX', `dealers[${k}]: old index 0`);
      if (!oldPublic.has(i)) fail('INVALID_ARGUMENT', `dealers[${k}]: no public share for old index ${String(i)}`);
      if (S.has(i)) fail('DUPLICATE_INDEX', `dealers: old index ${i} dealt twice`);
      S.add(i);
    }
    dealers.set(d.party, [...d.indices].sort((a, b) => a - b));
  }
  if (S.size < input.oldThreshold) fail('NOT_ENOUGH_SHARES', `dealers hold ${S.size} old indices, the old threshold is ${input.oldThreshold}`);
  const xs = [...S].sort((a, b) => a - b).map(BigInt);
  const lambda = new Map(xs.map((x) => [Number(x), lagrangeCoefficient(xs, x)]));
  // Y = Σ_{k∈S} λ_k·X_k: the old public shares are consistent with the key
  const sorted = [...S].sort((a, b) => a - b);
  if (!msm(sorted.map((k) => oldPublic.get(k)!), sorted.map((k) => lambda.get(k)!)).equals(Y)) {
    fail('SHARE_NOT_ON_POLYNOMIAL', 'the old public shares of the dealt indices do not interpolate to publicKey');
  }
  const lambdaX: [number, Uint8Array][] = [];
  for (const [party, idx] of [...dealers].sort((a, b) => a[0] - b[0])) {
    const P = msm(idx.map((k) => oldPublic.get(k)!), idx.map((k) => lambda.get(k)!));
    if (P.equals(IDENTITY)) fail('INVALID_ARGUMENT', `dealer ${party}: λ·X is the identity`);
    lambdaX.push([party, pointBytes(P)]);
  }
  // own old shares: exactly the listed indices, each on its public share
  const mine = dealers.get(ctx.self) ?? [];
  if (!Array.isArray(input.oldShares) || input.oldShares.length !== mine.length) fail('INVALID_ARGUMENT', `oldShares: expected the ${mine.length} old shares listed for self in dealers`);
  let w = 0n;
  for (const [k, s] of input.oldShares.entries()) {
    if (!mine.includes(s?.index)) fail('INVALID_ARGUMENT', `oldShares[${k}].index: not listed for self in dealers`);
    if (input.oldShares.findIndex((o) => o.index === s.index) !== k) fail('DUPLICATE_INDEX', `oldShares: index ${s.index} twice`);
    const x = scalarFromBytes(abytes(s.share, `oldShares[${k}].share`), `oldShares[${k}].share`);
    if (!mulGUnsafe(x).equals(oldPublic.get(s.index)!)) fail('SHARE_NOT_ON_POLYNOMIAL', `oldShares[${k}]: share does not match its public share`);
    w += lambda.get(s.index)! * x;
  }
  const cfgDealers = [...dealers].sort((a, b) => a[0] - b[0]).map(([party, indices]) => ({ party, indices }));
  const cfg = configHash(ctx, {
    Y: pointBytes(Y),
    epoch: input.epoch,
    oldThreshold: input.oldThreshold,
    dealers: cfgDealers,
    oldPublic: sorted.map((k) => [k, pointBytes(oldPublic.get(k)!)] as [number, Uint8Array]),
    ext: ext?.name ?? 'none',
  });
  return {
    cfg,
    Y: pointBytes(Y),
    epoch: input.epoch,
    lambdaX,
    w: mine.length ? modN(w) : null,
    previous: { threshold: input.oldThreshold, indices: sorted },
  };
}

/** The refresh protocol, optionally carrying an extension (see `RefreshExtension`). */
export function refreshProtocol(ext?: RefreshExtension): Protocol<RefreshInput, RefreshState, RefreshOutput> {
  return Object.freeze({
    name: PROTOCOL,
    init: (input: RefreshInput, ctx: PartyContext) => init(input, ctx, ext),
    rounds: [round1(ext), round2(ext), round3(ext), round4()],
    echoRound: 1,
    unconfirmed: outputOf,
  });
}

export const refresh: Protocol<RefreshInput, RefreshState, RefreshOutput> = refreshProtocol();
