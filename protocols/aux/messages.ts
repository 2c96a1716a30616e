/**
 * Aux-info messages, state, hashes and transcripts (cggmp-recipe §2.2). Party i with a prepared
 * Paillier–Blum key N_i = p_i·q_i (safe primes, generated before the session) and ring-Pedersen
 * parameters (N_i, s_i, t_i), s_i = t_i^λ_i:
 *
 *   round 1, broadcast  {cfg, V}                   V_i = H(sid, i, cfg, N_i, s_i, t_i, ψ̂_i, ρ_i, u_i)
 *   round 2, broadcast  {N, s, t, prm, rho, u}     decommitment; ψ̂_i = Πprm bound to (sid, i)
 *   round 3, broadcast  {mod}                      ψ_i = Πmod bound to (sid, i, ρ), ρ = ⊕ρ_j
 *   round 3, p2p → j    {fac}                      φ_i^j = Πfac bound to (sid, i, ρ, j), under j's (N_j, s_j, t_j)
 *   output                                          verify ψ_j, φ_j^i; AuxInfo
 *
 * N, s, t travel as fixed-width big-endian byte strings of maxModulusBits/8 bytes (256 default,
 * 384 high); proofs in their canonical byte form (src/zk/codec.ts); ρ_i and u_i are 32 bytes
 * (κ = 256). cfg = H(sid, profile, party ids) catches a party on another profile or party set.
 * @module
 */
import { bytesToNumberBE, numberToBytesBE } from '../../src/bytes.js';
import type { ProfileName } from '../../src/paillier/profiles.js';
import { AUX_PROTOCOL, auxTranscripts } from '../../src/zk/aux.js';
import type { ZkProfile } from '../../src/zk/params.js';
import type { PrmPool } from '../../src/zk/prm-pool.js';
import { Transcript } from '../../src/zk/transcript.js';
import type { PartyContext } from '../types.js';
import type { AuxPublic, AuxSecret } from './types.js';

export const PROTOCOL = AUX_PROTOCOL;
export const CONFIG_TAG = 'tkey-tss/aux/config/v1';
export const COMMIT_TAG = 'tkey-tss/aux/commit/v1';

/**
 * A party's aux input. Prime generation is NOT part of the protocol: the caller prepares the key
 * ahead (`prepareAuxInput`, `generatePaillierKey` with a `PrimePool`, off the main thread) so
 * the rounds stay pure and fast.
 */
export interface AuxInput {
  profile: ProfileName;
  /** The prepared Paillier key: two distinct safe primes of the profile's size (a `PaillierSecretKey` fits). */
  key: { readonly p: bigint; readonly q: bigint };
  /**
   * Reuse existing ring-Pedersen parameters on the same N (s = t^λ mod N): long-lived service aux
   * re-proven for a new (sid, ρ). Absent: fresh r, λ drawn from ctx.rng in round 1.
   */
  ringPedersen?: { s: bigint; t: bigint; lambda: bigint };
  /**
   * Πprm commitments (a_i, A_i = t^a_i) made ahead for this N and `ringPedersen.t` (a `PrmPool`,
   * filled e.g. by `AuxPreparation`); round 1 takes from it (removing what it uses) and draws the
   * rest. Needs `ringPedersen`; a pool for another (N, t), or a copy that crossed threads (a
   * structured clone is not a pool), is INVALID_ARGUMENT. Not part of the session state.
   */
  prmPool?: PrmPool;
}

/** The decommitment of round 2 (bigints decoded). */
export interface Decommitment {
  N: bigint;
  s: bigint;
  t: bigint;
  /** ψ̂ = Πprm, canonical bytes */
  prm: Uint8Array;
  rho: Uint8Array;
  u: Uint8Array;
}

/** Plain-data state (secrets: p, q, λ). Filled round by round. */
export interface AuxState {
  profile: ProfileName;
  cfg: Uint8Array;
  p: bigint;
  q: bigint;
  /** Reused (s, t, λ), or null for fresh parameters (drawn in round 1). */
  reuse: { s: bigint; t: bigint; lambda: bigint } | null;
  /** after round 1 */
  own?: Decommitment;
  lambda?: bigint;
  /** after round 2: V_j by party */
  peerV?: [number, Uint8Array][];
  /** after round 3: ρ and every peer's Πprm-verified (N, s, t) */
  rho?: Uint8Array;
  peers?: [number, { N: bigint; s: bigint; t: bigint }][];
}

/** Byte width of N, s, t on the wire: the profile's maximum modulus size. */
export function modulusWidth(profile: ZkProfile): number {
  return profile.maxModulusBits / 8;
}
export const bigBytes = (x: bigint, width: number): Uint8Array => numberToBytesBE(x, width);
export const bigOf = bytesToNumberBE;

/** cfg = H(sid, profile, party ids). */
export function configHash(ctx: PartyContext, profile: ProfileName): Uint8Array {
  const t = Transcript.create({ sid: ctx.sid, protocol: PROTOCOL, prover: 0 }).domain(CONFIG_TAG).string('profile', profile).uint('parties', ctx.parties.length);
  for (const p of ctx.parties) t.uint('id', p.id);
  return t.challengeBytes('cfg', 32);
}

/** V_i = H(sid, i, cfg, N, s, t, ψ̂, ρ_i, u_i). */
export function commitmentHash(sid: Uint8Array, i: number, cfg: Uint8Array, d: Decommitment): Uint8Array {
  return Transcript.create({ sid, protocol: PROTOCOL, prover: i })
    .domain(COMMIT_TAG)
    .bytes('cfg', cfg)
    .int('N', d.N)
    .int('s', d.s)
    .int('t', d.t)
    .bytes('prm', d.prm)
    .bytes('rho', d.rho)
    .bytes('u', d.u)
    .challengeBytes('V', 32);
}

/**
 * Transcripts of prover i's proofs: Πprm bound to (sid, i), Πmod to (sid, i, ρ), Πfac to
 * (sid, i, ρ, verifier j) — `auxTranscripts` of src/zk/aux.ts. Inside refresh (`within`), ρ is the
 * confirmation hash h and every transcript is forked with the refresh label, so a proof from one
 * protocol never verifies in the other.
 */
export function proofTranscripts(sid: Uint8Array, i: number, rho: Uint8Array | null, profile: ZkProfile, within?: string) {
  // Πprm's transcript does not bind ρ (it is made before ρ exists); an empty ρ stands in for it
  const t = auxTranscripts({ sid, rho: rho ?? new Uint8Array(0), profile }, i);
  if (within === undefined) return t;
  return { prm: t.prm.fork(within), mod: t.mod.fork(within), fac: (j: number) => t.fac(j).fork(within) };
}

export function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const o = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) o[i] = a[i]! ^ b[i]!;
  return o;
}

export type { AuxPublic, AuxSecret };
