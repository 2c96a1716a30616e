/**
 * Measures the largest legitimate protocol messages, the basis of the bus frame caps
 * (`src/bus/frame-limits.ts`): seeded aux-info and presign runs of the HIGH profile (3072-bit N)
 * with 5 parties (echo broadcast on), over the in-memory runner with wire encoding. Prints, per
 * (protocol, round, kind), the largest encoded envelope in bytes and its number of msgpack
 * elements (every value counted once, map keys included) and nesting depth.
 *
 *   npx tsx bench/bus-frame-sizes.ts            (minutes of CPU: one-off, not a benchmark case)
 *
 * Test primes only (test-vectors/primes has 4 high-profile pairs, so the 5 keys pair the 8 primes
 * differently); message sizes do not depend on the key values (fixed-width encodings).
 */
import { Unpackr } from 'msgpackr';
import { utf8ToBytes } from '../src/bytes.js';
import { seededRng } from '../src/rng.js';
import { aux, type AuxInfo, type AuxInput } from '../protocols/aux/index.js';
import { keygen, type KeygenOutput } from '../protocols/keygen/index.js';
import { presign } from '../protocols/presign/index.js';
import { simulate } from '../protocols/simulate.js';
import { decodeMessage } from '../protocols/wire.js';
import { presignInputs } from '../test/helpers/signing.js';
import { testSafePrimes } from '../test/helpers/test-primes.js';

const IDS = [1, 2, 3, 4, 5];
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

function shape(v: unknown, depth = 1): { elements: number; depth: number } {
  if (Array.isArray(v)) return v.reduce((a: { elements: number; depth: number }, x) => { const s = shape(x, depth + 1); return { elements: a.elements + s.elements, depth: Math.max(a.depth, s.depth) }; }, { elements: 1, depth });
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
    let out = { elements: 1, depth };
    for (const x of Object.values(v)) {
      const s = shape(x, depth + 1);
      out = { elements: out.elements + 1 + s.elements, depth: Math.max(out.depth, s.depth) };
    }
    return out;
  }
  return { elements: 1, depth };
}

function report(name: string, sent: Map<number, Uint8Array[]>): void {
  const worst = new Map<string, { bytes: number; elements: number; depth: number }>();
  for (const frames of sent.values()) {
    for (const b of frames) {
      const m = decodeMessage(b);
      const key = `${name} round ${m.round} ${m.to === null ? 'broadcast' : 'p2p'}`;
      const s = shape(unpackr.unpack(b));
      const w = worst.get(key) ?? { bytes: 0, elements: 0, depth: 0 };
      worst.set(key, { bytes: Math.max(w.bytes, b.length), elements: Math.max(w.elements, s.elements), depth: Math.max(w.depth, s.depth) });
    }
  }
  for (const [k, w] of worst) console.log(`${k.padEnd(32)} ${String(w.bytes).padStart(8)} bytes ${String(w.elements).padStart(5)} elements depth ${w.depth}`);
}

const primes = testSafePrimes(1536);
const PAIRS = [[0, 1], [2, 3], [4, 5], [6, 7], [1, 2]] as const;
const auxIn = (id: number): AuxInput => ({ profile: 'high', key: { p: primes[PAIRS[id - 1]![0]]!, q: primes[PAIRS[id - 1]![1]]! } });
let t = performance.now();
const ax = simulate(aux, IDS.map((id) => ({ id, owns: [id], input: auxIn(id), rng: seededRng(`bench/frame-sizes/aux/${id}`) })), { sid: utf8ToBytes('bench/frame-sizes/aux'), threshold: 1 });
if (ax.outputs.size !== IDS.length) throw new Error('aux did not finish');
console.log(`aux: ${((performance.now() - t) / 1000).toFixed(1)} s`);
report('aux', ax.sent);
const kg = simulate(keygen, IDS.map((id) => ({ id, owns: [id], input: {}, rng: seededRng(`bench/frame-sizes/keygen/${id}`) })), { sid: utf8ToBytes('bench/frame-sizes/keygen'), threshold: IDS.length });
const key = IDS.map((id) => kg.outputs.get(id)!) as KeygenOutput[];
report('keygen', kg.sent);
t = performance.now();
const auxInfo = new Map<number, AuxInfo>(IDS.map((id) => [id, ax.outputs.get(id)!]));
const input = presignInputs(key, IDS, auxInfo);
const ps = simulate(presign, IDS.map((id) => ({ id, owns: [id], input: input(id), rng: seededRng(`bench/frame-sizes/presign/${id}`) })), { sid: utf8ToBytes('bench/frame-sizes/presign'), threshold: IDS.length });
if (ps.outputs.size !== IDS.length) throw new Error('presign did not finish');
console.log(`presign: ${((performance.now() - t) / 1000).toFixed(1)} s`);
report('presign', ps.sent);
