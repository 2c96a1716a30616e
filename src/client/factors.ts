/**
 * Factor operations on a logged-in account: list, add (a copy at an existing index — no refresh —
 * or a new index — refresh), delete (refresh), change the threshold (refresh), and the
 * security-answer factor key. Every refresh goes through the two-phase commit (`two-phase.ts`);
 * a copy is one metadata batch (the service is not involved: no share changes).
 * @module
 */
import { aString } from '../bytes.js';
import type { Point } from '../curve.js';
import { fail } from '../errors.js';
import type { SecurityQuestionKdf } from '../modules/security-questions.js';
import { createDirectFactorEnc } from '../tss/factor-enc.js';
import { factorDescriptionJSON, listFactors as listTssFactors, type FactorInfo } from '../tss/factor-descriptions.js';
import { asFactorKey, factorPubPoint, type FactorKey } from '../tss/factor-key.js';
import { hardenedAnswerFactorKey, newAnswerKdf, securityAnswerFactorKey } from '../tss/security-answer-factor.js';
import { factorEncKey, readTss, type TssState } from '../tss/tss-metadata.js';
import { freshState, type Core } from './core.js';
import { commitOps, queueChange } from './metadata-ops.js';
import { checkpointOf } from './shares.js';
import { checkTargets, refreshTwoPhase, type LifecycleResult } from './two-phase.js';
import { pointFromBytes } from '../curve.js';
import { sealAuxFor, sealAuxForAll } from './aux-store.js';
import type { AuxInput } from '../../protocols/aux/index.js';

export interface AddFactorOptions {
  /** The new factor's public key (SEC1), or its key (then this device also holds it afterwards). */
  factor: Uint8Array | FactorKey;
  /** Share index: an index in use → a copy of that share (no refresh); a new one → refresh. */
  tssIndex: number;
  /** Description module (core kit: deviceShare, seedPhrase, tssSecurityQuestions, …). */
  module: string;
  additional?: Record<string, string>;
  /** Record this factor as the tag's security-question factor. */
  securityQuestion?: { question: string; kdf?: SecurityQuestionKdf };
}

export interface AddFactorResult extends LifecycleResult {
  refreshed: boolean;
}

function targetsOf(cur: TssState): { factorPub: Point; tssIndex: number }[] {
  return cur.factorPubs.map((p) => ({ factorPub: p, tssIndex: cur.factorEncs[factorEncKey(p)]!.tssIndex }));
}

export function listFactors(c: Core): FactorInfo[] {
  return listTssFactors(c.tk.getMetadata(), c.tssTag);
}

export async function addFactor(c: Core, o: AddFactorOptions): Promise<AddFactorResult> {
  if (typeof o !== 'object' || o === null) fail('INVALID_ARGUMENT', 'options: expected {factor, tssIndex, module}');
  const isKey = !(o.factor instanceof Uint8Array);
  const key = isKey ? asFactorKey(o.factor as FactorKey, 'factor') : undefined;
  const pub = key ? key.pubPoint : factorPubPoint(o.factor as Uint8Array, 'factor');
  aString(o.module, 'module');
  if (o.securityQuestion) aString(o.securityQuestion.question, 'securityQuestion.question');
  // a signing storage (HttpMetadataStorage) needs the factor record signed by the factor key
  if (!key && c.storage.signedWrites === true)
    fail('OWNER_KEY_REQUIRED', 'addFactor: this storage needs the new factor record signed by the factor key; pass the FactorKey (the device may destroy() it afterwards), not only its public key');
  const factorKeys = key ? [key.scalar()] : [];
  await freshState(c);
  const metadata = c.tk.getMetadata();
  const cur = readTss(metadata, c.tssTag);
  const encKey = factorEncKey(pub);
  if (cur.factorEncs[encKey]) fail('FACTOR_EXISTS', `factor ${encKey.slice(0, 16)}… is already registered`);
  const targets = [...targetsOf(cur), { factorPub: pub, tssIndex: o.tssIndex }];
  checkTargets(targets, cur.commitments.length);
  const description = factorDescriptionJSON({ module: o.module, dateAdded: c.now(), tssShareIndex: o.tssIndex, ...(o.additional ? { additional: o.additional } : {}) });
  const sq = o.securityQuestion ? { tssIndex: o.tssIndex, factorPub: pub, question: o.securityQuestion.question, ...(o.securityQuestion.kdf ? { kdf: o.securityQuestion.kdf } : {}) } : undefined;
  const heldAfter = new Map(c.heldFactors);
  if (key) heldAfter.set(encKey, o.tssIndex);

  if (!targetsOf(cur).some((t) => t.tssIndex === o.tssIndex)) {
    const r = await refreshTwoPhase(c, { name: 'addFactor', targets, threshold: cur.commitments.length, newFactors: [pub], factorKeys, descriptions: [{ factorPub: pub, description }], ...(sq ? { securityQuestion: sq } : {}), heldAfter });
    return { ...r, refreshed: true };
  }

  // a copy of an existing share: one metadata batch, no refresh, the service is not involved
  const share = c.device.share(o.tssIndex);
  const base = checkpointOf(metadata, c.tssTag);
  c.device.assertCurrent(base.commitments, [o.tssIndex]); // never encrypt a share of another epoch
  const enc = createDirectFactorEnc(pub, share, { rng: c.rng });
  const aux = c.device.aux(o.tssIndex);
  try {
    await queueChange(c.tk, {
      name: 'addFactorCopy',
      tssTag: c.tssTag,
      expect: base,
      next: (now) => {
        if (now!.factorEncs[encKey]) fail('FACTOR_EXISTS', `factor ${encKey.slice(0, 16)}… is already registered`);
        return { ...now!, factorPubs: [...now!.factorPubs, pub], factorEncs: { ...now!.factorEncs, [encKey]: enc } };
      },
      newFactors: [pub],
      factorKeys,
      descriptions: [{ factorPub: pub, description }],
      ...(sq ? { securityQuestion: sq } : {}),
      // the index's aux to the new factor, and to every other factor of the index that lacks it
      ...(aux ? { aux: new Map([[encKey, sealAuxFor(aux, pub, c.rng)]]), auxFill: sealAuxForAll(aux, targetsOf(cur).filter((t) => t.tssIndex === o.tssIndex).map((t) => t.factorPub), c.rng) } : {}),
      servicePub: pointFromBytes(c.service.identityPub),
    });
    await commitOps(c.tk, c.conflictAttempts);
  } catch (e) {
    let landed = false;
    try {
      await freshState(c);
      landed = readTss(c.tk.getMetadata(), c.tssTag).factorEncs[encKey] !== undefined;
    } catch {
      // store unreachable: as far as we know it did not land
    }
    if (!landed) throw e;
  }
  if (key) c.heldFactors.set(encKey, o.tssIndex);
  return { tssNonce: base.tssNonce, threshold: base.commitments.length, finalized: !c.finalizePending, refreshed: false };
}

/**
 * Delete a factor (refresh). Given its FactorKey (not only its public key), the factor's tKey v1
 * record is also overwritten with SHARE_DELETED on a signing storage (the write needs its key).
 */
export async function deleteFactor(c: Core, factor: Uint8Array | FactorKey): Promise<LifecycleResult> {
  const fkey = factor instanceof Uint8Array ? undefined : asFactorKey(factor, 'factor');
  const pub = fkey ? fkey.pubPoint : factorPubPoint(factor as Uint8Array, 'factorPub');
  await freshState(c);
  const cur = readTss(c.tk.getMetadata(), c.tssTag);
  const encKey = factorEncKey(pub);
  if (!cur.factorEncs[encKey] || !cur.factorPubs.some((p) => factorEncKey(p) === encKey)) fail('FACTOR_UNKNOWN', `factor ${encKey.slice(0, 16)}… is not registered`);
  const targets = targetsOf(cur).filter((t) => factorEncKey(t.factorPub) !== encKey);
  const heldAfter = new Map(c.heldFactors);
  heldAfter.delete(encKey);
  return refreshTwoPhase(c, { name: 'deleteFactor', targets, threshold: cur.commitments.length, removedFactors: [pub], ...(fkey ? { factorKeys: [fkey.scalar()] } : {}), heldAfter });
}

/** Re-share to threshold `t` over the same factors (refresh). */
export async function changeThreshold(c: Core, t: number): Promise<LifecycleResult> {
  await freshState(c);
  const cur = readTss(c.tk.getMetadata(), c.tssTag);
  return refreshTwoPhase(c, { name: 'changeThreshold', targets: targetsOf(cur), threshold: t, heldAfter: new Map(c.heldFactors) });
}

/** A refresh that changes nothing but the shares (epoch + 1); `rotateAux` also rotates the device's aux inside it. */
export async function refreshShares(c: Core, opts: { rotateAux?: AuxInput } = {}): Promise<LifecycleResult> {
  await freshState(c);
  const cur = readTss(c.tk.getMetadata(), c.tssTag);
  return refreshTwoPhase(c, { name: 'refresh', targets: targetsOf(cur), threshold: cur.commitments.length, heldAfter: new Map(c.heldFactors), ...(opts.rotateAux ? { rotateAux: opts.rotateAux } : {}) });
}

/**
 * The factor key of a security answer for this account: core-kit compatible keccak (default) or,
 * with `hardened`, salted scrypt (the KDF must then be recorded with `securityQuestion.kdf`).
 */
export async function securityAnswerFactor(c: Core, answer: string, opts: { hardened?: boolean | { N?: number; r?: number; p?: number } } = {}): Promise<{ factorKey: FactorKey; kdf?: SecurityQuestionKdf }> {
  aString(answer, 'answer');
  if (!opts.hardened) return { factorKey: securityAnswerFactorKey(answer, c.metadataPub, c.tssTag) };
  const kdf = newAnswerKdf(c.rng, opts.hardened === true ? {} : opts.hardened);
  return { factorKey: await hardenedAnswerFactorKey(answer, c.metadataPub, c.tssTag, kdf), kdf };
}
