import { createCipheriv, createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, concatBytes } from '../src/bytes.js';
import { cryptoRng, randomBelow, randomInRange, randomSignedBits, seededRng, type Rng } from '../src/rng.js';

const code = (c: string) => expect.objectContaining({ code: c });

/** The keystream the DRBG is specified to be, computed with node's own ChaCha20. */
function chachaStream(seed: string, n: number): Uint8Array {
  const key = createHash('sha256').update('tkey-tss/drbg/v1').update(seed).digest();
  const iv = Buffer.alloc(16); // 32-bit LE block counter 0 ‖ 96-bit nonce 0
  return new Uint8Array(createCipheriv('chacha20', key, iv).update(Buffer.alloc(n)));
}

describe('seededRng', () => {
  it('is the ChaCha20 keystream under SHA-256("tkey-tss/drbg/v1" ‖ seed)', () => {
    expect(bytesToHex(seededRng('vector').bytes(9000))).toBe(bytesToHex(chachaStream('vector', 9000)));
  });
  it('is deterministic and independent of how the stream is split (across the 4 KiB refill)', () => {
    const whole = seededRng('split').bytes(6000);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 4500 }), { maxLength: 6 }), (cuts) => {
        const r = seededRng('split');
        const parts: Uint8Array[] = [];
        let used = 0;
        for (const c of cuts) {
          const n = Math.min(c, 6000 - used);
          parts.push(r.bytes(n));
          used += n;
        }
        parts.push(r.bytes(6000 - used));
        expect(concatBytes(...parts)).toEqual(whole);
      }),
      { numRuns: 15 },
    );
  });
  it('string and byte seeds agree; different seeds differ', () => {
    expect(seededRng('abc').bytes(32)).toEqual(seededRng(new TextEncoder().encode('abc')).bytes(32));
    expect(seededRng('abc').bytes(32)).not.toEqual(seededRng('abd').bytes(32));
    expect(() => seededRng(5 as unknown as string)).toThrow(code('INVALID_ARGUMENT'));
  });
  it('fork: deterministic per label, independent of the parent and of its position, labels differ', () => {
    const parent = seededRng('p');
    const f1 = parent.fork('party-1').bytes(64);
    expect(parent.bytes(64)).toEqual(seededRng('p').bytes(64)); // forking did not advance the parent
    expect(parent.fork('party-1').bytes(64)).toEqual(f1); // nor does drawing from the parent change forks
    expect(seededRng('p').fork('party-2').bytes(64)).not.toEqual(f1);
    expect(seededRng('q').fork('party-1').bytes(64)).not.toEqual(f1);
    expect(f1).not.toEqual(seededRng('p').bytes(64));
    expect(seededRng('p').fork('a').fork('b').bytes(32)).not.toEqual(seededRng('p').fork('a/b').bytes(32));
  });
  it('redacts itself in JSON', () => {
    expect(JSON.stringify({ rng: seededRng('secret seed') })).not.toContain('secret');
  });
  it('rejects a bad byte count', () => {
    for (const n of [-1, 1.5, NaN]) expect(() => seededRng('x').bytes(n)).toThrow();
  });
});

describe('cryptoRng', () => {
  it('returns n bytes, also beyond the 65 536-byte getRandomValues limit', () => {
    expect(cryptoRng.bytes(0).length).toBe(0);
    const big = cryptoRng.bytes(70_000);
    expect(big.length).toBe(70_000);
    expect(big.subarray(65_536).some((x) => x !== 0)).toBe(true);
    expect(cryptoRng.bytes(32)).not.toEqual(cryptoRng.bytes(32));
    expect(() => cryptoRng.bytes(-1)).toThrow(code('OUT_OF_RANGE'));
  });
});

describe('randomBelow / randomInRange / randomSignedBits', () => {
  it('stays in [0, max) for any max', () => {
    const rng = seededRng('below');
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 1n << 300n }), (max) => {
        const v = randomBelow(rng, max);
        expect(v >= 0n && v < max).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
  it('hits every value of a small range roughly uniformly (rejection sampling, no modulo bias)', () => {
    const rng = seededRng('uniform');
    for (const max of [3n, 5n, 17n]) {
      const counts = new Array<number>(Number(max)).fill(0);
      const draws = 600 * Number(max);
      for (let i = 0; i < draws; i++) counts[Number(randomBelow(rng, max))]!++;
      for (const c of counts) expect(Math.abs(c - 600)).toBeLessThan(120); // > 5σ
    }
  });
  it('reaches the top of a power-of-two range (no off-by-one in the bit length)', () => {
    const rng = seededRng('top');
    const seen = new Set<bigint>();
    for (let i = 0; i < 400; i++) seen.add(randomBelow(rng, 8n));
    expect([...seen].sort()).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n]);
    expect(randomBelow(rng, 1n)).toBe(0n);
  });
  it('draws only as many bytes as the bit length needs', () => {
    let asked = 0;
    const counting: Rng = { bytes: (n) => ((asked += n), seededRng('c').bytes(n)) };
    randomBelow(counting, 1n << 64n);
    expect(asked % 8).toBe(0);
    asked = 0;
    randomBelow(counting, 256n);
    expect(asked).toBe(1);
  });
  it('rejects empty ranges', () => {
    const rng = seededRng('x');
    expect(() => randomBelow(rng, 0n)).toThrow(code('OUT_OF_RANGE'));
    expect(() => randomBelow(rng, -5n)).toThrow(code('OUT_OF_RANGE'));
    expect(() => randomInRange(rng, 5n, 5n)).toThrow(code('OUT_OF_RANGE'));
  });
  it('randomInRange and randomSignedBits stay in their bounds and reach both signs', () => {
    const rng = seededRng('ranges');
    let neg = false;
    let pos = false;
    for (let i = 0; i < 200; i++) {
      const v = randomInRange(rng, -10n, 10n);
      expect(v >= -10n && v < 10n).toBe(true);
      const s = randomSignedBits(rng, 3);
      expect(s >= -8n && s <= 8n).toBe(true);
      neg ||= s < 0n;
      pos ||= s > 0n;
    }
    expect(neg && pos).toBe(true);
  });
});
