/**
 * Account index derivation, compatible with `@tkey/tss` 15 (tkey-formats §4.5, secp256k1 only):
 * `nonce(i) = keccak256(utf8(String(i) + accountSalt)) mod n` (0 for i = 0), the account key is
 * x + nonce, its public key `A0 + G·nonce`. The salt is a random scalar as 64 hex, stored encrypted
 * to the metadata key in `tkeyStore.tssModule` as the item `{id: "accountSalt", value}`.
 *
 * Applying the shift to shares: with Shamir shares, every holder adds the nonce to its share
 * (f + δ has constant term x + δ and the Lagrange weights of any signing set sum to 1). With
 * additive (Lagrange-weighted) shares, exactly ONE signer adds it: `coef·share + nonce` — what the
 * peer's client does after `getDKLSCoeff`. `shiftTssShare` does either (coefficient default 1).
 * @module
 */
import { abytes, aInt, aString, bytesToHex, bytesToNumberBE, utf8ToBytes } from '../bytes.js';
import { modN, mulGUnsafe, pointToBytes, randomScalar, scalarFromBytes, scalarToBytes, type Point } from '../curve.js';
import { eciesEncryptJSON } from '../ecies.js';
import { fail } from '../errors.js';
import { keccak256 } from '../hash.js';
import type { Metadata } from '../metadata/metadata.js';
import { stableStringify } from '../metadata/stable-stringify.js';
import { openTKeyStoreItem } from '../metadata/tkey-store.js';
import { cryptoRng, type Rng } from '../rng.js';
import { factorPubPoint } from './factor-key.js';
import { TssShare } from './tss-share.js';

/** tkeyStore module of the peer's TSS items. */
export const TSS_MODULE = 'tssModule';
export const ACCOUNT_SALT_ID = 'accountSalt';

/** A fresh salt as the peer makes it: a random scalar as 64 lower-case hex. */
export function newAccountSalt(rng: Rng = cryptoRng): string {
  return bytesToHex(scalarToBytes(randomScalar(rng)));
}

function items(metadata: Metadata): unknown[] {
  const raw = metadata.getTkeyStoreDomain(TSS_MODULE);
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) return fail('INVALID_JSON', `tkeyStore.${TSS_MODULE}: expected an array`);
  return raw as unknown[];
}

/** An item: decrypted, or as it is when the peer's `_deleteTKeyStoreItem` left it in plaintext. */
function decryptItem(metadataKey: Uint8Array, raw: unknown): { id?: unknown; value?: unknown } {
  return openTKeyStoreItem(metadataKey, raw, `tkeyStore.${TSS_MODULE} item`);
}

/** The account salt (decrypted with the 32-byte metadata key), or `undefined` when none is stored. */
export function readAccountSalt(metadata: Metadata, metadataKey: Uint8Array): string | undefined {
  scalarFromBytes(abytes(metadataKey, 'metadataKey', 32), 'metadataKey');
  for (const em of items(metadata)) {
    const j = decryptItem(metadataKey, em);
    if (j.id === ACCOUNT_SALT_ID) {
      if (typeof j.value !== 'string' || j.value.length === 0) return fail('INVALID_JSON', 'accountSalt item: value is not a string');
      return j.value;
    }
  }
  return undefined;
}

/**
 * Store (or replace) the salt item, encrypted to the metadata public key; other items keep their
 * ciphertexts. Mutates the working metadata. The key must match `metadata.pubKey`.
 */
export function setAccountSalt(metadata: Metadata, metadataKey: Uint8Array, salt: string, rng: Rng = cryptoRng): void {
  const k = scalarFromBytes(abytes(metadataKey, 'metadataKey', 32), 'metadataKey');
  if (!mulGUnsafe(k).equals(metadata.pubKey)) fail('METADATA_KEY_MISMATCH', 'metadataKey does not match metadata.pubKey');
  aString(salt, 'salt');
  if (salt.length === 0) fail('INVALID_ARGUMENT', 'salt: empty');
  const raw = items(metadata);
  const keep = raw.filter((em) => decryptItem(metadataKey, em).id !== ACCOUNT_SALT_ID);
  const enc = eciesEncryptJSON(pointToBytes(metadata.pubKey, false), utf8ToBytes(stableStringify({ id: ACCOUNT_SALT_ID, value: salt })), { rng });
  metadata.setTkeyStoreDomain(TSS_MODULE, [...keep, enc]);
}

function nonceScalar(accountIndex: number, accountSalt: string): bigint {
  aInt(accountIndex, 'accountIndex');
  aString(accountSalt, 'accountSalt');
  if (accountIndex === 0) return 0n;
  if (accountSalt.length === 0) fail('INVALID_ARGUMENT', 'accountSalt: empty');
  return modN(bytesToNumberBE(keccak256(utf8ToBytes(String(accountIndex) + accountSalt))));
}

/** nonce(i) as 32 bytes (all zero for i = 0). */
export function accountNonce(accountIndex: number, accountSalt: string): Uint8Array {
  return scalarToBytes(nonceScalar(accountIndex, accountSalt));
}

/** `coefficient·share + delta` at the same index (coefficient default 1). `delta`, `coefficient`: 32 bytes. */
export function shiftTssShare(share: TssShare, delta: Uint8Array, coefficient?: Uint8Array): TssShare {
  if (!(share instanceof TssShare)) fail('INVALID_ARGUMENT', 'share: expected a TssShare');
  const d = scalarFromBytes(abytes(delta, 'delta', 32), 'delta', true);
  const c = coefficient === undefined ? 1n : scalarFromBytes(abytes(coefficient, 'coefficient', 32), 'coefficient');
  return new TssShare(share.index, modN(c * share.value + d));
}

/** P + G·delta as compressed SEC1 (`INVALID_POINT` if the result is the identity). */
export function shiftPublicKey(pub: Uint8Array | Point, delta: Uint8Array): Uint8Array {
  const P = factorPubPoint(pub, 'pub');
  const d = scalarFromBytes(abytes(delta, 'delta', 32), 'delta', true);
  return pointToBytes(P.add(mulGUnsafe(d)), true);
}

/** The share of account `accountIndex` (every Shamir holder applies it; see the module note for additive shares). */
export function accountShare(share: TssShare, accountIndex: number, accountSalt: string, coefficient?: Uint8Array): TssShare {
  return shiftTssShare(share, accountNonce(accountIndex, accountSalt), coefficient);
}

/** The public key of account `accountIndex`: A0 + G·nonce(i), compressed SEC1. */
export function accountPublicKey(tssPub: Uint8Array | Point, accountIndex: number, accountSalt: string): Uint8Array {
  return shiftPublicKey(tssPub, accountNonce(accountIndex, accountSalt));
}
