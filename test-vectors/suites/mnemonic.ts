/**
 * `mnemonic`: 32-byte share value ⇄ 24-word BIP39 English mnemonic (tkey share-serialization,
 * tkey-formats.md §5), and mnemonics or byte strings that must be refused.
 * @module
 */
import { bytesToHex, hexToBytes } from '../../src/bytes.js';
import { bytesToMnemonic, mnemonicToBytes } from '../../src/mnemonic.js';
import type { CheckResult, Suite } from './types.js';
import { all, checkOne, eq, expectErrorCode, expectedError, str, vectorsOf, VectorFormatError, type Verdict } from './util.js';

export const NAME = 'mnemonic';

async function check(v: Record<string, unknown>): Promise<Verdict> {
  const op = str(v, 'op');
  const code = expectedError(v);
  switch (op) {
    case 'roundTrip': {
      // both directions: bytes → words and words → bytes
      const bytes = str(v, 'bytes');
      const words = str(v, 'mnemonic');
      return all(eq('mnemonic', bytesToMnemonic(hexToBytes(bytes)), words), eq('bytes', bytesToHex(mnemonicToBytes(words)), bytes));
    }
    case 'toBytes': {
      const run = (): Uint8Array => mnemonicToBytes(str(v, 'mnemonic'));
      if (code !== undefined) return expectErrorCode(code, run);
      return eq('bytes', bytesToHex(run()), str(v, 'bytes'));
    }
    case 'toMnemonic': {
      const run = (): string => bytesToMnemonic(hexToBytes(str(v, 'bytes')));
      if (code !== undefined) return expectErrorCode(code, run);
      return eq('mnemonic', run(), str(v, 'mnemonic'));
    }
    default:
      throw new VectorFormatError(`unknown op ${op}`);
  }
}

export const mnemonicSuite: Suite = {
  name: NAME,
  async run(doc: unknown): Promise<CheckResult[]> {
    const out: CheckResult[] = [];
    for (const v of vectorsOf(doc, NAME)) out.push(await checkOne(`${NAME}/${v.id}`, () => check(v)));
    return out;
  },
};
