/**
 * The two-phase commit of a refresh (DESIGN §4, issue 4 item 5).
 *
 *   run      the refresh protocol (service + device) over the transport. The service's `finish`
 *            stages its new share durably NEXT TO its old one (keyed by epoch); the device's
 *            stages its new shares in memory next to its old ones. An interruption here leaves
 *            the durable account untouched. So does a ProtocolAbort at any party, even one after
 *            the new shares were verified: the run fails, the device commits nothing, and every
 *            party still holds the old epoch (protocols/README.md "No split").
 *   phase 1  ONE metadata batch: every factor re-encrypted (`direct`) to its new share, the new
 *            tssPolyCommits, tssNonce + 1, descriptions / factor records, the aux the device
 *            holds sealed to every factor of its index that lacks it, and the service
 *            checkpoint naming the new epoch. A StorageConflict is rebased and retried; if the
 *            batch still fails, the account is re-read: when the new epoch is durable after all
 *            (lost acknowledgement) we go on, otherwise the staged shares are wiped and the error
 *            rethrown — the durable account is still the old epoch, which both sides still hold.
 *   phase 2  only now: the device keeps the new shares of the factors it holds and wipes every old
 *            buffer; the service is told (`finalize`), re-reads the checkpoint and drops epoch e−1.
 *            If it never hears this, it does the same on its next contact for the account (a
 *            session, a login, `sweep()`); `finalizePending` tells the caller to retry.
 * @module
 */
import type { Point } from '../curve.js';
import { fail } from '../errors.js';
import type { SecurityQuestionKdf } from '../modules/security-questions.js';
import { buildRefreshedTss } from '../tss/factor-ops.js';
import { factorEncKey, readTss } from '../tss/tss-metadata.js';
import { TssShare } from '../tss/tss-share.js';
import { refresh, refreshProtocol, type RefreshInput, type RefreshOutput, type RefreshState } from '../../protocols/refresh/index.js';
import { auxRotation, type AuxInput } from '../../protocols/aux/index.js';
import type { AuxInfo } from '../../protocols/aux/types.js';
import { sealAuxFor, sealAuxForAll, type AuxEntry } from './aux-store.js';
import type { PlanProtocol } from './transport.js';
import { pointFromBytes } from '../curve.js';
import { checkpointOf } from './shares.js';
import { commitOps, queueChange, settle } from './metadata-ops.js';
import { freshState, refOf, type Core } from './core.js';
import { DEVICE_PARTY } from './device-party.js';
import { SERVICE_INDEX, SERVICE_PARTY } from './service-party.js';

export interface RefreshPlan {
  name: string;
  /** Every factor after the change, with its share index. */
  targets: readonly { factorPub: Point; tssIndex: number }[];
  /** t of the new sharing. */
  threshold: number;
  newFactors?: readonly Point[];
  removedFactors?: readonly Point[];
  /** Secret keys of new/removed factors the device holds (their records are signed with them). */
  factorKeys?: readonly bigint[];
  descriptions?: readonly { factorPub: Point; description: string }[];
  securityQuestion?: { tssIndex: number; factorPub: Point; question: string; kdf?: SecurityQuestionKdf };
  /** Factor keys (factorEncKey → index) the device holds after the change: it keeps those shares. */
  heldAfter: ReadonlyMap<string, number>;
  /**
   * Rotate the device's aux inside this refresh (`auxRotation`: fresh Paillier key from this
   * prepared input, the service re-proves its long-lived one). The device then takes part as the
   * party of its signing index, and the new aux goes into the phase-1 batch for that index's factors.
   */
  rotateAux?: AuxInput;
}

export interface LifecycleResult {
  /** The account's epoch (tssNonce) after the operation. */
  tssNonce: number;
  threshold: number;
  /** The service has confirmed the new epoch and dropped the old share (phase 2 done). */
  finalized: boolean;
}

/** Phase 2 at the service (idempotent). Returns whether the service's share matches the durable epoch. */
export async function finalize(c: Core): Promise<boolean> {
  try {
    const r = await c.service.finalize(refOf(c));
    c.finalizePending = !(r.durable !== null && r.confirmed === r.durable.tssNonce && r.pending.every((e) => e > r.durable!.tssNonce));
  } catch {
    c.finalizePending = true;
  }
  return !c.finalizePending;
}

/** Validate a refresh's targets and threshold before anything runs (bad input changes nothing). */
export function checkTargets(targets: RefreshPlan['targets'], threshold: number): number[] {
  if (!Array.isArray(targets) || targets.length === 0) fail('THRESHOLD_VIOLATION', 'a refresh must leave at least one factor');
  const seen = new Set<string>();
  for (const t of targets) {
    const k = factorEncKey(t.factorPub);
    if (seen.has(k)) fail('FACTOR_EXISTS', `factor ${k.slice(0, 16)}… listed twice`);
    seen.add(k);
    if (!Number.isSafeInteger(t.tssIndex) || t.tssIndex < 2 || t.tssIndex > 0x7fffffff) fail('OUT_OF_RANGE', `tssIndex ${String(t.tssIndex)}: expected an integer in [2, 2^31)`);
  }
  const indices = [...new Set(targets.map((t) => t.tssIndex))].sort((a, b) => a - b);
  if (!Number.isSafeInteger(threshold) || threshold < 2) fail('OUT_OF_RANGE', `threshold ${String(threshold)}: expected an integer ≥ 2`);
  if (threshold > 1 + indices.length)
    fail('THRESHOLD_VIOLATION', `threshold ${threshold} exceeds the service plus ${indices.length} user share index(es)`, { userIndices: indices, threshold });
  return indices;
}

/** Refresh the account to `plan` with the two-phase commit. */
export async function refreshTwoPhase(c: Core, plan: RefreshPlan): Promise<LifecycleResult> {
  const tag = c.tssTag;
  const userIdx = checkTargets(plan.targets, plan.threshold);
  await freshState(c);
  const metadata = c.tk.getMetadata();
  const current = readTss(metadata, tag);
  const base = checkpointOf(metadata, tag);
  // the plan was made from the factors it keeps + removes: they must still be exactly the current ones
  const added = new Set((plan.newFactors ?? []).map((p) => factorEncKey(p)));
  const planned = [...plan.targets.map((t) => factorEncKey(t.factorPub)).filter((k) => !added.has(k)), ...(plan.removedFactors ?? []).map((p) => factorEncKey(p))].sort();
  if (planned.join() !== current.factorPubs.map((p) => factorEncKey(p)).sort().join())
    fail('ACCOUNT_STATE_CHANGED', `${plan.name}: the factors changed while the operation was prepared (another device); redo it`);
  const currentIdx = new Set(Object.values(current.factorEncs).map((e) => e.tssIndex));
  const held = c.device.heldIndices.filter((i) => currentIdx.has(i));
  c.device.assertCurrent(base.commitments, held);
  if (1 + held.length < base.commitments.length)
    fail('NOT_ENOUGH_SHARES', `the device holds ${held.length} share(s) of epoch ${base.tssNonce}; threshold ${base.commitments.length} needs ${base.commitments.length - 1} with the service — log in with more factors`);
  let devId = DEVICE_PARTY;
  if (plan.rotateAux) {
    // aux groups are keyed by the share index a device signs with: take part as that index
    const keep = new Set(plan.heldAfter.values());
    const i = held.find((x) => userIdx.includes(x) && keep.has(x));
    if (i === undefined) fail('INVALID_ARGUMENT', 'rotateAux: the device must hold a share that stays after the refresh (the one it signs with)');
    devId = i;
  }
  const dealers = [
    { party: SERVICE_PARTY, indices: [SERVICE_INDEX] },
    ...(held.length ? [{ party: devId, indices: held }] : []),
  ];
  const parties = [
    { id: SERVICE_PARTY, owns: [SERVICE_INDEX] },
    { id: devId, owns: userIdx },
  ];
  const rotate = plan.rotateAux;
  const protocol: PlanProtocol<RefreshInput, RefreshState, RefreshOutput> = rotate
    ? (inputOf) => refreshProtocol(auxRotation((self) => inputOf(self) as AuxInput))
    : refresh;

  // run: both sides stage their new shares next to the old ones
  // our part of the session id; the session runs under the joint sid the service answers with
  const svc = await c.service.refreshParticipant(refOf(c), { sid: c.rng.bytes(32), parties, threshold: plan.threshold, base, dealers, ...(rotate ? { rotateAux: true } : {}) });
  const dev = c.device.refreshParticipant(base, dealers, userIdx, c.rng, { id: devId, ...(rotate ? { rotateAux: rotate } : {}) });
  try {
    await c.transport.run({ protocol, sid: svc.session.sid, threshold: plan.threshold, participants: [svc, dev] });
  } catch (e) {
    c.device.dropStaged();
    throw e;
  }
  const out = c.device.staged;
  if (!out) return fail('INTERNAL_BUG', 'refresh finished without a device output');

  // phase 1: one metadata batch
  const intended = { tssTag: tag, tssNonce: out.tssNonce, commitments: out.commitments };
  try {
    const next = buildRefreshedTss(metadata, tag, {
      commitments: out.commitments.map((b) => pointFromBytes(b)),
      shares: [...out.shares].map(([i, v]) => TssShare.fromBytes(i, v)),
      factors: plan.targets,
      tssNonce: out.tssNonce,
      rng: c.rng,
    });
    await queueChange(c.tk, {
      name: plan.name,
      tssTag: tag,
      expect: { ...base, factors: current.factorPubs.map((p) => factorEncKey(p)) },
      next: () => next,
      ...(plan.newFactors ? { newFactors: plan.newFactors } : {}),
      ...(plan.removedFactors ? { removedFactors: plan.removedFactors } : {}),
      ...(plan.factorKeys ? { factorKeys: plan.factorKeys } : {}),
      ...(plan.descriptions ? { descriptions: plan.descriptions } : {}),
      ...(plan.securityQuestion ? { securityQuestion: plan.securityQuestion } : {}),
      ...(out.aux ? { aux: auxEntriesFor(out.aux, plan.targets, c) } : {}),
      auxFill: heldAuxFill(c, plan.targets, out.aux?.self),
      servicePub: pointFromBytes(c.service.identityPub),
    });
    await commitOps(c.tk, c.conflictAttempts);
  } catch (e) {
    let durable = false;
    try {
      durable = await settle(c.tk, tag, intended);
    } catch {
      // the store is unreachable: as far as we know the batch did not land
    }
    if (!durable) {
      c.device.dropStaged();
      throw e;
    }
  }

  // phase 2: the new epoch is durable — drop the old shares on both sides
  c.device.commitStaged([...new Set(plan.heldAfter.values())]);
  c.heldFactors = new Map(plan.heldAfter);
  const finalized = await finalize(c);
  // presignatures of the old epoch are useless now: raise the pool's floor and burn them
  await c.pool.prune(out.commitments[0]!, out.tssNonce);
  return { tssNonce: out.tssNonce, threshold: plan.threshold, finalized };
}

/**
 * The aux the device holds for each index (other than a rotated one) sealed to every factor of
 * that index: set where a factor has no entry (e.g. one the peer added with `addFactorPub`).
 */
function heldAuxFill(c: Core, targets: RefreshPlan['targets'], rotated: number | undefined): Map<string, AuxEntry> {
  const fill = new Map<string, AuxEntry>();
  for (const i of new Set(targets.map((t) => t.tssIndex))) {
    const aux = i === rotated ? undefined : c.device.aux(i);
    if (aux) for (const [k, v] of sealAuxForAll(aux, targets.filter((t) => t.tssIndex === i).map((t) => t.factorPub), c.rng)) fill.set(k, v);
  }
  return fill;
}

/** The rotated aux encrypted to every factor of its index. */
function auxEntriesFor(aux: AuxInfo, targets: RefreshPlan['targets'], c: Core): Map<string, AuxEntry> {
  return new Map(targets.filter((t) => t.tssIndex === aux.self).map((t) => [factorEncKey(t.factorPub), sealAuxFor(aux, t.factorPub, c.rng)]));
}
