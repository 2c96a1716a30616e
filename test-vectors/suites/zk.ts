/**
 * `zk`: the CGGMP zero-knowledge proofs (src/zk). One file per proof, `test-vectors/zk/<proof>.json`,
 * written by `test-vectors/zk/generate-zk.ts`. Every vector is one check:
 *
 * - `op: "verify"`: decode the statement and the proof (`proof` as the proof's JSON form, or
 *   `proofBytes` as hex of its byte form), verify under the transcript `context`, and compare the
 *   verdict (`"ok"` or the reason code) with `verdict`. A proof that does not decode has the
 *   verdict `PROOF_MALFORMED`.
 * - A vector may instead name a `base` vector of the same file and a `patch` list: the statement
 *   and proof are the base's with each patch applied to their JSON forms (keeps files small).
 * - A vector with `witness` and `seed` is also re-proven: `prove(statement, witness, context,
 *   seededRng(seed))` must give exactly `proof` (deterministic prover).
 * @module
 */
import { bytesToHex, hexToBytes } from '../../src/bytes.js';
import { pointFromHex, pointToHex } from '../../src/curve.js';
import { PaillierPublicKey } from '../../src/paillier/keys.js';
import { PROFILES, type ProfileName } from '../../src/paillier/profiles.js';
import { RingPedersenParams } from '../../src/paillier/ring-pedersen.js';
import { seededRng, type Rng } from '../../src/rng.js';
import * as affg from '../../src/zk/affg.js';
import type { Decoded, ProofJSON } from '../../src/zk/codec.js';
import * as dec from '../../src/zk/dec.js';
import * as enc from '../../src/zk/enc.js';
import * as fac from '../../src/zk/fac.js';
import * as logstar from '../../src/zk/logstar.js';
import * as mod from '../../src/zk/mod.js';
import * as mul from '../../src/zk/mul.js';
import * as mulstar from '../../src/zk/mulstar.js';
import * as prm from '../../src/zk/prm.js';
import * as sch from '../../src/zk/sch.js';
import { Transcript } from '../../src/zk/transcript.js';
import type { Verdict as ZkVerdict } from '../../src/zk/verdict.js';
import type { CheckResult, Suite } from './types.js';
import { checkOne, isObject, vectorsOf, VectorFormatError, type Verdict } from './util.js';

export const NAME = 'zk';

type J = Record<string, unknown>;

// ---------------------------------------------------------------- JSON helpers (hex, signed)

export const hx = (x: bigint): string => (x < 0n ? '-' + (-x).toString(16) : x.toString(16));
function big(o: J, k: string): bigint {
  const v = o[k];
  if (typeof v !== 'string' || !/^-?[0-9a-f]+$/.test(v)) throw new VectorFormatError(`field "${k}": expected hex`);
  return v.startsWith('-') ? -BigInt('0x' + v.slice(1)) : BigInt('0x' + v);
}
function uint(o: J, k: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new VectorFormatError(`field "${k}": expected a non-negative integer`);
  return v;
}
function pt(o: J, k: string) {
  const v = o[k];
  if (typeof v !== 'string') throw new VectorFormatError(`field "${k}": expected point hex`);
  return pointFromHex(v, k);
}
function sub(o: J, k: string): J {
  const v = o[k];
  if (!isObject(v)) throw new VectorFormatError(`field "${k}": expected an object`);
  return v;
}
const rpFromJSON = (o: J, profile: ProfileName) => new RingPedersenParams(big(o, 'N'), big(o, 's'), big(o, 't'), profile);
const rpToJSON = (rp: RingPedersenParams) => ({ N: hx(rp.N), s: hx(rp.s), t: hx(rp.t) });
const key = (o: J, k: string, profile: ProfileName) => new PaillierPublicKey(big(o, k), profile);

// ---------------------------------------------------------------- per-proof adapters

interface ProofModule {
  prove(pub: never, priv: never, t: Transcript, rng: Rng): object;
  verify(pub: never, proof: never, t: Transcript): ZkVerdict;
  proofToJSON(p: never): ProofJSON;
  proofFromJSON(j: unknown): Decoded<object>;
  proofToBytes(p: never): Uint8Array;
  proofFromBytes(b: Uint8Array): Decoded<object>;
}

export interface Adapter {
  m: ProofModule;
  statementFromJSON(j: J, profile: ProfileName): object;
  statementToJSON(pub: never): J;
  witnessFromJSON(j: J): object;
  witnessToJSON(priv: never): J;
}

const bigs = (o: J, ks: string[]) => Object.fromEntries(ks.map((k) => [k, big(o, k)]));
const hexes = (o: Record<string, bigint>, ks: string[]) => Object.fromEntries(ks.map((k) => [k, hx(o[k]!)]));

export const ADAPTERS: Record<string, Adapter> = {
  sch: {
    m: sch as unknown as ProofModule,
    statementFromJSON: (j) => ({ X: pt(j, 'X') }),
    statementToJSON: (p: sch.SchPublic) => ({ X: pointToHex(p.X) }),
    witnessFromJSON: (j) => bigs(j, ['x']),
    witnessToJSON: (w: sch.SchPrivate) => hexes(w as never, ['x']),
  },
  mod: {
    m: mod as unknown as ProofModule,
    statementFromJSON: (j, profile) => ({ N: big(j, 'N'), profile: PROFILES[profile] }),
    statementToJSON: (p: mod.ModPublic) => ({ N: hx(p.N) }),
    witnessFromJSON: (j) => bigs(j, ['p', 'q']),
    witnessToJSON: (w: mod.ModPrivate) => hexes(w as never, ['p', 'q']),
  },
  prm: {
    m: prm as unknown as ProofModule,
    statementFromJSON: (j, profile) => ({ N: big(j, 'N'), s: big(j, 's'), t: big(j, 't'), profile: PROFILES[profile] }),
    statementToJSON: (p: prm.PrmPublic) => ({ N: hx(p.N), s: hx(p.s), t: hx(p.t) }),
    witnessFromJSON: (j) => bigs(j, ['lambda', 'p', 'q']),
    witnessToJSON: (w: prm.PrmPrivate) => hexes(w as never, ['lambda', 'p', 'q']),
  },
  fac: {
    m: fac as unknown as ProofModule,
    statementFromJSON: (j, profile) => ({ N0: big(j, 'N0'), rp: rpFromJSON(sub(j, 'rp'), profile), profile: PROFILES[profile] }),
    statementToJSON: (p: fac.FacPublic) => ({ N0: hx(p.N0), rp: rpToJSON(p.rp) }),
    witnessFromJSON: (j) => bigs(j, ['p', 'q']),
    witnessToJSON: (w: fac.FacPrivate) => hexes(w as never, ['p', 'q']),
  },
  enc: {
    m: enc as unknown as ProofModule,
    statementFromJSON: (j, profile) => ({ key: key(j, 'N0', profile), K: big(j, 'K'), rp: rpFromJSON(sub(j, 'rp'), profile) }),
    statementToJSON: (p: enc.EncPublic) => ({ N0: hx(p.key.n), K: hx(p.K), rp: rpToJSON(p.rp) }),
    witnessFromJSON: (j) => bigs(j, ['k', 'rho']),
    witnessToJSON: (w: enc.EncPrivate) => hexes(w as never, ['k', 'rho']),
  },
  logstar: {
    m: logstar as unknown as ProofModule,
    statementFromJSON: (j, profile) => ({ key: key(j, 'N0', profile), C: big(j, 'C'), X: pt(j, 'X'), g: pt(j, 'g'), rp: rpFromJSON(sub(j, 'rp'), profile) }),
    statementToJSON: (p: logstar.LogStarPublic) => ({ N0: hx(p.key.n), C: hx(p.C), X: pointToHex(p.X), g: pointToHex(p.g!), rp: rpToJSON(p.rp) }),
    witnessFromJSON: (j) => bigs(j, ['x', 'rho']),
    witnessToJSON: (w: logstar.LogStarPrivate) => hexes(w as never, ['x', 'rho']),
  },
  affg: {
    m: affg as unknown as ProofModule,
    statementFromJSON: (j, profile) => ({
      key0: key(j, 'N0', profile),
      key1: key(j, 'N1', profile),
      C: big(j, 'C'),
      D: big(j, 'D'),
      Y: big(j, 'Y'),
      X: pt(j, 'X'),
      rp: rpFromJSON(sub(j, 'rp'), profile),
    }),
    statementToJSON: (p: affg.AffgPublic) => ({ N0: hx(p.key0.n), N1: hx(p.key1.n), C: hx(p.C), D: hx(p.D), Y: hx(p.Y), X: pointToHex(p.X), rp: rpToJSON(p.rp) }),
    witnessFromJSON: (j) => bigs(j, ['x', 'y', 'rho', 'rhoY']),
    witnessToJSON: (w: affg.AffgPrivate) => hexes(w as never, ['x', 'y', 'rho', 'rhoY']),
  },
  dec: {
    m: dec as unknown as ProofModule,
    statementFromJSON: (j, profile) => ({ key: key(j, 'N0', profile), C: big(j, 'C'), x: big(j, 'x'), yBits: uint(j, 'yBits'), rp: rpFromJSON(sub(j, 'rp'), profile) }),
    statementToJSON: (p: dec.DecPublic) => ({ N0: hx(p.key.n), C: hx(p.C), x: hx(p.x), yBits: p.yBits, rp: rpToJSON(p.rp) }),
    witnessFromJSON: (j) => bigs(j, ['y', 'rho']),
    witnessToJSON: (w: dec.DecPrivate) => hexes(w as never, ['y', 'rho']),
  },
  mul: {
    m: mul as unknown as ProofModule,
    statementFromJSON: (j, profile) => ({ key: key(j, 'N', profile), X: big(j, 'X'), Y: big(j, 'Y'), C: big(j, 'C') }),
    statementToJSON: (p: mul.MulPublic) => ({ N: hx(p.key.n), X: hx(p.X), Y: hx(p.Y), C: hx(p.C) }),
    witnessFromJSON: (j) => bigs(j, ['x', 'rho', 'rhoX']),
    witnessToJSON: (w: mul.MulPrivate) => hexes(w as never, ['x', 'rho', 'rhoX']),
  },
  mulstar: {
    m: mulstar as unknown as ProofModule,
    statementFromJSON: (j, profile) => ({ key: key(j, 'N0', profile), C: big(j, 'C'), D: big(j, 'D'), X: pt(j, 'X'), rp: rpFromJSON(sub(j, 'rp'), profile) }),
    statementToJSON: (p: mulstar.MulStarPublic) => ({ N0: hx(p.key.n), C: hx(p.C), D: hx(p.D), X: pointToHex(p.X), rp: rpToJSON(p.rp) }),
    witnessFromJSON: (j) => bigs(j, ['x', 'rho']),
    witnessToJSON: (w: mulstar.MulStarPrivate) => hexes(w as never, ['x', 'rho']),
  },
};

// ---------------------------------------------------------------- context and patches

export interface VectorContext {
  sid: string;
  protocol: string;
  prover: number;
  rid?: string;
}

export function transcriptOf(c: J): Transcript {
  if (typeof c.sid !== 'string' || typeof c.protocol !== 'string' || typeof c.prover !== 'number') throw new VectorFormatError('context: expected {sid, protocol, prover}');
  return Transcript.create({
    sid: hexToBytes(c.sid, 'sid'),
    protocol: c.protocol,
    prover: c.prover,
    ...(typeof c.rid === 'string' ? { rid: hexToBytes(c.rid, 'rid') } : {}),
  });
}

/** A JSON patch step: set `value` at `path`, or `op: "delete"` / `"pop"` at `path`. */
export interface Patch {
  target: 'proof' | 'statement' | 'context';
  path: (string | number)[];
  op?: 'set' | 'delete' | 'pop';
  value?: unknown;
}

export function applyPatch(root: J, p: Patch): void {
  if (!Array.isArray(p.path) || p.path.length === 0) throw new VectorFormatError('patch: empty path');
  let cur: unknown = root;
  for (const k of p.path.slice(0, -1)) {
    cur = (cur as Record<string | number, unknown>)?.[k];
    if (typeof cur !== 'object' || cur === null) throw new VectorFormatError(`patch: no ${p.path.join('.')}`);
  }
  const last = p.path[p.path.length - 1]!;
  const obj = cur as Record<string | number, unknown>;
  const op = p.op ?? 'set';
  if (op === 'delete') delete obj[last];
  else if (op === 'pop') {
    const arr = obj[last];
    if (!Array.isArray(arr)) throw new VectorFormatError('patch pop: not an array');
    arr.pop();
  } else obj[last] = p.value;
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** Statement, context and proof (JSON or bytes) of a vector, with its base and patches applied. */
export function resolve(v: J, byId: Map<string, J>): { statement: J; context: J; proof?: J; proofBytes?: string } {
  let statement: J;
  let context: J;
  let proof: J | undefined;
  if (typeof v.base === 'string') {
    const b = byId.get(v.base);
    if (!b) throw new VectorFormatError(`base ${v.base} not found`);
    statement = clone(sub(b, 'statement'));
    context = clone(sub(b, 'context'));
    proof = clone(sub(b, 'proof'));
  } else {
    statement = clone(sub(v, 'statement'));
    context = clone(sub(v, 'context'));
    proof = isObject(v.proof) ? clone(v.proof) : undefined;
  }
  const patches = v.patch === undefined ? [] : (v.patch as Patch[]);
  if (!Array.isArray(patches)) throw new VectorFormatError('patch: expected an array');
  for (const p of patches) {
    const root = p.target === 'proof' ? proof : p.target === 'statement' ? statement : p.target === 'context' ? context : undefined;
    if (!root) throw new VectorFormatError(`patch: bad target ${String(p.target)}`);
    applyPatch(root, p);
  }
  if (typeof v.proofBytes === 'string') return { statement, context, proofBytes: v.proofBytes };
  if (!proof) throw new VectorFormatError('vector has neither proof nor proofBytes');
  return { statement, context, proof };
}

/** The verdict string of a vector: "ok" or the reason code. */
export function verdictOf(a: Adapter, profile: ProfileName, r: ReturnType<typeof resolve>): string {
  const pub = a.statementFromJSON(r.statement, profile);
  const t = transcriptOf(r.context);
  const d = r.proofBytes !== undefined ? a.m.proofFromBytes(hexToBytes(r.proofBytes, 'proofBytes')) : a.m.proofFromJSON(r.proof);
  if (!d.ok) return d.reason;
  const v = a.m.verify(pub as never, d.proof as never, t);
  return v.ok ? 'ok' : v.reason;
}

function checkVector(v: J, byId: Map<string, J>): Verdict {
  if (v.op !== 'verify') throw new VectorFormatError(`unknown op ${String(v.op)}`);
  const proofName = v.proof_type;
  if (typeof proofName !== 'string' || !(proofName in ADAPTERS)) throw new VectorFormatError(`proof_type: unknown ${String(proofName)}`);
  const a = ADAPTERS[proofName]!;
  const profile = v.profile;
  if (profile !== 'default' && profile !== 'high') throw new VectorFormatError('profile: expected "default" or "high"');
  if (typeof v.verdict !== 'string') throw new VectorFormatError('verdict: expected a string');
  const r = resolve(v, byId);
  const got = verdictOf(a, profile, r);
  if (got !== v.verdict) return `verdict: got ${got}, expected ${v.verdict}`;
  if (isObject(v.witness)) {
    if (typeof v.seed !== 'string') throw new VectorFormatError('witness without seed');
    const pub = a.statementFromJSON(r.statement, profile);
    const again = a.m.prove(pub as never, a.witnessFromJSON(v.witness) as never, transcriptOf(r.context), seededRng(v.seed));
    const want = r.proofBytes ?? JSON.stringify(r.proof);
    const have = r.proofBytes !== undefined ? bytesToHex(a.m.proofToBytes(again as never)) : JSON.stringify(a.m.proofToJSON(again as never));
    if (have !== want) return 're-proving from the seed gave a different proof';
  }
  return true;
}

export const zkSuite: Suite = {
  name: NAME,
  async run(doc: unknown): Promise<CheckResult[]> {
    const vs = vectorsOf(doc, NAME);
    const byId = new Map<string, J>(vs.map((v) => [v.id, v]));
    const out: CheckResult[] = [];
    for (const v of vs) out.push(await checkOne(`${NAME}/${v.id}`, () => checkVector(v, byId)));
    return out;
  },
};
