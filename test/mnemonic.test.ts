import { entropyToMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToNumber } from '../src/bytes.js';
import { scalarToBytes } from '../src/curve.js';
import { bytesToMnemonic, mnemonicToBytes } from '../src/mnemonic.js';
import { loadSample } from './helpers/v1-sample.js';

const code = (c: string) => expect.objectContaining({ code: c });
const S = loadSample();

/** Replace word `i` of a mnemonic with the word whose 11-bit value differs in the lowest bit. */
function flipLowBit(m: string, i: number): string {
  const words = m.split(' ');
  words[i] = wordlist[wordlist.indexOf(words[i]!) ^ 1]!;
  return words.join(' ');
}

describe('mnemonic ⇄ share (tkey share-serialization)', () => {
  it('every share of the sample: value ⇄ its stored 24 words', () => {
    expect(S.shares.length).toBeGreaterThanOrEqual(3);
    for (const s of S.shares) {
      const value = scalarToBytes(hexToNumber(s.value));
      expect(s.mnemonic.split(' ')).toHaveLength(24);
      expect(bytesToMnemonic(value)).toBe(s.mnemonic);
      expect(bytesToHex(mnemonicToBytes(s.mnemonic))).toBe(bytesToHex(value));
    }
  });
  it('round-trips any 32 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (b) => {
        expect(mnemonicToBytes(bytesToMnemonic(b))).toEqual(b);
      }),
      { numRuns: 50 },
    );
  });
  it('normalises case and whitespace', () => {
    const m = S.shares[0]!.mnemonic;
    const messy = '  ' + m.toUpperCase().split(' ').join(' \t\n ') + '\n';
    expect(mnemonicToBytes(messy)).toEqual(mnemonicToBytes(m));
  });
  it('a bad checksum is INVALID_MNEMONIC (the last word carries 8 checksum bits)', () => {
    const m = S.shares[0]!.mnemonic;
    expect(() => mnemonicToBytes(flipLowBit(m, 23))).toThrow(code('INVALID_MNEMONIC'));
    // an entropy bit changed in the first word: the checksum no longer matches (holds for this phrase)
    expect(() => mnemonicToBytes(flipLowBit(m, 0))).toThrow(code('INVALID_MNEMONIC'));
  });
  it('12, 23 or 25 words, unknown words and non-strings are refused', () => {
    const twelve = entropyToMnemonic(new Uint8Array(16).fill(7), wordlist);
    expect(() => mnemonicToBytes(twelve)).toThrow(code('INVALID_MNEMONIC'));
    const m = S.shares[0]!.mnemonic;
    const words = m.split(' ');
    expect(() => mnemonicToBytes(words.slice(0, 23).join(' '))).toThrow(code('INVALID_MNEMONIC'));
    expect(() => mnemonicToBytes([...words, 'abandon'].join(' '))).toThrow(code('INVALID_MNEMONIC'));
    expect(() => mnemonicToBytes(['tkeyword', ...words.slice(1)].join(' '))).toThrow(code('INVALID_MNEMONIC'));
    expect(() => mnemonicToBytes('')).toThrow(code('INVALID_MNEMONIC'));
    expect(() => mnemonicToBytes(42 as unknown as string)).toThrow(code('INVALID_ARGUMENT'));
  });
  it('only 32-byte values are encoded', () => {
    expect(() => bytesToMnemonic(new Uint8Array(16))).toThrow(code('INVALID_LENGTH'));
    expect(() => bytesToMnemonic(new Uint8Array(33))).toThrow(code('INVALID_LENGTH'));
  });
});
