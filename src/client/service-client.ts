/**
 * `connectService(url | url[], {getIdToken, …})`: the device's connection to the co-signing
 * service of a `tkey-tss serve` server, in Node and in browsers.
 *
 *   1. the server's bus key from `GET <url>/v1/service` (unless pinned: `serverPub`) — first URL
 *      that answers, with backoff;
 *   2. a link (`connectLink`: handshake + secure channel under the device's bus identity key
 *      `identityKey`, random by default) over a re-dialling WebSocket to `<url>/v1/bus` that fails
 *      over to the next URL, with exponential backoff, when a server cannot be reached (every node
 *      shares the bus key, so the same link continues on another node);
 *   3. a login with a fresh ID token: `getIdToken({nonce})` must return an ID token whose `nonce`
 *      claim is `nonce` = base64url(SHA-256(device bus key)) (`loginNonce`; ask your OpenID
 *      provider for it) — the service binds the login to this device key;
 *   4. after every reconnection, at once, `resume` with the service session (no new token); a new ID
 *      token only when the session expired or was refused. The answer names the server process
 *      (`ServiceGrant.node`): back on ANOTHER node (failover, restart), the sessions under way on
 *      the link — on `partyTransport` or any other transport, e.g. a `WorkerBusPartyTransport` — are
 *      gone with the old process and end at once with SERVER_UNAVAILABLE (`details.reason:
 *      'node-changed'`; retry the operation) instead of stalling 60 s (`abandonRunsOver`).
 *
 * Errors are typed: AUTH_REQUIRED, AUTH_INVALID (`details.reason`), FORBIDDEN (the account belongs
 * to another login), RATE_LIMITED (`details.retryAfterSeconds`), SERVER_UNAVAILABLE (no server
 * reachable, or shutting down), ACCOUNT_LOCKED. WebSocket: the global one (browsers, Node ≥ 22),
 * else the `ws` package loaded at run time (Node 20) — never imported statically, so browser
 * bundles do not pull it in; or pass `WebSocket`.
 *
 *   const svc = await connectService(['https://a.example', 'https://b.example'], { getIdToken: ({ nonce }) => myOidcLogin(nonce) });
 *   const account = await TssAccount.create({ storage, postboxKey, service: svc, transport: svc.partyTransport, rng, aux });
 *   svc.close();
 * @module
 */
import { abytes, hexToBytes } from '../bytes.js';
import { fail, InternalBug, isTkeyTssError } from '../errors.js';
import { cryptoRng } from '../rng.js';
import { scalarFromBytes } from '../curve.js';
import { MAX_PROTOCOL_FRAME } from '../bus/frame-limits.js';
import { Identity } from '../bus/secure-channel.js';
import { connectLink, type Link } from '../bus/session-link.js';
import { backoffMs, FailoverTransport, type Endpoint } from '../bus/failover-transport.js';
import { abandonRunsOver } from '../bus/tracked-run.js';
import { WebSocketTransport, type WebSocketLike } from '../bus/transport.js';
import { BusPartyTransport, type BusPartyTransportOptions } from './bus-transport.js';
import type { ServiceConnection } from './service-api.js';
import { connectService as rpcConnect, loginNonce, type ServiceGrant } from './service-rpc.js';

/** A WebSocket constructor (the browser's, or `ws`'s). */
export type WebSocketCtor = new (url: string, opts?: unknown) => WebSocketLike;

export interface ConnectServiceOptions {
  /** A fresh OIDC ID token whose `nonce` claim is `nonce` (called at the first login and when the service session expired). */
  getIdToken: (ctx: { nonce: string; url: string }) => Promise<string>;
  /** The device's bus identity key (32 bytes; default random for this connection). Secret. */
  identityKey?: Uint8Array;
  /** The server's bus key (33 bytes SEC1), pinned: `/v1/service` is not asked. */
  serverPub?: Uint8Array;
  /** WebSocket constructor (default: the global one, else `ws`). */
  WebSocket?: WebSocketCtor;
  /** fetch (default the global one). */
  fetch?: typeof fetch;
  /** How long to look for a reachable server before SERVER_UNAVAILABLE (default 30 s). */
  connectMs?: number;
  /** Per-call timeout (default 120 s). */
  callMs?: number;
  /** Re-dial backoff: first delay and cap (default 200 ms, 5 s; doubled per failed dial, ±20 % jitter). */
  backoff?: { baseMs?: number; maxMs?: number };
  /** Options of the `BusPartyTransport` the sessions run on (`partyTransport`). */
  sessions?: BusPartyTransportOptions;
}

/** A logged-in connection to the co-signing service. */
export interface ServiceClient extends ServiceConnection {
  /** Who is logged in (from the last login). */
  readonly subject: { iss: string; sub: string };
  /** The session transport to run this service's participants on (`ClientOptions.transport`). */
  readonly partyTransport: BusPartyTransport;
  readonly link: Link;
  /** The server URL in use. */
  readonly url: string;
  /** Drop the current connection (it re-dials and resumes): a "network changed" hint, and tests. */
  drop(): void;
  close(): void;
}

function endpointOf(u: string): Endpoint {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    return fail('INVALID_ARGUMENT', `url: ${JSON.stringify(u)} is not a URL`);
  }
  const base = url.pathname.replace(/\/v1\/bus$/, '').replace(/\/+$/, '');
  const scheme = url.protocol;
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(scheme)) fail('INVALID_ARGUMENT', `url: expected http(s):// or ws(s)://, got ${scheme}`);
  const secure = scheme === 'https:' || scheme === 'wss:';
  return { http: `${secure ? 'https' : 'http'}://${url.host}${base}`, ws: `${secure ? 'wss' : 'ws'}://${url.host}${base}/v1/bus` };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The WebSocket constructor to use, and whether it is `ws` (which takes options: the frame cap). */
async function webSocketCtor(given?: WebSocketCtor): Promise<{ WS: WebSocketCtor; isWs: boolean }> {
  if (given) return { WS: given, isWs: false };
  const g = (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
  if (typeof g === 'function') return { WS: g, isWs: false };
  const name = 'ws'; // a variable specifier: bundlers leave it alone, so browser bundles never include `ws`
  try {
    const mod = (await import(/* @vite-ignore */ name)) as { WebSocket?: WebSocketCtor; default?: WebSocketCtor };
    const WS = mod.WebSocket ?? mod.default;
    if (typeof WS === 'function') return { WS, isWs: true };
  } catch {
    // fall through
  }
  return fail('INVALID_ARGUMENT', 'no WebSocket here: pass options.WebSocket (or install ws on Node < 22)');
}

/** `GET /v1/service` of the first endpoint that answers (from `start`, with backoff): its index and bus key. */
async function discover(eps: Endpoint[], f: typeof fetch, deadline: number, backoff: { base: number; max: number }): Promise<{ index: number; busPub: Uint8Array }> {
  let last = '';
  for (let attempt = 0; ; attempt++) {
    const i = attempt % eps.length;
    try {
      const r = await f(`${eps[i]!.http}/v1/service`, { signal: AbortSignal.timeout(Math.max(1000, Math.min(10_000, deadline - Date.now()))) });
      if (r.ok) {
        const body = (await r.json()) as { busPub?: unknown };
        if (typeof body.busPub !== 'string') fail('BUS_FRAME_INVALID', `${eps[i]!.http}/v1/service: no busPub in the answer`);
        return { index: i, busPub: abytes(hexToBytes(body.busPub, 'busPub'), 'busPub', 33) };
      }
      last = `HTTP ${r.status}`;
      if (r.status < 500) fail('SERVER_UNAVAILABLE', `${eps[i]!.http}/v1/service answered ${r.status}: no co-signing service there`, { status: r.status });
    } catch (e) {
      if (isTkeyTssError(e)) throw e;
      last = (e as Error)?.message ?? String(e);
    }
    if (Date.now() >= deadline) return fail('SERVER_UNAVAILABLE', `no co-signing server answered (${eps.map((x) => x.http).join(', ')}): ${last}`, { urls: eps.map((x) => x.http) });
    if (i === eps.length - 1) await sleep(Math.min(backoffMs(Math.floor(attempt / eps.length) + 1, backoff.base, backoff.max), Math.max(0, deadline - Date.now())));
  }
}

function randomKey(): Uint8Array {
  for (;;) {
    const k = cryptoRng.bytes(32);
    try {
      scalarFromBytes(k, 'identityKey');
      return k;
    } catch {
      // out of range: draw again
    }
  }
}

export async function connectService(urls: string | readonly string[], opts: ConnectServiceOptions): Promise<ServiceClient> {
  const list = typeof urls === 'string' ? [urls] : [...(urls ?? [])];
  if (list.length === 0) fail('INVALID_ARGUMENT', 'urls: expected at least one server URL');
  if (typeof opts !== 'object' || opts === null || typeof opts.getIdToken !== 'function') fail('INVALID_ARGUMENT', 'options.getIdToken: expected a function returning an ID token');
  const eps = list.map(endpointOf);
  const identity = new Identity(opts.identityKey !== undefined ? abytes(opts.identityKey, 'identityKey', 32) : randomKey());
  const nonce = loginNonce(identity.publicKey);
  const backoff = { base: opts.backoff?.baseMs ?? 200, max: opts.backoff?.maxMs ?? 5000 };
  const connectMs = opts.connectMs ?? 30_000;
  const deadline = Date.now() + connectMs;
  const { WS, isWs } = await webSocketCtor(opts.WebSocket);
  const found = opts.serverPub ? { index: 0, busPub: abytes(opts.serverPub, 'serverPub', 33) } : await discover(eps, opts.fetch ?? globalThis.fetch, deadline, backoff);
  const transport = new FailoverTransport(eps, found.index, (url) => new WebSocketTransport(isWs ? new WS(url, { maxPayload: MAX_PROTOCOL_FRAME }) : new WS(url)), backoff);
  const link = connectLink(transport, { identityKey: identity, serverPub: found.busPub });
  let grant: ServiceGrant | null = null;
  const partyTransport = new BusPartyTransport(opts.sessions ?? {});
  // the node (server process instance) the sessions under way run on: they live in its memory only
  let node: string | undefined;
  const onNode = (g: ServiceGrant): void => {
    if (g.node === undefined) return;
    // every run over this link ends — on `partyTransport` or any other transport (a worker's)
    if (node !== undefined && g.node !== node)
      abandonRunsOver(link, new InternalBug(`the service node running this session went away (the connection now reaches another server process, ${transport.url}); retry the operation`, { reason: 'node-changed', url: transport.url }, 'SERVER_UNAVAILABLE'));
    node = g.node;
  };
  const authenticate = async (rpc: { login(t: string): Promise<ServiceGrant>; resume(s: string): Promise<ServiceGrant> }): Promise<void> => {
    if (grant && grant.expiresAt - 5 > Date.now() / 1000) {
      try {
        grant = await rpc.resume(grant.session);
        onNode(grant);
        return;
      } catch (e) {
        if (!isTkeyTssError(e, 'AUTH_INVALID')) throw e; // expired or refused: a fresh login below
      }
    }
    const token = await opts.getIdToken({ nonce, url: transport.url });
    if (typeof token !== 'string' || token.length === 0) fail('INVALID_ARGUMENT', 'getIdToken: expected an ID token string');
    grant = await rpc.login(token);
    onNode(grant);
  };
  let conn: Awaited<ReturnType<typeof rpcConnect>>;
  try {
    try {
      await link.whenReady(Math.max(1, deadline - Date.now()));
    } catch {
      fail('SERVER_UNAVAILABLE', `no co-signing server accepted the bus connection within ${connectMs} ms`, { urls: eps.map((x) => x.http) });
    }
    conn = await rpcConnect(link, { authenticate, readyMs: connectMs, ...(opts.callMs !== undefined ? { callMs: opts.callMs } : {}) });
    await conn.authenticated();
  } catch (e) {
    transport.close();
    link.close();
    throw e;
  }
  // every reconnection resumes at once (not at the next call): a session under way learns within a
  // round trip that its node is gone (SERVER_UNAVAILABLE, details.reason 'node-changed') instead of stalling
  link.onReady(() => void conn.authenticated().catch(() => undefined));
  return {
    identityPub: conn.identityPub,
    keygenParticipant: conn.keygenParticipant,
    refreshParticipant: conn.refreshParticipant,
    finalize: conn.finalize,
    auxParticipant: conn.auxParticipant,
    presignParticipant: conn.presignParticipant,
    signParticipant: conn.signParticipant,
    signOnline: conn.signOnline!,
    get subject() {
      if (!grant) throw new InternalBug('not logged in');
      return { ...grant.subject };
    },
    partyTransport,
    link,
    get url() {
      return transport.url;
    },
    drop: () => transport.drop(),
    close: () => {
      transport.close();
      link.close();
    },
  };
}
