/**
 * Refresh messages, state, hashes and the extension hook (cggmp-recipe §2.4, threshold form).
 *
 * Old sharing: threshold t, public shares X_k; dealers D = parties holding old indices, each with a
 * set old_i, S = ∪ old_i (|S| ≥ t), λ_k = λ_k^S(0). New sharing: threshold t', indices = ∪ owns_j.
 *
 *   round 1, broadcast  {cfg, C[, ext]}     C⃗_i = commitments of g_i, deg t'−1, g_i(0) = w_i = Σ_{k∈old_i} λ_k·x_k
 *                                            (C⃗_i = [] for a party that holds no old index)
 *   round 1, p2p → j    {sigma[, ext]}      σ_{i,m} = g_i(m) for m ∈ owns_j ([] from a non-dealer)
 *   round 2, broadcast  {h, A, z[, ext]}    h = H(sid, cfg, epoch+1, every round-1 broadcast) — the
 *                                            confirmation; Πsch (A, z) of x'_m per m ∈ owns_i bound to (sid, i, h, m)
 *   round 2, p2p → j    {ext}               only with an extension that sends p2p in round 2
 *   round 3, broadcast  {seen}              n ≥ 3 only: the confirmation echo, seen = [h_1 … h_n] as
 *                                            received (own h at own position)
 *
 * Checks (blame j): |C⃗_j| = t' (0 for a non-dealer); C_{j,0} = Σ_{k∈old_j} λ_k·X_k (the dealer
 * cannot change the key); σ_{j,m}·G = G_j(m); then ΣC_{j,0} = Y; Πsch; h_j = h; every report
 * seen_k = [h, …, h] (blame [k] at k or us, [j, k] at a third party j).
 * New: x'_m = Σ_j σ_{j,m}, A⃗' = Σ_j C⃗_j, X'_m = F'(m), epoch + 1.
 * @module
 */
import { Transcript } from '../../src/zk/transcript.js';
import type { PartyContext, Payload, RoundContext } from '../types.js';
import type { SecretShares } from '../util.js';

export const PROTOCOL = 'refresh';
export const CONFIG_TAG = 'tkey-tss/refresh/config/v1';
export const CONFIRM_TAG = 'tkey-tss/refresh/confirm/v1';
/** From this many parties on, round 3 echoes the confirmations (2 parties: each saw the other's). */
export const ECHO_MIN_PARTIES = 3;

export interface RefreshInput {
  /** Y, the key that must not change (SEC1). */
  publicKey: Uint8Array;
  /** Current epoch (tssNonce); the output has epoch + 1. */
  epoch: number;
  oldThreshold: number;
  /** Old public shares X_k (at least every dealt index). */
  oldPublicShares: readonly { index: number; X: Uint8Array }[];
  /** The old indices each dealing party re-deals (parties not listed only receive). */
  dealers: readonly { party: number; indices: readonly number[] }[];
  /** Own old shares (32-byte scalars): exactly the indices listed for self in `dealers`. */
  oldShares: readonly { index: number; share: Uint8Array }[];
  /** TESTS ONLY: accept a new threshold t' = 1 (a degree-0 re-sharing: every new share IS the key). */
  allowThresholdOne?: boolean;
}

export interface RefreshState {
  cfg: Uint8Array;
  Y: Uint8Array;
  epoch: number;
  /** Dealing party → Σ_{k∈old_j} λ_k·X_k (what C_{j,0} must be). */
  lambdaX: [number, Uint8Array][];
  /** w_i (secret), null for a non-dealer; dropped after round 1. */
  w: bigint | null;
  previous: { threshold: number; indices: number[] };
  /** after round 1 */
  C?: Uint8Array[];
  ownSigma?: bigint[];
  bc1?: Payload;
  ext?: Payload;
  /** after round 2 */
  x?: bigint[];
  commitments?: Uint8Array[];
  publicShares?: [number, Uint8Array][];
  h?: Uint8Array;
  /** after round 3: confirmations received (party order), parties whose h_j ≠ h, extension output */
  seen?: Uint8Array[];
  wrong?: number[];
  extOut?: Payload | null;
}

export interface RefreshOutput {
  protocol: 'refresh';
  sid: Uint8Array;
  self: number;
  /** t' */
  threshold: number;
  parties: { id: number; owns: number[] }[];
  /** Y (unchanged) */
  publicKey: Uint8Array;
  /** A⃗' = Σ_j C⃗_j, A'_0 = Y: the new tssPolyCommits */
  commitments: Uint8Array[];
  /** X'_m for every new index, ascending */
  publicShares: { index: number; X: Uint8Array }[];
  /** epoch + 1 (the new tssNonce) */
  epoch: number;
  /** What this refresh replaces: old epoch, threshold and dealt indices. */
  previous: { epoch: number; threshold: number; indices: number[] };
  /** h: every party confirmed this same view (and proved knowledge of its new shares). */
  confirmation: Uint8Array;
  /** x'_m for own new indices (redacted) */
  shares: SecretShares;
  /** The extension's output (e.g. verified aux info), null without one. */
  extension: Payload | null;
}

/** One other party's extension parts of a round. */
export interface ExtensionParts {
  broadcast: Payload;
  p2p: Payload | null;
}

/**
 * A hook that rides along refresh (aux info re-proofs when Paillier keys rotate): pure functions,
 * plain-data state, parts carried in the `ext` field of refresh messages. It validates what it
 * receives and throws `ProtocolAbort(reason, round, culprits)` itself. Its name is bound into the
 * configuration hash, and its round-1 broadcasts into the confirmation h.
 */
export interface RefreshExtension {
  readonly name: string;
  /** Whether round 2 carries p2p parts (e.g. Πfac per verifier). */
  readonly p2pRound2: boolean;
  /** Round 1: broadcast part and one p2p part per other party (e.g. N, s, t, Πprm). */
  round1(ctx: RoundContext): { state: Payload; broadcast: Payload; p2p: ReadonlyMap<number, Payload> };
  /** Round 2: check the peers' round-1 parts; parts bound to h (e.g. Πmod, Πfac under (sid, i, h)). */
  round2(state: Payload, peers: ReadonlyMap<number, ExtensionParts>, ctx: RoundContext, h: Uint8Array): { state: Payload; broadcast: Payload; p2p?: ReadonlyMap<number, Payload> };
  /** Output step: check the peers' round-2 parts and return the extension's output. */
  finish(state: Payload, peers: ReadonlyMap<number, ExtensionParts>, ctx: RoundContext, h: Uint8Array): Payload;
}

/** H(sid, t', parties and new indices, Y, epoch, t, dealers, old public shares, extension). */
export function configHash(ctx: PartyContext, cfg: { Y: Uint8Array; epoch: number; oldThreshold: number; dealers: readonly { party: number; indices: readonly number[] }[]; oldPublic: readonly [number, Uint8Array][]; ext: string }): Uint8Array {
  const t = Transcript.create({ sid: ctx.sid, protocol: PROTOCOL, prover: 0 }).domain(CONFIG_TAG).uint('t-new', ctx.threshold).uint('parties', ctx.parties.length);
  for (const p of ctx.parties) {
    t.uint('id', p.id).uint('owns', p.owns.length);
    for (const m of p.owns) t.uint('index', m);
  }
  t.bytes('Y', cfg.Y).uint('epoch', cfg.epoch).uint('t-old', cfg.oldThreshold).uint('dealers', cfg.dealers.length);
  for (const d of cfg.dealers) {
    t.uint('dealer', d.party).uint('old', d.indices.length);
    for (const k of d.indices) t.uint('old-index', k);
  }
  t.uint('old-public', cfg.oldPublic.length);
  for (const [k, X] of cfg.oldPublic) t.uint('old-index', k).bytes('X', X);
  return t.string('extension', cfg.ext).challengeBytes('cfg', 32);
}

/** h = H(sid, cfg, epoch + 1, (id, round-1 broadcast bytes) for every party). */
export function confirmationHash(sid: Uint8Array, cfg: Uint8Array, newEpoch: number, broadcasts: readonly [number, Uint8Array][]): Uint8Array {
  const t = Transcript.create({ sid, protocol: PROTOCOL, prover: 0 }).domain(CONFIRM_TAG).bytes('cfg', cfg).uint('epoch', newEpoch).uint('parties', broadcasts.length);
  for (const [id, b] of broadcasts) t.uint('id', id).bytes('broadcast', b);
  return t.challengeBytes('h', 32);
}

/** Πsch transcript of party i for its new share at index m: (sid, refresh, i, h, m). */
export function schnorrTranscript(sid: Uint8Array, i: number, h: Uint8Array, m: number): Transcript {
  return Transcript.create({ sid, protocol: PROTOCOL, prover: i, rid: h }).fork('share-index', m);
}

export function ownsOf(ctx: PartyContext, id: number): readonly number[] {
  return ctx.parties.find((p) => p.id === id)!.owns;
}
export function newIndices(ctx: PartyContext): number[] {
  return ctx.parties.flatMap((p) => p.owns).sort((a, b) => a - b);
}
