/**
 * In-memory runner: drives any number of parties of one protocol through real `Session`s, with
 * every message encoded to bytes and decoded on arrival (the provisional wire format), a chosen
 * delivery order, and fault-injection points for tamper tests. Used by tests, the vector
 * generator and the benchmarks. Reproducible only in replay mode (`replay: true`, seeded RNGs, a
 * fixed order); otherwise every round mixes fresh platform entropy (see `roundRng`).
 *
 * `simulateAsync` is the same runner over asynchronous sessions (`parallel`: a `ParallelExecutor`,
 * e.g. the math pool's): each party's inputs are handed to its session in delivery order (the
 * session queues them), and the parties run concurrently, so several parties' round tasks share
 * the executor at once — the in-process deployment's shape with a pool.
 * @module
 */
import { ProtocolAbort } from '../src/errors.js';
import { randomBelow, type Rng } from '../src/rng.js';
import { type ProgressEvent, type RoundHooks, Session } from './session.js';
import type { Message, ParallelExecutor, Protocol } from './types.js';
import { encodeMessage } from './wire.js';

export interface SimParty<I> {
  id: number;
  owns: readonly number[];
  input: I;
  rng: Rng;
}

export interface SimOptions {
  sid: Uint8Array;
  threshold: number;
  /** 'fifo' (default), 'lifo' (reorders rounds: exercises buffering), or an Rng to shuffle with. */
  order?: 'fifo' | 'lifo' | Rng;
  /** Encode/decode every message (default true). */
  wire?: boolean;
  /** Round hooks per party (tamper rules on state and outbox). */
  hooks?: (party: number) => RoundHooks | undefined;
  /** Change or drop (null) a message on its way from `msg.from` to `to`. */
  deliver?: (msg: Message, to: number) => Message | null;
  /**
   * Extra items delivered to `to` just before `msg` (fault injection: a stranger's garbage —
   * anything, not only envelopes; an envelope is sent through the wire codec, anything else as is).
   */
  inject?: (msg: Message, to: number) => unknown[];
  /** REPLAY MODE for every party (vectors and transcript tests only; see `SessionOptions.replay`). */
  replay?: boolean;
  onProgress?: (party: number, e: ProgressEvent) => void;
  /** Parties under a tamper rule: any error they throw (a tampered state may crash) stops only them. */
  faulty?: readonly number[];
  /** `simulateAsync` only: the executor every party's rounds fan out to (ignored in replay mode). */
  parallel?: ParallelExecutor;
}

export interface SimResult<O> {
  outputs: Map<number, O>;
  aborts: Map<number, ProtocolAbort>;
  /** Aborted or stalled parties whose session holds a verified but unconfirmed output (`Session.unconfirmed`). */
  unconfirmed: Map<number, O>;
  /** Parties that neither finished nor aborted (a peer stopped talking to them). */
  stalled: number[];
  /** Faulty parties that threw something other than a ProtocolAbort. */
  crashed: Map<number, unknown>;
  /** Wire bytes each party produced, in order (a broadcast once). */
  sent: Map<number, Uint8Array[]>;
  /** Wire bytes delivered to each party, in order (after `deliver`; injected items are not recorded). */
  received: Map<number, Uint8Array[]>;
  /** Unattributable messages each party dropped (`Session.dropped.total`). */
  dropped: Map<number, number>;
}

interface Pending {
  to: number;
  msg: Message;
  bytes: Uint8Array;
}

/**
 * What simulate and simulateAsync share: the parties' sessions, the run's records, the delivery
 * queue (`next` takes the message `opts.order` picks), `post` (a party's output onto the queue),
 * `admit` (a delivery after `opts.deliver`, recorded as received; null: dropped), `aborted` and
 * `result`.
 */
function openRun<I, S, O>(protocol: Protocol<I, S, O>, parties: readonly SimParty<I>[], opts: SimOptions, parallel: boolean) {
  const specs = parties.map((p) => ({ id: p.id, owns: [...p.owns] }));
  const sessions = new Map<number, Session<I, S, O>>();
  for (const p of parties) {
    const hooks = opts.hooks?.(p.id);
    const onProgress = opts.onProgress ? (e: ProgressEvent) => opts.onProgress!(p.id, e) : undefined;
    sessions.set(
      p.id,
      Session.create(protocol, { sid: opts.sid, self: p.id, parties: specs, threshold: opts.threshold }, p.input, {
        rng: p.rng,
        ...(opts.replay ? { replay: true } : {}),
        ...(hooks ? { hooks } : {}),
        ...(onProgress ? { onProgress } : {}),
        ...(parallel && opts.parallel ? { parallel: opts.parallel } : {}),
      }),
    );
  }
  const outputs = new Map<number, O>();
  const aborts = new Map<number, ProtocolAbort>();
  const unconfirmed = new Map<number, O>();
  const sent = new Map<number, Uint8Array[]>(parties.map((p) => [p.id, []]));
  const received = new Map<number, Uint8Array[]>(parties.map((p) => [p.id, []]));
  const crashed = new Map<number, unknown>();
  const queue: Pending[] = [];
  const keepUnconfirmed = (id: number): void => {
    const u = sessions.get(id)!.unconfirmed;
    if (u !== undefined) unconfirmed.set(id, u);
  };
  return {
    sessions,
    outputs,
    aborts,
    crashed,
    queue,
    wire: opts.wire ?? true,
    stopped: (id: number): boolean => aborts.has(id) || crashed.has(id),
    post(from: number, msgs: Message[]): void {
      for (const m of msgs) {
        const bytes = encodeMessage(m);
        sent.get(from)!.push(bytes);
        const targets = m.to === null ? parties.map((p) => p.id).filter((id) => id !== from) : [m.to];
        for (const to of targets) queue.push({ to, msg: m, bytes });
      }
    },
    next(): Pending {
      const order = opts.order ?? 'fifo';
      const at = order === 'fifo' ? 0 : order === 'lifo' ? queue.length - 1 : Number(randomBelow(order, BigInt(queue.length)));
      return queue.splice(at, 1)[0]!;
    },
    admit({ to, msg, bytes }: Pending): { m: Message; b: Uint8Array } | null {
      let m: Message | null = msg;
      let b = bytes;
      if (opts.deliver) {
        m = opts.deliver(structuredClone(msg), to);
        if (m === null) return null;
        b = encodeMessage(m);
      }
      received.get(to)!.push(b);
      return { m, b };
    },
    /** A party's step ended: a ProtocolAbort is its abort (its unconfirmed output kept), another error of a `faulty` party its crash; anything else is rethrown. */
    failed(id: number, e: unknown): void {
      if (e instanceof ProtocolAbort) {
        if (!aborts.has(id)) aborts.set(id, e);
        keepUnconfirmed(id);
      } else if (opts.faulty?.includes(id)) {
        if (!crashed.has(id)) crashed.set(id, e);
      } else throw e;
    },
    settled(id: number): void {
      const s = sessions.get(id)!;
      if (s.status === 'done' && !outputs.has(id)) outputs.set(id, s.output as O);
    },
    result(): SimResult<O> {
      const stalled = parties.map((p) => p.id).filter((id) => !outputs.has(id) && !aborts.has(id) && !crashed.has(id));
      const dropped = new Map(parties.map((p) => [p.id, sessions.get(p.id)!.dropped.total]));
      for (const id of stalled) keepUnconfirmed(id);
      return { outputs, aborts, unconfirmed, stalled, crashed, sent, received, dropped };
    },
  };
}

export function simulate<I, S, O>(protocol: Protocol<I, S, O>, parties: readonly SimParty<I>[], opts: SimOptions): SimResult<O> {
  const run = openRun(protocol, parties, opts, false);
  const { sessions, queue, wire } = run;
  const step = (id: number, fn: () => Message[]): void => {
    try {
      run.post(id, fn());
    } catch (e) {
      run.failed(id, e);
    }
    run.settled(id);
  };

  for (const p of parties) step(p.id, () => sessions.get(p.id)!.start());
  while (queue.length > 0) {
    const item = run.next();
    const { to, msg } = item;
    if (run.stopped(to)) continue;
    const session = sessions.get(to)!;
    for (const junk of opts.inject?.(structuredClone(msg), to) ?? []) {
      if (run.stopped(to)) break;
      step(to, () => (wire ? session.receiveWire(wireOf(junk)) : session.receive(junk as Message)));
    }
    if (run.stopped(to)) continue;
    const d = run.admit(item);
    if (d === null) continue;
    step(to, () => (wire ? session.receiveWire(d.b) : session.receive(d.m)));
  }
  return run.result();
}

/** Injected junk on the wire: an envelope's canonical bytes, bytes as they are, else bytes that decode to nothing. */
function wireOf(junk: unknown): Uint8Array {
  if (junk instanceof Uint8Array) return junk;
  try {
    return encodeMessage(junk as Message);
  } catch {
    return new Uint8Array([0xc1]); // never valid MessagePack
  }
}

/**
 * `simulate` over asynchronous sessions (`opts.parallel`): same options and result. Each delivery
 * is handed to the recipient's session at once (`receiveWireAsync`: the session processes its
 * inputs one at a time, in order), so the parties' rounds overlap; messages a step produces are
 * queued when it settles. An error that is not a ProtocolAbort (e.g. WORKER_CRASHED) rejects the
 * run unless the party is `faulty`.
 */
export async function simulateAsync<I, S, O>(protocol: Protocol<I, S, O>, parties: readonly SimParty<I>[], opts: SimOptions): Promise<SimResult<O>> {
  const run = openRun(protocol, parties, opts, true);
  const { sessions, queue, wire } = run;
  const running = new Set<Promise<void>>();
  let failure: { e: unknown } | null = null;
  const step = (id: number, fn: () => Promise<Message[]>): void => {
    const p = fn()
      .then(
        (msgs) => {
          if (!run.stopped(id)) run.post(id, msgs);
        },
        (e: unknown) => {
          try {
            run.failed(id, e);
          } catch (x) {
            failure ??= { e: x };
          }
        },
      )
      .finally(() => {
        running.delete(p);
        run.settled(id);
      });
    running.add(p);
  };

  for (const p of parties) step(p.id, () => sessions.get(p.id)!.startAsync());
  for (;;) {
    if (failure) throw (failure as { e: unknown }).e;
    if (queue.length === 0) {
      if (running.size === 0) break;
      await Promise.race(running);
      continue;
    }
    const item = run.next();
    const { to, msg } = item;
    if (run.stopped(to)) continue;
    const session = sessions.get(to)!;
    for (const junk of opts.inject?.(structuredClone(msg), to) ?? []) step(to, () => (wire ? session.receiveWireAsync(wireOf(junk)) : session.receiveAsync(junk as Message)));
    const d = run.admit(item);
    if (d === null) continue;
    step(to, () => (wire ? session.receiveWireAsync(d.b) : session.receiveAsync(d.m)));
  }
  return run.result();
}
