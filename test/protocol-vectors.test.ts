/**
 * Keygen and refresh transcript vectors: regenerating from the seed gives the committed files byte
 * for byte (no drift), every replayed party passes, and a changed byte or expectation fails.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIR, diffProtocolVectors, generateProtocolVectors } from '../test-vectors/generate-protocols.js';
import { keygenSuite } from '../test-vectors/suites/keygen.js';
import { refreshSuite } from '../test-vectors/suites/refresh.js';

const load = (rel: string) => JSON.parse(readFileSync(join(DIR, rel), 'utf8'));

describe('protocol transcript vectors', () => {
  it('regenerating reproduces the committed files exactly', () => {
    expect(diffProtocolVectors(generateProtocolVectors())).toEqual([]);
  }, 600_000); // presign and sign: ~30 presign runs with their replays (minutes on a loaded machine)

  it('every party of every committed transcript replays byte for byte', async () => {
    for (const [suite, files] of [
      [keygenSuite, ['keygen/keygen.json', 'keygen/keygen-tampered.json']],
      [refreshSuite, ['refresh/refresh.json', 'refresh/refresh-tampered.json']],
    ] as const) {
      for (const f of files) {
        const res = await suite.run(load(f), f);
        expect(res.length).toBeGreaterThan(0);
        expect(res.filter((r) => !r.ok)).toEqual([]);
      }
    }
  });

  it('fails on a changed sent byte, a changed received byte, or a changed expected abort', async () => {
    const doc = load('keygen/keygen-tampered.json');
    const v = doc.vectors.find((x: { id: string }) => x.id === 'feldman');
    const p1 = v.transcript.find((p: { id: number }) => p.id === 1);
    const sent0 = p1.sent[0] as string;
    p1.sent[0] = sent0.slice(0, -2) + (sent0.endsWith('00') ? '01' : '00');
    let res = await keygenSuite.run(doc, 'x');
    expect(res.find((r) => r.id === 'keygen/feldman/party-1')!.ok).toBe(false);
    p1.sent[0] = sent0;
    p1.expect.abort.culprits = [2];
    res = await keygenSuite.run(doc, 'x');
    expect(res.find((r) => r.id === 'keygen/feldman/party-1')!.detail).toMatch(/end state/);
    const honest = load('refresh/refresh.json');
    const q = honest.vectors[0].transcript[0];
    q.received[0] = q.received[0].slice(0, -2) + (q.received[0].endsWith('00') ? '01' : '00');
    res = await refreshSuite.run(honest, 'y');
    expect(res[0]!.ok).toBe(false);
  });
});
