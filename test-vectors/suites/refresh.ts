/**
 * `refresh`: seeded refresh transcripts (test-vectors/refresh/*.json, written by
 * test-vectors/generate-protocols.ts). Party input in JSON: {publicKey, epoch, oldThreshold,
 * oldPublicShares: [{index, X}], dealers: [{party, indices}], oldShares: [{index, share}]}, byte
 * strings as hex. Replay as in suites/protocol-replay.ts.
 * @module
 */
import { hexToBytes } from '../../src/bytes.js';
import { refresh, type RefreshInput } from '../../protocols/refresh/index.js';
import type { Protocol } from '../../protocols/types.js';
import { runTranscripts } from './protocol-replay.js';
import type { Suite } from './types.js';
import { arr, isObject, str, VectorFormatError } from './util.js';

export function refreshInputFromJSON(j: unknown): RefreshInput {
  if (!isObject(j)) throw new VectorFormatError('refresh input: expected an object');
  const list = (k: string) =>
    arr(j, k).map((e, i) => {
      if (!isObject(e)) throw new VectorFormatError(`${k}[${i}]: expected an object`);
      return e;
    });
  return {
    publicKey: hexToBytes(str(j, 'publicKey')),
    epoch: j.epoch as number,
    oldThreshold: j.oldThreshold as number,
    oldPublicShares: list('oldPublicShares').map((e) => ({ index: e.index as number, X: hexToBytes(str(e, 'X')) })),
    dealers: list('dealers').map((e) => ({ party: e.party as number, indices: arr(e, 'indices') as number[] })),
    oldShares: list('oldShares').map((e) => ({ index: e.index as number, share: hexToBytes(str(e, 'share')) })),
  };
}

export const refreshSuite: Suite = {
  name: 'refresh',
  run: (doc) => runTranscripts(doc, 'refresh', refresh as unknown as Protocol<RefreshInput, unknown, object>, refreshInputFromJSON),
};
