/**
 * Share transfer (tkey-formats §5), compatible with `@tkey/share-transfer`: a random "pointer" key
 * in `generalStore.shareTransfer = {pointer}` owns a separate record, the transfer store
 * `{[encPubKeyX]: ShareRequest}`. A new device (postbox key only) publishes a request with a fresh
 * encryption key; a device holding the key approves it by ECIES-encrypting a ShareStore JSON into
 * `encShareInTransit`; the new device polls, decrypts and inputs the share. The pointer is rotated
 * whenever a refresh does not add shares (share deletion), so a removed device cannot keep
 * watching or answering requests. The transfer store is committed as its own storage account
 * (the compressed pointer pub G·pointer, so a signing server takes it; record and batch signed by the
 * pointer key) under optimistic concurrency.
 * @module
 */
import { aString, hexToNumber, toHexUnpadded, utf8ToBytes, bytesToUtf8 } from '../bytes.js';
import { mulG, pointToBytes, pointToHex, randomScalar, scalarToBytes } from '../curve.js';
import { eciesDecryptJSON, eciesEncryptJSON, type EncryptedMessage } from '../ecies.js';
import { fail, isTkeyTssError } from '../errors.js';
import type { AccountContext, RefreshMiddleware, TKeyModule } from '../metadata/context.js';
import { decodeRecord, encodeRecord, recordAddress } from '../metadata/record.js';
import { syncShareMetadata } from '../metadata/refresh.js';
import { outputShareStore } from '../metadata/share-io.js';
import { ShareStore } from '../metadata/share-store.js';
import { signBatch, signWrite } from '../metadata/write-auth.js';
import { thresholdKeyInternals, type ThresholdKey } from '../metadata/threshold-key.js';

export const SHARE_TRANSFER_MODULE_NAME = 'shareTransfer';

/** Node's Buffer JSON form, as the peer stores `encPubKey`. */
export interface BufferJSON {
  type: 'Buffer';
  data: number[];
}
export interface ShareRequestJSON {
  encPubKey: BufferJSON;
  encShareInTransit?: EncryptedMessage;
  availableShareIndexes: string[];
  userAgent: string;
  userIp: string;
  timestamp: number;
  customInfo?: string;
}
export type ShareTransferStore = Record<string, ShareRequestJSON>;

const newPointer = (ctx: { rng: AccountContext['rng'] }) => ({ pointer: toHexUnpadded(randomScalar(ctx.rng)) });

/** Rotate the pointer when a refresh does not add shares (the peer's anti-MITM middleware). */
const refreshPointer: RefreshMiddleware = (domain, oldShares, newShares, env) => {
  if (domain === undefined) return undefined;
  return newShares.size <= oldShares.size ? newPointer(env) : domain;
};

function encPubFromJSON(b: unknown): Uint8Array {
  const o = b as BufferJSON;
  if (typeof o !== 'object' || o === null || o.type !== 'Buffer' || !Array.isArray(o.data)) return fail('INVALID_JSON', 'encPubKey: expected Buffer JSON');
  return Uint8Array.from(o.data);
}

export class ShareTransferModule implements TKeyModule {
  readonly name = SHARE_TRANSFER_MODULE_NAME;
  readonly refreshMiddleware: Readonly<Record<string, RefreshMiddleware>> = Object.freeze({ [SHARE_TRANSFER_MODULE_NAME]: refreshPointer });
  /** Encryption keys of this device's open requests (secret). */
  readonly #encKeys = new Map<string, bigint>();

  #ctx(tk: ThresholdKey) {
    const i = thresholdKeyInternals(tk);
    if (!i.ctx.modules.includes(this)) fail('INVALID_ARGUMENT', 'register this ShareTransferModule in the ThresholdKey options (modules) first');
    return i;
  }

  /** Create the pointer if the account has none (needs the reconstructed key). */
  async enable(tk: ThresholdKey): Promise<void> {
    const { ctx, mutate } = this.#ctx(tk);
    if (ctx.state.requireMetadata().getGeneralStoreDomain(SHARE_TRANSFER_MODULE_NAME) !== undefined) return;
    const pointer = newPointer(ctx);
    await mutate(() => ({
      name: 'shareTransfer:enable',
      apply: async (c: AccountContext) => {
        const m = c.state.requireMetadata();
        if (m.getGeneralStoreDomain(SHARE_TRANSFER_MODULE_NAME) === undefined) m.setGeneralStoreDomain(SHARE_TRANSFER_MODULE_NAME, pointer);
        await syncShareMetadata(c);
      },
    }));
  }

  /** Replace the pointer (abandons every open request). */
  async resetShareTransferStore(tk: ThresholdKey): Promise<void> {
    const { ctx, mutate } = this.#ctx(tk);
    const pointer = newPointer(ctx);
    await mutate(() => ({
      name: 'shareTransfer:reset',
      apply: async (c: AccountContext) => {
        c.state.requireMetadata().setGeneralStoreDomain(SHARE_TRANSFER_MODULE_NAME, pointer);
        await syncShareMetadata(c);
      },
    }));
  }

  #pointer(ctx: AccountContext): bigint {
    const d = ctx.state.requireMetadata().getGeneralStoreDomain(SHARE_TRANSFER_MODULE_NAME) as { pointer?: unknown } | undefined;
    if (!d || typeof d.pointer !== 'string') return fail('SHARE_TRANSFER_DISABLED', 'no share-transfer pointer in this account');
    return hexToNumber(d.pointer, 'shareTransfer.pointer');
  }

  async #read(ctx: AccountContext): Promise<{ store: ShareTransferStore; account: string; nonce: number | null; pointer: bigint }> {
    const pointer = this.#pointer(ctx);
    const pub = mulG(pointer);
    // its own storage account, named like a metadata account by its owner key: G·pointer
    const account = pointToHex(pub, true);
    const nonce = await ctx.storage.getNonce(account);
    const value = await ctx.storage.get(recordAddress(pub));
    const store = value === undefined ? {} : (decodeRecord(pointer, value) as ShareTransferStore);
    if (typeof store !== 'object' || store === null || Array.isArray(store)) fail('INVALID_JSON', 'share-transfer store: expected an object');
    return { store, account, nonce, pointer };
  }

  /** Read-modify-write of the transfer store, retried on a concurrent change. */
  async #update<T>(ctx: AccountContext, change: (store: ShareTransferStore) => T): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const { store, account, nonce, pointer } = await this.#read(ctx);
      const out = change(store);
      try {
        // the record and the batch are signed by the pointer key (the account's owner)
        const nowS = Math.floor(ctx.now() / 1000);
        const value = encodeRecord(mulG(pointer), store, ctx.rng);
        const batch = { account, baseNonce: nonce, nonce: nonce === null ? 0 : nonce + 1, writes: [{ address: recordAddress(mulG(pointer)), value, auth: signWrite(pointer, value, nowS) }] };
        await ctx.storage.commit({ ...batch, auth: signBatch(batch, pointer, nowS) });
        return out;
      } catch (e) {
        if (!isTkeyTssError(e, 'STORAGE_CONFLICT') || attempt >= 4) throw e;
      }
    }
  }

  /** The open requests (their encryption-key x coordinates). */
  async lookForRequests(tk: ThresholdKey): Promise<string[]> {
    return Object.keys((await this.#read(this.#ctx(tk).ctx)).store);
  }
  async getShareTransferStore(tk: ThresholdKey): Promise<ShareTransferStore> {
    return (await this.#read(this.#ctx(tk).ctx)).store;
  }

  /**
   * New device: publish a request with a fresh encryption key. Needs only an initialized
   * ThresholdKey (postbox key). Returns the request id (encPubKeyX, unpadded hex).
   */
  async requestNewShare(tk: ThresholdKey, userAgent: string, opts: { availableShareIndexes?: string[]; customInfo?: string } = {}): Promise<string> {
    aString(userAgent, 'userAgent');
    const { ctx } = this.#ctx(tk);
    const m = ctx.state.requireMetadata();
    const encKey = randomScalar(ctx.rng);
    const encPub = mulG(encKey);
    const id = toHexUnpadded(encPub.toAffine().x);
    const held = ctx.state.sharesOn(m.latestPolyId()).map((s) => toHexUnpadded(s.index));
    const request: ShareRequestJSON = {
      encPubKey: { type: 'Buffer', data: [...pointToBytes(encPub, false)] },
      availableShareIndexes: opts.availableShareIndexes ?? held,
      userAgent,
      userIp: '',
      timestamp: ctx.now(),
      ...(opts.customInfo !== undefined ? { customInfo: aString(opts.customInfo, 'customInfo') } : {}),
    };
    await this.#update(ctx, (store) => {
      store[id] = request;
    });
    this.#encKeys.set(id, encKey);
    return id;
  }

  /**
   * Approve a request by encrypting a ShareStore to its key: `shareStore` if given, else the first
   * latest-polynomial share the requester does not have (needs the reconstructed key).
   */
  async approveRequest(tk: ThresholdKey, encPubKeyX: string, shareStore?: ShareStore): Promise<void> {
    const { ctx } = this.#ctx(tk);
    await this.#update(ctx, (store) => {
      const req = store[aString(encPubKeyX, 'encPubKeyX')];
      if (!req) return fail('SHARE_TRANSFER_NO_REQUEST', 'no such share-transfer request');
      let ss = shareStore;
      if (!ss) {
        const m = ctx.state.requireMetadata();
        const have = new Set(req.availableShareIndexes);
        const idx = m.shareIndexes().find((i) => !have.has(toHexUnpadded(i)));
        if (idx === undefined) return fail('SHARE_UNKNOWN', 'the requester already has every share');
        ss = outputShareStore(ctx, idx);
      }
      req.encShareInTransit = eciesEncryptJSON(encPubFromJSON(req.encPubKey), utf8ToBytes(JSON.stringify(ss.exportJSON())), { rng: ctx.rng });
    });
  }
  async approveRequestWithShareIndex(tk: ThresholdKey, encPubKeyX: string, shareIndex: bigint): Promise<void> {
    const { ctx } = this.#ctx(tk);
    return this.approveRequest(tk, encPubKeyX, outputShareStore(ctx, shareIndex));
  }

  /**
   * New device: one poll. Returns the received ShareStore (caught up and held by `tk`) once the
   * request is approved, `undefined` while pending; `SHARE_TRANSFER_CANCELLED` if it was removed.
   */
  async checkRequest(tk: ThresholdKey, encPubKeyX: string): Promise<ShareStore | undefined> {
    const { ctx } = this.#ctx(tk);
    const encKey = this.#encKeys.get(encPubKeyX);
    if (encKey === undefined) return fail('SHARE_TRANSFER_NO_REQUEST', 'this device made no such request');
    const { store } = await this.#read(ctx);
    const req = store[encPubKeyX];
    if (!req) {
      this.#encKeys.delete(encPubKeyX);
      return fail('SHARE_TRANSFER_CANCELLED', 'the request was removed');
    }
    if (!req.encShareInTransit) return undefined;
    const plain = eciesDecryptJSON(scalarToBytes(encKey), req.encShareInTransit);
    let json: unknown;
    try {
      json = JSON.parse(bytesToUtf8(plain));
    } catch {
      return fail('INVALID_JSON', 'the share in transit is not a ShareStore JSON');
    }
    const received = await tk.inputShareStore(json);
    this.#encKeys.delete(encPubKeyX);
    return received;
  }

  /** Poll until approved (default every 1 s, 60 s timeout); removes the request afterwards by default. */
  async waitForShare(
    tk: ThresholdKey,
    encPubKeyX: string,
    opts: { intervalMs?: number; timeoutMs?: number; deleteRequestAfterCompletion?: boolean; signal?: AbortSignal } = {},
  ): Promise<ShareStore> {
    const interval = opts.intervalMs ?? 1000;
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    for (;;) {
      if (opts.signal?.aborted) fail('SHARE_TRANSFER_CANCELLED', 'aborted by the caller');
      const got = await this.checkRequest(tk, encPubKeyX);
      if (got) {
        if (opts.deleteRequestAfterCompletion ?? true) await this.deleteShareTransferStore(tk, encPubKeyX);
        return got;
      }
      if (Date.now() + interval > deadline) fail('SHARE_TRANSFER_TIMEOUT', 'no approval arrived in time');
      await new Promise((r) => setTimeout(r, interval));
    }
  }

  /** Remove one request (cancel or clean up). */
  async deleteShareTransferStore(tk: ThresholdKey, encPubKeyX: string): Promise<void> {
    const { ctx } = this.#ctx(tk);
    await this.#update(ctx, (store) => {
      delete store[encPubKeyX];
    });
  }

  toJSON(): Record<string, unknown> {
    return { module: SHARE_TRANSFER_MODULE_NAME, openRequests: [...this.#encKeys.keys()] };
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `ShareTransferModule(${this.#encKeys.size} open requests, keys <redacted>)`;
  }
}

