/**
 * Signing requests: what a caller asks to sign, and the one digest the signers compute from it.
 * The library hashes every payload itself; a caller-supplied 32-byte digest is accepted only with the
 * explicit `allowRawDigest: true` (anything else, `RAW_DIGEST_REFUSED`). Why: see README "Raw digests".
 * @module
 */
import { abytes } from '../bytes.js';
import { fail } from '../errors.js';
import { hashTypedData, type TypedData } from './eip712.js';
import { hashMessage, hashPersonalMessage, hashTransaction, type MessageHash } from './hashing.js';

export type SigningRequest =
  /** Plain bytes, hashed with keccak256 (default) or sha256; no prefix. */
  | { message: Uint8Array; hash?: MessageHash }
  /** EIP-191 personal message (`personal_sign`); a string is UTF-8. */
  | { personalMessage: Uint8Array | string }
  /** EIP-712 typed data (`eth_signTypedData_v4`). */
  | { typedData: TypedData }
  /** An unsigned serialized Ethereum transaction (legacy RLP or EIP-2718 type ‖ RLP); keccak256 of it is signed. */
  | { transaction: Uint8Array }
  /** A raw 32-byte digest: only with the explicit opt-in. */
  | { digest: Uint8Array; allowRawDigest: true };

export type SigningRequestKind = 'message' | 'personalMessage' | 'typedData' | 'transaction' | 'digest';

export interface SigningDigest {
  kind: SigningRequestKind;
  /** The 32-byte value the signature is over. */
  digest: Uint8Array;
}

const KINDS: readonly SigningRequestKind[] = ['message', 'personalMessage', 'typedData', 'transaction', 'digest'];
const ALLOWED_EXTRA: Record<SigningRequestKind, readonly string[]> = {
  message: ['hash'],
  personalMessage: [],
  typedData: [],
  transaction: [],
  digest: ['allowRawDigest'],
};

/** Validate a signing request and compute its digest. Exactly one payload key; no unknown keys. */
export function signingDigest(request: SigningRequest): SigningDigest {
  if (typeof request !== 'object' || request === null) fail('INVALID_ARGUMENT', 'request: expected an object');
  const r = request as Record<string, unknown>;
  const present = KINDS.filter((k) => r[k] !== undefined);
  if (present.length !== 1) fail('INVALID_ARGUMENT', `request: expected exactly one of ${KINDS.join(', ')}, got ${present.length ? present.join(', ') : 'none'}`);
  const kind = present[0]!;
  for (const k of Object.keys(r)) if (k !== kind && r[k] !== undefined && !ALLOWED_EXTRA[kind].includes(k)) fail('INVALID_ARGUMENT', `request.${k}: not allowed with ${kind}`);
  switch (kind) {
    case 'message':
      return { kind, digest: hashMessage(abytes(r.message, 'request.message'), (r.hash ?? 'keccak256') as MessageHash) };
    case 'personalMessage':
      if (typeof r.personalMessage !== 'string') abytes(r.personalMessage, 'request.personalMessage');
      return { kind, digest: hashPersonalMessage(r.personalMessage as Uint8Array | string) };
    case 'typedData':
      return { kind, digest: hashTypedData(r.typedData as TypedData) };
    case 'transaction':
      return { kind, digest: hashTransaction(abytes(r.transaction, 'request.transaction')) };
    case 'digest':
      if (r.allowRawDigest !== true)
        fail('RAW_DIGEST_REFUSED', 'request.digest: a caller-supplied digest is signed only with allowRawDigest: true; prefer message, personalMessage, typedData or transaction');
      return { kind, digest: Uint8Array.from(abytes(r.digest, 'request.digest', 32)) };
  }
}
