/**
 * Serialization with shape validation (recipe §3 #3, BitGo "zero proof"): missing, empty,
 * non-canonical, truncated or extended fields decode to PROOF_MALFORMED, never a crash; a verifier
 * given a wrong-shaped object returns PROOF_MALFORMED.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mulG } from '../src/curve.js';
import { seededRng } from '../src/rng.js';
import * as enc from '../src/zk/enc.js';
import * as mod from '../src/zk/mod.js';
import * as sch from '../src/zk/sch.js';
import { PROFILE_DEFAULT } from '../src/zk/params.js';
import { tr, zkParty } from './helpers/zk-fixtures.js';

const rng = seededRng('zk-codec');
let encProof: enc.EncProof;
let encPub: enc.EncPublic;
let schProof: sch.SchProof;

beforeAll(() => {
  const P0 = zkParty(0);
  const P1 = zkParty(1);
  const key = P0.sk.publicKey;
  const { ciphertext: K, nonce: rho } = key.encryptAndNonce(77n, rng);
  encPub = { key, K, rp: P1.rp };
  encProof = enc.prove(encPub, { k: 77n, rho }, tr(), rng);
  schProof = sch.prove({ X: mulG(5n) }, { x: 5n }, tr(), rng);
});

const malformed = (d: { ok: boolean; reason?: string }) => !d.ok && d.reason === 'PROOF_MALFORMED';

describe('bytes', () => {
  it('round-trips and rejects every truncation, an extension, empty input and bad versions', () => {
    const b = enc.proofToBytes(encProof);
    expect(enc.proofFromBytes(b)).toMatchObject({ ok: true });
    for (let cut = 0; cut < b.length; cut += Math.max(1, Math.floor(b.length / 97))) {
      expect(malformed(enc.proofFromBytes(b.subarray(0, cut))), `cut ${cut}`).toBe(true);
    }
    expect(malformed(enc.proofFromBytes(b.subarray(0, b.length - 1)))).toBe(true);
    expect(malformed(enc.proofFromBytes(new Uint8Array([...b, 0])))).toBe(true);
    expect(malformed(enc.proofFromBytes(new Uint8Array(0)))).toBe(true);
    const v2 = b.slice();
    v2[0] = 2;
    expect(malformed(enc.proofFromBytes(v2))).toBe(true);
    expect(malformed(enc.proofFromBytes('00' as unknown as Uint8Array))).toBe(true);
  });
  it('non-canonical integers: leading zero, negative zero, negative nat, bad sign byte', () => {
    // sch: version ‖ A (33) ‖ z: sign ‖ len ‖ mag
    const b = sch.proofToBytes(schProof);
    const zOff = 1 + 33;
    const mag = b.subarray(zOff + 5);
    const withLeadingZero = new Uint8Array([...b.subarray(0, zOff), 0, 0, 0, 0, mag.length + 1, 0, ...mag]);
    expect(sch.proofFromBytes(withLeadingZero)).toMatchObject({ ok: false, reason: 'PROOF_MALFORMED', detail: 'z: non-minimal' });
    expect(malformed(sch.proofFromBytes(new Uint8Array([...b.subarray(0, zOff), 1, 0, 0, 0, 0])))).toBe(true);
    const neg = b.slice();
    neg[zOff] = 1;
    expect(sch.proofFromBytes(neg)).toMatchObject({ ok: false, reason: 'PROOF_MALFORMED', detail: 'z: sign' });
    neg[zOff] = 7;
    expect(malformed(sch.proofFromBytes(neg))).toBe(true);
  });
  it('invalid points, oversized arrays and integers', () => {
    const b = sch.proofToBytes(schProof);
    const badPt = b.slice();
    badPt[1] = 0x05;
    expect(sch.proofFromBytes(badPt)).toMatchObject({ ok: false, detail: 'A: invalid point' });
    const offCurve = b.slice();
    offCurve.fill(0xff, 2, 34);
    expect(malformed(sch.proofFromBytes(offCurve))).toBe(true);
    // Πmod with a 2^32−1 element count
    expect(malformed(mod.proofFromBytes(new Uint8Array([1, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff])))).toBe(true);
    // an integer longer than MAX_INT_BYTES
    expect(malformed(mod.proofFromBytes(new Uint8Array([1, 0, 0, 0, 0x10, 0x00, 1])))).toBe(true);
  });
});

describe('JSON', () => {
  it('round-trips; rejects missing, empty, non-canonical, wrong-typed and unknown fields', () => {
    const j = enc.proofToJSON(encProof) as Record<string, unknown>;
    expect(enc.proofFromJSON(JSON.parse(JSON.stringify(j)))).toMatchObject({ ok: true });
    const cases: [string, unknown][] = [
      ['missing z1', { ...j, z1: undefined }],
      ['empty S', { ...j, S: '' }],
      ['leading zero', { ...j, S: '0' + (j.S as string) }],
      ['upper case', { ...j, S: (j.S as string).toUpperCase() }],
      ['0x prefix', { ...j, S: '0x' + (j.S as string) }],
      ['negative zero', { ...j, z1: '-0' }],
      ['negative nat', { ...j, z2: '-5' }],
      ['number', { ...j, z2: 5 }],
      ['null field', { ...j, A: null }],
      ['unknown field', { ...j, extra: '1' }],
      ['truncated object', { S: j.S }],
      ['null', null],
      ['array', []],
      ['string', 'proof'],
    ];
    for (const [name, v] of cases) {
      const parsed = v && typeof v === 'object' ? JSON.parse(JSON.stringify(v)) : v;
      expect(malformed(enc.proofFromJSON(parsed)), name).toBe(true);
    }
    const mj = { w: '5', x: ['1'], a: [2], b: [0], z: ['1'] };
    expect(mod.proofFromJSON(mj)).toMatchObject({ ok: false, detail: 'a: expected 0 or 1' });
    expect(malformed(sch.proofFromJSON({ A: '02' + '00'.repeat(32), z: '1' }))).toBe(true);
  });
});

describe('verifiers on wrong-shaped objects', () => {
  it('return PROOF_MALFORMED / STATEMENT_MALFORMED, never throw', () => {
    const huge = 1n << 20000n; // beyond the 2048-byte integer cap: no exponentiation with it is attempted
    const bad: unknown[] = [undefined, null, {}, { ...encProof, z1: 5 }, { ...encProof, S: undefined }, { ...encProof, z2: -1n }, { ...encProof, z3: huge }, { ...encProof, z3: -huge }, []];
    for (const b of bad) expect(enc.verify(encPub, b as enc.EncProof, tr())).toMatchObject({ ok: false, reason: 'PROOF_MALFORMED' });
    expect(enc.verify({ ...encPub, K: undefined } as unknown as enc.EncPublic, encProof, tr())).toMatchObject({ ok: false, reason: 'STATEMENT_MALFORMED' });
    expect(mod.verify({ N: 5n, profile: PROFILE_DEFAULT }, { w: 1n } as mod.ModProof, tr())).toMatchObject({ ok: false, reason: 'PROOF_MALFORMED' });
    expect(sch.verify({ X: mulG(5n) }, { A: 'x', z: 1n } as unknown as sch.SchProof, tr())).toMatchObject({ ok: false, reason: 'PROOF_MALFORMED' });
  });
});
