import { describe, expect, it } from 'vitest';
import { isProbablePrime } from '../src/bigint/arith.js';
import {
  generateBlumPrime,
  generatePrime,
  generatePrimeSync,
  generateSafePrime,
  isBlumPrime,
  isSafePrime,
  PrimePool,
  setPrimeGeneratorHook,
} from '../src/bigint/primes.js';
import { isTkeyTssError } from '../src/errors.js';
import { seededRng } from '../src/rng.js';
import { testPrimePairs, testSafePrimes } from './helpers/test-primes.js';

/** RFC 3526 group 5 (1536-bit MODP): a well-known safe prime. */
const MODP5 = BigInt(
  '0xffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7edee386bfb5a899fa5ae9f24117c4b1fe649286651ece45b3dc2007cb8a163bf0598da48361c55d39a69163fa8fd24cf5f83655d23dca3ad961c62f356208552bb9ed529077096966d670c354e4abc9804f1746c08ca237327ffffffffffffffff',
);

const bits = (x: bigint) => x.toString(2).length;

describe('prime predicates', () => {
  it('isSafePrime on known safe primes and near misses', () => {
    for (const p of [5n, 7n, 11n, 23n, 47n, 59n, 83n, 107n, 2039n, MODP5]) expect(isSafePrime(p, 10), `${p}`).toBe(true);
    // 13 is prime but (13−1)/2 = 6 is not; 29 → 14; 2^127 − 1 → (2^126 − 1) composite
    for (const p of [2n, 3n, 13n, 29n, 31n, 2n ** 127n - 1n, MODP5 + 2n, MODP5 - 2n]) expect(isSafePrime(p, 10), `${p}`).toBe(false);
  });
  it('isBlumPrime', () => {
    expect(isBlumPrime(2n ** 127n - 1n)).toBe(true); // ≡ 3 mod 4
    expect(isBlumPrime(2n ** 61n - 1n)).toBe(true);
    expect(isBlumPrime(13n)).toBe(false); // ≡ 1 mod 4
    expect(isBlumPrime(15n)).toBe(false);
  });
});

describe('generation in Node (OpenSSL)', () => {
  it('plain, Blum and safe primes of the requested size', async () => {
    const plain = await generatePrime(512, { kind: 'plain' });
    expect(bits(plain)).toBe(512);
    expect(isProbablePrime(plain)).toBe(true);
    const blum = await generateBlumPrime(512);
    expect(bits(blum)).toBe(512);
    expect(isBlumPrime(blum)).toBe(true);
    const safe = await generateSafePrime(256);
    expect(bits(safe)).toBe(256);
    expect(isSafePrime(safe)).toBe(true);
    const sync = generatePrimeSync(256, { kind: 'safe' });
    expect(isSafePrime(sync)).toBe(true);
  });
  it('rejects bad arguments', async () => {
    await expect(generatePrime(8, { kind: 'safe' })).rejects.toSatisfy((e: unknown) => isTkeyTssError(e, 'OUT_OF_RANGE'));
    await expect(generatePrime(256, { kind: 'weird' as never })).rejects.toSatisfy((e: unknown) => isTkeyTssError(e, 'INVALID_ARGUMENT'));
    expect(() => generatePrimeSync(1.5)).toThrow(/INVALID_ARGUMENT/);
  });
});

describe('generation by the JS sieve (explicit rng)', () => {
  it('is reproducible under a seed and right for every kind', async () => {
    for (const kind of ['plain', 'blum', 'safe'] as const) {
      const a = generatePrimeSync(kind === 'safe' ? 192 : 384, { kind, rng: seededRng(`sieve-${kind}`) });
      const b = await generatePrime(kind === 'safe' ? 192 : 384, { kind, rng: seededRng(`sieve-${kind}`) });
      expect(a).toBe(b);
      expect(bits(a)).toBe(kind === 'safe' ? 192 : 384);
      if (kind === 'safe') expect(isSafePrime(a)).toBe(true);
      else if (kind === 'blum') expect(isBlumPrime(a)).toBe(true);
      else expect(isProbablePrime(a)).toBe(true);
    }
    expect(generatePrimeSync(256, { kind: 'blum', rng: seededRng('x') })).not.toBe(generatePrimeSync(256, { kind: 'blum', rng: seededRng('y') }));
  });
  it('async generation can be aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(generatePrime(1024, { kind: 'safe', rng: seededRng('abort'), signal: ac.signal })).rejects.toThrow(/aborted/);
  });
});

describe('PrimePool and the generator hook', () => {
  it('fills ahead of time and hands each prime out once', async () => {
    const pool = new PrimePool({ bits: 256, kind: 'safe', target: 3 });
    await pool.fill();
    expect(pool.size).toBe(3);
    const got = new Set<bigint>();
    for (let i = 0; i < 3; i++) got.add(await pool.take());
    expect(got.size).toBe(3);
    for (const p of got) expect(isSafePrime(p)).toBe(true);
    pool.stop();
  });
  it('accepts verified external primes and rejects wrong ones', () => {
    const pool = new PrimePool({ bits: 1024, kind: 'safe', target: 0 });
    pool.add(...testSafePrimes(1024).slice(0, 2));
    expect(pool.size).toBe(2);
    expect(() => pool.add(testPrimePairs(1536)[0]!.p)).toThrow(/PRIME_GENERATION_FAILED/);
    expect(() => pool.add(2n ** 1023n + 1n)).toThrow(/PRIME_GENERATION_FAILED/);
  });
  it('routes platform-RNG generation through a hook, verifying its output', async () => {
    const pre = testSafePrimes(1024);
    let calls = 0;
    setPrimeGeneratorHook(async (b, kind) => {
      calls++;
      expect([b, kind]).toEqual([1024, 'safe']);
      return pre[calls - 1]!;
    });
    try {
      expect(await generateSafePrime(1024)).toBe(pre[0]);
      setPrimeGeneratorHook(async () => 2n ** 1023n + 1n);
      await expect(generateSafePrime(1024)).rejects.toThrow(/PRIME_GENERATION_FAILED/);
    } finally {
      setPrimeGeneratorHook(undefined);
    }
    expect(calls).toBe(1);
  });
});

describe('pregenerated test primes', () => {
  it('load, re-verify, and are labelled as test data', () => {
    expect(testPrimePairs(1024).length).toBeGreaterThanOrEqual(8);
    expect(testPrimePairs(1536).length).toBeGreaterThanOrEqual(4);
    const all = [...testSafePrimes(1024), ...testSafePrimes(1536)];
    expect(new Set(all).size).toBe(all.length);
  });
});
