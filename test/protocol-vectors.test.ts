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

  it('refresh: a changed unconfirmed sharing fails (the two-phase view is checked, SPEC.md §12)', async () => {
    const doc = load('refresh/refresh-tampered.json');
    const v = doc.vectors.find((x: { id: string }) => x.id === 'confirmation-echo');
    const p2 = v.transcript.find((p: { id: number }) => p.id === 2);
    expect(p2.unconfirmed.epoch).toBe(1);
    const held = p2.unconfirmed;
    p2.unconfirmed = null;
    let res = await refreshSuite.run(doc, 'x');
    expect(res.find((r) => r.id === 'refresh/confirmation-echo/party-2')!.detail).toMatch(/unconfirmed/);
    p2.unconfirmed = { ...held, confirmation: '00'.repeat(32) };
    res = await refreshSuite.run(doc, 'x');
    expect(res.find((r) => r.id === 'refresh/confirmation-echo/party-2')!.ok).toBe(false);
  });

  it('refresh: the vectors cover n = 2, 3, 5 and every reachable refresh abort reason', () => {
    const honest = load('refresh/refresh.json');
    expect(new Set(honest.vectors.map((v: { parties: unknown[] }) => v.parties.length))).toEqual(new Set([2, 3, 5]));
    const reasons = new Set<string>();
    for (const v of load('refresh/refresh-tampered.json').vectors) for (const p of v.transcript) if (p.expect?.abort) reasons.add(`${p.expect.abort.reason}/r${p.expect.abort.round}`);
    // PUBLIC_KEY_CHANGED cannot happen once every C_{j,0} = L_j is checked: no vector (SPEC.md §12)
    for (const r of ['WRONG_SID/r1', 'CONFIG_MISMATCH/r1', 'COMMITMENT_LENGTH/r1', 'MALFORMED_MESSAGE/r1', 'DEALER_KEY_CHANGED/r1', 'FELDMAN_SHARE_MISMATCH/r1', 'ECHO_MISMATCH/r1', 'MALFORMED_MESSAGE/r2', 'SCHNORR_INVALID/r2', 'CONFIRMATION_MISMATCH/r2', 'CONFIRMATION_EQUIVOCATION/r2', 'MALFORMED_MESSAGE/r3', 'DEGENERATE_RESULT/r1']) {
      expect(reasons, r).toContain(r);
    }
  });
});
