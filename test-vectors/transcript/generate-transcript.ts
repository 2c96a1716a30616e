/**
 * Generator of the `transcript` conformance vectors: `npx tsx test-vectors/transcript/generate-transcript.ts [--check]`.
 * Writes `drbg.json` (the seeded ChaCha20 DRBG and its integer draws) and `transcript.json` (one
 * vector per transcript item type, the challenge samplers, chained challenges). Every expected
 * value is computed twice — by the library (`src/rng.ts`, `src/zk/transcript.ts`) and by the
 * independent encoder and samplers below, written from test-vectors/SPEC.md §2–§3 over raw ChaCha20
 * and SHAKE256 — and the two must agree. Format: SPEC.md §7.1.
 */
import { chacha20 } from '@noble/ciphers/chacha.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { shake256 } from '@noble/hashes/sha3.js';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeOrCheck } from '../write-or-check.js';
import { bytesToHex, bytesToNumberBE, concatBytes, hexToBytes, utf8ToBytes } from '../../src/bytes.js';
import { G, mulG, N as q, pointToHex } from '../../src/curve.js';
import { testPrimePairs } from '../../test/helpers/test-primes.js';
import { absorb, draw, shx, squeeze, transcriptFromContext } from '../suites/transcript.js';
import { seededRng } from '../../src/rng.js';

const SEED = 'tkey-tss/conformance/v1/transcript';
const SCRIPT = 'test-vectors/transcript/generate-transcript.ts';
const DIR = dirname(fileURLToPath(import.meta.url));

type J = Record<string, unknown>;

// ---------------------------------------------------------------- independent DRBG (SPEC §2)

class Stream {
  pos = 0;
  constructor(readonly read: (from: number, n: number) => Uint8Array) {}
  take(n: number): Uint8Array {
    const b = this.read(this.pos, n);
    this.pos += n;
    return b;
  }
}
const drbgKey = (seed: Uint8Array): Uint8Array => sha256(concatBytes(utf8ToBytes('tkey-tss/drbg/v1'), seed));
function drbgStream(key: Uint8Array): Stream {
  return new Stream((from, n) => {
    const first = Math.floor(from / 64);
    const last = Math.floor((from + n) / 64) + 1;
    const ks = chacha20(key, new Uint8Array(12), new Uint8Array((last - first) * 64), undefined, first);
    return ks.subarray(from - first * 64, from - first * 64 + n);
  });
}
let rejections = 0;
function below(s: Stream, max: bigint): bigint {
  if (max === 1n) return 0n;
  const bits = (max - 1n).toString(2).length;
  const len = Math.ceil(bits / 8);
  for (;;) {
    const v = bytesToNumberBE(s.take(len)) >> BigInt(8 * len - bits);
    if (v < max) return v;
    rejections++;
  }
}
const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));
function drawIndependent(s: Stream, d: J): string {
  const h = (k: string) => BigInt('0x' + String(d[k]));
  switch (d.kind) {
    case 'bytes':
      return bytesToHex(s.take(d.n as number));
    case 'below':
      return shx(below(s, h('max')));
    case 'range':
      return shx(h('min') + below(s, h('max') - h('min')));
    case 'signedBits': {
      const B = 1n << BigInt(d.bits as number);
      return shx(below(s, 2n * B + 1n) - B);
    }
    case 'scalar':
      return shx(1n + below(s, q - 1n));
    case 'unit':
      for (;;) {
        const r = below(s, h('N'));
        if (r !== 0n && gcd(r, h('N')) === 1n) return shx(r);
        rejections++;
      }
    default:
      throw new Error(`kind ${String(d.kind)}`);
  }
}

function drbgVector(id: string, seed: string, fork: string[], draws: J[], note: string): J {
  // library
  let rng = seededRng(seed);
  for (const f of fork) rng = rng.fork(f);
  const out = draws.map((d) => ({ ...d, expected: draw(rng, d) }));
  // independent
  let key = drbgKey(utf8ToBytes(seed));
  for (const f of fork) key = drbgKey(concatBytes(key, utf8ToBytes('/' + f)));
  const s = drbgStream(key);
  out.forEach((d, i) => {
    const again = drawIndependent(s, d);
    if (again !== d.expected) throw new Error(`drbg ${id} draw ${i}: library ${d.expected}, independent ${again}`);
  });
  return { id, op: 'drbg', note, seed, fork, draws: out };
}

// ---------------------------------------------------------------- independent transcript encoder (SPEC §3)

const u32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
};
const u64 = (n: number) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
};
const item = (type: number, label: string, data: Uint8Array) => concatBytes(new Uint8Array([type]), u32(utf8ToBytes(label).length), utf8ToBytes(label), u32(data.length), data);
function intBytes(x: bigint): Uint8Array {
  const m = x < 0n ? -x : x;
  let hex = m === 0n ? '' : m.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  return concatBytes(new Uint8Array([x < 0n ? 1 : 0]), hexToBytes(hex));
}
const sb = (v: unknown) => (String(v).startsWith('-') ? -BigInt('0x' + String(v).slice(1)) : BigInt('0x' + String(v)));
function encodeStep(s: J): Uint8Array {
  switch (s.item) {
    case 'bytes':
      return item(1, s.label as string, hexToBytes(s.value as string));
    case 'int':
      return item(2, s.label as string, intBytes(sb(s.value)));
    case 'point':
      return item(3, s.label as string, s.value === 'identity' ? new Uint8Array([0]) : hexToBytes(s.value as string));
    case 'string':
      return item(4, s.label as string, utf8ToBytes(s.value as string));
    case 'uint':
      return item(5, s.label as string, u64(s.value as number));
    case 'domain':
      return item(6, 'domain', utf8ToBytes(s.value as string));
    case 'fork':
      return concatBytes(item(6, 'fork', utf8ToBytes(s.value as string)), s.forkValue === undefined ? new Uint8Array(0) : item(5, 'fork-value', u64(s.forkValue as number)));
    case 'ints': {
      const xs = s.value as string[];
      return concatBytes(item(5, (s.label as string) + '#', u64(xs.length)), ...xs.map((x) => item(2, s.label as string, intBytes(sb(x)))));
    }
    case 'ringPedersen': {
      const v = s.value as Record<string, string>;
      return concatBytes(item(2, 'Nhat', intBytes(sb(v.N))), item(2, 's', intBytes(sb(v.s))), item(2, 't', intBytes(sb(v.t))));
    }
    default:
      throw new Error(`item ${String(s.item)}`);
  }
}
function contextBytes(c: J): Uint8Array {
  return concatBytes(
    item(6, 'transcript', utf8ToBytes('tkey-tss/transcript/v1')),
    item(1, 'sid', hexToBytes(c.sid as string)),
    item(4, 'protocol', utf8ToBytes(c.protocol as string)),
    item(5, 'prover', u64(c.prover as number)),
    c.rid === undefined ? item(4, 'rid', utf8ToBytes('absent')) : item(1, 'rid', hexToBytes(c.rid as string)),
  );
}
function squeezeIndependent(absorbed: Uint8Array, s: J): unknown {
  const xof = (n: number) => shake256(absorbed, { dkLen: n });
  const st = new Stream((from, n) => xof(from + n).subarray(from));
  switch (s.squeeze) {
    case 'bytes':
      return bytesToHex(xof(s.n as number));
    case 'below': {
      const out: string[] = [];
      for (let i = 0; i < (s.count as number); i++) out.push(shx(below(st, sb(s.bound))));
      return out;
    }
    case 'signed': {
      const Q = sb(s.bound);
      return shx(below(st, 2n * Q + 1n) - Q);
    }
    case 'bits': {
      const m = s.m as number;
      const raw = xof(Math.ceil(m / 8));
      return Array.from({ length: m }, (_, i) => (raw[i >> 3]! >> (i & 7)) & 1);
    }
    default:
      throw new Error(`squeeze ${String(s.squeeze)}`);
  }
}

function transcriptVector(id: string, context: J, steps: J[], note: string): J {
  let t = transcriptFromContext(context);
  let acc = contextBytes(context);
  const out: J[] = [];
  for (const s of steps) {
    if (s.squeeze === undefined) {
      t = absorb(t, s);
      acc = concatBytes(acc, encodeStep(s));
      out.push(s);
      continue;
    }
    acc = concatBytes(acc, item(7, s.label as string, new Uint8Array(0)));
    const expected = squeeze(t, s);
    const again = squeezeIndependent(acc, s);
    if (JSON.stringify(again) !== JSON.stringify(expected)) throw new Error(`transcript ${id}: library ${JSON.stringify(expected)}, independent ${JSON.stringify(again)}`);
    out.push({ ...s, absorbed: bytesToHex(acc), expected });
  }
  return { id, op: 'transcript', note, context, steps: out };
}

// ---------------------------------------------------------------- the vectors

const hex = (s: string) => bytesToHex(utf8ToBytes(s));
const CTX = { sid: hex('transcript-session-1'), protocol: 'conformance', prover: 1 };
const CTX_RID = { ...CTX, rid: hex('rho') };
const OUT = (label = 'out'): J => ({ squeeze: 'bytes', label, n: 32 });

function gen(): Record<string, J> {
  rejections = 0;
  const pair = testPrimePairs(1024)[0]!;
  const N = pair.p * pair.q;
  const drbg: J[] = [
    drbgVector('stream', `${SEED}/drbg`, [], [
      { kind: 'bytes', n: 1 },
      { kind: 'bytes', n: 63 },
      { kind: 'bytes', n: 100 },
      { kind: 'bytes', n: 3900 },
      { kind: 'bytes', n: 100 },
    ], 'the keystream read across 64-byte block boundaries and across the 4096-byte boundary (counter 64): successive reads continue without a gap'),
    drbgVector('fork', `${SEED}/drbg`, ['a', 'b'], [{ kind: 'bytes', n: 32 }], 'fork("a").fork("b"): key = SHA-256("tkey-tss/drbg/v1" ‖ parent key ‖ "/" ‖ label) at each step'),
    drbgVector('fork-of-empty-label', '', [''], [{ kind: 'bytes', n: 32 }], 'empty seed string, empty fork label'),
    drbgVector('below', `${SEED}/drbg`, ['below'], [
      { kind: 'below', max: '1' },
      { kind: 'below', max: '2' },
      { kind: 'below', max: '100' },
      { kind: 'below', max: '101' },
      { kind: 'below', max: '1ff' },
      ...Array.from({ length: 8 }, () => ({ kind: 'below', max: '10001' })),
      { kind: 'below', max: shx(2n * (1n << 128n) + 1n) },
      { kind: 'below', max: shx(q) },
      { kind: 'below', max: shx(N) },
    ], 'below(1) reads nothing; 0x100 is 8 bits (1 byte, nothing dropped); 0x101 and 0x1ff are 9 bits (2 bytes, the 7 low bits dropped); 0x10001 (17 bits, 3 bytes, 7 low bits dropped) rejects about half of its draws'),
    drbgVector('derived', `${SEED}/drbg`, ['derived'], [
      { kind: 'range', min: '2', max: shx(N - 1n) },
      { kind: 'range', min: 'a', max: '14' },
      { kind: 'signedBits', bits: 0 },
      { kind: 'signedBits', bits: 8 },
      { kind: 'signedBits', bits: 768 },
      { kind: 'scalar' },
      { kind: 'scalar' },
      { kind: 'unit', N: 'f' },
      { kind: 'unit', N: 'f' },
      { kind: 'unit', N: 'f' },
      { kind: 'unit', N: shx(N) },
    ], 'range(min, max) = min + below(max − min); signedBits(k) = below(2^(k+1) + 1) − 2^k; scalar = 1 + below(q − 1); unit(N): below(N) until non-zero and coprime (N = 15 rejects often)'),
  ];
  const drbgRejections = rejections;
  if (drbgRejections < 3) throw new Error(`drbg vectors exercise only ${drbgRejections} rejections`);

  const P = pointToHex(mulG(7n));
  const items: [string, J, string][] = [
    ['item-bytes', { item: 'bytes', label: 'b', value: '00ff10' }, 'type 1'],
    ['item-bytes-empty', { item: 'bytes', label: 'b', value: '' }, 'type 1, zero-length data'],
    ['item-int-positive', { item: 'int', label: 'x', value: '1234' }, 'type 2: 00 ‖ 12 34'],
    ['item-int-high-bit', { item: 'int', label: 'x', value: '80' }, 'type 2: 00 ‖ 80 (the sign is its own byte)'],
    ['item-int-odd-digits', { item: 'int', label: 'x', value: 'abc' }, 'type 2: 00 ‖ 0a bc'],
    ['item-int-zero', { item: 'int', label: 'x', value: '0' }, 'type 2: just the sign byte 00'],
    ['item-int-negative', { item: 'int', label: 'x', value: '-1234' }, 'type 2: 01 ‖ 12 34'],
    ['item-point', { item: 'point', label: 'P', value: P }, 'type 3: 33-byte compressed'],
    ['item-point-G', { item: 'point', label: 'g', value: pointToHex(G) }, 'type 3: the generator'],
    ['item-point-identity', { item: 'point', label: 'P', value: 'identity' }, 'type 3: the identity is the single byte 00'],
    ['item-string', { item: 'string', label: 's', value: 'ρ-presign ✓' }, 'type 4: UTF-8'],
    ['item-uint', { item: 'uint', label: 'n', value: 0 }, 'type 5: u64be'],
    ['item-uint-max', { item: 'uint', label: 'n', value: Number.MAX_SAFE_INTEGER }, 'type 5: 2^53 − 1'],
    ['item-domain', { item: 'domain', value: 'tkey-tss/zk/sch/v1' }, 'type 6 with the label "domain"'],
    ['item-fork', { item: 'fork', value: 'psi-hat' }, 'type 6 with the label "fork"'],
    ['item-fork-value', { item: 'fork', value: 'share-index', forkValue: 3 }, 'type 6 "fork", then uint "fork-value"'],
    ['item-ints', { item: 'ints', label: 'A', value: ['1', '-2', '0'] }, 'uint "A#" = 3, then int "A" per element'],
    ['item-ints-empty', { item: 'ints', label: 'A', value: [] }, 'uint "A#" = 0 only'],
    ['item-ring-pedersen', { item: 'ringPedersen', value: { N: shx(N), s: '4', t: '9' } }, 'ints "Nhat", "s", "t"'],
  ];
  const tv: J[] = [
    transcriptVector('context-no-rid', CTX, [OUT()], 'the start alone: rid absent is string "rid" = "absent"'),
    transcriptVector('context-rid', CTX_RID, [OUT()], 'rid given: bytes "rid"'),
    transcriptVector('context-rid-empty', { ...CTX, rid: '' }, [OUT()], 'rid given and empty: bytes "rid" of length 0 (differs from absent)'),
    transcriptVector('context-unicode-protocol', { sid: '', protocol: 'présign', prover: 0 }, [OUT()], 'empty sid, prover 0, non-ASCII protocol'),
    ...items.map(([id, s, note]) => transcriptVector(id, CTX, [s, OUT()], note)),
    transcriptVector('squeeze-below-q', CTX_RID, [{ item: 'domain', value: 'tkey-tss/zk/sch/v1' }, { squeeze: 'below', label: 'e', bound: shx(q), count: 1 }], 'the Πsch challenge set [0, q): 32 bytes, nothing dropped'),
    transcriptVector('squeeze-below-many', CTX, [{ squeeze: 'below', label: 'y', bound: '10001', count: 12 }], 'count values from one XOF stream: 3 bytes each, 7 low bits dropped, rejected values skipped'),
    transcriptVector('squeeze-below-N', CTX, [{ item: 'int', label: 'N', value: shx(N) }, { squeeze: 'below', label: 'y', bound: shx(N), count: 3 }], 'the Πmod y_i over a 2048-bit N'),
    transcriptVector('squeeze-below-one', CTX, [{ squeeze: 'below', label: 'z', bound: '1', count: 2 }, OUT('after')], 'bound 1: zeros, nothing read; the challenge item is still absorbed'),
    transcriptVector('squeeze-signed', CTX, [{ squeeze: 'signed', label: 'e', bound: shx(1n << 128n) }], 'e ∈ [−2^128, 2^128] = below(2^129 + 1) − 2^128: bitlen(2^129) = 130, so 17 bytes with the 6 low bits dropped'),
    transcriptVector('squeeze-bits', CTX, [{ squeeze: 'bits', label: 'e', m: 128 }], 'Πprm: 16 bytes, least significant bit of each byte first'),
    transcriptVector('squeeze-bits-13', CTX, [{ squeeze: 'bits', label: 'e', m: 13 }], '2 bytes read, bits 0..12'),
    transcriptVector('chained', CTX_RID, [
      { item: 'int', label: 'x', value: '5' },
      OUT('first'),
      OUT('first'),
      { item: 'uint', label: 'round', value: 2 },
      { squeeze: 'signed', label: 'e', bound: shx(1n << 128n) },
    ], 'a challenge leaves its item absorbed: the same label twice gives different outputs, and later items follow it'),
  ];
  const before = rejections;
  // make sure squeeze-below-many really rejected something
  squeezeIndependent(hexToBytes((tv.find((v) => v.id === 'squeeze-below-many')!.steps as J[])[0]!.absorbed as string), { squeeze: 'below', bound: '10001', count: 12 });
  if (rejections === before) throw new Error('squeeze-below-many rejects nothing');
  const file = (name: string, description: string, vectors: J[]): J => ({ suite: 'transcript', version: 1, description, generator: { script: SCRIPT, seed: `${SEED}/${name}` }, vectors });
  return {
    drbg: file('drbg', 'The seeded ChaCha20 DRBG (SPEC.md §2): key derivation, fork, the keystream, and every integer draw with its rejection sampling', drbg),
    transcript: file('transcript', 'The Fiat–Shamir transcript (SPEC.md §3): every item type, the context, every challenge sampler, chained challenges; each squeeze lists the exact absorbed bytes', tv),
  };
}

export function generateTranscript(): Record<string, string> {
  return Object.fromEntries(Object.entries(gen()).map(([k, d]) => [`${k}.json`, JSON.stringify(d, null, 1) + '\n']));
}

if (process.argv[1]?.endsWith('generate-transcript.ts')) writeOrCheck(DIR, generateTranscript());
