/**
 * The Fiat–Shamir transcript: injective encoding (the TSSHOCK α-shuffle ambiguity test, recipe §3
 * #5), binding to (sid, protocol, prover, rid, tag), rejection-sampled challenge sets.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, utf8ToBytes } from '../src/bytes.js';
import { mulG, N as q } from '../src/curve.js';
import { seededRng } from '../src/rng.js';
import * as sch from '../src/zk/sch.js';
import { encodeInt, Transcript } from '../src/zk/transcript.js';

const base = (o: Partial<{ sid: Uint8Array; protocol: string; prover: number; rid: Uint8Array }> = {}) =>
  Transcript.create({ sid: o.sid ?? utf8ToBytes('sid'), protocol: o.protocol ?? 'test', prover: o.prover ?? 1, ...(o.rid ? { rid: o.rid } : {}) });
const ch = (t: Transcript) => t.challengeBelow('e', q);

describe('transcript', () => {
  it('ambiguity: (a‖b, c) and (a, b‖c) give different challenges', () => {
    const [a, b, c] = [utf8ToBytes('ab'), utf8ToBytes('cd'), utf8ToBytes('ef')];
    const t1 = base().bytes('x', concatBytes(a, b)).bytes('y', c);
    const t2 = base().bytes('x', a).bytes('y', concatBytes(b, c));
    expect(ch(t1)).not.toBe(ch(t2));
  });

  it('property: every split of the same byte string gives a distinct challenge', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2, maxLength: 40 }), fc.nat(), fc.nat(), (data, i, j) => {
        const s1 = 1 + (i % (data.length - 1));
        const s2 = 1 + (j % (data.length - 1));
        fc.pre(s1 !== s2);
        const t1 = base().bytes('x', data.subarray(0, s1)).bytes('x', data.subarray(s1));
        const t2 = base().bytes('x', data.subarray(0, s2)).bytes('x', data.subarray(s2));
        return ch(t1) !== ch(t2);
      }),
      { numRuns: 200 },
    );
  });

  it('a Schnorr proof made for context (a‖b, c) fails for (a, b‖c)', () => {
    const rng = seededRng('transcript-sch');
    const x = 12345n;
    const pub = { X: mulG(x) };
    const t1 = Transcript.create({ sid: utf8ToBytes('ab'), protocol: 'cd', prover: 1 });
    const t2 = Transcript.create({ sid: utf8ToBytes('a'), protocol: 'bcd', prover: 1 });
    const proof = sch.prove(pub, { x }, t1, rng);
    expect(sch.verify(pub, proof, t1)).toEqual({ ok: true });
    expect(sch.verify(pub, proof, t2)).toMatchObject({ ok: false, reason: 'SCH_EQUATION' });
  });

  it('typed items: sign, type and label are all bound', () => {
    expect(ch(base().int('x', 5n))).not.toBe(ch(base().int('x', -5n)));
    expect(ch(base().int('x', 0n))).not.toBe(ch(base().bytes('x', new Uint8Array(0))));
    expect(ch(base().int('x', 0x61n))).not.toBe(ch(base().string('x', 'a')));
    expect(ch(base().int('x', 1n))).not.toBe(ch(base().uint('x', 1)));
    expect(ch(base().int('x', 1n))).not.toBe(ch(base().int('y', 1n)));
    expect(ch(base().string('ab', 'c'))).not.toBe(ch(base().string('a', 'bc')));
    expect(ch(base().ints('v', [1n, 2n]))).not.toBe(ch(base().ints('v', [1n]).int('v', 2n)));
    expect([...encodeInt(-1n)]).toEqual([1, 1]);
    expect([...encodeInt(0n)]).toEqual([0]);
    expect([...encodeInt(256n)]).toEqual([0, 1, 0]);
  });

  it('bound to sid, protocol, prover, rid (absent ≠ empty), domain and fork', () => {
    const all = [
      base(),
      base({ sid: utf8ToBytes('sid2') }),
      base({ protocol: 'other' }),
      base({ prover: 2 }),
      base({ rid: new Uint8Array(0) }),
      base({ rid: new Uint8Array([1]) }),
      base().domain('tkey-tss/zk/x/v1'),
      base().fork('psi-hat'),
      base().fork('fac-verifier', 2),
      base().fork('fac-verifier', 3),
    ].map(ch);
    expect(new Set(all).size).toBe(all.length);
    expect(ch(base())).toBe(ch(base())); // deterministic
  });

  it('successive challenges differ; clone leaves the original untouched', () => {
    const t = base();
    const c = t.clone();
    const e1 = ch(t);
    const e2 = ch(t);
    expect(e1).not.toBe(e2);
    expect(ch(c)).toBe(e1);
  });

  it('challenge sets: [0, bound), ±q, m bits, elements of Z_N', () => {
    const t = base();
    for (const bound of [1n, 2n, 3n, 255n, 256n, 257n, q, (1n << 2048n) - 159n]) {
      for (const v of t.challengesBelow('r', bound, 20)) expect(v >= 0n && v < bound).toBe(true);
    }
    for (let i = 0; i < 50; i++) {
      const e = t.challengeSigned('s', q);
      expect(e >= -q && e <= q).toBe(true);
    }
    const bits = t.challengeBits('b', 128);
    expect(bits.length).toBe(128);
    expect(bits.every((b) => b === 0 || b === 1)).toBe(true);
    expect(bits.some((b) => b === 1) && bits.some((b) => b === 0)).toBe(true);
    // small bound: rejection sampling hits every value, roughly uniformly
    const counts = [0, 0, 0];
    for (const v of t.challengesBelow('u', 3n, 3000)) counts[Number(v)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(850);
  });

  it('rejects bad context values with named errors', () => {
    expect(() => Transcript.create({ sid: 'x' as unknown as Uint8Array, protocol: 'p', prover: 1 })).toThrow(/sid/);
    expect(() => Transcript.create({ sid: new Uint8Array(1), protocol: 'p', prover: -1 })).toThrow(/prover/);
  });
});
