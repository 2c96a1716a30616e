/**
 * Stored records (tkey-formats §2.6). Address = the owner public key's unpadded lower-case hex
 * X/Y and namespace "tkey"; value = base64url(stableStringify(ECIES JSON)) of
 * utf8(stableStringify(input)) encrypted to the owner key. Owners: a share (its AuthMetadata or
 * the SHARE_DELETED marker), the postbox key (the service-provider ShareStore, index 1), a
 * share-transfer pointer key, a factor key.
 * @module
 */
import { base64ToBytes, bytesToBase64Url, bytesToUtf8, toHexUnpadded, utf8ToBytes } from '../bytes.js';
import { aScalar, mulG, pointToBytes, scalarFromBytes, scalarToBytes, type Point } from '../curve.js';
import { eciesDecryptJSON, eciesEncryptJSON, type EncryptedMessage } from '../ecies.js';
import { fail } from '../errors.js';
import { cryptoRng, type Rng } from '../rng.js';
import type { RecordAddress } from '../storage/types.js';
import { verifyAuthMetadata } from './auth-metadata.js';
import { assertSize, MAX_RECORD_CHARS } from './json-limits.js';
import type { Metadata } from './metadata.js';
import { ShareStore } from './share-store.js';
import { stableStringify } from './stable-stringify.js';

export const TKEY_NAMESPACE = 'tkey';
export const SHARE_DELETED = 'SHARE_DELETED';

/** A secret key given as 32 bytes or as a bigint → validated scalar. */
export function toSecretScalar(key: bigint | Uint8Array, title: string): bigint {
  return key instanceof Uint8Array ? scalarFromBytes(key, title) : aScalar(key, title);
}

/** The record address of an owner public key. */
export function recordAddress(ownerPub: Point, namespace: string = TKEY_NAMESPACE): RecordAddress {
  const { x, y } = ownerPub.toAffine();
  return { pubX: toHexUnpadded(x), pubY: toHexUnpadded(y), namespace };
}
/** The record address owned by a secret key. */
export function recordAddressOf(ownerKey: bigint | Uint8Array, namespace: string = TKEY_NAMESPACE): RecordAddress {
  return recordAddress(mulG(toSecretScalar(ownerKey, 'ownerKey')), namespace);
}

/** ECIES envelope JSON → stored value (base64url, no padding). */
export function encodeEnvelope(em: EncryptedMessage): string {
  return bytesToBase64Url(utf8ToBytes(stableStringify({ ciphertext: em.ciphertext, ephemPublicKey: em.ephemPublicKey, iv: em.iv, mac: em.mac })));
}
/** Stored value → ECIES envelope JSON. */
export function decodeEnvelope(value: string): EncryptedMessage {
  if (typeof value !== 'string' || value.length === 0) fail('INVALID_JSON', 'record value: expected a non-empty string');
  assertSize(value, 'record value', MAX_RECORD_CHARS);
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytesToUtf8(base64ToBytes(value, 'record value')));
  } catch {
    return fail('INVALID_JSON', 'record value: not base64url of a JSON envelope');
  }
  const o = parsed as Record<string, unknown>;
  if (typeof o !== 'object' || o === null) fail('INVALID_JSON', 'record value: envelope is not an object');
  for (const f of ['ciphertext', 'ephemPublicKey', 'iv', 'mac'])
    if (typeof o[f] !== 'string') fail('INVALID_JSON', `record value: envelope.${f} missing`);
  return { ciphertext: o.ciphertext as string, ephemPublicKey: o.ephemPublicKey as string, iv: o.iv as string, mac: o.mac as string };
}

/** Encrypt `input` (plain JSON) to the owner public key → stored value. */
export function encodeRecord(ownerPub: Point, input: unknown, rng: Rng = cryptoRng): string {
  const plain = utf8ToBytes(stableStringify(input));
  const value = encodeEnvelope(eciesEncryptJSON(pointToBytes(ownerPub, false), plain, { rng }));
  assertSize(value, 'record value', MAX_RECORD_CHARS); // never write what no reader accepts
  return value;
}

/** The decrypted plaintext bytes of a stored value (utf8 of the canonical JSON). */
export function decryptRecordBytes(ownerKey: bigint | Uint8Array, value: string): Uint8Array {
  const k = toSecretScalar(ownerKey, 'ownerKey');
  return eciesDecryptJSON(scalarToBytes(k), decodeEnvelope(value));
}

/** Decrypt a stored value with its owner key → the JSON it holds. */
export function decodeRecord(ownerKey: bigint | Uint8Array, value: string): unknown {
  const text = bytesToUtf8(decryptRecordBytes(ownerKey, value));
  try {
    return JSON.parse(text);
  } catch {
    return fail('INVALID_JSON', 'record plaintext is not JSON');
  }
}

export interface ShareDeletedMarker {
  message: typeof SHARE_DELETED;
  dateAdded: number;
}
export function shareDeletedMarker(dateAdded: number): ShareDeletedMarker {
  return { message: SHARE_DELETED, dateAdded };
}
export function isShareDeletedMarker(j: unknown): boolean {
  return typeof j === 'object' && j !== null && (j as { message?: unknown }).message === SHARE_DELETED;
}

/** A share's record → its verified Metadata. `SHARE_DELETED` for a deleted share. */
export function decodeShareRecord(shareValue: bigint | Uint8Array, value: string): Metadata {
  const j = decodeRecord(shareValue, value);
  if (isShareDeletedMarker(j)) fail('SHARE_DELETED', 'this share was deleted');
  return verifyAuthMetadata(j);
}

/** The service-provider record (owned by the postbox key) → the index-1 ShareStore. */
export function decodeServiceProviderRecord(postboxKey: bigint | Uint8Array, value: string): ShareStore {
  const ss = ShareStore.fromJSON(decodeRecord(postboxKey, value));
  if (ss.index !== 1n) fail('INVALID_JSON', 'service-provider record: share index is not 1');
  return ss;
}
