/** Shared fixtures of the tss-* tests: a seeded TSS polynomial, its commitments and shares, a Metadata to hold it. */
import { mulG, randomScalar, type Point } from '../../src/curve.js';
import { Metadata } from '../../src/metadata/metadata.js';
import { seededRng, type SeededRng } from '../../src/rng.js';
import { commit, evaluate, randomPolynomial } from '../../src/shamir/index.js';
import { TssShare } from '../../src/tss/tss-share.js';

export interface TssFixture {
  rng: SeededRng;
  coeffs: bigint[];
  key: bigint;
  commitments: Point[];
  share(index: number): TssShare;
  metadataKey: bigint;
  metadata(): Metadata;
}

/** A degree-(t−1) TSS polynomial drawn from `seed`, and a fresh v15 Metadata for a random metadata key. */
export function tssFixture(seed: string, t = 2): TssFixture {
  const rng = seededRng(seed);
  const coeffs = randomPolynomial(rng, t - 1);
  const metadataKey = randomScalar(rng);
  return {
    rng,
    coeffs,
    key: coeffs[0]!,
    commitments: commit(coeffs),
    share: (index: number) => new TssShare(index, evaluate(coeffs, BigInt(index))),
    metadataKey,
    metadata: () => Metadata.create(mulG(metadataKey)),
  };
}

export function samplePath(): URL {
  return new URL('../../test-vectors/interop/tkey-tss-sample.json', import.meta.url);
}
