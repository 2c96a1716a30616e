/**
 * Creating a new account (2-of-2: the service-provider share at index 1, reachable through the
 * postbox key, and a device share at a random index; plus the v15 ed25519 seed) and loading an existing one (postbox record →
 * index-1 ShareStore → catch-up → metadata).
 * @module
 */
import { ed25519PublicKeyFromSeed, mulG, pointToBytes, randomScalar } from '../curve.js';
import { eciesEncryptJSON } from '../ecies.js';
import { wipe } from '../bytes.js';
import { fail } from '../errors.js';
import { commit, evaluate } from '../shamir/index.js';
import { signAuthMetadata } from './auth-metadata.js';
import { accountId, postboxPub, type AccountContext } from './context.js';
import { Metadata } from './metadata.js';
import { decodeServiceProviderRecord, recordAddress } from './record.js';
import { catchUp } from './share-io.js';
import { Share, ShareStore } from './share-store.js';

/** generalStore domain of the account's ed25519 seed (v15). */
export const ED25519_SEED_DOMAIN = 'ed25519Seed';

/** A random share index outside `exclude` (and ≠ 0, 1). */
export function randomShareIndex(ctx: AccountContext, exclude: readonly bigint[] = []): bigint {
  for (;;) {
    const x = randomScalar(ctx.rng);
    if (x !== 1n && !exclude.includes(x)) return x;
  }
}

/** Create a new 2-of-2 account in the state and queue its three records. Returns the device share. */
export function createAccount(ctx: AccountContext): ShareStore {
  const key = randomScalar(ctx.rng);
  const deviceIndex = randomShareIndex(ctx);
  const poly = [key, randomScalar(ctx.rng)];
  const metadata = Metadata.create(mulG(key));
  const polyId = metadata.addPolynomial(commit(poly), [1n, deviceIndex]);
  // v15 gives every new key an ed25519 seed, encrypted to G·k_m
  const seed = ctx.rng.bytes(32);
  metadata.setGeneralStoreDomain(ED25519_SEED_DOMAIN, {
    message: eciesEncryptJSON(pointToBytes(metadata.pubKey, false), seed, { rng: ctx.rng }),
    publicKey: ed25519PublicKeyFromSeed(seed),
  });
  wipe(seed);
  const sp = new ShareStore(new Share(1n, evaluate(poly, 1n)), polyId);
  const device = new ShareStore(new Share(deviceIndex, evaluate(poly, deviceIndex)), polyId);
  const st = ctx.state;
  st.metadata = metadata;
  st.key = key;
  st.poly = poly;
  st.shares = new Map();
  st.addShare(sp);
  st.addShare(device);
  st.storageNonce = null;
  st.creating = true;
  const auth = signAuthMetadata(metadata, key);
  ctx.queue.put(sp.share.value, auth);
  ctx.queue.put(device.share.value, auth);
  ctx.queue.put(ctx.postboxKey, sp.exportJSON());
  return device;
}

/** The service-provider ShareStore from the postbox record (pending first), or `undefined`. */
export async function readServiceProviderShare(ctx: AccountContext): Promise<ShareStore | undefined> {
  const address = recordAddress(postboxPub(ctx));
  const pending = ctx.queue.get(address);
  if (pending) return ShareStore.fromJSON(pending.content);
  const value = await ctx.storage.get(address);
  return value === undefined ? undefined : decodeServiceProviderRecord(ctx.postboxKey, value);
}

/**
 * Load the account from storage into the state: latest metadata via the service-provider share
 * (or via `withShare` when the postbox record is missing), the storage nonce, the held share.
 * Returns `false` when no account exists.
 */
export async function loadAccount(ctx: AccountContext, withShare?: ShareStore): Promise<boolean> {
  const sp = await readServiceProviderShare(ctx);
  const start = sp ?? withShare;
  if (!start) return false;
  const { shareStore, metadata } = await catchUp(ctx, start);
  if (shareStore.polynomialID !== metadata.latestPolyId()) fail('SHARE_STALE', 'the starting share does not reach the latest polynomial');
  const st = ctx.state;
  st.metadata = metadata;
  st.key = undefined;
  st.poly = undefined;
  st.shares = new Map();
  st.addShare(shareStore);
  st.creating = false;
  st.storageNonce = await ctx.storage.getNonce(accountId(metadata.pubKey));
  return true;
}
