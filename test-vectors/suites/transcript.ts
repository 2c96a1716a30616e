/**
 * `transcript`: the seeded DRBG (src/rng.ts) and the Fiat–Shamir transcript (src/zk/transcript.ts),
 * so another implementation can test both before any proof. Format: test-vectors/SPEC.md §7.1.
 *
 * - `op: "drbg"`: `seededRng(seed)`, forked by each label of `fork`, then `draws` in order, each
 *   compared with its `expected`.
 * - `op: "transcript"`: `Transcript.create(context)`, then `steps` in order (absorb items and
 *   squeezes). For a squeeze, `absorbed` (every byte absorbed so far, its own challenge item
 *   included) must be what the transcript hashed: SHAKE256(absorbed) equals the library's XOF output
 *   for that state; and the squeeze's output equals `expected`.
 * @module
 */
import { shake256 } from '@noble/hashes/sha3.js';
import { bytesToHex, equalBytes, hexToBytes } from '../../src/bytes.js';
import { IDENTITY, pointFromHex, randomScalar } from '../../src/curve.js';
import { randomBelow, randomInRange, randomSignedBits, seededRng, type Rng } from '../../src/rng.js';
import { Transcript } from '../../src/zk/transcript.js';
import { randomUnit } from '../../src/zk/util.js';
import type { CheckResult, Suite } from './types.js';
import { checkOne, isObject, vectorsOf, VectorFormatError, type Verdict } from './util.js';

export const NAME = 'transcript';

type J = Record<string, unknown>;

/** Signed hex (leading `-` for negatives), as in the zk vectors. */
export const shx = (x: bigint): string => (x < 0n ? '-' + (-x).toString(16) : x.toString(16));
export function sbig(v: unknown, what: string): bigint {
  if (typeof v !== 'string' || !/^-?[0-9a-f]+$/.test(v)) throw new VectorFormatError(`${what}: expected hex`);
  return v.startsWith('-') ? -BigInt('0x' + v.slice(1)) : BigInt('0x' + v);
}
function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new VectorFormatError(`${what}: expected a non-negative integer`);
  return v;
}
function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new VectorFormatError(`${what}: expected a string`);
  return v;
}

/** One DRBG draw → its output in vector form. */
export function draw(rng: Rng, d: J): string {
  switch (d.kind) {
    case 'bytes':
      return bytesToHex(rng.bytes(num(d.n, 'n')));
    case 'below':
      return shx(randomBelow(rng, sbig(d.max, 'max')));
    case 'range':
      return shx(randomInRange(rng, sbig(d.min, 'min'), sbig(d.max, 'max')));
    case 'signedBits':
      return shx(randomSignedBits(rng, num(d.bits, 'bits')));
    case 'scalar':
      return shx(randomScalar(rng));
    case 'unit':
      return shx(randomUnit(rng, sbig(d.N, 'N')));
    default:
      throw new VectorFormatError(`draw: unknown kind ${String(d.kind)}`);
  }
}

export function transcriptFromContext(c: J): Transcript {
  return Transcript.create({
    sid: hexToBytes(str(c.sid, 'context.sid'), 'sid'),
    protocol: str(c.protocol, 'context.protocol'),
    prover: num(c.prover, 'context.prover'),
    ...(c.rid !== undefined ? { rid: hexToBytes(str(c.rid, 'context.rid'), 'rid') } : {}),
  });
}

/** Absorb one item step (returns the transcript to continue with: `fork` makes a copy). */
export function absorb(t: Transcript, s: J): Transcript {
  const label = s.item === 'domain' || s.item === 'fork' || s.item === 'ringPedersen' ? '' : str(s.label, 'label');
  switch (s.item) {
    case 'bytes':
      return t.bytes(label, hexToBytes(str(s.value, 'value')));
    case 'int':
      return t.int(label, sbig(s.value, 'value'));
    case 'point':
      return t.point(label, s.value === 'identity' ? IDENTITY : pointFromHex(str(s.value, 'value')));
    case 'string':
      return t.string(label, str(s.value, 'value'));
    case 'uint':
      return t.uint(label, num(s.value, 'value'));
    case 'domain':
      return t.domain(str(s.value, 'value'));
    case 'fork':
      return s.forkValue === undefined ? t.fork(str(s.value, 'value')) : t.fork(str(s.value, 'value'), num(s.forkValue, 'forkValue'));
    case 'ints': {
      if (!Array.isArray(s.value)) throw new VectorFormatError('ints: expected an array');
      return t.ints(label, s.value.map((x, i) => sbig(x, `value[${i}]`)));
    }
    case 'ringPedersen': {
      const v = s.value as J;
      if (!isObject(v)) throw new VectorFormatError('ringPedersen: expected {N, s, t}');
      return t.ringPedersen({ N: sbig(v.N, 'N'), s: sbig(v.s, 's'), t: sbig(v.t, 't') });
    }
    default:
      throw new VectorFormatError(`step: unknown item ${String(s.item)}`);
  }
}

/** One squeeze step → its output in vector form (advances `t`: the challenge item stays absorbed). */
export function squeeze(t: Transcript, s: J): unknown {
  const label = str(s.label, 'label');
  switch (s.squeeze) {
    case 'bytes':
      return bytesToHex(t.challengeBytes(label, num(s.n, 'n')));
    case 'below':
      return t.challengesBelow(label, sbig(s.bound, 'bound'), num(s.count, 'count')).map(shx);
    case 'signed':
      return shx(t.challengeSigned(label, sbig(s.bound, 'bound')));
    case 'bits':
      return t.challengeBits(label, num(s.m, 'm'));
    default:
      throw new VectorFormatError(`step: unknown squeeze ${String(s.squeeze)}`);
  }
}

const PROBE = 64;

function checkDrbg(v: J): Verdict {
  let rng = seededRng(str(v.seed, 'seed'));
  const forks = v.fork ?? [];
  if (!Array.isArray(forks)) throw new VectorFormatError('fork: expected an array');
  for (const f of forks) rng = rng.fork(str(f, 'fork[]'));
  if (!Array.isArray(v.draws) || v.draws.length === 0) throw new VectorFormatError('draws: expected a non-empty array');
  for (const [i, d] of v.draws.entries()) {
    if (!isObject(d)) throw new VectorFormatError(`draws[${i}]: expected an object`);
    const got = draw(rng, d);
    if (got !== d.expected) return `draws[${i}] (${String(d.kind)}): got ${got.slice(0, 80)}, expected ${String(d.expected).slice(0, 80)}`;
  }
  return true;
}

function checkTranscript(v: J): Verdict {
  if (!isObject(v.context)) throw new VectorFormatError('context: expected an object');
  let t = transcriptFromContext(v.context);
  if (!Array.isArray(v.steps) || v.steps.length === 0) throw new VectorFormatError('steps: expected a non-empty array');
  let squeezes = 0;
  for (const [i, s] of v.steps.entries()) {
    if (!isObject(s)) throw new VectorFormatError(`steps[${i}]: expected an object`);
    if (s.squeeze === undefined) {
      t = absorb(t, s);
      continue;
    }
    squeezes++;
    // the absorbed bytes are exactly what the library hashed for this challenge
    const lib = t.clone().challengeBytes(str(s.label, 'label'), PROBE);
    const mine = shake256(hexToBytes(str(s.absorbed, 'absorbed')), { dkLen: PROBE });
    if (!equalBytes(lib, mine)) return `steps[${i}]: SHAKE256(absorbed) is not the transcript's challenge stream`;
    const got = JSON.stringify(squeeze(t, s));
    if (got !== JSON.stringify(s.expected)) return `steps[${i}] (${String(s.squeeze)}): got ${got.slice(0, 80)}, expected ${JSON.stringify(s.expected).slice(0, 80)}`;
  }
  if (squeezes === 0) throw new VectorFormatError('steps: no squeeze');
  return true;
}

export const transcriptSuite: Suite = {
  name: NAME,
  async run(doc: unknown): Promise<CheckResult[]> {
    const vs = vectorsOf(doc, NAME);
    const out: CheckResult[] = [];
    for (const v of vs) {
      out.push(
        await checkOne(`${NAME}/${v.id}`, () => {
          if (v.op === 'drbg') return checkDrbg(v);
          if (v.op === 'transcript') return checkTranscript(v);
          throw new VectorFormatError(`unknown op ${String(v.op)}`);
        }),
      );
    }
    return out;
  },
};
