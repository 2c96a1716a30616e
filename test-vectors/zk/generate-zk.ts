/**
 * Generator of the `zk` conformance vectors: `npx tsx test-vectors/zk/generate-zk.ts [--check]`.
 * Deterministic from the seed `tkey-tss/conformance/v1/zk` (ChaCha20 DRBG, one fork per proof) and
 * the pregenerated TEST safe primes. Writes `test-vectors/zk/<proof>.json`; `--check` compares only
 * and exits 1 on drift. Every negative vector's verdict is asserted at generation.
 * Format: test-vectors/SPEC.md §7.2 and `test-vectors/suites/zk.ts`.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeOrCheck } from '../write-or-check.js';
import { bytesToHex, utf8ToBytes } from '../../src/bytes.js';
import { G, invN, modN, mulG, mulPublic, N as q, pointToHex, randomScalar } from '../../src/curve.js';
import { sqrtBound as sqrtB } from '../../src/zk/util.js';
import type { ProfileName } from '../../src/paillier/profiles.js';
import { seededRng, type SeededRng } from '../../src/rng.js';
import { PROFILES } from '../../src/paillier/profiles.js';
import { __TEST as decTest, alphaBits as decAlphaBits, maxYBits as decMaxYBits } from '../../src/zk/dec.js';
import { __TEST as encTest } from '../../src/zk/enc.js';
import { bitforgeModulus, forgeModProof, zkParty } from '../../test/helpers/zk-fixtures.js';
import { testPrimePairs } from '../../test/helpers/test-primes.js';
import { ADAPTERS, hx, type Patch, resolve, transcriptOf, verdictOf } from '../suites/zk.js';

const SEED = 'tkey-tss/conformance/v1/zk';
const SCRIPT = 'test-vectors/zk/generate-zk.ts';
const DIR = dirname(fileURLToPath(import.meta.url));

type J = Record<string, unknown>;
type V = J & { id: string };

const CTX = { sid: bytesToHex(utf8ToBytes('conformance-session-1')), protocol: 'conformance', prover: 1 };
const CTX_RID = { ...CTX, rid: bytesToHex(utf8ToBytes('rho')) };

interface Valid {
  id: string;
  profile: ProfileName;
  statement: object;
  witness: object;
  context: J;
  seed: string;
  note?: string;
}

function validVector(name: string, v: Valid): V {
  const a = ADAPTERS[name]!;
  const proof = a.m.prove(v.statement as never, v.witness as never, transcriptOf(v.context), seededRng(v.seed));
  const out: V = {
    id: v.id,
    op: 'verify',
    proof_type: name,
    profile: v.profile,
    context: v.context,
    statement: a.statementToJSON(v.statement as never),
    witness: a.witnessToJSON(v.witness as never),
    seed: v.seed,
    proof: a.m.proofToJSON(proof as never),
    verdict: 'ok',
  };
  if (v.note) out.note = v.note;
  return out;
}

/** Negative vector from a base: assert its verdict here. */
function neg(name: string, byId: Map<string, J>, id: string, base: string, patch: Patch[], verdict: string, note?: string): V {
  const v: V = { id, op: 'verify', proof_type: name, profile: byId.get(base)!.profile as string, base, patch, verdict, ...(note ? { note } : {}) };
  const got = verdictOf(ADAPTERS[name]!, v.profile as ProfileName, resolve(v, byId));
  if (got !== verdict) throw new Error(`${name}/${id}: generated verdict ${got}, expected ${verdict}`);
  return v;
}

const P = (path: (string | number)[], value: unknown): Patch => ({ target: 'proof', path, value });
const S = (path: (string | number)[], value: unknown): Patch => ({ target: 'statement', path, value });
const C = (path: (string | number)[], value: unknown): Patch => ({ target: 'context', path, value });
const DEL = (path: (string | number)[]): Patch => ({ target: 'proof', path, op: 'delete' });
const POP = (path: (string | number)[]): Patch => ({ target: 'proof', path, op: 'pop' });

/** Replays: another sid, prover index, rid (expected: the first equation that breaks). */
function replays(name: string, byId: Map<string, J>, base: string, reason: string): V[] {
  return [
    neg(name, byId, `${base}-replay-sid`, base, [C(['sid'], bytesToHex(utf8ToBytes('conformance-session-2')))], reason, 'same proof, another session id'),
    neg(name, byId, `${base}-replay-prover`, base, [C(['prover'], 2)], reason, 'same proof relabelled as party 2'),
    neg(name, byId, `${base}-replay-rid`, base, [C(['rid'], bytesToHex(utf8ToBytes('other-rho')))], reason, 'same proof, another rid/ρ'),
  ];
}

/**
 * Range-boundary vectors for a range check ±B (SPEC.md §6.11, bounds inclusive): B and −B pass the
 * range check (the verdict is whatever check comes next, asserted not to be the range reason);
 * B + 1 and −(B + 1) fail it with `reason`. `path` is patched in `target` of the base vector.
 */
function boundary(name: string, vs: V[], base: string, target: 'proof' | 'statement', path: (string | number)[], B: bigint, reason: string, label = String(path[0])): V[] {
  const byId = new Map<string, J>(vs.map((v) => [v.id, v]));
  const at = (id: string, value: bigint, inRange: boolean): V => {
    const patch: Patch[] = [{ target, path, value: hx(value) }];
    const v: V = { id: `${label}-${id}`, op: 'verify', proof_type: name, profile: byId.get(base)!.profile as string, base, patch, verdict: '' };
    const got = verdictOf(ADAPTERS[name]!, v.profile as ProfileName, resolve(v, byId));
    if (inRange ? got === reason || got === 'ok' : got !== reason) throw new Error(`${name}/${v.id}: verdict ${got} (range reason ${reason})`);
    v.verdict = got;
    v.note = inRange ? `${label} = ${value < 0n ? '−' : ''}B exactly: inside the inclusive range, the next check decides` : `${label} one past ${value < 0n ? '−' : ''}B`;
    return v;
  };
  return [at('at-bound', B, true), at('at-minus-bound', -B, true), at('bound-plus-one', B + 1n, false), at('minus-bound-minus-one', -B - 1n, false)];
}

/** Unsigned range [0, M): M − 1 passes (next check decides), M fails with `reason`. */
function upperBoundary(name: string, vs: V[], base: string, target: 'proof' | 'statement', path: (string | number)[], M: bigint, reason: string, label = String(path[0])): V[] {
  const byId = new Map<string, J>(vs.map((v) => [v.id, v]));
  return [
    [`${label}-max`, M - 1n, true],
    [`${label}-equals-bound`, M, false],
  ].map(([id, value, inRange]) => {
    const v: V = { id: id as string, op: 'verify', proof_type: name, profile: byId.get(base)!.profile as string, base, patch: [{ target, path, value: hx(value as bigint) }], verdict: '' };
    const got = verdictOf(ADAPTERS[name]!, v.profile as ProfileName, resolve(v, byId));
    if (inRange ? got === reason || got === 'ok' : got !== reason) throw new Error(`${name}/${v.id}: verdict ${got} (range reason ${reason})`);
    v.verdict = got;
    v.note = inRange ? `${label} = bound − 1: inside [0, bound), the next check decides` : `${label} = bound: outside [0, bound)`;
    return v;
  });
}

/**
 * Byte-form vectors (SPEC.md §5) of a file's `valid` vector: the proof as `proofBytes` (re-proven
 * from the seed in byte form) and, with `derived`, truncated by one byte, with a trailing byte,
 * with version 02.
 */
function byteForms(name: string, vs: V[], base = 'valid', derived = true): V[] {
  const v = vs.find((x) => x.id === base)!;
  const a = ADAPTERS[name]!;
  const d = a.m.proofFromJSON(v.proof);
  if (!d.ok) throw new Error(`${name}: valid proof does not decode`);
  const b = bytesToHex(a.m.proofToBytes(d.proof as never));
  const common = { op: 'verify', proof_type: name, profile: v.profile, context: v.context, statement: v.statement };
  const out: V[] = [
    { id: `bytes-${base}`, ...common, witness: v.witness, seed: v.seed, proofBytes: b, verdict: 'ok' },
    { id: `bytes-${base}-truncated`, ...common, proofBytes: b.slice(0, -2), verdict: 'PROOF_MALFORMED' },
    { id: `bytes-${base}-trailing`, ...common, proofBytes: b + '00', verdict: 'PROOF_MALFORMED' },
    { id: `bytes-${base}-version-2`, ...common, proofBytes: '02' + b.slice(2), verdict: 'PROOF_MALFORMED' },
  ];
  if (!derived) out.length = 1; // Πmod, Πprm: 128-repetition proofs, the codec cases are covered by the smaller proofs
  const byId = new Map<string, J>();
  for (const x of out) {
    const got = verdictOf(a, x.profile as ProfileName, resolve(x, byId));
    if (got !== x.verdict) throw new Error(`${name}/${x.id}: verdict ${got}, expected ${x.verdict}`);
  }
  return out;
}

function file(name: string, description: string, vectors: V[]): J {
  return { suite: 'zk', version: 1, description, generator: { script: SCRIPT, seed: `${SEED}/${name}` }, vectors };
}

function build(name: string, valid: Valid[], negatives: (byId: Map<string, J>) => V[]): V[] {
  const vs = valid.map((v) => validVector(name, v));
  const byId = new Map<string, J>(vs.map((v) => [v.id, v]));
  return [...vs, ...negatives(byId)];
}

function gen(): Record<string, J> {
  const root = seededRng(SEED);
  const out: Record<string, J> = {};
  const P0 = zkParty(0);
  const P1 = zkParty(1);
  const { p: p0, q: q0 } = P0.sk.exportPrimes();
  const { p: p1 } = P1.sk.exportPrimes();
  const N0 = P0.sk.n;
  const Nh = P1.rp.N;
  const pk0 = P0.sk.publicKey;
  const pk1 = P1.sk.publicKey;
  const def = PROFILES.default;
  const B1 = 1n << BigInt(def.ell + def.epsilon);

  // ------------------------------------------------------------ sch
  {
    const rng: SeededRng = root.fork('sch');
    const x = randomScalar(rng);
    const vs = build('sch', [{ id: 'valid', profile: 'default', statement: { X: mulG(x) }, witness: { x }, context: CTX_RID, seed: `${SEED}/sch/1` }], (byId) => [
      neg('sch', byId, 'z-equals-q', 'valid', [P(['z'], hx(modN(-1n) + 1n))], 'SCH_Z_RANGE'),
      neg('sch', byId, 'z-plus-one', 'valid', [P(['z'], hx(modN(BigInt('0x' + (byId.get('valid')!.proof as J).z) + 1n)))], 'SCH_EQUATION'),
      neg('sch', byId, 'other-X', 'valid', [S(['X'], pointToHex(mulG(x + 1n)))], 'SCH_EQUATION'),
      neg('sch', byId, 'A-missing', 'valid', [DEL(['A'])], 'PROOF_MALFORMED'),
      neg('sch', byId, 'A-empty', 'valid', [P(['A'], '')], 'PROOF_MALFORMED'),
      neg('sch', byId, 'A-off-curve', 'valid', [P(['A'], '02' + 'ff'.repeat(32))], 'PROOF_MALFORMED'),
      neg('sch', byId, 'z-negative', 'valid', [P(['z'], '-1')], 'PROOF_MALFORMED'),
      ...replays('sch', byId, 'valid', 'SCH_EQUATION'),
    ]);
    // byte-form vectors: the valid proof, truncated, extended
    const a = ADAPTERS.sch!;
    const proof = a.m.proofFromJSON(vs[0]!.proof);
    if (!proof.ok) throw new Error('sch');
    const b = bytesToHex(a.m.proofToBytes(proof.proof as never));
    const base = { op: 'verify', proof_type: 'sch', profile: 'default', context: CTX_RID, statement: vs[0]!.statement };
    vs.push({ id: 'bytes-valid', ...base, proofBytes: b, verdict: 'ok' });
    vs.push({ id: 'bytes-truncated', ...base, proofBytes: b.slice(0, -2), verdict: 'PROOF_MALFORMED' });
    vs.push({ id: 'bytes-trailing', ...base, proofBytes: b + '00', verdict: 'PROOF_MALFORMED' });
    vs.push({ id: 'bytes-empty', ...base, proofBytes: '', verdict: 'PROOF_MALFORMED' });
    vs.push({ id: 'bytes-version-2', ...base, proofBytes: '02' + b.slice(2), verdict: 'PROOF_MALFORMED' }, ...upperBoundary('sch', vs, 'valid', 'proof', ['z'], q, 'SCH_Z_RANGE'));
    out.sch = file('sch', 'Πsch (Schnorr): valid proof, range and equation failures, malformed fields and bytes, replays', vs);
  }

  // ------------------------------------------------------------ mod
  {
    const vs = build('mod', [{ id: 'valid', profile: 'default', statement: { N: N0, profile: def }, witness: { p: p0, q: q0 }, context: CTX_RID, seed: `${SEED}/mod/1` }], (byId) => {
      const pr = byId.get('valid')!.proof as { w: string; x: string[]; z: string[]; a: number[] };
      const first = (k: 'x' | 'z') => Array(128).fill(pr[k][0]);
      return [
        neg('mod', byId, 'w-zero', 'valid', [P(['w'], '0')], 'MOD_W_NOT_UNIT'),
        neg('mod', byId, 'w-N', 'valid', [P(['w'], hx(N0))], 'MOD_W_NOT_UNIT'),
        neg('mod', byId, 'w-shares-factor', 'valid', [P(['w'], hx(p0))], 'MOD_W_NOT_UNIT'),
        neg('mod', byId, 'w-one', 'valid', [P(['w'], '1')], 'MOD_W_JACOBI'),
        neg('mod', byId, 'w-minus-one', 'valid', [P(['w'], hx(N0 - 1n))], 'MOD_W_JACOBI'),
        neg('mod', byId, 'x-zero', 'valid', [P(['x', 7], '0')], 'MOD_X_NOT_UNIT'),
        neg('mod', byId, 'x-ge-N', 'valid', [P(['x', 7], hx(N0 + 2n))], 'MOD_X_NOT_UNIT'),
        neg('mod', byId, 'z-non-unit', 'valid', [P(['z', 9], hx(q0))], 'MOD_Z_NOT_UNIT'),
        neg('mod', byId, 'x-tampered', 'valid', [P(['x', 3], hx((BigInt('0x' + pr.x[3]) * 2n) % N0))], 'MOD_X_EQUATION'),
        neg('mod', byId, 'a-flipped', 'valid', [P(['a', 3], 1 - pr.a[3]!)], 'MOD_X_EQUATION'),
        neg('mod', byId, 'z-tampered', 'valid', [P(['z', 100], hx((BigInt('0x' + pr.z[100]) * 3n) % N0))], 'MOD_Z_EQUATION'),
        neg('mod', byId, 'm-minus-one', 'valid', [POP(['x']), POP(['a']), POP(['b']), POP(['z'])], 'MOD_REPETITIONS', 'fewer repetitions (TSSHOCK c-guess)'),
        neg('mod', byId, 'repeated-answer', 'valid', [P(['x'], first('x')), P(['z'], first('z')), P(['a'], Array(128).fill(pr.a[0])), P(['b'], Array(128).fill((byId.get('valid')!.proof as J & { b: number[] }).b[0]))], 'MOD_X_EQUATION', 'one answer for every challenge'),
        neg('mod', byId, 'N-even', 'valid', [S(['N'], hx(N0 - 1n))], 'MOD_N_EVEN'),
        neg('mod', byId, 'N-undersized', 'valid', [S(['N'], hx(p0 * 3n))], 'MODULUS_TOO_SMALL'),
        neg('mod', byId, 'x-missing', 'valid', [DEL(['x'])], 'PROOF_MALFORMED'),
        neg('mod', byId, 'x-empty', 'valid', [P(['x'], [])], 'MOD_REPETITIONS', 'an empty array is well-formed: the repetition count decides (SPEC.md §5, the empty-field rule)'),
        neg('mod', byId, 'bit-two', 'valid', [P(['b', 0], 2)], 'PROOF_MALFORMED'),
        ...replays('mod', byId, 'valid', 'MOD_X_EQUATION'),
      ];
    });
    // BitForge modulus (many 16-bit factors) with the forged Πmod whose w ≡ 0 mod every small prime
    const Pbf = testPrimePairs(1024)[2]!.p;
    const { N: Nbf, smalls } = bitforgeModulus(Pbf);
    const forged = forgeModProof(Pbf, smalls, transcriptOf(CTX_RID));
    vs.push({
      id: 'bitforge-forged-w',
      op: 'verify',
      proof_type: 'mod',
      profile: 'default',
      context: CTX_RID,
      statement: { N: hx(Nbf) },
      proof: ADAPTERS.mod!.m.proofToJSON(forged as never),
      verdict: 'MOD_W_NOT_UNIT',
      note: `N = P·(${smalls.length} primes < 2^16); w ≡ 1 (mod P), w ≡ 0 (mod each small prime); both equations hold for every repetition`,
    });
    vs.push(...byteForms('mod', vs, 'valid', false));
    out.mod = file('mod', 'Πmod (Paillier–Blum modulus): valid proof, every verifier check, the BitForge modulus with a forged w, replays', vs);
  }

  // ------------------------------------------------------------ prm
  {
    const { s, t } = P0.rp;
    const vs = build('prm', [{ id: 'valid', profile: 'default', statement: { N: N0, s, t, profile: def }, witness: { lambda: P0.rpSecret.lambda, p: p0, q: q0 }, context: CTX, seed: `${SEED}/prm/1` }], (byId) => {
      const pr = byId.get('valid')!.proof as { A: string[]; z: string[] };
      return [
        neg('prm', byId, 's-one', 'valid', [S(['s'], '1')], 'PRM_S_INVALID'),
        neg('prm', byId, 's-minus-one', 'valid', [S(['s'], hx(N0 - 1n))], 'PRM_S_INVALID'),
        neg('prm', byId, 's-zero', 'valid', [S(['s'], '0')], 'PRM_S_INVALID'),
        neg('prm', byId, 't-non-unit', 'valid', [S(['t'], hx(p0))], 'PRM_T_INVALID'),
        neg('prm', byId, 's-equals-t', 'valid', [S(['s'], hx(t))], 'PRM_S_EQUALS_T'),
        neg('prm', byId, 'A-one', 'valid', [P(['A', 5], '1')], 'PRM_A_NOT_UNIT'),
        neg('prm', byId, 'A-zero', 'valid', [P(['A', 5], '0')], 'PRM_A_NOT_UNIT'),
        neg('prm', byId, 'z-ge-N', 'valid', [P(['z', 5], hx(N0))], 'PRM_Z_RANGE'),
        neg('prm', byId, 'z-tampered', 'valid', [P(['z', 5], hx(BigInt('0x' + pr.z[5]) + 1n))], 'PRM_EQUATION'),
        neg('prm', byId, 'm-minus-one', 'valid', [POP(['A']), POP(['z'])], 'PRM_REPETITIONS'),
        neg('prm', byId, 'single-repetition', 'valid', [P(['A'], [pr.A[0]]), P(['z'], [pr.z[0]])], 'PRM_REPETITIONS', 'a one-challenge proof format (TSSHOCK c-split)'),
        neg('prm', byId, 'repeated-answer', 'valid', [P(['A'], Array(128).fill(pr.A[0])), P(['z'], Array(128).fill(pr.z[0]))], 'PRM_EQUATION'),
        neg('prm', byId, 'z-missing', 'valid', [DEL(['z'])], 'PROOF_MALFORMED'),
        neg('prm', byId, 'A-empty', 'valid', [P(['A'], [])], 'PRM_REPETITIONS', 'an empty array is well-formed: the repetition count decides (SPEC.md §5, the empty-field rule)'),
        neg('prm', byId, 'sid-replay', 'valid', [C(['sid'], bytesToHex(utf8ToBytes('conformance-session-2')))], 'PRM_EQUATION'),
        neg('prm', byId, 'prover-replay', 'valid', [C(['prover'], 2)], 'PRM_EQUATION'),
      ];
    });
    vs.push(...upperBoundary('prm', vs, 'valid', 'proof', ['z', 5], N0, 'PRM_Z_RANGE', 'z5'), ...byteForms('prm', vs, 'valid', false));
    out.prm = file('prm', 'Πprm (ring-Pedersen parameters, 128 binary challenges): valid proof, degenerate s, t, A_i, z_i, repetitions, replays', vs);
  }

  // ------------------------------------------------------------ fac
  {
    const H0 = zkParty(0, 'high');
    const H1 = zkParty(1, 'high');
    const hp = H0.sk.exportPrimes();
    const vs = build(
      'fac',
      [
        { id: 'valid', profile: 'default', statement: { N0, rp: P1.rp, profile: def }, witness: { p: p0, q: q0 }, context: CTX_RID, seed: `${SEED}/fac/1` },
        { id: 'valid-high', profile: 'high', statement: { N0: H0.sk.n, rp: H1.rp, profile: PROFILES.high }, witness: hp, context: CTX_RID, seed: `${SEED}/fac/2` },
      ],
      (byId) => {
        const pr = byId.get('valid')!.proof as J & Record<string, string>;
        const zb = (1n << BigInt(Math.ceil(N0.toString(2).length / 2))) << BigInt(def.ell + def.epsilon);
        return [
          neg('fac', byId, 'P-zero', 'valid', [P(['P'], '0')], 'RP_NOT_UNIT'),
          neg('fac', byId, 'Q-one', 'valid', [P(['Q'], '1')], 'RP_NOT_UNIT'),
          neg('fac', byId, 'T-ge-Nhat', 'valid', [P(['T'], hx(Nh))], 'RP_NOT_UNIT'),
          neg('fac', byId, 'A-non-unit', 'valid', [P(['A'], hx(p1))], 'RP_NOT_UNIT'),
          neg('fac', byId, 'z1-just-outside', 'valid', [P(['z1'], hx(zb + 1n))], 'Z1_RANGE'),
          neg('fac', byId, 'z2-just-outside', 'valid', [P(['z2'], hx(-zb - 1n))], 'Z2_RANGE'),
          neg('fac', byId, 'sigma-out-of-range', 'valid', [P(['sigma'], hx((1n << BigInt(def.ell)) * N0 * Nh + 1n))], 'SIGMA_RANGE'),
          neg('fac', byId, 'v-tampered', 'valid', [P(['v'], hx(BigInt('0x' + pr.v.replace('-', '')) * (pr.v.startsWith('-') ? -1n : 1n) + 1n))], 'RP_EQUATION'),
          neg('fac', byId, 'N0-undersized', 'valid', [S(['N0'], hx(p0 * 3n))], 'MODULUS_TOO_SMALL'),
          neg('fac', byId, 'high-profile-default-N', 'valid-high', [S(['N0'], hx(N0))], 'MODULUS_TOO_SMALL'),
          neg('fac', byId, 'other-verifier-params', 'valid', [S(['rp'], { N: hx(P0.rp.N), s: hx(P0.rp.s), t: hx(P0.rp.t) })], 'RP_NOT_UNIT', 'made under verifier 1’s parameters, checked under the prover’s own'),
          neg('fac', byId, 'v-missing', 'valid', [DEL(['v'])], 'PROOF_MALFORMED'),
          ...replays('fac', byId, 'valid', 'RP_EQUATION'),
        ];
      },
    );
    {
      const zb = sqrtB(N0) << BigInt(def.ell + def.epsilon);
      vs.push(
        ...boundary('fac', vs, 'valid', 'proof', ['sigma'], (1n << BigInt(def.ell)) * N0 * Nh, 'SIGMA_RANGE'),
        ...boundary('fac', vs, 'valid', 'proof', ['z1'], zb, 'Z1_RANGE'),
        ...boundary('fac', vs, 'valid', 'proof', ['z2'], zb, 'Z2_RANGE'),
        ...byteForms('fac', vs),
        ...byteForms('fac', vs, 'valid-high'),
      );
    }
    out.fac = file('fac', 'Πfac (no small factor, under the verifier’s ring-Pedersen parameters): valid proofs (both profiles), every verifier check, replays', vs);
  }

  // ------------------------------------------------------------ enc
  {
    const rng = root.fork('enc');
    const k = randomScalar(rng);
    const { ciphertext: K, nonce: rho } = pk0.encryptAndNonce(k, rng);
    const vs = build('enc', [{ id: 'valid', profile: 'default', statement: { key: pk0, K, rp: P1.rp }, witness: { k, rho }, context: CTX, seed: `${SEED}/enc/1` }], (byId) => [
      neg('enc', byId, 'K-zero', 'valid', [S(['K'], '0')], 'CIPHERTEXT_NOT_UNIT'),
      neg('enc', byId, 'K-ge-N2', 'valid', [S(['K'], hx(pk0.n2))], 'CIPHERTEXT_NOT_UNIT'),
      neg('enc', byId, 'A-non-unit', 'valid', [P(['A'], hx(p0))], 'CIPHERTEXT_NOT_UNIT'),
      neg('enc', byId, 'S-one', 'valid', [P(['S'], '1')], 'RP_NOT_UNIT'),
      neg('enc', byId, 'C-Nhat', 'valid', [P(['C'], hx(Nh))], 'RP_NOT_UNIT'),
      neg('enc', byId, 'z2-zero', 'valid', [P(['z2'], '0')], 'NONCE_NOT_UNIT'),
      neg('enc', byId, 'z1-just-outside', 'valid', [P(['z1'], hx(B1 + 1n))], 'Z1_RANGE'),
      neg('enc', byId, 'K-other-plaintext', 'valid', [S(['K'], hx(pk0.encryptWithNonce(k + 1n, rho)))], 'PAILLIER_EQUATION'),
      neg('enc', byId, 'z3-missing', 'valid', [DEL(['z3'])], 'PROOF_MALFORMED'),
      neg('enc', byId, 'z1-empty', 'valid', [P(['z1'], '')], 'PROOF_MALFORMED'),
      ...replays('enc', byId, 'valid', 'PAILLIER_EQUATION'),
    ]);
    // a prover whose k is just outside ±2^{ℓ+ε} (Alpha-Rays): honest algorithm, rejected on range
    const kBad = B1 + 1n;
    const cBad = pk0.encryptAndNonce(kBad, rng);
    const badPub = { key: pk0, K: cBad.ciphertext, rp: P1.rp };
    const badProof = encTest.proveUnchecked(badPub, { k: kBad, rho: cBad.nonce }, transcriptOf(CTX), rng);
    vs.push({
      id: 'k-just-outside-range',
      op: 'verify',
      proof_type: 'enc',
      profile: 'default',
      context: CTX,
      statement: ADAPTERS.enc!.statementToJSON(badPub as never),
      proof: ADAPTERS.enc!.m.proofToJSON(badProof as never),
      verdict: 'Z1_RANGE',
      note: 'k = 2^{ℓ+ε} + 1 proven with the unguarded prover',
    });
    vs.push(...boundary('enc', vs, 'valid', 'proof', ['z1'], B1, 'Z1_RANGE'), ...byteForms('enc', vs));
    out.enc = file('enc', 'Πenc (encryption in range): valid proof, every verifier check, an out-of-range plaintext, replays', vs);
  }

  // ------------------------------------------------------------ logstar
  {
    const rng = root.fork('logstar');
    const x = randomScalar(rng);
    const g = mulG(randomScalar(rng));
    const { ciphertext: Cc, nonce: rho } = pk0.encryptAndNonce(x, rng);
    const vs = build('logstar', [{ id: 'valid', profile: 'default', statement: { key: pk0, C: Cc, X: mulPublic(g, x), g, rp: P1.rp }, witness: { x, rho }, context: CTX, seed: `${SEED}/logstar/1` }], (byId) => [
      neg('logstar', byId, 'C-non-unit', 'valid', [S(['C'], hx(q0))], 'CIPHERTEXT_NOT_UNIT'),
      neg('logstar', byId, 'D-zero', 'valid', [P(['D'], '0')], 'RP_NOT_UNIT'),
      neg('logstar', byId, 'z1-just-outside', 'valid', [P(['z1'], hx(-B1 - 1n))], 'Z1_RANGE'),
      neg('logstar', byId, 'base-G', 'valid', [S(['g'], pointToHex(G))], 'PAILLIER_EQUATION'),
      neg('logstar', byId, 'Y-missing', 'valid', [DEL(['Y'])], 'PROOF_MALFORMED'),
      ...replays('logstar', byId, 'valid', 'PAILLIER_EQUATION'),
    ]);
    vs.push(...boundary('logstar', vs, 'valid', 'proof', ['z1'], B1, 'Z1_RANGE'), ...byteForms('logstar', vs));
    out.logstar = file('logstar', 'Πlog* (group element vs Paillier encryption in range): valid proof, verifier checks, replays', vs);
  }

  // ------------------------------------------------------------ affg
  {
    const rng = root.fork('affg');
    const Cc = pk1.encrypt(randomScalar(rng), rng);
    const x = randomScalar(rng);
    const y = -(randomScalar(rng) << 1000n);
    const e0 = pk1.encryptAndNonce(y, rng);
    const D = (pk1.mul(Cc, x) * e0.ciphertext) % pk1.n2;
    const Yc = pk0.encryptAndNonce(y, rng);
    const B2 = 1n << BigInt(def.ellPrime + def.epsilon);
    const vs = build(
      'affg',
      [{ id: 'valid', profile: 'default', statement: { key0: pk1, key1: pk0, C: Cc, D, Y: Yc.ciphertext, X: mulG(x), rp: P1.rp }, witness: { x, y, rho: e0.nonce, rhoY: Yc.nonce }, context: CTX, seed: `${SEED}/affg/1` }],
      (byId) => [
        neg('affg', byId, 'D-non-unit', 'valid', [S(['D'], hx(p1))], 'CIPHERTEXT_NOT_UNIT'),
        neg('affg', byId, 'Y-zero', 'valid', [S(['Y'], '0')], 'CIPHERTEXT_NOT_UNIT'),
        neg('affg', byId, 'By-ge-N1sq', 'valid', [P(['By'], hx(pk0.n2 + 1n))], 'CIPHERTEXT_NOT_UNIT'),
        neg('affg', byId, 'F-one', 'valid', [P(['F'], '1')], 'RP_NOT_UNIT'),
        neg('affg', byId, 'wy-zero', 'valid', [P(['wy'], '0')], 'NONCE_NOT_UNIT'),
        neg('affg', byId, 'z1-just-outside', 'valid', [P(['z1'], hx(B1 + 1n))], 'Z1_RANGE'),
        neg('affg', byId, 'z2-just-outside', 'valid', [P(['z2'], hx(B2 + 1n))], 'Z2_RANGE'),
        neg('affg', byId, 'Bx-off-curve', 'valid', [P(['Bx'], '03' + 'ff'.repeat(32))], 'PROOF_MALFORMED'),
        ...replays('affg', byId, 'valid', 'PAILLIER_EQUATION'),
      ],
    );
    vs.push(...boundary('affg', vs, 'valid', 'proof', ['z1'], B1, 'Z1_RANGE'), ...boundary('affg', vs, 'valid', 'proof', ['z2'], B2, 'Z2_RANGE'), ...byteForms('affg', vs));
    out.affg = file('affg', 'Πaff-g (affine operation with group commitment in range): valid proof, verifier checks, replays', vs);
  }

  // ------------------------------------------------------------ dec
  {
    const rng = root.fork('dec');
    const y = -(randomScalar(rng) << 1500n);
    const { ciphertext: Cc, nonce: rho } = pk0.encryptAndNonce(y, rng);
    const yBits = 1794; // ℓ_y of a 2-signer presign blame round (protocols/presign/blame-bound.ts)
    const vs = build('dec', [{ id: 'valid', profile: 'default', statement: { key: pk0, C: Cc, x: modN(y), yBits, rp: P1.rp }, witness: { y, rho }, context: CTX, seed: `${SEED}/dec/1` }], (byId) => [
      neg('dec', byId, 'yBits-unfit', 'valid', [S(['yBits'], decMaxYBits(def, pk0.n.toString(2).length) + 1)], 'DEC_BOUND_UNFIT', 'ℓ_y one bit above what N0 carries'),
      neg('dec', byId, 'z1-just-outside', 'valid', [P(['z1'], hx((1n << BigInt(decAlphaBits(def, yBits) + 1)) + 1n))], 'DEC_Z1_RANGE'),
      neg('dec', byId, 'x-ge-q', 'valid', [S(['x'], hx(modN(-1n) + 1n))], 'SCALAR_RANGE'),
      neg('dec', byId, 'gamma-ge-q', 'valid', [P(['gamma'], hx(modN(-1n) + 5n))], 'SCALAR_RANGE'),
      neg('dec', byId, 'T-zero', 'valid', [P(['T'], '0')], 'RP_NOT_UNIT'),
      neg('dec', byId, 'w-non-unit', 'valid', [P(['w'], hx(p0))], 'NONCE_NOT_UNIT'),
      neg('dec', byId, 'x-wrong', 'valid', [S(['x'], hx(modN(y + 1n)))], 'PAILLIER_EQUATION'),
      ...replays('dec', byId, 'valid', 'PAILLIER_EQUATION'),
    ]);
    // the v1 hole: "prove" x' = y + 1 mod q with the witness y' = y + k·N0 ≡ x' (mod q)
    const lie = modN(y + 1n);
    const k = modN((lie - modN(y)) * invN(modN(pk0.n)));
    const liePub = { key: pk0, C: Cc, x: lie, yBits, rp: P1.rp };
    const lieProof = decTest.proveUnchecked(liePub, { y: y + k * pk0.n, rho }, transcriptOf(CTX), rng);
    vs.push({
      id: 'lie-y-plus-k-N0',
      op: 'verify',
      proof_type: 'dec',
      profile: 'default',
      context: CTX,
      statement: ADAPTERS.dec!.statementToJSON(liePub as never),
      proof: ADAPTERS.dec!.m.proofToJSON(lieProof as never),
      verdict: 'DEC_Z1_RANGE',
      note: 'C = enc(y), x = y + 1 mod q proven with the unguarded prover and y + k·N0 (accepted by the range-less v1)',
    });
    vs.push(
      ...boundary('dec', vs, 'valid', 'proof', ['z1'], 1n << BigInt(decAlphaBits(def, yBits) + 1), 'DEC_Z1_RANGE'),
      ...upperBoundary('dec', vs, 'valid', 'statement', ['x'], q, 'SCALAR_RANGE'),
      ...upperBoundary('dec', vs, 'valid', 'proof', ['gamma'], q, 'SCALAR_RANGE'),
      neg('dec', new Map<string, J>(vs.map((v) => [v.id, v])), 'x-negative', 'valid', [S(['x'], '-1')], 'SCALAR_RANGE', 'x = −1: below [0, q)'),
      ...byteForms('dec', vs),
    );
    out.dec = file('dec', 'Πdec (decryption modulo q with a plaintext range, identifiable abort): valid proof, verifier checks, a lie y + k·N0, replays', vs);
  }

  // ------------------------------------------------------------ mul
  {
    const rng = root.fork('mul');
    const x = randomScalar(rng);
    const X = pk0.encryptAndNonce(x, rng);
    const Y = pk0.encrypt(randomScalar(rng), rng);
    const rho = pk0.sampleNonce(rng);
    const Cc = (pk0.mul(Y, x) * pk0.encryptWithNonce(0n, rho)) % pk0.n2;
    const vs = build('mul', [{ id: 'valid', profile: 'default', statement: { key: pk0, X: X.ciphertext, Y, C: Cc }, witness: { x, rho, rhoX: X.nonce }, context: CTX, seed: `${SEED}/mul/1` }], (byId) => [
      neg('mul', byId, 'Y-zero', 'valid', [S(['Y'], '0')], 'CIPHERTEXT_NOT_UNIT'),
      neg('mul', byId, 'B-non-unit', 'valid', [P(['B'], hx(q0))], 'CIPHERTEXT_NOT_UNIT'),
      neg('mul', byId, 'u-N', 'valid', [P(['u'], hx(N0))], 'NONCE_NOT_UNIT'),
      neg('mul', byId, 'C-other', 'valid', [S(['C'], hx(Y))], 'PAILLIER_EQUATION'),
      ...replays('mul', byId, 'valid', 'PAILLIER_EQUATION'),
    ]);
    vs.push(...byteForms('mul', vs));
    out.mul = file('mul', 'Πmul (Paillier multiplication, identifiable abort): valid proof, verifier checks, replays', vs);
  }

  // ------------------------------------------------------------ mulstar
  {
    const rng = root.fork('mulstar');
    const x = randomScalar(rng);
    const Cc = pk0.encrypt(randomScalar(rng), rng);
    const rho = pk0.sampleNonce(rng);
    const D = (pk0.mul(Cc, x) * pk0.encryptWithNonce(0n, rho)) % pk0.n2;
    const vs = build('mulstar', [{ id: 'valid', profile: 'default', statement: { key: pk0, C: Cc, D, X: mulG(x), rp: P1.rp }, witness: { x, rho }, context: CTX, seed: `${SEED}/mulstar/1` }], (byId) => [
      neg('mulstar', byId, 'D-zero', 'valid', [S(['D'], '0')], 'CIPHERTEXT_NOT_UNIT'),
      neg('mulstar', byId, 'E-one', 'valid', [P(['E'], '1')], 'RP_NOT_UNIT'),
      neg('mulstar', byId, 'z1-just-outside', 'valid', [P(['z1'], hx(B1 + 1n))], 'Z1_RANGE'),
      ...replays('mulstar', byId, 'valid', 'PAILLIER_EQUATION'),
    ]);
    vs.push(...boundary('mulstar', vs, 'valid', 'proof', ['z1'], B1, 'Z1_RANGE'), ...byteForms('mulstar', vs));
    out.mulstar = file('mulstar', 'Πmul* (multiplication with group commitment, identifiable abort): valid proof, verifier checks, replays', vs);
  }
  return out;
}

export function generateZk(): Record<string, string> {
  const docs = gen();
  return Object.fromEntries(Object.entries(docs).map(([k, d]) => [`${k}.json`, JSON.stringify(d, null, 1) + '\n']));
}

if (process.argv[1]?.endsWith('generate-zk.ts')) writeOrCheck(DIR, generateZk());
