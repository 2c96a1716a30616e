/**
 * The `ServiceConnection` over the bus: `serveService` on the service's node, `connectService` on
 * the device's. Requests and responses are envelopes `{sid: the link's connection sid, protocol:
 * "bus/rpc", round: 0, from: 0, to: 0, payload}` sealed by the secure channel (authenticated and
 * encrypted between the two identity keys; the connection sid is fresh per handshake, so a request
 * can never be replayed into another connection).
 *
 *   request  := { a: args, id: uint, m: method }   (exact keys; args = {account: {metadataPub, tssTag},
 *               req: the method's fields only — `REQ_FIELDS`; anything else: BUS_FRAME_INVALID, nothing runs)
 *   response := { id, ok: result } | { id, err: { code, kind, message, reason?, round?, culprits?, details? } }
 *
 * A `*Participant` request makes the service build its participant (its policy checks and sid
 * registration run first: `service-policy.ts`, `service-sid.ts`), start its session at once — under
 * the JOINT sid, with the threshold and parties it agreed to, never the request's word — on its own
 * `BusPartyTransport` (the device's parties remote over this link), and answer
 * `{id, owns, session: {sid, threshold, parties}}`; the device gets a `remoteParticipant` bound to
 * that session (`Participant.session`) and runs its side under `session.sid`. Errors come back with their code and class
 * (`ProtocolAbort` with reason, round and culprits); foreign errors as `BUS_REMOTE_ERROR`.
 * Big integers (`deviceN`) travel as big-endian bytes.
 * @module
 */
import { abytes, bytesToNumberBE, numberToBytesBE } from '../bytes.js';
import { ERROR_CODES, fail, InternalBug, InvalidInput, isTkeyTssError, ProtocolAbort, type ErrorCode } from '../errors.js';
import type { Envelope, WirePayload } from '../bus/codec.js';
import { encodePayload } from '../bus/codec.js';
import { RPC_PROTOCOL, type Link, type LinkServer } from '../bus/session-link.js';
import { keygen } from '../../protocols/keygen/index.js';
import { refresh, refreshProtocol } from '../../protocols/refresh/index.js';
import { aux, auxRotation, type AuxInput } from '../../protocols/aux/index.js';
import { presign } from '../../protocols/presign/index.js';
import { sign } from '../../protocols/sign/index.js';
import { BusPartyTransport, remoteParticipant, type BusPartyTransportOptions } from './bus-transport.js';
import type { AccountRef, ServiceConnection, ServiceParticipant } from './service-api.js';
import type { Participant, PlanProtocol, SessionBinding } from './transport.js';

const METHODS = ['identityPub', 'keygenParticipant', 'refreshParticipant', 'finalize', 'auxParticipant', 'presignParticipant', 'signParticipant'] as const;
type Method = (typeof METHODS)[number];

function isMap(v: unknown): v is Record<string, WirePayload> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** The request fields each method takes; any other field is refused (the service never guesses what a field means). */
const REQ_FIELDS: Record<Exclude<Method, 'identityPub' | 'finalize'>, readonly string[]> = {
  keygenParticipant: ['sid', 'parties', 'threshold'],
  refreshParticipant: ['sid', 'parties', 'threshold', 'base', 'dealers', 'rotateAux'],
  auxParticipant: ['sid', 'index', 'signers'],
  presignParticipant: ['sid', 'index', 'base', 'deviceN', 'shift', 'signers'],
  signParticipant: ['sid', 'index', 'base', 'presignSid', 'digest', 'shift', 'signers'],
};

function onlyKeys(o: Record<string, WirePayload>, allowed: readonly string[], title: string): void {
  const extra = Object.keys(o).filter((k) => !allowed.includes(k));
  if (extra.length > 0) fail('BUS_FRAME_INVALID', `${title}: unknown field(s) ${extra.map((k) => JSON.stringify(k)).join(', ')}`, { fields: extra });
}

/** `{account, req}` of a request, checked field by field: exact keys at every level. */
function strictArgs(m: Exclude<Method, 'identityPub'>, a: WirePayload): { account: Record<string, WirePayload>; req: Record<string, WirePayload> | null } {
  if (!isMap(a)) return fail('BUS_FRAME_INVALID', `${m}: args must be a map {account, req}`);
  onlyKeys(a, ['account', 'req'], `${m} args`);
  const { account, req } = a;
  if (!isMap(account)) return fail('BUS_FRAME_INVALID', `${m}: args.account must be a map {metadataPub, tssTag}`);
  onlyKeys(account, ['metadataPub', 'tssTag'], `${m} args.account`);
  if (m === 'finalize') {
    if (req !== null && req !== undefined) fail('BUS_FRAME_INVALID', 'finalize: args.req must be nil');
    return { account, req: null };
  }
  if (!isMap(req)) return fail('BUS_FRAME_INVALID', `${m}: args.req must be a map`);
  onlyKeys(req, REQ_FIELDS[m], `${m} args.req`);
  return { account, req };
}

/** Request args → wire (bigints as big-endian bytes). */
function argsToWire(req: Record<string, unknown> | undefined): WirePayload {
  if (req === undefined) return null;
  const out: Record<string, unknown> = { ...req };
  if (typeof out.deviceN === 'bigint') {
    const n = out.deviceN;
    if (n <= 0n) fail('INVALID_ARGUMENT', 'deviceN: expected a positive modulus');
    out.deviceN = numberToBytesBE(n, Math.ceil(n.toString(16).length / 2));
  }
  return out as WirePayload;
}

function errorToWire(e: unknown): WirePayload {
  if (e instanceof ProtocolAbort) return { code: e.code, culprits: [...e.culprits], kind: e.kind, message: e.message, reason: e.reason, round: e.round };
  if (isTkeyTssError(e)) {
    let details: WirePayload = null;
    try {
      if (e.details) {
        encodePayload(e.details as WirePayload);
        details = e.details as WirePayload;
      }
    } catch {
      details = null;
    }
    return { code: e.code, details, kind: e.kind, message: e.message.replace(/^\[[A-Z_]+\] /, '') };
  }
  return { code: 'BUS_REMOTE_ERROR', kind: 'InternalBug', message: e instanceof Error ? e.message : String(e) };
}

function errorFromWire(w: WirePayload): Error {
  if (!isMap(w) || typeof w.code !== 'string' || typeof w.message !== 'string') return new InternalBug('a malformed error response', {}, 'BUS_REMOTE_ERROR');
  if (w.kind === 'ProtocolAbort' && typeof w.reason === 'string' && typeof w.round === 'number' && Array.isArray(w.culprits)) {
    return new ProtocolAbort(w.reason, w.round, w.culprits as number[], 'reported by the service');
  }
  if (w.code in ERROR_CODES && w.code !== 'PROTOCOL_ABORT') {
    try {
      fail(w.code as ErrorCode, w.message, isMap(w.details) ? (w.details as Record<string, unknown>) : undefined);
    } catch (e) {
      return e as Error;
    }
  }
  return new InternalBug(`the service failed: ${w.message}`, { message: w.message, code: w.code }, 'BUS_REMOTE_ERROR');
}

/** Keep `fn` subscribed to the link's current connection sid (it changes on every reconnection). */
function followConnection(link: Link, fn: (env: Envelope) => void): () => void {
  let off: (() => void) | null = null;
  const sub = (): void => {
    off?.();
    off = link.connectionSid ? link.subscribe(link.connectionSid, (env) => env.protocol === RPC_PROTOCOL && env.from === 0 && env.to === 0 && fn(env)) : null;
  };
  sub();
  const offReady = link.onReady(sub);
  return () => {
    offReady();
    off?.();
  };
}

export interface ServeServiceOptions extends BusPartyTransportOptions {
  /** Errors of background sessions (a stalled or aborted session on the service side). */
  onError?: (e: unknown, info: { method: string; link: Link }) => void;
}

/**
 * Serve `party` (a `ServiceParty`, or anything implementing `ServiceConnection`) to every link of
 * `links` (a `LinkServer`, e.g. `listenLinks(...).links`, or a single `Link`). Returns a stop function.
 */
export function serveService(party: ServiceConnection, links: LinkServer | Link, opts: ServeServiceOptions = {}): () => void {
  if (typeof party !== 'object' || party === null || typeof party.keygenParticipant !== 'function') fail('INVALID_ARGUMENT', 'party: expected a ServiceConnection (e.g. ServiceParty)');
  const transport = new BusPartyTransport(opts);
  const offs: (() => void)[] = [];
  const serveLink = (link: Link): void => {
    offs.push(
      followConnection(link, (env) => {
        const p = env.payload;
        if (!isMap(p) || typeof p.id !== 'number' || typeof p.m !== 'string' || !Object.hasOwn(p, 'a')) return;
        const id = p.id;
        if (Object.keys(p).length !== 3) {
          link.send({ sid: env.sid, protocol: RPC_PROTOCOL, round: 0, from: 0, to: 0, payload: { err: errorToWire(new InvalidInput('BUS_FRAME_INVALID', 'request: expected exactly {a, id, m}')), id } });
          return;
        }
        const reply = (payload: WirePayload): void => {
          link.send({ sid: env.sid, protocol: RPC_PROTOCOL, round: 0, from: 0, to: 0, payload });
        };
        handle(link, p.m, p.a).then(
          (ok) => reply({ id, ok }),
          (e: unknown) => reply({ err: errorToWire(e), id }),
        );
      }),
    );
  };
  const background = <I, S, O>(method: string, link: Link, plan: { protocol: PlanProtocol<I, S, O>; sid: Uint8Array; threshold: number; participants: Participant<I, O>[] }): void => {
    transport.run(plan).catch((e: unknown) => opts.onError?.(e, { method, link }));
  };
  const handle = async (link: Link, m: string, a: WirePayload): Promise<WirePayload> => {
    if (!(METHODS as readonly string[]).includes(m)) return fail('INVALID_ARGUMENT', `unknown method ${m}`);
    const method = m as Method;
    if (method === 'identityPub') return party.identityPub;
    const args = strictArgs(method, a);
    const account = args.account as unknown as AccountRef;
    const req = (args.req ?? {}) as Record<string, WirePayload>;
    if (method === 'finalize') return (await party.finalize(account)) as unknown as WirePayload;
    // the session runs exactly as the service agreed: its joint sid, threshold and parties
    const planOf = <I, S, O>(p: ServiceParticipant<I, O>, protocol: PlanProtocol<I, S, O>) => ({
      protocol,
      sid: p.session.sid,
      threshold: p.session.threshold,
      participants: [p, ...p.session.parties.filter((q) => q.id !== p.id).map((q) => remoteParticipant<I, O>(link, q.id, q.owns))],
    });
    let part: ServiceParticipant<unknown, unknown>;
    switch (method) {
      case 'keygenParticipant': {
        const r = req as unknown as Parameters<ServiceConnection['keygenParticipant']>[1];
        const p = await party.keygenParticipant(account, r);
        background(method, link, planOf(p, keygen));
        part = p as ServiceParticipant<unknown, unknown>;
        break;
      }
      case 'refreshParticipant': {
        const r = req as unknown as Parameters<ServiceConnection['refreshParticipant']>[1];
        const p = await party.refreshParticipant(account, r);
        const protocol: PlanProtocol<never, never, never> = r.rotateAux ? ((inputOf: (self: number) => unknown) => refreshProtocol(auxRotation((self) => inputOf(self) as AuxInput))) as never : (refresh as never);
        background(method, link, planOf(p as never, protocol));
        part = p as ServiceParticipant<unknown, unknown>;
        break;
      }
      case 'auxParticipant': {
        const r = req as unknown as Parameters<ServiceConnection['auxParticipant']>[1];
        const p = await party.auxParticipant(account, r);
        background(method, link, planOf(p, aux));
        part = p as ServiceParticipant<unknown, unknown>;
        break;
      }
      case 'presignParticipant': {
        const w = req as Record<string, WirePayload>;
        const r = { ...(w as object), deviceN: bytesToNumberBE(abytes(w.deviceN, 'req.deviceN')) } as unknown as Parameters<ServiceConnection['presignParticipant']>[1];
        const p = await party.presignParticipant(account, r);
        background(method, link, planOf(p, presign));
        part = p as ServiceParticipant<unknown, unknown>;
        break;
      }
      case 'signParticipant': {
        const r = req as unknown as Parameters<ServiceConnection['signParticipant']>[1];
        const p = await party.signParticipant(account, r);
        background(method, link, planOf(p, sign));
        part = p as ServiceParticipant<unknown, unknown>;
        break;
      }
    }
    const b = part.session;
    return { id: part.id, owns: [...part.owns], session: { parties: b.parties.map((q) => ({ id: q.id, owns: [...q.owns] })), sid: b.sid, threshold: b.threshold } };
  };
  if ('onLink' in links) offs.push(links.onLink(serveLink));
  else serveLink(links);
  return () => {
    for (const f of offs) f();
  };
}

export interface ConnectServiceOptions {
  /** Per-call timeout (default 120 s). */
  callMs?: number;
  /** How long to wait for the link (default 30 s). */
  readyMs?: number;
}

/** The device's `ServiceConnection` to the service behind `link`. Participants it returns are remote: run them with a `BusPartyTransport`. */
export async function connectService(link: Link, opts: ConnectServiceOptions = {}): Promise<ServiceConnection> {
  if (typeof link !== 'object' || link === null || typeof link.subscribe !== 'function') fail('INVALID_ARGUMENT', 'link: expected a bus Link');
  const callMs = opts.callMs ?? 120_000;
  await link.whenReady(opts.readyMs ?? 30_000);
  let next = 1;
  const pending = new Map<number, { resolve: (v: WirePayload) => void; reject: (e: unknown) => void; timer: ReturnType<typeof setTimeout> }>();
  followConnection(link, (env) => {
    const p = env.payload;
    if (!isMap(p) || typeof p.id !== 'number') return;
    const w = pending.get(p.id);
    if (!w) return;
    pending.delete(p.id);
    clearTimeout(w.timer);
    if ('err' in p) w.reject(errorFromWire(p.err!));
    else w.resolve(p.ok ?? null);
  });
  link.onDown(() => {
    for (const [id, w] of pending) {
      clearTimeout(w.timer);
      w.reject(new InternalBug('the connection to the service dropped during the call; retry', { id }, 'BUS_CLOSED'));
    }
    pending.clear();
  });
  const call = async (m: Method, a: WirePayload): Promise<WirePayload> => {
    await link.whenReady(opts.readyMs ?? 30_000);
    const id = next++;
    return new Promise<WirePayload>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new InternalBug(`service call ${m} got no response in ${callMs} ms`, { method: m }, 'BUS_TIMEOUT'));
      }, callMs);
      pending.set(id, { resolve, reject, timer });
      if (!link.send({ sid: link.connectionSid!, protocol: RPC_PROTOCOL, round: 0, from: 0, to: 0, payload: { a, id, m } })) {
        pending.delete(id);
        clearTimeout(timer);
        reject(new InternalBug('the connection to the service is down', { method: m }, 'BUS_CLOSED'));
      }
    });
  };
  const identityPub = abytes(await call('identityPub', null), 'identityPub', 33);
  const participant = async <I, O>(m: Method, account: AccountRef, req: object): Promise<ServiceParticipant<I, O>> => {
    const r = await call(m, { account: account as unknown as WirePayload, req: argsToWire(req as Record<string, unknown>) });
    if (!isMap(r) || typeof r.id !== 'number' || !Array.isArray(r.owns) || !isMap(r.session)) return fail('BUS_FRAME_INVALID', `${m}: malformed response`);
    const b = r.session;
    if (!(b.sid instanceof Uint8Array) || typeof b.threshold !== 'number' || !Array.isArray(b.parties) || !b.parties.every((q) => isMap(q) && typeof q.id === 'number' && Array.isArray(q.owns)))
      return fail('BUS_FRAME_INVALID', `${m}: malformed session in the response`);
    const session: SessionBinding = { sid: b.sid, threshold: b.threshold, parties: (b.parties as { id: number; owns: number[] }[]).map((q) => ({ id: q.id, owns: [...q.owns] })) };
    return Object.assign(remoteParticipant<I, O>(link, r.id, r.owns as number[]), { session });
  };
  const conn: ServiceConnection = {
    identityPub,
    keygenParticipant: (account, req) => participant('keygenParticipant', account, req),
    refreshParticipant: (account, req) => participant('refreshParticipant', account, req),
    auxParticipant: (account, req) => participant('auxParticipant', account, req),
    presignParticipant: (account, req) => participant('presignParticipant', account, req),
    signParticipant: (account, req) => participant('signParticipant', account, req),
    finalize: async (account) => (await call('finalize', { account: account as unknown as WirePayload, req: null })) as unknown as Awaited<ReturnType<ServiceConnection['finalize']>>,
  };
  return conn;
}
