/**
 * Which parties sign: `{index}` (default) — the service (share 1) and the device's share `index`;
 * `{signers}` — an explicit signer set of exactly t share indices. Without index 1 it is a
 * user-only set (`user-signing.ts`: no service); {1, i} is the t = 2 service path (`signing.ts`);
 * {1} ∪ S at t ≥ 3 the service with the device acting for every index of S (`user-signing.ts`).
 * At t ≥ 3 without either, the service and a held group's indices sign.
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

/**
 * The signer set `user-signing.ts` runs for `opts` (user-only, or {1} ∪ S at t ≥ 3), or null for
 * the t = 2 service path {1, index}. `threshold`: the account's; `fallback` picks the default set
 * at t ≥ 3 when the caller names none.
 */
export function setSigners(opts: SignOptions, threshold: number, fallback: () => readonly number[]): readonly number[] | null {
  if (typeof opts !== 'object' || opts === null) return fail('INVALID_ARGUMENT', 'opts: expected an object');
  const s = opts.signers;
  if (s === undefined) return threshold >= 3 && opts.index === undefined ? fallback() : null;
  if (!Array.isArray(s)) return fail('INVALID_ARGUMENT', 'signers: expected an array of share indices');
  if (opts.index !== undefined) fail('INVALID_ARGUMENT', 'index and signers: give one of them');
  return s.includes(SERVICE_INDEX) && s.length === 2 ? null : s;
}

/** Options for the t = 2 service path: a signer set {1, i} becomes `{index: i}`. */
export function serviceSign(opts: SignOptions): { index?: number } & DerivationOption {
  const { signers, ...rest } = opts;
  if (signers === undefined) return rest;
  const others = signers.filter((i) => i !== SERVICE_INDEX);
  if (others.length !== 1) return fail('INVALID_ARGUMENT', 'signers: an index is repeated');
  return { ...rest, index: others[0]! };
}
