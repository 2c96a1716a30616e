import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hexToBytes, toHexPadded } from '../src/bytes.js';
import { mulG, pointToBytes, pointToHex } from '../src/curve.js';
import { isTkeyTssError } from '../src/errors.js';
import { Metadata } from '../src/metadata/metadata.js';
import { stableStringify } from '../src/metadata/stable-stringify.js';
import { seededRng } from '../src/rng.js';
import { commit, evaluate, interpolate, randomPolynomial } from '../src/shamir/index.js';
import { addFactorDescription, factorDescriptionJSON, factorDescriptions, listFactors, removeFactorDescriptions } from '../src/tss/factor-descriptions.js';
import { buildAddFactorCopy, buildInitialTss, buildRefreshedTss, buildRemoveFactor, removedFactors } from '../src/tss/factor-ops.js';
import { FactorKey } from '../src/tss/factor-key.js';
import { factorEncKey, getFactorEnc, getTssCommitments, getTssNonce, getTssShare, hasTss, readTss, tssTags, writeTss } from '../src/tss/tss-metadata.js';
import { TssShare } from '../src/tss/tss-share.js';
import { samplePath, tssFixture } from './helpers/tss-fixtures.js';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isTkeyTssError(e) ? e.code : `non-library error: ${String(e)}`;
  }
  return 'no error';
}

/** 2-of-3 account: service 1, device 2, recovery 3 (device and recovery factors). */
function account(seed: string) {
  const f = tssFixture(seed);
  const device = FactorKey.random(f.rng);
  const recovery = FactorKey.random(f.rng);
  const m = f.metadata();
  writeTss(
    m,
    buildInitialTss({
      tssTag: 'default',
      commitments: f.commitments,
      shares: [f.share(2), f.share(3)],
      factors: [
        { factorPub: device.pub(), tssIndex: 2 },
        { factorPub: recovery.pub(), tssIndex: 3 },
      ],
      rng: f.rng,
    }),
  );
  return { f, m, device, recovery };
}

describe('TSS metadata accessors', () => {
  it('reads the sample (peer v15): tags, nonce, commitments, factorPubs, hierarchical factorEncs', () => {
    const s = JSON.parse(readFileSync(samplePath(), 'utf8')) as { metadataJSON: unknown };
    const m = Metadata.fromJSON(s.metadataJSON);
    expect(tssTags(m)).toEqual(['default']);
    const st = readTss(m, 'default');
    expect(st.tssNonce).toBe(2);
    expect(st.keyType).toBe('secp256k1');
    expect(st.commitments).toHaveLength(2);
    expect(st.factorPubs).toHaveLength(2);
    expect(Object.values(st.factorEncs).map((e) => e.type)).toEqual(['hierarchical', 'hierarchical']);
    // writing the same state back changes nothing, byte for byte
    const before = stableStringify(m.toJSON());
    writeTss(m, st);
    expect(stableStringify(m.toJSON())).toBe(before);
  });

  it('writes the peer JSON shape; factorEncs keyed by the 64-hex x (also when x has leading zeros)', () => {
    const { f, m } = account('tss-md/shape');
    // find a factor whose public x is below 2^248 (its unpadded hex would be shorter)
    const rng = seededRng('tss-md/short-x');
    let short: FactorKey;
    for (;;) {
      short = FactorKey.random(rng);
      if (short.pubPoint.toAffine().x < 1n << 248n) break;
    }
    writeTss(m, buildAddFactorCopy(m, 'default', { share: f.share(2), newFactorPub: short.pub(), rng: f.rng }));
    const j = JSON.parse(JSON.stringify(m.toJSON())) as { factorEncs: Record<string, Record<string, unknown>>; tssNonces: Record<string, number>; tssKeyTypes: Record<string, string> };
    const key = toHexPadded(short.pubPoint.toAffine().x, 64);
    expect(key.startsWith('00')).toBe(true);
    expect(factorEncKey(short.pub())).toBe(key);
    expect(j.factorEncs.default![key]).toBeDefined();
    expect(j.tssNonces.default).toBe(0);
    expect(j.tssKeyTypes.default).toBe('secp256k1');
    // JSON round trip keeps everything readable
    const back = Metadata.fromJSON(j);
    expect(getTssShare(back, 'default', short).value).toBe(f.share(2).value);
  });

  it('creates the TSS maps on metadata written by an older peer (no tss* fields)', () => {
    const f = tssFixture('tss-md/legacy');
    const legacy = f.metadata().toJSON() as unknown as Record<string, unknown>;
    for (const k of ['tssKeyTypes', 'tssNonces', 'tssPolyCommits', 'factorPubs', 'factorEncs']) delete legacy[k];
    const m = Metadata.fromJSON(legacy);
    expect(hasTss(m, 'default')).toBe(false);
    expect(code(() => readTss(m, 'default'))).toBe('TSS_TAG_UNKNOWN');
    const dev = FactorKey.random(f.rng);
    writeTss(m, buildInitialTss({ tssTag: 'default', commitments: f.commitments, shares: [f.share(2)], factors: [{ factorPub: dev.pub(), tssIndex: 2 }], rng: f.rng }));
    expect(getTssShare(m, 'default', dev).value).toBe(f.share(2).value);
  });

  it('errors: unknown tag, unknown factor, wrong key, non-secp256k1 key type', () => {
    const { m, device } = account('tss-md/errors');
    expect(code(() => getTssShare(m, 'other', device))).toBe('TSS_TAG_UNKNOWN');
    expect(code(() => getTssShare(m, 'default', FactorKey.random(seededRng('x'))))).toBe('FACTOR_UNKNOWN');
    // a key whose factorEnc entry is someone else's (copied under its x): wrong key
    const st = readTss(m, 'default');
    const intruder = FactorKey.random(seededRng('intruder'));
    st.factorEncs[factorEncKey(intruder.pub())] = st.factorEncs[factorEncKey(device.pub())]!;
    st.factorPubs.push(intruder.pubPoint);
    writeTss(m, st);
    expect(code(() => getTssShare(m, 'default', intruder))).toBe('FACTOR_KEY_WRONG');
    m.tssKeyTypes!.default = 'ed25519';
    expect(code(() => getTssShare(m, 'default', device))).toBe('TSS_KEY_TYPE_UNSUPPORTED');
  });

  it('inconsistent stored state is refused on read; invalid writes change nothing', () => {
    const { m, device } = account('tss-md/inconsistent');
    const before = stableStringify(m.toJSON());
    const st = readTss(m, 'default');
    expect(code(() => writeTss(m, { ...st, factorPubs: [...st.factorPubs, st.factorPubs[0]!] }))).toBe('FACTOR_EXISTS');
    expect(code(() => writeTss(m, { ...st, factorPubs: [...st.factorPubs, FactorKey.random(seededRng('y')).pubPoint] }))).toBe('INVALID_ARGUMENT');
    expect(code(() => writeTss(m, { ...st, tssNonce: -1 }))).toBe('OUT_OF_RANGE');
    expect(code(() => writeTss(m, { ...st, commitments: [] }))).toBe('INVALID_ARGUMENT');
    expect(stableStringify(m.toJSON())).toBe(before);
    delete m.factorEncs!.default![factorEncKey(device.pub())];
    expect(code(() => readTss(m, 'default'))).toBe('INVALID_JSON');
  });
});

describe('factor operations (data level)', () => {
  it('add a factor at an existing index: a direct copy of the same share, nothing else changes', () => {
    const { f, m, device } = account('tss-md/copy');
    const share = getTssShare(m, 'default', device);
    const extra = FactorKey.random(f.rng);
    const before = readTss(m, 'default');
    const after = buildAddFactorCopy(m, 'default', { share, newFactorPub: extra.pub(), rng: f.rng });
    expect(after.tssNonce).toBe(before.tssNonce);
    expect(after.commitments.map((c) => pointToHex(c))).toEqual(before.commitments.map((c) => pointToHex(c)));
    expect(after.factorPubs).toHaveLength(3);
    writeTss(m, after);
    expect(getTssShare(m, 'default', extra).value).toBe(share.value);
    expect(getFactorEnc(m, 'default', extra.pub()).type).toBe('direct');
    expect(code(() => buildAddFactorCopy(m, 'default', { share, newFactorPub: extra.pub() }))).toBe('FACTOR_EXISTS');
    expect(code(() => buildAddFactorCopy(m, 'default', { share: new TssShare(2, share.value + 1n), newFactorPub: FactorKey.random(f.rng).pub() }))).toBe('SHARE_NOT_ON_POLYNOMIAL');
    expect(code(() => buildAddFactorCopy(m, 'default', { share: new TssShare(1, evaluate(f.coeffs, 1n)), newFactorPub: FactorKey.random(f.rng).pub() }))).toBe('OUT_OF_RANGE');
  });

  it('remove a factor entry; the last reachable index needed for the threshold cannot go', () => {
    const { f, m, device, recovery } = account('tss-md/remove');
    const extra = FactorKey.random(f.rng);
    writeTss(m, buildAddFactorCopy(m, 'default', { share: f.share(2), newFactorPub: extra.pub(), rng: f.rng }));
    const before = readTss(m, 'default');
    const after = buildRemoveFactor(m, 'default', device.pub());
    expect(removedFactors(before, after).map((p) => pointToHex(p))).toEqual([device.pubHex]);
    writeTss(m, after);
    expect(code(() => getTssShare(m, 'default', device))).toBe('FACTOR_UNKNOWN');
    expect(getTssShare(m, 'default', extra).value).toBe(f.share(2).value);
    expect(code(() => buildRemoveFactor(m, 'default', device.pub()))).toBe('FACTOR_UNKNOWN');
    writeTss(m, buildRemoveFactor(m, 'default', extra.pub()));
    // recovery (index 3) + service (1) = 2 = t: still signable; removing it would not be
    expect(code(() => buildRemoveFactor(m, 'default', recovery.pub()))).toBe('THRESHOLD_VIOLATION');
  });

  it('refresh: complete new state in one write — new shares, same A0, epoch + 1, all direct; old shares useless', () => {
    const { f, m, device, recovery } = account('tss-md/refresh');
    const answers = FactorKey.random(f.rng);
    // new polynomial with the same key, indices {2, 3, 4} (device dropped at index 2 would be a revoke: keep it here)
    const coeffs = randomPolynomial(f.rng, 1, f.key);
    const commitments = commit(coeffs);
    const newShare = (i: number) => new TssShare(i, evaluate(coeffs, BigInt(i)));
    const st = buildRefreshedTss(m, 'default', {
      commitments,
      shares: [newShare(3), newShare(4)],
      factors: [
        { factorPub: recovery.pub(), tssIndex: 3 },
        { factorPub: answers.pub(), tssIndex: 4 },
      ],
      rng: f.rng,
    });
    expect(st.tssNonce).toBe(1);
    expect(removedFactors(readTss(m, 'default'), st).map((p) => pointToHex(p))).toEqual([device.pubHex]);
    writeTss(m, st);
    expect(getTssNonce(m, 'default')).toBe(1);
    expect(getTssShare(m, 'default', answers).value).toBe(newShare(4).value);
    expect(code(() => getTssShare(m, 'default', device))).toBe('FACTOR_UNKNOWN');
    // the old device share does not interpolate with a current share to the key (test-only check)
    const old2 = f.share(2);
    expect(interpolate([{ x: 2n, y: old2.value }, { x: 4n, y: newShare(4).value }])).not.toBe(f.key);
    expect(interpolate([{ x: 3n, y: newShare(3).value }, { x: 4n, y: newShare(4).value }])).toBe(f.key);
    expect(getTssCommitments(m, 'default')[0]!.equals(mulG(f.key))).toBe(true);
  });

  it('refresh to a raised threshold (3-of-4: degree-2 commitments) and back', () => {
    const { f, m, device, recovery } = account('tss-md/raise');
    const answers = FactorKey.random(f.rng);
    const c3 = randomPolynomial(f.rng, 2, f.key);
    const s3 = (i: number) => new TssShare(i, evaluate(c3, BigInt(i)));
    const targets = [
      { factorPub: device.pub(), tssIndex: 2 },
      { factorPub: recovery.pub(), tssIndex: 3 },
      { factorPub: answers.pub(), tssIndex: 4 },
    ];
    writeTss(m, buildRefreshedTss(m, 'default', { commitments: commit(c3), shares: [s3(2), s3(3), s3(4)], factors: targets, rng: f.rng }));
    expect(getTssCommitments(m, 'default')).toHaveLength(3);
    expect(getTssShare(m, 'default', answers).value).toBe(s3(4).value);
    expect(interpolate([1, 2, 3].map((i) => ({ x: BigInt(i), y: evaluate(c3, BigInt(i)) })))).toBe(f.key);
    // 3-of-4 needs two user indices besides the service
    expect(code(() => buildRemoveFactor(m, 'default', answers.pub()))).toBe('no error');
    const c2 = randomPolynomial(f.rng, 1, f.key);
    const s2 = (i: number) => new TssShare(i, evaluate(c2, BigInt(i)));
    // commitments as SEC1 bytes, as the refresh protocol outputs them
    writeTss(m, buildRefreshedTss(m, 'default', { commitments: commit(c2).map((p) => pointToBytes(p)), shares: [s2(2), s2(3), s2(4)], factors: targets, rng: f.rng }));
    expect(getTssCommitments(m, 'default')).toHaveLength(2);
    expect(getTssNonce(m, 'default')).toBe(2);
    expect(getTssShare(m, 'default', recovery).value).toBe(s2(3).value);
  });

  it('refresh refuses a changed key, a non-growing epoch, shares off the commitments, too few indices, duplicates', () => {
    const { f, m, device, recovery } = account('tss-md/refresh-bad');
    const coeffs = randomPolynomial(f.rng, 1, f.key);
    const commitments = commit(coeffs);
    const sh = (i: number, c = coeffs) => new TssShare(i, evaluate(c, BigInt(i)));
    const factors = [
      { factorPub: device.pub(), tssIndex: 2 },
      { factorPub: recovery.pub(), tssIndex: 3 },
    ];
    const before = stableStringify(m.toJSON());
    const otherKey = randomPolynomial(f.rng, 1);
    expect(code(() => buildRefreshedTss(m, 'default', { commitments: commit(otherKey), shares: [sh(2, otherKey), sh(3, otherKey)], factors }))).toBe('SHARE_NOT_ON_POLYNOMIAL');
    expect(code(() => buildRefreshedTss(m, 'default', { commitments, shares: [sh(2), sh(3)], factors, tssNonce: 0 }))).toBe('OUT_OF_RANGE');
    expect(code(() => buildRefreshedTss(m, 'default', { commitments, shares: [sh(2), new TssShare(3, sh(3).value + 1n)], factors }))).toBe('SHARE_NOT_ON_POLYNOMIAL');
    expect(code(() => buildRefreshedTss(m, 'default', { commitments, shares: [sh(2), sh(2)], factors }))).toBe('DUPLICATE_INDEX');
    expect(code(() => buildRefreshedTss(m, 'default', { commitments, shares: [sh(2)], factors }))).toBe('INVALID_ARGUMENT');
    expect(code(() => buildRefreshedTss(m, 'default', { commitments, shares: [sh(2), sh(3)], factors: [factors[0]!, { ...factors[0]!, tssIndex: 3 }] }))).toBe('FACTOR_EXISTS');
    const c3 = randomPolynomial(f.rng, 2, f.key);
    expect(code(() => buildRefreshedTss(m, 'default', { commitments: commit(c3), shares: [sh(2, c3)], factors: [factors[0]!] }))).toBe('THRESHOLD_VIOLATION');
    expect(stableStringify(m.toJSON())).toBe(before);
  });
});

describe('factor descriptions and the factor list', () => {
  it('core-kit description format keyed by the compressed factor pub; listFactors in factorPubs order', () => {
    const { m, device, recovery } = account('tss-md/desc');
    const d = factorDescriptionJSON({ module: 'deviceShare', dateAdded: 1700000000000, tssShareIndex: 2, additional: { browserName: 'Node' } });
    expect(d).toBe('{"module":"deviceShare","dateAdded":1700000000000,"browserName":"Node","tssShareIndex":2}');
    addFactorDescription(m, device.pub(), d);
    addFactorDescription(m, recovery.pub(), factorDescriptionJSON({ module: 'seedPhrase', dateAdded: 1700000000001, tssShareIndex: 3 }));
    expect(Object.keys(m.shareDescriptions())).toEqual([device.pubHex, recovery.pubHex]);
    const l = listFactors(m, 'default');
    expect(l.map((x) => [x.factorPubHex, x.tssIndex, x.type, x.descriptions[0]?.module])).toEqual([
      [device.pubHex, 2, 'direct', 'deviceShare'],
      [recovery.pubHex, 3, 'direct', 'seedPhrase'],
    ]);
    expect(l[0]!.factorPub).toEqual(hexToBytes(device.pubHex));
    removeFactorDescriptions(m, device.pub());
    expect(factorDescriptions(m, device.pub())).toEqual([]);
    expect(factorDescriptions(m, recovery.pub())).toHaveLength(1);
    expect(code(() => factorDescriptionJSON({ module: 'x', dateAdded: 1, tssShareIndex: 2, additional: { module: 'y' } }))).toBe('INVALID_ARGUMENT');
  });
});
