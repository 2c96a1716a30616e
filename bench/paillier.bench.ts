/**
 * Paillier (default profile, 2048-bit N) next to paillier-bigint 3.4.3 in the same run, on the
 * same N and the same kind of operands: `encrypt` of a 256-bit plaintext with a fresh nonce,
 * `decrypt`, `add` of two ciphertexts, `mul` by a 256-bit scalar.
 * - `paillier/encrypt` is the public-key path (anyone's key); `paillier/encrypt-crt` the owner's
 *   CRT path (what a party uses for its own K_i, G_i); `paillier/encrypt-online` the online half
 *   after `precomputeNonce` (the exponentiation done ahead of time).
 * - `paillier-bigint/*` use paillier-bigint's default key form (`generateRandomKeys(2048)`: random
 *   g, λ = lcm(p−1, q−1), p and q kept for its CRT decrypt); `paillier-bigint/*-g1` its
 *   `simpleVariant` (g = N + 1, the form CGGMP and our keys use).
 * `paillier/keygen` draws two fresh 1024-bit safe primes (OpenSSL; heavy-tailed, few iterations).
 */
import * as paillierBigint from 'paillier-bigint';
import { lcm, modInv } from '../src/bigint/arith.js';
import { modPow } from '../src/bigint/modexp.js';
import { generatePaillierKey } from '../src/paillier/keys.js';
import { toPaillierBigintPrivateKey, toPaillierBigintPublicKey } from '../src/paillier/interop.js';
import { randomBelow, seededRng } from '../src/rng.js';
import { testPaillierKey } from '../test/helpers/test-primes.js';
import type { BenchRegistry } from './registry.js';

export default function (b: BenchRegistry): void {
  const rng = seededRng('bench/paillier');
  const sk = testPaillierKey(0);
  const pk = sk.publicKey;
  const pbPriv1 = toPaillierBigintPrivateKey(sk, paillierBigint);
  const pbPub1 = toPaillierBigintPublicKey(pk, paillierBigint);
  // paillier-bigint's default key form on the same N (its generateRandomKeys without simpleVariant)
  const { p, q } = sk.exportPrimes();
  const n = pk.n;
  const g = ((randomBelow(rng, n) * n + 1n) * modPow(randomBelow(rng, n), n, pk.n2)) % pk.n2;
  const lambda = lcm(p - 1n, q - 1n);
  const mu = modInv((modPow(g, lambda, pk.n2) - 1n) / n, n);
  const pbPub = new paillierBigint.PublicKey(n, g);
  const pbPriv = new paillierBigint.PrivateKey(lambda, mu, pbPub, p, q);
  const m = randomBelow(rng, 1n << 256n);
  const k = randomBelow(rng, 1n << 256n);
  const c1 = pk.encrypt(m, rng);
  const c2 = pk.encrypt(k, rng);
  const d1 = pbPub.encrypt(m);
  const d2 = pbPub.encrypt(k);
  if (pbPriv.decrypt(d1) !== m || pbPriv1.decrypt(c1) !== m) throw new Error('paillier-bigint baseline keys are broken');

  b.add('paillier/keygen', () => generatePaillierKey('default'), { iterations: 5, time: 5000 });
  b.add('paillier/encrypt', () => pk.encrypt(m, rng), { iterations: 50, time: 1000 });
  b.add('paillier/encrypt-crt', () => sk.encrypt(m, rng), { iterations: 50, time: 1000 });
  const pre = Array.from({ length: 64 }, () => pk.precomputeNonce(rng));
  let i = 0;
  b.add('paillier/encrypt-online', () => pk.encryptWithNoncePower(m, pre[i++ & 63]!), { iterations: 1000, time: 300 });
  b.add('paillier/decrypt', () => sk.decrypt(c1), { iterations: 50, time: 1000 });
  b.add('paillier/add', () => pk.add(c1, c2), { iterations: 1000, time: 500 });
  b.add('paillier/mul', () => pk.mul(c1, k), { iterations: 100, time: 1000 });

  b.add('paillier-bigint/encrypt', () => pbPub.encrypt(m), { iterations: 10, time: 1000 });
  b.add('paillier-bigint/decrypt', () => pbPriv.decrypt(d1), { iterations: 20, time: 1000 });
  b.add('paillier-bigint/add', () => pbPub.addition(d1, d2), { iterations: 1000, time: 500 });
  b.add('paillier-bigint/mul', () => pbPub.multiply(d1, k), { iterations: 20, time: 1000 });
  b.add('paillier-bigint/encrypt-g1', () => pbPub1.encrypt(m), { iterations: 10, time: 1000 });
  b.add('paillier-bigint/decrypt-g1', () => pbPriv1.decrypt(c1), { iterations: 20, time: 1000 });
}
