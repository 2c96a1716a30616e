import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../src/bytes.js';
import { modN, mulG, pointFromJSON, pointToBytes, pointToHex, scalarToBytes } from '../src/curve.js';
import { isTkeyTssError } from '../src/errors.js';
import { seededRng } from '../src/rng.js';
import { interpolate } from '../src/shamir/index.js';
import { accountNonce, accountPublicKey, accountShare, newAccountSalt, readAccountSalt, setAccountSalt, shiftTssShare } from '../src/tss/account-index.js';
import { deriveNonHardened, HARDENED_OFFSET, parseDerivationPath } from '../src/tss/bip32.js';
import { TssShare } from '../src/tss/tss-share.js';
import { Metadata } from '../src/metadata/metadata.js';
import { samplePath, tssFixture } from './helpers/tss-fixtures.js';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isTkeyTssError(e) ? e.code : `non-library error: ${String(e)}`;
  }
  return 'no error';
}

const S = JSON.parse(readFileSync(samplePath(), 'utf8')) as {
  metadataKey: string;
  metadataJSON: unknown;
  accountSalt: string;
  tssPrivateKey: string;
  tssPublicKey: { x: string; y: string };
  accountIndex1: { accountIndex: number; nonce: string; factorB_adjustedShare: string; tssPub: { x: string; y: string } };
  events: { serverShare_index1: string; perFactor: { label: string; tssIndex: number; tssShare: string }[] }[];
};

describe('account index (peer-compatible, formats §4.5)', () => {
  it('nonce, share and public key of account 1 match the sample', () => {
    const ai = S.accountIndex1;
    expect(bytesToHex(accountNonce(1, S.accountSalt))).toBe(ai.nonce);
    const last = S.events[S.events.length - 1]!;
    const b = last.perFactor.find((p) => p.label === 'B')!;
    const shifted = accountShare(new TssShare(b.tssIndex, BigInt('0x' + b.tssShare)), 1, S.accountSalt);
    expect(bytesToHex(shifted.valueBytes())).toBe(ai.factorB_adjustedShare);
    const pub = accountPublicKey(pointToBytes(pointFromJSON(S.tssPublicKey)), 1, S.accountSalt);
    expect(bytesToHex(pub)).toBe(pointToHex(pointFromJSON(ai.tssPub)));
    // every Shamir holder shifts: service + user shifted shares interpolate to x + nonce
    const server = shiftTssShare(new TssShare(1, BigInt('0x' + last.serverShare_index1)), accountNonce(1, S.accountSalt));
    const k = interpolate([
      { x: 1n, y: server.value },
      { x: BigInt(shifted.index), y: shifted.value },
    ]);
    expect(k).toBe(modN(BigInt('0x' + S.tssPrivateKey) + BigInt('0x' + ai.nonce)));
    expect(mulG(k).equals(pointFromJSON(ai.tssPub))).toBe(true);
  });

  it('account 0 is the key itself; different indices differ', () => {
    expect(bytesToHex(accountNonce(0, S.accountSalt))).toBe('0'.repeat(64));
    expect(bytesToHex(accountPublicKey(pointFromJSON(S.tssPublicKey), 0, S.accountSalt))).toBe(pointToHex(pointFromJSON(S.tssPublicKey)));
    expect(bytesToHex(accountNonce(2, S.accountSalt))).not.toBe(bytesToHex(accountNonce(1, S.accountSalt)));
    expect(code(() => accountNonce(-1, S.accountSalt))).toBe('OUT_OF_RANGE');
    expect(code(() => accountNonce(1.5, S.accountSalt))).toBe('INVALID_ARGUMENT');
  });

  it('additive form: coef·share + nonce for one signer', () => {
    const s = new TssShare(2, 10n);
    expect(shiftTssShare(s, scalarToBytes(5n), scalarToBytes(3n)).value).toBe(35n);
    expect(code(() => shiftTssShare(s, scalarToBytes(5n), new Uint8Array(32)))).toBe('INVALID_SCALAR');
  });

  it('accountSalt in tkeyStore.tssModule: read the sample, write and replace ours', () => {
    const m = Metadata.fromJSON(S.metadataJSON);
    expect(readAccountSalt(m, hexToBytes(S.metadataKey))).toBe(S.accountSalt);
    const f = tssFixture('tss-der/salt');
    const ours = f.metadata();
    const key = scalarToBytes(f.metadataKey);
    expect(readAccountSalt(ours, key)).toBeUndefined();
    const salt = newAccountSalt(f.rng);
    expect(salt).toMatch(/^[0-9a-f]{64}$/);
    setAccountSalt(ours, key, salt, f.rng);
    expect(readAccountSalt(Metadata.fromJSON(ours.toJSON()), key)).toBe(salt);
    const salt2 = salt.slice(0, 63) + (salt.endsWith('0') ? '1' : '0');
    setAccountSalt(ours, key, salt2, f.rng);
    expect((ours.getTkeyStoreDomain('tssModule') as unknown[]).length).toBe(1);
    expect(readAccountSalt(Metadata.fromJSON(ours.toJSON()), key)).toBe(salt2);
    expect(code(() => setAccountSalt(ours, scalarToBytes(f.metadataKey + 1n), salt))).toBe('METADATA_KEY_MISMATCH');
    expect(code(() => readAccountSalt(m, scalarToBytes(5n)))).toBe('ECIES_MAC_MISMATCH');
  });
});

// ------------------------------------------------------------------ BIP32

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
function base58check(s: string): Uint8Array {
  let n = 0n;
  for (const c of s) {
    const v = B58.indexOf(c);
    if (v < 0) throw new Error('bad base58');
    n = n * 58n + BigInt(v);
  }
  const hex = n.toString(16).padStart(82 * 2, '0');
  const b = hexToBytes(hex);
  const body = b.subarray(0, 78);
  const sum = createHash('sha256').update(createHash('sha256').update(body).digest()).digest();
  if (bytesToHex(sum.subarray(0, 4)) !== bytesToHex(b.subarray(78))) throw new Error('bad checksum');
  return body;
}
/** xpub → (depth, child number, chain code, compressed key). */
function xpub(s: string): { depth: number; child: number; chainCode: Uint8Array; key: Uint8Array } {
  const b = base58check(s);
  return { depth: b[4]!, child: new DataView(b.buffer, b.byteOffset).getUint32(9), chainCode: b.slice(13, 45), key: b.slice(45, 78) };
}

/** Private derivation with node:crypto (the independent route). */
function master(seedHex: string): { k: bigint; c: Buffer } {
  const I = createHmac('sha512', 'Bitcoin seed').update(Buffer.from(seedHex, 'hex')).digest();
  return { k: BigInt('0x' + I.subarray(0, 32).toString('hex')), c: I.subarray(32) };
}
function ckdPriv(p: { k: bigint; c: Buffer }, i: number): { k: bigint; c: Buffer } {
  const data = i >= HARDENED_OFFSET ? Buffer.concat([Buffer.alloc(1), Buffer.from(scalarToBytes(p.k))]) : Buffer.from(pointToBytes(mulG(p.k), true));
  const ser = Buffer.alloc(4);
  ser.writeUInt32BE(i);
  const I = createHmac('sha512', p.c).update(Buffer.concat([data, ser])).digest();
  return { k: modN(BigInt('0x' + I.subarray(0, 32).toString('hex')) + p.k), c: I.subarray(32) };
}

// BIP32 test vectors (https://github.com/bitcoin/bips/blob/master/bip-0032.mediawiki)
const V1 = {
  seed: '000102030405060708090a0b0c0d0e0f',
  m0H: 'xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw',
  m0H_1: 'xpub6ASuArnXKPbfEwhqN6e3mwBcDTgzisQN1wXN9BJcM47sSikHjJf3UFHKkNAWbWMiGj7Wf5uMash7SyYq527Hqck2AxYysAA7xmALppuCkwQ',
  m0H_1_2H: 'xpub6D4BDPcP2GT577Vvch3R8wDkScZWzQzMMUm3PWbmWvVJrZwQY4VUNgqFJPMM3No2dFDFGTsxxpG5uJh7n7epu4trkrX7x7DogT5Uv6fcLW5',
  m0H_1_2H_2_1e9: 'xpub6H1LXWLaKsWFhvm6RVpEL9P4KfRZSW7abD2ttkWP3SSQvnyA8FSVqNTEcYFgJS2UaFcxupHiYkro49S8yGasTvXEYBVPamhGW6cFJodrTHy',
};
const V2 = {
  seed: 'fffcf9f6f3f0edeae7e4e1dedbd8d5d2cfccc9c6c3c0bdbab7b4b1aeaba8a5a29f9c999693908d8a8784817e7b7875726f6c696663605d5a5754514e4b484542',
  m: 'xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMSgv6Zz8idoc4a6mr8BDzTJY47LJhkJ8UB7WEGuduB',
  m0: 'xpub69H7F5d8KSRgmmdJg2KhpAK8SR3DjMwAdkxj3ZuxV27CprR9LgpeyGmXUbC6wb7ERfvrnKZjXoUmmDznezpbZb7ap6r1D3tgFxHmwMkQTPH',
};

describe('BIP32 non-hardened derivation (CKDpub) as an additive shift', () => {
  it('test vector 1: m/0H → m/0H/1 and m/0H/1/2H → …/2/1000000000 (public only)', () => {
    const a = xpub(V1.m0H);
    const b = xpub(V1.m0H_1);
    const d1 = deriveNonHardened(a.key, a.chainCode, [1]);
    expect(bytesToHex(d1.publicKey)).toBe(bytesToHex(b.key));
    expect(bytesToHex(d1.chainCode)).toBe(bytesToHex(b.chainCode));
    const c = xpub(V1.m0H_1_2H);
    const e = xpub(V1.m0H_1_2H_2_1e9);
    const d2 = deriveNonHardened(c.key, c.chainCode, 'm/2/1000000000');
    expect(bytesToHex(d2.publicKey)).toBe(bytesToHex(e.key));
    expect(bytesToHex(d2.chainCode)).toBe(bytesToHex(e.chainCode));
    expect(e.depth).toBe(5);
  });

  it('test vector 2: m → m/0 (public only)', () => {
    const m = xpub(V2.m);
    const c = xpub(V2.m0);
    const d = deriveNonHardened(m.key, m.chainCode, 'm/0');
    expect(bytesToHex(d.publicKey)).toBe(bytesToHex(c.key));
    expect(bytesToHex(d.chainCode)).toBe(bytesToHex(c.chainCode));
  });

  it('the tweak is the private-key difference (independent private derivation with the known master secret)', () => {
    for (const seed of [V1.seed, V2.seed]) {
      const mst = master(seed);
      for (const path of [[0], [1, 2], [0, 2147483647, 1, 2147483646, 2]]) {
        let p = mst;
        for (const i of path) p = ckdPriv(p, i);
        const d = deriveNonHardened(mulG(mst.k), mst.c, path);
        expect(bytesToHex(d.tweak)).toBe(bytesToHex(scalarToBytes(modN(p.k - mst.k))));
        expect(bytesToHex(d.publicKey)).toBe(bytesToHex(pointToBytes(mulG(p.k))));
        expect(bytesToHex(d.chainCode)).toBe(p.c.toString('hex'));
      }
    }
    // vector 2's master public key is G·(master secret)
    expect(bytesToHex(pointToBytes(mulG(master(V2.seed).k)))).toBe(bytesToHex(xpub(V2.m).key));
  });

  it('shares shifted by the tweak sign for the child: t shares interpolate to key + tweak', () => {
    const f = tssFixture('tss-der/bip32', 3);
    const chain = seededRng('tss-der/chain').bytes(32);
    const d = deriveNonHardened(mulG(f.key), chain, '44/60/0/0/7');
    const shifted = [1, 2, 4].map((i) => shiftTssShare(f.share(i), d.tweak));
    const k = interpolate(shifted.map((s) => ({ x: BigInt(s.index), y: s.value })));
    expect(bytesToHex(pointToBytes(mulG(k)))).toBe(bytesToHex(d.publicKey));
    expect(k).toBe(modN(f.key + BigInt('0x' + bytesToHex(d.tweak))));
  });

  it('empty path: tweak 0, same key and chain code', () => {
    const k = mulG(12345n);
    const chain = new Uint8Array(32).fill(7);
    const d = deriveNonHardened(k, chain, 'm');
    expect(bytesToHex(d.tweak)).toBe('0'.repeat(64));
    expect(bytesToHex(d.publicKey)).toBe(pointToHex(k));
    expect(d.chainCode).toEqual(chain);
  });

  it('hardened indices are refused; malformed paths and chain codes too', () => {
    const k = mulG(12345n);
    const chain = new Uint8Array(32);
    expect(code(() => deriveNonHardened(k, chain, "m/0'"))).toBe('BIP32_HARDENED_INDEX');
    expect(code(() => deriveNonHardened(k, chain, 'm/1/2h'))).toBe('BIP32_HARDENED_INDEX');
    expect(code(() => deriveNonHardened(k, chain, [HARDENED_OFFSET]))).toBe('BIP32_HARDENED_INDEX');
    expect(code(() => deriveNonHardened(k, chain, [0x7fffffff]))).toBe('no error');
    expect(code(() => parseDerivationPath('m/x'))).toBe('INVALID_ARGUMENT');
    expect(code(() => parseDerivationPath([-1]))).toBe('INVALID_ARGUMENT');
    expect(code(() => parseDerivationPath([2 ** 32]))).toBe('INVALID_ARGUMENT');
    expect(code(() => deriveNonHardened(k, new Uint8Array(31), [0]))).toBe('INVALID_LENGTH');
    expect(code(() => deriveNonHardened(new Uint8Array(33), chain, [0]))).toBe('INVALID_POINT');
  });
});
