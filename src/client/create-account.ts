/**
 * Create an account: a new tKey v1 metadata key (2-of-2: postbox/service-provider share + the
 * non-index-1 share every factor record holds) and a new TSS key by keygen 2-of-3 — service
 * (party 1, index 1) and device (party 2, owning index 2 = device factor and index 3 = recovery
 * factor). The recovery share leaves the device only encrypted to the recovery factor key. The
 * device and recovery factorEncs (`direct`), their descriptions, their tKey factor records and the
 * service checkpoint go out in ONE metadata batch (ThresholdKey manual sync); then the service
 * confirms its keygen share (phase 2). Until that batch lands nothing of the account exists.
 * @module
 */
import { bytesToHex, wipe } from '../bytes.js';
import { decodeRecord, recordAddress } from '../metadata/record.js';
import { ShareStore } from '../metadata/share-store.js';
import { fail } from '../errors.js';
import { sameEpoch } from './checkpoint.js';
import { checkpointOf } from './shares.js';
import { ThresholdKey } from '../metadata/threshold-key.js';
import { buildInitialTss } from '../tss/factor-ops.js';
import { factorDescriptionJSON } from '../tss/factor-descriptions.js';
import { FactorKey, factorPubPoint } from '../tss/factor-key.js';
import { factorEncKey } from '../tss/tss-metadata.js';
import { TssShare } from '../tss/tss-share.js';
import { newAccountSalt } from '../tss/account-index.js';
import { pointFromBytes } from '../curve.js';
import { keygen } from '../../protocols/keygen/index.js';
import { envOf, type ClientOptions, type Core } from './core.js';
import { DEVICE_PARTY, DeviceParty } from './device-party.js';
import { commitOps, queueChange } from './metadata-ops.js';
import { SERVICE_INDEX, SERVICE_PARTY } from './service-party.js';
import { finalize } from './two-phase.js';
import { runAux } from './signing.js';
import { sealAuxFor } from './aux-store.js';
import type { AuxInput } from '../../protocols/aux/index.js';
import type { AuxInfo } from '../../protocols/aux/types.js';

export const DEVICE_INDEX = 2;
export const RECOVERY_INDEX = 3;

export interface CreateAccountOptions extends ClientOptions {
  /** The device factor key (default: a fresh random one). Keep it in the device's keychain. */
  deviceFactor?: FactorKey;
  /** The recovery factor key (default: a fresh random one; `toMnemonic()` gives the 24 words). */
  recoveryFactor?: FactorKey;
  /**
   * The device's prepared aux input (`prepareAuxInput`): when given, aux info with the service runs
   * right after keygen and the device's aux secret goes into the creation batch, encrypted to the
   * device factor — the account can sign at once.
   */
  aux?: AuxInput;
}

export interface CreatedAccount {
  core: Core;
  deviceFactor: FactorKey;
  recoveryFactor: FactorKey;
}

export async function createAccountCore(opts: CreateAccountOptions): Promise<CreatedAccount> {
  const env = envOf(opts);
  const deviceFactor = opts.deviceFactor ?? FactorKey.random(env.rng);
  const recoveryFactor = opts.recoveryFactor ?? FactorKey.random(env.rng);
  if (!(deviceFactor instanceof FactorKey) || !(recoveryFactor instanceof FactorKey)) fail('INVALID_ARGUMENT', 'deviceFactor, recoveryFactor: expected FactorKeys');
  if (factorEncKey(deviceFactor.pubPoint) === factorEncKey(recoveryFactor.pubPoint)) fail('FACTOR_EXISTS', 'the device and recovery factors are the same key');

  const tk = new ThresholdKey({ storage: env.storage, postboxKey: env.postboxKey, manualSync: true, rng: env.rng, now: env.now });
  const init = await tk.initialize();
  if (!init.created) fail('ACCOUNT_EXISTS', 'an account already exists for this postbox key; log in with a factor');
  const metadataPub = init.details.pubKey;
  const core: Core = { ...env, tk, device: new DeviceParty(), metadataPub, heldFactors: new Map(), finalizePending: false };
  const ref = { metadataPub, tssTag: env.tssTag };

  const parties = [
    { id: SERVICE_PARTY, owns: [SERVICE_INDEX] },
    { id: DEVICE_PARTY, owns: [DEVICE_INDEX, RECOVERY_INDEX] },
  ];
  // our part of the session id; the service answers with the joint sid the session runs under
  const svc = await env.service.keygenParticipant(ref, { sid: env.rng.bytes(32), parties, threshold: 2 });
  const dev = core.device.keygenParticipant([DEVICE_INDEX, RECOVERY_INDEX], env.rng);
  try {
    await env.transport.run({ protocol: keygen, sid: svc.session.sid, threshold: 2, participants: [svc, dev] });
  } catch (e) {
    core.device.dropStaged();
    throw e;
  }
  const out = core.device.staged!;
  const now = env.now();
  let aux: AuxInfo | undefined;
  if (opts.aux) {
    try {
      aux = await runAux(core, opts.aux, DEVICE_INDEX);
    } catch (e) {
      core.device.dropStaged();
      throw e;
    }
  }
  try {
    const state = buildInitialTss({
      tssTag: env.tssTag,
      commitments: out.commitments.map((b) => pointFromBytes(b)),
      shares: [...out.shares].map(([i, v]) => TssShare.fromBytes(i, v)),
      factors: [
        { factorPub: deviceFactor.pubPoint, tssIndex: DEVICE_INDEX },
        { factorPub: recoveryFactor.pubPoint, tssIndex: RECOVERY_INDEX },
      ],
      rng: env.rng,
    });
    await queueChange(tk, {
      name: 'createAccount',
      tssTag: env.tssTag,
      expect: null,
      next: () => state,
      newFactors: [deviceFactor.pubPoint, recoveryFactor.pubPoint],
      factorKeys: [deviceFactor.scalar(), recoveryFactor.scalar()],
      descriptions: [
        { factorPub: deviceFactor.pubPoint, description: factorDescriptionJSON({ module: 'deviceShare', dateAdded: now, tssShareIndex: DEVICE_INDEX }) },
        { factorPub: recoveryFactor.pubPoint, description: factorDescriptionJSON({ module: 'seedPhrase', dateAdded: now, tssShareIndex: RECOVERY_INDEX }) },
      ],
      ...(aux ? { aux: new Map([[factorEncKey(deviceFactor.pubPoint), sealAuxFor(aux, deviceFactor.pubPoint, env.rng)]]) } : {}),
      servicePub: factorPubPoint(env.service.identityPub, 'service.identityPub'),
      derivation: { accountSalt: newAccountSalt(env.rng), chainCode: out.chainCode!, seed: env.rng.bytes(32) },
    });
    await commitOps(tk, 1);
  } catch (e) {
    if (!(await landedAnyway(core, out, deviceFactor))) {
      core.device.dropStaged();
      await tk.reload({ discardPending: true }).catch(() => undefined);
      throw e;
    }
  }
  // phase 2: the account is durable; the recovery share leaves memory, the service confirms
  core.device.commitStaged([DEVICE_INDEX]);
  if (aux) core.device.holdAux(aux, true);
  core.heldFactors.set(factorEncKey(deviceFactor.pubPoint), DEVICE_INDEX);
  await finalize(core);
  return { core, deviceFactor, recoveryFactor };
}

/**
 * The creation batch failed to acknowledge: did it land anyway (the account exists with our
 * commitments)? Then continue on a fresh instance loaded from storage (the creating one cannot be
 * rebased), unlocked with the device factor's tKey record.
 */
async function landedAnyway(core: Core, out: { tssNonce: number; commitments: Uint8Array[] }, deviceFactor: FactorKey): Promise<boolean> {
  try {
    if ((await core.storage.getNonce(bytesToHex(core.metadataPub))) === null) return false;
    const tk = new ThresholdKey({ storage: core.storage, postboxKey: core.postboxKey, manualSync: true, rng: core.rng, now: core.now });
    await tk.initialize({ neverInitializeNewKey: true });
    const m = tk.getMetadata();
    if (!m.pubKey.equals(pointFromBytes(core.metadataPub)) || !sameEpoch(checkpointOf(m, core.tssTag), { tssNonce: out.tssNonce, commitments: out.commitments })) return false;
    const value = await core.storage.get(recordAddress(deviceFactor.pubPoint));
    if (value === undefined) return false;
    await tk.inputShareStore(ShareStore.fromJSON(decodeRecord(deviceFactor.scalar(), value)));
    wipe(await tk.reconstructKey());
    core.tk = tk;
    return true;
  } catch {
    return false;
  }
}
