/**
 * Validation of storage batches, shared by every store.
 * @module
 */
import { fail } from '../errors.js';
import type { RecordAddress, StorageBatch } from './types.js';

const HEX = /^[0-9a-f]+$/i;

/** Assert a record address: `{pubX, pubY}` hex strings and a string namespace. */
export function assertAddress(a: unknown, title = 'address'): RecordAddress {
  const r = a as Partial<RecordAddress> | null | undefined;
  if (!r || typeof r !== 'object' || typeof r.pubX !== 'string' || typeof r.pubY !== 'string' || !HEX.test(r.pubX) || !HEX.test(r.pubY) || typeof r.namespace !== 'string')
    fail('INVALID_ARGUMENT', `${title}: expected {pubX, pubY, namespace} with hex coordinates`);
  return r as RecordAddress;
}

/** Assert an account id (a non-empty string). */
export function aAccount(account: unknown, title = 'account'): string {
  if (typeof account !== 'string' || account.length === 0) fail('INVALID_ARGUMENT', `${title}: expected a non-empty string`);
  return account;
}

export function assertBatch(batch: StorageBatch): void {
  if (typeof batch !== 'object' || batch === null) fail('INVALID_ARGUMENT', 'batch: expected an object');
  aAccount(batch.account, 'batch.account');
  if (batch.baseNonce !== null && !Number.isSafeInteger(batch.baseNonce)) fail('INVALID_ARGUMENT', 'batch.baseNonce: expected an integer or null');
  if (!Number.isSafeInteger(batch.nonce) || (batch.baseNonce !== null && batch.nonce <= batch.baseNonce))
    fail('INVALID_ARGUMENT', 'batch.nonce: expected an integer greater than baseNonce');
  if (!Array.isArray(batch.writes)) fail('INVALID_ARGUMENT', 'batch.writes: expected an array');
  for (const [i, w] of batch.writes.entries()) {
    assertAddress(w?.address, `batch.writes[${i}].address`);
    if (typeof w.value !== 'string') fail('INVALID_ARGUMENT', `batch.writes[${i}].value: expected a string`);
  }
}

/** Domain of a batch statement (the signed `set_data.data` of `BatchAuth`, `metadata/write-auth.ts`). */
export const BATCH_DOMAIN = 'tkey-tss/batch';
/** Namespace of the account's nonce record in torus mode (owner G·k_m; value = the last batch statement). */
export const NONCE_NAMESPACE = 'tkey-tss/nonce';

/** The nonce a batch statement names (`undefined` when it is not one). */
export function statementNonce(data: string): number | undefined {
  try {
    const j = JSON.parse(data) as { v?: unknown; domain?: unknown; nonce?: unknown };
    return j?.v === 1 && j.domain === BATCH_DOMAIN && Number.isSafeInteger(j.nonce) ? (j.nonce as number) : undefined;
  } catch {
    return undefined;
  }
}
