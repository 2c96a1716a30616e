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
 *
 * `signOnline` opens no session: the request carries the device's sign round-1 partials
 * (`partials: [{id, payload: {m, sigma, tag}}]`), the answer is `{partial: the service's {m, sigma,
 * tag}, sid: the joint sid}` (`sign-online.ts`); admitted, rate-capped and metered as a sign.
 *
 * Logins (`ServeServiceOptions.guard`, the server's co-signing service): `login {idToken}` and
 * `resume {session}` answer `{session, subject: {iss, sub}, expiresAt, node?}` (`node`: the serving
 * process's instance id, `ServeServiceOptions.node`) and authenticate THIS
 * connection (its connection sid); every other method except `identityPub` is `AUTH_REQUIRED`
 * until one succeeded on the connection (again after every reconnection, and once the session
 * expired), then the guard authorizes it (`admit`: the account's owner, per-account caps) before
 * anything runs. The ID token's nonce binds it to the device's bus key (`loginNonce`).
 * @module
 */
import { abytes, bytesToBase64Url, bytesToHex, bytesToNumberBE, numberToBytesBE } from '../bytes.js';
import { sha256 } from '../hash.js';
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

/**
 * The `nonce` an ID token for a login on a connection authenticated as `devicePub` (the device's
 * bus identity key, 33 bytes SEC1) must carry: base64url(SHA-256(devicePub)), no padding. A wallet
 * asks its OpenID provider for an ID token with exactly this nonce.
 */
export function loginNonce(devicePub: Uint8Array): string {
  return bytesToBase64Url(sha256(abytes(devicePub, 'devicePub', 33)));
}

/** What `login` / `resume` answer: the service session (opaque, secret), who it is for, its expiry (seconds). */
export interface ServiceGrant {
  session: string;
  subject: { iss: string; sub: string };
  expiresAt: number;
  /**
   * The serving node's instance id (random per server process start, `ServeServiceOptions.node`):
   * sessions live in one node's memory, so a device whose link comes back on another instance knows
   * its sessions under way are gone (`connectService` ends them at once instead of waiting `stallMs`).
   */
  node?: string;
}

/** The server side of logins and authorization (`serveService` option `guard`). */
export interface RpcGuard {
  /** Verify an ID token for the device `devicePub`; a new service session. */
  login(idToken: unknown, devicePub: Uint8Array): Promise<ServiceGrant>;
  /** Check a service session presented by `devicePub`. */
  resume(session: unknown, devicePub: Uint8Array): Promise<ServiceGrant>;
  /**
   * Before `method` runs for `account` on behalf of `subject`: authorization and caps (throws to
   * refuse: nothing runs). Returns the release, called once the session the method opens ends
   * (at once when it opens none or fails before) with the call's error if it failed. `sid`: the
   * request's device sid part (a sign's stale-nonce retry is counted once against the sign rate).
   */
  admit(call: { method: string; account: AccountRef; subject: { iss: string; sub: string }; devicePub: Uint8Array; sid?: Uint8Array }): Promise<(error?: unknown) => void>;
  /** Seconds since the epoch (session expiry). */
  nowS(): number;
}

const METHODS = ['identityPub', 'login', 'resume', 'keygenParticipant', 'refreshParticipant', 'finalize', 'auxParticipant', 'presignParticipant', 'signParticipant', 'signOnline'] as const;
type Method = (typeof METHODS)[number];

function isMap(v: unknown): v is Record<string, WirePayload> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** The request fields each method takes; any other field is refused (the service never guesses what a field means). */
const REQ_FIELDS: Record<Exclude<Method, 'identityPub' | 'finalize' | 'login' | 'resume'>, readonly string[]> = {
  keygenParticipant: ['sid', 'parties', 'threshold'],
  refreshParticipant: ['sid', 'parties', 'threshold', 'base', 'dealers', 'rotateAux'],
  auxParticipant: ['sid', 'index', 'signers'],
  presignParticipant: ['sid', 'index', 'base', 'deviceN', 'shift', 'signers'],
  signParticipant: ['sid', 'index', 'base', 'presignSid', 'digest', 'shift', 'signers'],
  signOnline: ['sid', 'index', 'base', 'presignSid', 'digest', 'shift', 'signers', 'partials', 'nonce'],
};

function onlyKeys(o: Record<string, WirePayload>, allowed: readonly string[], title: string): void {
  const extra = Object.keys(o).filter((k) => !allowed.includes(k));
  if (extra.length > 0) fail('BUS_FRAME_INVALID', `${title}: unknown field(s) ${extra.map((k) => JSON.stringify(k)).join(', ')}`, { fields: extra });
}

/** `{account, req}` of a request, checked field by field: exact keys at every level. */
function strictArgs(m: Exclude<Method, 'identityPub' | 'login' | 'resume'>, a: WirePayload): { account: Record<string, WirePayload>; req: Record<string, WirePayload> | null } {
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

/** `login {idToken}` / `resume {session}`: exactly one string field. */
function strictAuthArgs(m: 'login' | 'resume', a: WirePayload): string {
  const field = m === 'login' ? 'idToken' : 'session';
  if (!isMap(a)) return fail('BUS_FRAME_INVALID', `${m}: args must be a map {${field}}`);
  onlyKeys(a, [field], `${m} args`);
  const v = a[field];
  if (typeof v !== 'string') return fail('BUS_FRAME_INVALID', `${m}: args.${field} must be a string`);
  return v;
}

const grantToWire = (g: ServiceGrant, node?: string): WirePayload => ({ expiresAt: g.expiresAt, session: g.session, subject: { iss: g.subject.iss, sub: g.subject.sub }, ...(node !== undefined ? { node } : {}) });
const NODE_ID = /^[0-9a-f]{16,64}$/;

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
  /** Require a login per connection and authorize every call (the server's co-signing service). Without it every peer may call (tests, the demo's private link). */
  guard?: RpcGuard;
  /** This server process's instance id (16–64 lowercase hex), sent in every login/resume answer (`ServiceGrant.node`). */
  node?: string;
}

/**
 * Serve `party` (a `ServiceParty`, or anything implementing `ServiceConnection`) to every link of
 * `links` (a `LinkServer`, e.g. `listenLinks(...).links`, or a single `Link`). Returns a stop function.
 */
export function serveService(party: ServiceConnection, links: LinkServer | Link, opts: ServeServiceOptions = {}): () => void {
  if (typeof party !== 'object' || party === null || typeof party.keygenParticipant !== 'function') fail('INVALID_ARGUMENT', 'party: expected a ServiceConnection (e.g. ServiceParty)');
  const transport = new BusPartyTransport(opts);
  const offs: (() => void)[] = [];
  const guard = opts.guard;
  if (opts.node !== undefined && (typeof opts.node !== 'string' || !NODE_ID.test(opts.node))) fail('INVALID_ARGUMENT', 'node: expected 16–64 lowercase hex characters');
  /** The login of each link's connection (by connection sid): gone with the connection. */
  const authed = new WeakMap<Link, { conn: string; grant: ServiceGrant }>();
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
        handle(link, p.m, p.a, bytesToHex(env.sid)).then(
          (ok) => reply({ id, ok }),
          (e: unknown) => reply({ err: errorToWire(e), id }),
        );
      }),
    );
  };
  const background = <I, S, O>(method: string, link: Link, plan: { protocol: PlanProtocol<I, S, O>; sid: Uint8Array; threshold: number; participants: Participant<I, O>[] }, done: (error?: unknown) => void): void => {
    transport.run(plan).then(
      () => done(),
      (e: unknown) => {
        opts.onError?.(e, { method, link });
        done(e);
      },
    );
  };
  const handle = async (link: Link, m: string, a: WirePayload, conn: string): Promise<WirePayload> => {
    if (!(METHODS as readonly string[]).includes(m)) return fail('INVALID_ARGUMENT', `unknown method ${m}`);
    const method = m as Method;
    if (method === 'identityPub') return party.identityPub;
    if (method === 'login' || method === 'resume') {
      if (!guard) return fail('INVALID_ARGUMENT', `${method}: this service takes no logins`);
      const v = strictAuthArgs(method, a);
      const devicePub = link.peerPub!;
      const grant = method === 'login' ? await guard.login(v, devicePub) : await guard.resume(v, devicePub);
      authed.set(link, { conn, grant });
      return grantToWire(grant, opts.node);
    }
    const args = strictArgs(method, a);
    const account = args.account as unknown as AccountRef;
    const req = (args.req ?? {}) as Record<string, WirePayload>;
    if (guard) {
      const state = authed.get(link);
      if (!state || state.conn !== conn) return fail('AUTH_REQUIRED', `${method}: log in (or resume) on this connection first`);
      if (state.grant.expiresAt <= guard.nowS()) return fail('AUTH_REQUIRED', `${method}: the service session expired; log in again`, { expired: true });
      const admitted = await guard.admit({ method, account, subject: state.grant.subject, devicePub: link.peerPub!, ...(req.sid instanceof Uint8Array ? { sid: req.sid } : {}) });
      return dispatch(link, method, account, req, admitted);
    }
    return dispatch(link, method, account, req, () => undefined);
  };
  /** Run `method` (admitted; `done` releases its admission when its session ends, or now if it opens none or fails). */
  const dispatch = async (link: Link, method: Exclude<Method, 'identityPub' | 'login' | 'resume'>, account: AccountRef, req: Record<string, WirePayload>, done: (error?: unknown) => void): Promise<WirePayload> => {
    let handedOff = false;
    let error: unknown;
    try {
      if (method === 'finalize') return (await party.finalize(account)) as unknown as WirePayload;
      if (method === 'signOnline') {
        // the whole online sign in this answer: no session is opened (`sign-online.ts`)
        if (!party.signOnline) return fail('INVALID_ARGUMENT', 'signOnline: this service signs only over a session (signParticipant)');
        const a = await party.signOnline(account, req as unknown as Parameters<NonNullable<ServiceConnection['signOnline']>>[1]);
        return { partial: a.partial as WirePayload, sid: a.sid };
      }
      return await participantCall(link, method, account, req, () => {
        handedOff = true;
        return done;
      });
    } catch (e) {
      error = e;
      throw e;
    } finally {
      if (!handedOff) done(error);
    }
  };
  const participantCall = async (link: Link, method: Exclude<Method, 'identityPub' | 'login' | 'resume' | 'finalize' | 'signOnline'>, account: AccountRef, req: Record<string, WirePayload>, handOff: () => (error?: unknown) => void): Promise<WirePayload> => {
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
        background(method, link, planOf(p, keygen), handOff());
        part = p as ServiceParticipant<unknown, unknown>;
        break;
      }
      case 'refreshParticipant': {
        const r = req as unknown as Parameters<ServiceConnection['refreshParticipant']>[1];
        const p = await party.refreshParticipant(account, r);
        const protocol: PlanProtocol<never, never, never> = r.rotateAux ? ((inputOf: (self: number) => unknown) => refreshProtocol(auxRotation((self) => inputOf(self) as AuxInput))) as never : (refresh as never);
        background(method, link, planOf(p as never, protocol), handOff());
        part = p as ServiceParticipant<unknown, unknown>;
        break;
      }
      case 'auxParticipant': {
        const r = req as unknown as Parameters<ServiceConnection['auxParticipant']>[1];
        const p = await party.auxParticipant(account, r);
        background(method, link, planOf(p, aux), handOff());
        part = p as ServiceParticipant<unknown, unknown>;
        break;
      }
      case 'presignParticipant': {
        const w = req as Record<string, WirePayload>;
        const r = { ...(w as object), deviceN: bytesToNumberBE(abytes(w.deviceN, 'req.deviceN')) } as unknown as Parameters<ServiceConnection['presignParticipant']>[1];
        const p = await party.presignParticipant(account, r);
        background(method, link, planOf(p, presign), handOff());
        part = p as ServiceParticipant<unknown, unknown>;
        break;
      }
      case 'signParticipant': {
        const r = req as unknown as Parameters<ServiceConnection['signParticipant']>[1];
        const p = await party.signParticipant(account, r);
        background(method, link, planOf(p, sign), handOff());
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
  /**
   * Log in on each new connection before its first call (a service with `guard`): given the raw
   * `login` / `resume` calls of that connection. A call refused with AUTH_REQUIRED (the session
   * expired meanwhile) runs it again and is retried once.
   */
  authenticate?: (rpc: AuthRpc) => Promise<void>;
}

/** The two login calls on the current connection. */
export interface AuthRpc {
  login(idToken: string): Promise<ServiceGrant>;
  resume(session: string): Promise<ServiceGrant>;
}

function grantFromWire(w: WirePayload): ServiceGrant {
  if (!isMap(w) || typeof w.session !== 'string' || typeof w.expiresAt !== 'number' || !isMap(w.subject) || typeof w.subject.iss !== 'string' || typeof w.subject.sub !== 'string')
    return fail('BUS_FRAME_INVALID', 'login: malformed response');
  if (w.node !== undefined && (typeof w.node !== 'string' || !NODE_ID.test(w.node))) return fail('BUS_FRAME_INVALID', 'login: malformed node id');
  return { session: w.session, subject: { iss: w.subject.iss, sub: w.subject.sub }, expiresAt: w.expiresAt, ...(typeof w.node === 'string' ? { node: w.node } : {}) };
}

/** The device's `ServiceConnection` to the service behind `link`. Participants it returns are remote: run them with a `BusPartyTransport`. */
export async function connectService(link: Link, opts: ConnectServiceOptions = {}): Promise<ServiceConnection & { authenticated(): Promise<void> }> {
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
  const send = async (m: Method, a: WirePayload): Promise<WirePayload> => {
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
  const rpc: AuthRpc = {
    login: async (idToken) => grantFromWire(await send('login', { idToken })),
    resume: async (session) => grantFromWire(await send('resume', { session })),
  };
  /** The login of the current connection (run once per connection sid). */
  let auth: { conn: string; p: Promise<void> } | null = null;
  const authenticated = async (): Promise<void> => {
    if (!opts.authenticate) return;
    await link.whenReady(opts.readyMs ?? 30_000);
    const conn = bytesToHex(link.connectionSid!);
    if (!auth || auth.conn !== conn) {
      const p = opts.authenticate(rpc);
      const mine = { conn, p };
      auth = mine;
      p.catch(() => {
        if (auth === mine) auth = null;
      });
    }
    await auth.p;
  };
  const call = async (m: Method, a: WirePayload): Promise<WirePayload> => {
    if (m === 'identityPub') return send(m, a);
    await authenticated();
    try {
      return await send(m, a);
    } catch (e) {
      if (!opts.authenticate || !isTkeyTssError(e, 'AUTH_REQUIRED')) throw e;
      auth = null; // the session expired (or the connection changed under the call): log in again, once
      await authenticated();
      return send(m, a);
    }
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
  const conn: ServiceConnection & { authenticated(): Promise<void> } = {
    identityPub,
    /** Log in on the current connection now (else the first call does). */
    authenticated,
    keygenParticipant: (account, req) => participant('keygenParticipant', account, req),
    refreshParticipant: (account, req) => participant('refreshParticipant', account, req),
    auxParticipant: (account, req) => participant('auxParticipant', account, req),
    presignParticipant: (account, req) => participant('presignParticipant', account, req),
    signParticipant: (account, req) => participant('signParticipant', account, req),
    finalize: async (account) => (await call('finalize', { account: account as unknown as WirePayload, req: null })) as unknown as Awaited<ReturnType<ServiceConnection['finalize']>>,
    signOnline: async (account, req) => {
      const r = await call('signOnline', { account: account as unknown as WirePayload, req: argsToWire(req as unknown as Record<string, unknown>) });
      if (!isMap(r) || !(r.sid instanceof Uint8Array) || r.sid.length !== 32 || !isMap(r.partial)) return fail('BUS_FRAME_INVALID', 'signOnline: malformed response');
      return { sid: r.sid, partial: r.partial };
    },
  };
  return conn;
}
