/**
 * DEMO PLUMBING (not the product transport): the Node IPC link between the demo's device process
 * and its service child process (`child_process.fork`, `process.send`). Everything that crosses it
 * is bytes in the canonical codec (`protocols/wire.ts`): protocol envelopes as `encodeMessage`,
 * RPC arguments and results as `encodePayload` (bigints tagged as `{$bigint: hex}`).
 *
 * - `IpcServiceConnection` (device side) implements `ServiceConnection`: each call is an RPC; the
 *   service creates its participant in its own process and keeps it under the session id; the
 *   device gets a *remote* stand-in (id, owns) that only `IpcTransport` understands.
 * - `IpcTransport` (device side) implements `PartyTransport`: runs the local participants'
 *   sessions here, tells the service to run its own, routes the envelopes both ways, waits for the
 *   service's `finish` (its durable staging) before calling the local ones, and fails with the
 *   service's error or `SESSION_STALLED` naming it after a timeout.
 * - `serveIpc` (service side) answers those requests with a real `ServiceParty`.
 * @module
 */
import { bytesToHex, hexToBytes } from '../../bytes.js';
import { fail, ProtocolAbort, TkeyTssError, type ErrorCode, type ErrorKind } from '../../errors.js';
import { cryptoRng } from '../../rng.js';
import { Session } from '../../../protocols/session.js';
import type { Message, Payload, PartySpec, Protocol } from '../../../protocols/types.js';
import { decodeMessage, decodePayload, encodeMessage, encodePayload } from '../../../protocols/wire.js';
import { keygen } from '../../../protocols/keygen/index.js';
import { refresh, refreshProtocol } from '../../../protocols/refresh/index.js';
import { aux as auxProtocol, auxRotation, type AuxInput } from '../../../protocols/aux/index.js';
import { presign } from '../../../protocols/presign/index.js';
import { sign } from '../../../protocols/sign/index.js';
import type { AccountRef, ReconcileResult, ServiceConnection } from '../service-api.js';
import type { ServiceParty } from '../service-party.js';
import type { Participant, PartyTransport, SessionPlan } from '../transport.js';

/** What travels over the IPC channel: control fields plus codec bytes. */
export type IpcFrame =
  | { t: 'ready'; identityPub: Uint8Array; primesMs: number; url?: string; busPub?: Uint8Array }
  | { t: 'call'; id: number; method: string; body: Uint8Array }
  | { t: 'result'; id: number; body?: Uint8Array; error?: Uint8Array }
  | { t: 'run'; sid: string; body: Uint8Array }
  | { t: 'msg'; bytes: Uint8Array }
  | { t: 'done'; sid: string }
  | { t: 'fail'; sid: string; error: Uint8Array }
  | { t: 'cancel'; sid: string }
  | { t: 'exit' };

export interface IpcEndpoint {
  send(frame: IpcFrame): void;
  on(listener: (frame: IpcFrame) => void): () => void;
}

/** The library error for `code` as a value (to reject with). */
function errorOf(code: ErrorCode, message: string, details?: Record<string, unknown>): unknown {
  try {
    return fail(code, message, details);
  } catch (e) {
    return e;
  }
}

// ---- values ⇄ codec bytes --------------------------------------------------------------------

function toWire(v: unknown): Payload {
  if (typeof v === 'bigint') return { $bigint: v.toString(16) };
  if (v === null || typeof v === 'boolean' || typeof v === 'string' || typeof v === 'number') return v;
  if (v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map(toWire);
  if (typeof v === 'object') {
    const out: Record<string, Payload> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) out[k] = toWire(x);
    return out;
  }
  return fail('INVALID_ARGUMENT', `ipc: cannot encode a ${typeof v}`);
}
function fromWire(p: Payload): unknown {
  if (p === null || typeof p !== 'object' || p instanceof Uint8Array) return p;
  if (Array.isArray(p)) return p.map(fromWire);
  const o = p as Record<string, Payload>;
  const keys = Object.keys(o);
  if (keys.length === 1 && keys[0] === '$bigint' && typeof o.$bigint === 'string') return BigInt('0x' + o.$bigint);
  return Object.fromEntries(keys.map((k) => [k, fromWire(o[k]!)]));
}
export const encodeValue = (v: unknown): Uint8Array => encodePayload(toWire(v));
export const decodeValue = (b: Uint8Array): unknown => fromWire(decodePayload(new Uint8Array(b)));

export function encodeError(e: unknown): Uint8Array {
  if (e instanceof ProtocolAbort) return encodeValue({ abort: { reason: e.reason, round: e.round, culprits: [...e.culprits] }, message: e.message });
  if (e instanceof TkeyTssError) {
    let details: unknown;
    try {
      details = e.details === undefined ? undefined : decodeValue(encodeValue(e.details));
    } catch {
      details = undefined; // details that are not plain data stay behind
    }
    return encodeValue({ kind: e.kind, code: e.code, message: e.message.replace(/^\[[A-Z_]+\] /, ''), details });
  }
  return encodeValue({ kind: 'InternalBug', code: 'INTERNAL_BUG', message: `service process: ${String((e as Error)?.stack ?? e)}` });
}
export function decodeError(b: Uint8Array): Error {
  const o = decodeValue(b) as { kind?: ErrorKind; code?: string; message?: string; details?: Record<string, unknown>; abort?: { reason: string; round: number; culprits: number[] } };
  if (o.abort) return new ProtocolAbort(o.abort.reason, o.abort.round, o.abort.culprits, `(at the service) ${o.message ?? ''}`);
  return new TkeyTssError(o.kind ?? 'InternalBug', o.code ?? 'INTERNAL_BUG', o.message ?? 'service error', o.details);
}

// ---- device side -----------------------------------------------------------------------------

const REMOTE = Symbol('tkey-tss/demo/remote-participant');
type RemoteParticipant = Participant<never, never> & { [REMOTE]: true };

/** `ServiceConnection` over the IPC link. */
export class IpcServiceConnection implements ServiceConnection {
  readonly identityPub: Uint8Array;
  readonly #link: IpcEndpoint;
  #next = 1;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();

  constructor(link: IpcEndpoint, identityPub: Uint8Array) {
    this.#link = link;
    this.identityPub = Uint8Array.from(identityPub);
    link.on((f) => {
      if (f.t !== 'result') return;
      const p = this.#pending.get(f.id);
      if (!p) return;
      this.#pending.delete(f.id);
      if (f.error) p.reject(decodeError(f.error));
      else p.resolve(decodeValue(f.body!));
    });
  }

  #call(method: string, account: AccountRef, req?: unknown): Promise<unknown> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#link.send({ t: 'call', id, method, body: encodeValue({ account, req }) });
    });
  }
  async #participant(method: string, account: AccountRef, req: unknown): Promise<never> {
    const r = (await this.#call(method, account, req)) as { id: number; owns: number[] };
    const stub: RemoteParticipant = { id: r.id, owns: r.owns, input: undefined as never, rng: cryptoRng, finish: async () => undefined, [REMOTE]: true };
    return stub as never;
  }
  keygenParticipant: ServiceConnection['keygenParticipant'] = (a, r) => this.#participant('keygenParticipant', a, r);
  refreshParticipant: ServiceConnection['refreshParticipant'] = (a, r) => this.#participant('refreshParticipant', a, r);
  auxParticipant: ServiceConnection['auxParticipant'] = (a, r) => this.#participant('auxParticipant', a, r);
  presignParticipant: ServiceConnection['presignParticipant'] = (a, r) => this.#participant('presignParticipant', a, r);
  signParticipant: ServiceConnection['signParticipant'] = (a, r) => this.#participant('signParticipant', a, r);
  finalize(account: AccountRef): Promise<ReconcileResult> {
    return this.#call('finalize', account) as Promise<ReconcileResult>;
  }
}

/** `PartyTransport` over the IPC link: local sessions here, the service's in its process. */
export class IpcTransport implements PartyTransport {
  readonly #link: IpcEndpoint;
  /** No frame from the service for this long → `SESSION_STALLED` naming it (default 120 s). */
  timeoutMs: number;
  constructor(link: IpcEndpoint, opts: { timeoutMs?: number } = {}) {
    this.#link = link;
    this.timeoutMs = opts.timeoutMs ?? 120_000;
  }

  async run<I, S, O>(plan: SessionPlan<I, S, O>): Promise<void> {
    const sidHex = bytesToHex(plan.sid);
    const parties: PartySpec[] = plan.participants.map((p) => ({ id: p.id, owns: [...p.owns] }));
    const remote = plan.participants.filter((p) => (p as Partial<RemoteParticipant>)[REMOTE] === true);
    const local = plan.participants.filter((p) => !remote.includes(p));
    if (remote.length !== 1) fail('INVALID_ARGUMENT', 'ipc transport: expected exactly one service participant');
    const protocol = typeof plan.protocol === 'function' ? plan.protocol((self) => local.find((p) => p.id === self)?.extensionInput) : plan.protocol;
    const sessions = new Map(local.map((p) => [p.id, Session.create(protocol, { sid: plan.sid, self: p.id, parties, threshold: plan.threshold }, p.input, { rng: p.rng })]));
    const remoteId = remote[0]!.id;
    const outcome = new Promise<void>((resolve, reject) => {
      let remoteDone = false;
      const ms = this.timeoutMs;
      const stalled = () => settle(errorOf('SESSION_STALLED', `${protocol.name}: party ${remoteId} (the service) sent nothing for ${ms} ms`, { stalled: [remoteId] }));
      let timer = setTimeout(stalled, ms);
      const settle = (e?: unknown) => {
        clearTimeout(timer);
        off();
        if (e === undefined) resolve();
        else {
          this.#link.send({ t: 'cancel', sid: sidHex });
          reject(e);
        }
      };
      const check = () => {
        if (remoteDone && [...sessions.values()].every((s) => s.status === 'done')) settle();
      };
      const route = (msgs: Message[], from: number) => {
        for (const m of msgs) {
          for (const [id, s] of sessions) if (id !== from && (m.to === null || m.to === id)) route(s.receive(m), id);
          if (m.to === null || m.to === remoteId) this.#link.send({ t: 'msg', bytes: encodeMessage(m) });
        }
      };
      const off = this.#link.on((f) => {
        try {
          if (f.t === 'msg') {
            const m = decodeMessage(new Uint8Array(f.bytes));
            if (bytesToHex(m.sid) !== sidHex) return;
            clearTimeout(timer);
            timer = setTimeout(stalled, ms);
            for (const [id, s] of sessions) if (m.to === null || m.to === id) route(s.receive(m), id);
            check();
          } else if (f.t === 'done' && f.sid === sidHex) {
            remoteDone = true;
            check();
          } else if (f.t === 'fail' && f.sid === sidHex) settle(decodeError(f.error));
        } catch (e) {
          settle(e);
        }
      });
      try {
        const first = [...sessions].map(([id, s]) => [id, s.start()] as const);
        this.#link.send({ t: 'run', sid: sidHex, body: encodeValue({ parties, threshold: plan.threshold }) });
        for (const [id, msgs] of first) route(msgs, id);
        check();
      } catch (e) {
        settle(e);
      }
    });
    try {
      await outcome;
    } catch (e) {
      // the run ends at the first failure, so a local session that aborted raised `e` itself
      if (e instanceof ProtocolAbort) for (const p of local) if (p.aborted && sessions.get(p.id)!.status === 'aborted') await p.aborted(e);
      throw e;
    }
    for (const p of local) await p.finish(sessions.get(p.id)!.output as O);
  }
}

// ---- service side ----------------------------------------------------------------------------

type AnyParticipant = Participant<unknown, unknown>;
const PROTOCOL_OF: Record<string, (p: AnyParticipant, req: { rotateAux?: boolean }) => Protocol<unknown, unknown, unknown>> = {
  keygenParticipant: () => keygen as Protocol<unknown, unknown, unknown>,
  refreshParticipant: (p, req) => (req.rotateAux ? refreshProtocol(auxRotation(() => p.extensionInput as AuxInput)) : refresh) as Protocol<unknown, unknown, unknown>,
  auxParticipant: () => auxProtocol as Protocol<unknown, unknown, unknown>,
  presignParticipant: () => presign as Protocol<unknown, unknown, unknown>,
  signParticipant: () => sign as Protocol<unknown, unknown, unknown>,
};

/** Answer a device's requests with `service` (in the service's process). */
export function serveIpc(service: ServiceParty, link: IpcEndpoint): void {
  const waiting = new Map<string, { participant: AnyParticipant; protocol: Protocol<unknown, unknown, unknown> }>();
  const live = new Map<string, { session: Session<unknown, unknown, unknown>; participant: AnyParticipant; finishing: boolean }>();
  const failed = (sid: string, e: unknown) => {
    const l = live.get(sid);
    live.delete(sid);
    waiting.delete(sid);
    // the service's own session aborted: its owner records it before the device hears of it
    const own = e instanceof ProtocolAbort && l?.session.status === 'aborted' && l.participant.aborted ? l.participant.aborted(e) : Promise.resolve();
    own.then(
      () => link.send({ t: 'fail', sid, error: encodeError(e) }),
      (e2: unknown) => link.send({ t: 'fail', sid, error: encodeError(e2) }),
    );
  };
  const emit = (sid: string, msgs: Message[]) => {
    for (const m of msgs) link.send({ t: 'msg', bytes: encodeMessage(m) });
    const l = live.get(sid);
    if (l && l.session.status === 'done' && !l.finishing) {
      l.finishing = true;
      l.participant.finish(l.session.output).then(
        () => {
          live.delete(sid);
          link.send({ t: 'done', sid });
        },
        (e) => failed(sid, e),
      );
    }
  };
  link.on((f) => {
    if (f.t === 'call') {
      void (async () => {
        try {
          const { account, req } = decodeValue(f.body) as { account: AccountRef; req: Record<string, unknown> };
          if (f.method === 'finalize') return link.send({ t: 'result', id: f.id, body: encodeValue(await service.finalize(account)) });
          const make = PROTOCOL_OF[f.method];
          if (!make) return fail('INVALID_ARGUMENT', `ipc: unknown method ${f.method}`);
          const call = (service as unknown as Record<string, (a: AccountRef, r: unknown) => Promise<AnyParticipant>>)[f.method]!.bind(service);
          const participant = await call(account, req);
          waiting.set(bytesToHex(req.sid as Uint8Array), { participant, protocol: make(participant, req as { rotateAux?: boolean }) });
          link.send({ t: 'result', id: f.id, body: encodeValue({ id: participant.id, owns: [...participant.owns] }) });
        } catch (e) {
          link.send({ t: 'result', id: f.id, error: encodeError(e) });
        }
      })();
    } else if (f.t === 'run') {
      const w = waiting.get(f.sid);
      if (!w) return failed(f.sid, errorOf('NOT_FOUND', `no service session ${f.sid.slice(0, 12)}…`));
      waiting.delete(f.sid);
      try {
        const { parties, threshold } = decodeValue(f.body) as { parties: PartySpec[]; threshold: number };
        const session = Session.create(w.protocol, { sid: hexToBytes(f.sid), self: w.participant.id, parties, threshold }, w.participant.input, { rng: w.participant.rng });
        live.set(f.sid, { session, participant: w.participant, finishing: false });
        emit(f.sid, session.start());
      } catch (e) {
        failed(f.sid, e);
      }
    } else if (f.t === 'msg') {
      let sid = '';
      try {
        const m = decodeMessage(new Uint8Array(f.bytes));
        sid = bytesToHex(m.sid);
        const l = live.get(sid);
        if (!l) return;
        emit(sid, l.session.receive(m));
      } catch (e) {
        if (sid) failed(sid, e);
      }
    } else if (f.t === 'cancel') {
      live.delete(f.sid);
      waiting.delete(f.sid);
    }
  });
}

/** The IPC endpoint of a forked child (parent side) or of `process` (child side). */
export function processEndpoint(proc: { send?(m: IpcFrame): boolean; on(ev: 'message', l: (m: unknown) => void): unknown; off(ev: 'message', l: (m: unknown) => void): unknown }): IpcEndpoint {
  return {
    send: (frame) => {
      if (!proc.send) fail('INVALID_ARGUMENT', 'ipc: no IPC channel');
      proc.send(frame);
    },
    on: (listener) => {
      const l = (m: unknown) => listener(m as IpcFrame);
      proc.on('message', l);
      return () => void proc.off('message', l);
    },
  };
}
