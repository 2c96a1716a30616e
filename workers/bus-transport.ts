/**
 * `WorkerBusPartyTransport`: the `BusPartyTransport` (src/client/bus-transport.ts) of a page whose
 * own participants run in a worker. The plan's remote participants (`remoteParticipant(link, …)`,
 * e.g. the co-signing service of `connectService`) stay at the node behind their bus link; each
 * LOCAL participant's session runs in a `PartyHost` (a Web Worker in browsers), so the thread that
 * holds the link — a page's main thread — only relays frames: an envelope opened by the link is
 * re-encoded to its canonical wire bytes and handed to the worker; the worker's wire bytes are
 * decoded and sealed onto the link. `runSessions` drives it all (resend, dedup, `done`, aborts,
 * stall timeout): the same contract as `BusPartyTransport`.
 *
 *   const host = await createBrowserPartyHost(workerUrl);
 *   const transport = new WorkerBusPartyTransport([host], { onProgress });
 *   const account = await TssAccount.create({ …, service: svc, transport, aux });
 *
 * A participant's own ProtocolAbort (raised by its round in the worker) is reported to its
 * `aborted` first, as `BusPartyTransport` does; an abort a remote party reports is not.
 * @module
 */
import { decodeMessage, encodeMessage, type Envelope } from '../src/bus/codec.js';
import { reportSessionFailure, type Link, type LocalSession, type SessionLike } from '../src/bus/session-link.js';
import { abandonRuns, runTracked } from '../src/bus/tracked-run.js';
import { splitPlan, type BusPartyTransportOptions } from '../src/client/bus-transport.js';
import { assertPlan, type Participant, type PartyTransport, type SessionPlan } from '../src/client/transport.js';
import { fail, ProtocolAbort, type TkeyTssError } from '../src/errors.js';
import type { ProgressEvent } from '../protocols/session.js';
import { engineProtocolOf } from './transport.js';
import type { HostStep, PartyHost, PartySession } from './party-host.js';

export type WorkerBusPartyTransportOptions = BusPartyTransportOptions;

/** A `SessionLike` whose rounds run in a worker: every step is one call to it. */
class WorkerSession<O> implements SessionLike {
  status: SessionLike['status'] = 'ready';
  nextRound = 1;
  output: O | undefined;
  constructor(
    readonly remote: PartySession<O>,
    readonly onOwnAbort: (e: ProtocolAbort) => void,
  ) {}

  async #step(call: () => Promise<HostStep<O>>): Promise<Envelope[]> {
    let s: HostStep<O>;
    try {
      s = await call();
    } catch (e) {
      if (e instanceof ProtocolAbort) {
        this.status = 'aborted';
        this.onOwnAbort(e);
      }
      throw e;
    }
    this.status = s.status;
    for (const e of s.progress) if (e.phase === 'end') this.nextRound = Math.max(this.nextRound, e.round + 1);
    if (s.output !== undefined) this.output = s.output;
    return s.out.map((m) => decodeMessage(m.bytes));
  }

  start(): Promise<Envelope[]> {
    return this.#step(() => this.remote.start());
  }

  receive(m: Envelope): Promise<Envelope[]> {
    return this.#step(() => this.remote.receive([encodeMessage(m)]));
  }
}

export class WorkerBusPartyTransport implements PartyTransport {
  readonly #hosts: readonly PartyHost[];
  readonly #opts: WorkerBusPartyTransportOptions;
  readonly #running = new Set<AbortController>();

  /** `hosts`: the workers local participants run in (participant k → hosts[k mod #hosts]). */
  constructor(hosts: readonly PartyHost[], opts: WorkerBusPartyTransportOptions = {}) {
    if (!Array.isArray(hosts) || hosts.length === 0) fail('INVALID_ARGUMENT', 'hosts: expected at least one PartyHost');
    if (typeof opts !== 'object' || opts === null) fail('INVALID_ARGUMENT', 'options: expected an object');
    this.#hosts = [...hosts];
    this.#opts = opts;
  }

  async run<I, S, O>(plan: SessionPlan<I, S, O>): Promise<void> {
    assertPlan(plan);
    const all = plan.participants as readonly Participant<unknown, unknown>[];
    const { local, remote } = splitPlan(plan as SessionPlan<unknown, unknown, unknown>);
    // the engine protocol from the local participants only (a remote one's extension input lives at its node)
    const proto = engineProtocolOf({ ...plan, participants: local } as SessionPlan<unknown, unknown, unknown>);
    const parties = all.map((p) => ({ id: p.id, owns: [...p.owns] }));
    const links: Link[] = remote.map((r) => r.link);
    const recording: Promise<void>[] = [];
    const created: PartySession<unknown>[] = [];
    const sessions: LocalSession[] = [];
    try {
      for (const [k, p] of local.entries()) {
        const onProgress = this.#opts.onProgress ? (e: ProgressEvent) => this.#opts.onProgress!(p.id, e) : undefined;
        const ps = await this.#hosts[k % this.#hosts.length]!.create<unknown>(proto, { sid: plan.sid, self: p.id, parties, threshold: plan.threshold }, p.input, {
          rng: p.rng,
          ...(p.extensionInput !== undefined ? { extensionInput: p.extensionInput } : {}),
          ...(onProgress ? { onProgress } : {}),
        });
        created.push(ps);
        const ws = new WorkerSession(ps, (e) => {
          if (!p.aborted) return;
          const r = p.aborted(e);
          r.catch(() => undefined); // awaited below
          recording.push(r);
        });
        sessions.push({ id: p.id, session: ws, finish: () => p.finish(ws.output) });
      }
    } catch (e) {
      // bad input (checked in the worker): nothing was sent; tell the remote parties so they do not wait for us
      const p = local[created.length]!;
      reportSessionFailure(links, plan.sid, p.id, e instanceof Error ? e.message : 'session not created');
      await Promise.allSettled(created.map((s) => s.cancel()));
      throw e;
    }
    const onFailure = async (): Promise<void> => {
      await Promise.all(recording); // the owner's record of its own abort is in before the run ends
      await Promise.allSettled(created.filter((s) => !s.cancelled).map((s) => s.cancel()));
    };
    await runTracked(this.#running, { sid: plan.sid, protocol: proto, local: sessions, remote, onFailure }, this.#opts);
  }

  /** End every run under way with `reason` (a typed error), like `BusPartyTransport.abandon`. Returns how many. */
  abandon(reason: TkeyTssError): number {
    return abandonRuns(this.#running, reason);
  }
}
