/**
 * Issue 14 items 1, 2, 4: signing with t of the user's own shares, no service. The device holds a
 * factor of each signer index, aux info among those indices is set up once and sealed to their
 * factors, and every signer set signs an ordinary ECDSA signature (noble, OpenSSL `pkeyutl`,
 * Ethereum address recovery) — with the service unreachable (a connection that throws on any
 * call), at 2-of-3 and at 3-of-5. A tampered partial signature names its sender.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, utf8ToBytes } from '../src/bytes.js';
import { TssAccount } from '../src/client/account.js';
import type { ServiceConnection } from '../src/client/service-api.js';
import type { Signature } from '../src/client/signing.js';
import { SimulatorTransport } from '../src/client/transport.js';
import { ProtocolAbort } from '../src/errors.js';
import { FactorKey } from '../src/tss/factor-key.js';
import { seededRng } from '../src/rng.js';
import { recoverAddress, signingDigest, type SigningRequest } from '../src/signature/index.js';
import { accountEnv, deviceAux, expectCode } from './helpers/account.js';
import { verifyDigest as opensslDigest } from './helpers/openssl-verify.js';
import { nobleVerify } from './helpers/verify-signature.js';
import type { Message } from '../protocols/types.js';
import { createNodePartyHost } from '../workers/node.js';
import { WorkerPartyTransport } from '../workers/transport.js';

/** A service connection that throws on any call (and on reading any property but the shape check's). */
function unreachableService(): { connection: ServiceConnection; calls: string[] } {
  const calls: string[] = [];
  const connection = new Proxy({} as ServiceConnection, {
    get(_t, prop) {
      if (prop === 'then' || typeof prop === 'symbol') return undefined;
      return (..._args: unknown[]) => {
        calls.push(String(prop));
        throw new Error(`the service is unreachable (${String(prop)})`);
      };
    },
  });
  return { connection, calls };
}

function checkSignature(sig: Signature, request: SigningRequest, publicKey: Uint8Array, address: string): void {
  const { digest } = signingDigest(request);
  expect(bytesToHex(sig.digest)).toBe(bytesToHex(digest));
  expect(bytesToHex(sig.publicKey)).toBe(bytesToHex(publicKey));
  expect(nobleVerify(digest, sig.signature, publicKey), 'noble').toBe(true);
  const r = BigInt('0x' + bytesToHex(sig.r));
  const s = BigInt('0x' + bytesToHex(sig.s));
  expect(opensslDigest(digest, r, s, publicKey), 'openssl pkeyutl').toBe(true);
  expect(recoverAddress(digest, r, s, sig.v)).toBe(address);
}

describe('signing without the service', () => {
  it('device + recovery sign a 2-of-3 account with the service unreachable; aux set up once, sealed to the factors; pool bound to the signer set', async () => {
    const env = accountEnv('user-only');
    const { account, deviceFactor, recoveryFactor } = await TssAccount.create({ ...env.opts(), aux: deviceAux(1) });
    const Y = account.publicKey;
    const address = account.address;

    const off = unreachableService();
    const acc = await TssAccount.login({ ...env.opts('offline'), service: off.connection }, deviceFactor);
    expect(off.calls).toEqual(['finalize']); // login tried phase 2 once and went on
    expect(acc.finalizePending).toBe(true);
    await expectCode(acc.sign({ personalMessage: 'x' }, { signers: [2, 3] }), 'NOT_ENOUGH_SHARES'); // index 3 not held
    await acc.unlockFactor(recoveryFactor);
    await expectCode(acc.sign({ personalMessage: 'x' }, { signers: [2, 3] }), 'AUX_MISSING');
    await expectCode(acc.sign({ personalMessage: 'x' }, { signers: [2] }), 'OUT_OF_RANGE'); // t = 2
    await expectCode(acc.sign({ personalMessage: 'x' }, { signers: [2, 3, 4] }), 'OUT_OF_RANGE');
    await expectCode(acc.sign({ personalMessage: 'x' }, { signers: [2, 2] }), 'INVALID_ARGUMENT');
    await expectCode(acc.sign({ personalMessage: 'x' }, { signers: [2, 3], index: 2 }), 'INVALID_ARGUMENT');
    await expectCode(acc.setupUserAux([deviceAux(2)]), 'INVALID_ARGUMENT'); // one input per index

    const group = await acc.setupUserAux([deviceAux(2), deviceAux(3)]);
    expect(group).toBe('2,3');
    const req: SigningRequest = { personalMessage: 'device + recovery, no service' };
    const sig = await acc.sign(req, { signers: [3, 2] });
    checkSignature(sig, req, Y, address);
    expect(sig.presigned).toBe(false);

    // the pool: bound to {key, epoch, signers [2, 3], shift, profile}
    expect(await acc.presign(2, { signers: [2, 3] })).toBe(2);
    const pooled = await acc.sign({ message: utf8ToBytes('pooled') }, { signers: [2, 3] });
    expect(pooled.presigned).toBe(true);
    checkSignature(pooled, { message: utf8ToBytes('pooled') }, Y, address);
    expect(await acc.presignPool.count()).toBe(1);
    // a derived key signs too (its own binding)
    const derived = await acc.sign({ personalMessage: 'derived' }, { signers: [2, 3], bip32Path: 'm/0/1' });
    checkSignature(derived, { personalMessage: 'derived' }, acc.publicKeyOf({ bip32Path: 'm/0/1' }), acc.addressOf({ bip32Path: 'm/0/1' }));
    expect(off.calls).toEqual(['finalize']); // nothing else ever reached for

    // another device, recovery first: the aux comes from the metadata, sealed to each factor
    const off2 = unreachableService();
    const other = await TssAccount.login({ ...env.opts('other'), service: off2.connection }, recoveryFactor);
    await other.unlockFactor(deviceFactor);
    checkSignature(await other.sign(req, { signers: [2, 3] }), req, Y, address);

    // a refresh with the service keeps the user aux (it is not bound to the epoch); old shares are refused
    await account.refresh();
    await expectCode(acc.sign(req, { signers: [2, 3] }), 'ACCOUNT_STATE_CHANGED');
    const after = await TssAccount.login({ ...env.opts('after'), service: unreachableService().connection }, deviceFactor);
    await after.unlockFactor(recoveryFactor);
    checkSignature(await after.sign(req, { signers: [2, 3] }), req, Y, address);
    expect(after.tssNonce).toBe(1);
  });

  it('a tampered partial signature on the user-only path names its sender', async () => {
    const env = accountEnv('user-tamper');
    const { account, deviceFactor, recoveryFactor } = await TssAccount.create({ ...env.opts(), aux: deviceAux(1) });
    await account.unlockFactor(recoveryFactor);
    await account.setupUserAux([deviceAux(2), deviceAux(3)]);
    let armed = false;
    const deliver = (m: Message, to: number): Message | null => {
      if (!armed || m.protocol !== 'sign' || m.from !== 3 || to !== 2) return m;
      const p = m.payload as { sigma: Uint8Array };
      const sigma = Uint8Array.from(p.sigma);
      sigma[31]! ^= 1;
      return { ...m, payload: { ...p, sigma } };
    };
    const acc = await TssAccount.login({ ...env.opts('t2'), localTransport: new SimulatorTransport({ deliver }) }, recoveryFactor);
    await acc.unlockFactor(deviceFactor);
    armed = true;
    let err: unknown;
    try {
      await acc.sign({ personalMessage: 'tampered' }, { signers: [2, 3] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProtocolAbort);
    expect((err as ProtocolAbort).culprits).toEqual([3]);
    expect(await acc.presignPool.count()).toBe(0); // the presignature was burned
    armed = false;
    checkSignature(await acc.sign({ personalMessage: 'clean' }, { signers: [2, 3] }), { personalMessage: 'clean' }, acc.publicKey, acc.address);
  });
});

/** Every k-subset of `xs`. */
function subsets(xs: readonly number[], k: number): number[][] {
  if (k === 0) return [[]];
  if (xs.length < k) return [];
  const [h, ...rest] = xs;
  return [...subsets(rest, k - 1).map((s) => [h!, ...s]), ...subsets(rest, k)];
}

/** A 3-of-5 account (service 1, device 2, recovery 3, security answers 4, second device 5) by refreshes from 2-of-3; the device holds 2..5. */
async function threeOfFive(seed: string) {
  const env = accountEnv(seed);
  const { account, deviceFactor, recoveryFactor } = await TssAccount.create({ ...env.opts(), aux: deviceAux(1) });
  await account.unlockFactor(recoveryFactor);
  const { factorKey: sa } = await account.securityAnswerFactor('first pet');
  await account.addFactor({ factor: sa, tssIndex: 4, module: 'tssSecurityQuestions', securityQuestion: { question: 'first pet?' } });
  const device2 = FactorKey.random(seededRng(`${seed}/device2`));
  await account.addFactor({ factor: device2, tssIndex: 5, module: 'deviceShare' });
  expect(await account.changeThreshold(3)).toEqual({ tssNonce: 3, threshold: 3, finalized: true });
  expect(account.heldIndices).toEqual([2, 3, 4, 5]);
  return { env, account, deviceFactor, recoveryFactor, sa, device2, Y: account.publicKey, address: account.address };
}

describe('signing without the service, in workers', () => {
  it('device + recovery: each party in its own worker (WorkerPartyTransport), the service unreachable', async () => {
    const env = accountEnv('user-workers');
    const { account, deviceFactor, recoveryFactor } = await TssAccount.create({ ...env.opts(), aux: deviceAux(1) });
    const hosts = await Promise.all([createNodePartyHost(), createNodePartyHost()]);
    try {
      const off = unreachableService();
      const acc = await TssAccount.login({ ...env.opts('workers'), service: off.connection, localTransport: new WorkerPartyTransport(hosts) }, deviceFactor);
      await acc.unlockFactor(recoveryFactor);
      await acc.setupUserAux([deviceAux(2), deviceAux(3)], { indices: [2, 3] });
      const req: SigningRequest = { personalMessage: 'two workers, no service' };
      checkSignature(await acc.sign(req, { signers: [2, 3] }), req, account.publicKey, account.address);
      expect(await acc.presign(1, { signers: [2, 3] })).toBe(1);
      const pooled = await acc.sign(req, { signers: [2, 3] });
      expect(pooled.presigned).toBe(true);
      checkSignature(pooled, req, account.publicKey, account.address);
      expect(off.calls).toEqual(['finalize']);
    } finally {
      await Promise.all(hosts.map((h) => h.terminate()));
    }
  }, 300_000);
});

describe('any t of n in the client', () => {
  it('2-of-3 → 3-of-5 → 2-of-4 by refresh: every user-only signer set signs after each step (OpenSSL verifies), also with the service unreachable; old shares refused', { timeout: 600_000 }, async () => {
    const { env, account, deviceFactor, recoveryFactor, sa, device2, Y, address } = await threeOfFive('user-3of5');
    expect(await account.setupUserAux([deviceAux(4), deviceAux(5), deviceAux(6), deviceAux(7)])).toBe('2,3,4,5');

    // 3-of-5: every user-only signer set, the device acting for three indices
    const sets = subsets([2, 3, 4, 5], 3);
    expect(sets).toHaveLength(4);
    for (const signers of sets) {
      const req: SigningRequest = { personalMessage: `3-of-5 by {${signers.join(', ')}}` };
      checkSignature(await account.sign(req, { signers }), req, Y, address);
    }
    await expectCode(account.sign({ personalMessage: 'two' }, { signers: [2, 3] }), 'OUT_OF_RANGE'); // t = 3 now
    await expectCode(account.sign({ personalMessage: 'two' }, { signers: [1, 2] }), 'OUT_OF_RANGE');
    await expectCode(account.sign({ personalMessage: 'x' }, { signers: [1, 2, 3] }), 'AUX_MISSING'); // no group with the service yet
    await expectCode(account.sign({ personalMessage: 'x' }), 'AUX_MISSING');

    // with the service unreachable: device + recovery + security answers, aux from the metadata
    const off = unreachableService();
    const offline = await TssAccount.login({ ...env.opts('offline'), service: off.connection }, deviceFactor);
    await offline.unlockFactor(recoveryFactor);
    await offline.unlockFactor(sa);
    const req: SigningRequest = { message: utf8ToBytes('service stopped') };
    checkSignature(await offline.sign(req, { signers: [2, 3, 4] }), req, Y, address);
    expect(off.calls).toEqual(['finalize']);

    // → 2-of-4: drop the second device (index 5), then threshold 2
    await account.deleteFactor(device2.pub());
    expect(await account.changeThreshold(2)).toEqual({ tssNonce: 5, threshold: 2, finalized: true });
    expect(account.heldIndices).toEqual([2, 3, 4]);
    await expectCode(offline.sign(req, { signers: [2, 3] }), 'ACCOUNT_STATE_CHANGED'); // its shares are of epoch 3
    for (const signers of subsets([2, 3, 4], 2)) {
      const r2: SigningRequest = { personalMessage: `2-of-4 by {${signers.join(', ')}}` };
      checkSignature(await account.sign(r2, { signers }), r2, Y, address); // the group 2,3,4,5 still serves
    }
    checkSignature(await account.sign(req), req, Y, address); // and with the service
    await expectCode(TssAccount.login(env.opts('thief'), device2), 'FACTOR_UNKNOWN');
  });

  it('3-of-5 with the service: one aux group {1, 2, 3, 4, 5} serves every set {1, a, b}; the default set; a pooled presignature', { timeout: 600_000 }, async () => {
    const { env, account, Y, address } = await threeOfFive('service-3of5');
    expect(await account.setupUserAux([deviceAux(4), deviceAux(5), deviceAux(6), deviceAux(7)], { withService: true })).toBe('1,2,3,4,5');
    const withService = subsets([2, 3, 4, 5], 2).map((s) => [1, ...s]);
    expect(withService).toHaveLength(6);
    for (const signers of withService) {
      const req: SigningRequest = { personalMessage: `3-of-5 by {${signers.join(', ')}}` };
      checkSignature(await account.sign(req, { signers }), req, Y, address);
    }
    checkSignature(await account.sign({ personalMessage: 'default set' }), { personalMessage: 'default set' }, Y, address); // {1, 2, 3}
    expect(await account.presign(1, { signers: [1, 4, 5] })).toBe(1);
    // the pooled sign with the service makes no nonce round trip: the request carries the nonce the held state was loaded at
    const getNonce = env.storage.getNonce.bind(env.storage);
    let nonceTrips = 0;
    env.storage.getNonce = (acc: string) => (nonceTrips++, getNonce(acc));
    const pooled = await account.sign({ personalMessage: 'pooled' }, { signers: [5, 1, 4] });
    env.storage.getNonce = getNonce;
    expect(nonceTrips, "one read: the service's own (it compares the request's nonce with it); none by the device").toBe(1);
    expect(pooled.presigned).toBe(true);
    checkSignature(pooled, { personalMessage: 'pooled' }, Y, address);
    await expectCode(account.sign({ personalMessage: 'x' }, { signers: [2, 3, 4] }), 'AUX_MISSING'); // no user-only group here
  });
});
