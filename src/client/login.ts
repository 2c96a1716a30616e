/**
 * Log in with a factor: postbox key → service-provider tKey share → metadata; factor key → its
 * tKey factor record (the non-index-1 tKey share) → metadata key k_m; factor key → its factorEnc →
 * the TSS share, checked on the current commitments. A factor that was deleted (or never added)
 * is refused with `FACTOR_UNKNOWN` before anything else is read. The service is then asked to
 * reconcile (phase 2 of an interrupted refresh); if it is unreachable the login still succeeds
 * (the device can sign with two user factors without it).
 * @module
 */
import { fail } from '../errors.js';
import { decodeRecord, isShareDeletedMarker, recordAddress } from '../metadata/record.js';
import { ShareStore } from '../metadata/share-store.js';
import { ThresholdKey } from '../metadata/threshold-key.js';
import { wipe } from '../bytes.js';
import { asFactorKey, type FactorKey } from '../tss/factor-key.js';
import { factorEncKey, getFactorEnc, getTssShare } from '../tss/tss-metadata.js';
import { envOf, type ClientOptions, type Core } from './core.js';
import { DeviceParty } from './device-party.js';
import { openAux } from './aux-store.js';
import { finalize } from './two-phase.js';
import { holdUserAuxOf } from './user-signing.js';

/** Unlock one more factor on a loaded account: hold its TSS share. Returns its index. */
export async function unlockFactor(c: Core, factorKey: FactorKey): Promise<number> {
  const key = asFactorKey(factorKey);
  const metadata = c.tk.getMetadata();
  getFactorEnc(metadata, c.tssTag, key.pubPoint); // FACTOR_UNKNOWN for a deleted or foreign factor
  if (!c.tk.isReconstructed) {
    const value = await c.storage.get(recordAddress(key.pubPoint));
    if (value === undefined) fail('NOT_FOUND', 'the factor has no tKey factor record');
    const content = decodeRecord(key.scalar(), value);
    if (isShareDeletedMarker(content)) fail('FACTOR_UNKNOWN', 'the factor was deleted');
    await c.tk.inputShareStore(ShareStore.fromJSON(content));
    wipe(await c.tk.reconstructKey());
  }
  const metadataNow = c.tk.getMetadata();
  const share = getTssShare(metadataNow, c.tssTag, key);
  const aux = openAux(metadataNow, c.tssTag, key, share.index);
  c.device.hold(share);
  if (aux) c.device.holdAux(aux);
  holdUserAuxOf(c, key, share.index);
  c.heldFactors.set(factorEncKey(key.pubPoint), share.index);
  return share.index;
}

export async function loginCore(opts: ClientOptions, factorKey: FactorKey): Promise<Core> {
  const env = envOf(opts);
  const key = asFactorKey(factorKey);
  const tk = new ThresholdKey({ storage: env.storage, postboxKey: env.postboxKey, manualSync: true, rng: env.rng, now: env.now });
  const init = await tk.initialize({ neverInitializeNewKey: true });
  const core: Core = { ...env, tk, device: new DeviceParty(), metadataPub: init.details.pubKey, heldFactors: new Map(), finalizePending: false };
  try {
    await unlockFactor(core, key);
  } catch (e) {
    core.device.wipeAll();
    throw e;
  }
  await finalize(core);
  return core;
}

