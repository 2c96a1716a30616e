/**
 * `WorkerPartyTransport`: a `PartyTransport` (src/client/transport.ts) that runs every
 * participant's session inside a worker (participant k → worker k mod #workers), routing the wire
 * bytes between them on the host. The main thread only moves bytes and revives outputs; every
 * round runs in a worker.
 *
 *   const transport = new WorkerPartyTransport([await createNodePartyHost(), await createNodePartyHost()]);
 *   await transport.run({ protocol: presign, sid, threshold: 2, participants });   // same plans as SimulatorTransport
 *
 * Plans name their protocol by object: `keygen`, `aux`, `refresh`, `presign`, `sign` (the exported
 * ones), or a factory, which is run as refresh with aux rotation (`refreshProtocol(auxRotation(…))`)
 * with each participant's `extensionInput` as its aux input. `run(plan, {signal, onProgress})` adds
 * cancellation (SESSION_CANCELLED) and per-party progress events.
 * @module
 */
import { fail, InternalBug, InvalidInput } from '../src/errors.js';
import { assertPlan, type PartyTransport, type SessionPlan } from '../src/client/transport.js';
import { aux } from '../protocols/aux/index.js';
import { keygen } from '../protocols/keygen/index.js';
import { presign } from '../protocols/presign/index.js';
import { refresh } from '../protocols/refresh/index.js';
import type { ProgressEvent } from '../protocols/session.js';
import { sign } from '../protocols/sign/index.js';
import type { EngineProtocol } from './protocols.js';
import type { HostStep, PartyHost, PartySession } from './party-host.js';

const KNOWN = new Map<unknown, EngineProtocol>([
  [keygen, 'keygen'],
  [aux, 'aux'],
  [refresh, 'refresh'],
  [presign, 'presign'],
  [sign, 'sign'],
]);

export interface WorkerRunOptions {
  /** Abort the run: every session is cancelled and `run` rejects with SESSION_CANCELLED. */
  signal?: AbortSignal;
  /** Progress of every party (round start/end with ms, live from the workers). */
  onProgress?: (party: number, e: ProgressEvent) => void;
}

/** The engine protocol a plan runs. */
export function engineProtocolOf(plan: SessionPlan<unknown, unknown, unknown>): EngineProtocol {
  if (typeof plan.protocol === 'function') {
    if (!plan.participants.every((p) => p.extensionInput !== undefined)) fail('INVALID_ARGUMENT', 'plan.protocol: a protocol factory runs as refresh with aux rotation; every participant needs its extensionInput (aux input)');
    return 'refresh/aux-rotation';
  }
  const p = KNOWN.get(plan.protocol);
  if (!p) fail('INVALID_ARGUMENT', `plan.protocol: ${String((plan.protocol as { name?: unknown })?.name)} is not a protocol the worker engine runs (keygen, aux, refresh, presign, sign)`);
  return p;
}

export class WorkerPartyTransport implements PartyTransport {
  readonly #hosts: readonly PartyHost[];
  readonly #defaults: WorkerRunOptions;

  constructor(hosts: readonly PartyHost[], defaults: WorkerRunOptions = {}) {
    if (!Array.isArray(hosts) || hosts.length === 0) fail('INVALID_ARGUMENT', 'hosts: expected at least one PartyHost');
    this.#hosts = [...hosts];
    this.#defaults = defaults;
  }

  async run<I, S, O>(plan: SessionPlan<I, S, O>, opts: WorkerRunOptions = {}): Promise<void> {
    assertPlan(plan);
    const signal = opts.signal ?? this.#defaults.signal;
    const onProgress = opts.onProgress ?? this.#defaults.onProgress;
    if (signal?.aborted) fail('SESSION_CANCELLED', 'the run was cancelled before it started');
    const proto = engineProtocolOf(plan as SessionPlan<unknown, unknown, unknown>);
    const parties = plan.participants.map((p) => ({ id: p.id, owns: [...p.owns] }));
    const ids = parties.map((p) => p.id);

    // create every session (inputs are checked in the workers; on a refusal the others are dropped)
    const created = await Promise.allSettled(
      plan.participants.map((p, k) =>
        this.#hosts[k % this.#hosts.length]!.create<O>(proto, { sid: plan.sid, self: p.id, parties, threshold: plan.threshold }, p.input, {
          rng: p.rng,
          ...(p.extensionInput !== undefined ? { extensionInput: p.extensionInput } : {}),
          ...(onProgress ? { onProgress: (e: ProgressEvent) => onProgress(p.id, e) } : {}),
        }),
      ),
    );
    const sessions = new Map<number, PartySession<O>>();
    created.forEach((r, k) => r.status === 'fulfilled' && sessions.set(ids[k]!, r.value));
    const refused = created.find((r) => r.status === 'rejected');
    if (refused) {
      await Promise.allSettled([...sessions.values()].map((s) => s.cancel()));
      throw (refused as PromiseRejectedResult).reason;
    }

    const outputs = new Map<number, O>();
    const inbox = new Map<number, Uint8Array[]>(ids.map((id) => [id, []]));
    const busy = new Set<number>();
    let failure: unknown = null;
    let settle!: () => void;
    const finished = new Promise<void>((res) => (settle = res));

    const done = (): boolean => failure !== null || outputs.size === ids.length || (busy.size === 0 && ids.every((id) => outputs.has(id) || inbox.get(id)!.length === 0));
    const check = (): void => {
      if (done()) settle();
    };
    const stop = (e: unknown): void => {
      if (failure === null) failure = e;
      settle();
    };
    const onAbort = (): void => stop(new InvalidInput('SESSION_CANCELLED', `${proto}: the run was cancelled`));
    signal?.addEventListener('abort', onAbort, { once: true });

    const handle = (id: number, step: HostStep<O>): void => {
      for (const m of step.out) {
        const targets = m.to === null ? ids.filter((j) => j !== id) : [m.to];
        for (const j of targets) {
          const q = inbox.get(j);
          if (!q) return stop(new InternalBug(`${proto}: party ${id} sent to unknown party ${j}`));
          q.push(m.bytes);
          pump(j);
        }
      }
      if (step.output !== undefined) outputs.set(id, step.output);
    };
    const drive = (id: number, call: () => Promise<HostStep<O>>): void => {
      busy.add(id);
      call().then(
        (step) => {
          busy.delete(id);
          if (failure !== null) return;
          handle(id, step);
          pump(id);
          check();
        },
        (e) => {
          busy.delete(id);
          stop(e);
        },
      );
    };
    const pump = (id: number): void => {
      if (failure !== null || busy.has(id) || outputs.has(id)) return;
      const q = inbox.get(id)!;
      if (q.length === 0) return;
      const batch = q.splice(0);
      drive(id, () => sessions.get(id)!.receive(batch));
    };

    for (const id of ids) drive(id, () => sessions.get(id)!.start());
    await finished;
    signal?.removeEventListener('abort', onAbort);
    if (failure !== null) {
      await Promise.allSettled([...sessions].filter(([id]) => !outputs.has(id)).map(([, s]) => s.cancel()));
      throw failure;
    }
    const stalled = ids.filter((id) => !outputs.has(id));
    if (stalled.length > 0) {
      await Promise.allSettled(stalled.map((id) => sessions.get(id)!.cancel()));
      fail('SESSION_STALLED', `${proto}: parties ${stalled.join(', ')} neither finished nor aborted`, { stalled });
    }
    for (const p of plan.participants) await p.finish(outputs.get(p.id)!);
  }
}
