import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bytesToUtf8, hexToNumber } from '../src/bytes.js';
import { mulG, pointFromHex } from '../src/curve.js';
import { isTkeyTssError } from '../src/errors.js';
import { seededRng } from '../src/rng.js';
import { signAuthMetadata, verifyAuthMetadata } from '../src/metadata/auth-metadata.js';
import { Metadata } from '../src/metadata/metadata.js';
import {
  decodeEnvelope, decodeRecord, decodeServiceProviderRecord, decodeShareRecord, decryptRecordBytes, encodeEnvelope, encodeRecord,
  recordAddress, shareDeletedMarker,
} from '../src/metadata/record.js';
import { Share, ShareStore } from '../src/metadata/share-store.js';
import { stableStringify } from '../src/metadata/stable-stringify.js';
import { loadSample, type V1Sample } from './helpers/v1-sample.js';

const S: V1Sample = loadSample();
const km = hexToNumber(S.metadataKey);

/** Owner key of a sample record, from the sample's own share tables. */
function ownerKey(owner: string): bigint {
  if (owner === 'postboxKey') return hexToNumber(S.postboxKey);
  const all = [...S.historicalShares.map((h) => ({ polyID: h.polyID, index: h.index, value: h.value })), ...S.shares.map((s) => ({ polyID: s.polynomialID, index: s.index, value: s.value }))];
  let m = /^deleted share ([0-9a-f]+)$/.exec(owner);
  if (m) return hexToNumber(S.deletedShare.value);
  m = /^share ([0-9a-f]+) @ (.+)$/.exec(owner);
  if (!m) throw new Error(`unknown owner ${owner}`);
  const hit = all.find((a) => a.index === m![1] && a.polyID === m![2]);
  if (!hit) throw new Error(`no share for ${owner}`);
  return hexToNumber(hit.value);
}

describe('stableStringify', () => {
  it('sorts keys recursively, no whitespace, honours toJSON, drops undefined', () => {
    expect(stableStringify({ b: 1, a: [3, { d: undefined, c: 'x' }], e: { toJSON: () => 'j' } })).toBe('{"a":[3,{"c":"x"}],"b":1,"e":"j"}');
    expect(stableStringify([undefined, () => 1])).toBe('[null,null]');
  });
  it('refuses bigint and cycles', () => {
    expect(() => stableStringify({ a: 1n })).toThrow(/bigint/);
    const o: Record<string, unknown> = {};
    o.o = o;
    expect(() => stableStringify(o)).toThrow(/circular/);
  });
});

describe('Share / ShareStore JSON', () => {
  it('round-trips every sample ShareStore byte-identically', () => {
    for (const s of S.shares) {
      const ss = ShareStore.fromJSON(s.shareStoreJSON);
      expect(stableStringify(ss.exportJSON())).toBe(stableStringify(s.shareStoreJSON));
    }
  });
  it('accepts padded hex on input, emits unpadded', () => {
    const ss = ShareStore.fromJSON({ share: { share: '0x00ff', shareIndex: '0001' }, polynomialID: 'p' });
    expect(ss.exportJSON()).toEqual({ share: { share: 'ff', shareIndex: '1' }, polynomialID: 'p' });
  });
  it('redacts the share value in toJSON and inspect', async () => {
    const ss = new ShareStore(new Share(5n, 123456789n), 'poly');
    expect(JSON.stringify(ss)).not.toContain((123456789n).toString(16));
    const { inspect } = await import('node:util');
    expect(inspect(ss)).toContain('redacted');
    expect(inspect(ss)).not.toContain((123456789n).toString(16));
  });
  it('rejects index 0 and values ≥ n', () => {
    expect(() => Share.fromJSON({ share: '1', shareIndex: '0' })).toThrow(/ZERO_INDEX/);
    expect(() => Share.fromJSON({ share: 'f'.repeat(64), shareIndex: '1' })).toThrow(/OUT_OF_RANGE/);
  });
});

describe('the 13 stored records of the v1 sample', () => {
  it('has 13 records', () => expect(S.storage.length).toBe(13));
  for (const [i, r] of S.storage.entries()) {
    it(`record ${i} (${r.owner.slice(0, 40)}) decrypts with its owner key and re-encodes`, () => {
      const k = ownerKey(r.owner);
      // address = unpadded hex of the owner's public key
      const addr = recordAddress(mulG(k));
      expect(addr).toEqual({ pubX: r.record.pub_key_X, pubY: r.record.pub_key_Y, namespace: 'tkey' });
      // envelope re-encodes to the same stored value
      expect(encodeEnvelope(decodeEnvelope(r.storedValue))).toBe(r.storedValue);
      // plaintext is the canonical JSON of the decrypted content
      const plain = bytesToUtf8(decryptRecordBytes(k, r.storedValue));
      expect(plain).toBe(stableStringify(r.decrypted));
      const content = decodeRecord(k, r.storedValue) as Record<string, unknown>;
      if (r.owner === 'postboxKey') {
        const ss = decodeServiceProviderRecord(k, r.storedValue);
        expect(stableStringify(ss.exportJSON())).toBe(plain);
      } else if (content.message === 'SHARE_DELETED') {
        expect(stableStringify(shareDeletedMarker(content.dateAdded as number))).toBe(plain);
        expect(() => decodeShareRecord(k, r.storedValue)).toThrow(expect.objectContaining({ code: 'SHARE_DELETED' }));
      } else {
        const m = decodeShareRecord(k, r.storedValue);
        // our model re-serialises the metadata byte-identically, and signing it with k_m
        // (RFC 6979, no low-S normalisation) reproduces the peer's DER signature exactly
        expect(stableStringify(m.toJSON())).toBe(stableStringify((content as { data: unknown }).data));
        const re = signAuthMetadata(m, km);
        expect(re.sig).toBe((content as { sig: string }).sig);
        expect(stableStringify(re)).toBe(plain);
      }
      // a fresh encryption of the same content decrypts back to the same plaintext
      const again = encodeRecord(mulG(k), content, seededRng(`rec-${i}`));
      expect(bytesToUtf8(decryptRecordBytes(k, again))).toBe(plain);
    });
  }
});

describe('Metadata JSON', () => {
  it('metadataJSON round-trips byte-identically', () => {
    const m = Metadata.fromJSON(S.metadataJSON);
    expect(stableStringify(m.toJSON())).toBe(stableStringify(S.metadataJSON));
    expect(stableStringify(m.clone().toJSON())).toBe(stableStringify(S.metadataJSON));
    expect(m.latestPolyId()).toBe(S.latestPolyID);
    expect(m.threshold()).toBe(2);
    expect(m.shareIndexes().map((x) => x.toString(16))).toEqual(['1', S.roles.securityQuestionIndex, S.roles.deviceIndex]);
  });
  it('absent TSS fields stay absent; unknown fields are preserved', () => {
    const j = { ...S.metadataJSON, ourAux: { a: 1 } } as Record<string, unknown>;
    for (const f of ['tssKeyTypes', 'tssNonces', 'tssPolyCommits', 'factorPubs', 'factorEncs']) delete j[f];
    const out = Metadata.fromJSON(j).toJSON();
    expect(stableStringify(out)).toBe(stableStringify(j));
    expect('tssNonces' in out).toBe(false);
  });
  it('finds a bare share value on its polynomial (mnemonic input path)', () => {
    const m = Metadata.fromJSON(S.metadataJSON);
    for (const s of S.shares) {
      const ss = m.shareToShareStore(hexToNumber(s.value));
      expect(ss.index.toString(16)).toBe(s.index);
      expect(ss.polynomialID).toBe(s.polynomialID);
    }
    expect(() => m.shareToShareStore(12345n)).toThrow(expect.objectContaining({ code: 'SHARE_UNKNOWN' }));
  });
  it('rejects a polynomial that does not commit to pubKey', () => {
    const j = structuredClone(S.metadataJSON) as { pubKey: string };
    j.pubKey = '02' + 'ab9cc5fca34ef3e2a098fc24500ecc6f4cee3dd9c414a749051b3209b1fb6c94';
    expect(() => Metadata.fromJSON(j)).toThrow(/INVALID_JSON/);
  });
});

describe('AuthMetadata', () => {
  const rec = S.storage.find((r) => r.owner.startsWith('share 1 @') && (r.decrypted as { data?: { nonce?: number } }).data?.nonce === 6)!;
  const auth = rec.decrypted as { data: Record<string, unknown>; sig: string };
  it('verifies the sample signature (high-S accepted when present)', () => {
    expect(verifyAuthMetadata(auth).pubKey.equals(pointFromHex(S.metadataPub.compressed))).toBe(true);
  });
  it('rejects a tampered body and a foreign signature', () => {
    const bad = structuredClone(auth);
    (bad.data as { nonce: number }).nonce += 1;
    expect(() => verifyAuthMetadata(bad)).toThrow(expect.objectContaining({ code: 'METADATA_SIGNATURE_INVALID' }));
    const other = S.storage.find((r) => r !== rec && 'sig' in r.decrypted)!.decrypted as { sig: string };
    expect(() => verifyAuthMetadata({ ...auth, sig: other.sig })).toThrow(expect.objectContaining({ code: 'METADATA_SIGNATURE_INVALID' }));
    expect(() => verifyAuthMetadata({ ...auth, sig: 'zz' })).toThrow(expect.objectContaining({ code: 'METADATA_SIGNATURE_INVALID' }));
  });
  it('refuses to sign with a key that is not k_m', () => {
    expect(() => signAuthMetadata(Metadata.fromJSON(S.metadataJSON), 7n)).toThrow(expect.objectContaining({ code: 'METADATA_KEY_MISMATCH' }));
  });
});

describe('record negatives', () => {
  const r = S.storage[2]!; // postbox record
  const k = hexToNumber(S.postboxKey);
  it('wrong key → ECIES_MAC_MISMATCH', () => {
    expect(() => decodeRecord(k + 1n, r.storedValue)).toThrow(expect.objectContaining({ code: 'ECIES_MAC_MISMATCH' }));
  });
  it('tampered ciphertext / MAC → ECIES_MAC_MISMATCH', () => {
    const env = decodeEnvelope(r.storedValue);
    const flip = (h: string) => (h[0] === '0' ? '1' : '0') + h.slice(1);
    for (const f of ['ciphertext', 'mac', 'iv'] as const) {
      const bad = encodeEnvelope({ ...env, [f]: flip(env[f]) });
      try {
        decodeRecord(k, bad);
        expect.unreachable();
      } catch (e) {
        expect(isTkeyTssError(e, 'ECIES_MAC_MISMATCH')).toBe(true);
      }
    }
  });
  it('garbage value → INVALID_JSON', () => {
    expect(() => decodeRecord(k, 'not-json')).toThrow(/INVALID/);
  });
});

describe('TSS sample metadata (v15 TSS fields)', () => {
  const T = JSON.parse(readFileSync(new URL('../test-vectors/interop/tkey-tss-sample.json', import.meta.url), 'utf8')) as {
    metadataJSON: Record<string, unknown>;
    storage: { owner: string; decrypted: Record<string, unknown> }[];
  };
  it('metadataJSON round-trips byte-identically (tssPolyCommits, factorPubs, factorEncs)', () => {
    expect(stableStringify(Metadata.fromJSON(T.metadataJSON).toJSON())).toBe(stableStringify(T.metadataJSON));
  });
  it('every AuthMetadata record verifies and re-serialises identically', () => {
    let n = 0;
    for (const r of T.storage) {
      if (!('sig' in r.decrypted)) continue;
      const m = verifyAuthMetadata(r.decrypted);
      expect(stableStringify(m.toJSON())).toBe(stableStringify(r.decrypted.data));
      n++;
    }
    expect(n).toBeGreaterThan(0);
  });
});
