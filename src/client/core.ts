/**
 * What the lifecycle flows share: the environment (metadata storage, the service connection, the
 * transport, randomness) and one logged-in account's working parts (its `ThresholdKey` in manual
 * sync, the device party, the factor keys held). Internal to `src/client`.
 * @module
 */
import { abytes, aInt, bytesToHex } from '../bytes.js';
import { fail, isTkeyTssError } from '../errors.js';
import type { ThresholdKey } from '../metadata/threshold-key.js';
import type { Rng } from '../rng.js';
import { MemoryPresignStore, PresignPool } from '../signature/presign-pool.js';
import type { MetadataStorage } from '../storage/types.js';
import { DEFAULT_TSS_TAG, aTssTag } from '../tss/tss-tag.js';
import type { DeviceParty } from './device-party.js';
import type { AccountRef, ServiceConnection } from './service-party.js';
import { SimulatorTransport, type PartyTransport } from './transport.js';
import { aServiceAuxPin } from './service-aux-pin.js';
import { refuseReplayMode } from '../../protocols/session.js';

/** Options every lifecycle entry takes. */
export interface ClientOptions {
  /** Metadata storage (the embedded store, a remote metadata server…). */
  storage: MetadataStorage;
  /** The user's postbox key (32 bytes, from login): owner of the tKey service-provider record. */
  postboxKey: Uint8Array;
  /** The co-signing service (in-process `ServiceParty`, or a remote connection). */
  service: ServiceConnection;
  /** How the device's sessions reach the service (`SimulatorTransport` in process). */
  transport: PartyTransport;
  /**
   * Where user-only sessions run (aux, presign, sign among the user's own indices, no service;
   * `user-signing.ts`): every participant is local. Default: a fresh `SimulatorTransport` (each
   * party its own session); `WorkerPartyTransport` runs each party in its own worker.
   */
  localTransport?: PartyTransport;
  /** The only source of randomness (`cryptoRng`; `seededRng` in tests). */
  rng: Rng;
  tssTag?: string;
  /** Clock for `dateAdded` (ms). */
  now?: () => number;
  /** How often a batch refused with STORAGE_CONFLICT is rebased and retried (default 3). */
  conflictAttempts?: number;
  /**
   * The device's presignature pool (`account.presign(n)` fills it, `sign` takes from it). Default: a
   * fresh in-memory pool per login; a `FilePresignStore` pool survives restarts (single use across processes).
   */
  presignPool?: PresignPool;
  /**
   * The fingerprint (32 bytes) of the service's long-lived aux public key, as its operator publishes
   * it (`ServiceParty.auxFingerprint`). Signing refuses aux info whose service key differs
   * (`SERVICE_AUX_MISMATCH`, `service-aux-pin.ts`). Absent: the keys this device verified itself.
   */
  serviceAuxPin?: Uint8Array;
}

export interface Env {
  storage: MetadataStorage;
  postboxKey: Uint8Array;
  service: ServiceConnection;
  transport: PartyTransport;
  localTransport: PartyTransport;
  rng: Rng;
  tssTag: string;
  now: () => number;
  conflictAttempts: number;
  pool: PresignPool;
  serviceAuxPin: Uint8Array | null;
}

export interface Core extends Env {
  tk: ThresholdKey;
  device: DeviceParty;
  /** G·k_m, SEC1 compressed. */
  metadataPub: Uint8Array;
  /** tssIndex by factorEncKey of the factor keys this device holds (logged in with, or added with their key). */
  heldFactors: Map<string, number>;
  /** Set when a refresh is durable but the service has not yet confirmed phase 2. */
  finalizePending: boolean;
  /**
   * The storage nonce read BEFORE the last full reload (`currentState`): the metadata held is at
   * least that new. Undefined when unknown (any other reload, a commit of our own, a failure).
   */
  seenNonce?: number;
}

export function envOf(o: ClientOptions): Env {
  if (typeof o !== 'object' || o === null) fail('INVALID_ARGUMENT', 'options: expected an object');
  refuseReplayMode(o, 'TssAccount'); // real accounts: fresh randomness only
  const s = o.storage;
  if (!s || typeof s.get !== 'function' || typeof s.commit !== 'function' || typeof s.getNonce !== 'function') fail('INVALID_ARGUMENT', 'storage: expected a MetadataStorage');
  abytes(o.postboxKey, 'postboxKey', 32);
  const sv = o.service;
  if (!sv || typeof sv.keygenParticipant !== 'function' || typeof sv.refreshParticipant !== 'function' || typeof sv.finalize !== 'function')
    fail('INVALID_ARGUMENT', 'service: expected a ServiceConnection');
  if (!o.transport || typeof o.transport.run !== 'function') fail('INVALID_ARGUMENT', 'transport: expected a PartyTransport');
  if (o.localTransport !== undefined && (!o.localTransport || typeof o.localTransport.run !== 'function')) fail('INVALID_ARGUMENT', 'localTransport: expected a PartyTransport');
  if (typeof o.rng?.bytes !== 'function') fail('INVALID_ARGUMENT', 'rng: expected an Rng');
  if (o.now !== undefined && typeof o.now !== 'function') fail('INVALID_ARGUMENT', 'now: expected a function');
  if (o.presignPool !== undefined && !(o.presignPool instanceof PresignPool)) fail('INVALID_ARGUMENT', 'presignPool: expected a PresignPool');
  return {
    storage: s,
    postboxKey: o.postboxKey,
    service: sv,
    transport: o.transport,
    localTransport: o.localTransport ?? new SimulatorTransport(),
    rng: o.rng,
    tssTag: aTssTag(o.tssTag ?? DEFAULT_TSS_TAG),
    now: o.now ?? Date.now,
    conflictAttempts: aInt(o.conflictAttempts ?? 3, 'conflictAttempts', 1, 100),
    pool: o.presignPool ?? new PresignPool(new MemoryPresignStore()),
    serviceAuxPin: aServiceAuxPin(o.serviceAuxPin),
  };
}

export function refOf(c: Core): AccountRef {
  return { metadataPub: c.metadataPub, tssTag: c.tssTag };
}

/** Drop pending operations a failed earlier step may have left, and see the latest durable state. */
export async function freshState(c: Core): Promise<void> {
  c.seenNonce = undefined;
  await c.tk.reload({ discardPending: true });
}

/**
 * `freshState` for the sign path, gated on the account's storage nonce (one `getNonce` round trip):
 * every batch bumps it, so when it equals `seenNonce` — the nonce read before the reload that loaded
 * what is held (records read after it are at least that new, and nothing landed since) — the held
 * metadata IS the durable state and the reload (record reads + decryption) is skipped. A changed
 * nonce, an unknown one, a store without nonces (null) or pending operations: the full reload,
 * remembering the nonce read before it. A refresh elsewhere is a batch: it is always noticed (and
 * the service refuses a presignature or share of an epoch older than the durable one regardless).
 */
export async function currentState(c: Core): Promise<void> {
  const before = await c.storage.getNonce(bytesToHex(c.metadataPub));
  if (before !== null && before === c.seenNonce && c.tk.pendingOperations === 0 && c.tk.pendingWrites === 0) return;
  await freshState(c);
  if (before !== null) c.seenNonce = before;
}

/**
 * The sign path's state when the service compares nonces (`signOnline` with `nonce`): no round trip
 * when the held state was loaded at a known nonce and nothing is pending — the nonce is returned for
 * the request, and the service refuses it if the account moved (`isStaleNonce`: reload, ask again).
 * Otherwise `currentState` (the gate) and the nonce it read, if any.
 */
export async function signingState(c: Core): Promise<number | undefined> {
  if (c.service.signOnline && c.seenNonce !== undefined && c.tk.pendingOperations === 0 && c.tk.pendingWrites === 0) return c.seenNonce;
  await currentState(c);
  return c.seenNonce;
}

/** The service's refusal of a request made on metadata older than the account's (`signingState`). */
export function isStaleNonce(e: unknown): boolean {
  return isTkeyTssError(e, 'SERVICE_STATE_MISMATCH') && (e as { details?: { reason?: unknown } }).details?.reason === 'stale-nonce';
}

/** The full reload after a stale-nonce refusal, remembering the nonce read before it. */
export async function reloadStale(c: Core): Promise<number | undefined> {
  c.seenNonce = undefined;
  await currentState(c);
  return c.seenNonce;
}
