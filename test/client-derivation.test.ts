/**
 * Key derivation in the client: `sign`/`presign` with `{accountIndex}` (peer-compatible account
 * nonce from the account salt written at creation) or `{bip32Path}` (non-hardened, from the group
 * key and the keygen chain code stored at creation). Signatures verify under the derived key
 * (noble, address recovery); a pooled presignature is bound to its shift and never serves another.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '../src/bytes.js';
import { TssAccount } from '../src/client/account.js';
import { isTkeyTssError } from '../src/errors.js';
import { keccak256 } from '../src/hash.js';
import { decodeRecord, recordAddress } from '../src/metadata/record.js';
import { ShareStore } from '../src/metadata/share-store.js';
import { ThresholdKey } from '../src/metadata/threshold-key.js';
import { seededRng } from '../src/rng.js';
import { ethAddress, recoverAddress } from '../src/signature/ecdsa.js';
import type { PresignBinding } from '../src/signature/presign-pool.js';
import { accountNonce, accountPublicKey, ACCOUNT_SALT_ID, readAccountSalt, TSS_MODULE } from '../src/tss/account-index.js';
import { deriveNonHardened } from '../src/tss/bip32.js';
import type { FactorKey } from '../src/tss/factor-key.js';
import { DEFAULT_TSS_TAG } from '../src/tss/tss-tag.js';
import { accountEnv, deviceAux, durableMetadata, expectCode, type AccountEnv } from './helpers/account.js';
import { POSTBOX } from './helpers/tkey.js';
import { nobleVerify } from './helpers/verify-signature.js';

/** TEST ONLY: the account salt, read from storage with the metadata key (reconstructed from the postbox + device factor record). */
async function storedSalt(env: AccountEnv, deviceFactor: FactorKey): Promise<string | undefined> {
  const tk = new ThresholdKey({ storage: env.storage, postboxKey: POSTBOX, rng: seededRng('salt-reader') });
  await tk.initialize({ neverInitializeNewKey: true });
  const rec = await env.storage.get(recordAddress(deviceFactor.pubPoint));
  await tk.inputShareStore(ShareStore.fromJSON(decodeRecord(deviceFactor.scalar(), rec!)));
  const k = await tk.reconstructKey();
  return readAccountSalt(tk.getMetadata(), k);
}

const msg = utf8ToBytes('derived keys sign');
const digestOf = () => keccak256(concatBytes(utf8ToBytes(`\x19Ethereum Signed Message:\n${msg.length}`), msg));

describe('client key derivation', () => {
  let env: AccountEnv;
  let account: TssAccount;
  let salt: string;
  let chainCode: Uint8Array;

  beforeAll(async () => {
    env = accountEnv('client-derivation');
    const r = await TssAccount.create({ ...env.opts(), aux: deviceAux(1) });
    account = r.account;
    salt = (await storedSalt(env, r.deviceFactor))!;
    const m = await durableMetadata(env.storage);
    chainCode = hexToBytes(m.getGeneralStoreDomain(`tssChainCode:${DEFAULT_TSS_TAG}`) as string);
  }, 120_000);

  it('creation stores a peer-format account salt and the keygen chain code in the same batch', async () => {
    expect(salt).toMatch(/^[0-9a-f]{64}$/);
    const m = await durableMetadata(env.storage);
    expect(m.getTkeyStoreDomain(TSS_MODULE)).toHaveLength(1);
    expect(ACCOUNT_SALT_ID).toBe('accountSalt');
    expect(chainCode).toHaveLength(32);
    expect(chainCode.some((b) => b !== 0)).toBe(true);
  });

  it('accountIndex 1 signs under accountPublicKey and recovers to the derived address; index 0 / no option = root key', async () => {
    const derived = accountPublicKey(account.publicKey, 1, salt);
    expect(bytesToHex(derived)).not.toBe(bytesToHex(account.publicKey));
    const sig = await account.sign({ personalMessage: msg }, { accountIndex: 1 });
    expect(bytesToHex(sig.digest)).toBe(bytesToHex(digestOf()));
    expect(bytesToHex(sig.publicKey)).toBe(bytesToHex(derived));
    expect(nobleVerify(sig.digest, sig.signature, derived), 'noble, derived key').toBe(true);
    expect(nobleVerify(sig.digest, sig.signature, account.publicKey), 'not the root key').toBe(false);
    expect(sig.address).toBe(ethAddress(derived));
    expect(recoverAddress(sig.digest, BigInt('0x' + bytesToHex(sig.r)), BigInt('0x' + bytesToHex(sig.s)), sig.v)).toBe(ethAddress(derived));

    for (const opts of [{}, { accountIndex: 0 }]) {
      const root = await account.sign({ personalMessage: msg }, opts);
      expect(bytesToHex(root.publicKey)).toBe(bytesToHex(account.publicKey));
      expect(nobleVerify(root.digest, root.signature, account.publicKey)).toBe(true);
    }
  }, 120_000);

  it('bip32Path [0, 1] signs under deriveNonHardened(...).publicKey (array or string path)', async () => {
    const child = deriveNonHardened(account.publicKey, chainCode, [0, 1]).publicKey;
    for (const bip32Path of [[0, 1], 'm/0/1']) {
      const sig = await account.sign({ personalMessage: msg }, { bip32Path });
      expect(bytesToHex(sig.publicKey)).toBe(bytesToHex(child));
      expect(nobleVerify(sig.digest, sig.signature, child), 'noble, child key').toBe(true);
      expect(sig.address).toBe(ethAddress(child));
    }
  }, 120_000);

  it('a pooled presignature for account 1 is never used for account 2', async () => {
    const pool = account.presignPool;
    const binding = (accountIndex: number): PresignBinding => ({ publicKey: account.publicKey, epoch: account.tssNonce, signers: [1, 2], shift: accountNonce(accountIndex, salt), profile: 'default' });
    expect(await account.presign(1, { accountIndex: 1 })).toBe(1);
    expect(await pool.count(binding(1))).toBe(1);
    expect(await pool.count(binding(2))).toBe(0);
    // account 2: no matching presignature, a fresh one is made; account 1's stays
    const two = await account.sign({ personalMessage: msg }, { accountIndex: 2 });
    expect(two.presigned).toBe(false);
    expect(nobleVerify(two.digest, two.signature, accountPublicKey(account.publicKey, 2, salt))).toBe(true);
    expect(await pool.count(binding(1))).toBe(1);
    // a specific one requested for another shift: refused before anything is consumed
    const [rec] = await pool.store.list();
    try {
      await pool.takeById(rec!.id, binding(2));
      expect.unreachable('takeById for another shift');
    } catch (e) {
      expect(isTkeyTssError(e, 'PRESIGN_BINDING_MISMATCH')).toBe(true);
      expect((e as { details?: { field?: string } }).details?.field).toBe('shift');
    }
    expect(await pool.count(binding(1))).toBe(1);
    // account 1 uses it
    const one = await account.sign({ personalMessage: msg }, { accountIndex: 1 });
    expect(one.presigned).toBe(true);
    expect(nobleVerify(one.digest, one.signature, accountPublicKey(account.publicKey, 1, salt))).toBe(true);
    expect(await pool.count()).toBe(0);
  }, 120_000);

  it('hardened paths and ambiguous options are refused before anything runs', async () => {
    await expectCode(account.sign({ personalMessage: msg }, { bip32Path: [0x80000000] }), 'BIP32_HARDENED_INDEX');
    await expectCode(account.sign({ personalMessage: msg }, { bip32Path: "m/44'/60" }), 'BIP32_HARDENED_INDEX');
    await expectCode(account.presign(1, { bip32Path: [1, 0x80000001] }), 'BIP32_HARDENED_INDEX');
    await expectCode(account.sign({ personalMessage: msg }, { accountIndex: 1, bip32Path: [0] } as never), 'INVALID_ARGUMENT');
    expect(await account.presignPool.count()).toBe(0);
  });
});
