import { createECDH } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes, hexToNumber, numberToBytesBE, toHexPadded } from '../src/bytes.js';
import {
  aScalar,
  ecdhX,
  ecdsaSignDigest,
  ecdsaVerifyDigest,
  G,
  getPublicKey,
  IDENTITY,
  invN,
  modN,
  msm,
  mulG,
  mulGUnsafe,
  mulPublic,
  mulSecret,
  N,
  P_FIELD,
  parseSignature,
  pointFromBytes,
  pointFromHex,
  pointFromJSON,
  pointFromXY,
  pointToBytes,
  pointToJSON,
  pointToJSONPadded,
  randomScalar,
  recoverPublicKey,
  scalarFromBytes,
  scalarFromHex,
  scalarToBytes,
  signatureToDer,
} from '../src/curve.js';
import { keccak256 } from '../src/hash.js';
import { seededRng } from '../src/rng.js';
import { loadSample, type V1Sample } from './helpers/v1-sample.js';

const code = (c: string) => expect.objectContaining({ code: c });
const S = loadSample() as V1Sample & { postboxPub: { x: string; y: string } };
const scalarArb = fc.bigInt({ min: 1n, max: N - 1n });
const GX = 0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798n;
const GY = 0x483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8n;

describe('scalars', () => {
  it('aScalar accepts [1, n−1] ([0, n−1] with allowZero) and nothing else', () => {
    expect(aScalar(1n, 'k')).toBe(1n);
    expect(aScalar(N - 1n, 'k')).toBe(N - 1n);
    expect(aScalar(0n, 'k', true)).toBe(0n);
    for (const bad of [0n, N, N + 1n, -1n]) expect(() => aScalar(bad, 'k')).toThrow(code('INVALID_SCALAR'));
    expect(() => aScalar(N, 'k', true)).toThrow(code('INVALID_SCALAR'));
    expect(() => aScalar(1, 'k')).toThrow(code('INVALID_ARGUMENT'));
  });
  it('bytes and hex: exactly 32 bytes, in range; unpadded hex accepted', () => {
    fc.assert(
      fc.property(scalarArb, (k) => {
        expect(scalarFromBytes(scalarToBytes(k))).toBe(k);
        expect(scalarFromHex(k.toString(16))).toBe(k);
      }),
    );
    expect(() => scalarFromBytes(new Uint8Array(31))).toThrow(code('INVALID_LENGTH'));
    expect(() => scalarFromBytes(new Uint8Array(33))).toThrow(code('INVALID_LENGTH'));
    expect(() => scalarFromBytes(new Uint8Array(32))).toThrow(code('INVALID_SCALAR'));
    expect(scalarFromBytes(new Uint8Array(32), 's', true)).toBe(0n);
    expect(() => scalarFromBytes(new Uint8Array(32).fill(0xff))).toThrow(code('INVALID_SCALAR'));
    expect(() => scalarFromBytes(numberToBytesBE(N, 32))).toThrow(code('INVALID_SCALAR'));
    expect(() => scalarFromHex(N.toString(16))).toThrow(code('INVALID_SCALAR'));
    expect(() => scalarFromHex('xyz')).toThrow(code('INVALID_HEX'));
    expect(() => scalarToBytes(N)).toThrow(code('INVALID_SCALAR'));
  });
  it('modN, invN', () => {
    expect(modN(-1n)).toBe(N - 1n);
    expect(modN(N)).toBe(0n);
    fc.assert(
      fc.property(scalarArb, (a) => {
        expect(modN(a * invN(a))).toBe(1n);
        expect(invN(a + N)).toBe(invN(a));
      }),
    );
    expect(() => invN(0n)).toThrow(code('INVALID_SCALAR'));
    expect(() => invN(N)).toThrow(code('INVALID_SCALAR'));
  });
  it('randomScalar is in [1, n−1] and deterministic under a seed', () => {
    const k = randomScalar(seededRng('k'));
    expect(k).toBe(randomScalar(seededRng('k')));
    expect(k >= 1n && k < N).toBe(true);
  });
});

describe('point decoding rejects invalid and identity points', () => {
  const g33 = pointToBytes(G, true);
  const g65 = pointToBytes(G, false);
  it('G in both SEC1 forms', () => {
    expect(bytesToHex(g65)).toBe('04' + toHexPadded(GX) + toHexPadded(GY));
    expect(bytesToHex(g33)).toBe('02' + toHexPadded(GX));
    expect(pointFromBytes(g33).equals(G)).toBe(true);
    expect(pointFromBytes(g65).equals(G)).toBe(true);
    expect(pointFromHex(bytesToHex(g33)).equals(G)).toBe(true);
  });
  it('identity encodings', () => {
    expect(() => pointFromHex('00')).toThrow(code('INVALID_LENGTH')); // the peer's SEC1 of the identity
    expect(() => pointFromBytes(new Uint8Array(33))).toThrow(code('INVALID_POINT'));
    expect(() => pointFromBytes(new Uint8Array(65))).toThrow(code('INVALID_POINT'));
    expect(() => pointFromXY(0n, 0n)).toThrow(code('INVALID_POINT'));
    expect(() => pointToBytes(IDENTITY)).toThrow(code('INVALID_POINT'));
  });
  it('off-curve, bad prefix, x ≥ p, hybrid and wrong lengths', () => {
    const offY = Uint8Array.from(g65);
    offY[64]! ^= 1;
    expect(() => pointFromBytes(offY)).toThrow(code('INVALID_POINT'));
    // x = 5 has no y on secp256k1 (5³ + 7 = 132 is a non-residue mod p)
    expect(() => pointFromBytes(hexToBytes('02' + toHexPadded(5n)))).toThrow(code('INVALID_POINT'));
    for (const prefix of [0x00, 0x01, 0x05, 0x06, 0x07]) {
      const b = prefix === 0x06 || prefix === 0x07 ? Uint8Array.from(g65) : Uint8Array.from(g33);
      b[0] = prefix;
      expect(() => pointFromBytes(b), `prefix ${prefix}`).toThrow(code('INVALID_POINT'));
    }
    expect(() => pointFromBytes(hexToBytes('02' + toHexPadded(P_FIELD + 1n).slice(-64)))).toThrow(code('INVALID_POINT'));
    expect(() => pointFromBytes(hexToBytes('02' + 'ff'.repeat(32)))).toThrow(code('INVALID_POINT'));
    for (const len of [0, 32, 34, 64, 66]) expect(() => pointFromBytes(new Uint8Array(len))).toThrow(code('INVALID_LENGTH'));
    expect(() => pointFromBytes('02' as unknown as Uint8Array)).toThrow(code('INVALID_ARGUMENT'));
  });
  it('affine coordinates: off-curve and out-of-field are INVALID_POINT', () => {
    expect(pointFromXY(GX, GY).equals(G)).toBe(true);
    expect(() => pointFromXY(GX, GY + 1n)).toThrow(code('INVALID_POINT'));
    expect(() => pointFromXY(GX, GY + P_FIELD)).toThrow(code('INVALID_POINT'));
    expect(() => pointFromXY(-1n, GY)).toThrow(code('INVALID_POINT'));
    expect(() => pointFromXY(1 as unknown as bigint, GY)).toThrow(code('INVALID_ARGUMENT'));
  });
  it('JSON {x, y} as the peer writes it (unpadded hex) round-trips; malformed JSON is typed', () => {
    fc.assert(
      fc.property(scalarArb, (k) => {
        const p = mulG(k);
        const j = pointToJSON(p);
        expect(j.x).toBe(p.toAffine().x.toString(16));
        expect(pointFromJSON(j).equals(p)).toBe(true);
        expect(pointFromJSON(pointToJSONPadded(p)).equals(p)).toBe(true);
        expect(pointToJSONPadded(p).x).toHaveLength(64);
      }),
      { numRuns: 30 },
    );
    expect(() => pointFromJSON(null)).toThrow(code('INVALID_JSON'));
    expect(() => pointFromJSON({ x: '1' })).toThrow(code('INVALID_JSON'));
    expect(() => pointFromJSON({ x: 1, y: 2 })).toThrow(code('INVALID_JSON'));
    expect(() => pointFromJSON({ x: 'zz', y: '01' })).toThrow(code('INVALID_HEX'));
    expect(() => pointFromJSON({ x: GX.toString(16), y: (GY + 1n).toString(16) })).toThrow(code('INVALID_POINT'));
  });
});

describe('group operations', () => {
  it('sample keys: postbox and metadata public keys', () => {
    expect(bytesToHex(getPublicKey(scalarToBytes(hexToNumber(S.metadataKey))))).toBe(S.metadataPub.compressed);
    const pub = pointFromBytes(getPublicKey(scalarToBytes(hexToNumber(S.postboxKey)), false));
    expect(pointToJSONPadded(pub)).toEqual(S.postboxPub);
    expect(() => getPublicKey(new Uint8Array(32))).toThrow(code('INVALID_SCALAR'));
  });
  it('mulG rejects 0; mulGUnsafe/mulPublic allow it; mulSecret = mulPublic; msm = Σ', () => {
    expect(() => mulG(0n)).toThrow(code('INVALID_SCALAR'));
    expect(() => mulG(N)).toThrow(code('INVALID_SCALAR'));
    expect(mulGUnsafe(0n).is0()).toBe(true);
    expect(mulGUnsafe(N + 2n).equals(mulG(2n))).toBe(true);
    expect(mulPublic(G, 0n).is0()).toBe(true);
    fc.assert(
      fc.property(scalarArb, scalarArb, (a, b) => {
        const P = mulG(a);
        expect(mulSecret(P, b).equals(mulPublic(P, b))).toBe(true);
        expect(mulSecret(P, b).equals(mulG(modN(a * b)))).toBe(true);
        expect(msm([G, P], [b, 3n]).equals(mulG(b).add(mulPublic(P, 3n)))).toBe(true);
      }),
      { numRuns: 20 },
    );
    expect(msm([], []).is0()).toBe(true);
    expect(() => msm([G], [])).toThrow(code('INVALID_ARGUMENT'));
  });
  it('ecdhX agrees with node’s ECDH and is symmetric', () => {
    const rng = seededRng('ecdh');
    for (let i = 0; i < 5; i++) {
      const a = randomScalar(rng);
      const b = randomScalar(rng);
      const node = createECDH('secp256k1');
      node.setPrivateKey(Buffer.from(scalarToBytes(a)));
      const shared = node.computeSecret(Buffer.from(pointToBytes(mulG(b), false)));
      expect(toHexPadded(ecdhX(a, mulG(b)))).toBe(shared.toString('hex'));
      expect(ecdhX(a, mulG(b))).toBe(ecdhX(b, mulG(a)));
    }
  });
});

describe('ECDSA over digests', () => {
  const d = randomScalar(seededRng('ecdsa'));
  const pub = mulG(d);
  const digest = keccak256(new TextEncoder().encode('message'));
  it('sign/verify compact and DER; wrong key or digest fails', () => {
    const sig = ecdsaSignDigest(digest, d);
    expect(sig.length).toBe(64);
    expect(ecdsaVerifyDigest(sig, digest, pub)).toBe(true);
    const der = ecdsaSignDigest(digest, d, { format: 'der' });
    expect(ecdsaVerifyDigest(der, digest, pub)).toBe(true);
    expect(ecdsaVerifyDigest(sig, keccak256(new Uint8Array(1)), pub)).toBe(false);
    expect(ecdsaVerifyDigest(sig, digest, mulG(d + 1n))).toBe(false);
    expect(ecdsaVerifyDigest(new Uint8Array(64), digest, pub)).toBe(false);
    expect(ecdsaVerifyDigest(new Uint8Array(10), digest, pub)).toBe(false);
    expect(() => ecdsaSignDigest(new Uint8Array(31), d)).toThrow(code('INVALID_LENGTH'));
    expect(() => ecdsaSignDigest(digest, 0n)).toThrow(code('INVALID_SCALAR'));
    expect(() => ecdsaVerifyDigest(sig, new Uint8Array(33), pub)).toThrow(code('INVALID_LENGTH'));
  });
  it('high-S verifies unless lowS is required (tKey AuthMetadata is not low-S)', () => {
    const { r, s } = parseSignature(ecdsaSignDigest(digest, d), 'compact');
    expect(s <= N / 2n).toBe(true);
    const high = signatureToDer(r, N - s);
    expect(ecdsaVerifyDigest(high, digest, pub)).toBe(true);
    expect(ecdsaVerifyDigest(high, digest, pub, { lowS: true })).toBe(false);
    expect(ecdsaVerifyDigest(ecdsaSignDigest(digest, d, { lowS: false }), digest, pub)).toBe(true);
  });
  it('parseSignature rejects garbage and out-of-range r/s', () => {
    expect(() => parseSignature(new Uint8Array(8), 'der')).toThrow(code('INVALID_SIGNATURE'));
    expect(() => parseSignature(new Uint8Array(64), 'compact')).toThrow(code('INVALID_SIGNATURE'));
    expect(() => parseSignature(hexToBytes(toHexPadded(N) + toHexPadded(1n)), 'compact')).toThrow(code('INVALID_SIGNATURE'));
  });
  it('recoverPublicKey finds the signer from a recovered signature', () => {
    const rec = ecdsaSignDigest(digest, d, { format: 'recovered' });
    expect(rec.length).toBe(65);
    const { r, s } = parseSignature(rec.slice(1), 'compact');
    expect(recoverPublicKey(r, s, rec[0]!, digest).equals(pub)).toBe(true);
    expect(recoverPublicKey(r, s, rec[0]! ^ 1, digest).equals(pub)).toBe(false);
    expect(() => recoverPublicKey(r, s, 7, digest)).toThrow(code('INVALID_SIGNATURE'));
  });
});
