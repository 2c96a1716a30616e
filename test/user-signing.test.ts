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
import { recoverAddress, signingDigest, type SigningRequest } from '../src/signature/index.js';
import { accountEnv, deviceAux, expectCode } from './helpers/account.js';
import { verifyDigest as opensslDigest } from './helpers/openssl-verify.js';
import { nobleVerify } from './helpers/verify-signature.js';
import type { Message } from '../protocols/types.js';

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
