/**
 * Issue 12 item 2: `tkey-tss/viem`. A real account (in-memory service + simulator transport) as a
 * viem `LocalAccount`; every signature is checked with viem's OWN recovery (`recoverMessageAddress`,
 * `recoverTypedDataAddress`, `recoverTransactionAddress`, `parseTransaction`) and must give the
 * account's address — legacy (with and without EIP-155), EIP-2930 and EIP-1559 transactions.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { hashMessage, hashTypedData, keccak256, parseTransaction, recoverMessageAddress, recoverTransactionAddress, recoverTypedDataAddress, serializeTransaction, type TransactionSerializable } from 'viem';
import { TssAccount } from '../src/client/account.js';
import { toViemAccount } from '../src/client/adapters/viem.js';
import { pointFromBytes, pointToBytes } from '../src/curve.js';
import { bytesToHex } from '../src/bytes.js';
import { ethAddress } from '../src/signature/ecdsa.js';
import { accountEnv, deviceAux, expectCode } from './helpers/account.js';
import { mail } from './helpers/eip712-mail.js';

let account: TssAccount;
beforeAll(async () => {
  const env = accountEnv('adapters-viem');
  ({ account } = await TssAccount.create({ ...env.opts(), aux: deviceAux(1) }));
  await account.presign(15);
});

const TO = '0x3535353535353535353535353535353535353535' as const;
const txs: { label: string; tx: TransactionSerializable }[] = [
  { label: 'legacy, no chainId (pre-EIP-155)', tx: { type: 'legacy', nonce: 9, gasPrice: 20_000_000_000n, gas: 21_000n, to: TO, value: 10n ** 18n } },
  { label: 'legacy, EIP-155 chainId 1', tx: { type: 'legacy', chainId: 1, nonce: 0, gasPrice: 1n, gas: 21_000n, to: TO, value: 1n } },
  { label: 'legacy, chainId 11155111, data, contract creation', tx: { type: 'legacy', chainId: 11155111, nonce: 3, gasPrice: 7n, gas: 500_000n, data: '0x6080604052' } },
  {
    label: 'EIP-2930, access list',
    tx: { type: 'eip2930', chainId: 137, nonce: 1, gasPrice: 30n, gas: 60_000n, to: TO, value: 0n, data: '0xa9059cbb', accessList: [{ address: TO, storageKeys: ['0x' + '00'.repeat(31) + '01', '0x' + 'ab'.repeat(32)] as `0x${string}`[] }] },
  },
  { label: 'EIP-1559, plain transfer', tx: { type: 'eip1559', chainId: 1, nonce: 5, maxFeePerGas: 40_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n, gas: 21_000n, to: TO, value: 123n } },
  {
    label: 'EIP-1559, data + access list, chainId 8453',
    tx: { type: 'eip1559', chainId: 8453, nonce: 77, maxFeePerGas: 9n, maxPriorityFeePerGas: 2n, gas: 90_000n, to: TO, data: '0xdeadbeef00', accessList: [{ address: TO, storageKeys: [] }] },
  },
];

describe('tkey-tss/viem', () => {
  it('address and publicKey are the account key as viem expects them (checksummed; 0x04…)', () => {
    const va = toViemAccount(account);
    expect(va.type).toBe('local');
    expect(va.address).toBe(account.address);
    expect(account.address).toBe(ethAddress(account.publicKey));
    expect(va.publicKey).toBe(`0x${bytesToHex(pointToBytes(pointFromBytes(account.publicKey), false))}`);
    expect(va.publicKey).toMatch(/^0x04[0-9a-f]{128}$/);
    expect(va.sign).toBeUndefined(); // raw digests only with the opt-in
  });

  it('signMessage: string, {raw: hex}, {raw: bytes} — recoverMessageAddress gives the address', async () => {
    const va = toViemAccount(account);
    for (const message of ['hello viem', { raw: '0x68656c6c6f' as const }, { raw: new Uint8Array([0, 1, 2, 255]) }, { raw: '0xabc' as const }]) {
      const signature = await va.signMessage({ message });
      expect(await recoverMessageAddress({ message, signature })).toBe(account.address);
    }
    // EIP-191 applies to {raw} too: the signature is NOT over keccak256(raw)
    const signature = await va.signMessage({ message: { raw: '0x68656c6c6f' } });
    expect(await recoverMessageAddress({ message: 'hello', signature })).toBe(account.address); // same bytes, same EIP-191 digest
    expect(hashMessage({ raw: '0x68656c6c6f' })).not.toBe(keccak256('0x68656c6c6f'));
  });

  it('signTypedData: the EIP-712 Mail example (explicit and derived EIP712Domain) — recoverTypedDataAddress', async () => {
    const va = toViemAccount(account);
    const { EIP712Domain: _, ...types } = mail.types;
    const def = { domain: mail.domain as { name: string; version: string; chainId: number; verifyingContract: `0x${string}` }, types, primaryType: 'Mail' as const, message: mail.message };
    const signature = await va.signTypedData(def);
    expect(await recoverTypedDataAddress({ ...def, signature })).toBe(account.address);
    const withSalt = { domain: { name: 'x', salt: `0x${'11'.repeat(32)}` as const, version: undefined }, types: { T: [{ name: 'n', type: 'uint8' }] }, primaryType: 'T' as const, message: { n: 7 } };
    const sig2 = await va.signTypedData(withSalt);
    expect(await recoverTypedDataAddress({ ...withSalt, signature: sig2 })).toBe(account.address);
  });

  for (const { label, tx } of txs)
    it(`signTransaction: ${label} — recoverTransactionAddress and parseTransaction`, async () => {
      const va = toViemAccount(account);
      const signed = await va.signTransaction(tx);
      expect(await recoverTransactionAddress({ serializedTransaction: signed as never })).toBe(account.address);
      const parsed = parseTransaction(signed);
      expect(parsed.type).toBe(tx.type);
      expect(parsed.r).toMatch(/^0x[0-9a-f]+$/);
      // the signed tx is the same transaction: re-serializing without the signature gives the signed bytes' unsigned form
      const { r: _r, s: _s, v: _v, yParity: _y, ...unsigned } = parsed as TransactionSerializable & { r?: unknown; s?: unknown; v?: unknown; yParity?: unknown };
      expect(serializeTransaction(unsigned as TransactionSerializable)).toBe(serializeTransaction(tx));
    });

  it('signTransaction uses the given serializer for both the unsigned and the signed form', async () => {
    const va = toViemAccount(account);
    const calls: unknown[] = [];
    const serializer = ((tx: TransactionSerializable, sig?: unknown) => (calls.push(sig), serializeTransaction(tx, sig as never))) as typeof serializeTransaction;
    const signed = await va.signTransaction(txs[5]!.tx, { serializer });
    expect(calls).toHaveLength(2);
    expect(calls[0]).toBeUndefined();
    expect(calls[1]).toMatchObject({ yParity: expect.any(Number), v: expect.any(BigInt) });
    expect(await recoverTransactionAddress({ serializedTransaction: signed as never })).toBe(account.address);
  });

  it('a derived account (bip32Path) signs under the derived address', async () => {
    const va = toViemAccount(account, { bip32Path: 'm/0/1' });
    expect(va.address).toBe(account.addressOf({ bip32Path: 'm/0/1' }));
    expect(va.address).not.toBe(account.address);
    const signature = await va.signMessage({ message: 'derived' });
    expect(await recoverMessageAddress({ message: 'derived', signature })).toBe(va.address);
    const signed = await va.signTransaction(txs[4]!.tx);
    expect(await recoverTransactionAddress({ serializedTransaction: signed as never })).toBe(va.address);
  });

  it('sign({hash}) only with allowRawDigest; bad messages are typed errors', async () => {
    const va = toViemAccount(account, { allowRawDigest: true });
    const hash = hashTypedData({ domain: { name: 'raw' }, types: { T: [{ name: 'n', type: 'uint8' }] }, primaryType: 'T', message: { n: 1 } });
    const signature = await va.sign!({ hash });
    expect(await recoverTypedDataAddress({ domain: { name: 'raw' }, types: { T: [{ name: 'n', type: 'uint8' }] }, primaryType: 'T', message: { n: 1 }, signature })).toBe(account.address);
    await expectCode(va.signMessage({ message: { raw: 'nothex' as `0x${string}` } }), 'INVALID_ARGUMENT');
    await expectCode(va.signMessage({ message: 42 as unknown as string }), 'INVALID_ARGUMENT');
  });
});
