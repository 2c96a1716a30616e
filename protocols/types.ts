/**
 * The round contract (DESIGN §3.1). A protocol is a list of rounds; round k is a pure function
 *
 *   run(state, inbox, ctx) → {state, outbox} | {output}
 *
 * Round 1 gets an empty inbox and sends the round-1 messages; round k ≥ 2 gets every other party's
 * round-(k−1) messages and sends the round-k ones; the last round sends nothing and returns the
 * output. Every random draw comes from `ctx.rng`; a failed check throws `ProtocolAbort(reason,
 * round, culprits)` where `round` is the round in which the offending message was sent.
 *
 * A round may also have `runParallel` (issue 13): the same function, asynchronous, handing its
 * independent tasks (plain data, `protocols/tasks.ts`) to `ctx.parallel` and awaiting them. The
 * driver calls it only in an asynchronous session (an executor, not replay mode); `run` stays
 * synchronous, so the synchronous driver and direct callers keep working unchanged.
 *
 * State and payloads are plain data — bigints, numbers, strings, booleans, null, Uint8Arrays,
 * arrays and plain objects; no class instances, no closures — so a session can be paused,
 * persisted, resumed in another worker or replayed from a vector. Points travel as 33-byte
 * compressed SEC1, scalars as 32-byte big-endian; both are validated on receipt.
 * @module
 */
import type { Rng } from '../src/rng.js';
import type { RoundTask } from './tasks.js';

/** Plain data a payload or state may hold (msgpack-encodable, see `wire.ts`). */
export type Payload = null | boolean | number | string | Uint8Array | readonly Payload[] | { readonly [k: string]: Payload };

/** An online party and the share indices it owns (a device may own several, e.g. [2, 3]). */
export interface PartySpec {
  /** Party id: a positive integer, unique in the session; messages are addressed by it. */
  id: number;
  /** Share indices (evaluation points, never 0) this party receives; may be empty in refresh. */
  owns: readonly number[];
}

/** What every party of a session agrees on before it starts. */
export interface SessionConfig {
  /** Session id, jointly agreed, unique per run (1..1024 bytes). */
  sid: Uint8Array;
  /** Own party id. */
  self: number;
  parties: readonly PartySpec[];
  /** The threshold the protocol produces (keygen: t; refresh: the new t'). */
  threshold: number;
}

/** The party context a round sees: the normalised config (parties sorted by id, owns sorted). */
export interface PartyContext {
  readonly sid: Uint8Array;
  readonly protocol: string;
  readonly self: number;
  readonly parties: readonly PartySpec[];
  readonly threshold: number;
}

/**
 * Runs a round's independent tasks — plain, structured-clone-safe data (`RoundTask`) — at once
 * where it can: the math pool's workers (`MathPool.executor()`, workers/) or this thread
 * (`inThreadExecutor`, protocols/tasks.ts). Results come back in task order. A task that cannot be
 * run (its worker died: WORKER_CRASHED) rejects the call with that typed error; a task's own
 * verdicts are results, never rejections.
 */
export interface ParallelExecutor {
  run(tasks: readonly RoundTask[]): Promise<unknown[]>;
}

export interface RoundContext extends PartyContext {
  /** 1-based number of the round being run. */
  readonly round: number;
  /** The only source of randomness. */
  readonly rng: Rng;
  /** Present only in an asynchronous session outside replay mode (what `runParallel` fans out to). */
  readonly parallel?: ParallelExecutor;
}

/** The context `runParallel` gets: always with an executor. */
export interface ParallelRoundContext extends RoundContext {
  readonly parallel: ParallelExecutor;
}

/** One other party's messages of the previous round (the driver strips the envelope). */
export interface Received {
  broadcast?: Payload;
  p2p?: Payload;
}
/** Previous round's messages by sender id (never contains self). */
export type Inbox = ReadonlyMap<number, Received>;

export interface Outgoing {
  /** null = broadcast. */
  to: number | null;
  payload: Payload;
}

export type RoundResult<S, O> = { state: S; outbox: Outgoing[] } | { output: O };

export interface Round<S, O> {
  /**
   * What this round sends — and so what the next round expects from every other party. With
   * `minParties`, it sends only in sessions of at least that many parties; with fewer it sends
   * nothing and the next round runs at once (e.g. refresh's confirmation echo, n ≥ 3).
   */
  readonly sends: { readonly broadcast: boolean; readonly p2p: boolean; readonly minParties?: number };
  run(state: S, inbox: Inbox, ctx: RoundContext): RoundResult<S, O>;
  /**
   * `run` with the round's independent tasks on `ctx.parallel`: the same checks, the same abort
   * reasons and culprits (evaluated in full, then reported in `run`'s order), the same messages in
   * kind. Optional; the driver falls back to `run`.
   */
  runParallel?(state: S, inbox: Inbox, ctx: ParallelRoundContext): Promise<RoundResult<S, O>>;
}

export interface Protocol<I, S, O> {
  readonly name: string;
  /** Validate the input (InvalidInput on bad input, nothing sent) and build the initial state. */
  init(input: I, ctx: PartyContext): S;
  readonly rounds: readonly Round<S, O>[];
  /** Round whose broadcasts get the echo check when there are ≥ 3 parties (folded into the next round). */
  readonly echoRound?: number;
  /**
   * The verified but not yet confirmed output a state holds, or null (refresh: the new shares once
   * they are Feldman-verified). The driver calls it when the session aborts, with the state the
   * aborting round started from, and keeps the result as `Session.unconfirmed` (not in snapshots).
   */
  unconfirmed?(state: S, ctx: PartyContext): O | null;
}

/** The envelope (DESIGN §6). */
export interface Message {
  sid: Uint8Array;
  protocol: string;
  round: number;
  from: number;
  /** null = broadcast */
  to: number | null;
  payload: Payload;
}

/**
 * Stable abort reason codes (`ProtocolAbort.reason`). `culprits` lists the party ids to blame.
 * protocols/README.md carries this table.
 */
export const ABORT_REASONS = {
  // session driver
  WRONG_SID: 'the message belongs to another session (replay)',
  WRONG_PROTOCOL: 'the message belongs to another protocol',
  WRONG_ROUND: 'the round number is not one this session can accept now (past round with new content, or ≥ 2 rounds ahead)',
  WRONG_RECIPIENT: 'a point-to-point message addressed to another party',
  UNEXPECTED_MESSAGE: 'a broadcast or point-to-point message in a round that sends none of that kind',
  DUPLICATE_MESSAGE: 'a second, different message for the same (round, sender, kind) — identical copies are ignored',
  MALFORMED_MESSAGE: 'a payload field is missing, of the wrong type or length, an invalid point or an out-of-range scalar',
  ECHO_MISMATCH: 'echo check: party j reports a different round-1 broadcast than we got — [j] when it is j’s own or ours, else [p, j] (p equivocated or j lies)',
  // keygen and refresh
  CONFIG_MISMATCH: 'the party runs with another configuration (parties, indices, threshold, public input)',
  COMMITMENT_LENGTH: 'a Feldman commitment vector does not have exactly t points (or is not empty for a non-dealer)',
  DECOMMITMENT_MISMATCH: 'the round-2 reveal does not open the round-1 hash commitment',
  FELDMAN_SHARE_MISMATCH: "a private share is inconsistent with its dealer's Feldman commitments",
  SCHNORR_INVALID: 'a Schnorr proof of knowledge of a share does not verify',
  DEGENERATE_RESULT: 'a resulting share is zero or the key, a commitment or a public share the identity (negligible; nobody to blame)',
  DEALER_KEY_CHANGED: "refresh: a dealer's constant commitment C₀ differs from λ·X of its old shares (it would change the key)",
  PUBLIC_KEY_CHANGED: 'refresh: ΣC_{j,0} ≠ Y',
  CONFIRMATION_MISMATCH: 'refresh: a party confirms a different view of round 1 (hence of the new commitments)',
  CONFIRMATION_EQUIVOCATION: 'refresh (n ≥ 3): party k reports a different round-2 confirmation from party j than we got — [k] when j is k or us, else [j, k] (j equivocated or k lies)',
  // presign and sign
  VIEW_MISMATCH: "presign round 4: party j reports a different round-3 broadcast (δ, Δ, S) than we got — [j] when it is j’s own or ours, else [p, j]",
  BLAME_INCONSISTENT: 'presign round 4: a party claims the δ/χ checks pass (or fail) on the same round-3 view where they fail (or pass), or sends blame proofs on a passing run',
  DELTA_MISMATCH: 'presign: δ·G ≠ ΣΔ_j; culprits = the parties whose Πmul / Πdec(δ_i) blame proofs fail (empty only if nobody could be identified)',
  CHI_MISMATCH: 'presign: ΣS_j ≠ δ·Y′; culprits = the parties whose Πmul* / Πdec(χ_i) proofs fail or whose S_i ≠ χ_i·Γ',
  MTA_TRANSCRIPT_MISMATCH: 'presign blame round: the two ends of an MtA report different ciphertexts — [i, j], or [j] when one end is us',
  PARTIAL_SIGNATURE_INVALID: "sign: σ_j·R ≠ m·R̄_j + r·S̄_j — party j’s partial signature is wrong",
  DEGENERATE_SIGNATURE: 'sign: r = 0 or s = 0; refused (nothing is returned)',
  SIGNATURE_INVALID: 'sign: the combined signature does not verify under Y′ (defence in depth; nothing is returned)',
} as const;

export type AbortReason = keyof typeof ABORT_REASONS;

/** Type-level helper: the output of a protocol. */
export type OutputOf<P> = P extends Protocol<unknown, unknown, infer O> ? O : never;
