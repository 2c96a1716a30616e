/**
 * `shamir`: Lagrange interpolation at 0 and at x, Lagrange coefficients, Feldman share
 * commitments and share verification over the secp256k1 order (tkey-formats.md §2.2).
 * @module
 */
import { pointFromHex, pointToHex, type Point } from '../../src/curve.js';
import { interpolate, lagrangeCoefficients, shareCommitment, verifyShare, type Share } from '../../src/shamir/index.js';
import type { CheckResult, Suite } from './types.js';
import { all, arr, big, bool, checkOne, eq, expectErrorCode, expectedError, isObject, str, strArr, vectorsOf, VectorFormatError, type Verdict } from './util.js';

export const NAME = 'shamir';

const hex64 = (n: bigint): string => n.toString(16).padStart(64, '0');

function shares(v: Record<string, unknown>): Share[] {
  return arr(v, 'shares').map((s, i) => {
    if (!isObject(s)) throw new VectorFormatError(`shares[${i}]: expected {x, y}`);
    return { x: big(s, 'x'), y: big(s, 'y') };
  });
}
const bigs = (v: Record<string, unknown>, key: string): bigint[] =>
  strArr(v, key).map((h, i) => {
    if (!/^[0-9a-f]+$/.test(h)) throw new VectorFormatError(`${key}[${i}]: expected lower-case hex`);
    return BigInt('0x' + h);
  });
const points = (v: Record<string, unknown>): Point[] => strArr(v, 'commitments').map((h, i) => pointFromHex(h, `commitments[${i}]`));

async function check(v: Record<string, unknown>): Promise<Verdict> {
  const op = str(v, 'op');
  const code = expectedError(v);
  switch (op) {
    case 'interpolate': {
      const run = (): bigint => interpolate(shares(v), big(v, 'at'));
      if (code !== undefined) return expectErrorCode(code, run);
      return eq('f(at)', hex64(run()), str(v, 'expected'));
    }
    case 'lagrange': {
      const run = (): bigint[] => lagrangeCoefficients(bigs(v, 'xs'), big(v, 'at'));
      if (code !== undefined) return expectErrorCode(code, run);
      const got = run().map(hex64);
      const want = strArr(v, 'expected');
      return all(eq('number of coefficients', got.length, want.length), ...got.map((g, i) => eq(`λ[${i}]`, g, want[i]!)));
    }
    case 'publicShare': {
      const run = (): Point => shareCommitment(points(v), big(v, 'x'));
      if (code !== undefined) return expectErrorCode(code, run);
      return eq('publicShare', pointToHex(run(), true), str(v, 'expected'));
    }
    case 'feldman': {
      const s = v.share;
      if (!isObject(s)) throw new VectorFormatError('share: expected {x, y}');
      const run = (): boolean => verifyShare(points(v), { x: big(s, 'x'), y: big(s, 'y') });
      if (code !== undefined) return expectErrorCode(code, run);
      return eq('verifyShare', run(), bool(v, 'valid'));
    }
    default:
      throw new VectorFormatError(`unknown op ${op}`);
  }
}

export const shamirSuite: Suite = {
  name: NAME,
  async run(doc: unknown): Promise<CheckResult[]> {
    const out: CheckResult[] = [];
    for (const v of vectorsOf(doc, NAME)) out.push(await checkOne(`${NAME}/${v.id}`, () => check(v)));
    return out;
  },
};
