/**
 * Issue 12 item 2: `tkey-tss/ethers`. A real account as an ethers v6 `AbstractSigner`; every
 * signature is checked with ethers' OWN functions (`verifyMessage`, `verifyTypedData`,
 * `Transaction.from(signed).from`) and must give the account's address — legacy (with and without
 * EIP-155), EIP-2930 and EIP-1559 transactions, ethers populating them (`Transaction.from`).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { JsonRpcProvider, Transaction, TypedDataEncoder, verifyMessage, verifyTypedData, type TransactionRequest } from 'ethers';
import { TssAccount } from '../src/client/account.js';
import { TssSigner } from '../src/client/adapters/ethers.js';
import { hashTypedData } from '../src/signature/eip712.js';
import { bytesToHex } from '../src/bytes.js';
import { accountEnv, deviceAux, expectCode } from './helpers/account.js';
import { mail } from './helpers/eip712-mail.js';

let account: TssAccount;
beforeAll(async () => {
  const env = accountEnv('adapters-ethers');
  ({ account } = await TssAccount.create({ ...env.opts(), aux: deviceAux(1) }));
  await account.presign(12);
});

const TO = '0x3535353535353535353535353535353535353535';
const txs: { label: string; tx: TransactionRequest; type: number }[] = [
  { label: 'legacy, no chainId', type: 0, tx: { type: 0, nonce: 9, gasPrice: 20_000_000_000n, gasLimit: 21_000n, to: TO, value: 10n ** 18n } },
  { label: 'legacy, EIP-155 chainId 1', type: 0, tx: { type: 0, chainId: 1, nonce: 0, gasPrice: 1n, gasLimit: 21_000n, to: TO, value: 1n } },
  { label: 'EIP-2930, access list + data, chainId 137', type: 1, tx: { type: 1, chainId: 137, nonce: 1, gasPrice: 30n, gasLimit: 60_000n, to: TO, data: '0xa9059cbb', accessList: [{ address: TO, storageKeys: ['0x' + 'ab'.repeat(32)] }] } },
  { label: 'EIP-1559, transfer', type: 2, tx: { type: 2, chainId: 1, nonce: 5, maxFeePerGas: 40_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n, gasLimit: 21_000n, to: TO, value: 123n } },
  { label: 'EIP-1559, contract creation, data + access list, chainId 8453', type: 2, tx: { type: 2, chainId: 8453, nonce: 77, maxFeePerGas: 9n, maxPriorityFeePerGas: 2n, gasLimit: 900_000n, data: '0x6080604052', accessList: [{ address: TO, storageKeys: [] }] } },
];

describe('tkey-tss/ethers', () => {
  it('getAddress is the account address; connect keeps the account and options', async () => {
    const signer = new TssSigner(account);
    expect(await signer.getAddress()).toBe(account.address);
    const provider = new JsonRpcProvider('http://127.0.0.1:1', 1, { staticNetwork: true });
    const connected = signer.connect(provider);
    expect(connected).toBeInstanceOf(TssSigner);
    expect(connected.provider).toBe(provider);
    expect(await connected.getAddress()).toBe(account.address);
    provider.destroy();
  });

  it('signMessage (string and bytes) — verifyMessage gives the address', async () => {
    const signer = new TssSigner(account);
    for (const m of ['hello ethers', new Uint8Array([0, 1, 2, 0xff])]) expect(verifyMessage(m, await signer.signMessage(m))).toBe(account.address);
  });

  it('signTypedData: the EIP-712 Mail example and a domain with salt — verifyTypedData; the payload hashes as ethers hashes', async () => {
    const signer = new TssSigner(account);
    const { EIP712Domain: _, ...types } = mail.types;
    const t = types as Record<string, { name: string; type: string }[]>;
    const sig = await signer.signTypedData(mail.domain, t, mail.message);
    expect(verifyTypedData(mail.domain, t, mail.message, sig)).toBe(account.address);
    const domain = { name: 'salted', chainId: 10n, salt: '0x' + '22'.repeat(32) };
    const types2 = { Order: [{ name: 'amount', type: 'uint256' }, { name: 'data', type: 'bytes' }, { name: 'tags', type: 'string[]' }] };
    const value = { amount: 10n ** 30n, data: '0x00ff', tags: ['a', 'b'] };
    const sig2 = await signer.signTypedData(domain, types2, value);
    expect(verifyTypedData(domain, types2, value, sig2)).toBe(account.address);
    const p = TypedDataEncoder.getPayload(domain, types2, value);
    expect('0x' + bytesToHex(hashTypedData(p as never))).toBe(TypedDataEncoder.hash(domain, types2, value));
  });

  for (const { label, tx, type } of txs)
    it(`signTransaction: ${label} — Transaction.from(signed).from`, async () => {
      const signer = new TssSigner(account);
      const signed = await signer.signTransaction(tx);
      const parsed = Transaction.from(signed);
      expect(parsed.type).toBe(type);
      expect(parsed.from).toBe(account.address);
      expect(parsed.unsignedSerialized).toBe(Transaction.from(tx as never).unsignedSerialized);
    });

  it('tx.from must be the signer (any case); another address is refused before signing', async () => {
    const signer = new TssSigner(account);
    const signed = await signer.signTransaction({ ...txs[3]!.tx, from: account.address.toLowerCase() });
    expect(Transaction.from(signed).from).toBe(account.address);
    await expectCode(signer.signTransaction({ ...txs[3]!.tx, from: TO }), 'INVALID_ARGUMENT');
  });

  it('a derived signer (accountIndex 1) signs under addressOf({accountIndex: 1})', async () => {
    const signer = new TssSigner(account, { accountIndex: 1 });
    const address = account.addressOf({ accountIndex: 1 });
    expect(address).not.toBe(account.address);
    expect(await signer.getAddress()).toBe(address);
    expect(verifyMessage('derived', await signer.signMessage('derived'))).toBe(address);
  });
});
