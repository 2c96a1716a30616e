/**
 * `tkey-tss/viem`: a `TssAccount` as a viem `LocalAccount` (viem is an optional peer dependency;
 * only this subpath imports it). Every signature goes through the account's own request path, so
 * the library hashes what it signs:
 *
 * - `signMessage({message})` → `{personalMessage}`: a string as UTF-8, `{raw}` (hex or bytes) as its
 *   bytes — EIP-191 applies to both, exactly as viem's `privateKeyToAccount` does (`hashMessage`).
 * - `signTypedData(def)` → `{typedData}` with `EIP712Domain` derived from the domain fields present,
 *   as viem's `hashTypedData` does (an explicit `types.EIP712Domain` wins).
 * - `signTransaction(tx, {serializer})` → `{transaction: serializer(tx)}` (EIP-4844: without sidecars),
 *   then `serializer(tx, {r, s, v, yParity})`: the signed serialized transaction.
 * - `sign({hash})` (a raw digest) exists only with `allowRawDigest: true` (the account's opt-in).
 *
 *   const account = toViemAccount(tssAccount);   // or toViemAccount(tssAccount, { accountIndex: 1 })
 *   const client = createWalletClient({ account, chain, transport: http() });
 * @module
 */
import { bytesToHex as viemBytesToHex, hexToBytes as viemHexToBytes, serializeTransaction, type Hex, type SignableMessage, type TransactionSerializable } from 'viem';
import { toAccount, type LocalAccount } from 'viem/accounts';
import { bytesToHex } from '../../bytes.js';
import { pointFromBytes, pointToBytes } from '../../curve.js';
import { fail } from '../../errors.js';
import type { TypedData } from '../../signature/eip712.js';
import type { TssAccount } from '../account.js';
import type { DerivationOption, Signature } from '../signing.js';

export type ViemAccountOptions = { index?: number; allowRawDigest?: boolean } & DerivationOption;

const DOMAIN_FIELDS = [
  ['name', 'string'],
  ['version', 'string'],
  ['chainId', 'uint256'],
  ['verifyingContract', 'address'],
  ['salt', 'bytes32'],
] as const;

/** viem's typed-data definition → our `TypedData` (domain fields that are null/undefined are absent, as in viem). */
export function viemTypedData(def: { domain?: unknown; types: unknown; primaryType: unknown; message?: unknown }): TypedData {
  if (typeof def !== 'object' || def === null) fail('INVALID_ARGUMENT', 'typedData: expected {domain, types, primaryType, message}');
  const raw = (def.domain ?? {}) as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null) fail('TYPED_DATA_INVALID', 'domain: expected an object', { path: 'domain' });
  const domain = Object.fromEntries(Object.entries(raw).filter(([, v]) => v != null));
  const derived = DOMAIN_FIELDS.filter(([n]) => domain[n] !== undefined).map(([name, type]) => ({ name, type }));
  const types = { EIP712Domain: derived, ...(def.types as TypedData['types']) };
  return { types, primaryType: def.primaryType as string, domain, message: (def.message ?? {}) as Record<string, unknown> };
}

/** The bytes viem's `hashMessage` prefixes: a string as UTF-8, `{raw}` hex (odd length left-padded) or bytes. */
function messageBytes(message: SignableMessage): Uint8Array | string {
  if (typeof message === 'string') return message;
  if (typeof message !== 'object' || message === null || !('raw' in message)) return fail('INVALID_ARGUMENT', 'message: expected a string or {raw}');
  const { raw } = message;
  if (typeof raw === 'string') {
    if (!/^0x[0-9a-fA-F]*$/.test(raw)) fail('INVALID_ARGUMENT', 'message.raw: expected 0x-hex or bytes');
    return viemHexToBytes(raw.length % 2 ? (`0x0${raw.slice(2)}` as Hex) : raw);
  }
  if (!(raw instanceof Uint8Array)) fail('INVALID_ARGUMENT', 'message.raw: expected 0x-hex or bytes');
  return raw;
}

const hex = (b: Uint8Array): Hex => `0x${bytesToHex(b)}`;
const ethHex = (sig: Signature): Hex => hex(sig.ethSignature);

/** A viem `LocalAccount` that signs with `account` (the root key, or the derived key of `opts`). */
export function toViemAccount(account: TssAccount, opts: ViemAccountOptions = {}): LocalAccount<'tkey-tss'> {
  if (typeof opts !== 'object' || opts === null) fail('INVALID_ARGUMENT', 'opts: expected an object');
  const { allowRawDigest, ...signOpts } = opts;
  const derivation = { accountIndex: signOpts.accountIndex, bip32Path: signOpts.bip32Path } as DerivationOption;
  const address = account.addressOf(derivation) as Hex;
  const publicKey = hex(pointToBytes(pointFromBytes(account.publicKeyOf(derivation)), false));
  const local = toAccount({
    address,
    async signMessage({ message }) {
      return ethHex(await account.sign({ personalMessage: messageBytes(message) }, signOpts));
    },
    async signTypedData(def) {
      return ethHex(await account.sign({ typedData: viemTypedData(def as Parameters<typeof viemTypedData>[0]) }, signOpts));
    },
    async signTransaction(transaction, options) {
      const serializer = options?.serializer ?? serializeTransaction;
      const signable = (transaction as TransactionSerializable).type === 'eip4844' ? { ...transaction, sidecars: false } : transaction;
      const unsigned = await serializer(signable);
      const sig = await account.sign({ transaction: viemHexToBytes(unsigned) }, signOpts);
      const yParity = sig.v;
      return serializer(transaction, { r: viemBytesToHex(sig.r), s: viemBytesToHex(sig.s), v: BigInt(27 + yParity), yParity });
    },
    ...(allowRawDigest === true
      ? {
          async sign({ hash }: { hash: Hex }) {
            return ethHex(await account.sign({ digest: viemHexToBytes(hash), allowRawDigest: true }, signOpts));
          },
        }
      : {}),
  });
  return { ...local, publicKey, source: 'tkey-tss' };
}
