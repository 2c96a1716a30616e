/**
 * Which parties sign: `{index}` (default) — the service (share 1) and the device's share `index`;
 * `{signers}` — an explicit signer set of exactly t share indices. Without index 1 it is a
 * user-only set (`user-signing.ts`: no service); with index 1 at t = 2 it is the service path.
 * @module
 */
import { fail } from '../errors.js';
import type { DerivationOption } from './signing.js';
import { SERVICE_INDEX } from './service-policy.js';

/** Options of `TssAccount.sign` / `presign`. */
export type SignOptions = {
  /** The device's share index when signing with the service (default: the lowest held with aux). */
  index?: number;
  /**
   * The signer set: exactly t share indices. Without index 1 the service is never contacted (the
   * device acts for every index; `setupUserAux` first). Not with `index`.
   */
  signers?: readonly number[];
} & DerivationOption;

/** The user-only signer set of `opts`, or null when the service signs. */
export function userSigners(opts: SignOptions): readonly number[] | null {
  if (typeof opts !== 'object' || opts === null) return fail('INVALID_ARGUMENT', 'opts: expected an object');
  const s = opts.signers;
  if (s === undefined) return null;
  if (!Array.isArray(s)) return fail('INVALID_ARGUMENT', 'signers: expected an array of share indices');
  if (opts.index !== undefined) fail('INVALID_ARGUMENT', 'index and signers: give one of them');
  return s.includes(SERVICE_INDEX) ? null : s;
}

/** Options for the service path: a signer set {1, i} becomes `{index: i}`. */
export function serviceSign(opts: SignOptions): { index?: number } & DerivationOption {
  const { signers, ...rest } = opts;
  if (signers === undefined) return rest;
  const others = signers.filter((i) => i !== SERVICE_INDEX);
  if (others.length !== 1 || signers.length !== 2)
    return fail('OUT_OF_RANGE', `signing with the service runs for the signer set {1, i} at threshold 2; the service does not co-sign a set of ${signers.length} yet — sign without it ({signers} of user indices only)`, { signers: [...signers] });
  return { ...rest, index: others[0]! };
}
