/**
 * `aux`: seeded aux-info transcripts (test-vectors/aux/*.json, written by
 * test-vectors/generate-protocols.ts). Party input in JSON: {profile, key: {p, q},
 * ringPedersen?: {s, t, lambda}}, integers as lower-case hex (TEST primes). Replay as in
 * suites/protocol-replay.ts; outputs (AuxInfo) with integers as hex.
 * @module
 */
import { aux, type AuxInput } from '../../protocols/aux/index.js';
import type { Protocol } from '../../protocols/types.js';
import { runTranscripts } from './protocol-replay.js';
import type { Suite } from './types.js';
import { isObject, obj, str, VectorFormatError } from './util.js';

const big = (o: Record<string, unknown>, k: string): bigint => {
  const v = str(o, k);
  if (!/^[0-9a-f]+$/.test(v)) throw new VectorFormatError(`field "${k}": expected lower-case hex`);
  return BigInt('0x' + v);
};

export function auxInputFromJSON(j: unknown): AuxInput {
  if (!isObject(j)) throw new VectorFormatError('aux input: expected an object');
  const key = obj(j, 'key');
  const input: AuxInput = { profile: str(j, 'profile') as AuxInput['profile'], key: { p: big(key, 'p'), q: big(key, 'q') } };
  if (j.ringPedersen !== undefined) {
    const rp = obj(j, 'ringPedersen');
    input.ringPedersen = { s: big(rp, 's'), t: big(rp, 't'), lambda: big(rp, 'lambda') };
  }
  return input;
}

export const auxSuite: Suite = {
  name: 'aux',
  run: (doc) => runTranscripts(doc, 'aux', aux as unknown as Protocol<AuxInput, unknown, object>, auxInputFromJSON),
};
