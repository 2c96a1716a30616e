import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hexToNumber } from '../src/bytes.js';
import { G, mulG, mulGUnsafe, N, pointFromJSON, pointToHex } from '../src/curve.js';
import { seededRng } from '../src/rng.js';
import {
  assertDistinctIndices,
  assertShare,
  commit,
  commitmentsFromPolyId,
  evaluate,
  interpolate,
  interpolatePolynomial,
  lagrangeCoefficient,
  lagrangeCoefficients,
  parsePolyIdListEntry,
  polyIdFromCommitments,
  polyIdListEntry,
  pubKeyXFromPolyId,
  randomPolynomial,
  randomPolynomialWithPegged,
  shareAt,
  shareCommitment,
  sortIndices,
  verifyShare,
  type Share,
} from '../src/shamir/index.js';
import { loadSample, type V1Sample } from './helpers/v1-sample.js';

const code = (c: string) => expect.objectContaining({ code: c });
const S = loadSample() as V1Sample & {
  polynomials: { polyID: string; shareIndexes: string[]; commitments: { x: string; y: string }[] }[];
  shares: { publicShare: { x: string; y: string } }[];
};
const rng = seededRng('shamir-tests');
const indexArb = fc.bigInt({ min: 1n, max: N - 1n });
/** t-of-n parameters with distinct random non-zero indices. */
const tnArb = fc
  .integer({ min: 1, max: 5 })
  .chain((t) => fc.tuple(fc.constant(t), fc.uniqueArray(indexArb, { minLength: t, maxLength: t + 3 })));

describe('interpolation', () => {
  it('any t of n shares of a degree t−1 polynomial give back f(0), and f(x) at any x', () => {
    fc.assert(
      fc.property(tnArb, indexArb, fc.infiniteStream(fc.nat()), ([t, xs], at, picks) => {
        const f = randomPolynomial(rng, t - 1);
        const shares = shareAt(f, xs);
        const pool = [...shares];
        for (let i = pool.length - 1; i > 0; i--) {
          const j = picks.next().value % (i + 1);
          [pool[i], pool[j]] = [pool[j]!, pool[i]!];
        }
        const chosen = pool.slice(0, t);
        expect(interpolate(chosen)).toBe(f[0]);
        expect(interpolate(chosen, at)).toBe(evaluate(f, at));
        expect(interpolatePolynomial(chosen)).toEqual(f);
      }),
      { numRuns: 40 },
    );
  });
  it('t−1 shares do not determine the secret', () => {
    const f = randomPolynomial(rng, 2);
    const shares = shareAt(f, [1n, 2n, 3n]);
    expect(interpolate(shares.slice(0, 2))).not.toBe(f[0]);
  });
  it('Lagrange coefficients: known values at 0, Σλ = 1 at any x, λᵢ(xⱼ) = δᵢⱼ', () => {
    // {1, 2} at 0: λ₁ = 2, λ₂ = −1
    expect(lagrangeCoefficients([1n, 2n])).toEqual([2n, N - 1n]);
    // {1, 2, 3} at 0: 3, −3, 1
    expect(lagrangeCoefficients([1n, 2n, 3n])).toEqual([3n, N - 3n, 1n]);
    fc.assert(
      fc.property(fc.uniqueArray(indexArb, { minLength: 1, maxLength: 5 }), indexArb, (xs, at) => {
        expect(lagrangeCoefficients(xs, at).reduce((a, b) => (a + b) % N, 0n)).toBe(1n);
        for (const [i, xi] of xs.entries()) expect(lagrangeCoefficients(xs, xi)).toEqual(xs.map((_, j) => (i === j ? 1n : 0n)));
      }),
      { numRuns: 20 },
    );
    expect(() => lagrangeCoefficient([1n, 2n], 3n)).toThrow(code('INVALID_ARGUMENT'));
  });
  it('duplicate indices (also equal mod n) and zero indices are rejected', () => {
    const s = (x: bigint, y = 5n): Share => ({ x, y });
    expect(() => interpolate([s(1n), s(1n, 6n)])).toThrow(code('DUPLICATE_INDEX'));
    expect(() => interpolate([s(1n), s(N + 1n)])).toThrow(code('DUPLICATE_INDEX'));
    expect(() => interpolate([s(0n), s(2n)])).toThrow(code('ZERO_INDEX'));
    expect(() => interpolate([s(N), s(2n)])).toThrow(code('ZERO_INDEX'));
    expect(() => interpolate([])).toThrow(code('NOT_ENOUGH_SHARES'));
    expect(() => interpolatePolynomial([s(3n), s(3n)])).toThrow(code('DUPLICATE_INDEX'));
    expect(() => interpolatePolynomial([])).toThrow(code('NOT_ENOUGH_SHARES'));
    expect(() => lagrangeCoefficients([4n, 4n])).toThrow(code('DUPLICATE_INDEX'));
    expect(() => shareAt([1n, 2n], [1n, 2n, 1n])).toThrow(code('DUPLICATE_INDEX'));
    expect(() => shareAt([1n, 2n], [0n])).toThrow(code('ZERO_INDEX'));
    expect(() => assertDistinctIndices([1n, 1 as unknown as bigint])).toThrow(code('INVALID_ARGUMENT'));
  });
});

describe('polynomials', () => {
  it('evaluate is Horner mod n', () => {
    expect(evaluate([1n, 2n, 3n], 2n)).toBe(17n);
    expect(evaluate([N - 1n, 1n], 1n)).toBe(0n);
    expect(() => evaluate([], 1n)).toThrow(code('INVALID_ARGUMENT'));
  });
  it('randomPolynomial: degree, secret, validation', () => {
    const f = randomPolynomial(rng, 3, 42n);
    expect(f).toHaveLength(4);
    expect(f[0]).toBe(42n);
    expect(randomPolynomial(rng, 0, 0n)).toEqual([0n]);
    expect(() => randomPolynomial(rng, -1)).toThrow(code('OUT_OF_RANGE'));
    expect(() => randomPolynomial(rng, 1.5)).toThrow(code('OUT_OF_RANGE'));
    expect(() => randomPolynomial(rng, 1, N)).toThrow(code('INVALID_SCALAR'));
  });
  it('pegged polynomials pass through f(0) = secret and every pegged point', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.uniqueArray(indexArb, { minLength: 0, maxLength: 4 }), (degree, pegXs) => {
        const pegged = pegXs.slice(0, degree).map((x, i) => ({ x, y: i === 0 ? 0n : hexToNumber('ab' + i) }));
        const f = randomPolynomialWithPegged(rng, degree, 77n, pegged);
        expect(f).toHaveLength(degree + 1);
        expect(evaluate(f, 0n)).toBe(77n);
        for (const p of pegged) expect(evaluate(f, p.x)).toBe(p.y);
      }),
      { numRuns: 30 },
    );
    expect(() => randomPolynomialWithPegged(rng, 1, 1n, [{ x: 2n, y: 1n }, { x: 3n, y: 1n }])).toThrow(code('OUT_OF_RANGE'));
    expect(() => randomPolynomialWithPegged(rng, 2, 1n, [{ x: 0n, y: 1n }])).toThrow(code('INVALID_SCALAR'));
    expect(() => randomPolynomialWithPegged(rng, 2, 1n, [{ x: 2n, y: 1n }, { x: 2n, y: 3n }])).toThrow(code('DUPLICATE_INDEX'));
    expect(() => randomPolynomialWithPegged(rng, 2, 1n, [{ x: 2n, y: N }])).toThrow(code('INVALID_SCALAR'));
  });
});

describe('Feldman commitments', () => {
  const f = randomPolynomial(rng, 2);
  const C = commit(f);
  it('commit is aᵢ·G; shareCommitment(x) = f(x)·G', () => {
    expect(C.map((c, i) => c.equals(mulG(f[i]!)))).toEqual([true, true, true]);
    for (const x of [1n, 2n, 0xdeadbeefn, N - 1n]) expect(shareCommitment(C, x).equals(mulGUnsafe(evaluate(f, x)))).toBe(true);
    expect(commit([0n, 1n])[0]!.is0()).toBe(true);
    expect(() => shareCommitment([], 1n)).toThrow(code('INVALID_ARGUMENT'));
  });
  it('good shares verify; a changed value, index or commitment does not', () => {
    for (const s of shareAt(f, [1n, 2n, 3n, 99n])) {
      expect(verifyShare(C, s)).toBe(true);
      expect(() => assertShare(C, s)).not.toThrow();
      expect(verifyShare(C, { x: s.x, y: (s.y + 1n) % N })).toBe(false);
      expect(verifyShare(C, { x: s.x + 1n, y: s.y })).toBe(false);
      expect(verifyShare([C[0]!, C[1]!.add(G), C[2]!], s)).toBe(false);
      expect(verifyShare(C.slice(0, 2), s)).toBe(false); // wrong threshold
      expect(() => assertShare(C, { x: s.x, y: (s.y + 1n) % N })).toThrow(code('SHARE_NOT_ON_POLYNOMIAL'));
    }
  });
  it('non-canonical shares are refused: value ≥ n or < 0, index 0 or ≥ n', () => {
    const [s] = shareAt(f, [5n]);
    expect(verifyShare(C, { x: s!.x, y: s!.y + N })).toBe(false);
    expect(verifyShare(C, { x: s!.x, y: s!.y - N })).toBe(false);
    expect(verifyShare(C, { x: s!.x + N, y: s!.y })).toBe(false);
    expect(verifyShare(C, { x: 0n, y: f[0]! })).toBe(false); // would check the secret against C₀
    expect(() => assertShare(C, { x: 0n, y: f[0]! })).toThrow(code('SHARE_NOT_ON_POLYNOMIAL'));
  });
  it('a zero share value verifies only against a polynomial that has it', () => {
    const g = randomPolynomialWithPegged(rng, 1, 9n, [{ x: 4n, y: 0n }]);
    expect(verifyShare(commit(g), { x: 4n, y: 0n })).toBe(true);
    expect(verifyShare(C, { x: 4n, y: 0n })).toBe(false);
  });
});

describe('the v1 sample: shares, commitments and polynomial IDs recompute exactly', () => {
  const shares = [
    ...S.historicalShares.map((h) => ({ polyID: h.polyID, x: hexToNumber(h.index), y: hexToNumber(h.value) })),
    ...S.shares.map((s) => ({ polyID: s.polynomialID, x: hexToNumber(s.index), y: hexToNumber(s.value) })),
  ];
  const km = hexToNumber(S.metadataKey);
  const polys = S.polynomials;

  it('each polynomial: 2 shares interpolate to the metadata key and to coefficients whose commitments are its polyID', () => {
    expect(polys).toHaveLength(4);
    for (const p of polys) {
      const mine = shares.filter((s) => s.polyID === p.polyID);
      expect(mine.length).toBeGreaterThanOrEqual(2);
      expect(interpolate(mine.slice(0, 2))).toBe(km);
      expect(interpolate(mine.slice(-2))).toBe(km);
      const coeffs = interpolatePolynomial(mine.slice(0, 2));
      expect(polyIdFromCommitments(commit(coeffs))).toBe(p.polyID);
      const C = p.commitments.map((c, i) => pointFromJSON(c, `commitments[${i}]`));
      expect(polyIdFromCommitments(C)).toBe(p.polyID);
      expect(commitmentsFromPolyId(p.polyID).map((c) => pointToHex(c))).toEqual(C.map((c) => pointToHex(c)));
      for (const s of mine) expect(verifyShare(C, s)).toBe(true);
      expect(verifyShare(C, { x: mine[0]!.x, y: (mine[0]!.y + 1n) % N })).toBe(false);
      expect(pubKeyXFromPolyId(p.polyID)).toBe(S.metadataPub.x);
    }
    expect(polys.at(-1)!.polyID).toBe(S.latestPolyID);
  });
  it('current shares: public share = Σ Cⱼ·xʲ, as stored', () => {
    const latest = commitmentsFromPolyId(S.latestPolyID);
    for (const s of S.shares) {
      expect(shareCommitment(latest, hexToNumber(s.index)).equals(pointFromJSON(s.publicShare))).toBe(true);
      expect(mulG(hexToNumber(s.value)).equals(pointFromJSON(s.publicShare))).toBe(true);
    }
  });
  it('polyIDList entries, with the indices in any input order', () => {
    const list = S.metadataJSON.polyIDList as string[];
    expect(list).toHaveLength(polys.length);
    for (const [i, p] of polys.entries()) {
      const idx = p.shareIndexes.map((h) => hexToNumber(h));
      expect(polyIdListEntry(p.polyID, [...idx].reverse())).toBe(list[i]);
      expect(polyIdListEntry(p.polyID, idx)).toBe(list[i]);
      const parsed = parsePolyIdListEntry(list[i]!);
      expect(parsed.polyId).toBe(p.polyID);
      expect(parsed.indices).toEqual(sortIndices(idx));
    }
  });
  it('indices sort numerically, not as strings, and print unpadded', () => {
    expect(polyIdListEntry('02ab', [0x10n, 0x2n, 0x0an])).toBe('02ab|0x0|2|a|10');
    expect(parsePolyIdListEntry('02ab|0x0|')).toEqual({ polyId: '02ab', indices: [] });
    expect(() => parsePolyIdListEntry('02ab|03cd|1|2')).toThrow(code('INVALID_JSON'));
    expect(() => parsePolyIdListEntry('02ab|0x0|1|zz')).toThrow(code('INVALID_HEX'));
    expect(() => commitmentsFromPolyId('')).toThrow(code('INVALID_ARGUMENT'));
    expect(() => commitmentsFromPolyId(S.latestPolyID + '|02' + '00'.repeat(32))).toThrow(code('INVALID_POINT'));
    expect(() => polyIdFromCommitments([])).toThrow(code('INVALID_ARGUMENT'));
    expect(() => polyIdFromCommitments(commit([0n, 1n]))).toThrow(code('INVALID_POINT'));
  });
});
