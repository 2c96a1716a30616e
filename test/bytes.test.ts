import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  abytes,
  aInRange,
  aInt,
  aString,
  base64ToBytes,
  bytesToBase64,
  bytesToBase64Url,
  bytesToHex,
  bytesToNumberBE,
  bytesToUtf8,
  concatBytes,
  equalBytes,
  hexToBytes,
  hexToNumber,
  numberToBytesBE,
  numberToBytesMin,
  toHexPadded,
  toHexUnpadded,
  utf8ToBytes,
  wipe,
} from '../src/bytes.js';

const code = (c: string) => expect.objectContaining({ code: c });

describe('hex', () => {
  it('round-trips any bytes, lower-case', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
        const h = bytesToHex(b);
        expect(h).toBe(Buffer.from(b).toString('hex'));
        expect(hexToBytes(h)).toEqual(b);
        expect(hexToBytes(h.toUpperCase())).toEqual(b);
        expect(hexToBytes('0x' + h)).toEqual(b);
      }),
    );
  });
  it('odd length is left-padded with one zero (bn.js unpadded hex)', () => {
    expect(hexToBytes('abc')).toEqual(Uint8Array.of(0x0a, 0xbc));
    expect(hexToBytes('1')).toEqual(Uint8Array.of(1));
    expect(hexToBytes('')).toEqual(new Uint8Array(0));
  });
  it('rejects non-hex and non-strings', () => {
    for (const bad of ['zz', '0xg1', '12 34', '-1', '0x0x12', 'é1']) expect(() => hexToBytes(bad)).toThrow(code('INVALID_HEX'));
    expect(() => hexToBytes(12 as unknown as string)).toThrow(code('INVALID_ARGUMENT'));
    for (const bad of ['', '0x', 'g', '-5']) expect(() => hexToNumber(bad)).toThrow(code('INVALID_HEX'));
  });
  it('hexToNumber accepts any padding; toHexUnpadded/toHexPadded write what peers write', () => {
    expect(hexToNumber('000001')).toBe(1n);
    expect(hexToNumber('0xFF')).toBe(255n);
    expect(toHexUnpadded(0n)).toBe('0');
    expect(toHexUnpadded(0x0abcn)).toBe('abc');
    expect(toHexPadded(0xabcn)).toBe('0'.repeat(61) + 'abc');
    expect(toHexPadded(0xabcn, 4)).toBe('0abc');
  });
});

describe('numbers ⇄ bytes', () => {
  it('numberToBytesBE / bytesToNumberBE round-trip at fixed width', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }), (n) => {
        const b = numberToBytesBE(n, 32);
        expect(b.length).toBe(32);
        expect(bytesToNumberBE(b)).toBe(n);
        const m = numberToBytesMin(n);
        expect(m.length).toBe(n === 0n ? 0 : Math.ceil(n.toString(16).length / 2));
        expect(m[0]).not.toBe(0);
        expect(bytesToNumberBE(m)).toBe(n);
      }),
    );
  });
  it('rejects values that do not fit and negatives', () => {
    expect(() => numberToBytesBE(1n << 256n, 32)).toThrow(code('OUT_OF_RANGE'));
    expect(() => numberToBytesBE(256n, 1)).toThrow(code('OUT_OF_RANGE'));
    expect(() => numberToBytesBE(-1n, 32)).toThrow(code('OUT_OF_RANGE'));
    expect(() => numberToBytesMin(-1n)).toThrow(code('OUT_OF_RANGE'));
    expect(numberToBytesBE(255n, 1)).toEqual(Uint8Array.of(255));
    expect(bytesToNumberBE(new Uint8Array(0))).toBe(0n);
  });
});

describe('base64 / base64url', () => {
  it('match node’s encoders and decode both alphabets, padded or not', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), (b) => {
        const std = bytesToBase64(b);
        const url = bytesToBase64Url(b);
        expect(std).toBe(Buffer.from(b).toString('base64'));
        expect(url).toBe(Buffer.from(b).toString('base64url'));
        expect(url).not.toMatch(/[=+/]/);
        expect(base64ToBytes(std)).toEqual(b);
        expect(base64ToBytes(url)).toEqual(b);
        expect(base64ToBytes(std.replace(/=+$/, ''))).toEqual(b);
      }),
    );
  });
  it('rejects foreign characters, impossible lengths and inner padding', () => {
    for (const bad of ['ab$d', 'abcde', 'a', 'ab=c', 'a b c d', 'ab\ncd']) expect(() => base64ToBytes(bad)).toThrow(code('INVALID_ARGUMENT'));
    expect(() => base64ToBytes(null as unknown as string)).toThrow(code('INVALID_ARGUMENT'));
    expect(base64ToBytes('')).toEqual(new Uint8Array(0));
  });
});

describe('utf8, concat, equality, wipe', () => {
  it('utf8 round-trips and rejects invalid UTF-8', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        expect(bytesToUtf8(utf8ToBytes(s))).toBe(s);
      }),
    );
    expect(() => bytesToUtf8(Uint8Array.of(0xc3, 0x28))).toThrow(code('INVALID_ARGUMENT'));
    expect(() => bytesToUtf8(Uint8Array.of(0xff))).toThrow(code('INVALID_ARGUMENT'));
  });
  it('concatBytes and equalBytes', () => {
    fc.assert(
      fc.property(fc.uint8Array(), fc.uint8Array(), (a, b) => {
        const c = concatBytes(a, b);
        expect(c).toEqual(Uint8Array.from([...a, ...b]));
        expect(equalBytes(c, Uint8Array.from(c))).toBe(true);
        if (c.length > 0) {
          const d = Uint8Array.from(c);
          d[d.length - 1]! ^= 1;
          expect(equalBytes(c, d)).toBe(false);
        }
      }),
    );
    expect(equalBytes(Uint8Array.of(1), Uint8Array.of(1, 0))).toBe(false);
  });
  it('wipe zeroes every buffer and skips undefined', () => {
    const a = Uint8Array.of(1, 2, 3);
    const b = Uint8Array.of(9);
    wipe(a, undefined, b);
    expect([...a, ...b]).toEqual([0, 0, 0, 0]);
  });
});

describe('named asserts', () => {
  it('abytes checks type and length and names the argument', () => {
    const b = new Uint8Array(32);
    expect(abytes(b, 'k', 32)).toBe(b);
    expect(abytes(b, 'k', [33, 32])).toBe(b);
    expect(() => abytes(new Uint8Array(31), 'secret', 32)).toThrow(/secret.*32.*31/);
    expect(() => abytes(new Uint8Array(31), 'secret', 32)).toThrow(code('INVALID_LENGTH'));
    expect(() => abytes(new Uint8Array(64), 'pub', [33, 65])).toThrow(code('INVALID_LENGTH'));
    expect(() => abytes([1, 2], 'k')).toThrow(code('INVALID_ARGUMENT'));
    expect(() => abytes('00', 'k')).toThrow(code('INVALID_ARGUMENT'));
  });
  it('aInRange, aInt, aString', () => {
    expect(aInRange(5n, 'x', 5n, 6n)).toBe(5n);
    expect(() => aInRange(6n, 'x', 5n, 6n)).toThrow(code('OUT_OF_RANGE'));
    expect(() => aInRange(4n, 'x', 5n, 6n)).toThrow(code('OUT_OF_RANGE'));
    expect(() => aInRange(5, 'x', 5n, 6n)).toThrow(code('INVALID_ARGUMENT'));
    expect(aInt(0, 'n')).toBe(0);
    for (const bad of [1.5, NaN, '1', 2 ** 53, 1n]) expect(() => aInt(bad, 'n')).toThrow(code('INVALID_ARGUMENT'));
    expect(() => aInt(-1, 'n')).toThrow(code('OUT_OF_RANGE'));
    expect(() => aInt(11, 'n', 0, 10)).toThrow(code('OUT_OF_RANGE'));
    expect(aString('s', 's')).toBe('s');
    expect(() => aString(1, 's')).toThrow(code('INVALID_ARGUMENT'));
  });
});
