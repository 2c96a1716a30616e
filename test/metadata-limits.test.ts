/**
 * Hostile metadata documents (issue: reliability under hostile input): deep nesting, a
 * `__proto__` key, out-of-range share indices, oversized records — each gets a typed error (or is
 * kept verbatim), never a stack overflow, a polluted prototype or a long stall; the signature of an
 * AuthMetadata document is checked before the document is interpreted.
 */
import { describe, expect, it } from 'vitest';
import { utf8ToBytes } from '../src/bytes.js';
import { getPublicKey, mulG, N as q, pointToHex, scalarToBytes } from '../src/curve.js';
import { eciesEncryptJSON } from '../src/ecies.js';
import { isTkeyTssError } from '../src/errors.js';
import { seededRng } from '../src/rng.js';
import { signAuthMetadata, verifyAuthMetadata } from '../src/metadata/auth-metadata.js';
import { MAX_JSON_DEPTH, MAX_RECORD_CHARS } from '../src/metadata/json-limits.js';
import { Metadata } from '../src/metadata/metadata.js';
import { decodeEnvelope, decodeShareRecord, encodeEnvelope, encodeRecord } from '../src/metadata/record.js';
import { stableStringify } from '../src/metadata/stable-stringify.js';
import { randomPolynomial, commit, polyIdFromCommitments, polyIdListEntry } from '../src/shamir/index.js';

const rng = seededRng('metadata-limits');
const km = 0x1234567890abcdefn;
const shareKey = 0xfeedbeefn;

function expectCode(fn: () => unknown, code: string): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${code}`).toBeDefined();
  expect(isTkeyTssError(err), `untyped: ${String(err)}`).toBe(true);
  expect((err as { code: string }).code).toBe(code);
}

function baseJSON(): Record<string, unknown> {
  const f = randomPolynomial(rng, 1);
  f[0] = km;
  const polyId = polyIdFromCommitments(commit(f));
  const m = Metadata.fromJSON({ pubKey: pointToHex(mulG(km), true), polyIDList: [polyIdListEntry(polyId, [1n, 2n])], generalStore: {}, tkeyStore: {}, scopedStore: {}, nonce: 0 });
  return m.toJSON() as unknown as Record<string, unknown>;
}

function nested(depth: number): unknown {
  let v: unknown = [];
  for (let i = 1; i < depth; i++) v = [v];
  return v;
}

/** A record encrypted to the share's key whose plaintext is `text` (anyone can make one). */
function recordOf(text: string): string {
  return encodeEnvelope(eciesEncryptJSON(getPublicKey(scalarToBytes(shareKey)), utf8ToBytes(text), { rng }));
}

describe('metadata documents: depth', () => {
  it('3,000 nested arrays in a store field: typed INVALID_JSON from fromJSON, verifyAuthMetadata and decodeShareRecord', () => {
    const doc = { ...baseJSON(), generalStore: { deep: nested(3000) } };
    expectCode(() => Metadata.fromJSON(doc), 'INVALID_JSON');
    expectCode(() => verifyAuthMetadata({ data: doc, sig: '3045' + '00'.repeat(70) }), 'INVALID_JSON');
    expectCode(() => decodeShareRecord(shareKey, recordOf(`{"data":${JSON.stringify(doc)},"sig":"3006020101020101"}`)), 'INVALID_JSON');
    expectCode(() => stableStringify(nested(3000)), 'INVALID_JSON');
  });
  it('the limit is exact: depth MAX_JSON_DEPTH round-trips, one more is refused', () => {
    const ok = { ...baseJSON(), generalStore: { d: nested(MAX_JSON_DEPTH - 2) } }; // document → generalStore → d …
    expect(Metadata.fromJSON(ok).toJSON()).toEqual(ok);
    const over = { ...baseJSON(), generalStore: { d: nested(MAX_JSON_DEPTH - 1) } };
    expectCode(() => Metadata.fromJSON(over), 'INVALID_JSON');
  });
  it('a cycle, and shared sub-objects that expand to 2^40 elements, are refused with a typed error at once', () => {
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    expectCode(() => Metadata.fromJSON({ ...baseJSON(), generalStore: cyc }), 'INVALID_JSON');
    const shared = { a: 1 };
    let v: Record<string, unknown> = { x: shared, y: shared };
    for (let i = 0; i < 40; i++) v = { x: v, y: v }; // 42 objects, 2^41 paths
    expectCode(() => Metadata.fromJSON({ ...baseJSON(), generalStore: { v } }), 'INVALID_JSON');
    expectCode(() => verifyAuthMetadata({ data: { ...baseJSON(), generalStore: { v } }, sig: '3006020101020101' }), 'INVALID_JSON');
  });
});

describe('metadata documents: keys and indices', () => {
  it('a top-level "__proto__" key is kept as data: extra keeps Object.prototype and toJSON writes it back', () => {
    const text = JSON.stringify(baseJSON()).replace(/^\{/, '{"__proto__":{"polluted":true},');
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const m = Metadata.fromJSON(parsed);
    expect(Object.getPrototypeOf(m.extra)).toBe(Object.prototype);
    expect((m.extra as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.keys(m.extra)).toEqual(['__proto__']);
    const out = m.toJSON();
    expect(Object.keys(out)).toContain('__proto__');
    expect(stableStringify(out)).toBe(stableStringify(parsed));
  });
  it('a "__proto__" tssTag in a point map stays a key, never a prototype', () => {
    const doc = baseJSON();
    const pt = { x: mulG(5n).x.toString(16), y: mulG(5n).y.toString(16) };
    const m = Metadata.fromJSON(JSON.parse(JSON.stringify({ ...doc, factorPubs: {} }).replace('"factorPubs":{}', `"factorPubs":{"__proto__":[${JSON.stringify(pt)}]}`)));
    expect(Array.isArray(Object.getPrototypeOf(m.factorPubs))).toBe(false);
    expect(Object.keys(m.factorPubs!)).toEqual(['__proto__']);
  });
  it('polyIDList share indices must be non-zero and below the group order', () => {
    const doc = baseJSON();
    const [entry] = doc.polyIDList as string[];
    const polyId = entry!.split('|0x0|')[0]!;
    for (const bad of [q, q + 5n, 0n]) {
      const d = { ...doc, polyIDList: [`${polyId}|0x0|1|${bad.toString(16)}`] };
      expectCode(() => Metadata.fromJSON(d), 'INVALID_JSON');
    }
    expect(() => Metadata.fromJSON({ ...doc, polyIDList: [`${polyId}|0x0|1|${(q - 1n).toString(16)}`] })).not.toThrow();
  });
});

describe('AuthMetadata: the signature first', () => {
  it('a document that is malformed beyond its pubKey but carries a wrong signature is refused as unsigned', () => {
    const doc = { ...baseJSON(), polyIDList: ['garbage'] };
    expectCode(() => verifyAuthMetadata({ data: doc, sig: '3006020101020101' }), 'METADATA_SIGNATURE_INVALID');
  });
  it('a correctly signed document still verifies and parses', () => {
    const m = Metadata.fromJSON(baseJSON());
    const signed = signAuthMetadata(m, km);
    expect(verifyAuthMetadata(signed).toJSON()).toEqual(m.toJSON());
  });
});

describe('records: size', () => {
  it('a record value over the cap is refused before it is decoded', () => {
    const big = 'A'.repeat(MAX_RECORD_CHARS + 1);
    expectCode(() => decodeEnvelope(big), 'PAYLOAD_TOO_LARGE');
    expectCode(() => decodeShareRecord(shareKey, big), 'PAYLOAD_TOO_LARGE');
  });
  it('encodeRecord never writes what no reader accepts', () => {
    expectCode(() => encodeRecord(mulG(shareKey), { blob: 'x'.repeat(MAX_RECORD_CHARS) }, rng), 'PAYLOAD_TOO_LARGE');
  });
});

describe('stableStringify: bounded', () => {
  it('refuses 2^41 elements reached through shared sub-objects, at once', () => {
    let v: Record<string, unknown> = { a: 1 };
    for (let i = 0; i < 40; i++) v = { x: v, y: v };
    expectCode(() => stableStringify(v), 'INVALID_JSON');
  });
});
