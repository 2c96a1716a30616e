import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../src/bytes.js';
import { modN, mulG, pointFromJSON, pointToBytes, randomScalar, scalarToBytes } from '../src/curve.js';
import { eciesDecryptJSON, eciesEncryptJSON } from '../src/ecies.js';
import { isTkeyTssError } from '../src/errors.js';
import { seededRng } from '../src/rng.js';
import { evaluate, randomPolynomial } from '../src/shamir/index.js';
import { createDirectFactorEnc, decryptFactorEnc, parseFactorEnc, type FactorEnc } from '../src/tss/factor-enc.js';
import { FactorKey } from '../src/tss/factor-key.js';
import { factorEncKey } from '../src/tss/tss-metadata.js';
import { TssShare, verifyTssShare } from '../src/tss/tss-share.js';
import { samplePath, tssFixture } from './helpers/tss-fixtures.js';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isTkeyTssError(e) ? e.code : `non-library error: ${String(e)}`;
  }
  return 'no error';
}

/** A hierarchical factorEnc built the way formats §4.1 describes it (independently of the decoder). */
function hierarchical(rng: ReturnType<typeof seededRng>, factor: FactorKey, share: TssShare, nodes: number, t: number): FactorEnc {
  const m1 = randomScalar(rng);
  const M = (x: bigint): bigint => modN(share.value + m1 * x);
  const g = randomPolynomial(rng, t - 1, M(1n));
  const to = pointToBytes(factor.pubPoint, false);
  return {
    tssIndex: share.index,
    type: 'hierarchical',
    userEnc: eciesEncryptJSON(to, scalarToBytes(M(99n)), { rng }),
    serverEncs: Array.from({ length: nodes }, (_, j) => eciesEncryptJSON(to, scalarToBytes(evaluate(g, BigInt(j + 1))), { rng })),
  };
}

describe('direct factorEncs', () => {
  const f = tssFixture('tss-fe/direct');
  const factor = FactorKey.random(f.rng);

  it('write: {tssIndex, type:"direct", userEnc: ECIES(factorPub, share32), serverEncs: []}', () => {
    const enc = createDirectFactorEnc(factor.pub(), f.share(2), { rng: f.rng });
    expect(Object.keys(enc)).toEqual(['tssIndex', 'type', 'userEnc', 'serverEncs']);
    expect(enc.tssIndex).toBe(2);
    expect(enc.type).toBe('direct');
    expect(enc.serverEncs).toEqual([]);
    expect(enc.userEnc.ephemPublicKey).toHaveLength(130);
    // the plaintext is the 32-byte big-endian share, readable by plain ECIES
    expect(bytesToHex(eciesDecryptJSON(factor.exportBytes(), enc.userEnc))).toBe(bytesToHex(f.share(2).valueBytes()));
  });

  it('decrypt: the share, checked on the commitments (also the eccrypto 5/6 unpadded-x encryption)', () => {
    for (const padX of [true, false]) {
      const enc = createDirectFactorEnc(factor.pubPoint, f.share(3), { rng: f.rng, padX });
      const s = decryptFactorEnc(factor, enc, f.commitments);
      expect(s.index).toBe(3);
      expect(s.value).toBe(f.share(3).value);
      expect(decryptFactorEnc(factor.exportBytes(), JSON.parse(JSON.stringify(enc)), f.commitments).value).toBe(f.share(3).value);
    }
  });

  it('wrong factor key → FACTOR_KEY_WRONG', () => {
    const enc = createDirectFactorEnc(factor.pub(), f.share(2), { rng: f.rng });
    expect(code(() => decryptFactorEnc(FactorKey.random(f.rng), enc, f.commitments))).toBe('FACTOR_KEY_WRONG');
  });

  it('a share that is not on the commitments → SHARE_NOT_ON_POLYNOMIAL', () => {
    // a direct factorEnc whose tssIndex does not match the encrypted share
    const enc = createDirectFactorEnc(factor.pub(), f.share(2), { rng: f.rng });
    expect(code(() => decryptFactorEnc(factor, { ...enc, tssIndex: 3 }, f.commitments))).toBe('SHARE_NOT_ON_POLYNOMIAL');
    // the right index but commitments of another polynomial
    expect(code(() => decryptFactorEnc(factor, enc, tssFixture('tss-fe/other').commitments))).toBe('SHARE_NOT_ON_POLYNOMIAL');
    // a share encrypted by someone else that is off the polynomial
    const off = { ...enc, userEnc: eciesEncryptJSON(factor.pub(), scalarToBytes(modN(f.share(2).value + 1n)), { rng: f.rng }) };
    expect(code(() => decryptFactorEnc(factor, off, f.commitments))).toBe('SHARE_NOT_ON_POLYNOMIAL');
  });

  it('degree > 1 commitments (after a threshold raise) are checked the same way', () => {
    const g = tssFixture('tss-fe/t3', 3);
    expect(g.commitments).toHaveLength(3);
    const enc = createDirectFactorEnc(factor.pub(), g.share(4), { rng: g.rng });
    expect(decryptFactorEnc(factor, enc, g.commitments).value).toBe(g.share(4).value);
    expect(code(() => decryptFactorEnc(factor, enc, g.commitments.slice(0, 2)))).toBe('SHARE_NOT_ON_POLYNOMIAL');
  });

  it('malformed factorEncs and arguments are refused', () => {
    const enc = createDirectFactorEnc(factor.pub(), f.share(2), { rng: f.rng });
    expect(code(() => parseFactorEnc({ ...enc, type: 'other' }))).toBe('INVALID_JSON');
    expect(code(() => parseFactorEnc({ ...enc, tssIndex: '2' }))).toBe('INVALID_JSON');
    expect(code(() => parseFactorEnc({ ...enc, tssIndex: 1 }))).toBe('OUT_OF_RANGE');
    expect(code(() => parseFactorEnc({ ...enc, userEnc: { ...enc.userEnc, mac: 'zz' } }))).toBe('INVALID_JSON');
    expect(code(() => parseFactorEnc({ ...enc, serverEncs: [enc.userEnc] }))).toBe('INVALID_JSON');
    expect(code(() => parseFactorEnc(null))).toBe('INVALID_JSON');
    expect(code(() => createDirectFactorEnc(factor.pub(), new TssShare(1, 5n)))).toBe('OUT_OF_RANGE');
    expect(code(() => decryptFactorEnc(factor, enc, []))).toBe('INVALID_ARGUMENT');
  });

  it('TssShare redacts its value', () => {
    const s = f.share(2);
    const hex = s.value.toString(16);
    for (const str of [JSON.stringify(s), String(s), inspect(s)]) expect(str).not.toContain(hex);
    expect(verifyTssShare(f.commitments, s)).toBe(true);
  });
});

describe('hierarchical factorEncs (decode only)', () => {
  const f = tssFixture('tss-fe/hier');
  const factor = FactorKey.random(f.rng);
  const enc = hierarchical(f.rng, factor, f.share(2), 5, 3);

  it('M(1) from any T serverEncs (x = j+1), share = λ1·M(1) + λ99·M(99)', () => {
    expect(decryptFactorEnc(factor, enc, f.commitments).value).toBe(f.share(2).value);
    expect(decryptFactorEnc(factor, enc, f.commitments, { serverThreshold: 3 }).value).toBe(f.share(2).value);
    // only nodes 3, 4, 5 answered
    const late = { ...enc, serverEncs: enc.serverEncs.map((e, j) => (j < 2 ? null : e)) };
    expect(decryptFactorEnc(factor, late, f.commitments).value).toBe(f.share(2).value);
  });

  it('fewer than T decryptable serverEncs → FACTOR_ENC_UNRECOVERABLE', () => {
    const twoLeft = { ...enc, serverEncs: enc.serverEncs.map((e, j) => (j < 3 ? null : e)) };
    expect(code(() => decryptFactorEnc(factor, twoLeft, f.commitments))).toBe('FACTOR_ENC_UNRECOVERABLE');
    // tampered MACs: present but not decryptable
    const flip = (h: string): string => (h[0] === '0' ? '1' : '0') + h.slice(1);
    const tampered = { ...enc, serverEncs: enc.serverEncs.map((e, j) => (j < 3 ? { ...e!, mac: flip(e!.mac) } : e)) };
    expect(code(() => decryptFactorEnc(factor, tampered, f.commitments))).toBe('FACTOR_ENC_UNRECOVERABLE');
    // encrypted to another factor key
    const other = hierarchical(f.rng, FactorKey.random(f.rng), f.share(2), 5, 3);
    const mixed = { ...enc, serverEncs: enc.serverEncs.map((e, j) => (j < 3 ? other.serverEncs[j]! : e)) };
    expect(code(() => decryptFactorEnc(factor, mixed, f.commitments))).toBe('FACTOR_ENC_UNRECOVERABLE');
  });

  it('one wrong (but decryptable) sub-share is routed around; too many make it SHARE_NOT_ON_POLYNOMIAL', () => {
    const wrong = (j: number) => eciesEncryptJSON(factor.pub(), scalarToBytes(BigInt(1000 + j)), { rng: f.rng });
    const oneBad = { ...enc, serverEncs: enc.serverEncs.map((e, j) => (j === 1 ? wrong(j) : e)) };
    expect(decryptFactorEnc(factor, oneBad, f.commitments).value).toBe(f.share(2).value);
    const threeBad = { ...enc, serverEncs: enc.serverEncs.map((e, j) => (j < 3 ? wrong(j) : e)) };
    expect(code(() => decryptFactorEnc(factor, threeBad, f.commitments))).toBe('SHARE_NOT_ON_POLYNOMIAL');
    expect(code(() => decryptFactorEnc(factor, oneBad, f.commitments, { maxCombinations: 1 }))).toBe('SHARE_NOT_ON_POLYNOMIAL');
  });

  it('wrong factor key → FACTOR_KEY_WRONG; bad serverThreshold → OUT_OF_RANGE', () => {
    expect(code(() => decryptFactorEnc(FactorKey.random(f.rng), enc, f.commitments))).toBe('FACTOR_KEY_WRONG');
    expect(code(() => decryptFactorEnc(factor, enc, f.commitments, { serverThreshold: 6 }))).toBe('OUT_OF_RANGE');
    expect(code(() => decryptFactorEnc(factor, enc, f.commitments, { serverThreshold: 0 }))).toBe('OUT_OF_RANGE');
  });

  it('decodes the hierarchical entries @tkey/tss wrote (the sample, last step)', () => {
    const s = JSON.parse(readFileSync(samplePath(), 'utf8')) as {
      events: { tssPolyCommits: { x: string; y: string }[]; factorEncs: Record<string, FactorEnc>; perFactor: { factorKey: string; factorPub: { x: string; y: string }; tssShare: string; tssIndex: number }[] }[];
    };
    const last = s.events[s.events.length - 1]!;
    const commits = last.tssPolyCommits.map((c) => pointFromJSON(c));
    for (const pf of last.perFactor) {
      const e = last.factorEncs[factorEncKey(pointFromJSON(pf.factorPub))]!;
      expect(e.type).toBe('hierarchical');
      const got = decryptFactorEnc(hexToBytes(pf.factorKey), e, commits, { serverThreshold: 3 });
      expect(got.index).toBe(pf.tssIndex);
      expect(got.value).toBe(BigInt('0x' + pf.tssShare));
      expect(mulG(got.value).equals(commits[0]!.add(commits[1]!.multiply(BigInt(pf.tssIndex))))).toBe(true);
    }
  });
});
