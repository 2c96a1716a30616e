/**
 * Issue 6 item 3: the client sign API. Every request kind is hashed by the library, signed by
 * device + service, and verified three ways (noble, OpenSSL — node:crypto for SHA-256 messages,
 * `openssl pkeyutl` on the keccak digests — and Ethereum address recovery); raw digests only with
 * the opt-in; the presignature pool is used, single use, and pruned after a refresh; `exportKey`
 * assembles the key from t user factors only.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes, utf8ToBytes } from '../src/bytes.js';
import { mulG, pointFromBytes, scalarFromBytes } from '../src/curve.js';
import { TssAccount } from '../src/client/account.js';
import { keccak256, sha256 } from '../src/hash.js';
import { ethAddress, fromCompact65, fromDer, recoverAddress, signingDigest, type SigningRequest } from '../src/signature/index.js';
import { accountEnv, deviceAux, expectCode, factorShare, interpolatesTo } from './helpers/account.js';
import { verifyDigest as opensslDigest, verifyMessageSha256 } from './helpers/openssl-verify.js';
import { nobleVerify } from './helpers/verify-signature.js';
import type { Signature } from '../src/client/signing.js';
import { mail } from './helpers/eip712-mail.js';

// an unsigned EIP-155 legacy transaction (EIP-155's example: nonce 9, 20 gwei, 21000 gas, chainId 1)
const legacyTx = hexToBytes('ec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080');

/** Every form of the signature verifies under the account key, with noble, OpenSSL and address recovery. */
function checkSignature(sig: Signature, request: SigningRequest, publicKey: Uint8Array, address: string): void {
  const expected = signingDigest(request);
  expect(sig.kind).toBe(expected.kind);
  expect(bytesToHex(sig.digest)).toBe(bytesToHex(expected.digest));
  expect(bytesToHex(sig.publicKey)).toBe(bytesToHex(publicKey));
  expect(sig.address).toBe(address);
  expect(nobleVerify(sig.digest, sig.signature, publicKey), 'noble').toBe(true);
  const r = BigInt('0x' + bytesToHex(sig.r));
  const s = BigInt('0x' + bytesToHex(sig.s));
  expect(opensslDigest(sig.digest, r, s, publicKey), 'openssl pkeyutl on the digest').toBe(true);
  expect(recoverAddress(sig.digest, r, s, sig.v)).toBe(address);
  const der = fromDer(sig.der);
  expect([der.r, der.s]).toEqual([r, s]);
  const c65 = fromCompact65(sig.compact65);
  expect([c65.r, c65.s, c65.recovery]).toEqual([r, s, sig.v]);
  expect(sig.ethSignature[64]).toBe(27 + sig.v);
  expect(bytesToHex(sig.ethSignature.subarray(0, 64))).toBe(bytesToHex(sig.signature));
  // a signature is over its digest only
  const other = keccak256(sig.digest);
  expect(nobleVerify(other, sig.signature, publicKey)).toBe(false);
}

describe('client sign API', () => {
  it('signs message / EIP-191 / EIP-712 / transaction / opted-in raw digest; raw digest refused without the opt-in', async () => {
    const env = accountEnv('client-sign');
    const { account } = await TssAccount.create({ ...env.opts(), aux: deviceAux(1) });
    const Y = account.publicKey;
    const address = ethAddress(Y);
    const raw = sha256(utf8ToBytes('a digest whose preimage I checked'));
    const requests: SigningRequest[] = [
      { message: utf8ToBytes('plain bytes, keccak256') },
      { personalMessage: 'hello world' },
      { typedData: mail },
      { transaction: legacyTx },
      { digest: raw, allowRawDigest: true },
    ];
    for (const req of requests) {
      const sig = await account.sign(req);
      checkSignature(sig, req, Y, address);
      expect(sig.presigned).toBe(false); // empty pool: presign + sign in one go
    }
    // sha256 message: node:crypto verifies the message itself (OpenSSL hashes it)
    const msg = utf8ToBytes('sha256 message');
    const sig = await account.sign({ message: msg, hash: 'sha256' });
    expect(verifyMessageSha256(msg, BigInt('0x' + bytesToHex(sig.r)), BigInt('0x' + bytesToHex(sig.s)), Y)).toBe(true);

    // refused before anything runs
    await expectCode(account.sign({ digest: raw } as unknown as SigningRequest), 'RAW_DIGEST_REFUSED');
    await expectCode(account.sign({ digest: raw, allowRawDigest: 'yes' } as unknown as SigningRequest), 'RAW_DIGEST_REFUSED');
    await expectCode(account.sign(raw as unknown as SigningRequest), 'INVALID_ARGUMENT');
    await expectCode(account.sign({ personalMessage: 'a', message: msg } as unknown as SigningRequest), 'INVALID_ARGUMENT');
    await expectCode(account.sign({ transaction: hexToBytes('c4010203') }), 'TRANSACTION_INVALID');
  });

  it('presign(n) fills the pool; sign takes from it (single use); a refresh prunes it', async () => {
    const env = accountEnv('client-presign');
    const { account, recoveryFactor } = await TssAccount.create({ ...env.opts(), aux: deviceAux(1) });
    const Y = account.publicKey;
    expect(await account.presign(2)).toBe(2);
    expect(await account.presignPool.count()).toBe(2);
    const a = await account.sign({ personalMessage: 'pooled 1' });
    expect(a.presigned).toBe(true);
    checkSignature(a, { personalMessage: 'pooled 1' }, Y, ethAddress(Y));
    expect(await account.presignPool.count()).toBe(1);
    const b = await account.sign({ personalMessage: 'pooled 2' });
    expect(b.presigned).toBe(true);
    expect(bytesToHex(b.r)).not.toBe(bytesToHex(a.r)); // another presignature, another R
    expect(await account.presignPool.count()).toBe(0);
    const c = await account.sign({ personalMessage: 'pool empty' });
    expect(c.presigned).toBe(false);
    checkSignature(c, { personalMessage: 'pool empty' }, Y, ethAddress(Y));

    // a refresh (new epoch) burns what is left and raises the floor
    expect(await account.presign(2)).toBe(2);
    const epoch = account.tssNonce;
    const r = await account.refresh();
    expect(r.tssNonce).toBe(epoch + 1);
    expect(await account.presignPool.count()).toBe(0);
    expect(await account.presignPool.store.getEpochFloor(bytesToHex(Y))).toBe(epoch + 1);
    const d = await account.sign({ personalMessage: 'after refresh' });
    expect(d.presigned).toBe(false);
    checkSignature(d, { personalMessage: 'after refresh' }, Y, ethAddress(Y));
    // and new presignatures are bound to the new epoch
    expect(await account.presign(1)).toBe(1);
    expect((await account.sign({ personalMessage: 'pooled after refresh' })).presigned).toBe(true);

    // a factor change (refresh) prunes as well
    const { factorKey: sa } = await account.securityAnswerFactor('teal');
    await account.presign(1);
    await account.addFactor({ factor: sa.pub(), tssIndex: 4, module: 'tssSecurityQuestions', securityQuestion: { question: 'colour?' } });
    expect(await account.presignPool.count()).toBe(0);
    void recoveryFactor;
  });

  it('exportKey: t user factors give the key (= the interpolation, test only); fewer are refused', async () => {
    const env = accountEnv('client-export');
    const { account, deviceFactor, recoveryFactor } = await TssAccount.create({ ...env.opts(), aux: deviceAux(1) });
    const Y = account.publicKey;
    const dev = await factorShare(env.storage, deviceFactor);
    const recShare = await factorShare(env.storage, recoveryFactor);
    expect(interpolatesTo([dev, recShare], Y)).toBe(true);
    const key = await account.exportKey([deviceFactor, recoveryFactor]);
    expect(key).toHaveLength(32);
    expect(mulG(scalarFromBytes(key)).equals(pointFromBytes(Y))).toBe(true);
    // the same key from the factors in the other order, and as raw 32-byte factor keys
    expect(bytesToHex(await account.exportKey([recoveryFactor.exportBytes(), deviceFactor]))).toBe(bytesToHex(key));
    // fewer than t distinct user shares: refused
    await expectCode(account.exportKey([deviceFactor]), 'NOT_ENOUGH_SHARES');
    await expectCode(account.exportKey([deviceFactor, deviceFactor]), 'NOT_ENOUGH_SHARES');
    await expectCode(account.exportKey([]), 'NOT_ENOUGH_SHARES');
    await expectCode(account.exportKey('nope' as unknown as []), 'INVALID_ARGUMENT');
    // after a refresh the shares change; the exported key does not
    await account.refresh();
    expect(bytesToHex(await account.exportKey([deviceFactor, recoveryFactor]))).toBe(bytesToHex(key));
    expect(JSON.stringify(account)).not.toContain(bytesToHex(key));
  });
});
