/**
 * The service checkpoint: how the co-signing service learns, from storage alone, which TSS epoch
 * of an account is durable. The device writes it in the SAME metadata batch as the TSS fields it
 * describes (phase 1 of the two-phase commit), so it is durable exactly when they are. It is a
 * record OWNED BY THE ACCOUNT KEY k_m (so the device, which holds k_m, signs the write as a
 * signing server demands) in a per-service namespace, ECIES-encrypted to the service's identity
 * key, and its content is signed with k_m, which the service checks against the account's
 * metadata public key: a writer without k_m cannot make the service drop a share.
 *
 *   address  owner = G·k_m, namespace "tkey-tss/checkpoint/<service identity pub hex>/<tssTag>"
 *   value    ECIES to the service identity pub (as every record's value)
 *   content  {data: {v: 1, metadataPub, tssTag, tssNonce, commitments: [hex]}, sig: hex(compact ECDSA)}
 *            sig over sha256(utf8(stableStringify(data))) by k_m
 *
 * (Before signed writes it was owned by the service pub — which the device cannot sign for.)
 * Nothing secret is in it: epoch and commitments are public (they are in the metadata).
 * @module
 */
import { bytesToHex, hexToBytes, utf8ToBytes } from '../bytes.js';
import { ecdsaSignDigest, ecdsaVerifyDigest, pointFromBytes, pointToHex, type Point } from '../curve.js';
import { fail, isTkeyTssError } from '../errors.js';
import { sha256 } from '../hash.js';
import { decodeRecord, recordAddress } from '../metadata/record.js';
import { stableStringify } from '../metadata/stable-stringify.js';
import type { MetadataStorage, RecordAddress } from '../storage/types.js';

export const CHECKPOINT_NAMESPACE_PREFIX = 'tkey-tss/checkpoint/';

/** A durable TSS epoch of one account and tag. */
export interface TssCheckpoint {
  tssTag: string;
  tssNonce: number;
  /** Compressed SEC1 commitments [A0 = TSS public key, A1, …]. */
  commitments: Uint8Array[];
}

interface CheckpointData {
  v: 1;
  metadataPub: string;
  tssTag: string;
  tssNonce: number;
  commitments: string[];
}

export function checkpointNamespace(servicePub: Point, tssTag: string): string {
  return `${CHECKPOINT_NAMESPACE_PREFIX}${pointToHex(servicePub, true)}/${tssTag}`;
}

/** Owner G·k_m (the account), namespace naming the service and the tag. */
export function checkpointAddress(servicePub: Point, metadataPub: Point, tssTag: string): RecordAddress {
  return recordAddress(metadataPub, checkpointNamespace(servicePub, tssTag));
}

function digestOf(d: CheckpointData): Uint8Array {
  return sha256(utf8ToBytes(stableStringify({ domain: 'tkey-tss/checkpoint/v1', ...d })));
}

/** The record content (plain JSON; the write queue encrypts it to the service). Signed with k_m. */
export function checkpointContent(cp: TssCheckpoint, metadataPub: Point, metadataKey: bigint): { data: CheckpointData; sig: string } {
  const data: CheckpointData = {
    v: 1,
    metadataPub: pointToHex(metadataPub, true),
    tssTag: cp.tssTag,
    tssNonce: cp.tssNonce,
    commitments: cp.commitments.map(bytesToHex),
  };
  return { data, sig: bytesToHex(ecdsaSignDigest(digestOf(data), metadataKey)) };
}

/**
 * The account's durable checkpoint, read by the service with its identity key; `undefined` when
 * none was written (the account was never created) or it fails its checks (wrong signer, wrong
 * account or tag, malformed) — a record the service cannot trust counts as absent.
 */
export async function readCheckpoint(storage: MetadataStorage, serviceKey: bigint, servicePub: Point, metadataPub: Point, tssTag: string): Promise<TssCheckpoint | undefined> {
  const value = await storage.get(checkpointAddress(servicePub, metadataPub, tssTag));
  if (value === undefined) return undefined;
  let j: { data?: Partial<CheckpointData>; sig?: unknown };
  try {
    j = decodeRecord(serviceKey, value) as typeof j;
  } catch (e) {
    if (isTkeyTssError(e) && e.kind === 'InvalidInput') return undefined;
    throw e;
  }
  const d = j?.data;
  if (typeof d !== 'object' || d === null || d.v !== 1 || typeof j.sig !== 'string') return undefined;
  if (d.metadataPub !== pointToHex(metadataPub, true) || d.tssTag !== tssTag) return undefined;
  if (!Number.isSafeInteger(d.tssNonce) || (d.tssNonce as number) < 0 || !Array.isArray(d.commitments) || d.commitments.length === 0) return undefined;
  try {
    const commitments = d.commitments.map((h) => pointFromBytes(hexToBytes(String(h)), 'commitment'));
    const data: CheckpointData = { v: 1, metadataPub: d.metadataPub, tssTag, tssNonce: d.tssNonce as number, commitments: d.commitments.map(String) };
    if (!ecdsaVerifyDigest(hexToBytes(j.sig), digestOf(data), metadataPub)) return undefined;
    return { tssTag, tssNonce: data.tssNonce, commitments: commitments.map((p) => hexToBytes(pointToHex(p, true))) };
  } catch (e) {
    if (isTkeyTssError(e) && e.kind === 'InvalidInput') return undefined;
    throw e;
  }
}

/** Same epoch and same commitments? */
export function sameEpoch(a: { tssNonce: number; commitments: readonly Uint8Array[] }, b: { tssNonce: number; commitments: readonly Uint8Array[] }): boolean {
  return a.tssNonce === b.tssNonce && a.commitments.length === b.commitments.length && a.commitments.every((c, i) => bytesToHex(c) === bytesToHex(b.commitments[i]!));
}

/** A metadata public key from bytes (validated). */
export function aMetadataPub(pub: Uint8Array | Point, title = 'metadataPub'): Point {
  if (pub instanceof Uint8Array) return pointFromBytes(pub, title);
  if (typeof pub !== 'object' || pub === null || typeof (pub as Point).toAffine !== 'function') return fail('INVALID_ARGUMENT', `${title}: expected SEC1 bytes or a point`);
  return pub;
}

/**
 * The fence: a record the SERVICE writes (in its own storage batch on the account's nonce, the
 * batch co-signed by the service identity key — a trusted batch signer of the server) to abandon
 * staged refreshes that never became durable, so it can drop their shares without risk. Owned by
 * the SERVICE IDENTITY KEY (it signs the write) in a per-account namespace, ECIES-encrypted to the
 * metadata public key (the device reads it with k_m inside its phase-1 operation):
 *   address  owner = service identity pub, namespace "tkey-tss/fence/<G·k_m hex>/<tssTag>"
 * It lists the commitment digests of every abandoned epoch. A device batch built before the fence
 * is refused (StorageConflict: the nonce moved) and its replay sees the fence, so an abandoned
 * epoch can never become durable after the service dropped its share.
 */
export const FENCE_NAMESPACE_PREFIX = 'tkey-tss/fence/';

export function fenceAddress(servicePub: Point, metadataPub: Point, tssTag: string): RecordAddress {
  return recordAddress(servicePub, `${FENCE_NAMESPACE_PREFIX}${pointToHex(metadataPub, true)}/${tssTag}`);
}

/** Digest naming one epoch's sharing: sha256 over the epoch and its compressed commitments. */
export function epochDigest(e: { tssNonce: number; commitments: readonly Uint8Array[] }): string {
  return bytesToHex(sha256(utf8ToBytes(stableStringify({ domain: 'tkey-tss/epoch/v1', tssNonce: e.tssNonce, commitments: e.commitments.map(bytesToHex) }))));
}

/** The abandoned epoch digests of an account (read with k_m); empty when there is no fence. */
export async function readFence(storage: MetadataStorage, servicePub: Point, metadataKey: bigint, metadataPub: Point, tssTag: string): Promise<string[]> {
  const value = await storage.get(fenceAddress(servicePub, metadataPub, tssTag));
  if (value === undefined) return [];
  const j = decodeRecord(metadataKey, value) as { abandoned?: unknown };
  if (!Array.isArray(j?.abandoned) || !j.abandoned.every((x) => typeof x === 'string')) return fail('INVALID_JSON', 'fence record: expected {abandoned: [hex]}');
  return j.abandoned as string[];
}
