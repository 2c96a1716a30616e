/**
 * Named asserts at the store boundary (the HTTP layer validates first; stores check again).
 * @module
 */
import { fail } from '../../errors.js';
import type { Row, RowAddress, RowBatch } from './types.js';

const HEX = /^[0-9a-f]{1,64}$/i;
const NAMESPACE = /^[^\u0000-\u001f\u007f]{0,256}$/;

export function assertRowAddress(a: unknown, title: string): RowAddress {
  const r = a as Partial<RowAddress> | null;
  if (!r || typeof r !== 'object' || typeof r.pubX !== 'string' || typeof r.pubY !== 'string' || !HEX.test(r.pubX) || !HEX.test(r.pubY))
    fail('INVALID_ARGUMENT', `${title}: expected {pubX, pubY} as 1–64 hex characters`);
  if (typeof r.namespace !== 'string' || !NAMESPACE.test(r.namespace)) fail('INVALID_ARGUMENT', `${title}.namespace: expected up to 256 characters, no control characters`);
  return r as RowAddress;
}

export function assertRows(rows: unknown, title: string): Row[] {
  if (!Array.isArray(rows)) fail('INVALID_ARGUMENT', `${title}: expected an array`);
  for (const [i, r] of rows.entries()) {
    assertRowAddress(r, `${title}[${i}]`);
    const row = r as Partial<Row>;
    if (typeof row.value !== 'string') fail('INVALID_ARGUMENT', `${title}[${i}].value: expected a string`);
    if (typeof row.signature !== 'string' || row.signature.length === 0) fail('INVALID_ARGUMENT', `${title}[${i}].signature: expected a non-empty string`);
    if (!Number.isSafeInteger(row.timestamp) || (row.timestamp as number) < 0) fail('INVALID_ARGUMENT', `${title}[${i}].timestamp: expected unix seconds`);
  }
  return rows as Row[];
}

export function assertAccount(account: unknown, title = 'account'): string {
  if (typeof account !== 'string' || !/^0[23][0-9a-f]{64}$/.test(account)) fail('INVALID_ARGUMENT', `${title}: expected the compressed SEC1 hex (66 lower-case characters) of the metadata public key`);
  return account;
}

export function assertRowBatch(b: unknown): RowBatch {
  const batch = b as Partial<RowBatch> | null;
  if (!batch || typeof batch !== 'object') fail('INVALID_ARGUMENT', 'batch: expected an object');
  assertAccount(batch.account, 'batch.account');
  if (batch.baseNonce !== null && (!Number.isSafeInteger(batch.baseNonce) || (batch.baseNonce as number) < 0))
    fail('INVALID_ARGUMENT', 'batch.baseNonce: expected a non-negative integer or null');
  if (!Number.isSafeInteger(batch.nonce) || (batch.nonce as number) < 0 || (batch.baseNonce !== null && (batch.nonce as number) <= (batch.baseNonce as number)))
    fail('INVALID_ARGUMENT', 'batch.nonce: expected a non-negative integer greater than baseNonce');
  assertRows(batch.rows, 'batch.rows');
  return batch as RowBatch;
}

const STATE_KIND = /^[a-z][a-z0-9-]{0,31}$/;

/** A state kind: 1–32 of [a-z0-9-], starting with a letter. */
export function assertStateKind(kind: unknown): string {
  if (typeof kind !== 'string' || !STATE_KIND.test(kind)) fail('INVALID_ARGUMENT', 'state kind: expected 1–32 characters of [a-z0-9-], starting with a letter');
  return kind;
}

/** A state key: 1–512 characters, no control characters other than the separator \x1f. */
export function assertStateKey(key: unknown, title = 'state key', allowEmpty = false): string {
  if (typeof key !== 'string' || (!allowEmpty && key.length === 0) || key.length > 512 || /[\u0000-\u001e\u007f]/.test(key)) fail('INVALID_ARGUMENT', `${title}: expected 1–512 characters without control characters`);
  return key;
}

/** A state epoch: a non-negative safe integer. */
export function assertStateEpoch(epoch: unknown, title = 'epoch'): number {
  if (!Number.isSafeInteger(epoch) || (epoch as number) < 0) fail('INVALID_ARGUMENT', `${title}: expected a non-negative integer`);
  return epoch as number;
}

/** A state value: bytes, at most MAX_STATE_VALUE. */
export function assertStateValue(value: unknown, max: number): Uint8Array {
  if (!(value instanceof Uint8Array)) fail('INVALID_ARGUMENT', 'state value: expected bytes');
  if (value.length > max) fail('PAYLOAD_TOO_LARGE', `state value: ${value.length} bytes, at most ${max}`, { limit: max });
  return value;
}

/** Rows to insert: 1–64 of them, each a valid (kind, key, value, epoch), no (kind, key) twice. */
export function assertStateInserts(rows: unknown, max: number): { kind: string; key: string; value: Uint8Array; epoch: number }[] {
  if (!Array.isArray(rows) || rows.length === 0 || rows.length > 64) fail('INVALID_ARGUMENT', 'rows: expected 1–64 rows to insert');
  const seen = new Set<string>();
  return rows.map((r: { kind?: unknown; key?: unknown; value?: unknown; epoch?: unknown }) => {
    const row = { kind: assertStateKind(r?.kind), key: assertStateKey(r?.key), value: assertStateValue(r?.value, max).slice(), epoch: assertStateEpoch(r?.epoch ?? 0) };
    const slot = `${row.kind}\u0000${row.key}`;
    if (seen.has(slot)) fail('INVALID_ARGUMENT', `rows: ${row.kind}/${row.key.slice(0, 24)}… appears twice`);
    seen.add(slot);
    return row;
  });
}

/** `expected`: undefined, null or a positive version. */
export function assertExpected(expected: unknown): number | null | undefined {
  if (expected === undefined || expected === null) return expected;
  if (!Number.isSafeInteger(expected) || (expected as number) < 1) fail('INVALID_ARGUMENT', 'expected: null (insert only) or a version ≥ 1');
  return expected as number;
}
