import { describe, expect, it } from 'vitest';
import { bytesToHex, concatBytes, hexToBytes, numberToBytesBE, utf8ToBytes } from '../src/bytes.js';
import { ecdsaSignDigest, getPublicKey, scalarFromBytes } from '../src/curve.js';
import { isTkeyTssError } from '../src/errors.js';
import { keccak256, sha256 } from '../src/hash.js';
import {
  encodeType,
  ethAddress,
  hashDomain,
  hashMessage,
  hashPersonalMessage,
  hashStruct,
  hashTransaction,
  hashTypedData,
  recoverAddress,
  signingDigest,
  typeHash,
  type TypedData,
  type TypedDataTypes,
} from '../src/signature/index.js';
import { mail } from './helpers/eip712-mail.js';

const hex = (b: Uint8Array): string => '0x' + bytesToHex(b);
async function code(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (e) {
    return isTkeyTssError(e) ? e.code : `not a library error: ${String(e)}`;
  }
  return undefined;
}


describe('plain and EIP-191 messages', () => {
  it('hashMessage: keccak256 by default, sha256 on request, nothing else', async () => {
    const m = utf8ToBytes('abc');
    expect(hex(hashMessage(m))).toBe('0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45');
    expect(hex(hashMessage(m, 'sha256'))).toBe('0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(await code(() => hashMessage(m, 'md5' as never))).toBe('INVALID_ARGUMENT');
  });
  it('hashPersonalMessage("hello world") is the EIP-191 vector; string and bytes agree; length is in bytes', () => {
    expect(hex(hashPersonalMessage('hello world'))).toBe('0xd9eba16ed0ecae432b71fe008c98cc872bb4cc214d3220a36f365326cf807d68');
    expect(hex(hashPersonalMessage(utf8ToBytes('hello world')))).toBe('0xd9eba16ed0ecae432b71fe008c98cc872bb4cc214d3220a36f365326cf807d68');
    const euro = '€'; // 3 UTF-8 bytes
    expect(hex(hashPersonalMessage(euro))).toBe(hex(keccak256(utf8ToBytes('\x19Ethereum Signed Message:\n3€'))));
  });
});

describe('EIP-712', () => {
  it('the spec Mail example: encodeType, hashStruct, domain separator and digest', () => {
    expect(encodeType('Mail', mail.types)).toBe('Mail(Person from,Person to,string contents)Person(string name,address wallet)');
    expect(hex(typeHash('Mail', mail.types))).toBe('0xa0cedeb2dc280ba39b857546d74f5549c3a1d7bdc2dd96bf881f76108e23dac2');
    expect(hex(hashStruct('Mail', mail.message, mail.types))).toBe('0xc52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e');
    expect(hex(hashDomain(mail.domain, mail.types))).toBe('0xf2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f');
    expect(hex(hashTypedData(mail))).toBe('0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2');
  });
  it("the spec's signature by keccak256('cow') recovers Cow's wallet; the domain type can be derived", () => {
    const digest = hashTypedData(mail);
    const r = 0x4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9dn;
    const s = 0x07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b91562n;
    expect(recoverAddress(digest, r, s, 28)).toBe('0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826');
    expect(ethAddress(getPublicKey(keccak256(utf8ToBytes('cow'))))).toBe('0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826');
    const sk = scalarFromBytes(keccak256(utf8ToBytes('cow')));
    expect(bytesToHex(ecdsaSignDigest(digest, sk))).toBe(r.toString(16).padStart(64, '0') + s.toString(16).padStart(64, '0'));
    const { EIP712Domain: _d, ...rest } = mail.types;
    expect(hex(hashTypedData({ ...mail, types: rest }))).toBe(hex(digest));
  });
  it('arrays, nested structs, bytes, bytesN, intN, bool, fixed arrays: the encoding composed by the spec rules', () => {
    const types: TypedDataTypes = {
      Person: [
        { name: 'name', type: 'string' },
        { name: 'wallets', type: 'address[]' },
      ],
      Group: [
        { name: 'members', type: 'Person[]' },
        { name: 'tag', type: 'bytes' },
        { name: 'pair', type: 'uint8[2]' },
        { name: 'neg', type: 'int8' },
        { name: 'flag', type: 'bool' },
        { name: 'b3', type: 'bytes3' },
        { name: 'grid', type: 'uint16[][]' },
      ],
    };
    const w1 = '0x' + '11'.repeat(20);
    const w2 = '0x' + '22'.repeat(20);
    const message = {
      members: [
        { name: 'A', wallets: [w1, w2] },
        { name: 'B', wallets: [] },
      ],
      tag: '0xdeadbeef',
      pair: [1, '0x02'],
      neg: -1n,
      flag: true,
      b3: Uint8Array.of(1, 2, 3),
      grid: [[1, 2], [3]],
    };
    expect(encodeType('Group', types)).toBe('Group(Person[] members,bytes tag,uint8[2] pair,int8 neg,bool flag,bytes3 b3,uint16[][] grid)Person(string name,address[] wallets)');
    const word = (n: bigint): Uint8Array => numberToBytesBE(n, 32);
    const addr = (h: string): Uint8Array => concatBytes(new Uint8Array(12), hexToBytes(h));
    const personHash = (name: string, ws: string[]): Uint8Array =>
      keccak256(concatBytes(keccak256(utf8ToBytes('Person(string name,address[] wallets)')), keccak256(utf8ToBytes(name)), keccak256(concatBytes(...ws.map(addr)))));
    const b3 = new Uint8Array(32);
    b3.set([1, 2, 3]);
    const expected = keccak256(
      concatBytes(
        keccak256(utf8ToBytes(encodeType('Group', types))),
        keccak256(concatBytes(personHash('A', [w1, w2]), personHash('B', []))),
        keccak256(hexToBytes('deadbeef')),
        keccak256(concatBytes(word(1n), word(2n))),
        word((1n << 256n) - 1n),
        word(1n),
        b3,
        keccak256(concatBytes(keccak256(concatBytes(word(1n), word(2n))), keccak256(word(3n)))),
      ),
    );
    expect(hex(hashStruct('Group', message, types))).toBe(hex(expected));
  });
  it('malformed typed data is refused with TYPED_DATA_INVALID', async () => {
    const m = mail.message as { from: object; to: object; contents: string };
    const bad: TypedData[] = [
      { ...mail, primaryType: 'Letter' },
      { ...mail, message: { from: m.from, to: m.to } },
      { ...mail, message: { ...m, extra: 1 } },
      { ...mail, message: { ...m, to: { name: 'Bob', wallet: '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbb' } } }, // bad checksum
      { ...mail, message: { ...m, to: { name: 'Bob', wallet: '0x1234' } } },
      { ...mail, message: { ...m, contents: 5 } },
      { ...mail, types: { ...mail.types, Person: [{ name: 'name', type: 'strin' }] } },
      { ...mail, domain: { ...mail.domain, chainId: -1 } },
      { ...mail, domain: { ...mail.domain, chainId: 1.5 } },
      { ...mail, types: { ...mail.types, Person: [{ name: 'name', type: 'string' }, { name: 'name', type: 'string' }] } },
    ];
    for (const [i, td] of bad.entries()) expect(await code(() => hashTypedData(td)), `case ${i}`).toBe('TYPED_DATA_INVALID');
    const T: TypedDataTypes = { S: [{ name: 'v', type: 'uint8' }, { name: 'i', type: 'int8' }, { name: 'b', type: 'bytes2' }, { name: 'f', type: 'bool' }, { name: 'a', type: 'uint8[2]' }] };
    const ok = { v: 255, i: -128, b: '0x0102', f: false, a: [0, 0] };
    expect(await code(() => hashStruct('S', ok, T))).toBeUndefined();
    for (const [k, v] of Object.entries({ v: 256, i: -129, b: '0x01', f: 0, a: [0] }))
      expect(await code(() => hashStruct('S', { ...ok, [k]: v }, T)), k).toBe('TYPED_DATA_INVALID');
    expect(await code(() => hashStruct('S', ok, { S: [{ name: 'v', type: 'uint7' }] }))).toBe('TYPED_DATA_INVALID');
    expect(await code(() => hashDomain({ name: 'x', color: 'red' }))).toBe('TYPED_DATA_INVALID');
  });
});

describe('transactions', () => {
  it('legacy and typed framings hash as keccak256 of the bytes; malformed RLP is refused', async () => {
    const legacy = hexToBytes('ec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a764000080018080');
    expect(hex(hashTransaction(legacy))).toBe(hex(keccak256(legacy)));
    const typed = hexToBytes('02c3010203');
    expect(hex(hashTransaction(typed))).toBe(hex(keccak256(typed)));
    const long = concatBytes(hexToBytes('02f838'), hexToBytes('b7'), new Uint8Array(55).fill(0xaa)); // long-form list of one 55-byte string
    expect(hex(hashTransaction(long))).toBe(hex(keccak256(long)));
    for (const h of [
      '', // empty
      '02c401020304' + '05', // trailing byte
      'c4010203', // truncated list
      '8105', // not a list
      '02', // type byte only
      '02c28105', // single byte < 0x80 in long form
      '02c5b80301020300'.slice(0, 14), // long-form string for a short payload
      '02f80001', // long list length with leading zero
      '0283010203', // typed payload is a string
      'ff', // neither
    ])
      expect(await code(() => hashTransaction(hexToBytes(h))), h).toBe('TRANSACTION_INVALID');
  });
});

describe('signing requests and the raw-digest opt-in', () => {
  it('each payload kind hashes to its digest', () => {
    const m = utf8ToBytes('hi');
    expect(signingDigest({ message: m })).toEqual({ kind: 'message', digest: keccak256(m) });
    expect(signingDigest({ message: m, hash: 'sha256' })).toEqual({ kind: 'message', digest: sha256(m) });
    expect(signingDigest({ personalMessage: 'hello world' }).digest).toEqual(hashPersonalMessage('hello world'));
    expect(hex(signingDigest({ typedData: mail }).digest)).toBe('0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2');
    expect(signingDigest({ transaction: hexToBytes('02c3010203') }).digest).toEqual(keccak256(hexToBytes('02c3010203')));
  });
  it('a raw digest is refused without allowRawDigest: true, accepted with it', async () => {
    const d = keccak256(utf8ToBytes('d'));
    expect(await code(() => signingDigest({ digest: d } as never))).toBe('RAW_DIGEST_REFUSED');
    expect(await code(() => signingDigest({ digest: d, allowRawDigest: false } as never))).toBe('RAW_DIGEST_REFUSED');
    expect(await code(() => signingDigest({ digest: d, allowRawDigest: 'true' } as never))).toBe('RAW_DIGEST_REFUSED');
    expect(signingDigest({ digest: d, allowRawDigest: true })).toEqual({ kind: 'digest', digest: d });
    expect(await code(() => signingDigest({ digest: d.subarray(0, 31), allowRawDigest: true }))).toBe('INVALID_LENGTH');
  });
  it('exactly one payload, no stray options', async () => {
    const m = utf8ToBytes('hi');
    expect(await code(() => signingDigest({ message: m, personalMessage: 'x' } as never))).toBe('INVALID_ARGUMENT');
    expect(await code(() => signingDigest({} as never))).toBe('INVALID_ARGUMENT');
    expect(await code(() => signingDigest({ personalMessage: 'x', hash: 'sha256' } as never))).toBe('INVALID_ARGUMENT');
    expect(await code(() => signingDigest({ digest: keccak256(m), allowRawDigest: true, hash: 'sha256' } as never))).toBe('INVALID_ARGUMENT');
    expect(await code(() => signingDigest({ message: 'text' } as never))).toBe('INVALID_ARGUMENT');
  });
});
