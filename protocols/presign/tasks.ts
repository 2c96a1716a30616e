/**
 * Presign's independent tasks (issue 13): one proof made or verified per task, in plain data
 * (bigints, Uint8Arrays, plain objects: structured-clone safe) so a round can run them in the
 * math pool's workers (`ParallelExecutor`, protocols/types.ts) or in this thread — same functions,
 * same results either way.
 *
 *   presign/enc-prove       round 1   ψ⁰_{j,i} = Πenc(K_i ∈ ±2^{ℓ+ε})                     → proof bytes
 *   presign/enc-verify      round 2   ψ⁰_{i,j}                                              → Verdict
 *   presign/affg-prove      round 2   D_{j,i} = (x ⊙ K_j) ⊕ enc_j(−β; s), F_{j,i} = enc_i(−β; r),
 *                                     Πaff-g(D, F, X = x·G)  (ψ: x = γ_i; ψ̂: x = x_i)   → {D, F, proof}
 *   presign/logstar-prove   round 2/3 ψ' = Πlog*(G_i, Γ_i; G), ψ'' = Πlog*(K_i, Δ_i; Γ)    → proof bytes
 *   presign/affg-verify     round 3   ψ_{i,j}, ψ̂_{i,j}                                      → Verdict
 *   presign/logstar-verify  round 3/4 ψ'_{i,j}, ψ''_{i,j}                                    → Verdict
 *
 * Randomness: a prover task draws from its own DRBG seeded with 32 bytes the round drew from its
 * rng (in a fixed order), plus the prepared nonce pairs and masks the round took from its pools in
 * the driver's thread (each taken once, passed in, never used twice). Keys: `aux` is the party's
 * aux info; the pool's executor sends only what a task needs (`minimalAux`): the own and the
 * peer's public entries and the own p, q (the CRT paths), λ only for verifying (the own
 * ring-Pedersen trapdoor route). Never logged.
 * @module
 */
import { InternalBug } from '../../src/errors.js';
import { pointFromBytes } from '../../src/curve.js';
import type { NoncePair } from '../../src/paillier/nonce-pool.js';
import { seededRng } from '../../src/rng.js';
import * as affg from '../../src/zk/affg.js';
import type { Decoded } from '../../src/zk/codec.js';
import * as enc from '../../src/zk/enc.js';
import * as logstar from '../../src/zk/logstar.js';
import type { Mask } from '../../src/zk/mask-pool.js';
import type { Verdict } from '../../src/zk/verdict.js';
import { ownPaillierFast, ownRingPedersenFast, paillierPublicOf, paillierSecretFromAux, ringPedersenOf } from '../aux/materialize.js';
import type { AuxInfo } from '../aux/types.js';
import { proofTranscript } from './messages.js';

/** Who and under which session: prover is `aux.self` for a prove task, `peer` for a verify task. */
interface Base {
  sid: Uint8Array;
  cfg: Uint8Array;
  aux: AuxInfo;
  /** The other party: the verifier of a proof we make, the prover of one we check. */
  peer: number;
}
interface Seeded {
  /** 32 bytes from the round's rng: the task's DRBG seed. */
  seed: Uint8Array;
}

export interface EncProveTask extends Base, Seeded {
  kind: 'presign/enc-prove';
  K: bigint;
  k: bigint;
  rho: bigint;
  pre: { r?: NoncePair | undefined; mu?: Mask | undefined; gamma?: Mask | undefined };
}
export interface AffgProveTask extends Base, Seeded {
  kind: 'presign/affg-prove';
  what: 'psi' | 'psi-hat';
  /** K_j (under the peer's key) */
  Kj: bigint;
  /** γ_i or x_i (secret) */
  x: bigint;
  /** X = x·G (33 bytes) */
  X: Uint8Array;
  /** β (secret; D carries −β) */
  beta: bigint;
  /** Prepared (ρ, ρ^N) for s (under the peer's key) and r (own key), else drawn from the task's DRBG. */
  s?: NoncePair | undefined;
  r?: NoncePair | undefined;
  pre: { r?: NoncePair | undefined; ry?: NoncePair | undefined; gamma?: Mask | undefined; delta?: Mask | undefined; m?: Mask | undefined; mu?: Mask | undefined };
}
export interface LogStarProveTask extends Base, Seeded {
  kind: 'presign/logstar-prove';
  what: 'psi-prime' | 'psi-double-prime';
  /** C = enc_i(x; ρ) under the own key */
  C: bigint;
  X: Uint8Array;
  /** Base point (33 bytes); G when absent. */
  g?: Uint8Array | undefined;
  x: bigint;
  rho: bigint;
  pre: { r?: NoncePair | undefined; mu?: Mask | undefined; gamma?: Mask | undefined };
}
export interface EncVerifyTask extends Base {
  kind: 'presign/enc-verify';
  K: bigint;
  proof: Uint8Array;
}
export interface AffgVerifyTask extends Base {
  kind: 'presign/affg-verify';
  what: 'psi' | 'psi-hat';
  /** Our K_i */
  C: bigint;
  D: bigint;
  F: bigint;
  X: Uint8Array;
  proof: Uint8Array;
}
export interface LogStarVerifyTask extends Base {
  kind: 'presign/logstar-verify';
  what: 'psi-prime' | 'psi-double-prime';
  C: bigint;
  X: Uint8Array;
  /** Base point (33 bytes); G when absent. */
  g?: Uint8Array | undefined;
  proof: Uint8Array;
}

export type PresignTask = EncProveTask | AffgProveTask | LogStarProveTask | EncVerifyTask | AffgVerifyTask | LogStarVerifyTask;

export const PRESIGN_TASK_KINDS: readonly PresignTask['kind'][] = ['presign/enc-prove', 'presign/affg-prove', 'presign/logstar-prove', 'presign/enc-verify', 'presign/affg-verify', 'presign/logstar-verify'];

/** A proof the driver already decoded once (PROOF_MALFORMED is the driver's check): decoding again cannot fail. */
function decoded<T>(d: Decoded<T>): T {
  if (!d.ok) throw new InternalBug(`presign task: a proof the round decoded does not decode again (${d.detail})`);
  return d.proof;
}

/** Run one presign task in this thread. */
export function runPresignTask(t: PresignTask): Uint8Array | Verdict | { D: bigint; F: bigint; proof: Uint8Array } {
  const { sid, cfg, aux, peer } = t;
  const self = aux.self;
  switch (t.kind) {
    case 'presign/enc-prove': {
      const proof = enc.prove({ key: ownPaillierFast(aux), K: t.K, rp: ringPedersenOf(aux, peer) }, { k: t.k, rho: t.rho }, proofTranscript(sid, cfg, self, 'psi0', peer), seededRng(t.seed), t.pre);
      return enc.proofToBytes(proof);
    }
    case 'presign/affg-prove': {
      const pkj = paillierPublicOf(aux, peer);
      const sk = paillierSecretFromAux(aux);
      const pkFast = ownPaillierFast(aux);
      const rng = seededRng(t.seed);
      // D = (x ⊙ K_j) ⊕ enc_j(−β; s), F = enc_i(−β; r): nonces from prepared pairs when given
      const s = t.s ? pkj.validateNonce(t.s.nonce, 's') : pkj.sampleNonce(rng);
      const r = t.r ? pkFast.validateNonce(t.r.nonce, 'r') : pkFast.sampleNonce(rng);
      const D = (pkj.mul(t.Kj, t.x) * (t.s ? pkj.encryptWithNoncePower(-t.beta, t.s) : pkj.encryptWithNonce(-t.beta, s))) % pkj.n2;
      const F = t.r ? pkFast.encryptWithNoncePower(-t.beta, t.r) : sk.encryptWithNonce(-t.beta, r);
      const proof = affg.prove({ key0: pkj, key1: pkFast, C: t.Kj, D, Y: F, X: pointFromBytes(t.X), rp: ringPedersenOf(aux, peer) }, { x: t.x, y: -t.beta, rho: s, rhoY: r }, proofTranscript(sid, cfg, self, t.what, peer), rng, t.pre);
      return { D, F, proof: affg.proofToBytes(proof) };
    }
    case 'presign/logstar-prove': {
      const pub = { key: ownPaillierFast(aux), C: t.C, X: pointFromBytes(t.X), ...(t.g ? { g: pointFromBytes(t.g) } : {}), rp: ringPedersenOf(aux, peer) };
      const proof = logstar.prove(pub, { x: t.x, rho: t.rho }, proofTranscript(sid, cfg, self, t.what, peer), seededRng(t.seed), t.pre);
      return logstar.proofToBytes(proof);
    }
    case 'presign/enc-verify':
      return enc.verify({ key: paillierPublicOf(aux, peer), K: t.K, rp: ownRingPedersenFast(aux) }, decoded(enc.proofFromBytes(t.proof)), proofTranscript(sid, cfg, peer, 'psi0', self));
    case 'presign/affg-verify':
      return affg.verify({ key0: ownPaillierFast(aux), key1: paillierPublicOf(aux, peer), C: t.C, D: t.D, Y: t.F, X: pointFromBytes(t.X), rp: ownRingPedersenFast(aux) }, decoded(affg.proofFromBytes(t.proof)), proofTranscript(sid, cfg, peer, t.what, self));
    case 'presign/logstar-verify':
      return logstar.verify({ key: paillierPublicOf(aux, peer), C: t.C, X: pointFromBytes(t.X), ...(t.g ? { g: pointFromBytes(t.g) } : {}), rp: ownRingPedersenFast(aux) }, decoded(logstar.proofFromBytes(t.proof)), proofTranscript(sid, cfg, peer, t.what, self));
    default:
      throw new InternalBug(`presign task: unknown kind ${String((t as { kind?: unknown }).kind)}`);
  }
}

/**
 * The aux info a worker needs for task `t`: the own and the peer's public entries, the own p, q
 * (CRT), and λ only when the task verifies (own ring-Pedersen trapdoor route); for a prove task λ
 * is 0 (never used: the provers work under the peer's parameters).
 */
export function minimalAux(t: PresignTask): AuxInfo {
  const a = t.aux;
  const verifies = t.kind.endsWith('-verify');
  const parties = a.parties.filter((e) => e.id === a.self || e.id === t.peer).map((e) => ({ id: e.id, N: e.N, s: e.s, t: e.t }));
  return { profile: a.profile, self: a.self, secret: { p: a.secret.p, q: a.secret.q, lambda: verifies ? a.secret.lambda : 0n }, parties };
}
