/**
 * The core kit's local storage of the device factor (tkey-formats §4.7): under the storage key
 * `corekit_store`, a JSON map `{[metadataPub.x as 64 hex]: JSON.stringify({factorKey: hex64}), sessionId}`.
 * These helpers produce and read one entry, so a device factor can move between the peer and us;
 * the storage itself (browser storage, keychain, file) is the caller's.
 * @module
 */
import { bytesToHex, toHexPadded } from '../bytes.js';
import type { Point } from '../curve.js';
import { fail } from '../errors.js';
import { FactorKey, factorPubPoint } from './factor-key.js';

/** The peer's storage key of the map. */
export const COREKIT_STORE_KEY = 'corekit_store';

/** The entry key of an account: x of G·k_m as 64 lower-case hex. */
export function deviceFactorEntryKey(metadataPub: Uint8Array | Point): string {
  return toHexPadded(factorPubPoint(metadataPub, 'metadataPub').toAffine().x, 64);
}

/** The entry value: `JSON.stringify({factorKey: hex64})` (an explicit export of the secret). */
export function encodeDeviceFactor(factorKey: FactorKey): string {
  if (!(factorKey instanceof FactorKey)) fail('INVALID_ARGUMENT', 'factorKey: expected a FactorKey');
  const b = factorKey.exportBytes();
  try {
    return JSON.stringify({ factorKey: bytesToHex(b) });
  } finally {
    b.fill(0);
  }
}

/** Parse an entry value back to the factor key (any padding of the hex accepted). */
export function decodeDeviceFactor(value: string): FactorKey {
  let j: unknown;
  try {
    j = JSON.parse(value);
  } catch {
    return fail('INVALID_JSON', 'device factor entry: not JSON');
  }
  const h = (j as { factorKey?: unknown } | null)?.factorKey;
  if (typeof h !== 'string' || !/^[0-9a-fA-F]{1,64}$/.test(h)) return fail('INVALID_JSON', 'device factor entry: factorKey is not hex');
  const bytes = new Uint8Array(32);
  const padded = h.padStart(64, '0');
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(padded.slice(2 * i, 2 * i + 2), 16);
  try {
    return FactorKey.fromBytes(bytes);
  } finally {
    bytes.fill(0);
  }
}
