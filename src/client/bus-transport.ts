/**
 * `BusPartyTransport`: a `PartyTransport` that runs only the LOCAL participants of a plan; the
 * others are `remoteParticipant`s living at the node at the other end of a bus `Link`, whose own
 * `BusPartyTransport` (or `serveService`) runs them there. Messages to remote parties go over the
 * link (sealed by the secure channel); the session layer (`runSessions`) resends, dedups, times out
 * naming the stalled peer, and resolves once every local `finish` ran and every remote party
 * reported done — the same contract as `SimulatorTransport`. A local participant's `aborted` is
 * called (at once, from the failing step) when its own session raises a ProtocolAbort; an abort a
 * remote party reports ends the run but is not its own.
 * @module
 */
import { fail, InternalBug, ProtocolAbort, type TkeyTssError } from '../errors.js';
import type { Rng } from '../rng.js';
import { reportSessionFailure, type Link, type LocalSession, type RemoteParty, type SessionLike } from '../bus/session-link.js';
import { abandonRuns, runTracked } from '../bus/tracked-run.js';
import { Session, type ProgressEvent, type RoundHooks } from '../../protocols/session.js';
import { assertPlan, type Participant, type PartyTransport, type SessionPlan } from './transport.js';

const REMOTE = Symbol.for('tkey-tss/bus/remote');

const noRng: Rng = Object.freeze({
  bytes(): Uint8Array {
    throw new InternalBug('a remote participant has no RNG here: it runs at its own node');
  },
});

/** A participant that runs at the node behind `link` (its input, RNG and output stay there). */
export function remoteParticipant<I, O>(link: Link, id: number, owns: readonly number[]): Participant<I, O> {
  if (!Number.isSafeInteger(id) || id < 1) fail('INVALID_ARGUMENT', 'id: expected a positive party id');
  const p = {
    id,
    owns: [...owns],
    input: undefined as unknown as I,
    rng: noRng,
    finish: async () => {
      throw new InternalBug('a remote participant finishes at its own node');
    },
    [REMOTE]: link,
  };
  return p;
}

/** The link of a remote participant, or null for a local one. */
export function remoteLinkOf(p: Participant<unknown, unknown>): Link | null {
  return ((p as unknown as Record<symbol, unknown>)[REMOTE] as Link | undefined) ?? null;
}

/** The plan's local participants (at least one; INVALID_ARGUMENT) and its remote parties with their links. */
export function splitPlan<I, S, O>(plan: SessionPlan<I, S, O>): { local: Participant<I, O>[]; remote: RemoteParty[] } {
  const local: Participant<I, O>[] = [];
  const remote: RemoteParty[] = [];
  for (const p of plan.participants) {
    const link = remoteLinkOf(p as Participant<unknown, unknown>);
    if (link) remote.push({ id: p.id, link });
    else local.push(p);
  }
  if (local.length === 0) fail('INVALID_ARGUMENT', 'plan: no local participant');
  return { local, remote };
}

export interface BusPartyTransportOptions {
  /** No progress for this long → SESSION_STALLED naming the stalled peer (default 60 s). */
  stallMs?: number;
  /** Resend the last rounds after this long without progress (default 2 s). */
  resendMs?: number;
  onProgress?: (party: number, e: ProgressEvent) => void;
  signal?: AbortSignal;
  /** A frame claiming a sender that does not live behind its link: dropped, reported here (see `runSessions`). */
  onDrop?: (detail: string, link: Link) => void;
  /** Round hooks per (local party id, protocol name): fault injection in tests (a misbehaving party). */
  hooks?: (party: number, protocol: string) => RoundHooks | undefined;
}

export class BusPartyTransport implements PartyTransport {
  readonly #opts: BusPartyTransportOptions;
  /** One controller per run under way (`abandon` ends them). */
  readonly #running = new Set<AbortController>();
  constructor(opts: BusPartyTransportOptions = {}) {
    if (typeof opts !== 'object' || opts === null) fail('INVALID_ARGUMENT', 'options: expected an object');
    this.#opts = opts;
  }

  async run<I, S, O>(plan: SessionPlan<I, S, O>): Promise<void> {
    assertPlan(plan);
    const { local, remote } = splitPlan(plan);
    const protocol = typeof plan.protocol === 'function' ? plan.protocol((self) => local.find((p) => p.id === self)?.extensionInput) : plan.protocol;
    const parties = plan.participants.map((p) => ({ id: p.id, owns: [...p.owns] }));
    const sessions: LocalSession[] = [];
    const recording: Promise<void>[] = [];
    for (const p of local) {
      const onProgress = this.#opts.onProgress ? (e: ProgressEvent) => this.#opts.onProgress!(p.id, e) : undefined;
      const hooks = this.#opts.hooks?.(p.id, protocol.name);
      let session: Session<I, S, O>;
      try {
        session = Session.create(protocol, { sid: plan.sid, self: p.id, parties, threshold: plan.threshold }, p.input, { rng: p.rng, ...(onProgress ? { onProgress } : {}), ...(hooks ? { hooks } : {}) });
      } catch (e) {
        // bad input: nothing was sent; tell the remote parties so they do not wait for us
        reportSessionFailure(remote.map((r) => r.link), plan.sid, p.id, e instanceof Error ? e.message : 'session not created');
        throw e;
      }
      const watched = p.aborted
        ? ownAborts(session, (e) => {
            const r = p.aborted!(e);
            r.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
            recording.push(r);
          })
        : session;
      sessions.push({ id: p.id, session: watched, finish: () => p.finish(session.output as O) });
    }
    // on failure the owner's record of its own abort is in before the run ends
    await runTracked(this.#running, { sid: plan.sid, protocol: protocol.name, local: sessions, remote, onFailure: () => Promise.all(recording) }, this.#opts);
  }

  /**
   * End every run under way with `reason` (a typed error: each run rejects with it) — e.g. the
   * remote side of the sessions is known to be gone, so waiting `stallMs` for it is pointless.
   * Returns how many runs it ended.
   */
  abandon(reason: TkeyTssError): number {
    return abandonRuns(this.#running, reason);
  }
}

/** Re-exported: it moved to `src/bus/tracked-run.ts` (with `runTracked`, `abandonRunsOver`). */
export { abandonRuns };

/** `session`, reporting (once) the ProtocolAbort its own step raised — not one a peer reported. */
function ownAborts(session: SessionLike, report: (e: ProtocolAbort) => void): SessionLike {
  let reported = false;
  const step = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof ProtocolAbort && session.status === 'aborted' && !reported) {
        reported = true;
        report(e);
      }
      throw e;
    }
  };
  return {
    start: () => step(() => session.start()),
    receive: (m) => step(() => session.receive(m)),
    get status() {
      return session.status;
    },
    get nextRound() {
      return session.nextRound;
    },
  };
}
