/**
 * The one Fiat–Shamir transcript (DESIGN §3.4).
 *
 * State is a running SHAKE256 over an injective, typed, length-prefixed encoding:
 *
 *   item := type:u8 ‖ len(label):u32 ‖ label ‖ len(data):u32 ‖ data
 *
 * with `type` ∈ {bytes, int, point, string, uint, domain, challenge} and `data`
 *   bytes   raw bytes
 *   int     sign:u8 (0 for ≥ 0, 1 for < 0) ‖ |x| minimal big-endian (0 → empty); −0 does not exist
 *   point   33-byte SEC1 compressed (the identity as the single byte 0x00)
 *   string  UTF-8
 *   uint    u64 big-endian (safe integers only)
 *
 * Every field carries its own length and type, so two different item sequences never encode to the
 * same byte string (the TSSHOCK α-shuffle class of bug cannot happen).
 *
 * A transcript starts bound to (sid, protocol, prover index, rid/ρ or its explicit absence); each
 * proof then absorbs its own domain tag, the statement and its first messages, and squeezes
 * challenges. A challenge is read from SHAKE256(state ‖ challenge item) as an XOF and
 * rejection-sampled into the challenge set (uniform, no modulo bias); the challenge item stays
 * absorbed, so successive challenges differ.
 * @module
 */
import { shake256 } from '@noble/hashes/sha3.js';
import { abytes, aInt, aString, bytesToNumberBE, numberToBytesMin, utf8ToBytes } from '../bytes.js';
import { type Point, pointToBytes } from '../curve.js';
import { fail } from '../errors.js';

type Keccak = ReturnType<typeof shake256.create>;

const T_BYTES = 1;
const T_INT = 2;
const T_POINT = 3;
const T_STRING = 4;
const T_UINT = 5;
const T_DOMAIN = 6;
const T_CHALLENGE = 7;

/** Version tag absorbed first; bump it when the encoding changes. */
export const TRANSCRIPT_DOMAIN = 'tkey-tss/transcript/v1';

function u64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), false);
  return b;
}

/** Signed bigint → sign byte ‖ minimal magnitude (injective over ℤ). */
export function encodeInt(x: bigint): Uint8Array {
  if (typeof x !== 'bigint') fail('INVALID_ARGUMENT', 'transcript: expected bigint');
  const neg = x < 0n;
  const mag = numberToBytesMin(neg ? -x : x); // 0 → empty
  const out = new Uint8Array(1 + mag.length);
  out[0] = neg ? 1 : 0;
  out.set(mag, 1);
  return out;
}

/** Bits needed to write x−1 for x ≥ 1 (the rejection-sampling width for [0, x)). */
function widthBits(bound: bigint): number {
  return bound <= 1n ? 0 : (bound - 1n).toString(2).length;
}

/** What a transcript is bound to before any proof data. */
export interface TranscriptContext {
  /** Session id, jointly generated (never prover-chosen). */
  sid: Uint8Array;
  /** Protocol name, e.g. `aux`, `keygen`, `presign`. */
  protocol: string;
  /** Prover's party index. */
  prover: number;
  /** rid / ρ where the protocol has one (keygen rid, aux ρ); absent is encoded as absent. */
  rid?: Uint8Array;
}

export class Transcript {
  readonly #h: Keccak;
  private constructor(h: Keccak) {
    this.#h = h;
  }

  /** A fresh transcript bound to (sid, protocol, prover, rid). */
  static create(ctx: TranscriptContext): Transcript {
    if (typeof ctx !== 'object' || ctx === null) fail('INVALID_ARGUMENT', 'transcript: context expected');
    const t = new Transcript(shake256.create({}));
    t.#item(T_DOMAIN, 'transcript', utf8ToBytes(TRANSCRIPT_DOMAIN));
    t.bytes('sid', abytes(ctx.sid, 'sid'));
    t.string('protocol', aString(ctx.protocol, 'protocol'));
    t.uint('prover', aInt(ctx.prover, 'prover'));
    if (ctx.rid === undefined) t.string('rid', 'absent');
    else t.bytes('rid', abytes(ctx.rid, 'rid'));
    return t;
  }

  /** An independent copy (absorbing into it leaves this one untouched). */
  clone(): Transcript {
    return new Transcript(this.#h.clone());
  }

  /** Copy with a discriminator absorbed (e.g. `psi-hat` vs `psi`, or the peer index j). */
  fork(label: string, value?: number): Transcript {
    const t = this.clone();
    t.#item(T_DOMAIN, 'fork', utf8ToBytes(aString(label, 'label')));
    if (value !== undefined) t.uint('fork-value', value);
    return t;
  }

  #item(type: number, label: string, data: Uint8Array): this {
    // type ‖ len(label) ‖ label ‖ len(data) in one header, then data
    const l = utf8ToBytes(label);
    const head = new Uint8Array(9 + l.length);
    const v = new DataView(head.buffer);
    head[0] = type;
    v.setUint32(1, l.length, false);
    head.set(l, 5);
    v.setUint32(5 + l.length, data.length, false);
    this.#h.update(head);
    this.#h.update(data);
    return this;
  }

  /** Proof (or protocol-step) domain tag, e.g. `tkey-tss/zk/mod/v1`. */
  domain(tag: string): this {
    return this.#item(T_DOMAIN, 'domain', utf8ToBytes(aString(tag, 'tag')));
  }
  bytes(label: string, b: Uint8Array): this {
    return this.#item(T_BYTES, label, abytes(b, label));
  }
  int(label: string, x: bigint): this {
    return this.#item(T_INT, label, encodeInt(x));
  }
  /** The verifier's ring-Pedersen parameters (N̂, s, t) a Paillier proof is made under. */
  ringPedersen(rp: { readonly N: bigint; readonly s: bigint; readonly t: bigint }): this {
    return this.int('Nhat', rp.N).int('s', rp.s).int('t', rp.t);
  }
  ints(label: string, xs: readonly bigint[]): this {
    this.uint(label + '#', xs.length);
    for (let i = 0; i < xs.length; i++) this.int(label, xs[i]!);
    return this;
  }
  point(label: string, p: Point): this {
    return this.#item(T_POINT, label, p.is0() ? new Uint8Array([0]) : pointToBytes(p, true));
  }
  string(label: string, s: string): this {
    return this.#item(T_STRING, label, utf8ToBytes(aString(s, label)));
  }
  uint(label: string, n: number): this {
    return this.#item(T_UINT, label, u64(aInt(n, label)));
  }

  /** An XOF stream bound to the current state and `label` (the label stays absorbed). */
  #xof(label: string): Keccak {
    this.#item(T_CHALLENGE, label, new Uint8Array(0));
    return this.#h.clone();
  }

  /** Uniform integers in [0, bound), `count` of them, by rejection sampling from the XOF. */
  challengesBelow(label: string, bound: bigint, count: number): bigint[] {
    if (typeof bound !== 'bigint' || bound < 1n) fail('OUT_OF_RANGE', 'challenge bound must be ≥ 1');
    aInt(count, 'count');
    const xof = this.#xof(label);
    const bits = widthBits(bound);
    const len = Math.ceil(bits / 8);
    const excess = BigInt(len * 8 - bits);
    const out: bigint[] = [];
    while (out.length < count) {
      if (len === 0) {
        out.push(0n);
        continue;
      }
      const v = bytesToNumberBE(xof.xof(len)) >> excess;
      if (v < bound) out.push(v);
    }
    return out;
  }

  /** One uniform integer in [0, bound). */
  challengeBelow(label: string, bound: bigint): bigint {
    return this.challengesBelow(label, bound, 1)[0]!;
  }

  /** Uniform integer in [−q, q] (the ±q challenge set of the CGGMP range proofs). */
  challengeSigned(label: string, q: bigint): bigint {
    return this.challengeBelow(label, 2n * q + 1n) - q;
  }

  /** m uniform bits (the binary challenges of Πprm), as 0/1 numbers. */
  challengeBits(label: string, m: number): number[] {
    aInt(m, 'm', 1);
    const xof = this.#xof(label);
    const raw = xof.xof(Math.ceil(m / 8));
    const out: number[] = [];
    for (let i = 0; i < m; i++) out.push((raw[i >> 3]! >> (i & 7)) & 1);
    return out;
  }

  /** Raw XOF output (tests, commitments). */
  challengeBytes(label: string, n: number): Uint8Array {
    return this.#xof(label).xof(aInt(n, 'n'));
  }

  toJSON(): string {
    return 'Transcript(<state>)';
  }
}
