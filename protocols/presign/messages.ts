/**
 * CGGMP21 presigning (cggmp-recipe §2.5, 3 rounds + a confirmation/blame round; Lockness spec
 * notation), run by the t signers of a t-of-n key after the Lawrence conversion (§2.8): signer
 * ids are share indices, λ_i = λ_i^S(0) over the signing set S, additive shares x_i = λ_i·x'_i and
 * X_i = λ_i·X'_i, and the signer with the smallest id adds the derivation shift (x_i += shift,
 * X_i += shift·G) so that Σx_i·G = Y' = Y + shift·G.
 *
 *   round 1, broadcast  {cfg, K, G}          K_i = enc_i(k_i; ρ_i), G_i = enc_i(γ_i; ν_i)
 *   round 1, p2p → j    {psi0}               ψ⁰_{j,i} = Πenc(K_i ∈ ±2^{ℓ+ε}) under j's (N̂_j, s_j, t_j)
 *   round 2, broadcast  {Gamma}              Γ_i = γ_i·G
 *   round 2, p2p → j    {D, F, Dh, Fh, psi, psiHat, psiPrime}
 *                        D_{j,i} = (γ_i ⊙ K_j) ⊕ enc_j(−β_{i,j}),  F_{j,i} = enc_i(−β_{i,j})
 *                        D̂_{j,i} = (x_i ⊙ K_j) ⊕ enc_j(−β̂_{i,j}), F̂_{j,i} = enc_i(−β̂_{i,j})
 *                        ψ = Πaff-g(D, F, Γ_i), ψ̂ = Πaff-g(D̂, F̂, X_i), ψ' = Πlog*(G_i, Γ_i; G)
 *   round 3, broadcast  {delta, Delta, S}    δ_i = γ_i·k_i + Σ_j(α_{i,j} + β_{i,j}),  Δ_i = k_i·Γ,
 *                                            χ_i = x_i·k_i + Σ_j(α̂_{i,j} + β̂_{i,j}), S_i = χ_i·Γ  (Γ = ΣΓ_j)
 *   round 3, p2p → j    {psi2}               ψ''_{j,i} = Πlog*(K_i, Δ_i; Γ)
 *   round 4, broadcast  {view, blame}        view = (H(sid, presign, p, 3, round-3 broadcast of p))_p;
 *                                            blame = null when δ·G = ΣΔ_j and ΣS_j = δ·Y', otherwise
 *                                            {H, Hh, chi, mul, sent, recv} (identifiable abort, §2.9)
 *   round 4, p2p → j    {proofs}             null, or {decDelta, mulStar, decChi} under j's ring-Pedersen
 *   output              R = δ⁻¹·Γ, R̄_j = δ⁻¹·Δ_j, S̄_j = δ⁻¹·S_j; presignature (k_i, χ_i, R, R̄, S̄)
 *
 * Blame (round 4, only after a failed δ or S check): H_i = G_i^{k_i}·ρ^{N_i} (Πmul on K_i, G_i),
 * Ĥ_i = K_i^{x_i}·ρ̂^{N_i} (Πmul* against X_i), and Πdec (plaintext range ℓ_y, blame-bound.ts) that
 * C_δ = H_i·Π_j D_{i,j}·F_{j,i}⁻¹ decrypts to δ_i and C_χ = Ĥ_i·Π_j D̂_{i,j}·F̂_{j,i}⁻¹ to χ_i
 * (revealed; S_i = χ_i·Γ checked). Every party publishes the MtA ciphertexts it sent and received,
 * so every pair (i, j) is cross-checked: a disagreement blames [i, j] ([j] if one side is us).
 *
 * Every proof's transcript is (sid, "presign", prover i, rid = cfg) plus a per-proof fork; cfg binds
 * the key, epoch, signer set, public shares, derivation shift and every signer's aux parameters.
 * Ciphertexts travel as fixed-width big-endian bytes of N_owner², proofs in the `src/zk` byte form.
 * @module
 */
import { numberToBytesBE, bytesToNumberBE } from '../../src/bytes.js';
import { ProtocolAbort } from '../../src/errors.js';
import type { PaillierPublicKey } from '../../src/paillier/keys.js';
import { Transcript } from '../../src/zk/transcript.js';
import type { Decoded } from '../../src/zk/codec.js';
import type { AuxInfo } from '../aux/types.js';
import type { PartyContext, Payload } from '../types.js';
import type { PayloadReader } from '../util.js';

export const PROTOCOL = 'presign';
export const CONFIG_TAG = 'tkey-tss/presign/config/v1';
export const TAG_TAG = 'tkey-tss/presign/presignature/v1';

export interface PresignInput {
  /** Y (SEC1, 33 bytes): the group key. */
  publicKey: Uint8Array;
  /** tssNonce of the sharing the shares belong to. */
  epoch: number;
  /** Shamir public shares X'_m (at least every signer's index). */
  publicShares: readonly { index: number; X: Uint8Array }[];
  /** Own Shamir share x'_self (32 bytes): the signer id is the share index. */
  share: Uint8Array;
  /** Derivation shift (account-index nonce or BIP32 tweak, 32 bytes, may be zero): Y' = Y + shift·G. */
  shift?: Uint8Array;
  /** Aux info of the signer group (own Paillier/ring-Pedersen secret, every signer's public part). */
  aux: AuxInfo;
}

/** MtA ciphertexts of one direction (i → j: what i sent to j; or what i received from j). */
export interface MtaCts {
  D: bigint;
  F: bigint;
  Dh: bigint;
  Fh: bigint;
}

export interface PresignState {
  cfg: Uint8Array;
  aux: AuxInfo;
  /** Signer ids, ascending. */
  signers: number[];
  Y: Uint8Array;
  /** Y' = Y + shift·G */
  Yd: Uint8Array;
  epoch: number;
  shift: Uint8Array;
  /** Additive public shares X_j (shift included at the smallest id). */
  X: [number, Uint8Array][];
  /** Own additive share x_i (secret). */
  x: bigint;
  // round 1 (secret: k, gamma, rho, nu)
  k?: bigint;
  gamma?: bigint;
  rho?: bigint;
  nu?: bigint;
  K?: bigint;
  G?: bigint;
  // round 2
  peerK?: [number, bigint][];
  peerG?: [number, bigint][];
  Gamma_i?: Uint8Array;
  /** β_{i,j}, β̂_{i,j} (secret) */
  beta?: [number, bigint, bigint][];
  sent?: [number, MtaCts][];
  // round 3
  recv?: [number, MtaCts][];
  Gamma?: Uint8Array;
  delta_i?: bigint;
  chi_i?: bigint;
  Delta?: [number, Uint8Array][];
  bc3?: Payload;
  // round 4
  view?: Uint8Array[];
  failed?: 'DELTA_MISMATCH' | 'CHI_MISMATCH' | null;
  peerDelta?: [number, bigint][];
  peerS?: [number, Uint8Array][];
  R?: Uint8Array;
  Rbar?: [number, Uint8Array][];
  Sbar?: [number, Uint8Array][];
}

/** The plain data of one party's presignature (k_i, χ_i secret). */
export interface PresignatureData {
  /** H(sid, cfg, R): names this presignature; both signers must sign with the same one. */
  tag: Uint8Array;
  /** sid of the presign session */
  sid: Uint8Array;
  self: number;
  signers: number[];
  /** Paillier security profile of the presign (part of the pool binding) */
  profile: 'default' | 'high';
  /** Y */
  publicKey: Uint8Array;
  /** Y' = Y + shift·G: what the signature verifies under */
  derivedKey: Uint8Array;
  epoch: number;
  shift: Uint8Array;
  /** R = δ⁻¹·Γ, uncompressed SEC1 (65 bytes) */
  R: Uint8Array;
  k: Uint8Array;
  chi: Uint8Array;
  /** R̄_j = δ⁻¹·Δ_j and S̄_j = δ⁻¹·S_j for every signer (partial-signature check σ_j·R = m·R̄_j + r·S̄_j). */
  Rbar: { id: number; P: Uint8Array }[];
  Sbar: { id: number; P: Uint8Array }[];
}

export interface PresignOutput {
  protocol: 'presign';
  sid: Uint8Array;
  self: number;
  signers: number[];
  publicKey: Uint8Array;
  derivedKey: Uint8Array;
  epoch: number;
  shift: Uint8Array;
  R: Uint8Array;
  tag: Uint8Array;
  /** Single use: `sign` consumes it (a second use is refused). */
  presignature: import('./presignature.js').Presignature;
}

/** H(sid, t, signers, profile, Y, epoch, X'_j, shift, (N_j, s_j, t_j)). */
export function configHash(ctx: PartyContext, c: { Y: Uint8Array; epoch: number; Xs: readonly [number, Uint8Array][]; shift: Uint8Array; aux: AuxInfo }): Uint8Array {
  const t = Transcript.create({ sid: ctx.sid, protocol: PROTOCOL, prover: 0 }).domain(CONFIG_TAG).string('profile', c.aux.profile).uint('signers', ctx.parties.length);
  for (const p of ctx.parties) {
    const a = c.aux.parties.find((e) => e.id === p.id)!;
    t.uint('id', p.id).bytes('X', c.Xs.find(([m]) => m === p.id)![1]).int('N', a.N).int('s', a.s).int('t', a.t);
  }
  return t.bytes('Y', c.Y).uint('epoch', c.epoch).bytes('shift', c.shift).challengeBytes('cfg', 32);
}

/** The tag of a presignature: H(sid, cfg, R). */
export function presignatureTag(sid: Uint8Array, cfg: Uint8Array, R: Uint8Array): Uint8Array {
  return Transcript.create({ sid, protocol: PROTOCOL, prover: 0 }).domain(TAG_TAG).bytes('cfg', cfg).bytes('R', R).challengeBytes('tag', 32);
}

/** Transcript of prover i's proof `what` (for verifier j where the proof is per verifier). */
export function proofTranscript(sid: Uint8Array, cfg: Uint8Array, i: number, what: string, verifier?: number): Transcript {
  return Transcript.create({ sid, protocol: PROTOCOL, prover: i, rid: cfg }).fork(what, verifier);
}

export const ctBytes = (key: PaillierPublicKey, c: bigint): Uint8Array => numberToBytesBE(c, key.n2Bytes);

/** A ciphertext under `key` from j's message: fixed width, then ∈ Z*_{N²} (CIPHERTEXT_NOT_UNIT otherwise). */
export function readCt(r: PayloadReader, name: string, key: PaillierPublicKey, b?: Uint8Array): bigint {
  const bytes = b ?? r.bytes(name, key.n2Bytes);
  if (!(bytes instanceof Uint8Array) || bytes.length !== key.n2Bytes) r.fail(`${r.what}.${name}: expected ${key.n2Bytes} bytes`);
  const c = bytesToNumberBE(bytes);
  if (!key.isValidCiphertext(c)) r.fail(`${r.what}.${name}: ciphertext not in Z*_{N²}`, 'CIPHERTEXT_NOT_UNIT');
  return c;
}

/** A proof in byte form from j's message (PROOF_MISSING / PROOF_MALFORMED otherwise). */
export function readProof<T>(r: PayloadReader, name: string, decode: (b: Uint8Array) => Decoded<T>): T {
  const b = r.raw(name);
  if (b === undefined || b === null) r.fail(`${r.what}.${name}: proof missing`, 'PROOF_MISSING');
  if (!(b instanceof Uint8Array)) r.fail(`${r.what}.${name}: expected bytes`, 'PROOF_MALFORMED');
  const d = decode(b);
  if (!d.ok) r.fail(`${r.what}.${name}: ${d.detail}`, 'PROOF_MALFORMED');
  return d.proof;
}

export function abort(reason: string, round: number, culprits: number[], detail: string): never {
  throw new ProtocolAbort(reason, round, [...new Set(culprits)].sort((a, b) => a - b), detail);
}
