/**
 * Device storage of the device share (the peer's web-storage module): a ShareStore JSON kept on
 * the device under the account key = unpadded hex x of the metadata public key. This file holds
 * the interface and an in-memory implementation (no platform APIs, safe in browsers, workers and
 * SSR); the Node file implementation is in `device-storage-file.ts`.
 * @module
 */
import { toHexUnpadded } from '../bytes.js';
import { pointFromBytes, type Point } from '../curve.js';
import { fail } from '../errors.js';
import { ShareStore } from '../metadata/share-store.js';

export interface DeviceShareStorage {
  /** The stored device share of the account, or `undefined`. */
  load(accountKey: string): Promise<ShareStore | undefined>;
  store(accountKey: string, share: ShareStore): Promise<void>;
  remove(accountKey: string): Promise<void>;
}

/** The peer's device-storage key: unpadded hex x of G·k_m (`KeyDetails.pubKey` bytes or a point). */
export function deviceStorageKey(metadataPub: Uint8Array | Point): string {
  const p = metadataPub instanceof Uint8Array ? pointFromBytes(metadataPub, 'metadataPub') : metadataPub;
  return toHexUnpadded(p.toAffine().x);
}

export function assertAccountKey(k: unknown): string {
  if (typeof k !== 'string' || !/^[0-9a-f]{1,64}$/.test(k)) fail('INVALID_ARGUMENT', 'accountKey: expected lower-case hex (metadata pub x)');
  return k;
}

/** In-memory device storage (tests, ephemeral sessions). Stored as peer JSON, parsed on load. */
export class MemoryDeviceStorage implements DeviceShareStorage {
  readonly #m = new Map<string, string>();
  async load(accountKey: string): Promise<ShareStore | undefined> {
    const v = this.#m.get(assertAccountKey(accountKey));
    return v === undefined ? undefined : ShareStore.fromJSON(JSON.parse(v));
  }
  async store(accountKey: string, share: ShareStore): Promise<void> {
    if (!(share instanceof ShareStore)) fail('INVALID_ARGUMENT', 'share: expected a ShareStore');
    this.#m.set(assertAccountKey(accountKey), JSON.stringify(share.exportJSON()));
  }
  async remove(accountKey: string): Promise<void> {
    this.#m.delete(assertAccountKey(accountKey));
  }
  toJSON(): Record<string, unknown> {
    return { accounts: this.#m.size };
  }
}
