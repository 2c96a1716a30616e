/**
 * Pregenerated safe primes for TESTS ONLY (test-vectors/primes/*.json, made by
 * test-vectors/primes/generate-primes.ts). They are public: keys made from them protect nothing.
 * Each prime is re-checked when loaded (bit length, ≡ 3 mod 4, two Miller–Rabin rounds on p and
 * (p − 1)/2), which costs a few ms.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isSafePrime } from '../../src/bigint/primes.js';
import { paillierFromPrimes, type PaillierSecretKey } from '../../src/paillier/keys.js';
import type { ProfileName } from '../../src/paillier/profiles.js';

export interface PrimePair {
  p: bigint;
  q: bigint;
}

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-vectors', 'primes');

/** The file of 1024-bit TEST prime pairs a server reads (`TKEY_SERVICE_PRIMES_FILE`, `openServiceState`'s `primesFile`). */
export const PRIMES_FILE = join(DIR, 'safe-primes-1024.json');
const cache = new Map<number, PrimePair[]>();

/** The pregenerated safe-prime pairs of `bits` bits (1024: 8 pairs, 1536: 4 pairs), verified on load. */
export function testPrimePairs(bits: 1024 | 1536 = 1024): PrimePair[] {
  const hit = cache.get(bits);
  if (hit) return hit;
  const doc = JSON.parse(readFileSync(join(DIR, `safe-primes-${bits}.json`), 'utf8')) as {
    label: string;
    bits: number;
    kind: string;
    pairs: { p: string; q: string }[];
  };
  if (!doc.label.startsWith('TEST DATA ONLY') || doc.kind !== 'safe' || doc.bits !== bits) throw new Error(`safe-primes-${bits}.json: not a test-prime file`);
  const pairs = doc.pairs.map(({ p, q }) => ({ p: BigInt('0x' + p), q: BigInt('0x' + q) }));
  for (const { p, q } of pairs) {
    for (const x of [p, q]) {
      if (x.toString(2).length !== bits || !isSafePrime(x, 2)) throw new Error(`safe-primes-${bits}.json: ${x.toString(16).slice(0, 16)}… is not a ${bits}-bit safe prime`);
    }
    if (p === q) throw new Error(`safe-primes-${bits}.json: equal primes in a pair`);
  }
  cache.set(bits, pairs);
  return pairs;
}

/** Every distinct pregenerated safe prime of `bits` bits. */
export function testSafePrimes(bits: 1024 | 1536 = 1024): bigint[] {
  return testPrimePairs(bits).flatMap(({ p, q }) => [p, q]);
}

const keys = new Map<string, PaillierSecretKey>();

/** The Paillier key of pair `i` (default profile: 1024-bit primes; high: 1536-bit). */
export function testPaillierKey(i = 0, profile: ProfileName = 'default'): PaillierSecretKey {
  const id = `${profile}/${i}`;
  let k = keys.get(id);
  if (!k) {
    const pairs = testPrimePairs(profile === 'high' ? 1536 : 1024);
    const pair = pairs[i];
    if (!pair) throw new Error(`only ${pairs.length} test prime pairs for the ${profile} profile`);
    k = paillierFromPrimes(pair.p, pair.q, profile);
    keys.set(id, k);
  }
  return k;
}
