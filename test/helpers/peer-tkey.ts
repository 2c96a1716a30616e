/**
 * The peer's writes that our interop fixes are about, reproduced step for step from the published
 * `@tkey/core` 15.1.0 / `@tkey/security-questions` 12 / `@tkey/tss` 15.1.0 sources (quoted per
 * function; tkey-formats §2.3, §4.4, §5, §10). The published packages are not installed here, so
 * these run the peer's code paths on our metadata layer: same records (AuthMetadata per share,
 * signed by k_m, `_syncShareMetadata` semantics), same JSON shapes — and none of our own rules
 * (no sealing of plaintext tKeyStore items, no KDF record upkeep, no aux entries), since the peer
 * has none. `test-vectors/interop/generate-peer-quirks.ts` records their output.
 */
import { bytesToHex, toHexUnpadded, utf8ToBytes } from '../../src/bytes.js';
import { modN, mulG, pointToBytes, pointToHex, pointToJSON } from '../../src/curve.js';
import { keccak256 } from '../../src/hash.js';
import { bytesToNumberBE } from '../../src/bytes.js';
import { signAuthMetadata } from '../../src/metadata/auth-metadata.js';
import type { AccountContext, TKeyModule } from '../../src/metadata/context.js';
import { cloneJSON } from '../../src/metadata/metadata.js';
import { isShareDeletedMarker } from '../../src/metadata/record.js';
import { generateNewShareBody, latestShareStores } from '../../src/metadata/refresh.js';
import { outputShareStore, readContent } from '../../src/metadata/share-io.js';
import { eciesDecryptJSON } from '../../src/ecies.js';
import { bytesToUtf8 } from '../../src/bytes.js';
import { thresholdKeyInternals, type ThresholdKey } from '../../src/metadata/threshold-key.js';
import { randomShareIndex } from '../../src/metadata/account-init.js';
import { randomScalar } from '../../src/curve.js';
import { SecurityQuestionsModule } from '../../src/modules/security-questions.js';
import { createDirectFactorEnc } from '../../src/tss/factor-enc.js';
import type { FactorKey } from '../../src/tss/factor-key.js';
import { factorEncKey, getTssShare, readTss, writeTss } from '../../src/tss/tss-metadata.js';
import { addFactorDescription, factorDescriptionJSON } from '../../src/tss/factor-descriptions.js';
import { scalarToBytes } from '../../src/curve.js';

/**
 * The peer's security-questions module as a ThresholdKey sees it: ONLY its own refresh middleware
 * (`refreshSecurityQuestionsMiddleware` on "securityQuestions"; same math as ours). Our
 * "securityQuestions:kdf" domain is unknown to it and left as it is.
 */
export const peerSqModule = (): TKeyModule => ({
  name: 'securityQuestions',
  refreshMiddleware: { securityQuestions: new SecurityQuestionsModule().refreshMiddleware.securityQuestions! },
});

/** `answerToUserInputHashBN`: keccak256(utf8(answer)) as a number. */
const peerAnswerHash = (answer: string): bigint => bytesToNumberBE(keccak256(utf8ToBytes(answer)));

/**
 * `_syncShareMetadata`: nonce + 1, every latest share's record rewritten with the metadata (each
 * keeping its own scopedStore), signed by k_m. Nothing else (the peer seals nothing).
 */
async function peerSyncShareMetadata(ctx: AccountContext): Promise<void> {
  const { key, metadata } = ctx.state.requireKey();
  metadata.nonce += 1;
  for (const ss of latestShareStores(ctx)) {
    const content = await readContent(ctx, ss.share.value);
    let scoped = metadata.scopedStore;
    if (content !== undefined && !isShareDeletedMarker(content)) {
      const data = (content as { data?: { scopedStore?: unknown } }).data;
      if (data && typeof data.scopedStore === 'object' && data.scopedStore !== null) scoped = data.scopedStore as Record<string, unknown>;
    }
    const m = metadata.clone();
    m.scopedStore = cloneJSON(scoped);
    ctx.queue.put(mulG(ss.share.value), signAuthMetadata(m, key));
  }
}

async function peerOp(tk: ThresholdKey, name: string, body: (ctx: AccountContext) => Promise<void> | void): Promise<void> {
  const { mutate } = thresholdKeyInternals(tk);
  await mutate(() => ({ name: `peer:${name}`, apply: async (ctx: AccountContext) => body(ctx) }));
}

/** Any peer write of one generalStore domain (`metadata.setGeneralStoreDomain` + `_syncShareMetadata`). */
export async function peerSetGeneralStoreDomain(tk: ThresholdKey, domain: string, value: unknown): Promise<void> {
  await peerOp(tk, 'setGeneralStoreDomain', async (ctx) => {
    ctx.state.requireMetadata().setGeneralStoreDomain(domain, value);
    await peerSyncShareMetadata(ctx);
  });
}

/**
 * `TKey._deleteTKeyStoreItem(moduleName, id)` (@tkey/core 15.1.0):
 *   const decryptedItems = await Promise.all(rawTkeyStoreItems.map(async (x) => JSON.parse((await this.decrypt(x)).toString())));
 *   const finalItems = decryptedItems.filter((x) => x.id !== id);
 *   this.metadata.setTkeyStoreDomain(moduleName, finalItems);   // ← plaintext
 *   await this._syncShareMetadata();
 */
export async function peerDeleteTKeyStoreItem(tk: ThresholdKey, moduleName: string, id: string): Promise<void> {
  await peerOp(tk, '_deleteTKeyStoreItem', async (ctx) => {
    const { key, metadata } = ctx.state.requireKey();
    const raw = (metadata.getTkeyStoreDomain(moduleName) as unknown[] | undefined) ?? [];
    const k = scalarToBytes(key);
    const decrypted = raw.map((x) => JSON.parse(bytesToUtf8(eciesDecryptJSON(k, x))) as { id: string });
    k.fill(0);
    metadata.setTkeyStoreDomain(moduleName, decrypted.filter((x) => x.id !== id));
    await peerSyncShareMetadata(ctx);
  });
}

/**
 * `SecurityQuestionsModule.changeSecurityQuestionAndAnswer(newAnswer, newQuestions)` (@tkey/security-questions 12):
 *   const sqShare = this.tbSDK.outputShareStore(sqStore.shareIndex);
 *   nonce = (sqShare.share.share − keccak(newAnswer)) mod n;
 *   new SecurityQuestionStore({ nonce, polynomialID: sqStore.polynomialID, sqPublicShare: sqStore.sqPublicShare, shareIndex, questions: newQuestions });
 *   metadata.setGeneralStoreDomain("securityQuestions", newSqStore); await this.saveAnswerOnTkeyStore(..); await this.tbSDK._syncShareMetadata();
 * (sqPublicShare and polynomialID are copied unchanged.) saveAnswers = false.
 */
export async function peerChangeSecurityQuestionAndAnswer(tk: ThresholdKey, newAnswer: string, newQuestions: string): Promise<void> {
  await peerOp(tk, 'changeSecurityQuestionAndAnswer', async (ctx) => {
    const m = ctx.state.requireMetadata();
    const sq = m.getGeneralStoreDomain('securityQuestions') as { shareIndex: string; polynomialID: string; sqPublicShare: unknown };
    const share = outputShareStore(ctx, BigInt('0x' + sq.shareIndex));
    const nonce = modN(share.share.value - peerAnswerHash(newAnswer));
    m.setGeneralStoreDomain('securityQuestions', { nonce: toHexUnpadded(nonce), polynomialID: sq.polynomialID, sqPublicShare: sq.sqPublicShare, shareIndex: sq.shareIndex, questions: newQuestions });
    await peerSyncShareMetadata(ctx);
  });
}

/**
 * `generateNewShareWithSecurityQuestions(answer, questions)` (@tkey/security-questions 12), on a
 * ThresholdKey whose modules are `[peerSqModule()]`: `generateNewShare()` (a refresh, synced), then
 *   nonce = (newShare − keccak(answer)) mod n; setGeneralStoreDomain("securityQuestions",
 *   {nonce, questions, sqPublicShare: newShare.getPublicShare(), shareIndex, polynomialID});
 *   addShareDescription(index, JSON.stringify({module, questions, dateAdded}), false); _syncShareMetadata().
 */
export async function peerGenerateNewShareWithSecurityQuestions(tk: ThresholdKey, answer: string, questions: string, dateAdded: number): Promise<bigint> {
  let index = 0n;
  await peerOp(tk, 'generateNewShare', (ctx) => {
    const { metadata } = ctx.state.requireKey();
    index = randomShareIndex(ctx, metadata.shareIndexes());
    const coeffs = Array.from({ length: metadata.threshold() - 1 }, () => randomScalar(ctx.rng));
    generateNewShareBody(ctx, index, coeffs);
  });
  await peerOp(tk, 'securityQuestions', async (ctx) => {
    const m = ctx.state.requireMetadata();
    const ss = outputShareStore(ctx, index);
    const idx = toHexUnpadded(index);
    m.setGeneralStoreDomain('securityQuestions', {
      nonce: toHexUnpadded(modN(ss.share.value - peerAnswerHash(answer))),
      questions,
      sqPublicShare: { shareCommitment: pointToJSON(mulG(ss.share.value)), shareIndex: idx },
      shareIndex: idx,
      polynomialID: ss.polynomialID,
    });
    m.addShareDescription(idx, JSON.stringify({ module: 'securityQuestions', questions, dateAdded }));
    await peerSyncShareMetadata(ctx);
  });
  return index;
}

/**
 * `TKeyTSS.addFactorPub({existingFactorKey, newFactorPub, newTSSIndex = same index, refreshShares: false})`
 * (@tkey/tss 15.1.0) + the core kit's `createFactor` bookkeeping, as the TSS sample's step
 * "addFactorPub B, same index 2, refreshShares=false" records it:
 *   const { tssShare } = await this.getTSSShare(existingFactorKey);
 *   updatedFactorPubs = factorPubs.concat([newFactorPub]);
 *   factorEncs[newFactorPub.x.toString(16, 64)] = { tssIndex, type: "direct", userEnc: encrypt(newFactorPub, tssShare.toString(16, 64)), serverEncs: [] };
 *   metadata.updateTSSData({ tssKeyType, tssTag, factorPubs: updatedFactorPubs, factorEncs }); await this._syncShareMetadata();
 * plus the description `{module, dateAdded, tssShareIndex}` under the compressed factor pub and
 * `backupMetadataShare(newFactorKey)` (the non-index-1 tKey ShareStore under the factor key).
 * No aux entry: the peer knows nothing of ours.
 */
export async function peerAddFactorPubCopy(tk: ThresholdKey, tssTag: string, existingFactor: FactorKey, newFactor: FactorKey, dateAdded: number): Promise<void> {
  await peerOp(tk, 'addFactorPub', async (ctx) => {
    const m = ctx.state.requireMetadata();
    const share = getTssShare(m, tssTag, existingFactor);
    const cur = readTss(m, tssTag);
    const pub = newFactor.pubPoint;
    const enc = createDirectFactorEnc(pub, share, { rng: ctx.rng });
    writeTss(m, { ...cur, factorPubs: [...cur.factorPubs, pub], factorEncs: { ...cur.factorEncs, [factorEncKey(pub)]: enc } });
    addFactorDescription(m, pub, factorDescriptionJSON({ module: 'Other', dateAdded, tssShareIndex: share.index }));
    // backupMetadataShare: the non-index-1 tKey share, under the new factor key
    const idx = m.shareIndexes().filter((i) => i !== 1n)[0]!;
    ctx.queue.put(pub, outputShareStore(ctx, idx).exportJSON());
    await peerSyncShareMetadata(ctx);
  });
}

export { bytesToHex, pointToBytes, pointToHex };
