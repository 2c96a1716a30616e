/**
 * The JS sieve (src/bigint/primes.ts): sieving by primes below 2^16 (marked per window, residues in
 * groups of three) removes only composites, so seeded generation returns exactly the primes of the
 * original shallow sieve (values pinned from it); the incremental platform-RNG search (pool workers,
 * browsers) returns valid primes of every kind, also at sizes where the search leaves the bit size
 * and restarts.
 */
import { describe, expect, it } from 'vitest';
import { isBlumPrime, isSafePrime, generatePrime, generatePrimeSync, type PrimeKind } from '../src/bigint/primes.js';
import { isProbablePrime } from '../src/bigint/arith.js';
import { cryptoRng, seededRng } from '../src/rng.js';

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
});
