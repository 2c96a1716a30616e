/**
 * How the parties of one protocol session talk: the `PartyTransport` interface and its in-memory
 * implementation over the simulator (`protocols/simulate.ts`). The account lifecycle only ever
 * calls `transport.run(plan)`; the bus issue plugs MessagePort / WebSocket transports in behind the
 * same interface (each participant's session then runs where its owner lives, and `finish` is
 * called there).
 *
 * A `Participant` is one party's side: its id, the share indices it receives, its input, its RNG,
 * and `finish(output)`, which the party's owner uses to keep its output (the service stages its new
 * share durably there; the device keeps its new shares in memory). Outputs never travel between
 * participants through this interface. `aborted(abort)` (optional) tells the owner that ITS OWN
 * session raised a `ProtocolAbort` — every transport calls it for the local party whose session
 * aborted, never for an abort a peer merely reported — so the service records what it observed
 * itself (`abort-record.ts`).
 * @module
 */
import { equalBytes } from '../bytes.js';
import { fail, InternalBug, type ProtocolAbort } from '../errors.js';
import type { Rng } from '../rng.js';
import type { RoundHooks } from '../../protocols/session.js';
import { simulate } from '../../protocols/simulate.js';
import type { Message, PartySpec, Protocol } from '../../protocols/types.js';

/**
 * What a party agreed to run (the co-signing service's participants carry it): the session id
 * (the joint sid the service derived), the threshold and every party with its indices. A transport
 * refuses to run such a participant in a plan that differs (`assertBindings`).
 */
export interface SessionBinding {
  readonly sid: Uint8Array;
  readonly threshold: number;
  readonly parties: readonly PartySpec[];
}

/** One party's side of a session. */
export interface Participant<I, O> {
  readonly id: number;
  readonly owns: readonly number[];
  readonly input: I;
  readonly rng: Rng;
  /** Called once with this party's output; the run waits for it (durable staging happens here). */
  finish(output: O): Promise<void>;
  /** Party-private input of a protocol extension (e.g. its aux key for `auxRotation`). */
  readonly extensionInput?: unknown;
  /**
   * Called once when THIS party's own session aborts (its own check failed; not when a peer reports
   * an abort). The run waits for it; if it throws, the run fails with that error instead.
   */
  aborted?(abort: ProtocolAbort): Promise<void>;
  /** The session this participant may run in (set by the service): any other plan is refused. */
  readonly session?: SessionBinding;
}

const partiesKey = (ps: readonly PartySpec[]): string =>
  JSON.stringify([...ps].map((p) => [p.id, [...p.owns].sort((a, b) => a - b)]).sort((a, b) => (a[0] as number) - (b[0] as number)));

/**
 * Every participant bound to a session (`Participant.session`) is run only in exactly that
 * session: same sid, threshold and parties (POLICY_VIOLATION, rule `session-binding`, before
 * anything runs). Every transport calls it first.
 */
export function assertBindings(plan: { sid: Uint8Array; threshold: number; participants: readonly { id: number; owns: readonly number[]; session?: SessionBinding }[] }): void {
  const parties = partiesKey(plan.participants.map((p) => ({ id: p.id, owns: p.owns })));
  for (const p of plan.participants) {
    const b = p.session;
    if (b === undefined) continue;
    if (!(plan.sid instanceof Uint8Array) || !equalBytes(b.sid, plan.sid) || b.threshold !== plan.threshold || partiesKey(b.parties) !== parties)
      fail('POLICY_VIOLATION', `party ${p.id} agreed to another session (sid, threshold or parties); run it under the session it returned`, { rule: 'session-binding', party: p.id });
  }
}

/**
 * The named assert every transport's `run` starts with: `plan` has the shape of a `SessionPlan`
 * (at least two participants; INVALID_ARGUMENT) and every bound participant is in its own session
 * (`assertBindings`).
 */
export function assertPlan<I, S, O>(plan: SessionPlan<I, S, O>): void {
  if (typeof plan !== 'object' || plan === null || !Array.isArray(plan.participants) || plan.participants.length < 2)
    fail('INVALID_ARGUMENT', 'plan: expected {protocol, sid, threshold, participants (≥ 2)}');
  assertBindings(plan);
}

/**
 * A protocol, or — for a protocol whose extension takes party-private input — a factory that
 * builds it from each party's `extensionInput`. Where every party runs in its own process the
 * factory is called there with that party's input only.
 */
export type PlanProtocol<I, S, O> = Protocol<I, S, O> | ((extensionInputOf: (self: number) => unknown) => Protocol<I, S, O>);

/** One session to run: protocol, sid, the threshold it produces and every participant. */
export interface SessionPlan<I, S, O> {
  readonly protocol: PlanProtocol<I, S, O>;
  readonly sid: Uint8Array;
  readonly threshold: number;
  readonly participants: readonly Participant<I, O>[];
}

/** Moves the messages of one session between its participants. */
export interface PartyTransport {
  /**
   * Run the session to its end and call every participant's `finish` with its output. Throws the
   * first `ProtocolAbort` (after calling `aborted` of every local participant whose session aborted), `SESSION_STALLED` when a party neither finished nor aborted, or whatever
   * the transport itself throws (a dropped connection, an interruption): then no `finish` ran.
   */
  run<I, S, O>(plan: SessionPlan<I, S, O>): Promise<void>;
}

export interface SimulatorTransportOptions {
  /** Round hooks per (party id, protocol name): fault injection in tests (throw to cut the run). */
  hooks?: (party: number, protocol: string) => RoundHooks | undefined;
  /** Delivery order (see `simulate`). */
  order?: 'fifo' | 'lifo' | Rng;
  /** Change or drop (null) a message on its way (fault injection in tests). */
  deliver?: (msg: Message, to: number) => Message | null;
}

/** Every participant in this process, through the in-memory runner (every message encoded and decoded). */
export class SimulatorTransport implements PartyTransport {
  readonly #opts: SimulatorTransportOptions;
  constructor(opts: SimulatorTransportOptions = {}) {
    if (typeof opts !== 'object' || opts === null) fail('INVALID_ARGUMENT', 'options: expected an object');
    this.#opts = opts;
  }

  async run<I, S, O>(plan: SessionPlan<I, S, O>): Promise<void> {
    assertPlan(plan);
    const hooks = this.#opts.hooks;
    const protocol = typeof plan.protocol === 'function' ? plan.protocol((self) => plan.participants.find((p) => p.id === self)?.extensionInput) : plan.protocol;
    const r = simulate(
      protocol,
      plan.participants.map((p) => ({ id: p.id, owns: p.owns, input: p.input, rng: p.rng })),
      {
        sid: plan.sid,
        threshold: plan.threshold,
        ...(hooks ? { hooks: (party: number) => hooks(party, protocol.name) } : {}),
        ...(this.#opts.order ? { order: this.#opts.order } : {}),
        ...(this.#opts.deliver ? { deliver: this.#opts.deliver } : {}),
      },
    );
    for (const p of plan.participants) {
      const own = r.aborts.get(p.id);
      if (own && p.aborted) await p.aborted(own);
    }
    const abort = [...r.aborts.values()][0];
    if (abort) throw abort;
    if (r.stalled.length > 0) fail('SESSION_STALLED', `${protocol.name}: parties ${r.stalled.join(', ')} neither finished nor aborted`, { stalled: r.stalled });
    for (const p of plan.participants) {
      const out = r.outputs.get(p.id);
      if (out === undefined) throw new InternalBug(`${protocol.name}: party ${p.id} has no output`);
      await p.finish(out);
    }
  }
}

/** Messages this module moves (re-exported for transports implemented elsewhere). */
export type { Message };

