/**
 * For tests of signing without the service: a service connection that fails the test when anything
 * reaches it, and the full check of a signature (digest, key, noble and OpenSSL).
 */
import { expect } from 'vitest';
import { bytesToHex } from '../../src/bytes.js';
import type { ServiceConnection } from '../../src/client/service-api.js';
import type { Signature } from '../../src/client/signing.js';
import { signingDigest, type SigningRequest } from '../../src/signature/index.js';
import { verifyDigest as opensslDigest } from './openssl-verify.js';
import { nobleVerify } from './verify-signature.js';

/** A service that fails the test if anything reaches it. */
export function unreachable(): ServiceConnection {
  return new Proxy({} as ServiceConnection, {
    get: (_t, k) => (k === 'then' ? undefined : () => Promise.reject(new Error(`the service was contacted (${String(k)})`))),
  });
}

/** The signature is over the request's digest, under Y, and verifies (noble and OpenSSL). */
export function checkSignature(sig: Signature, request: SigningRequest, Y: Uint8Array): void {
  const { digest } = signingDigest(request);
  expect(bytesToHex(sig.digest)).toBe(bytesToHex(digest));
  expect(bytesToHex(sig.publicKey)).toBe(bytesToHex(Y));
  expect(nobleVerify(digest, sig.signature, Y), 'noble').toBe(true);
  expect(opensslDigest(digest, BigInt('0x' + bytesToHex(sig.r)), BigInt('0x' + bytesToHex(sig.s)), Y), 'openssl').toBe(true);
}
