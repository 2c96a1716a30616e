/**
 * Owner signatures of stored records and of whole batches, made where the keys are (ThresholdKey,
 * TssAccount, the service) — never by a storage. The torus-metadata form (tkey-formats §2.6):
 *   set_data = {data, timestamp: hex unix s},  signature = base64(r‖s‖v) with
 *   (r, s) = ECDSA_k(keccak256(utf8(stableStringify(set_data)))), v = 0
 * A batch is signed the same way over a canonical statement of what it does:
 *   data = stableStringify({v: 1, domain: "tkey-tss/batch", account, baseNonce, nonce, writes: D})
 *   D = hex keccak256(utf8(stableStringify([[pubX, pubY, namespace, hex keccak256(utf8(value))] …])))
 * by the account key k_m (G·k_m = account) or a trusted co-signing service key. In torus mode the
 * same signed set_data is the account's nonce record (owner G·k_m, namespace `tkey-tss/nonce`), and
 * `lock` is the `/acquireLock` signature (DER over keccak256(stableStringify({timestamp}))).
 * @module
 */
import { bytesToBase64, bytesToHex, concatBytes, utf8ToBytes } from '../bytes.js';
import { ecdsaSignDigest, mulG, pointToHex } from '../curve.js';
import { fail } from '../errors.js';
import { keccak256 } from '../hash.js';
import { BATCH_DOMAIN } from '../storage/batch.js';
import type { BatchAuth, RecordAddress, StorageBatch, WriteAuth } from '../storage/types.js';
import { stableStringify } from './stable-stringify.js';

/** Signature r‖s‖v (v = 0, as the peer writes it) over keccak256(stableStringify(set_data)). */
function signSetData(key: bigint, setData: { data: string; timestamp: string }): string {
  const sig = ecdsaSignDigest(keccak256(utf8ToBytes(stableStringify(setData))), key, { format: 'compact' });
  return bytesToBase64(concatBytes(sig, new Uint8Array([0])));
}

/** Unix seconds → the torus timestamp (lower-case hex). */
export function torusTimestamp(nowS: number): string {
  if (!Number.isSafeInteger(nowS) || nowS < 0) fail('INVALID_ARGUMENT', 'timestamp: expected unix seconds');
  return nowS.toString(16);
}

/** The owner's signature of one stored value at time `nowS`. */
export function signWrite(ownerKey: bigint, value: string, nowS: number): WriteAuth {
  const timestamp = torusTimestamp(nowS);
  return { timestamp, signature: signSetData(ownerKey, { data: value, timestamp }) };
}

/** Digest D of a batch's writes (addresses as sent, values hashed). */
export function writesDigest(writes: readonly { address: RecordAddress; value: string }[]): string {
  const rows = writes.map((w) => [w.address.pubX, w.address.pubY, w.address.namespace, bytesToHex(keccak256(utf8ToBytes(w.value)))]);
  return bytesToHex(keccak256(utf8ToBytes(stableStringify(rows))));
}

/** The canonical statement a batch signature covers (also the torus-mode nonce record's value). */
export function batchStatement(b: { account: string; baseNonce: number | null; nonce: number; writes: readonly { address: RecordAddress; value: string }[] }): string {
  return stableStringify({ v: 1, domain: BATCH_DOMAIN, account: b.account, baseNonce: b.baseNonce, nonce: b.nonce, writes: writesDigest(b.writes) });
}

/**
 * Sign `batch` with `key` (k_m, or a trusted service key): the batch statement, and — for torus
 * mode, only when the signer is the account — the lock request.
 */
export function signBatch(batch: Omit<StorageBatch, 'auth'>, key: bigint, nowS: number): BatchAuth {
  const signer = pointToHex(mulG(key), true);
  const timestamp = torusTimestamp(nowS);
  const set_data = { data: batchStatement(batch), timestamp };
  const auth: BatchAuth = { signer, set_data, signature: signSetData(key, set_data) };
  if (signer === batch.account) {
    const data = { timestamp: nowS };
    auth.lock = { data, signature: bytesToHex(ecdsaSignDigest(keccak256(utf8ToBytes(stableStringify(data))), key, { format: 'der' })) };
  }
  return auth;
}
