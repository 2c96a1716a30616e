/**
 * ECIES byte-compatible with `@toruslabs/eccrypto` (tkey-formats.md §3):
 * ephemeral k, E = k·G (uncompressed), Px = x(k·Pub), h = SHA-512(Px), encKey = h[0..32),
 * macKey = h[32..64), AES-256-CBC/PKCS#7 with a random IV, mac = HMAC-SHA256(macKey, iv ‖ E ‖ ct).
 * Encryption pads Px to 32 bytes (eccrypto 7) unless `padX: false` (eccrypto 5/6, which strip
 * leading zero bytes); decryption tries the unpadded Px first, then the padded one, as every
 * eccrypto version does. The MAC is compared in constant time before any decryption.
 * @module
 */
import { cbc } from '@noble/ciphers/aes.js';
import { abytes, bytesToHex, concatBytes, equalBytes, hexToBytes, numberToBytesBE, numberToBytesMin, wipe } from './bytes.js';
import { ecdhX, mulG, pointFromBytes, pointToBytes, randomScalar, scalarFromBytes } from './curve.js';
import { fail } from './errors.js';
import { hmacSha256, sha512 } from './hash.js';
import { cryptoRng, type Rng } from './rng.js';

export interface EciesCiphertext {
  iv: Uint8Array; // 16 bytes
  ephemPublicKey: Uint8Array; // 65 bytes, uncompressed
  ciphertext: Uint8Array;
  mac: Uint8Array; // 32 bytes
}

/** The tKey JSON form (`EncryptedMessage`): lower-case hex fields. */
export interface EncryptedMessage {
  ciphertext: string;
  ephemPublicKey: string;
  iv: string;
  mac: string;
}

function kdf(px: Uint8Array): { encKey: Uint8Array; macKey: Uint8Array } {
  const h = sha512(px);
  return { encKey: h.slice(0, 32), macKey: h.slice(32, 64) };
}

/** Encrypt `msg` to the SEC1 public key `pub` (33 or 65 bytes). */
export function eciesEncrypt(pub: Uint8Array, msg: Uint8Array, opts: { rng?: Rng; padX?: boolean } = {}): EciesCiphertext {
  const P = pointFromBytes(abytes(pub, 'pub', [33, 65]), 'pub');
  abytes(msg, 'msg');
  const rng = opts.rng ?? cryptoRng;
  const k = randomScalar(rng);
  const iv = rng.bytes(16);
  const ephemPublicKey = pointToBytes(mulG(k), false);
  const x = ecdhX(k, P);
  const px = opts.padX === false ? numberToBytesMin(x) : numberToBytesBE(x, 32);
  const { encKey, macKey } = kdf(px);
  const ciphertext = cbc(encKey, iv).encrypt(msg);
  const mac = hmacSha256(macKey, concatBytes(iv, ephemPublicKey, ciphertext));
  wipe(encKey, macKey, px);
  return { iv, ephemPublicKey, ciphertext, mac };
}

/** Decrypt with the 32-byte secret. Throws `ECIES_MAC_MISMATCH` on a wrong key or tampered data. */
export function eciesDecrypt(secret: Uint8Array, c: EciesCiphertext): Uint8Array {
  const d = scalarFromBytes(abytes(secret, 'secret', 32), 'secret');
  abytes(c.iv, 'iv', 16);
  abytes(c.mac, 'mac', 32);
  abytes(c.ciphertext, 'ciphertext');
  const E = pointFromBytes(abytes(c.ephemPublicKey, 'ephemPublicKey', [33, 65]), 'ephemPublicKey');
  if (c.ciphertext.length === 0 || c.ciphertext.length % 16 !== 0) fail('INVALID_LENGTH', 'ciphertext: not a positive multiple of 16 bytes');
  const x = ecdhX(d, E);
  const macData = concatBytes(c.iv, c.ephemPublicKey, c.ciphertext);
  const unpadded = numberToBytesMin(x);
  const padded = numberToBytesBE(x, 32);
  const candidates = unpadded.length === 32 ? [padded] : [unpadded, padded];
  for (const px of candidates) {
    const { encKey, macKey } = kdf(px);
    if (equalBytes(hmacSha256(macKey, macData), c.mac)) {
      try {
        return cbc(encKey, c.iv).decrypt(c.ciphertext);
      } catch {
        return fail('ECIES_DECRYPT_FAILED', 'bad padding after a valid MAC');
      } finally {
        wipe(encKey, macKey);
      }
    }
    wipe(encKey, macKey);
  }
  return fail('ECIES_MAC_MISMATCH', 'MAC mismatch: wrong key or tampered ciphertext');
}

export function eciesToJSON(c: EciesCiphertext): EncryptedMessage {
  return {
    ciphertext: bytesToHex(c.ciphertext),
    ephemPublicKey: bytesToHex(c.ephemPublicKey),
    iv: bytesToHex(c.iv),
    mac: bytesToHex(c.mac),
  };
}

export function eciesFromJSON(j: unknown): EciesCiphertext {
  if (typeof j !== 'object' || j === null) fail('INVALID_JSON', 'EncryptedMessage: expected an object');
  const o = j as Record<string, unknown>;
  for (const f of ['ciphertext', 'ephemPublicKey', 'iv', 'mac'])
    if (typeof o[f] !== 'string') fail('INVALID_JSON', `EncryptedMessage.${f}: expected a hex string`);
  return {
    ciphertext: hexToBytes(o.ciphertext as string, 'ciphertext'),
    ephemPublicKey: hexToBytes(o.ephemPublicKey as string, 'ephemPublicKey'),
    iv: hexToBytes(o.iv as string, 'iv'),
    mac: hexToBytes(o.mac as string, 'mac'),
  };
}

/** Encrypt to the tKey JSON form. */
export function eciesEncryptJSON(pub: Uint8Array, msg: Uint8Array, opts: { rng?: Rng; padX?: boolean } = {}): EncryptedMessage {
  return eciesToJSON(eciesEncrypt(pub, msg, opts));
}
/** Decrypt the tKey JSON form. */
export function eciesDecryptJSON(secret: Uint8Array, j: unknown): Uint8Array {
  return eciesDecrypt(secret, eciesFromJSON(j));
}
