/**
 * One TSS change as ONE replayable metadata operation of the account's `ThresholdKey` (manual
 * sync): the tag's new TSS fields (factorEncs, factorPubs, tssPolyCommits, tssNonce), factor
 * descriptions, the tKey v1 factor records (the non-index-1 tKey share backed up under each new
 * factor key, `SHARE_DELETED` under each removed one), the security question, the service
 * checkpoint, and every share record re-signed — all queued together and committed as one storage
 * batch by `commitOps`.
 *
 * Replay (after a `StorageConflict` and `reload()`): the operation re-checks its precondition —
 * the epoch and commitments it was computed from (and, for a refresh, the factor set) — on the
 * fresh state, so a concurrent change that does not touch the TSS state (a description, a tKey
 * store item, another factor copy) is kept and ours lands on top of it, while a concurrent
 * refresh makes ours fail with `ACCOUNT_STATE_CHANGED` (nothing written). Randomness is drawn when
 * the operation is built (factorEncs are encrypted up front), so a replay writes the same bytes.
 * @module
 */
import { abytes, bytesToHex, hexToBytes } from '../bytes.js';
import { mulG, pointToBytes, pointToHex, scalarToBytes, type Point } from '../curve.js';
import type { Metadata } from '../metadata/metadata.js';
import { seededRng } from '../rng.js';
import { readAccountSalt, setAccountSalt } from '../tss/account-index.js';
import { fail, isTkeyTssError } from '../errors.js';
import type { AccountContext } from '../metadata/context.js';
import { shareDeletedMarker } from '../metadata/record.js';
import { syncShareMetadata } from '../metadata/refresh.js';
import { outputShareStore } from '../metadata/share-io.js';
import { thresholdKeyInternals, type ThresholdKey } from '../metadata/threshold-key.js';
import { addFactorDescription, removeFactorDescriptions } from '../tss/factor-descriptions.js';
import { factorPubPoint } from '../tss/factor-key.js';
import { getTssSecurityQuestion, setTssSecurityQuestion, tssSecurityQuestionDomain, tssSecurityQuestionKdfDomain } from '../tss/security-answer-factor.js';
import { factorEncKey, hasTss, readTss, writeTss, type TssState } from '../tss/tss-metadata.js';
import type { SecurityQuestionKdf } from '../modules/security-questions.js';
import { checkpointAddress, checkpointContent, epochDigest, readFence, sameEpoch, type TssCheckpoint } from './checkpoint.js';
import { checkpointOf } from './shares.js';
import { updateAuxEntries, type AuxEntry } from './aux-store.js';

export interface TssChange {
  name: string;
  tssTag: string;
  /** The state this change was computed from; `null`: the tag must not exist yet (creation). */
  expect: (TssCheckpoint & { factors?: readonly string[] }) | null;
  /** The tag's new state from the current one (deterministic: no randomness inside). */
  next(current: TssState | null): TssState;
  /** Factors that get a tKey v1 factor record (the non-index-1 tKey share, encrypted to them). */
  newFactors?: readonly Point[];
  /** Factors whose record becomes `SHARE_DELETED` and whose descriptions go. */
  removedFactors?: readonly Point[];
  descriptions?: readonly { factorPub: Point; description: string }[];
  securityQuestion?: { tssIndex: number; factorPub: Point; question: string; kdf?: SecurityQuestionKdf };
  /** Aux entries to set (by factorEncKey); removed factors' entries go automatically. */
  aux?: ReadonlyMap<string, AuxEntry>;
  /** Aux entries to set only where the factor (still a factor of that index) has none (`aux-store.ts` fill). */
  auxFill?: ReadonlyMap<string, AuxEntry>;
  /** The service identity key: the checkpoint is encrypted to it, the fence is owned by it. */
  servicePub: Point;
  /**
   * Secret keys of new or removed factors that this device holds: their factor records are signed
   * with them. A storage with `signedWrites` refuses a new factor whose key is missing
   * (OWNER_KEY_REQUIRED); a removed factor's SHARE_DELETED marker is then written only when its
   * key is here (without it the record cannot be signed, so it stays — its TSS share was refreshed
   * away, only the tKey v1 share it held remains readable to that factor).
   */
  factorKeys?: readonly bigint[];
  /**
   * Key derivation data (creation): the account salt (peer format, `tkeyStore.tssModule`) and the
   * keygen chain code (`generalStore["tssChainCode:<tag>"]`, hex), each written only if absent.
   * `seed` makes the salt's encryption replay the same bytes.
   */
  derivation?: { accountSalt: string; chainCode: Uint8Array; seed: Uint8Array };
}

/** generalStore domain of a tag's keygen chain code (64 hex). */
export const chainCodeDomain = (tssTag: string): string => `tssChainCode:${tssTag}`;

/** The tag's stored chain code (32 bytes), or `undefined`. */
export function readChainCode(m: Metadata, tssTag: string): Uint8Array | undefined {
  const v = m.getGeneralStoreDomain(chainCodeDomain(tssTag));
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^[0-9a-f]{64}$/.test(v)) return fail('INVALID_JSON', `generalStore.${chainCodeDomain(tssTag)}: expected 64 hex`);
  return hexToBytes(v);
}

const checkpointOfState = (s: TssState): TssCheckpoint => ({ tssTag: s.tssTag, tssNonce: s.tssNonce, commitments: s.commitments.map((c) => pointToBytes(c, true)) });
const factorSet = (s: TssState): string[] => s.factorPubs.map((p) => factorEncKey(p)).sort();

/** The tKey v1 share every factor record holds: the account's non-index-1 share on the latest polynomial. */
function factorRecordShare(ctx: AccountContext): unknown {
  const m = ctx.state.requireKey().metadata;
  const idx = m.shareIndexes().filter((i) => i !== 1n);
  if (idx.length === 0) fail('NOT_RECONSTRUCTED', 'the account has no non-service tKey share');
  return outputShareStore(ctx, idx[0]!).exportJSON();
}

/**
 * The owner to queue a factor record under: its secret key when held (signed write), else its
 * public key — refused for a new factor on a signing storage (OWNER_KEY_REQUIRED), skipped
 * (`undefined`) for a removed factor's marker there.
 */
function ownerOf(change: TssChange, signed: boolean): (pub: Point, required: boolean) => bigint | Point | undefined {
  const keys = new Map((change.factorKeys ?? []).map((k) => [factorEncKey(mulG(k)), k]));
  return (pub, required) => {
    const k = keys.get(factorEncKey(pub));
    if (k !== undefined || !signed) return k ?? pub;
    if (required) fail('OWNER_KEY_REQUIRED', `${change.name}: this storage needs the factor record signed by the factor key; pass the FactorKey, not only its public key`);
    return undefined;
  };
}

/** Apply `change` to the working metadata and queue its records (inside a ThresholdKey operation). */
async function applyChange(ctx: AccountContext, change: TssChange): Promise<void> {
  const { key, metadata: m } = ctx.state.requireKey();
  const tag = change.tssTag;
  let current: TssState | null = null;
  if (change.expect === null) {
    if (hasTss(m, tag)) fail('ACCOUNT_EXISTS', `the account already has a TSS key under ${JSON.stringify(tag)}`);
  } else {
    current = readTss(m, tag);
    const cp = checkpointOf(m, tag);
    if (!sameEpoch(cp, change.expect)) fail('ACCOUNT_STATE_CHANGED', `${change.name}: the TSS epoch moved from ${change.expect.tssNonce} to ${cp.tssNonce} (another device refreshed)`);
    if (change.expect.factors && factorSet(current).join() !== [...change.expect.factors].sort().join())
      fail('ACCOUNT_STATE_CHANGED', `${change.name}: the factors changed meanwhile (another device added or removed one)`);
  }
  const next = change.next(current);
  if (current && next.tssNonce !== current.tssNonce) {
    const fence = await readFence(ctx.storage, change.servicePub, key, m.pubKey, tag);
    if (fence.includes(epochDigest(checkpointOfState(next))))
      fail('ACCOUNT_STATE_CHANGED', `${change.name}: the service abandoned this refresh (it was not made durable in time); redo it`);
  }
  writeTss(m, next);
  const owner = ownerOf(change, ctx.storage.signedWrites === true);
  for (const pub of change.removedFactors ?? []) {
    removeFactorDescriptions(m, pub);
    const o = owner(pub, false);
    if (o !== undefined) ctx.queue.put(o, shareDeletedMarker(ctx.now()));
    const sq = getTssSecurityQuestion(m, tag);
    if (sq && sq.store.factorPublicKey === pointToHex(pub, true)) {
      m.deleteGeneralStoreDomain(tssSecurityQuestionDomain(tag));
      m.deleteGeneralStoreDomain(tssSecurityQuestionKdfDomain(tag));
    }
  }
  const removedKeys = (change.removedFactors ?? []).map((p) => factorEncKey(p));
  if (removedKeys.length || change.aux?.size || change.auxFill?.size) {
    const live = new Map(Object.entries(next.factorEncs).map(([k, e]) => [k, e.tssIndex]));
    updateAuxEntries(m, tag, change.aux ?? new Map(), removedKeys, change.auxFill, live);
  }
  for (const d of change.descriptions ?? []) addFactorDescription(m, d.factorPub, d.description);
  if (change.securityQuestion) setTssSecurityQuestion(m, tag, change.securityQuestion);
  if (change.derivation) {
    const d = change.derivation;
    const k = scalarToBytes(key);
    if (readAccountSalt(m, k) === undefined) setAccountSalt(m, k, d.accountSalt, seededRng(d.seed));
    k.fill(0);
    if (readChainCode(m, tag) === undefined) m.setGeneralStoreDomain(chainCodeDomain(tag), bytesToHex(abytes(d.chainCode, 'chainCode', 32)));
  }
  if ((change.newFactors ?? []).length > 0) {
    const share = factorRecordShare(ctx);
    for (const pub of change.newFactors!) ctx.queue.put(owner(pub, true)!, share);
  }
  const cp = checkpointOf(m, tag);
  const address = checkpointAddress(change.servicePub, m.pubKey, tag);
  ctx.queue.put(key, checkpointContent(cp, m.pubKey, key), address.namespace, change.servicePub);
  await syncShareMetadata(ctx);
}

/** Queue `change` as one operation of `tk` (all-or-nothing; nothing is written until `commitOps`). */
export async function queueChange(tk: ThresholdKey, change: TssChange): Promise<void> {
  const { mutate } = thresholdKeyInternals(tk);
  for (const p of [...(change.newFactors ?? []), ...(change.removedFactors ?? [])]) factorPubPoint(p);
  await mutate(() => ({ name: `tss:${change.name}`, apply: (ctx: AccountContext) => applyChange(ctx, change) }));
}

/**
 * Commit the pending operations as one batch; on `StorageConflict` reload (replaying them onto
 * the latest state) and try again, up to `attempts` times. Any other failure is rethrown with the
 * operations still pending (the caller decides: `settle`).
 */
export async function commitOps(tk: ThresholdKey, attempts = 3): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await tk.sync();
      return;
    } catch (e) {
      if (!isTkeyTssError(e, 'STORAGE_CONFLICT') || i + 1 >= attempts) throw e;
      await tk.reload();
    }
  }
}

/**
 * After a failed commit: drop the pending operations and re-read the account. Returns whether the
 * intended state is durable anyway (the batch landed but its acknowledgement was lost).
 */
export async function settle(tk: ThresholdKey, tssTag: string, intended: TssCheckpoint | null): Promise<boolean> {
  await tk.reload({ discardPending: true });
  if (!intended) return false;
  const m = tk.getMetadata();
  return hasTss(m, tssTag) && sameEpoch(checkpointOf(m, tssTag), intended);
}
