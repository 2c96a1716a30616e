import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modPow } from '../src/bigint/modexp.js';
import { generatePrimeSync, isSafePrime } from '../src/bigint/primes.js';

const isSafePrimeCheap = (p: bigint) => isSafePrime(p, 2);
import { isTkeyTssError } from '../src/errors.js';
import { generatePaillierKey, PaillierPublicKey, PaillierSecretKey, paillierFromPrimes } from '../src/paillier/keys.js';
import { assertModulusSize, getProfile, PROFILES } from '../src/paillier/profiles.js';
import { seededRng } from '../src/rng.js';
import { testPaillierKey, testPrimePairs } from './helpers/test-primes.js';

const sk = testPaillierKey(0);
const pk = sk.publicKey;
const n = pk.n;
const rng = seededRng('paillier-test');
const signed = fc.bigInt({ min: -pk.halfN, max: pk.halfN });

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (isTkeyTssError(e)) return e.code;
    throw e;
  }
  return undefined;
}

describe('profiles', () => {
  it('carry the CGGMP parameters', () => {
    for (const p of [PROFILES.default, PROFILES.high]) {
      expect([p.ell, p.ellPrime, p.epsilon, p.m]).toEqual([256, 1280, 512, 128]);
    }
    expect(PROFILES.default.primeBits).toBe(1024);
    expect(PROFILES.default.minModulusBits).toBe(2047);
    expect(PROFILES.high.primeBits).toBe(1536);
    expect(PROFILES.high.minModulusBits).toBe(3071);
    expect(getProfile('high')).toBe(PROFILES.high);
    expect(code(() => getProfile('low' as never))).toBe('INVALID_ARGUMENT');
  });
  it('size bounds', () => {
    expect(code(() => assertModulusSize((1n << 2045n) + 1n))).toBe('PAILLIER_MODULUS_SIZE'); // 2046 bits
    expect(code(() => assertModulusSize((1n << 2046n) + 1n))).toBeUndefined(); // 2047 bits
    expect(code(() => assertModulusSize((1n << 2048n) - 1n))).toBeUndefined(); // 2048 bits
    expect(code(() => assertModulusSize((1n << 2048n) + 1n))).toBe('PAILLIER_MODULUS_SIZE'); // 2049 bits
    expect(code(() => assertModulusSize((1n << 3069n) + 1n, 'high'))).toBe('PAILLIER_MODULUS_SIZE');
    expect(code(() => assertModulusSize((1n << 3070n) + 1n + (1n << 3070n), 'high'))).toBeUndefined();
    expect(code(() => assertModulusSize(0n))).toBe('PAILLIER_MODULUS_SIZE');
    expect(code(() => assertModulusSize(n, 'high'))).toBe('PAILLIER_MODULUS_SIZE');
    expect(code(() => assertModulusSize(n))).toBeUndefined();
  });
});

describe('Paillier keys', () => {
  it('test key: N from two 1024-bit safe primes, Blum', () => {
    expect(n.toString(2).length).toBeGreaterThanOrEqual(2047);
    expect(sk.isBlum).toBe(true);
    expect(sk.isSafe(2)).toBe(true);
    expect(sk.p * sk.q).toBe(n);
    expect(sk.phi).toBe((sk.p - 1n) * (sk.q - 1n));
  });

  it('rejects undersized and oversized moduli for the profile', () => {
    const p512 = generatePrimeSync(512, { kind: 'blum' });
    const q512 = generatePrimeSync(512, { kind: 'blum' });
    expect(code(() => paillierFromPrimes(p512, q512))).toBe('PAILLIER_MODULUS_SIZE');
    expect(code(() => new PaillierPublicKey(p512 * q512))).toBe('PAILLIER_MODULUS_SIZE');
    // a default-size key is undersized for the high profile, and a high key oversized for default
    expect(code(() => new PaillierPublicKey(n, 'high'))).toBe('PAILLIER_MODULUS_SIZE');
    const hi = testPrimePairs(1536)[0]!;
    expect(code(() => paillierFromPrimes(hi.p, hi.q, 'default'))).toBe('PAILLIER_MODULUS_SIZE');
    expect(paillierFromPrimes(hi.p, hi.q, 'high').n.toString(2).length).toBeGreaterThanOrEqual(3071);
  });

  it('rejects malformed moduli and primes', () => {
    const { p, q } = testPrimePairs(1024)[1]!;
    expect(code(() => new PaillierPublicKey(n + 1n))).toBe('INVALID_MODULUS'); // even
    expect(code(() => new PaillierPublicKey(3n * ((1n << 2046n) + 1n)))).toBe('INVALID_MODULUS'); // factor 3
    expect(code(() => new PaillierPublicKey(p * p))).toBe('INVALID_MODULUS'); // perfect square
    expect(code(() => new PaillierPublicKey(12345 as unknown as bigint))).toBe('INVALID_ARGUMENT');
    expect(code(() => paillierFromPrimes(p, p))).toBe('PAILLIER_INVALID_KEY');
    const composite = (1n << 1023n) + 1n; // 2^odd + 1 is divisible by 3
    expect(code(() => paillierFromPrimes(composite, q))).toBe('PAILLIER_INVALID_KEY');
    expect(code(() => paillierFromPrimes(p, composite))).toBe('PAILLIER_INVALID_KEY');
  });

  it('generates a fresh key from safe primes (primes from a supplier, as from a PrimePool)', async () => {
    const pool = testPrimePairs(1024).slice(2, 3).flatMap(({ p, q }) => [p, q]);
    const k = await generatePaillierKey('default', { primes: async () => pool.shift()! });
    expect(k.isBlum).toBe(true);
    expect(k.n.toString(2).length).toBeGreaterThanOrEqual(2047);
    expect(k.decrypt(k.publicKey.encrypt(-42n))).toBe(-42n);
  });

  it('refuses supplied primes that cannot make a key', async () => {
    const { p: a, q: b } = testPrimePairs(1024)[6]!;
    const hi = testPrimePairs(1536)[0]!.p;
    const blumNotSafe = generatePrimeSync(1024, { kind: 'blum' });
    const from = (...xs: bigint[]) => {
      const list = [...xs];
      return { primes: async () => list.shift()! };
    };
    await expect(generatePaillierKey('default', from(a, a))).rejects.toThrow(/PRIME_GENERATION_FAILED/);
    await expect(generatePaillierKey('default', from(a, hi))).rejects.toThrow(/PRIME_GENERATION_FAILED/);
    if (!isSafePrimeCheap(blumNotSafe)) await expect(generatePaillierKey('default', from(a, blumNotSafe))).rejects.toThrow(/PRIME_GENERATION_FAILED/);
    const k = await generatePaillierKey('high', from(testPrimePairs(1536)[2]!.p, testPrimePairs(1536)[2]!.q));
    expect(k.publicKey.profile.name).toBe('high');
    expect((await generatePaillierKey('default', from(a, b))).n).toBe(a * b);
  });
});

describe('encryption and decryption', () => {
  it('round trips in the signed range (−N/2, N/2]', () => {
    for (const m of [0n, 1n, -1n, 2n ** 255n, -(2n ** 1280n), pk.halfN, -pk.halfN]) {
      expect(sk.decrypt(pk.encrypt(m, rng))).toBe(m);
      expect(sk.decrypt(sk.encrypt(m, rng))).toBe(m);
    }
    // N − 1 ≡ −1, and (N+1)/2 ≡ −(N−1)/2
    expect(sk.decrypt(pk.encrypt(n - 1n, rng))).toBe(-1n);
    expect(sk.decrypt(pk.encrypt(pk.halfN + 1n, rng))).toBe(-pk.halfN);
    expect(sk.decryptUnsigned(pk.encrypt(-1n, rng))).toBe(n - 1n);
  });

  it('property: public encryption = owner CRT encryption = textbook formula, and decrypts', () => {
    fc.assert(
      fc.property(signed, fc.bigInt({ min: 1n, max: n - 1n }), (m, rho) => {
        if (m === 0n && rho === 0n) return;
        const c = pk.encryptWithNonce(m, rho);
        expect(sk.encryptWithNonce(m, rho)).toBe(c);
        const mm = ((m % n) + n) % n;
        expect(c).toBe((modPow(n + 1n, mm, pk.n2) * modPow(rho, n, pk.n2)) % pk.n2);
        expect(sk.decrypt(c)).toBe(m);
        expect(sk.recoverNonce(c)).toBe(rho);
      }),
      { numRuns: 10 },
    );
  });

  it('homomorphic add, addPlain and signed scalar mul', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(1n << 1000n), max: 1n << 1000n }),
        fc.bigInt({ min: -(1n << 1000n), max: 1n << 1000n }),
        fc.bigInt({ min: -(1n << 300n), max: 1n << 300n }),
        (a, b, k) => {
          const ca = pk.encrypt(a, rng);
          const cb = pk.encrypt(b, rng);
          expect(sk.decrypt(pk.add(ca, cb))).toBe(a + b);
          expect(sk.decrypt(pk.addPlain(ca, b))).toBe(a + b);
          expect(sk.decrypt(pk.mul(ca, k))).toBe(a * k);
          expect(sk.decrypt(pk.rerandomize(ca, rng))).toBe(a);
        },
      ),
      { numRuns: 5 },
    );
    const c = pk.encrypt(5n, rng);
    expect(sk.decrypt(pk.mul(c, 0n))).toBe(0n);
    expect(sk.decrypt(pk.mul(c, -1n))).toBe(-5n);
    // wrap-around: products beyond N/2 are reduced into the signed range
    expect(sk.decrypt(pk.mul(pk.encrypt(pk.halfN, rng), 2n))).toBe(-1n);
  });

  it('offline/online encryption gives the same ciphertext as encryptWithNonce', () => {
    const pre = pk.precomputeNonce(rng);
    const c = pk.encryptWithNoncePower(-9n, pre);
    expect(c).toBe(pk.encryptWithNonce(-9n, pre.nonce));
    expect(sk.decrypt(c)).toBe(-9n);
    expect(code(() => pk.encryptWithNoncePower(1n, { noncePower: 0n }))).toBe('PAILLIER_PLAINTEXT_RANGE');
    expect(code(() => pk.encryptWithNoncePower(1n, { noncePower: pk.n2 }))).toBe('PAILLIER_PLAINTEXT_RANGE');
  });

  it('is deterministic under a seed', () => {
    expect(pk.encrypt(7n, seededRng('a'))).toBe(pk.encrypt(7n, seededRng('a')));
    expect(pk.encrypt(7n, seededRng('a'))).not.toBe(pk.encrypt(7n, seededRng('b')));
  });

  it('ciphertext validation rejects 0, multiples of p and q, values ≥ N², negatives and non-bigints', () => {
    const good = pk.encrypt(3n, rng);
    const bad: bigint[] = [0n, sk.p, sk.q, 7n * sk.p, sk.q * (n + 2n), n, pk.n2, pk.n2 + 1n, -good, pk.n2 - sk.p];
    for (const c of bad) {
      expect(pk.isValidCiphertext(c), `${c}`).toBe(false);
      expect(sk.isValidCiphertext(c), `${c}`).toBe(false);
      expect(code(() => pk.validateCiphertext(c))).toBe('PAILLIER_INVALID_CIPHERTEXT');
      expect(code(() => sk.decrypt(c))).toBe('PAILLIER_INVALID_CIPHERTEXT');
      expect(code(() => pk.add(good, c))).toBe('PAILLIER_INVALID_CIPHERTEXT');
      expect(code(() => pk.add(c, good))).toBe('PAILLIER_INVALID_CIPHERTEXT');
      expect(code(() => pk.mul(c, 3n))).toBe('PAILLIER_INVALID_CIPHERTEXT');
    }
    expect(pk.isValidCiphertext(good)).toBe(true);
    expect(pk.isValidCiphertext(1n)).toBe(true); // enc(0; 1) is a unit
    expect(pk.isValidCiphertext(3 as unknown as bigint)).toBe(false);
    expect(code(() => pk.validateCiphertext('3' as unknown as bigint))).toBe('INVALID_ARGUMENT');
  });

  it('plaintext, nonce and scalar ranges', () => {
    expect(code(() => pk.encrypt(n, rng))).toBe('PAILLIER_PLAINTEXT_RANGE');
    expect(code(() => pk.encrypt(-n, rng))).toBe('PAILLIER_PLAINTEXT_RANGE');
    expect(code(() => pk.encryptWithNonce(1n, 0n))).toBe('PAILLIER_PLAINTEXT_RANGE');
    expect(code(() => pk.encryptWithNonce(1n, n))).toBe('PAILLIER_PLAINTEXT_RANGE');
    expect(code(() => pk.encryptWithNonce(1n, sk.p))).toBe('PAILLIER_PLAINTEXT_RANGE');
    expect(code(() => sk.encryptWithNonce(1n, sk.q * 2n))).toBe('PAILLIER_PLAINTEXT_RANGE');
    expect(code(() => pk.mul(pk.encrypt(1n, rng), pk.n2))).toBe('PAILLIER_PLAINTEXT_RANGE');
  });
});

describe('serialization and secrecy', () => {
  it('public key and ciphertext bytes round trip, with validation on parse', () => {
    const back = PaillierPublicKey.fromBytes(pk.toBytes());
    expect(back.equals(pk)).toBe(true);
    const c = pk.encrypt(99n, rng);
    const cb = pk.ciphertextToBytes(c);
    expect(cb.length).toBe(pk.n2Bytes);
    expect(pk.ciphertextFromBytes(cb)).toBe(c);
    expect(code(() => pk.ciphertextFromBytes(cb.subarray(1)))).toBe('INVALID_LENGTH');
    expect(code(() => pk.ciphertextFromBytes(new Uint8Array(pk.n2Bytes)))).toBe('PAILLIER_INVALID_CIPHERTEXT');
    expect(code(() => PaillierPublicKey.fromBytes(pk.toBytes().subarray(1)))).toBe('PAILLIER_MODULUS_SIZE');
    expect(JSON.parse(JSON.stringify(pk))).toEqual({ n: n.toString(16), profile: 'default' });
  });

  it('secret key redacts itself and exports only on request', () => {
    const ph = sk.p.toString(16);
    const qh = sk.q.toString(16);
    const pd = sk.p.toString(10);
    for (const s of [JSON.stringify(sk), inspect(sk), String(sk), inspect({ nested: sk }, { depth: 5 })]) {
      expect(s).not.toContain(ph.slice(0, 32));
      expect(s).not.toContain(qh.slice(0, 32));
      expect(s).not.toContain(pd.slice(0, 32));
      expect(s).toMatch(/redacted/);
    }
    const bytes = sk.exportSecretBytes();
    const back = PaillierSecretKey.fromSecretBytes(bytes);
    expect(back.n).toBe(n);
    expect(back.exportPrimes()).toEqual(sk.exportPrimes());
    expect(code(() => PaillierSecretKey.fromSecretBytes(bytes.subarray(0, bytes.length - 1)))).toBe('INVALID_LENGTH');
    expect(code(() => PaillierSecretKey.fromSecretBytes(new Uint8Array([...bytes, 0])))).toBe('INVALID_LENGTH');
  });

  it('a destroyed key refuses to work', () => {
    const { p, q } = testPrimePairs(1024)[3]!;
    const k = paillierFromPrimes(p, q);
    const c = k.publicKey.encrypt(1n, rng);
    k.destroy();
    expect(code(() => k.decrypt(c))).toBe('INVALID_ARGUMENT');
    expect(code(() => k.exportPrimes())).toBe('INVALID_ARGUMENT');
  });
});

describe('high profile', () => {
  it('round trips under a 1536-bit-prime key', () => {
    const h = testPaillierKey(0, 'high');
    expect(h.publicKey.profile.name).toBe('high');
    for (const m of [0n, -3n, 1n << 1500n]) expect(h.decrypt(h.publicKey.encrypt(m, rng))).toBe(m);
    const c = h.encrypt(-(1n << 1000n), rng);
    expect(h.decrypt(h.publicKey.mul(c, -3n))).toBe(3n << 1000n);
  });
});
