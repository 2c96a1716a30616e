import { createDecipheriv, createECDH, createHash, createHmac } from 'node:crypto';
import { cbc } from '@noble/ciphers/aes.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToHex, bytesToUtf8, concatBytes, hexToBytes, hexToNumber, numberToBytesMin, utf8ToBytes } from '../src/bytes.js';
import { ecdhX, getPublicKey, mulG, pointFromBytes, pointToBytes, randomScalar, scalarToBytes } from '../src/curve.js';
import { eciesDecrypt, eciesDecryptJSON, eciesEncrypt, eciesEncryptJSON, eciesFromJSON, eciesToJSON, type EciesCiphertext } from '../src/ecies.js';
import { hmacSha256, sha512 } from '../src/hash.js';
import { seededRng } from '../src/rng.js';
import { loadSample, type V1Sample } from './helpers/v1-sample.js';

const code = (c: string) => expect.objectContaining({ code: c });
const S = loadSample() as V1Sample & { ed25519Seed: string };
const rng = seededRng('ecies-tests');
const sk = scalarToBytes(randomScalar(rng));
const pub = getPublicKey(sk, false);

/** eccrypto's decrypt written against node:crypto only: MAC with Px as given (`padded` or stripped), then AES-CBC. */
function nodeDecrypt(secret: Uint8Array, c: EciesCiphertext, padded: boolean): Uint8Array {
  const ecdh = createECDH('secp256k1');
  ecdh.setPrivateKey(Buffer.from(secret));
  let px: Buffer = ecdh.computeSecret(Buffer.from(c.ephemPublicKey));
  if (!padded) while (px.length > 0 && px[0] === 0) px = px.subarray(1);
  const h = createHash('sha512').update(px).digest();
  const mac = createHmac('sha256', h.subarray(32)).update(Buffer.concat([c.iv, c.ephemPublicKey, c.ciphertext])).digest();
  if (!mac.equals(Buffer.from(c.mac))) throw new Error('node: bad MAC');
  const d = createDecipheriv('aes-256-cbc', h.subarray(0, 32), c.iv);
  return new Uint8Array(Buffer.concat([d.update(c.ciphertext), d.final()]));
}

/** Seed whose first ephemeral key gives x(k·Pub) a leading zero byte (a 31-byte unpadded Px); found by search, checked below. */
const SHORT_PX_SEED = 'short-px-300';

describe('ECIES round trip', () => {
  it('any message, padded and unpadded Px, compressed or uncompressed recipient key; node decrypts it too', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.boolean(), fc.boolean(), (msg, padX, compressed) => {
        const c = eciesEncrypt(compressed ? getPublicKey(sk, true) : pub, msg, { rng, padX });
        expect(c.ephemPublicKey.length).toBe(65);
        expect(c.ephemPublicKey[0]).toBe(4);
        expect(c.iv.length).toBe(16);
        expect(c.mac.length).toBe(32);
        expect(c.ciphertext.length).toBe(16 * (Math.floor(msg.length / 16) + 1));
        expect(eciesDecrypt(sk, c)).toEqual(msg);
        expect(nodeDecrypt(sk, c, padX)).toEqual(msg);
      }),
      { numRuns: 40 },
    );
  });
  it('when x(k·Pub) has a leading zero byte, padX picks the 32- or 31-byte Px and both decrypt', () => {
    const seed = SHORT_PX_SEED;
    expect(numberToBytesMin(ecdhX(randomScalar(seededRng(seed)), pointFromBytes(pub))).length).toBe(31);
    const msg = utf8ToBytes('short Px');
    const unpadded = eciesEncrypt(pub, msg, { rng: seededRng(seed), padX: false });
    const padded = eciesEncrypt(pub, msg, { rng: seededRng(seed), padX: true });
    expect(unpadded.ephemPublicKey).toEqual(padded.ephemPublicKey);
    expect(unpadded.mac).not.toEqual(padded.mac); // different KDF input
    expect(() => nodeDecrypt(sk, unpadded, true)).toThrow('bad MAC');
    expect(nodeDecrypt(sk, unpadded, false)).toEqual(msg);
    expect(nodeDecrypt(sk, padded, true)).toEqual(msg);
    expect(eciesDecrypt(sk, unpadded)).toEqual(msg);
    expect(eciesDecrypt(sk, padded)).toEqual(msg);
  });
  it('the JSON form is lower-case hex and round-trips', () => {
    const j = eciesEncryptJSON(pub, utf8ToBytes('{"a":1}'), { rng });
    for (const v of Object.values(j)) expect(v).toMatch(/^[0-9a-f]+$/);
    expect(Object.keys(j).sort()).toEqual(['ciphertext', 'ephemPublicKey', 'iv', 'mac']);
    expect(bytesToUtf8(eciesDecryptJSON(sk, JSON.parse(JSON.stringify(j))))).toBe('{"a":1}');
    expect(eciesToJSON(eciesFromJSON(j))).toEqual(j);
  });
  it('is deterministic under a seeded rng and fresh under cryptoRng', () => {
    const m = utf8ToBytes('x');
    expect(eciesEncrypt(pub, m, { rng: seededRng('d') })).toEqual(eciesEncrypt(pub, m, { rng: seededRng('d') }));
    expect(eciesEncrypt(pub, m).ephemPublicKey).not.toEqual(eciesEncrypt(pub, m).ephemPublicKey);
  });
});

describe('ECIES decrypts what tKey stored (samples/tkey-v1-sample.json)', () => {
  const owners = new Map<string, string>([['postboxKey', S.postboxKey], [`deleted share ${S.deletedShare.index}`, S.deletedShare.value]]);
  for (const s of S.shares) owners.set(`share ${s.index} @ ${s.polynomialID}`, s.value);
  for (const h of S.historicalShares) owners.set(`share ${h.index} @ ${h.polyID}`, h.value);
  const recordKey = (r: (typeof S.storage)[number]) => scalarToBytes(hexToNumber(owners.get(r.owner)!));
  const envelope = (r: (typeof S.storage)[number]) => eciesFromJSON(JSON.parse(bytesToUtf8(base64ToBytes(r.storedValue))));

  it('every record decrypts with its owner key to the stored content, including unpadded-Px ones', () => {
    let unpaddedSeen = 0;
    for (const r of S.storage) {
      expect(owners.has(r.owner), r.owner).toBe(true);
      const key = recordKey(r);
      // the record is addressed by its owner's public key (unpadded hex coordinates)
      const P = pointFromBytes(getPublicKey(key, false)).toAffine();
      expect([P.x.toString(16), P.y.toString(16)]).toEqual([r.record.pub_key_X, r.record.pub_key_Y]);
      const c = envelope(r);
      const pt = bytesToUtf8(eciesDecrypt(key, c));
      expect(JSON.parse(pt)).toEqual(r.decrypted);
      if (numberToBytesMin(ecdhX(hexToNumber(owners.get(r.owner)!), pointFromBytes(c.ephemPublicKey))).length < 32) {
        unpaddedSeen++;
        expect(() => nodeDecrypt(key, c, true)).toThrow('bad MAC'); // eccrypto 5 really used the 31-byte Px
      }
    }
    expect(unpaddedSeen).toBeGreaterThanOrEqual(1);
  });
  it('the ed25519 seed in generalStore decrypts with the metadata key', () => {
    const gs = S.metadataJSON.generalStore as { ed25519Seed: { message: unknown } };
    const seed = eciesDecryptJSON(scalarToBytes(hexToNumber(S.metadataKey)), gs.ed25519Seed.message);
    expect(bytesToHex(seed)).toBe(S.ed25519Seed);
  });
  it('a sample record under another record’s key is ECIES_MAC_MISMATCH', () => {
    const [a, b] = [S.storage[0]!, S.storage[2]!];
    expect(() => eciesDecrypt(recordKey(b), envelope(a))).toThrow(code('ECIES_MAC_MISMATCH'));
  });
});

describe('ECIES failures are typed', () => {
  const msg = utf8ToBytes('a metadata record, more than one AES block long');
  const good = eciesEncrypt(pub, msg, { rng });
  const flip = (b: Uint8Array, i: number) => {
    const c = Uint8Array.from(b);
    c[i]! ^= 1;
    return c;
  };
  it('tampered ciphertext, iv or mac, or another valid ephemeral key: ECIES_MAC_MISMATCH', () => {
    expect(eciesDecrypt(sk, good)).toEqual(msg);
    for (const i of [0, good.ciphertext.length - 1]) expect(() => eciesDecrypt(sk, { ...good, ciphertext: flip(good.ciphertext, i) })).toThrow(code('ECIES_MAC_MISMATCH'));
    expect(() => eciesDecrypt(sk, { ...good, iv: flip(good.iv, 15) })).toThrow(code('ECIES_MAC_MISMATCH'));
    expect(() => eciesDecrypt(sk, { ...good, mac: flip(good.mac, 31) })).toThrow(code('ECIES_MAC_MISMATCH'));
    const other = pointToBytes(mulG(12345n), false);
    expect(() => eciesDecrypt(sk, { ...good, ephemPublicKey: other })).toThrow(code('ECIES_MAC_MISMATCH'));
    // same point, compressed: the MAC covers the bytes as sent
    expect(() => eciesDecrypt(sk, { ...good, ephemPublicKey: pointToBytes(pointFromBytes(good.ephemPublicKey), true) })).toThrow(code('ECIES_MAC_MISMATCH'));
    // truncated by one block: still a multiple of 16, caught by the MAC
    expect(() => eciesDecrypt(sk, { ...good, ciphertext: good.ciphertext.slice(16) })).toThrow(code('ECIES_MAC_MISMATCH'));
  });
  it('wrong key: ECIES_MAC_MISMATCH; invalid key: INVALID_SCALAR / INVALID_LENGTH', () => {
    expect(() => eciesDecrypt(scalarToBytes(randomScalar(rng)), good)).toThrow(code('ECIES_MAC_MISMATCH'));
    expect(() => eciesDecrypt(new Uint8Array(32), good)).toThrow(code('INVALID_SCALAR'));
    expect(() => eciesDecrypt(new Uint8Array(31), good)).toThrow(code('INVALID_LENGTH'));
  });
  it('malformed envelope fields: INVALID_POINT / INVALID_LENGTH', () => {
    const offCurve = flip(good.ephemPublicKey, 64);
    expect(() => eciesDecrypt(sk, { ...good, ephemPublicKey: offCurve })).toThrow(code('INVALID_POINT'));
    expect(() => eciesDecrypt(sk, { ...good, ephemPublicKey: new Uint8Array(65) })).toThrow(code('INVALID_POINT'));
    expect(() => eciesDecrypt(sk, { ...good, ephemPublicKey: good.ephemPublicKey.slice(1) })).toThrow(code('INVALID_LENGTH'));
    expect(() => eciesDecrypt(sk, { ...good, iv: good.iv.slice(1) })).toThrow(code('INVALID_LENGTH'));
    expect(() => eciesDecrypt(sk, { ...good, mac: good.mac.slice(1) })).toThrow(code('INVALID_LENGTH'));
    expect(() => eciesDecrypt(sk, { ...good, ciphertext: good.ciphertext.slice(1) })).toThrow(code('INVALID_LENGTH'));
    expect(() => eciesDecrypt(sk, { ...good, ciphertext: new Uint8Array(0) })).toThrow(code('INVALID_LENGTH'));
  });
  it('a valid MAC over bad PKCS#7 padding: ECIES_DECRYPT_FAILED', () => {
    // build the envelope by hand so the MAC is right and the plaintext padding is not
    const k = randomScalar(rng);
    const E = pointToBytes(mulG(k), false);
    const h = sha512(scalarToBytes(ecdhX(k, pointFromBytes(pub))));
    const iv = new Uint8Array(16);
    const ciphertext = cbc(h.slice(0, 32), iv, { disablePadding: true }).encrypt(new Uint8Array(16).fill(0x11)); // last byte 0x11 > 16
    const mac = hmacSha256(h.slice(32), concatBytes(iv, E, ciphertext));
    expect(() => eciesDecrypt(sk, { iv, ephemPublicKey: E, ciphertext, mac })).toThrow(code('ECIES_DECRYPT_FAILED'));
  });
  it('encrypting to an invalid public key is refused', () => {
    expect(() => eciesEncrypt(new Uint8Array(65), msg)).toThrow(code('INVALID_POINT'));
    expect(() => eciesEncrypt(pub.slice(1), msg)).toThrow(code('INVALID_LENGTH'));
    expect(() => eciesEncrypt(pub, 'text' as unknown as Uint8Array)).toThrow(code('INVALID_ARGUMENT'));
  });
  it('JSON: missing or non-hex fields are typed', () => {
    const j = eciesToJSON(good);
    expect(() => eciesFromJSON(null)).toThrow(code('INVALID_JSON'));
    expect(() => eciesFromJSON({ ...j, mac: undefined })).toThrow(code('INVALID_JSON'));
    expect(() => eciesFromJSON({ ...j, iv: 5 })).toThrow(code('INVALID_JSON'));
    expect(() => eciesFromJSON({ ...j, ciphertext: 'xyz' })).toThrow(code('INVALID_HEX'));
    expect(() => eciesDecryptJSON(sk, { ...j, ephemPublicKey: j.ephemPublicKey.slice(2) })).toThrow(code('INVALID_LENGTH'));
    expect(hexToBytes(j.ciphertext)).toEqual(good.ciphertext);
  });
});
