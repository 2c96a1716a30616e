/**
 * Share serialization (the peer's `@tkey/share-serialization`): a share VALUE (not its index) as a
 * 24-word BIP39 English mnemonic of its 32 big-endian bytes, or as 64-char hex. On input the index
 * is found by scanning the account's polynomials (`ThresholdKey.inputShare`).
 * @module
 */
import { abytes } from '../bytes.js';
import { formatShareValue, parseShareValue, type ShareFormat } from '../metadata/share-io.js';
import type { Share } from '../metadata/share-store.js';

export type { ShareFormat };

/** 32-byte share value → 24 words. */
export function shareToMnemonic(value: Uint8Array | Share): string {
  const v = value instanceof Uint8Array ? parseShareValue(abytes(value, 'value', 32), 'bytes') : value.value;
  return formatShareValue(v, 'mnemonic') as string;
}

/** 24 words → 32-byte share value (checksum verified: `INVALID_MNEMONIC`). */
export function mnemonicToShare(mnemonic: string): Uint8Array {
  return formatShareValue(parseShareValue(mnemonic, 'mnemonic'), 'bytes') as Uint8Array;
}

/** Serialize a share value in any supported format. */
export function serializeShare(value: Uint8Array | Share, format: ShareFormat): Uint8Array | string {
  const v = value instanceof Uint8Array ? parseShareValue(abytes(value, 'value', 32), 'bytes') : value.value;
  return formatShareValue(v, format);
}

/** Parse a serialized share value → 32 bytes. */
export function deserializeShare(input: Uint8Array | string, format: ShareFormat): Uint8Array {
  return formatShareValue(parseShareValue(input, format), 'bytes') as Uint8Array;
}
