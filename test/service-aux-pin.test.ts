/**
 * Issue 9 item 7 (aux loaded from metadata): the aux info a device loads from the metadata is
 * signed only by the metadata key, so a writer holding k_m can substitute the service's modulus and
 * ring-Pedersen parameters in it. The device pins the service's aux key — the operator's published
 * fingerprint (`serviceAuxPin`), else the keys it verified in its own aux sessions — and refuses
 * to presign with another one (SERVICE_AUX_MISMATCH) before anything is sent.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, wipe } from '../src/bytes.js';
import { pointFromBytes } from '../src/curve.js';
import { modPow } from '../src/bigint/modexp.js';
import { TssAccount } from '../src/client/account.js';
import { openAux, sealAuxFor } from '../src/client/aux-store.js';
import { commitOps, queueChange } from '../src/client/metadata-ops.js';
import { checkpointOf } from '../src/client/shares.js';
import { serviceAuxFingerprint } from '../src/client/service-aux-pin.js';
import { SimulatorTransport } from '../src/client/transport.js';
import { isTkeyTssError, type TkeyTssError } from '../src/errors.js';
import { decodeRecord, recordAddress } from '../src/metadata/record.js';
import { ShareStore } from '../src/metadata/share-store.js';
import { ThresholdKey } from '../src/metadata/threshold-key.js';
import { seededRng } from '../src/rng.js';
import type { FactorKey } from '../src/tss/factor-key.js';
import { factorEncKey } from '../src/tss/tss-metadata.js';
import { DEFAULT_TSS_TAG } from '../src/tss/tss-tag.js';
import type { AuxInfo } from '../protocols/aux/types.js';
import { accountEnv, deviceAux, expectCode, type AccountEnv } from './helpers/account.js';
import { testPaillierKey } from './helpers/test-primes.js';
import { NOW, POSTBOX } from './helpers/tkey.js';

const TAG = DEFAULT_TSS_TAG;

/** A writer holding k_m (reconstructed with `factor`) rewrites the aux entry of `factor` with the service's key substituted. */
async function substituteServiceAux(env: AccountEnv, factor: FactorKey, index: number): Promise<void> {
  const tk = new ThresholdKey({ storage: env.storage, postboxKey: POSTBOX, manualSync: true, rng: seededRng('attacker'), now: NOW });
  await tk.initialize({ neverInitializeNewKey: true });
  const value = await env.storage.get(recordAddress(factor.pubPoint));
  await tk.inputShareStore(ShareStore.fromJSON(decodeRecord(factor.scalar(), value!)));
  wipe(await tk.reconstructKey());
  const m = tk.getMetadata();
  const aux = openAux(m, TAG, factor, index)!;
  // another valid-looking ring-Pedersen triple on a modulus whose factors the writer knows
  const k = testPaillierKey(6);
  const N = k.p * k.q;
  const t = modPow(123456789n, 2n, N);
  const fake: AuxInfo = { ...aux, parties: aux.parties.map((p) => (p.id === 1 ? { id: 1, N, s: modPow(t, 65537n, N), t } : p)) };
  await queueChange(tk, {
    name: 'substitute-service-aux',
    tssTag: TAG,
    expect: checkpointOf(m, TAG),
    next: (now) => now!,
    aux: new Map([[factorEncKey(factor.pubPoint), sealAuxFor(fake, factor.pubPoint, seededRng('attacker/ecies'))]]),
    servicePub: pointFromBytes(env.service.identityPub),
  });
  await commitOps(tk);
}

/** Client options with a transport that counts the service's sessions. */
function counted(env: AccountEnv, seed: string, extra: { serviceAuxPin?: Uint8Array } = {}) {
  const sessions: string[] = [];
  const transport = new SimulatorTransport({ hooks: (party, protocol) => void (party === 1 && sessions.push(protocol)) });
  return { sessions, opts: { storage: env.storage, postboxKey: POSTBOX, service: env.service, transport, rng: seededRng(seed), now: NOW, ...extra } };
}

async function mismatch(p: Promise<unknown>): Promise<TkeyTssError> {
  const e = await p.then(
    () => expect.fail('expected SERVICE_AUX_MISMATCH'),
    (x: unknown) => x,
  );
  expect(isTkeyTssError(e, 'SERVICE_AUX_MISMATCH'), String(e)).toBe(true);
  return e as TkeyTssError;
}

describe('the device pins the service aux key', () => {
  it('a substituted service modulus in the metadata is refused before presign, with the published pin or a verified one', async () => {
    const env = accountEnv('aux-pin');
    const { account, deviceFactor, recoveryFactor } = await TssAccount.create({ ...env.opts(), aux: deviceAux(1) });
    const pin = env.service.auxFingerprint!;
    expect(pin).toHaveLength(32);

    // untampered: a fresh login with the pin signs
    const ok = counted(env, 'aux-pin/ok', { serviceAuxPin: pin });
    const fresh = await TssAccount.login(ok.opts, deviceFactor);
    await fresh.sign({ personalMessage: 'pinned, genuine' });
    expect(ok.sessions).toEqual(['presign']); // the sign itself is one request (signOnline), no session

    await substituteServiceAux(env, deviceFactor, 2);

    // 1) the published pin: refused before anything is sent
    const a = counted(env, 'aux-pin/a', { serviceAuxPin: pin });
    const pinned = await TssAccount.login(a.opts, deviceFactor);
    const e = await mismatch(pinned.sign({ personalMessage: 'substituted' }));
    expect(e.kind).toBe('InvalidInput');
    expect(e.details).toMatchObject({ index: 2, pinned: bytesToHex(pin) });
    await mismatch(pinned.presign(1));
    expect(a.sessions, 'no session ran').toEqual([]);
    expect(await pinned.presignPool.count({ publicKey: pinned.publicKey, epoch: pinned.tssNonce, signers: [1, 2], shift: new Uint8Array(32), profile: 'default' })).toBe(0);

    // 2) no configured pin: the key this device verified in its own aux session (index 3) pins it
    const b = counted(env, 'aux-pin/b');
    const recovered = await TssAccount.login(b.opts, recoveryFactor);
    await recovered.setupAux(deviceAux(2)); // verified: Πmod, Πprm, Πfac of the service's key
    await recovered.unlockFactor(deviceFactor); // index 2's aux comes from the (substituted) metadata
    const before = b.sessions.length;
    await mismatch(recovered.sign({ personalMessage: 'substituted' }, { index: 2 }));
    expect(b.sessions.length, 'no session ran').toBe(before);
    await recovered.sign({ personalMessage: 'verified index' }, { index: 3 });

    // 3) re-running aux for the index replaces the substituted entry: signing works again with the pin
    await recovered.setupAux(deviceAux(3), { index: 2 });
    const c = counted(env, 'aux-pin/c', { serviceAuxPin: pin });
    const repaired = await TssAccount.login(c.opts, deviceFactor);
    await repaired.sign({ personalMessage: 'repaired' });
    expect(account.publicKey).toEqual(repaired.publicKey);
  }, 180_000);

  it('a pin of another key refuses the genuine aux; the pin is 32 bytes; the fingerprint covers profile, N, s and t', async () => {
    const env = accountEnv('aux-pin-2');
    const { deviceFactor } = await TssAccount.create({ ...env.opts(), aux: deviceAux(1) });
    const wrong = counted(env, 'aux-pin-2/w', { serviceAuxPin: new Uint8Array(32).fill(1) });
    const acc = await TssAccount.login(wrong.opts, deviceFactor);
    await mismatch(acc.sign({ personalMessage: 'x' }));
    expect(wrong.sessions).toEqual([]);
    await expectCode(TssAccount.login(counted(env, 'aux-pin-2/l', { serviceAuxPin: new Uint8Array(31) }).opts, deviceFactor), 'INVALID_LENGTH');

    const base = { N: 1000003n * 1000033n, s: 5n, t: 7n };
    const fp = bytesToHex(serviceAuxFingerprint('default', base));
    for (const v of [serviceAuxFingerprint('high', base), serviceAuxFingerprint('default', { ...base, N: base.N + 2n }), serviceAuxFingerprint('default', { ...base, s: 6n }), serviceAuxFingerprint('default', { ...base, t: 8n })])
      expect(bytesToHex(v)).not.toBe(fp);
  }, 120_000);
});
