import { describe, expect, it } from 'vitest';
import { diffAgainstTree, generateVectorFiles, GENERATED_SUITES } from '../test-vectors/generate.js';

describe('conformance vectors', () => {
  it('regenerating from the seed reproduces the committed files exactly (no drift)', async () => {
    const files = await generateVectorFiles();
    expect([...new Set([...files.keys()].map((p) => p.split('/')[0]))].sort()).toEqual([...GENERATED_SUITES].sort());
    expect(diffAgainstTree(files)).toEqual([]);
  });
});
