/**
 * Polynomials over Z_n (n = the secp256k1 order): f(X) = a₀ + a₁X + … + a_dX^d, coefficients
 * low to high, a₀ the secret. Random polynomials, polynomials through pegged points (the
 * deterministic shares of tKey v1), evaluation.
 * @module
 */
import { aScalar, modN, randomScalar } from '../curve.js';
import { fail } from '../errors.js';
import type { Rng } from '../rng.js';
import { interpolatePolynomial } from './lagrange.js';

/** A share: the point (x, f(x)). x ≠ 0. */
export interface Share {
  x: bigint;
  y: bigint;
}

/** f(x) by Horner's rule. */
export function evaluate(coeffs: readonly bigint[], x: bigint): bigint {
  if (coeffs.length === 0) fail('INVALID_ARGUMENT', 'evaluate: empty polynomial');
  let acc = 0n;
  for (let i = coeffs.length - 1; i >= 0; i--) acc = modN(acc * x + coeffs[i]!);
  return acc;
}

/** Random degree-`degree` polynomial with f(0) = secret (secret drawn when omitted). */
export function randomPolynomial(rng: Rng, degree: number, secret?: bigint): bigint[] {
  if (!Number.isSafeInteger(degree) || degree < 0) fail('OUT_OF_RANGE', 'degree: expected a non-negative integer');
  const a0 = secret === undefined ? randomScalar(rng) : aScalar(secret, 'secret', true);
  const coeffs = [a0];
  for (let i = 0; i < degree; i++) coeffs.push(randomScalar(rng));
  return coeffs;
}

/**
 * Random degree-`degree` polynomial with f(0) = secret that passes through every pegged share
 * (tKey v1's deterministic shares); the remaining degrees of freedom are random points.
 */
export function randomPolynomialWithPegged(rng: Rng, degree: number, secret: bigint, pegged: readonly Share[]): bigint[] {
  if (pegged.length > degree) fail('OUT_OF_RANGE', `pegged: at most ${degree} points fit a degree-${degree} polynomial besides f(0)`);
  const points: Share[] = [{ x: 0n, y: aScalar(secret, 'secret', true) }, ...pegged.map((s) => ({ x: aScalar(s.x, 'pegged.x'), y: aScalar(s.y, 'pegged.y', true) }))];
  while (points.length < degree + 1) {
    const x = randomScalar(rng);
    if (points.some((p) => p.x === x)) continue;
    points.push({ x, y: randomScalar(rng) });
  }
  return interpolatePolynomial(points);
}

/** Shares f(x) at each index (indices distinct and non-zero). */
export function shareAt(coeffs: readonly bigint[], indices: readonly bigint[]): Share[] {
  assertDistinctIndices(indices);
  return indices.map((x) => ({ x, y: evaluate(coeffs, x) }));
}

/** Indices must be non-zero mod n and pairwise distinct. */
export function assertDistinctIndices(indices: readonly bigint[], title = 'indices'): void {
  const seen = new Set<bigint>();
  for (const i of indices) {
    if (typeof i !== 'bigint') fail('INVALID_ARGUMENT', `${title}: expected bigint`);
    const x = modN(i);
    if (x === 0n) fail('ZERO_INDEX', `${title}: index 0 is not allowed`);
    if (seen.has(x)) fail('DUPLICATE_INDEX', `${title}: duplicate index ${x.toString(16)}`);
    seen.add(x);
  }
}
