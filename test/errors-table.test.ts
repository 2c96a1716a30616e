import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, fail, InvalidInput, isTkeyTssError, NotFound, ProtocolAbort, StorageConflict } from '../src/errors.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('error codes', () => {
  it('every code in ERROR_CODES has a row in the README error table', () => {
    const missing = Object.keys(ERROR_CODES).filter((code) => !readme.includes(`| \`${code}\` |`));
    expect(missing).toEqual([]);
  });
  it('fail() throws the class of the code’s kind, with the code', () => {
    expect(() => fail('INVALID_POINT', 'x')).toThrow(InvalidInput);
    expect(() => fail('STORAGE_CONFLICT', 'x')).toThrow(StorageConflict);
    expect(() => fail('NOT_FOUND', 'x')).toThrow(NotFound);
    try {
      fail('ECIES_MAC_MISMATCH', 'm');
    } catch (e) {
      expect(isTkeyTssError(e, 'ECIES_MAC_MISMATCH')).toBe(true);
      expect(isTkeyTssError(e, 'INVALID_POINT')).toBe(false);
    }
  });
  it('ProtocolAbort carries reason, round and culprits', () => {
    const e = new ProtocolAbort('FELDMAN_SHARE_MISMATCH', 2, [3]);
    expect(e.kind).toBe('ProtocolAbort');
    expect(e.culprits).toEqual([3]);
    expect(e.round).toBe(2);
    expect(e.message).toContain('FELDMAN_SHARE_MISMATCH');
  });
});
