/**
 * Aux transcript vectors (test-vectors/aux/*.json): every replayed party sends exactly the recorded
 * bytes and ends with the recorded output or abort — so any change to what aux sends fails here;
 * `npx tsx test-vectors/generate-protocols.ts --check` also compares the files (slow: ~30 s of
 * proofs, so not repeated in this test). A changed byte or expectation fails.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIR } from '../test-vectors/generate-protocols.js';
import { auxSuite } from '../test-vectors/suites/aux.js';
import { suiteByName } from '../test-vectors/suites/index.js';

const load = (rel: string) => JSON.parse(readFileSync(join(DIR, rel), 'utf8'));

describe('aux transcript vectors', () => {
  it('is registered as the `aux` suite', () => {
    expect(suiteByName('aux')).toBe(auxSuite);
  });

  it('every party of every committed transcript replays byte for byte', async () => {
    const ids: string[] = [];
    for (const f of ['aux/aux.json', 'aux/aux-tampered.json']) {
      const res = await auxSuite.run(load(f), f);
      expect(res.filter((r) => !r.ok)).toEqual([]);
      ids.push(...res.map((r) => r.id));
    }
    expect(ids).toEqual(['aux/2-parties/party-1', 'aux/2-parties/party-2', 'aux/decommitment/party-1', 'aux/bitforge-proofs-omitted/party-1', 'aux/prm/party-1', 'aux/fac/party-1']);
  });

  it('fails on a changed received byte or a changed expected abort', async () => {
    const doc = load('aux/aux-tampered.json');
    const v = doc.vectors.find((x: { id: string }) => x.id === 'bitforge-proofs-omitted');
    const p1 = v.transcript.find((p: { id: number }) => p.id === 1);
    expect(p1.expect).toEqual({ abort: { reason: 'PROOF_MISSING', round: 2, culprits: [2] } });
    p1.expect.abort.reason = 'MOD_N_SMALL_FACTOR';
    let res = await auxSuite.run({ ...doc, vectors: [v] }, 'x');
    expect(res[0]!.detail).toMatch(/end state/);
    p1.expect.abort.reason = 'PROOF_MISSING';
    const r0 = p1.received[0] as string;
    p1.received[0] = r0.slice(0, -2) + (r0.endsWith('00') ? '01' : '00');
    res = await auxSuite.run({ ...doc, vectors: [v] }, 'x');
    expect(res[0]!.ok).toBe(false);
  });
});
