/**
 * Validation of storage batches, shared by every store.
 * @module
 */
import { fail } from '../errors.js';
import type { StorageBatch } from './types.js';

const HEX = /^[0-9a-f]+$/i;

export function assertBatch(batch: StorageBatch): void {
  if (typeof batch !== 'object' || batch === null) fail('INVALID_ARGUMENT', 'batch: expected an object');
  if (typeof batch.account !== 'string' || batch.account.length === 0) fail('INVALID_ARGUMENT', 'batch.account: expected a non-empty string');
  if (batch.baseNonce !== null && !Number.isSafeInteger(batch.baseNonce)) fail('INVALID_ARGUMENT', 'batch.baseNonce: expected an integer or null');
  if (!Number.isSafeInteger(batch.nonce) || (batch.baseNonce !== null && batch.nonce <= batch.baseNonce))
    fail('INVALID_ARGUMENT', 'batch.nonce: expected an integer greater than baseNonce');
  if (!Array.isArray(batch.writes)) fail('INVALID_ARGUMENT', 'batch.writes: expected an array');
  for (const [i, w] of batch.writes.entries()) {
    const a = w?.address;
    if (!a || typeof a.pubX !== 'string' || typeof a.pubY !== 'string' || !HEX.test(a.pubX) || !HEX.test(a.pubY) || typeof a.namespace !== 'string')
      fail('INVALID_ARGUMENT', `batch.writes[${i}].address: expected {pubX, pubY, namespace} with hex coordinates`);
    if (typeof w.value !== 'string') fail('INVALID_ARGUMENT', `batch.writes[${i}].value: expected a string`);
  }
}
