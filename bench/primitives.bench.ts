/**
 * Primitive benchmarks: ECIES, Lagrange, Feldman.
 * ECIES payload: a 1 KiB message, the size of a small tKey metadata record (a 2-of-2 account's
 * AuthMetadata is ~3.3 KB of JSON, a ShareStore ~250 B), encrypted with the padded Px.
 */
import { getPublicKey, randomScalar, scalarToBytes } from '../src/curve.js';
import { eciesDecrypt, eciesEncrypt } from '../src/ecies.js';
import { seededRng } from '../src/rng.js';
import { commit, interpolate, randomPolynomial, shareAt, verifyShare } from '../src/shamir/index.js';
import type { BenchSuite } from './registry.js';

const suite: BenchSuite = (b) => {
  const rng = seededRng('bench/primitives');
  const sk = scalarToBytes(randomScalar(rng));
  const pub = getPublicKey(sk, false);
  const payload = rng.bytes(1024);
  const sealed = eciesEncrypt(pub, payload, { rng });
  b.add('ecies/encrypt', () => eciesEncrypt(pub, payload, { rng }));
  b.add('ecies/decrypt', () => eciesDecrypt(sk, sealed));

  // 3 shares at random 256-bit indices (as tKey's device / security-question shares), degree 2
  const f = randomPolynomial(rng, 2);
  const shares = shareAt(f, [randomScalar(rng), randomScalar(rng), randomScalar(rng)]);
  b.add('shamir/lagrange-3', () => interpolate(shares));

  // one share at a random 256-bit index against a threshold-2 polynomial: 2 commitments (tKey's default 2-of-n)
  const g = randomPolynomial(rng, 1);
  const C = commit(g);
  const [share] = shareAt(g, [randomScalar(rng)]);
  b.add('feldman/verify', () => {
    if (!verifyShare(C, share!)) throw new Error('feldman/verify: share does not verify');
  });
};
export default suite;
