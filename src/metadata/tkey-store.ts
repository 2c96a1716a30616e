/**
 * tKeyStore items (tkey-formats §2.3): per module, a list of ECIES encryptions to G·k_m of
 * stableStringify(`{id, ...}`). Items are only ever stored encrypted: deleting keeps the other
 * items' ciphertexts as they are (the peer's `_deleteTKeyStoreItem` writes them back decrypted).
 * @module
 */
import { aString, bytesToUtf8, utf8ToBytes } from '../bytes.js';
import { pointToBytes, scalarToBytes } from '../curve.js';
import { eciesDecryptJSON, eciesEncryptJSON, type EncryptedMessage } from '../ecies.js';
import { fail } from '../errors.js';
import type { AccountContext } from './context.js';
import { stableStringify } from './stable-stringify.js';

export interface TKeyStoreItem {
  id: string;
  [k: string]: unknown;
}

function rawItems(ctx: AccountContext, moduleName: string): EncryptedMessage[] {
  const raw = ctx.state.requireMetadata().getTkeyStoreDomain(aString(moduleName, 'moduleName'));
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) return fail('INVALID_JSON', `tkeyStore.${moduleName}: expected an array`);
  return raw as EncryptedMessage[];
}

function decryptItem(ctx: AccountContext, em: EncryptedMessage): TKeyStoreItem {
  const { key } = ctx.state.requireKey();
  let j: unknown;
  try {
    j = JSON.parse(bytesToUtf8(eciesDecryptJSON(scalarToBytes(key), em)));
  } catch (e) {
    if (e instanceof SyntaxError) return fail('INVALID_JSON', 'tkeyStore item is not JSON');
    throw e;
  }
  if (typeof j !== 'object' || j === null || typeof (j as { id?: unknown }).id !== 'string') fail('INVALID_JSON', 'tkeyStore item has no id');
  return j as TKeyStoreItem;
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

/** Insert or replace (by id) one item; the other ciphertexts are kept as they are. */
export function setTKeyStoreItemBody(ctx: AccountContext, moduleName: string, item: TKeyStoreItem): void {
  if (typeof item !== 'object' || item === null || typeof item.id !== 'string') fail('INVALID_ARGUMENT', 'item: expected {id: string, ...}');
  const raw = [...rawItems(ctx, moduleName)];
  const at = raw.findIndex((em) => decryptItem(ctx, em).id === item.id);
  const enc = encryptToMetadataKey(ctx, utf8ToBytes(stableStringify(item)));
  if (at >= 0) raw[at] = enc;
  else raw.push(enc);
  ctx.state.requireMetadata().setTkeyStoreDomain(moduleName, raw);
}

/** Remove the item `id`; the remaining items stay encrypted. `NOT_FOUND` when absent. */
export function deleteTKeyStoreItemBody(ctx: AccountContext, moduleName: string, id: string): void {
  aString(id, 'id');
  const raw = rawItems(ctx, moduleName);
  const keep = raw.filter((em) => decryptItem(ctx, em).id !== id);
  if (keep.length === raw.length) fail('NOT_FOUND', `no tkeyStore item ${id} in ${moduleName}`);
  ctx.state.requireMetadata().setTkeyStoreDomain(moduleName, keep);
}
