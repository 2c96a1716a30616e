/**
 * The co-signing service's own policy: what it agrees to run, checked BEFORE any session starts
 * and before anything is stored, never trusting the device's word. Every refusal is
 * `POLICY_VIOLATION` with `details.rule`:
 *
 *   threshold-floor          t < minThreshold (default 2; configurable upward, never below 2). At
 *                            t = 1 the degree-0 sharing makes every share the key.
 *   threshold-above-indices  t > the number of share indices of the new sharing
 *   service-index            the service (party 1) does not own exactly index 1, or does not deal
 *                            exactly index 1 in a refresh, or another party claims index 1
 *   parties                  malformed party set (ids, indices, fewer than two parties)
 *   dealers                  malformed dealers (not a party, an index twice, index 1 by the device)
 *   index-set                refresh dealers name an old index that is not a share index of the
 *                            account's current epoch, or fewer old indices than its threshold
 *   signer-set               aux/presign/sign for an index that is not a share index of the
 *                            account, or a sign whose presignature was made for another signer
 *                            set, key, epoch or shift
 *   profile                  a Paillier profile weaker than the account's (`default` < `high`)
 *
 * What the service can verify from its own durable state (`ServiceAccountRecord` + the signed
 * checkpoint it reads from the metadata storage):
 *   - the durable epoch and its commitments (checkpoint, signed with k_m), so the old threshold;
 *   - the index set of every sharing it took part in (`EpochShare.indices`: the parties' `owns` of
 *     the keygen/refresh session, which is exactly the set of indices that received shares);
 *   - the aux groups it verified and their profiles, and the presignatures it holds.
 * What it cannot verify: which of those indices still have a factor in the metadata (factorEncs
 * are encrypted to k_m — a deleted factor's index stays in the sharing until the next refresh,
 * where the device drops it), which device holds which share (the protocols check possession: a
 * dealer must know the share whose public share the commitments fix), and the device's word that
 * it wipes the shares of offline factors (t user indices on one device is the design at keygen).
 * Records staged before index sets were kept skip the index checks (nothing to compare with).
 * @module
 */
import { bytesToHex, equalBytes } from '../bytes.js';
import { fail } from '../errors.js';
import type { ProfileName } from '../paillier/profiles.js';
import type { PartySpec } from '../../protocols/types.js';
import type { EpochShare, ServiceAccountRecord } from './service-store.js';

export const SERVICE_PARTY = 1;
export const SERVICE_INDEX = 1;
/** The lowest threshold any service policy may allow. */
export const MIN_THRESHOLD_FLOOR = 2;
const MAX_INDEX = 0x7fffffff;

export interface ServicePolicyOptions {
  /** The lowest threshold the service runs keygen or refresh to (default 2; ≥ 2). */
  minThreshold?: number;
}

export interface ServicePolicy {
  readonly minThreshold: number;
}

export type PolicyRule = 'threshold-floor' | 'threshold-above-indices' | 'service-index' | 'parties' | 'dealers' | 'index-set' | 'signer-set' | 'profile';

function refuse(rule: PolicyRule, message: string, details: Record<string, unknown> = {}): never {
  return fail('POLICY_VIOLATION', `the service refuses: ${message}`, { rule, ...details });
}

/** A validated policy (OUT_OF_RANGE for a floor below 2). */
export function servicePolicy(opts: ServicePolicyOptions = {}): ServicePolicy {
  if (typeof opts !== 'object' || opts === null) fail('INVALID_ARGUMENT', 'policy: expected an object');
  const t = opts.minThreshold ?? MIN_THRESHOLD_FLOOR;
  if (!Number.isSafeInteger(t) || t < MIN_THRESHOLD_FLOOR || t > 1024) fail('OUT_OF_RANGE', `policy.minThreshold ${String(t)}: expected an integer in [${MIN_THRESHOLD_FLOOR}, 1024]`);
  return Object.freeze({ minThreshold: t });
}

/** Party set of a keygen/refresh: well formed, the service owns exactly index 1. Returns every index, sorted. */
export function checkParties(parties: unknown): number[] {
  if (!Array.isArray(parties) || parties.length < 2) refuse('parties', 'expected at least two parties {id, owns}');
  const ids = new Set<number>();
  const indices: number[] = [];
  for (const p of parties as PartySpec[]) {
    if (typeof p !== 'object' || p === null || !Number.isSafeInteger(p.id) || p.id < 1 || ids.has(p.id) || !Array.isArray(p.owns)) refuse('parties', 'a party is malformed or listed twice');
    ids.add(p.id);
    for (const i of p.owns) {
      if (!Number.isSafeInteger(i) || i < 1 || i > MAX_INDEX || indices.includes(i)) refuse('parties', `share index ${String(i)} is out of range or owned twice`);
      indices.push(i);
    }
  }
  const self = (parties as PartySpec[]).find((p) => p.id === SERVICE_PARTY);
  if (!self || self.owns.length !== 1 || self.owns[0] !== SERVICE_INDEX) refuse('service-index', 'the service is party 1 and keeps exactly share index 1');
  return indices.sort((a, b) => a - b);
}

/** t of a new sharing over `indices`: ≥ the policy's floor, ≤ the number of indices. */
export function checkThreshold(policy: ServicePolicy, threshold: unknown, indices: readonly number[]): number {
  if (!Number.isSafeInteger(threshold) || (threshold as number) < policy.minThreshold)
    refuse('threshold-floor', `threshold ${String(threshold)} is below the service's floor ${policy.minThreshold}`, { threshold, minThreshold: policy.minThreshold });
  const t = threshold as number;
  if (t > indices.length) refuse('threshold-above-indices', `threshold ${t} exceeds the ${indices.length} share indices`, { threshold: t, indices: indices.length });
  return t;
}

/** A keygen request. Returns the index set of the new sharing. */
export function checkKeygen(policy: ServicePolicy, req: { parties: unknown; threshold: unknown }): number[] {
  const indices = checkParties(req.parties);
  checkThreshold(policy, req.threshold, indices);
  return indices;
}

/**
 * A refresh request against the account's current epoch `current` (the service's confirmed share,
 * already checked to be the durable checkpoint's epoch). Returns the index set of the new sharing.
 */
export function checkRefresh(
  policy: ServicePolicy,
  req: { parties: unknown; threshold: unknown; dealers: unknown; rotateAux?: unknown },
  current: Pick<EpochShare, 'commitments' | 'indices'>,
): number[] {
  const indices = checkParties(req.parties);
  checkThreshold(policy, req.threshold, indices);
  const parties = req.parties as PartySpec[];
  if (!Array.isArray(req.dealers)) refuse('dealers', 'expected dealers [{party, indices}]');
  const dealt: number[] = [];
  const seen = new Set<number>();
  for (const d of req.dealers as { party: number; indices: number[] }[]) {
    if (typeof d !== 'object' || d === null || !parties.some((p) => p.id === d.party) || seen.has(d.party) || !Array.isArray(d.indices) || d.indices.length === 0)
      refuse('dealers', 'a dealer is not a party of the session, is listed twice or deals nothing');
    seen.add(d.party);
    for (const i of d.indices) {
      if (!Number.isSafeInteger(i) || i < 1 || i > MAX_INDEX || dealt.includes(i)) refuse('dealers', `old index ${String(i)} is out of range or dealt twice`);
      if (i === SERVICE_INDEX && d.party !== SERVICE_PARTY) refuse('service-index', 'only the service deals index 1');
      dealt.push(i);
    }
  }
  const mine = (req.dealers as { party: number; indices: number[] }[]).find((d) => d.party === SERVICE_PARTY);
  if (!mine || mine.indices.length !== 1 || mine.indices[0] !== SERVICE_INDEX) refuse('service-index', 'the service deals exactly its share at index 1');
  if (current.indices) {
    const stray = dealt.filter((i) => !current.indices!.includes(i));
    if (stray.length) refuse('index-set', `old indices [${stray.join(', ')}] are not share indices of the account's current epoch`, { indices: stray });
  }
  if (dealt.length < current.commitments.length) refuse('index-set', `${dealt.length} old indices dealt; the current threshold is ${current.commitments.length}`);
  if (req.rotateAux) {
    // the aux group of a rotation is recorded under the device's party id: it must be an index it receives
    const dev = parties.filter((p) => p.id !== SERVICE_PARTY);
    if (dev.length !== 1 || !dev[0]!.owns.includes(dev[0]!.id)) refuse('signer-set', 'rotateAux: one device party whose id is a share index it receives');
  }
  return indices;
}

/** The share indices the service knows for the account: of the confirmed epoch, or of every epoch it holds (`withPending`). */
export function knownIndices(rec: Pick<ServiceAccountRecord, 'confirmed' | 'pending'> | undefined, withPending = false): number[] | undefined {
  const epochs = [...(rec?.confirmed ? [rec.confirmed] : []), ...(withPending ? (rec?.pending ?? []) : [])];
  if (epochs.length === 0 || epochs.some((e) => !e.indices)) return undefined; // unknown: skip the check
  return [...new Set(epochs.flatMap((e) => e.indices!))].sort((a, b) => a - b);
}

/** The signer set {service, device at `index`}: `index` is a share index of the account (when known). */
export function checkSigner(index: number, indices: readonly number[] | undefined): void {
  if (!Number.isSafeInteger(index) || index < 2 || index > MAX_INDEX) refuse('signer-set', `index ${String(index)}: expected a user share index ≥ 2`);
  if (indices && !indices.includes(index)) refuse('signer-set', `index ${index} is not a share index of the account`, { index });
}

/**
 * The user indices of a signer request: `signers` (t ≥ 3: every user index of the set, ascending,
 * distinct, `index` its first) or `[index]`. Refused (signer-set) when malformed.
 */
export function userSignersOf(req: { index: number; signers?: readonly number[] }): number[] {
  if (!Number.isSafeInteger(req.index) || req.index < 2) fail('OUT_OF_RANGE', `index ${String(req.index)}: expected a user share index ≥ 2`);
  if (req.signers === undefined) return [req.index];
  if (!Array.isArray(req.signers) || req.signers.length === 0 || req.signers.length > 64) refuse('signer-set', 'signers: expected 1 to 64 user share indices');
  for (const i of req.signers) checkSigner(i, undefined);
  const s = [...req.signers];
  for (let k = 1; k < s.length; k++) if (s[k]! <= s[k - 1]!) refuse('signer-set', 'signers: expected distinct indices, ascending');
  if (s[0] !== req.index) refuse('signer-set', 'signers: its first index is the request index');
  return s;
}

/** A group's party ids, ascending, comma-separated (the key of a service aux group). */
export function groupIds(parties: readonly { id: number }[]): string {
  return parties.map((p) => p.id).sort((a, b) => a - b).join(',');
}

const RANK: Record<ProfileName, number> = { default: 0, high: 1 };

/** The account's Paillier profile: the strongest of the aux groups the service verified for it (undefined: none yet). */
export function accountProfile(rec: Pick<ServiceAccountRecord, 'aux'> | undefined): ProfileName | undefined {
  let best: ProfileName | undefined;
  for (const g of rec?.aux ?? []) if (best === undefined || RANK[g.profile] > RANK[best]) best = g.profile;
  return best;
}

/** `profile` is at least the account's. */
export function checkProfile(profile: ProfileName, account: ProfileName | undefined): void {
  if (account !== undefined && RANK[profile] < RANK[account]) refuse('profile', `Paillier profile ${profile} is weaker than the account's (${account})`, { profile, account });
}

/** A sign request matches the presignature it names: signer set {1, index}, key, epoch, shift. */
export function checkSignBinding(
  presig: { signers: readonly number[]; publicKey: Uint8Array; epoch: number; shift: Uint8Array },
  req: { index: number; signers?: readonly number[]; publicKey: Uint8Array; epoch: number; shift: Uint8Array },
): void {
  const signers = [...presig.signers].sort((a, b) => a - b);
  const want = [SERVICE_INDEX, ...(req.signers ?? [req.index])];
  if (signers.join() !== want.join()) refuse('signer-set', `the presignature is for signers [${signers.join(', ')}], the request for [${want.join(', ')}]`);
  if (!equalBytes(presig.publicKey, req.publicKey) || presig.epoch !== req.epoch || bytesToHex(presig.shift) !== bytesToHex(req.shift))
    refuse('signer-set', 'the presignature was made for another key, epoch or derivation shift');
}
