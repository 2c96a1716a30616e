/**
 * Lagrange interpolation over Z_n. λᵢ(z) = Π_{j≠i} (z − xⱼ)/(xᵢ − xⱼ).
 * @module
 */
import { invN, modN } from '../curve.js';
import { fail } from '../errors.js';
import type { Share } from './polynomial.js';

function distinct(xs: readonly bigint[]): void {
  const seen = new Set<bigint>();
  for (const x of xs) {
    const r = modN(x);
    if (seen.has(r)) fail('DUPLICATE_INDEX', `duplicate x ${r.toString(16)}`);
    seen.add(r);
  }
}

/** λ_i^{xs}(at): the Lagrange coefficient of xᵢ over the set xs, evaluated at `at` (default 0). */
export function lagrangeCoefficient(xs: readonly bigint[], xi: bigint, at = 0n): bigint {
  distinct(xs);
  if (!xs.some((x) => modN(x) === modN(xi))) fail('INVALID_ARGUMENT', 'lagrangeCoefficient: xi not in the set');
  let num = 1n;
  let den = 1n;
  for (const xj of xs) {
    if (modN(xj) === modN(xi)) continue;
    num = modN(num * (at - xj));
    den = modN(den * (xi - xj));
  }
  return modN(num * invN(den));
}

/** All coefficients λ_i^{xs}(at) in the order of xs (one inversion per coefficient). */
export function lagrangeCoefficients(xs: readonly bigint[], at = 0n): bigint[] {
  return xs.map((xi) => lagrangeCoefficient(xs, xi, at));
}

/** f(at) from shares of a polynomial of degree < shares.length. Indices must be distinct and ≠ 0. */
export function interpolate(shares: readonly Share[], at = 0n): bigint {
  if (shares.length === 0) fail('NOT_ENOUGH_SHARES', 'interpolate: no shares');
  const xs = shares.map((s) => s.x);
  if (xs.some((x) => modN(x) === 0n)) fail('ZERO_INDEX', 'interpolate: share index 0');
  const ls = lagrangeCoefficients(xs, at);
  let acc = 0n;
  for (let i = 0; i < shares.length; i++) acc = modN(acc + ls[i]! * shares[i]!.y);
  return acc;
}

/** Coefficients (low to high) of the unique polynomial of degree < points.length through `points`. */
export function interpolatePolynomial(points: readonly Share[]): bigint[] {
  const k = points.length;
  if (k === 0) fail('NOT_ENOUGH_SHARES', 'interpolatePolynomial: no points');
  distinct(points.map((p) => p.x));
  const out = new Array<bigint>(k).fill(0n);
  for (let i = 0; i < k; i++) {
    // basis Lᵢ(X) = Π_{j≠i} (X − xⱼ) / (xᵢ − xⱼ), built up coefficient by coefficient
    let basis = [1n];
    let den = 1n;
    for (let j = 0; j < k; j++) {
      if (j === i) continue;
      const next = new Array<bigint>(basis.length + 1).fill(0n);
      for (let d = 0; d < basis.length; d++) {
        next[d] = modN(next[d]! - basis[d]! * points[j]!.x);
        next[d + 1] = modN(next[d + 1]! + basis[d]!);
      }
      basis = next;
      den = modN(den * (points[i]!.x - points[j]!.x));
    }
    const scale = modN(points[i]!.y * invN(den));
    for (let d = 0; d < k; d++) out[d] = modN(out[d]! + basis[d]! * scale);
  }
  return out;
}
