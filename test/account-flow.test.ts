/**
 * Issue 4 item 6, the account flow as an integration test (through the lifecycle API, parties
 * in-process over the simulator transport): keygen 2-of-3 (service 1, device 2, recovery 3) → add
 * a security-answers factor at index 4 → lose the device: recover with recovery + service →
 * refresh removing index 2 → the old device share no longer interpolates with any current share to
 * the key (test only) → public key unchanged throughout → threshold raised to 3-of-4 and back.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../src/bytes.js';
import { scalarFromBytes } from '../src/curve.js';
import { TssAccount } from '../src/client/account.js';
import { FactorKey } from '../src/tss/factor-key.js';
import { seededRng } from '../src/rng.js';
import { accountEnv, assertAccountWorks, assertSigns, deviceAux, durableMetadata, expectCode, factorShare, interpolatesTo, POSTBOX, serviceRecord } from './helpers/account.js';
import { factorEncKey } from '../src/tss/tss-metadata.js';

describe('account flow', () => {
  it('keygen 2-of-3 → security answers at 4 → lose the device → remove index 2 → 3-of-4 and back; same key throughout', async () => {
    const env = accountEnv('flow');
    const { account, deviceFactor, recoveryFactor } = await TssAccount.create({ ...env.opts(), aux: deviceAux(1) });
    const Y = account.publicKey;
    const same = (a: TssAccount) => expect(bytesToHex(a.publicKey)).toBe(bytesToHex(Y));
    expect(account.threshold).toBe(2);
    expect(account.tssNonce).toBe(0);
    expect(account.listFactors().map((f) => [f.tssIndex, f.descriptions[0]!.module])).toEqual([[2, 'deviceShare'], [3, 'seedPhrase']]);
    expect(account.heldIndices).toEqual([2]); // the recovery share left the device only encrypted
    let rec = await serviceRecord(env.shares);
    expect([rec.confirmed!.tssNonce, rec.pending.length]).toEqual([0, 0]);
    expect(account.signingIndices).toEqual([2]); // aux ran with keygen; its secret is in the creation batch
    const auxStore = (await durableMetadata(env.storage)).getGeneralStoreDomain('tssAux:default') as Record<string, { tssIndex: number }>;
    expect(Object.keys(auxStore)).toEqual([factorEncKey(deviceFactor.pubPoint)]); // encrypted to the device factor only
    expect(auxStore[factorEncKey(deviceFactor.pubPoint)]!.tssIndex).toBe(2);
    expect(JSON.stringify(auxStore)).not.toContain(deviceAux(1).key.p.toString(16).slice(0, 32));
    await assertAccountWorks(env, [deviceFactor, recoveryFactor], Y, account);
    const device0 = await factorShare(env.storage, deviceFactor);
    const service0 = scalarFromBytes(rec.confirmed!.share);

    // security-answers factor at a new index 4: a refresh (epoch 1)
    const { factorKey: saKey } = await account.securityAnswerFactor('a blue whale');
    const added = await account.addFactor({ factor: saKey.pub(), tssIndex: 4, module: 'tssSecurityQuestions', securityQuestion: { question: 'favourite animal?' } });
    expect(added).toEqual({ tssNonce: 1, threshold: 2, finalized: true, refreshed: true });
    same(account);
    rec = await serviceRecord(env.shares);
    expect([rec.confirmed!.tssNonce, rec.pending.length]).toEqual([1, 0]); // epoch 0 dropped (phase 2)
    await assertAccountWorks(env, [deviceFactor, recoveryFactor, saKey], Y, account);
    const relogged = await TssAccount.login(env.opts('device-1b'), deviceFactor); // the aux comes back from the metadata
    expect(relogged.signingIndices).toEqual([2]);
    await assertSigns(relogged, Y, 'after re-login');
    const fromAnswer = await TssAccount.securityAnswerFactorKey(env.opts('sa'), 'a blue whale');
    expect(fromAnswer.pubHex).toBe(saKey.pubHex);
    await expectCode(TssAccount.securityAnswerFactorKey(env.opts('sa'), 'a grey whale'), 'WRONG_ANSWER');
    const device1 = await factorShare(env.storage, deviceFactor);
    expect(device1.y).not.toBe(device0.y);

    // lose the device: a new device recovers with the mnemonic + the service
    account.logout();
    const recovered = FactorKey.fromMnemonic(recoveryFactor.toMnemonic());
    const acc2 = await TssAccount.login(env.opts('device-2'), recovered);
    same(acc2);
    expect(acc2.heldIndices).toEqual([3]);
    expect(acc2.signingIndices).toEqual([]); // the recovery share has no aux yet
    await acc2.setupAux(deviceAux(2));
    await assertSigns(acc2, Y, 'recovered device');
    const removed = await acc2.deleteFactor(deviceFactor.pub());
    expect(removed).toEqual({ tssNonce: 2, threshold: 2, finalized: true });
    same(acc2);
    expect(acc2.listFactors().map((f) => f.tssIndex)).toEqual([3, 4]);
    await expectCode(TssAccount.login(env.opts('thief'), deviceFactor), 'FACTOR_UNKNOWN');
    await assertAccountWorks(env, [recoveryFactor, saKey], Y, acc2);

    // the old device shares (epochs 0 and 1) interpolate with no current share to the key (test only)
    rec = await serviceRecord(env.shares);
    expect([rec.confirmed!.tssNonce, rec.pending.length]).toEqual([2, 0]);
    const current = [{ x: 1, y: scalarFromBytes(rec.confirmed!.share) }, await factorShare(env.storage, recoveryFactor), await factorShare(env.storage, saKey)];
    for (const old of [device0, device1]) for (const s of current) expect(interpolatesTo([old, s], Y)).toBe(false);
    expect(interpolatesTo([device0, { x: 1, y: service0 }], Y)).toBe(true); // the reference: old with old did work
    for (const e of [rec.confirmed!, ...rec.pending]) expect(e.tssNonce).toBe(2); // no old service share lingers

    // a device factor for the new device at index 5 (refresh), then 3-of-4 and back
    const newDevice = FactorKey.random(seededRng('flow/new-device'));
    await acc2.addFactor({ factor: newDevice, tssIndex: 5, module: 'deviceShare' });
    expect(acc2.heldIndices).toEqual([3, 5]);
    const up = await acc2.changeThreshold(3);
    expect(up).toEqual({ tssNonce: 4, threshold: 3, finalized: true });
    same(acc2);
    await assertAccountWorks(env, [recoveryFactor, saKey, newDevice], Y); // any 3 of {1,3,4,5}, no 2 (interpolation only)
    await expectCode(acc2.sign({ personalMessage: 'threshold 3' }), 'AUX_MISSING'); // t = 3: a signer group's aux first (test/user-signing.test.ts)
    await expectCode(acc2.sign({ personalMessage: 'threshold 3' }, { index: 3 }), 'OUT_OF_RANGE'); // {index} is the t = 2 path
    const down = await acc2.changeThreshold(2);
    expect(down).toEqual({ tssNonce: 5, threshold: 2, finalized: true });
    same(acc2);
    await assertAccountWorks(env, [recoveryFactor, saKey, newDevice], Y, acc2);
    const again = await TssAccount.login(env.opts('device-3'), newDevice);
    same(again);
    expect(again.tssNonce).toBe(5);
    await again.setupAux(deviceAux(3));
    await assertSigns(again, Y, 'new device');
    const viaRecovery = await TssAccount.login(env.opts('device-4'), recoveryFactor);
    expect(viaRecovery.signingIndices).toEqual([3]); // aux for index 3 survived three refreshes
    await assertSigns(viaRecovery, Y, 'recovery again');
  });

  it("the service's aux key is long-lived: two accounts on one service are proven with the same N and both sign", async () => {
    const env = accountEnv('two-accounts');
    const one = await TssAccount.create({ ...env.opts('one'), aux: deviceAux(1) });
    const two = await TssAccount.create({ ...env.opts('two'), postboxKey: POSTBOX.map((b) => b ^ 1), aux: deviceAux(2) });
    const groups = [];
    for (const k of await env.shares.accounts()) groups.push((await env.shares.get(k))!.aux!.find((a) => a.index === 2)!);
    expect(groups).toHaveLength(2);
    const serviceN = groups.map((g) => g.parties.find((p) => p.id === 1)!.N);
    expect(serviceN[0]).toBe(serviceN[1]);
    expect(groups[0]!.parties.find((p) => p.id === 2)!.N).not.toBe(groups[1]!.parties.find((p) => p.id === 2)!.N);
    await assertSigns(one.account, one.account.publicKey, 'account one');
    await assertSigns(two.account, two.account.publicKey, 'account two');
  });
});
