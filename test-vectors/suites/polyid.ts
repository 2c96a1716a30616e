/**
 * `polyid`: polynomial IDs from Feldman commitments and `polyIDList` entries, exactly as tKey
 * writes them (tkey-formats.md §2.1, §2.3): compressed SEC1 hex joined by "|", then "|0x0|" and
 * the share indexes sorted numerically as unpadded lower-case hex.
 * @module
 */
import { pointFromJSON, pointToHex, type Point } from '../../src/curve.js';
import { commitmentsFromPolyId, parsePolyIdListEntry, polyIdFromCommitments, polyIdListEntry, pubKeyXFromPolyId } from '../../src/shamir/index.js';
import type { CheckResult, Suite } from './types.js';
import { all, arr, checkOne, eq, expectErrorCode, expectedError, str, strArr, vectorsOf, VectorFormatError, type Verdict } from './util.js';

export const NAME = 'polyid';

const indices = (v: Record<string, unknown>): bigint[] =>
  strArr(v, 'indices').map((h, i) => {
    if (!/^[0-9a-f]+$/.test(h)) throw new VectorFormatError(`indices[${i}]: expected lower-case hex`);
    return BigInt('0x' + h);
  });

async function check(v: Record<string, unknown>): Promise<Verdict> {
  const op = str(v, 'op');
  const code = expectedError(v);
  switch (op) {
    case 'polyID': {
      // commitments ({x, y} unpadded, as Point.toJSON writes them) → polyID → polyIDList entry, and back
      const commitments: Point[] = arr(v, 'commitments').map((c, i) => pointFromJSON(c, `commitments[${i}]`));
      const polyID = str(v, 'polyID');
      const entry = str(v, 'polyIDListEntry');
      const idx = indices(v);
      const back = commitmentsFromPolyId(polyID);
      const parsed = parsePolyIdListEntry(entry);
      const sorted = [...idx].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      return all(
        eq('polyID', polyIdFromCommitments(commitments), polyID),
        eq('polyIDList entry', polyIdListEntry(polyID, idx), entry),
        eq('commitments from polyID', back.map((p) => pointToHex(p)).join(','), commitments.map((p) => pointToHex(p)).join(',')),
        eq('pubKeyX from polyID', pubKeyXFromPolyId(polyID), str(v, 'pubKeyX')),
        eq('parsed entry polyID', parsed.polyId, polyID),
        eq('parsed entry indices', parsed.indices.map((i) => i.toString(16)).join('|'), sorted.map((i) => i.toString(16)).join('|')),
      );
    }
    case 'parsePolyID': {
      const run = (): Point[] => commitmentsFromPolyId(str(v, 'polyID'));
      if (code === undefined) throw new VectorFormatError('parsePolyID vectors must name an error');
      return expectErrorCode(code, run);
    }
    case 'parseEntry': {
      const run = (): unknown => parsePolyIdListEntry(str(v, 'polyIDListEntry'));
      if (code === undefined) throw new VectorFormatError('parseEntry vectors must name an error');
      return expectErrorCode(code, run);
    }
    default:
      throw new VectorFormatError(`unknown op ${op}`);
  }
}

export const polyidSuite: Suite = {
  name: NAME,
  async run(doc: unknown): Promise<CheckResult[]> {
    const out: CheckResult[] = [];
    for (const v of vectorsOf(doc, NAME)) out.push(await checkOne(`${NAME}/${v.id}`, () => check(v)));
    return out;
  },
};
