/**
 * Fuzzing every proof codec (bytes and JSON): a proof arrives inside a protocol message from a
 * peer, so its decoder is outside input. Seeds are the valid proofs of the conformance vectors
 * (`test-vectors/zk/*.json`); a decoder answers with a proof or `{ok: false, reason}` from
 * `ZK_REASONS` (see `harness.ts`).
 */
import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import * as zk from '../../src/zk/index.js';
import { bytesLike, fuzz, jsonLike } from './harness.js';

type Codec = {
  proofToBytes(p: object): Uint8Array;
  proofFromBytes(b: Uint8Array): { ok: true; proof: object } | { ok: false };
  proofFromJSON(j: unknown): { ok: true; proof: object } | { ok: false };
};
const MODULES: Record<string, Codec> = {
  sch: zk.sch, mod: zk.mod, prm: zk.prm, fac: zk.fac, enc: zk.enc, affg: zk.affg, logstar: zk.logstar, mul: zk.mul, mulstar: zk.mulstar, dec: zk.dec,
} as unknown as Record<string, Codec>;

function seeds(name: string): { json: unknown[]; bytes: Uint8Array[] } {
  const file = JSON.parse(readFileSync(new URL(`../../test-vectors/zk/${name}.json`, import.meta.url), 'utf8')) as { vectors: { proof?: unknown }[] };
  const json = file.vectors.map((v) => v.proof).filter((p) => p !== undefined && p !== null);
  const bytes: Uint8Array[] = [];
  for (const j of json) {
    const d = MODULES[name]!.proofFromJSON(j);
    if (d.ok) bytes.push(MODULES[name]!.proofToBytes(d.proof));
  }
  if (bytes.length === 0) throw new Error(`no valid ${name} proof among the vectors`);
  return { json, bytes };
}

describe('fuzz: proof codecs', () => {
  for (const name of Object.keys(MODULES)) {
    it(`${name}: proofFromBytes and proofFromJSON`, () => {
      const s = seeds(name);
      const codec = MODULES[name]!;
      fuzz(`zk.${name}.proofFromBytes`, bytesLike(s.bytes, 2048), (b) => codec.proofFromBytes(b));
      fuzz(`zk.${name}.proofFromJSON`, jsonLike(s.json), (j) => codec.proofFromJSON(j));
    });
  }
});
