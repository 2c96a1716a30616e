/** src/zk/README.md documents every ZK reason code (the table is the contract protocols and peers rely on). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ProtocolAbort } from '../src/errors.js';
import { abortUnless, reject, ZK_REASONS } from '../src/zk/verdict.js';

describe('ZK reason codes', () => {
  it('every code is in the README table, with its text', () => {
    const readme = readFileSync(new URL('../src/zk/README.md', import.meta.url), 'utf8');
    for (const [code, text] of Object.entries(ZK_REASONS)) {
      expect(readme, code).toContain(`| \`${code}\` | ${text} |`);
    }
  });

  it('abortUnless turns a failed verdict into a terminal ProtocolAbort naming the prover', () => {
    expect(() => abortUnless({ ok: true }, 3, 2)).not.toThrow();
    try {
      abortUnless(reject('MOD_W_JACOBI', 'w'), 3, 2, 'Πmod of party 2');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ProtocolAbort);
      const a = e as ProtocolAbort;
      expect([a.reason, a.round, [...a.culprits], a.code]).toEqual(['MOD_W_JACOBI', 3, [2], 'PROTOCOL_ABORT']);
    }
  });
});
