/**
 * FactorEnc (tkey-formats §4.1): a user TSS share encrypted to a factor public key,
 * `{tssIndex, type, userEnc, serverEncs}`, stored at `factorEncs[tssTag][factorPub.x as 64 hex]`.
 * Plaintexts are 32-byte big-endian scalars; every encryption is ECIES (eccrypto-compatible) to the
 * factor public key.
 *
 * - `direct` (what we write): `userEnc` = ECIES(factorPub, f(tssIndex)), `serverEncs = []`.
 * - `hierarchical` (what `@tkey/tss` writes after an RSS refresh; decoded for migration): the share
 *   is M(0) of a degree-1 "master" polynomial M; `userEnc` = M(99), `serverEncs[j]` = node j's
 *   Shamir share (x = j + 1, threshold T) of M(1), `null` where a node did not answer. M(1) is
 *   interpolated from any T decryptable serverEncs; share = λ₁·M(1) + λ₉₉·M(99) with the Lagrange
 *   coefficients of {1, 99} at 0. T-subsets are tried in order until the result lies on the
 *   commitments (so a wrong sub-share from one node is routed around).
 *
 * Every decoded share is checked against the TSS commitments before it is returned.
 * @module
 */
import { bytesToNumberBE, wipe } from '../bytes.js';
import { modN, pointToBytes, type Point } from '../curve.js';
import { eciesDecryptJSON, eciesEncryptJSON, type EncryptedMessage } from '../ecies.js';
import { fail, isTkeyTssError } from '../errors.js';
import { interpolate, lagrangeCoefficient, type Share } from '../shamir/index.js';
import { cryptoRng, type Rng } from '../rng.js';
import { asFactorKey, factorPubPoint, type FactorKey } from './factor-key.js';
import { aTssIndex, TssShare, verifyTssShare } from './tss-share.js';

export type FactorEncType = 'direct' | 'hierarchical';

export interface FactorEnc {
  tssIndex: number;
  type: FactorEncType;
  userEnc: EncryptedMessage;
  serverEncs: (EncryptedMessage | null)[];
}

/** x at which a hierarchical factorEnc's userEnc evaluates the master polynomial (hard-coded by the peer). */
export const HIERARCHICAL_USER_X = 99n;
/** At most this many serverEncs are accepted in a hierarchical factorEnc. */
export const MAX_SERVER_ENCS = 64;
/** Default cap on the T-subsets tried when decoding a hierarchical factorEnc. */
export const DEFAULT_MAX_COMBINATIONS = 4096;

const HEX = /^[0-9a-f]+$/i;
function encryptedMessage(j: unknown, title: string): EncryptedMessage {
  if (typeof j !== 'object' || j === null || Array.isArray(j)) return fail('INVALID_JSON', `${title}: expected an EncryptedMessage`);
  const o = j as Record<string, unknown>;
  for (const f of ['ciphertext', 'ephemPublicKey', 'iv', 'mac'] as const)
    if (typeof o[f] !== 'string' || !HEX.test(o[f] as string)) fail('INVALID_JSON', `${title}.${f}: expected a hex string`);
  return { ciphertext: o.ciphertext as string, ephemPublicKey: o.ephemPublicKey as string, iv: o.iv as string, mac: o.mac as string };
}

/** Validate a FactorEnc as JSON (the peer's shape) and return a clean copy. */
export function parseFactorEnc(j: unknown, title = 'factorEnc'): FactorEnc {
  if (typeof j !== 'object' || j === null || Array.isArray(j)) return fail('INVALID_JSON', `${title}: expected an object`);
  const o = j as Record<string, unknown>;
  if (typeof o.tssIndex !== 'number') fail('INVALID_JSON', `${title}.tssIndex: expected a number`);
  const tssIndex = aTssIndex(o.tssIndex, `${title}.tssIndex`, 2);
  if (o.type !== 'direct' && o.type !== 'hierarchical') fail('INVALID_JSON', `${title}.type: expected "direct" or "hierarchical"`);
  const userEnc = encryptedMessage(o.userEnc, `${title}.userEnc`);
  const se = o.serverEncs === undefined ? [] : o.serverEncs;
  if (!Array.isArray(se)) return fail('INVALID_JSON', `${title}.serverEncs: expected an array`);
  if (se.length > MAX_SERVER_ENCS) fail('INVALID_JSON', `${title}.serverEncs: more than ${MAX_SERVER_ENCS} entries`);
  const serverEncs = se.map((e, i) => (e === null ? null : encryptedMessage(e, `${title}.serverEncs[${i}]`)));
  if (o.type === 'direct' && serverEncs.length !== 0) fail('INVALID_JSON', `${title}: a direct factorEnc has no serverEncs`);
  if (o.type === 'hierarchical' && serverEncs.every((e) => e === null)) fail('INVALID_JSON', `${title}: a hierarchical factorEnc needs serverEncs`);
  return { tssIndex, type: o.type, userEnc, serverEncs };
}

/** A `direct` factorEnc of `share` for `factorPub` (SEC1 bytes or a point). */
export function createDirectFactorEnc(factorPub: Uint8Array | Point, share: TssShare, opts: { rng?: Rng; padX?: boolean } = {}): FactorEnc {
  const pub = factorPubPoint(factorPub);
  if (!(share instanceof TssShare)) fail('INVALID_ARGUMENT', 'share: expected a TssShare');
  const tssIndex = aTssIndex(share.index, 'share.index', 2);
  const plain = share.valueBytes();
  try {
    const userEnc = eciesEncryptJSON(pointToBytes(pub, false), plain, { rng: opts.rng ?? cryptoRng, ...(opts.padX === undefined ? {} : { padX: opts.padX }) });
    return { tssIndex, type: 'direct', userEnc, serverEncs: [] };
  } finally {
    wipe(plain);
  }
}

/** Decrypt one ECIES item to a scalar; `undefined` when the MAC does not verify (wrong key / tampered). */
function tryDecryptScalar(secret: Uint8Array, em: EncryptedMessage): bigint | undefined {
  let plain: Uint8Array;
  try {
    plain = eciesDecryptJSON(secret, em);
  } catch (e) {
    if (isTkeyTssError(e, 'ECIES_MAC_MISMATCH') || isTkeyTssError(e, 'ECIES_DECRYPT_FAILED')) return undefined;
    throw e;
  }
  try {
    if (plain.length !== 32) return fail('INVALID_LENGTH', `factorEnc plaintext: expected 32 bytes, got ${plain.length}`);
    return modN(bytesToNumberBE(plain));
  } finally {
    wipe(plain);
  }
}

function* combinations(n: number, k: number): Generator<number[]> {
  const idx = Array.from({ length: k }, (_, i) => i);
  if (k > n || k <= 0) return;
  for (;;) {
    yield [...idx];
    let i = k - 1;
    while (i >= 0 && idx[i] === n - k + i) i--;
    if (i < 0) return;
    idx[i]!++;
    for (let j = i + 1; j < k; j++) idx[j] = idx[j - 1]! + 1;
  }
}

export interface DecryptFactorEncOptions {
  /** T of the node-side sharing of M(1) (hierarchical only). Default ⌈N/2⌉ with N = serverEncs.length, as the peer. */
  serverThreshold?: number;
  /** Cap on the T-subsets tried (hierarchical only). Default 4096. */
  maxCombinations?: number;
}

/**
 * Decrypt a factorEnc (direct or hierarchical) with its factor key and check the share against
 * the TSS commitments. Errors: `FACTOR_KEY_WRONG` (userEnc does not decrypt with this key),
 * `FACTOR_ENC_UNRECOVERABLE` (fewer than T serverEncs decrypt), `SHARE_NOT_ON_POLYNOMIAL` (no
 * candidate lies on the commitments), `INVALID_JSON` (malformed factorEnc).
 */
export function decryptFactorEnc(factorKey: FactorKey | Uint8Array, factorEnc: unknown, commitments: readonly Point[], opts: DecryptFactorEncOptions = {}): TssShare {
  const key = asFactorKey(factorKey);
  const enc = parseFactorEnc(factorEnc);
  if (!Array.isArray(commitments) || commitments.length === 0) fail('INVALID_ARGUMENT', 'commitments: expected a non-empty array of points');
  const secret = key.exportBytes();
  try {
    const u = tryDecryptScalar(secret, enc.userEnc);
    if (u === undefined) return fail('FACTOR_KEY_WRONG', 'the factor key does not decrypt userEnc', { factorPub: key.pubHex });
    if (enc.type === 'direct') {
      const share = new TssShare(enc.tssIndex, u);
      if (!verifyTssShare(commitments, share))
        fail('SHARE_NOT_ON_POLYNOMIAL', `the direct factorEnc's share at index ${enc.tssIndex} does not lie on the TSS commitments`);
      return share;
    }
    // hierarchical
    const n = enc.serverEncs.length;
    const t = opts.serverThreshold ?? Math.ceil(n / 2);
    if (!Number.isSafeInteger(t) || t < 1 || t > n) fail('OUT_OF_RANGE', `serverThreshold: expected 1..${n}`);
    const maxComb = opts.maxCombinations ?? DEFAULT_MAX_COMBINATIONS;
    const points: Share[] = [];
    enc.serverEncs.forEach((em, j) => {
      if (em === null) return;
      const y = tryDecryptScalar(secret, em);
      if (y !== undefined) points.push({ x: BigInt(j + 1), y });
    });
    if (points.length < t)
      fail('FACTOR_ENC_UNRECOVERABLE', `only ${points.length} of ${n} serverEncs decrypt with this factor key, ${t} needed`, { decryptable: points.length, threshold: t });
    const l1 = lagrangeCoefficient([1n, HIERARCHICAL_USER_X], 1n);
    const l99 = lagrangeCoefficient([1n, HIERARCHICAL_USER_X], HIERARCHICAL_USER_X);
    let tried = 0;
    for (const sub of combinations(points.length, t)) {
      if (tried++ >= maxComb) break;
      const m1 = interpolate(sub.map((i) => points[i]!));
      const share = new TssShare(enc.tssIndex, modN(l1 * m1 + l99 * u));
      if (verifyTssShare(commitments, share)) return share;
    }
    return fail('SHARE_NOT_ON_POLYNOMIAL', `no ${t}-subset of the serverEncs gives a share at index ${enc.tssIndex} on the TSS commitments`, { tried: Math.min(tried, maxComb) });
  } finally {
    wipe(secret);
  }
}
