/**
 * What gets signed: the library hashes messages itself (DESIGN §4; issue 5 item 2).
 *
 * - `hashMessage(bytes, hash)`: plain bytes, keccak256 by default (the product signs Ethereum-style),
 *   sha256 on request. Neither adds a prefix: a plain-message signature is NOT an EIP-191 signature.
 * - `hashPersonalMessage(msg)`: EIP-191 version 0x45, keccak256("\x19Ethereum Signed Message:\n" ‖
 *   decimal byte length ‖ msg) — what `personal_sign` signs.
 * - `hashTransaction(unsignedTx)`: keccak256 of the unsigned serialized transaction, which is the
 *   signing hash of every Ethereum transaction kind: legacy rlp([nonce, gasPrice, gas, to, value, data])
 *   or, EIP-155, rlp([…, chainId, 0, 0]); typed (EIP-2718) `type ‖ rlp([...])` for 0x01, 0x02, 0x03, 0x04.
 *   The bytes are checked to be one well-formed, canonical RLP list (after the type byte for typed
 *   transactions) and nothing else; field contents are the caller's (this is not a transaction builder).
 * EIP-712 lives in `eip712.ts`.
 * @module
 */
import { abytes, utf8ToBytes } from '../bytes.js';
import { fail } from '../errors.js';
import { keccak256, sha256 } from '../hash.js';

export type MessageHash = 'keccak256' | 'sha256';

/** Digest of a plain message: keccak256 (default) or sha256, no prefix. */
export function hashMessage(message: Uint8Array, hash: MessageHash = 'keccak256'): Uint8Array {
  abytes(message, 'message');
  if (hash === 'keccak256') return keccak256(message);
  if (hash === 'sha256') return sha256(message);
  return fail('INVALID_ARGUMENT', `hash: expected 'keccak256' or 'sha256', got ${String(hash)}`);
}

const EIP191_PREFIX = '\x19Ethereum Signed Message:\n';

/** EIP-191 personal message digest; a string is taken as UTF-8. */
export function hashPersonalMessage(message: Uint8Array | string): Uint8Array {
  const m = typeof message === 'string' ? utf8ToBytes(message) : abytes(message, 'personalMessage');
  const prefix = utf8ToBytes(EIP191_PREFIX + String(m.length));
  const buf = new Uint8Array(prefix.length + m.length);
  buf.set(prefix);
  buf.set(m, prefix.length);
  return keccak256(buf);
}

const MAX_RLP_DEPTH = 16;

/** End offset of the canonical RLP item at `pos` (which must end by `end`). */
function rlpItemEnd(b: Uint8Array, pos: number, end: number, depth: number): { end: number; list: boolean } {
  const bad = (why: string): never => fail('TRANSACTION_INVALID', `transaction: ${why} at byte ${pos}`);
  if (pos >= end) bad('truncated RLP item');
  if (depth > MAX_RLP_DEPTH) bad('RLP nesting too deep');
  const p = b[pos]!;
  if (p < 0x80) return { end: pos + 1, list: false };
  const isList = p >= 0xc0;
  const short = p - (isList ? 0xc0 : 0x80);
  let start: number;
  let len: number;
  if (short <= 55) {
    start = pos + 1;
    len = short;
    if (!isList && len === 1 && (start >= end || b[start]! < 0x80)) bad('single byte below 0x80 must encode itself');
  } else {
    const ll = short - 55;
    start = pos + 1 + ll;
    if (start > end) bad('truncated RLP length');
    if (b[pos + 1] === 0) bad('RLP length with a leading zero');
    len = 0;
    for (let i = pos + 1; i < start; i++) len = len * 256 + b[i]!;
    if (len <= 55) bad('RLP long form for a short payload');
  }
  const stop = start + len;
  if (stop > end) bad('RLP payload runs past the end');
  if (isList) for (let q = start; q < stop; ) q = rlpItemEnd(b, q, stop, depth + 1).end;
  return { end: stop, list: isList };
}

/** Assert `tx` is an unsigned serialized Ethereum transaction's framing: RLP list, or type ‖ RLP list. */
export function assertUnsignedTransaction(tx: Uint8Array): Uint8Array {
  abytes(tx, 'transaction');
  if (tx.length === 0) fail('TRANSACTION_INVALID', 'transaction: empty');
  const first = tx[0]!;
  const start = first >= 0xc0 ? 0 : first <= 0x7f ? 1 : fail('TRANSACTION_INVALID', 'transaction: neither an RLP list nor an EIP-2718 type byte');
  const item = rlpItemEnd(tx, start, tx.length, 0);
  if (!item.list) fail('TRANSACTION_INVALID', 'transaction: the payload is not an RLP list');
  if (item.end !== tx.length) fail('TRANSACTION_INVALID', `transaction: ${tx.length - item.end} trailing bytes after the RLP list`);
  return tx;
}

/** keccak256(unsigned serialized transaction): the transaction's signing hash. */
export function hashTransaction(unsignedTx: Uint8Array): Uint8Array {
  return keccak256(assertUnsignedTransaction(unsignedTx));
}
