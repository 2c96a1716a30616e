/**
 * `keygen`: seeded keygen transcripts (test-vectors/keygen/*.json, written by
 * test-vectors/generate-protocols.ts). Each replayed party must send exactly the recorded bytes and
 * end with the recorded output or abort (suites/protocol-replay.ts).
 * @module
 */
import { keygen } from '../../protocols/keygen/index.js';
import type { Protocol } from '../../protocols/types.js';
import { runTranscripts } from './protocol-replay.js';
import type { Suite } from './types.js';
import { VectorFormatError } from './util.js';

export const keygenSuite: Suite = {
  name: 'keygen',
  run: (doc) =>
    runTranscripts(doc, 'keygen', keygen as unknown as Protocol<object, unknown, object>, (j) => {
      if (j !== undefined && (typeof j !== 'object' || j === null || Object.keys(j).length)) throw new VectorFormatError('keygen input: expected {} or absent');
      return {};
    }),
};
