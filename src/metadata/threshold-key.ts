/**
 * `ThresholdKey`: the tKey v1 metadata-key account, a thin facade over account-init, share-io,
 * reconstruct, refresh, tkey-store, descriptions and sync. Every mutation is an all-or-nothing
 * operation that queues record writes; auto-sync (default) commits after each operation, manual
 * sync commits on `sync()` as ONE batch. Randomness only from the `rng` option. Secrets never
 * appear in `toJSON`/inspection; `reconstructKey`, `exportMetadataKey` and `outputShare*` are the
 * explicit exports.
 * @module
 */
import { abytes, bytesToHex, hexToNumber, toHexUnpadded } from '../bytes.js';
import { aScalar, ed25519PublicKeyFromSeed, pointToBytes, randomScalar, scalarFromBytes, scalarToBytes } from '../curve.js';
import { eciesDecryptJSON, type EncryptedMessage } from '../ecies.js';
import { fail, isTkeyTssError } from '../errors.js';
import { cryptoRng, type Rng } from '../rng.js';
import type { MetadataStorage } from '../storage/types.js';
import { createAccount, ED25519_SEED_DOMAIN, loadAccount, randomShareIndex } from './account-init.js';
import { AccountState } from './account-state.js';
import type { AccountContext, TKeyModule } from './context.js';
import { changeShareDescriptionBody, currentShareDescriptions, type DescriptionChange } from './descriptions.js';
import type { Metadata } from './metadata.js';
import { polyFromKeyAndShares, reconstructAccount } from './reconstruct.js';
import { deleteShareBody, generateNewShareBody, syncShareMetadata } from './refresh.js';
import { formatShareValue, inputShareStore, outputShareStore, parseShareValue, type ShareFormat } from './share-io.js';
import { ShareStore } from './share-store.js';
import { commitPending, OpLog, replayOps, runOp, type Op } from './sync.js';
import { deleteTKeyStoreItemBody, encryptToMetadataKey, getTKeyStore, getTKeyStoreItem, setTKeyStoreItemBody, type TKeyStoreItem } from './tkey-store.js';
import { WriteQueue } from './write-queue.js';

export interface ThresholdKeyOptions {
  storage: MetadataStorage;
  /** The user's postbox key (32 bytes): owner of the service-provider record (share index 1). */
  postboxKey: Uint8Array;
  /** Queue mutations until `sync()` (default false: commit after each operation). */
  manualSync?: boolean;
  rng?: Rng;
  /** Clock for `dateAdded` fields (ms). */
  now?: () => number;
  /** Modules whose refresh middleware must run on every refresh (e.g. security questions). */
  modules?: readonly TKeyModule[];
}

export interface KeyDetails {
  /** Compressed G·k_m. */
  pubKey: Uint8Array;
  threshold: number;
  totalShares: number;
  /** Shares still needed to reconstruct (0 when enough are held). */
  requiredShares: number;
  /** Share indexes of the latest polynomial, unpadded hex. */
  shareIndexes: string[];
  shareDescriptions: Record<string, string[]>;
}

export interface InitializeResult {
  created: boolean;
  /** The device share of a newly created account (store it: it is the user's second factor). */
  deviceShare?: ShareStore;
  details: KeyDetails;
}

/** Share index from a bigint or hex string of any padding. */
export function parseIndexArg(index: bigint | string, title = 'shareIndex'): bigint {
  return aScalar(typeof index === 'string' ? hexToNumber(index, title) : index, title);
}

/** Internal hooks for `src/modules` (not part of the public API). */
export interface ThresholdKeyInternals {
  ctx: AccountContext;
  /** Run a replayable operation under the instance lock (auto-sync commits after it). */
  mutate<T>(build: () => Op<T>): Promise<T>;
  /** Run a read under the instance lock. */
  locked<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * `read(m)` over the working metadata itself, without the copy `getMetadata` makes (a hot read
   * such as the signing context's commitments). `read` must only read, and return nothing that
   * aliases `m`'s mutable parts (values, fresh arrays of points, parsed copies): no copy is made.
   */
  readMetadata<T>(read: (m: Metadata) => T): T;
}
const INTERNALS = new WeakMap<ThresholdKey, ThresholdKeyInternals>();
/** @internal modules only. */
export function thresholdKeyInternals(tk: ThresholdKey): ThresholdKeyInternals {
  const i = INTERNALS.get(tk);
  if (!i) return fail('INVALID_ARGUMENT', 'tkey: expected a ThresholdKey');
  return i;
}

export class ThresholdKey {
  readonly #ctx: AccountContext;
  readonly #log = new OpLog();
  #manualSync: boolean;
  #lock: Promise<unknown> = Promise.resolve();

  constructor(opts: ThresholdKeyOptions) {
    if (typeof opts !== 'object' || opts === null) fail('INVALID_ARGUMENT', 'options: expected an object');
    const s = opts.storage;
    if (!s || typeof s.get !== 'function' || typeof s.commit !== 'function' || typeof s.getNonce !== 'function')
      fail('INVALID_ARGUMENT', 'storage: expected a MetadataStorage');
    const postboxKey = scalarFromBytes(abytes(opts.postboxKey, 'postboxKey', 32), 'postboxKey');
    this.#manualSync = opts.manualSync ?? false;
    this.#ctx = {
      storage: s,
      postboxKey,
      rng: opts.rng ?? cryptoRng,
      now: opts.now ?? Date.now,
      modules: [...(opts.modules ?? [])],
      state: new AccountState(),
      queue: new WriteQueue(),
    };
    INTERNALS.set(this, {
      ctx: this.#ctx,
      mutate: (build) => this.#mutate(build),
      locked: (fn) => this.#locked(fn),
      readMetadata: (read) => read(this.#ctx.state.requireMetadata()),
    });
  }

  #locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn, fn);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  #mutate<T>(build: () => Op<T>): Promise<T> {
    return this.#locked(async () => {
      const out = await runOp(this.#ctx, this.#log, build());
      if (!this.#manualSync) await commitPending(this.#ctx, this.#log);
      return out;
    });
  }

  /**
   * Load the account of the postbox key, or create a new 2-of-2 one (service-provider share +
   * device share) when none exists. `withShare` (e.g. the device share) is caught up and held.
   */
  initialize(opts: { withShare?: ShareStore; neverInitializeNewKey?: boolean } = {}): Promise<InitializeResult> {
    return this.#locked(async () => {
      const ctx = this.#ctx;
      if (ctx.state.metadata) fail('INVALID_ARGUMENT', 'already initialized');
      if (opts.withShare !== undefined && !(opts.withShare instanceof ShareStore)) fail('INVALID_ARGUMENT', 'withShare: expected a ShareStore');
      const snap = ctx.state.snapshot();
      try {
        if (await loadAccount(ctx, opts.withShare)) {
          if (opts.withShare) await inputShareStore(ctx, opts.withShare);
          return { created: false, details: this.getKeyDetails() };
        }
        if (opts.neverInitializeNewKey) fail('NOT_INITIALIZED', 'no account exists for this postbox key');
        const deviceShare = createAccount(ctx);
        if (!this.#manualSync) await commitPending(ctx, this.#log);
        return { created: true, deviceShare, details: this.getKeyDetails() };
      } catch (e) {
        if (!ctx.state.creating) {
          ctx.state.restore(snap);
          ctx.queue.clear();
        }
        throw e;
      }
    });
  }

  /** Reconstruct k_m from held shares (catching stale ones up). Returns k_m (32 bytes): an explicit export. */
  reconstructKey(): Promise<Uint8Array> {
    return this.#locked(async () => {
      const snap = this.#ctx.state.snapshot();
      try {
        return scalarToBytes(await reconstructAccount(this.#ctx));
      } catch (e) {
        this.#ctx.state.restore(snap);
        throw e;
      }
    });
  }

  get isReconstructed(): boolean {
    return this.#ctx.state.key !== undefined;
  }

  /** k_m (32 bytes), once reconstructed. */
  exportMetadataKey(): Uint8Array {
    return scalarToBytes(this.#ctx.state.requireKey().key);
  }

  /** The ed25519 public key ("04"‖x‖y hex) of the account's ed25519 seed, if it has one. */
  getEd25519PublicKey(): string | undefined {
    const d = this.#ctx.state.requireMetadata().getGeneralStoreDomain(ED25519_SEED_DOMAIN) as { publicKey?: unknown } | undefined;
    return typeof d?.publicKey === 'string' ? d.publicKey : undefined;
  }

  /** The account's 32-byte ed25519 seed (needs the reconstructed key): an explicit export. */
  retrieveEd25519Seed(): Uint8Array {
    const d = this.#ctx.state.requireMetadata().getGeneralStoreDomain(ED25519_SEED_DOMAIN) as { message?: unknown; publicKey?: unknown } | undefined;
    if (!d || d.message === undefined) return fail('NOT_FOUND', 'the account has no ed25519 seed');
    const seed = this.decrypt(d.message as EncryptedMessage);
    if (seed.length !== 32 || ed25519PublicKeyFromSeed(seed) !== d.publicKey) fail('METADATA_KEY_MISMATCH', 'the ed25519 seed does not match its public key');
    return seed;
  }

  getKeyDetails(): KeyDetails {
    const m = this.#ctx.state.requireMetadata();
    const latest = m.latestPolyId();
    const idx = m.shareIndexes(latest);
    const t = m.threshold(latest);
    const held = this.#ctx.state.sharesOn(latest).filter((s) => idx.includes(s.index)).length;
    return {
      pubKey: pointToBytes(m.pubKey, true),
      threshold: t,
      totalShares: idx.length,
      requiredShares: Math.max(0, t - held),
      shareIndexes: idx.map(toHexUnpadded),
      shareDescriptions: currentShareDescriptions(this.#ctx),
    };
  }

  /** A copy of the working metadata. */
  getMetadata(): Metadata {
    return this.#ctx.state.requireMetadata().clone();
  }

  /** Add a share (same threshold): a refresh to a new polynomial. */
  generateNewShare(): Promise<{ newShareStore: ShareStore; newShareIndex: bigint }> {
    return this.#mutate(() => {
      const { metadata } = this.#ctx.state.requireKey();
      const newIndex = randomShareIndex(this.#ctx, metadata.shareIndexes());
      const coeffs = Array.from({ length: metadata.threshold() - 1 }, () => randomScalar(this.#ctx.rng));
      return {
        name: 'generateNewShare',
        apply: (ctx) => {
          const r = generateNewShareBody(ctx, newIndex, coeffs);
          return { newShareStore: r.newShareStore, newShareIndex: newIndex };
        },
      };
    });
  }

  /**
   * Delete the share at `index`: refresh the others to a new polynomial with the same secret and
   * mark the deleted share's record SHARE_DELETED. Index 1 cannot be deleted; the threshold must stay reachable.
   */
  async deleteShare(index: bigint | string): Promise<void> {
    const i = parseIndexArg(index);
    return this.#mutate(() => {
      const { metadata } = this.#ctx.state.requireKey();
      const coeffs = Array.from({ length: metadata.threshold() - 1 }, () => randomScalar(this.#ctx.rng));
      return {
        name: 'deleteShare',
        apply: (ctx) => {
          deleteShareBody(ctx, i, coeffs);
        },
      };
    });
  }

  /** Hold a ShareStore (object or peer JSON), caught up to the latest polynomial. */
  async inputShareStore(shareStore: ShareStore | unknown): Promise<ShareStore> {
    const ss = shareStore instanceof ShareStore ? shareStore : ShareStore.fromJSON(shareStore);
    return this.#locked(async () => {
      const snap = this.#ctx.state.snapshot();
      try {
        return await inputShareStore(this.#ctx, ss);
      } catch (e) {
        this.#ctx.state.restore(snap);
        throw e;
      }
    });
  }

  /**
   * Hold a bare share (32 bytes, hex or 24-word mnemonic; detected when `format` is omitted): its
   * index is found by scanning the polynomials.
   */
  async inputShare(share: Uint8Array | string, format?: ShareFormat): Promise<ShareStore> {
    if (!(share instanceof Uint8Array) && typeof share !== 'string') fail('INVALID_ARGUMENT', 'share: expected bytes or a string');
    format ??= share instanceof Uint8Array ? 'bytes' : /\s/.test(share.trim()) ? 'mnemonic' : 'hex';
    const value = parseShareValue(share, format);
    const ss = this.#ctx.state.requireMetadata().shareToShareStore(value);
    return this.inputShareStore(ss);
  }

  /** The ShareStore at `index` on the latest polynomial (secret: handle with care). */
  outputShareStore(index: bigint | string): ShareStore {
    return outputShareStore(this.#ctx, parseIndexArg(index));
  }

  /** The share value at `index`: 32 bytes, 64-char hex, or the peer's 24-word mnemonic. */
  outputShare(index: bigint | string, format: ShareFormat = 'bytes'): Uint8Array | string {
    return formatShareValue(this.outputShareStore(index).share.value, format);
  }

  async #description(c: DescriptionChange): Promise<void> {
    return this.#mutate(() => ({ name: `shareDescription:${c.kind}`, apply: (ctx) => changeShareDescriptionBody(ctx, c) }));
  }
  addShareDescription(index: bigint | string, description: string): Promise<void> {
    return this.#description({ kind: 'add', key: toHexUnpadded(parseIndexArg(index)), description });
  }
  updateShareDescription(index: bigint | string, oldDescription: string, newDescription: string): Promise<void> {
    return this.#description({ kind: 'update', key: toHexUnpadded(parseIndexArg(index)), oldDescription, newDescription });
  }
  deleteShareDescription(index: bigint | string, description: string): Promise<void> {
    return this.#description({ kind: 'delete', key: toHexUnpadded(parseIndexArg(index)), description });
  }

  /** Insert or replace (by `id`) an item of a module's tKeyStore (encrypted to G·k_m). */
  setTKeyStoreItem(moduleName: string, item: TKeyStoreItem): Promise<void> {
    return this.#mutate(() => ({
      name: 'setTKeyStoreItem',
      apply: async (ctx) => {
        setTKeyStoreItemBody(ctx, moduleName, item);
        await syncShareMetadata(ctx);
      },
    }));
  }
  deleteTKeyStoreItem(moduleName: string, id: string): Promise<void> {
    return this.#mutate(() => ({
      name: 'deleteTKeyStoreItem',
      apply: async (ctx) => {
        deleteTKeyStoreItemBody(ctx, moduleName, id);
        await syncShareMetadata(ctx);
      },
    }));
  }
  getTKeyStore(moduleName: string): TKeyStoreItem[] {
    return getTKeyStore(this.#ctx, moduleName);
  }
  getTKeyStoreItem(moduleName: string, id: string): TKeyStoreItem | undefined {
    return getTKeyStoreItem(this.#ctx, moduleName, id);
  }

  /** ECIES-encrypt to G·k_m (the peer's `encrypt`). */
  encrypt(data: Uint8Array): EncryptedMessage {
    return encryptToMetadataKey(this.#ctx, abytes(data, 'data'));
  }
  /** Decrypt with k_m. */
  decrypt(em: EncryptedMessage): Uint8Array {
    return eciesDecryptJSON(scalarToBytes(this.#ctx.state.requireKey().key), em);
  }

  get manualSync(): boolean {
    return this.#manualSync;
  }
  setManualSync(on: boolean): void {
    if (typeof on !== 'boolean') fail('INVALID_ARGUMENT', 'on: expected a boolean');
    this.#manualSync = on;
  }
  /** Number of records waiting to be committed. */
  get pendingWrites(): number {
    return this.#ctx.queue.size;
  }
  /** Number of operations waiting to be committed. */
  get pendingOperations(): number {
    return this.#log.size;
  }

  /**
   * Commit every pending write as ONE batch built on the storage nonce last seen. On
   * `StorageConflict` (someone else committed first) or any failure nothing is lost: call
   * `reload()` to rebase the pending operations onto the latest state, then `sync()` again.
   */
  sync(): Promise<{ written: number }> {
    return this.#locked(() => commitPending(this.#ctx, this.#log));
  }
  /** Alias of `sync()` (the peer's name). */
  syncLocalMetadataTransitions(): Promise<{ written: number }> {
    return this.sync();
  }

  /**
   * Re-read the account from storage and replay the pending operations onto it (same random
   * draws, so handed-out shares stay valid). All-or-nothing: on failure the previous state stays.
   * `discardPending: true` drops the pending operations instead (e.g. when one can no longer apply).
   */
  reload(opts: { discardPending?: boolean } = {}): Promise<void> {
    return this.#locked(async () => {
      const ctx = this.#ctx;
      const st = ctx.state;
      const snap = st.snapshot();
      const queue = ctx.queue.snapshot();
      const oldOps = this.#log.list();
      const ops = opts.discardPending ? [] : oldOps;
      const oldPub = st.metadata?.pubKey;
      const held = [...st.shares.values()].flatMap((m) => [...m.values()]);
      try {
        if (st.creating && opts.discardPending) {
          ctx.queue.clear();
          this.#log.clear();
          st.restore(new AccountState().snapshot());
          return;
        }
        if (st.creating) {
          ctx.queue.clear();
          const exists = await loadAccount(ctx);
          st.restore(snap);
          ctx.queue.restore(queue);
          if (exists) fail('ACCOUNT_EXISTS', 'an account was created for this postbox key meanwhile');
          return;
        }
        ctx.queue.clear();
        if (!(await loadAccount(ctx))) fail('NOT_FOUND', 'the account is gone from storage');
        const m = st.requireMetadata();
        if (oldPub && !m.pubKey.equals(oldPub)) fail('METADATA_KEY_MISMATCH', 'storage holds a different account for this postbox key');
        for (const ss of held) {
          try {
            await inputShareStore(ctx, ss);
          } catch (e) {
            if (!isTkeyTssError(e) || e.kind === 'InternalBug') throw e;
          }
        }
        if (snap.key !== undefined) {
          const poly = polyFromKeyAndShares(m, snap.key, st.sharesOn(m.latestPolyId()).map((s) => s.share));
          st.key = snap.key;
          st.poly = poly;
          if (!poly) st.key = undefined;
        }
        await replayOps(ctx, ops);
        this.#log.restore(ops);
      } catch (e) {
        st.restore(snap);
        ctx.queue.restore(queue);
        this.#log.restore(oldOps);
        throw e;
      }
    });
  }

  toJSON(): Record<string, unknown> {
    const m = this.#ctx.state.metadata;
    return {
      pubKey: m ? bytesToHex(pointToBytes(m.pubKey, true)) : undefined,
      reconstructed: this.isReconstructed,
      manualSync: this.#manualSync,
      pendingWrites: this.pendingWrites,
      pendingOperations: this.pendingOperations,
      metadataKey: this.isReconstructed ? '<redacted>' : undefined,
      postboxKey: '<redacted>',
    };
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `ThresholdKey ${JSON.stringify(this.toJSON())}`;
  }
}
