/**
 * `tkey-tss/ethers`: a `TssAccount` as an ethers v6 `AbstractSigner` (ethers is an optional peer
 * dependency; only this subpath imports it). Every signature goes through the account's own request
 * path, so the library hashes what it signs — mirroring ethers' `BaseWallet`:
 *
 * - `signMessage(m)` → `{personalMessage}` (a string as UTF-8, bytes as they are: EIP-191, `hashMessage`).
 * - `signTypedData(domain, types, value)` → ENS names resolved as `BaseWallet` does, then
 *   `TypedDataEncoder.getPayload` (the `eth_signTypedData_v4` object, `EIP712Domain` derived from
 *   the domain) → `{typedData}`.
 * - `signTransaction(tx)` → `to`/`from` resolved, `from` checked, `Transaction.from(tx)`,
 *   `{transaction: unsignedSerialized}` → the signature attached → `serialized`.
 *
 *   const signer = new TssSigner(tssAccount, {}, provider);   // or tssSigner.connect(provider)
 *   await signer.sendTransaction({ to, value });
 * @module
 */
import { AbstractSigner, getAddress, getBytes, resolveAddress, Signature as EthersSignature, Transaction, TypedDataEncoder, type Provider, type TransactionLike, type TransactionRequest, type TypedDataDomain, type TypedDataField } from 'ethers';
import { bytesToHex } from '../../bytes.js';
import { fail } from '../../errors.js';
import type { TypedData } from '../../signature/eip712.js';
import type { TssAccount } from '../account.js';
import type { DerivationOption, Signature } from '../signing.js';

export type TssSignerOptions = { index?: number } & DerivationOption;

const ethHex = (sig: Signature): string => `0x${bytesToHex(sig.ethSignature)}`;

/** ethers' typed-data triple → our `TypedData` (the `eth_signTypedData_v4` payload ethers builds). */
export function ethersTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): TypedData {
  const p = TypedDataEncoder.getPayload(domain, types, value);
  return { types: p.types, primaryType: p.primaryType, domain: p.domain as Record<string, unknown>, message: p.message as Record<string, unknown> };
}

export class TssSigner extends AbstractSigner {
  readonly account: TssAccount;
  readonly options: TssSignerOptions;
  /** The (derived) address every signature recovers to. */
  readonly address: string;

  constructor(account: TssAccount, options: TssSignerOptions = {}, provider: Provider | null = null) {
    super(provider);
    if (typeof options !== 'object' || options === null) fail('INVALID_ARGUMENT', 'options: expected an object');
    this.account = account;
    this.options = { ...options };
    this.address = account.addressOf({ accountIndex: options.accountIndex, bip32Path: options.bip32Path } as DerivationOption);
  }

  async getAddress(): Promise<string> {
    return this.address;
  }

  connect(provider: Provider | null): TssSigner {
    return new TssSigner(this.account, this.options, provider);
  }

  async signMessage(message: string | Uint8Array): Promise<string> {
    if (typeof message !== 'string' && !(message instanceof Uint8Array)) fail('INVALID_ARGUMENT', 'message: expected a string or bytes');
    return ethHex(await this.account.sign({ personalMessage: message }, this.options));
  }

  async signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string> {
    const populated = await TypedDataEncoder.resolveNames(domain, types, value, async (name) => {
      if (this.provider == null) return fail('INVALID_ARGUMENT', `cannot resolve the ENS name ${JSON.stringify(name)} without a provider`);
      const address = await this.provider.resolveName(name);
      if (address == null) return fail('NOT_FOUND', `unconfigured ENS name ${JSON.stringify(name)}`);
      return address;
    });
    return ethHex(await this.account.sign({ typedData: ethersTypedData(populated.domain, types, populated.value) }, this.options));
  }

  async signTransaction(request: TransactionRequest): Promise<string> {
    const tx: TransactionRequest = { ...request };
    const [to, from] = await Promise.all([tx.to ? resolveAddress(tx.to, this) : undefined, tx.from ? resolveAddress(tx.from, this) : undefined]);
    if (to != null) tx.to = to;
    if (from != null) {
      if (getAddress(from) !== this.address) fail('INVALID_ARGUMENT', `tx.from: ${from} is not this signer's address ${this.address}`);
      delete tx.from;
    }
    const btx = Transaction.from(tx as TransactionLike<string>);
    const sig = await this.account.sign({ transaction: getBytes(btx.unsignedSerialized) }, this.options);
    btx.signature = EthersSignature.from({ r: `0x${bytesToHex(sig.r)}`, s: `0x${bytesToHex(sig.s)}`, v: 27 + sig.v });
    return btx.serialized;
  }
}
