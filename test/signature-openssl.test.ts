import { describe, expect, it } from 'vitest';
import { bytesToHex, utf8ToBytes } from '../src/bytes.js';
import { ecdsaSignDigest, getPublicKey, N, randomScalar, scalarToBytes } from '../src/curve.js';
import { keccak256, sha256 } from '../src/hash.js';
import { seededRng } from '../src/rng.js';
import { publicKeyObject, verifyDigest, verifyMessageSha256 } from './helpers/openssl-verify.js';

const rng = seededRng('test/signature-openssl');
function sign(digest: Uint8Array, x: bigint): { r: bigint; s: bigint } {
  const c = ecdsaSignDigest(digest, x);
  return { r: BigInt('0x' + bytesToHex(c.subarray(0, 32))), s: BigInt('0x' + bytesToHex(c.subarray(32))) };
}

describe('independent OpenSSL verifier (test helper)', () => {
  const x = randomScalar(rng);
  const pubC = getPublicKey(scalarToBytes(x), true);
  const pubU = getPublicKey(scalarToBytes(x), false);
  const other = getPublicKey(scalarToBytes(randomScalar(rng)), true);

  it('OpenSSL decodes compressed and uncompressed keys to the same point', () => {
    const a = publicKeyObject(pubC).export({ format: 'jwk' });
    const b = publicKeyObject(pubU).export({ format: 'jwk' });
    expect(a).toEqual(b);
    expect(a.crv).toBe('secp256k1');
  });
  it('node:crypto route: sha256 message signatures verify; tampered message, signature or key do not', () => {
    const msg = utf8ToBytes('node crypto route');
    const { r, s } = sign(sha256(msg), x);
    for (const pub of [pubC, pubU]) expect(verifyMessageSha256(msg, r, s, pub)).toBe(true);
    expect(verifyMessageSha256(utf8ToBytes('node crypto routE'), r, s, pubC)).toBe(false);
    expect(verifyMessageSha256(msg, r, s + 1n, pubC)).toBe(false);
    expect(verifyMessageSha256(msg, r, s, other)).toBe(false);
    // OpenSSL accepts high-s: the verifier checks the ECDSA equation only
    expect(verifyMessageSha256(msg, r, N - s, pubC)).toBe(true);
  });
  it('raw-digest route (openssl pkeyutl): keccak digests verify; tampered digest, signature or key do not', () => {
    const digest = keccak256(utf8ToBytes('raw digest route'));
    const { r, s } = sign(digest, x);
    for (const pub of [pubC, pubU]) expect(verifyDigest(digest, r, s, pub)).toBe(true);
    const d2 = Uint8Array.from(digest);
    d2[31]! ^= 1;
    expect(verifyDigest(d2, r, s, pubC)).toBe(false);
    expect(verifyDigest(digest, r + 1n, s, pubC)).toBe(false);
    expect(verifyDigest(digest, r, s, other)).toBe(false);
  });
  it('the two routes agree on a sha256 digest', () => {
    const msg = utf8ToBytes('both routes');
    const { r, s } = sign(sha256(msg), x);
    expect(verifyDigest(sha256(msg), r, s, pubC)).toBe(true);
    expect(verifyMessageSha256(msg, r, s, pubC)).toBe(true);
  });
  it('refuses to answer rather than say false when it cannot run', () => {
    expect(() => verifyDigest(new Uint8Array(31), 1n, 1n, pubC)).toThrow();
    expect(() => publicKeyObject(new Uint8Array(32))).toThrow();
  });
});
