/**
 * Polynomial IDs as tKey writes them (tkey-formats.md §2.1): the compressed SEC1 hex of each
 * coefficient commitment joined by "|"; a `polyIDList` entry appends "|0x0|" and the share
 * indices, sorted numerically, as unpadded lower-case hex joined by "|".
 * @module
 */
import { toHexUnpadded } from '../bytes.js';
import { N as CURVE_ORDER, pointFromHex, pointToHex, type Point } from '../curve.js';
import { fail } from '../errors.js';
import { hexToNumber } from '../bytes.js';

export function polyIdFromCommitments(commitments: readonly Point[]): string {
  if (commitments.length === 0) fail('INVALID_ARGUMENT', 'polyId: no commitments');
  return commitments.map((c) => pointToHex(c, true)).join('|');
}

/** The commitments a polynomial ID encodes (validated points). */
export function commitmentsFromPolyId(polyId: string): Point[] {
  if (typeof polyId !== 'string' || polyId.length === 0) fail('INVALID_ARGUMENT', 'polyId: expected a non-empty string');
  return polyId.split('|').map((h, i) => pointFromHex(h, `polyId[${i}]`));
}

/** x-coordinate hex of the metadata public key (first chunk minus its prefix byte). */
export function pubKeyXFromPolyId(polyId: string): string {
  return polyId.split('|')[0]!.slice(2);
}

export function sortIndices(indices: readonly bigint[]): bigint[] {
  return [...indices].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** `"<polyID>|0x0|<sorted indices>"`. */
export function polyIdListEntry(polyId: string, indices: readonly bigint[]): string {
  return `${polyId}|0x0|${sortIndices(indices).map(toHexUnpadded).join('|')}`;
}

/** Split a `polyIDList` entry into its ID and share indices. */
export function parsePolyIdListEntry(entry: string): { polyId: string; indices: bigint[] } {
  if (typeof entry !== 'string') fail('INVALID_JSON', 'polyIDList entry: expected a string');
  const at = entry.indexOf('|0x0|');
  if (at < 0) fail('INVALID_JSON', 'polyIDList entry: missing "|0x0|" separator');
  const polyId = entry.slice(0, at);
  const rest = entry.slice(at + 5);
  const indices = rest.length === 0 ? [] : rest.split('|').map((h) => hexToNumber(h, 'share index'));
  // a share index is an evaluation point: a non-zero scalar below the group order q
  for (const i of indices) if (i <= 0n || i >= CURVE_ORDER) fail('INVALID_JSON', 'polyIDList entry: a share index is zero or not below the group order');
  return { polyId, indices };
}
