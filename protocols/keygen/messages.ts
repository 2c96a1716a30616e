/**
 * Keygen messages, state and hashes (cggmp-recipe §2.3, t-of-n). Party i with share indices
 * owns_i, threshold t, every index set I = ∪ owns_j:
 *
 *   round 1, broadcast  {cfg, V}            V_i = H(sid, i, cfg, S⃗_i, rid_i, c_i, A⃗_i, u_i)
 *   round 2, broadcast  {S, rid, c, A, u}   S⃗_i = (a_{i,k}·G)_{k<t}, A_{i,m} = α_{i,m}·G per m ∈ owns_i
 *   round 2, p2p → j    {sigma}             σ_{i,m} = f_i(m) for m ∈ owns_j (in ascending m)
 *   round 3, broadcast  {z}                 Πsch response z_{i,m} per m ∈ owns_i, e bound to (sid, i, rid, m)
 *
 * Points are 33-byte compressed SEC1, scalars and random strings 32 bytes. Hashes use the one
 * transcript (src/zk/transcript.ts): typed, length-prefixed, injective.
 * @module
 */
import { Transcript } from '../../src/zk/transcript.js';
import type { PartyContext } from '../types.js';
import type { SecretShares } from '../util.js';

export const PROTOCOL = 'keygen';
export const CONFIG_TAG = 'tkey-tss/keygen/config/v1';
export const COMMIT_TAG = 'tkey-tss/keygen/commit/v1';

export interface Round1Broadcast {
  /** H(config): every party must run the same (parties, owns, t). */
  cfg: Uint8Array;
  /** V_i */
  V: Uint8Array;
}
export interface Round2Broadcast {
  /** S⃗_i, exactly t points; S_{i,0} = f_i(0)·G */
  S: Uint8Array[];
  rid: Uint8Array;
  /** c_i: chain-code share */
  c: Uint8Array;
  /** A⃗_i: Schnorr commitments, one per owned index */
  A: Uint8Array[];
  u: Uint8Array;
}
export interface Round2P2p {
  /** σ_{i,m} for the recipient's indices m */
  sigma: Uint8Array[];
}
export interface Round3Broadcast {
  /** z_{i,m} per owned index m */
  z: Uint8Array[];
}

/** Plain-data state (secrets: f, alpha, x). Filled round by round. */
export interface KeygenState {
  cfg: Uint8Array;
  /** f_i(X) = Σ a_{i,k}·X^k, k < t */
  f?: bigint[];
  S?: Uint8Array[];
  rid?: Uint8Array;
  c?: Uint8Array;
  u?: Uint8Array;
  /** α_{i,m} per owned index (ascending) */
  alpha?: bigint[];
  A?: Uint8Array[];
  V?: Uint8Array;
  /** after round 2: V_j by party */
  peerV?: [number, Uint8Array][];
  /** after round 3 */
  x?: bigint[];
  ridAll?: Uint8Array;
  chainCode?: Uint8Array;
  commitments?: Uint8Array[];
  publicShares?: [number, Uint8Array][];
  peerA?: [number, Uint8Array[]][];
}

/**
 * Keygen needs no input beyond the session config (parties, owned indices, t). t = 1 is refused
 * (every share would equal the key) unless `allowThresholdOne: true` states it, for tests only.
 */
export interface KeygenInput {
  /** TESTS ONLY: accept t = 1 (a degree-0 sharing: every share IS the key). */
  allowThresholdOne?: boolean;
}

export interface KeygenOutput {
  protocol: 'keygen';
  sid: Uint8Array;
  self: number;
  threshold: number;
  parties: { id: number; owns: number[] }[];
  /** Y = ΣS_{j,0}, 33-byte compressed */
  publicKey: Uint8Array;
  /** [A_0 … A_{t−1}] = Σ_j S⃗_j (A_0 = Y): tssPolyCommits */
  commitments: Uint8Array[];
  /** X_m = F(m) for every index m, ascending */
  publicShares: { index: number; X: Uint8Array }[];
  /** c = ⊕c_j */
  chainCode: Uint8Array;
  /** rid = ⊕rid_j */
  rid: Uint8Array;
  /** tssNonce of the new key */
  epoch: number;
  /** x_m = Σ_j σ_{j,m} for the own indices (redacted) */
  shares: SecretShares;
}

/** H(sid, t, parties with their indices). */
export function configHash(ctx: PartyContext): Uint8Array {
  const t = Transcript.create({ sid: ctx.sid, protocol: PROTOCOL, prover: 0 }).domain(CONFIG_TAG).uint('t', ctx.threshold).uint('parties', ctx.parties.length);
  for (const p of ctx.parties) {
    t.uint('id', p.id).uint('owns', p.owns.length);
    for (const m of p.owns) t.uint('index', m);
  }
  return t.challengeBytes('cfg', 32);
}

/** V_i = H(sid, i, cfg, S⃗, rid, c, A⃗, u). */
export function commitmentHash(sid: Uint8Array, i: number, cfg: Uint8Array, d: Round2Broadcast): Uint8Array {
  const t = Transcript.create({ sid, protocol: PROTOCOL, prover: i }).domain(COMMIT_TAG).bytes('cfg', cfg).uint('S', d.S.length);
  for (const s of d.S) t.bytes('S', s);
  t.bytes('rid', d.rid).bytes('c', d.c).uint('A', d.A.length);
  for (const a of d.A) t.bytes('A', a);
  return t.bytes('u', d.u).challengeBytes('V', 32);
}

/** Πsch transcript of party i for its share at index m: bound to (sid, keygen, i, rid, m). */
export function schnorrTranscript(sid: Uint8Array, i: number, rid: Uint8Array, m: number): Transcript {
  return Transcript.create({ sid, protocol: PROTOCOL, prover: i, rid }).fork('share-index', m);
}

export function ownsOf(ctx: PartyContext, id: number): readonly number[] {
  return ctx.parties.find((p) => p.id === id)!.owns;
}
export function allIndices(ctx: PartyContext): number[] {
  return ctx.parties.flatMap((p) => p.owns).sort((a, b) => a - b);
}
