/**
 * AuxInfo fixtures for presign/sign tests, vectors and benchmarks, built directly from the
 * pregenerated TEST primes (test-vectors/primes) and `generateRingPedersen` with a seeded RNG —
 * no aux protocol run (the aux protocol proves exactly these objects with Πmod, Πprm, Πfac).
 * Party `id` gets test prime pair `pairOf(id)`; results are cached per (profile, pair).
 */
import { seededRng } from '../../src/rng.js';
import { generateRingPedersen, type RingPedersenSecret } from '../../src/paillier/ring-pedersen.js';
import type { ProfileName } from '../../src/paillier/profiles.js';
import type { AuxInfo, AuxPublic } from '../../protocols/aux/types.js';
import { testPaillierKey, testPrimePairs } from './test-primes.js';

const rpCache = new Map<string, RingPedersenSecret>();

function material(pair: number, profile: ProfileName): { pub: Omit<AuxPublic, 'id'>; p: bigint; q: bigint; lambda: bigint } {
  const sk = testPaillierKey(pair, profile);
  const key = `${profile}/${pair}`;
  let rp = rpCache.get(key);
  if (!rp) {
    rp = generateRingPedersen(sk, seededRng(`tkey-tss/test/aux/${key}`));
    rpCache.set(key, rp);
  }
  const { p, q } = sk.exportPrimes();
  return { pub: { N: rp.params.N, s: rp.params.s, t: rp.params.t }, p, q, lambda: rp.lambda };
}

/** Number of distinct test key pairs for a profile. */
export function auxPairs(profile: ProfileName = 'default'): number {
  return testPrimePairs(profile === 'high' ? 1536 : 1024).length;
}

/**
 * AuxInfo for each of `ids` (party ids): party ids[k] uses test pair (k + offset) mod #pairs.
 * Returns id → AuxInfo (own secret + every party's public part).
 */
export function auxFixtures(ids: readonly number[], profile: ProfileName = 'default', offset = 0): Map<number, AuxInfo> {
  const n = auxPairs(profile);
  if (ids.length > n) throw new Error(`only ${n} test key pairs for the ${profile} profile`);
  const mats = ids.map((id, k) => ({ id, ...material((k + offset) % n, profile) }));
  const parties: AuxPublic[] = mats.map((m) => ({ id: m.id, ...m.pub })).sort((a, b) => a.id - b.id);
  return new Map(mats.map((m) => [m.id, { profile, self: m.id, secret: { p: m.p, q: m.q, lambda: m.lambda }, parties: parties.map((e) => ({ ...e })) }]));
}
