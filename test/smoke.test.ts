import { describe, expect, it } from 'vitest';
import { eciesDecrypt, eciesEncrypt } from '../src/ecies.js';
import { getPublicKey, randomScalar, scalarToBytes } from '../src/curve.js';
import { seededRng } from '../src/rng.js';
import { interpolate, randomPolynomial, shareAt, commit, verifyShare } from '../src/shamir/index.js';
import { utf8ToBytes, bytesToUtf8 } from '../src/bytes.js';

describe('smoke', () => {
  it('ECIES round trip, padded and unpadded Px', () => {
    const rng = seededRng('smoke');
    const sk = scalarToBytes(randomScalar(rng));
    const pub = getPublicKey(sk, false);
    for (const padX of [true, false]) {
      const c = eciesEncrypt(pub, utf8ToBytes('hello'), { rng, padX });
      expect(bytesToUtf8(eciesDecrypt(sk, c))).toBe('hello');
    }
  });
  it('Shamir 2-of-3 interpolates and verifies', () => {
    const rng = seededRng('smoke-shamir');
    const f = randomPolynomial(rng, 1);
    const shares = shareAt(f, [1n, 2n, 3n]);
    expect(interpolate(shares.slice(1))).toBe(f[0]);
    const C = commit(f);
    expect(verifyShare(C, shares[0]!)).toBe(true);
    expect(verifyShare(C, { x: 1n, y: shares[0]!.y + 1n })).toBe(false);
  });
});
