/**
 * `ecies`: decryption of known eccrypto-compatible ciphertexts (tkey-formats.md §3), with the
 * ECDH x-coordinate encoded padded (eccrypto 7) and unpadded (eccrypto 5/6) at encryption, and
 * invalid ciphertexts that must be refused with a given error code.
 * @module
 */
import { bytesToHex, hexToBytes } from '../../src/bytes.js';
import { ecdhX, getPublicKey, pointFromHex, scalarFromHex } from '../../src/curve.js';
import { eciesDecryptJSON } from '../../src/ecies.js';
import type { CheckResult, Suite } from './types.js';
import { all, checkOne, eq, expectErrorCode, expectedError, obj, str, vectorsOf, VectorFormatError, type Verdict } from './util.js';

export const NAME = 'ecies';
const SHORT_X = 1n << 248n;

function decryptVector(v: Record<string, unknown>): Verdict | Promise<Verdict> {
  const op = str(v, 'op');
  if (op !== 'decrypt') throw new VectorFormatError(`unknown op ${op}`);
  const secret = hexToBytes(str(v, 'privateKey'), 'privateKey');
  const message = obj(v, 'ciphertext');
  const code = expectedError(v);
  if (code !== undefined) return expectErrorCode(code, () => eciesDecryptJSON(secret, message));
  // positive vector: the stated public key belongs to the key, the stated Px shape is real, and
  // decryption yields the plaintext
  const px = str(v, 'px');
  if (px !== 'padded' && px !== 'unpadded') throw new VectorFormatError('px: expected "padded" or "unpadded"');
  const shortX = v.shortX;
  if (typeof shortX !== 'boolean') throw new VectorFormatError('shortX: expected a boolean');
  const x = ecdhX(scalarFromHex(str(v, 'privateKey')), pointFromHex(str(message, 'ephemPublicKey'), 'ephemPublicKey'));
  return all(
    eq('publicKey', bytesToHex(getPublicKey(secret, false)), str(v, 'publicKey')),
    eq('shortX (ECDH x below 2^248)', x < SHORT_X, shortX),
    eq('plaintext', bytesToHex(eciesDecryptJSON(secret, message)), str(v, 'plaintext')),
  );
}

export const eciesSuite: Suite = {
  name: NAME,
  async run(doc: unknown): Promise<CheckResult[]> {
    const out: CheckResult[] = [];
    for (const v of vectorsOf(doc, NAME)) out.push(await checkOne(`${NAME}/${v.id}`, () => decryptVector(v)));
    return out;
  },
};
