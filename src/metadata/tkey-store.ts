/**
 * tKeyStore items (tkey-formats §2.3): per module, a list of ECIES encryptions to G·k_m of
 * stableStringify(`{id, ...}`). We only ever store items encrypted: deleting keeps the other
 * items' ciphertexts as they are.
 *
 * The peer's `_deleteTKeyStoreItem` (`@tkey/core` 15) writes the remaining items back DECRYPTED
 * (`setTkeyStoreDomain(module, decryptedItems.filter(...))`): an array of plain `{id, ...}`
 * objects. We read such an item as it is (`openTKeyStoreItem`) and every write of ours seals it
 * again (`sealPlaintextTKeyStore`, run before each share record is signed), so the leak lasts
 * until our next write. An entry is plaintext when it is an object with a string `id` and none
 * of the envelope's fields; anything else is decrypted as an envelope.
 * @module
 */
import { aString, bytesToUtf8, utf8ToBytes } from '../bytes.js';
import { pointToBytes, scalarToBytes } from '../curve.js';
import { eciesDecryptJSON, eciesEncryptJSON, type EncryptedMessage } from '../ecies.js';
import { fail } from '../errors.js';
import type { Rng } from '../rng.js';
import type { AccountContext } from './context.js';
import type { Metadata } from './metadata.js';
import { stableStringify } from './stable-stringify.js';

export interface TKeyStoreItem {
  id: string;
  [k: string]: unknown;
}

const ENVELOPE_FIELDS = ['ciphertext', 'ephemPublicKey', 'iv', 'mac'] as const;

/** A plaintext item left by the peer's `_deleteTKeyStoreItem` (an object with an id, no envelope field). */
export function isPlaintextTKeyStoreItem(raw: unknown): raw is TKeyStoreItem {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return false;
  const o = raw as Record<string, unknown>;
  return typeof o.id === 'string' && ENVELOPE_FIELDS.every((f) => !(f in o));
}

/** One stored entry as an item: decrypted with the 32-byte metadata key, or taken as it is when the peer left it in plaintext. */
export function openTKeyStoreItem(metadataKey: Uint8Array, raw: unknown, where = 'tkeyStore item'): TKeyStoreItem {
  if (isPlaintextTKeyStoreItem(raw)) return { ...raw };
  let j: unknown;
  try {
    j = JSON.parse(bytesToUtf8(eciesDecryptJSON(metadataKey, raw)));
  } catch (e) {
    if (e instanceof SyntaxError) return fail('INVALID_JSON', `${where} is not JSON`);
    throw e;
  }
  if (typeof j !== 'object' || j === null || typeof (j as { id?: unknown }).id !== 'string') fail('INVALID_JSON', `${where} has no id`);
  return j as TKeyStoreItem;
}

/** Encrypt one item to G·k_m as the peer does: ECIES of utf8(stableStringify(item)). */
export function sealTKeyStoreItem(metadataPub: Metadata['pubKey'], item: TKeyStoreItem, rng: Rng): EncryptedMessage {
  return eciesEncryptJSON(pointToBytes(metadataPub, false), utf8ToBytes(stableStringify(item)), { rng });
}

/**
 * Re-encrypt every plaintext item (the peer's `_deleteTKeyStoreItem` leak) in the working
 * metadata; encrypted entries keep their ciphertexts. Returns how many items were sealed.
 */
export function sealPlaintextTKeyStore(metadata: Metadata, rng: Rng): number {
  let sealed = 0;
  for (const [moduleName, raw] of Object.entries(metadata.tkeyStore)) {
    if (!Array.isArray(raw) || !raw.some(isPlaintextTKeyStoreItem)) continue;
    const next = raw.map((x: unknown) => {
      if (!isPlaintextTKeyStoreItem(x)) return x;
      sealed++;
      return sealTKeyStoreItem(metadata.pubKey, x, rng);
    });
    metadata.setTkeyStoreDomain(moduleName, next);
  }
  return sealed;
}

function rawItems(ctx: AccountContext, moduleName: string): unknown[] {
  const raw = ctx.state.requireMetadata().getTkeyStoreDomain(aString(moduleName, 'moduleName'));
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) return fail('INVALID_JSON', `tkeyStore.${moduleName}: expected an array`);
  return raw as unknown[];
}

function decryptItem(ctx: AccountContext, raw: unknown): TKeyStoreItem {
  const { key } = ctx.state.requireKey();
  const k = scalarToBytes(key);
  try {
    return openTKeyStoreItem(k, raw);
  } finally {
    k.fill(0);
  }
}

/** Encrypt `data` to G·k_m (the peer's `encrypt`). */
export function encryptToMetadataKey(ctx: AccountContext, data: Uint8Array): EncryptedMessage {
  const metadata = ctx.state.requireMetadata();
  return eciesEncryptJSON(pointToBytes(metadata.pubKey, false), data, { rng: ctx.rng });
}

export function getTKeyStore(ctx: AccountContext, moduleName: string): TKeyStoreItem[] {
  return rawItems(ctx, moduleName).map((em) => decryptItem(ctx, em));
}

export function getTKeyStoreItem(ctx: AccountContext, moduleName: string, id: string): TKeyStoreItem | undefined {
  return getTKeyStore(ctx, moduleName).find((x) => x.id === id);
}

/** Insert or replace (by id) one item; the other ciphertexts are kept as they are (plaintext ones get sealed). */
export function setTKeyStoreItemBody(ctx: AccountContext, moduleName: string, item: TKeyStoreItem): void {
  if (typeof item !== 'object' || item === null || typeof item.id !== 'string') fail('INVALID_ARGUMENT', 'item: expected {id: string, ...}');
  const metadata = ctx.state.requireMetadata();
  const raw = [...rawItems(ctx, moduleName)];
  const at = raw.findIndex((em) => decryptItem(ctx, em).id === item.id);
  const enc = sealTKeyStoreItem(metadata.pubKey, item, ctx.rng);
  if (at >= 0) raw[at] = enc;
  else raw.push(enc);
  metadata.setTkeyStoreDomain(moduleName, raw);
  sealPlaintextTKeyStore(metadata, ctx.rng);
}

/** Remove the item `id`; the remaining items stay (or become) encrypted. `NOT_FOUND` when absent. */
export function deleteTKeyStoreItemBody(ctx: AccountContext, moduleName: string, id: string): void {
  aString(id, 'id');
  const metadata = ctx.state.requireMetadata();
  const raw = rawItems(ctx, moduleName);
  const keep = raw.filter((em) => decryptItem(ctx, em).id !== id);
  if (keep.length === raw.length) fail('NOT_FOUND', `no tkeyStore item ${id} in ${moduleName}`);
  metadata.setTkeyStoreDomain(moduleName, keep);
  sealPlaintextTKeyStore(metadata, ctx.rng);
}
