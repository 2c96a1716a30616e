/**
 * The JS sieve (src/bigint/primes.ts): sieving by primes below 2^16 (marked per window, residues in
 * groups of three) removes only composites, so seeded generation returns exactly the primes of the
 * original shallow sieve (values pinned from it); the incremental platform-RNG search (pool workers,
 * browsers) returns valid primes of every kind, also at sizes where the search leaves the bit size
 * and restarts. Issue 13 item 1: the incremental search sieves deeper (primes below 2^20, only
 * composites removed, about a third fewer exponentiations than the 2^16 sieve) and tests Fermat with
 * `pow2Secret` (2^e mod m, one squaring per bit), equal to the ladder on random inputs.
 */
import { describe, expect, it } from 'vitest';
import { isBlumPrime, isSafePrime, generatePrime, generatePrimeSync, pow2Secret, __TEST, type PrimeKind } from '../src/bigint/primes.js';
import { isProbablePrime, primesBelow } from '../src/bigint/arith.js';
import { modPowLadder } from '../src/bigint/portable.js';
import { cryptoRng, randomBelow, seededRng } from '../src/rng.js';

describe('JS sieve', () => {
  it('seeded generation is unchanged (primes of the shallow sieve, pinned)', async () => {
    const pinned: [number, PrimeKind, string, string][] = [
      [192, 'safe', 'a', 'fb67cfaaf3d8faf1ab0585c772bdb618688a7d1a256fd623'],
      [384, 'plain', 'b', 'dada88a501d96948ffc645780a0af64fa68240bd183b6ccd7f33b14e5b7930e526c222ea8cd0d45f7a0c6922c3c0ad93'],
      [384, 'blum', 'c', 'cfefbc07089eeccf7a8829dda605ecae721ed7b0c1388d03d858d13f6d1cbb342ccbcc910b04c808cde378fd567d7ec7'],
      [256, 'safe', 'd', 'd94d5ef0fcff394c17247c51ad4af0f8dfb0db6951dc6e4e9333e1c9ee4b0e1b'],
      [64, 'safe', 'e', 'f12c141aaf58a733'],
      [20, 'safe', 'f', 'c7d93'],
      [12, 'plain', 'g', 'dc7'],
    ];
    for (const [bits, kind, seed, hex] of pinned) {
      expect(generatePrimeSync(bits, { kind, rng: seededRng(seed) }).toString(16)).toBe(hex);
      expect((await generatePrime(bits, { kind, rng: seededRng(seed) })).toString(16)).toBe(hex);
    }
  });

  it('the incremental platform-RNG search returns valid primes of every kind and size', async () => {
    for (const bits of [18, 24, 256]) {
      const safe = await generatePrime(bits, { kind: 'safe', rng: cryptoRng });
      expect(safe.toString(2).length).toBe(bits);
      expect(isSafePrime(safe)).toBe(true);
      const blum = await generatePrime(bits, { kind: 'blum', rng: cryptoRng });
      expect(blum.toString(2).length).toBe(bits);
      expect(isBlumPrime(blum)).toBe(true);
      const plain = await generatePrime(bits, { kind: 'plain', rng: cryptoRng });
      expect(plain.toString(2).length).toBe(bits);
      expect(isProbablePrime(plain)).toBe(true);
    }
  });

  it('pow2Secret(e, m) = 2^e mod m (the ladder) on random and edge inputs', () => {
    const rng = seededRng('pow2');
    for (const bits of [2, 3, 17, 64, 521, 1023, 1024]) {
      for (let i = 0; i < 4; i++) {
        const m = randomBelow(rng, 1n << BigInt(bits)) | (1n << BigInt(bits - 1)) | BigInt(i & 1); // odd and even moduli
        const e = randomBelow(rng, 1n << BigInt(bits + 3));
        expect(pow2Secret(e, m)).toBe(modPowLadder(2n, e, m));
      }
    }
    expect(pow2Secret(0n, 7n)).toBe(1n);
    expect(pow2Secret(1n, 7n)).toBe(2n);
    expect(pow2Secret(5n, 1n)).toBe(0n);
    expect(pow2Secret(10n, 2n)).toBe(0n);
  });

  it('the deep sieve (primes < 2^20) keeps a subset of the shallow one, removes only candidates with a factor < 2^20, and about a third fewer survive', () => {
    const rng = seededRng('deep-sieve');
    const deepPrimes = primesBelow(1 << 20).slice(1).map(BigInt);
    let shallowN = 0;
    let deepN = 0;
    for (let w = 0; w < 6; w++) {
      const start = (randomBelow(rng, 1n << 1022n) | (3n << 1021n)) | 1n; // a 1023-bit odd q
      const shallow = __TEST.survivors(start, 'safe', 1024, 8192, 'shallow');
      const deep = __TEST.survivors(start, 'safe', 1024, 8192, 'deep');
      const kept = new Set(shallow);
      expect(deep.every((k) => kept.has(k))).toBe(true);
      // a few of the removed ones: q or 2q + 1 has a prime factor below 2^20
      for (const k of shallow.filter((x) => !deep.includes(x)).slice(0, 5)) {
        const q = start + 2n * BigInt(k);
        expect(deepPrimes.some((s) => q % s === 0n || (2n * q + 1n) % s === 0n)).toBe(true);
      }
      shallowN += shallow.length;
      deepN += deep.length;
    }
    // (ln 2^16 / ln 2^20)^2 = 0.64 in expectation
    expect(deepN / shallowN).toBeLessThan(0.75);
    expect(deepN / shallowN).toBeGreaterThan(0.5);
  });

  it('the incremental search stops at once when aborted (ABORTED)', async () => {
    // A 2048-bit safe prime takes seconds to minutes here, but a search can be lucky inside the
    // 150 ms before the abort: such a run must have finished before the abort (checked), and is
    // run again — three lucky runs in a row do not happen (p < 1e-6), a search that ignores the
    // abort fails every time.
    for (let attempt = 0; attempt < 3; attempt++) {
      const ac = new AbortController();
      const t0 = Date.now();
      const search = generatePrime(2048, { kind: 'safe', rng: cryptoRng, signal: ac.signal });
      const timer = setTimeout(() => ac.abort(), 150);
      const outcome = await search.then(
        (p) => ({ p, abortedFirst: ac.signal.aborted }),
        (e: unknown) => ({ e }),
      );
      clearTimeout(timer);
      if ('e' in outcome) {
        expect(outcome.e).toMatchObject({ code: 'ABORTED' });
        expect(Date.now() - t0).toBeLessThan(3000);
        return;
      }
      expect(outcome.abortedFirst).toBe(false); // a prime returned after the abort is the defect
      expect(isSafePrime(outcome.p)).toBe(true);
    }
    throw new Error('three searches in a row found a prime before the abort');
  });
});
