/**
 * The `transcript` conformance vectors (DRBG and Fiat–Shamir transcript, test-vectors/SPEC.md §2–§3):
 * regenerating them gives the committed files byte for byte (the generator computes every value
 * twice, by the library and by an independent encoder over raw ChaCha20 / SHAKE256), and the suite
 * passes every vector; a changed byte of any expected value, of an absorbed byte string, or of a
 * label fails it.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { transcriptSuite } from '../test-vectors/suites/transcript.js';
import { generateTranscript } from '../test-vectors/transcript/generate-transcript.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-vectors', 'transcript');

type J = Record<string, unknown>;
const load = (name: string): J => JSON.parse(readFileSync(join(DIR, name), 'utf8')) as J;
const vectors = (doc: J) => doc.vectors as J[];

describe('transcript conformance vectors', () => {
  const generated = generateTranscript();
  for (const [name, text] of Object.entries(generated)) {
    it(`${name} regenerates and passes`, async () => {
      const committed = readFileSync(join(DIR, name), 'utf8');
      expect(committed === text, `${name} drifted from the generator`).toBe(true);
      const results = await transcriptSuite.run(JSON.parse(committed), join(DIR, name));
      expect(results.length).toBe(vectors(JSON.parse(committed)).length);
      expect(results.filter((r) => !r.ok)).toEqual([]);
    });
  }

  it('covers every item type and every squeeze kind', () => {
    const steps = vectors(load('transcript.json')).flatMap((v) => v.steps as J[]);
    expect(new Set(steps.map((s) => s.item).filter(Boolean))).toEqual(new Set(['bytes', 'int', 'point', 'string', 'uint', 'domain', 'fork', 'ints', 'ringPedersen']));
    expect(new Set(steps.map((s) => s.squeeze).filter(Boolean))).toEqual(new Set(['bytes', 'below', 'signed', 'bits']));
    const draws = vectors(load('drbg.json')).flatMap((v) => v.draws as J[]);
    expect(new Set(draws.map((d) => d.kind))).toEqual(new Set(['bytes', 'below', 'range', 'signedBits', 'scalar', 'unit']));
  });

  const flip = (h: string): string => h.slice(0, -1) + (h.endsWith('0') ? '1' : '0');
  it('a tampered expected value, absorbed byte string or label is a failed check', async () => {
    const doc = load('transcript.json');
    const [a, b, c] = [structuredClone(doc), structuredClone(doc), structuredClone(doc)];
    const sq = (d: J) => (vectors(d).find((v) => v.id === 'item-int-negative')!.steps as J[])[1]!;
    sq(a).expected = flip(sq(a).expected as string);
    sq(b).absorbed = flip(sq(b).absorbed as string);
    ((vectors(c).find((v) => v.id === 'item-int-negative')!.steps as J[])[0]!).value = '-1235';
    for (const d of [a, b, c]) {
      const r = await transcriptSuite.run(d, 'x');
      expect(r.find((x) => x.id === 'transcript/item-int-negative')!.ok).toBe(false);
      expect(r.filter((x) => !x.ok)).toHaveLength(1);
    }
    const drbg = load('drbg.json');
    const d0 = (vectors(drbg).find((v) => v.id === 'below')!.draws as J[])[4]!;
    d0.expected = flip(d0.expected as string);
    expect((await transcriptSuite.run(drbg, 'x')).filter((x) => !x.ok).map((x) => x.id)).toEqual(['transcript/below']);
  });
});
