/**
 * The `zk` conformance vectors: regenerating them from the seed gives the committed files byte for
 * byte, and the suite passes every vector (valid proofs re-proven identically, invalid ones with
 * the recorded reason code).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { zkSuite } from '../test-vectors/suites/zk.js';
import { generateZk } from '../test-vectors/zk/generate-zk.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-vectors', 'zk');

describe('zk conformance vectors', () => {
  const generated = generateZk();
  for (const [name, text] of Object.entries(generated)) {
    it(name, async () => {
      const committed = readFileSync(join(DIR, name), 'utf8');
      expect(committed === text, `${name} drifted from the generator`).toBe(true);
      const results = await zkSuite.run(JSON.parse(committed), join(DIR, name));
      expect(results.length).toBeGreaterThan(0);
      expect(results.filter((r) => !r.ok)).toEqual([]);
    });
  }
});
