/**
 * The presignature pool: presignatures generated ahead, each **single use**, bound to what it may sign
 * for, and consumed atomically so that no crash can ever let one be used twice.
 *
 * - A record is `{id, binding, data}`. `data` is the presign protocol's output for this party,
 *   encoded to bytes by the caller; the pool never looks inside it. It holds secrets (kᵢ, χᵢ): the
 *   caller zeroes it once the partial signature is made.
 * - **Binding** (DESIGN §4): the group public key, the epoch (tssNonce), the signer set (party indices,
 *   kept sorted), the derivation shift δ (32 bytes; zero for the root key — an account index's
 *   nonce or a BIP32 path's summed IL, fixed *before* presigning) and the profile. `take(binding)`
 *   returns only a record whose binding is equal in every field; `takeById` refuses another one with
 *   `PRESIGN_BINDING_MISMATCH` naming the field, and `assertPresignBinding` is the same check for a
 *   signer that holds a record.
 * - **Atomic consumption**: `store.consume(id)` first durably marks the id consumed (a tombstone that
 *   outlives the record), then reads and returns the record. A crash between the two burns the
 *   presignature: it is never returned again, and its id can never be added again.
 * - **Concurrency**: two `take`s never get the same record — the store's mark is exclusive (in memory
 *   a synchronous check-and-set; on disk an O_EXCL create, so this also holds across processes); the
 *   loser moves on to the next candidate.
 * - **Epochs**: after a refresh, `prune(publicKey, epoch)` raises the key's epoch floor (durably, first)
 *   and burns every record of that key from an older epoch. Older bindings are refused with
 *   `PRESIGN_STALE` by `add` and `take` from then on, even if a crash interrupted the burning.
 * @module
 */
import { abytes, aInt, bytesToHex, hexToBytes } from '../bytes.js';
import { modN, pointFromBytes, pointToBytes, scalarToBytes, N } from '../curve.js';
import { fail, isTkeyTssError } from '../errors.js';
import { cryptoRng, type Rng } from '../rng.js';

export type PresignProfile = 'default' | 'high';
const PROFILES: readonly PresignProfile[] = ['default', 'high'];

/** What a presignature may be used for. */
export interface PresignBinding {
  /** Group (root) public key, SEC1 33 or 65 bytes. */
  publicKey: Uint8Array;
  /** The key's epoch (tssNonce) the shares belong to. */
  epoch: number;
  /** Party indices of the signing set (any order in, sorted out). */
  signers: readonly number[];
  /** Derivation shift δ as 32 big-endian bytes, < n; all zero for the root key. */
  shift: Uint8Array;
  profile: PresignProfile;
}

/** The binding in its canonical, JSON-safe form (what stores keep). */
export interface PresignBindingJSON {
  publicKey: string;
  epoch: number;
  signers: number[];
  shift: string;
  profile: PresignProfile;
}

export interface PresignRecord {
  id: string;
  binding: PresignBinding;
  data: Uint8Array;
}

/** What a store holds per presignature. */
export interface StoredPresign {
  id: string;
  binding: PresignBindingJSON;
  data: Uint8Array;
}

/**
 * Storage behind a pool. `consume` is the atomic step: mark the id consumed durably and exclusively,
 * then return the record (`PRESIGN_USED` if it was consumed before, `NOT_FOUND` if never added).
 * Consumed ids are remembered: `put` of one is `PRESIGN_USED`, of a live one `PRESIGN_EXISTS`.
 */
export interface PresignStore {
  put(record: StoredPresign): Promise<void>;
  /** Live (unconsumed) records, without their data. */
  list(): Promise<Array<{ id: string; binding: PresignBindingJSON }>>;
  consume(id: string): Promise<StoredPresign>;
  /** Epoch floor of a key (compressed public key hex); 0 when none was set. */
  getEpochFloor(publicKey: string): Promise<number>;
  /** Raise the floor (never lowers it). */
  raiseEpochFloor(publicKey: string, epoch: number): Promise<void>;
}

/** Durable steps of `consume`, for crash-injection tests. */
export type ConsumeStage = 'marked' | 'read' | 'removed';

const ID_RE = /^[0-9a-f]{16,128}$/;
/** Assert a presignature id: 16–128 lower-case hex characters (safe as a file name everywhere). */
export function aPresignId(id: unknown, title = 'id'): string {
  if (typeof id !== 'string' || !ID_RE.test(id)) fail('INVALID_ARGUMENT', `${title}: expected 16–128 lower-case hex characters`);
  return id;
}
/** A fresh random id (128 bits). */
export function newPresignId(rng: Rng = cryptoRng): string {
  return bytesToHex(rng.bytes(16));
}

/** Validate a binding and bring it to canonical form (compressed key, sorted signers, hex). */
export function canonicalBinding(b: PresignBinding, title = 'binding'): PresignBindingJSON {
  if (typeof b !== 'object' || b === null) fail('INVALID_ARGUMENT', `${title}: expected an object`);
  const publicKey = bytesToHex(pointToBytes(pointFromBytes(abytes(b.publicKey, `${title}.publicKey`), `${title}.publicKey`), true));
  const epoch = aInt(b.epoch, `${title}.epoch`);
  if (!Array.isArray(b.signers) || b.signers.length === 0) fail('INVALID_ARGUMENT', `${title}.signers: expected a non-empty array of party indices`);
  const signers = b.signers.map((s, i) => aInt(s, `${title}.signers[${i}]`)).sort((x, y) => x - y);
  for (let i = 0; i < signers.length; i++) {
    if (signers[i] === 0) fail('ZERO_INDEX', `${title}.signers: party index 0`);
    if (i > 0 && signers[i] === signers[i - 1]) fail('DUPLICATE_INDEX', `${title}.signers: party ${signers[i]} twice`);
  }
  abytes(b.shift, `${title}.shift`, 32);
  const shiftHex = bytesToHex(b.shift);
  if (BigInt('0x' + shiftHex) >= N) fail('INVALID_SCALAR', `${title}.shift: not below n`);
  if (!PROFILES.includes(b.profile)) fail('INVALID_ARGUMENT', `${title}.profile: expected 'default' or 'high'`);
  return { publicKey, epoch, signers, shift: shiftHex, profile: b.profile };
}

function bindingFromJSON(j: PresignBindingJSON): PresignBinding {
  return { publicKey: hexToBytes(j.publicKey), epoch: j.epoch, signers: [...j.signers], shift: hexToBytes(j.shift), profile: j.profile };
}

/** The first field in which `actual` differs from `expected`, or undefined when equal. */
function firstMismatch(actual: PresignBindingJSON, expected: PresignBindingJSON): keyof PresignBindingJSON | undefined {
  if (actual.publicKey !== expected.publicKey) return 'publicKey';
  if (actual.epoch !== expected.epoch) return 'epoch';
  if (actual.signers.length !== expected.signers.length || actual.signers.some((s, i) => s !== expected.signers[i])) return 'signers';
  if (actual.shift !== expected.shift) return 'shift';
  if (actual.profile !== expected.profile) return 'profile';
  return undefined;
}

/** Throw `PRESIGN_BINDING_MISMATCH` (details.field) unless `actual` binds exactly what `expected` does. */
export function assertPresignBinding(actual: PresignBinding, expected: PresignBinding): void {
  const field = firstMismatch(canonicalBinding(actual, 'presignature binding'), canonicalBinding(expected, 'expected binding'));
  if (field !== undefined) fail('PRESIGN_BINDING_MISMATCH', `the presignature is bound to another ${field}`, { field });
}

/** The 32-byte shift for a scalar δ (0 allowed: no derivation). */
export function shiftBytes(delta: bigint): Uint8Array {
  return scalarToBytes(modN(delta));
}

/** In-memory store (tests, browsers, short-lived processes): consumed ids are remembered for its lifetime. */
export class MemoryPresignStore implements PresignStore {
  readonly #live = new Map<string, StoredPresign>();
  readonly #used = new Set<string>();
  readonly #floors = new Map<string, number>();
  readonly #onStage: ((stage: ConsumeStage) => void) | undefined;

  constructor(opts: { onStage?: (stage: ConsumeStage) => void } = {}) {
    if (opts.onStage !== undefined && typeof opts.onStage !== 'function') fail('INVALID_ARGUMENT', 'opts.onStage: expected a function');
    this.#onStage = opts.onStage;
  }
  async put(record: StoredPresign): Promise<void> {
    if (this.#used.has(record.id)) fail('PRESIGN_USED', `presignature ${record.id} was consumed before`, { id: record.id });
    if (this.#live.has(record.id)) fail('PRESIGN_EXISTS', `presignature ${record.id} is already in the pool`, { id: record.id });
    this.#live.set(record.id, { id: record.id, binding: structuredClone(record.binding), data: Uint8Array.from(record.data) });
  }
  async list(): Promise<Array<{ id: string; binding: PresignBindingJSON }>> {
    return [...this.#live.values()].map((r) => ({ id: r.id, binding: structuredClone(r.binding) }));
  }
  async consume(id: string): Promise<StoredPresign> {
    // check-and-mark with no await in between: atomic within the process
    if (this.#used.has(id)) fail('PRESIGN_USED', `presignature ${id} was already consumed`, { id });
    const rec = this.#live.get(id);
    if (rec === undefined) fail('NOT_FOUND', `no presignature ${id}`, { id });
    this.#used.add(id);
    this.#live.delete(id);
    this.#onStage?.('marked');
    this.#onStage?.('read');
    this.#onStage?.('removed');
    return rec;
  }
  async getEpochFloor(publicKey: string): Promise<number> {
    return this.#floors.get(publicKey) ?? 0;
  }
  async raiseEpochFloor(publicKey: string, epoch: number): Promise<void> {
    this.#floors.set(publicKey, Math.max(epoch, this.#floors.get(publicKey) ?? 0));
  }
}

function taken(e: unknown): boolean {
  return isTkeyTssError(e, 'PRESIGN_USED') || isTkeyTssError(e, 'NOT_FOUND');
}

export class PresignPool {
  readonly store: PresignStore;
  constructor(store: PresignStore) {
    if (typeof store !== 'object' || store === null || typeof store.consume !== 'function') fail('INVALID_ARGUMENT', 'store: expected a PresignStore');
    this.store = store;
  }

  async #assertFresh(b: PresignBindingJSON): Promise<void> {
    const floor = await this.store.getEpochFloor(b.publicKey);
    if (b.epoch < floor) fail('PRESIGN_STALE', `epoch ${b.epoch} is older than the key's current epoch ${floor}`, { epoch: b.epoch, floor });
  }

  /** Add a presignature; returns its id (a fresh random one unless given). The data is copied. */
  async add(record: { id?: string; binding: PresignBinding; data: Uint8Array }): Promise<string> {
    if (typeof record !== 'object' || record === null) fail('INVALID_ARGUMENT', 'record: expected {id?, binding, data}');
    const id = record.id === undefined ? newPresignId() : aPresignId(record.id, 'record.id');
    const binding = canonicalBinding(record.binding, 'record.binding');
    const data = abytes(record.data, 'record.data');
    if (data.length === 0) fail('INVALID_LENGTH', 'record.data: empty');
    await this.#assertFresh(binding);
    await this.store.put({ id, binding, data: Uint8Array.from(data) });
    return id;
  }

  /** How many unused presignatures match `binding` (all of them without one). */
  async count(binding?: PresignBinding): Promise<number> {
    const all = await this.store.list();
    if (binding === undefined) return all.length;
    const want = canonicalBinding(binding);
    return all.filter((r) => firstMismatch(r.binding, want) === undefined).length;
  }

  /**
   * Take one unused presignature bound to exactly `binding`, consuming it atomically (it is burned even
   * if the caller never uses it). `PRESIGN_POOL_EMPTY` when none matches, `PRESIGN_STALE` for an epoch
   * below the key's floor.
   */
  async take(binding: PresignBinding): Promise<PresignRecord> {
    const want = canonicalBinding(binding);
    await this.#assertFresh(want);
    for (const c of await this.store.list()) {
      if (firstMismatch(c.binding, want) !== undefined) continue;
      let rec: StoredPresign;
      try {
        rec = await this.store.consume(c.id);
      } catch (e) {
        if (taken(e)) continue; // a concurrent take won this one
        throw e;
      }
      return this.#checked(rec, want);
    }
    return fail('PRESIGN_POOL_EMPTY', 'no unused presignature for this binding', { count: 0 });
  }

  /**
   * Take presignature `id`, which must be bound to exactly `binding`: a mismatch is refused with
   * `PRESIGN_BINDING_MISMATCH` before anything is consumed; `PRESIGN_USED` if it is gone.
   */
  async takeById(id: string, binding: PresignBinding): Promise<PresignRecord> {
    aPresignId(id);
    const want = canonicalBinding(binding);
    const listed = (await this.store.list()).find((r) => r.id === id);
    if (listed === undefined) return this.#checked(await this.store.consume(id), want); // consume names the error
    const field = firstMismatch(listed.binding, want);
    if (field !== undefined) fail('PRESIGN_BINDING_MISMATCH', `presignature ${id} is bound to another ${field}`, { id, field });
    await this.#assertFresh(want);
    return this.#checked(await this.store.consume(id), want);
  }

  /** After consumption: re-check what the store returned (the record is burned either way). */
  async #checked(rec: StoredPresign, want: PresignBindingJSON): Promise<PresignRecord> {
    const field = firstMismatch(rec.binding, want);
    if (field !== undefined) fail('PRESIGN_BINDING_MISMATCH', `presignature ${rec.id} is bound to another ${field}`, { id: rec.id, field });
    await this.#assertFresh(rec.binding); // a prune may have run meanwhile
    return { id: rec.id, binding: bindingFromJSON(rec.binding), data: rec.data };
  }

  /**
   * After a refresh to `epoch`: raise the key's floor to `epoch` (first, so a crash cannot leave old
   * presignatures usable), then burn every presignature of the key from an older epoch. Returns how
   * many were burned.
   */
  async prune(publicKey: Uint8Array, epoch: number): Promise<number> {
    const key = bytesToHex(pointToBytes(pointFromBytes(abytes(publicKey, 'publicKey'), 'publicKey'), true));
    aInt(epoch, 'epoch');
    await this.store.raiseEpochFloor(key, epoch);
    let burned = 0;
    for (const r of await this.store.list()) {
      if (r.binding.publicKey !== key || r.binding.epoch >= epoch) continue;
      try {
        const rec = await this.store.consume(r.id);
        rec.data.fill(0);
        burned++;
      } catch (e) {
        if (!taken(e)) throw e;
      }
    }
    return burned;
  }
}

