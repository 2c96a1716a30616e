/**
 * The `bus` frame-sequence vectors and the `metadata-api` vectors (SPEC.md §14, §15): every
 * committed vector passes, each refusal the channel has is covered, and a changed expectation fails
 * (a replay expected to open, a request body, a signature, a missing request).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VECTORS_DIR } from '../test-vectors/generate.js';
import { busSuite } from '../test-vectors/suites/bus.js';
import { metadataApiSuite } from '../test-vectors/suites/metadata-api.js';

const load = (rel: string) => JSON.parse(readFileSync(join(VECTORS_DIR, rel), 'utf8'));
type V = { id: string; [k: string]: any };
const byId = (doc: { vectors: V[] }, id: string): V => doc.vectors.find((v) => v.id === id)!;

describe('bus channel vectors', () => {
  it('cover each frame refusal: wrong key, replay, reordering beyond the window, tampered tag and header, high-s', async () => {
    const doc = load('bus/channel.json');
    const ids = doc.vectors.map((v: V) => v.id);
    for (const id of ['refuse/p2p-wrong-key', 'refuse/p2p-reflected', 'refuse/p2p-tampered-tag', 'refuse/p2p-tampered-header', 'refuse/broadcast-high-s', 'sequence/replayed-p2p', 'sequence/reordered-within-window', 'sequence/older-than-window']) expect(ids).toContain(id);
    const res = await busSuite.run(doc, 'x');
    expect(res.filter((r) => !r.ok)).toEqual([]);
  });

  it('a sequence fails when a replay is expected to open, or a frame to be refused', async () => {
    const doc = load('bus/channel.json');
    const v = byId(doc, 'sequence/replayed-p2p');
    v.frames[1] = { frame: v.frames[1].frame, envelope: v.frames[0].envelope };
    let res = await busSuite.run(doc, 'x');
    expect(res.find((r) => r.id === 'bus/sequence/replayed-p2p')!.detail).toMatch(/frames\[1\]: refused \(BUS_REPLAY\)/);
    const w = byId(doc, 'sequence/reordered-within-window');
    w.frames[1] = { frame: w.frames[1].frame, error: 'BUS_REPLAY' };
    res = await busSuite.run(doc, 'x');
    expect(res.find((r) => r.id === 'bus/sequence/reordered-within-window')!.ok).toBe(false);
  });
});

describe('metadata-api vectors', () => {
  it('every vector passes', async () => {
    const res = await metadataApiSuite.run(load('metadata-api/requests.json'), 'x');
    expect(res.length).toBeGreaterThanOrEqual(15);
    expect(res.filter((r) => !r.ok)).toEqual([]);
  });

  it('fails on a changed request body, signature, result, or a request left unsent', async () => {
    const fresh = () => load('metadata-api/requests.json');
    const fails = async (doc: { vectors: V[] }, id: string) => !(await metadataApiSuite.run(doc, 'x')).find((r) => r.id === `metadata-api/${id}`)!.ok;
    let doc = fresh();
    const bulk = byId(doc, 'requests/torus-commit-first').requests[2];
    bulk.fields[0].value = bulk.fields[0].value.replace('"namespace":"tkey"', '"namespace":"tkey2"');
    expect(await fails(doc, 'requests/torus-commit-first')).toBe(true);
    doc = fresh();
    const w = byId(doc, 'write-auth/short-x');
    w.signature = (w.signature[0] === 'A' ? 'B' : 'A') + w.signature.slice(1);
    expect(await fails(doc, 'write-auth/short-x')).toBe(true);
    doc = fresh();
    byId(doc, 'requests/batch-nonce').result = 8;
    expect(await fails(doc, 'requests/batch-nonce')).toBe(true);
    doc = fresh();
    const c = byId(doc, 'requests/torus-commit-conflict');
    c.requests.pop(); // the lock release
    c.responses.pop();
    expect(await fails(doc, 'requests/torus-commit-conflict')).toBe(true);
  });
});
