/**
 * 24-word BIP39 mnemonic ⇄ 32-byte share (tkey share-serialization: the share value only,
 * the index is not encoded) over @scure/bip39's English wordlist.
 * @module
 */
import { entropyToMnemonic, mnemonicToEntropy, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { abytes, aString } from './bytes.js';
import { fail } from './errors.js';

/** 32 bytes → 24 words. */
export function bytesToMnemonic(b: Uint8Array): string {
  return entropyToMnemonic(abytes(b, 'bytes', 32), wordlist);
}

/** 24 words → 32 bytes. Whitespace is normalised; the checksum is verified. */
export function mnemonicToBytes(mnemonic: string): Uint8Array {
  const words = aString(mnemonic, 'mnemonic').trim().toLowerCase().split(/\s+/);
  if (words.length !== 24) fail('INVALID_MNEMONIC', `mnemonic: expected 24 words, got ${words.length}`);
  const m = words.join(' ');
  if (!validateMnemonic(m, wordlist)) fail('INVALID_MNEMONIC', 'mnemonic: unknown word or bad checksum');
  return mnemonicToEntropy(m, wordlist);
}
