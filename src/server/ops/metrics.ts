/**
 * `ServerMetrics`: the server's Prometheus metrics in ONE `Registry` per app (never prom-client's
 * global default register, so several apps in one process — tests, a multi-tenant host — do not
 * collide). What the HTTP hooks (`http-metrics.ts`), the store decorator (`store-metrics.ts`) and
 * the co-signing service's RPC layer record; `exposition()` is the text `GET /metrics` serves.
 *
 * | metric | type | labels |
 * |---|---|---|
 * | `tkey_http_requests_total` | counter | method, route (the route pattern; `unmatched` for 404s), status |
 * | `tkey_http_request_duration_seconds` | histogram | method, route |
 * | `tkey_store_operation_duration_seconds` | histogram | op (the `ServerStore` method), outcome (`ok`, `error`) |
 * | `tkey_service_sessions_started_total` | counter | protocol |
 * | `tkey_service_sessions_active` | gauge | protocol |
 * | `tkey_service_sessions_total` | counter | protocol, outcome (`ok`, `abort`, or an error code) |
 * | `tkey_service_session_duration_seconds` | histogram | protocol, outcome |
 * | `tkey_auth_failures_total` | counter | realm (`service`, `admin`, `metrics`), code |
 * | `tkey_presignatures_stock` | gauge (read on scrape) | — |
 * | `process_*`, `nodejs_*` | prom-client's default metrics | — |
 *
 * protocol ∈ {keygen, refresh, aux, presign, sign}. Every label value is from a closed set (route
 * patterns, method names, error codes), so no request can grow the series count.
 * @module
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ERROR_CODES, fail, isTkeyTssError, ProtocolAbort, type ErrorCode } from '../../errors.js';

export const SESSION_PROTOCOLS = ['keygen', 'refresh', 'aux', 'presign', 'sign'] as const;
export type SessionProtocol = (typeof SESSION_PROTOCOLS)[number];
/** How a co-signing session ended: completed, aborted by a protocol check, or refused/failed with an error code. */
export type SessionOutcome = 'ok' | 'abort' | ErrorCode;
/** Which credential failed: a service login/session, the admin token, the metrics token. */
export type AuthRealm = 'service' | 'admin' | 'metrics';
const AUTH_REALMS: readonly AuthRealm[] = ['service', 'admin', 'metrics'];

/** The presignature stock (service halves held), read on every scrape. */
export type PresigStockSource = () => number | Promise<number>;

export interface ServerMetricsOptions {
  /** Also collect prom-client's default process/Node.js metrics into this registry (default true). */
  defaultMetrics?: boolean;
}

const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const STORE_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];
const SESSION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

function aProtocol(p: unknown): SessionProtocol {
  if (!SESSION_PROTOCOLS.includes(p as SessionProtocol)) fail('INVALID_ARGUMENT', `protocol: expected one of ${SESSION_PROTOCOLS.join(', ')}`);
  return p as SessionProtocol;
}

function anOutcome(o: unknown): SessionOutcome {
  if (o !== 'ok' && o !== 'abort' && !(typeof o === 'string' && Object.hasOwn(ERROR_CODES, o))) fail('INVALID_ARGUMENT', 'outcome: expected "ok", "abort" or an error code');
  return o as SessionOutcome;
}

function aDuration(ms: unknown): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) fail('INVALID_ARGUMENT', 'ms: expected a finite duration ≥ 0 (milliseconds)');
  return ms;
}

/** The outcome label of a session that threw `e`: `abort` for a protocol abort, else its error code (`INTERNAL_BUG` for a foreign error). */
export function sessionOutcome(e: unknown): SessionOutcome {
  if (e instanceof ProtocolAbort) return 'abort';
  if (isTkeyTssError(e) && Object.hasOwn(ERROR_CODES, e.code)) return e.code as ErrorCode;
  return 'INTERNAL_BUG';
}

export class ServerMetrics {
  readonly registry: Registry;
  readonly #httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly #httpDuration: Histogram<'method' | 'route'>;
  readonly #storeDuration: Histogram<'op' | 'outcome'>;
  readonly #sessionsStarted: Counter<'protocol'>;
  readonly #sessionsActive: Gauge<'protocol'>;
  readonly #sessions: Counter<'protocol' | 'outcome'>;
  readonly #sessionDuration: Histogram<'protocol' | 'outcome'>;
  readonly #authFailures: Counter<'realm' | 'code'>;
  #presigSource: PresigStockSource | undefined;

  constructor(opts: ServerMetricsOptions = {}) {
    const registers = [(this.registry = new Registry())];
    this.#httpRequests = new Counter({ name: 'tkey_http_requests_total', help: 'HTTP requests by method, route pattern and status', labelNames: ['method', 'route', 'status'], registers });
    this.#httpDuration = new Histogram({ name: 'tkey_http_request_duration_seconds', help: 'HTTP request duration (until the response is sent)', labelNames: ['method', 'route'], buckets: HTTP_BUCKETS, registers });
    this.#storeDuration = new Histogram({ name: 'tkey_store_operation_duration_seconds', help: 'Store operation latency by ServerStore method and outcome', labelNames: ['op', 'outcome'], buckets: STORE_BUCKETS, registers });
    this.#sessionsStarted = new Counter({ name: 'tkey_service_sessions_started_total', help: 'Co-signing sessions started, by protocol', labelNames: ['protocol'], registers });
    this.#sessionsActive = new Gauge({ name: 'tkey_service_sessions_active', help: 'Co-signing sessions running now, by protocol', labelNames: ['protocol'], registers });
    this.#sessions = new Counter({ name: 'tkey_service_sessions_total', help: 'Co-signing sessions ended, by protocol and outcome (ok, abort, or an error code)', labelNames: ['protocol', 'outcome'], registers });
    this.#sessionDuration = new Histogram({ name: 'tkey_service_session_duration_seconds', help: 'Co-signing session duration by protocol and outcome', labelNames: ['protocol', 'outcome'], buckets: SESSION_BUCKETS, registers });
    this.#authFailures = new Counter({ name: 'tkey_auth_failures_total', help: 'Refused credentials by realm (service, admin, metrics) and error code', labelNames: ['realm', 'code'], registers });
    const source = (): PresigStockSource | undefined => this.#presigSource;
    new Gauge({
      name: 'tkey_presignatures_stock',
      help: "Presignature halves the co-signing service holds (read on scrape; NaN when the source failed)",
      registers,
      async collect() {
        const fn = source();
        if (!fn) return;
        try {
          const n = await fn();
          this.set(typeof n === 'number' && n >= 0 ? n : NaN);
        } catch {
          this.set(NaN); // the scrape still answers; the gap shows
        }
      },
    });
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** A co-signing session of `protocol` starts (pair it with `sessionEnded`). */
  sessionStarted(protocol: SessionProtocol): void {
    const p = aProtocol(protocol);
    this.#sessionsStarted.inc({ protocol: p });
    this.#sessionsActive.inc({ protocol: p });
  }

  /** A session started with `sessionStarted` ended after `ms` milliseconds with `outcome` (`sessionOutcome(e)` maps a thrown error). */
  sessionEnded(protocol: SessionProtocol, outcome: SessionOutcome, ms: number): void {
    const p = aProtocol(protocol);
    const o = anOutcome(outcome);
    const seconds = aDuration(ms) / 1000;
    this.#sessionsActive.dec({ protocol: p });
    this.#sessions.inc({ protocol: p, outcome: o });
    this.#sessionDuration.observe({ protocol: p, outcome: o }, seconds);
  }

  /**
   * Run one session under the metrics: `sessionStarted`, then `sessionEnded` with `ok` or the
   * outcome of what it threw (`sessionOutcome`), and its duration; the result or error passes through.
   */
  async trackSession<T>(protocol: SessionProtocol, run: () => Promise<T>): Promise<T> {
    this.sessionStarted(protocol);
    const t0 = performance.now();
    try {
      const out = await run();
      this.sessionEnded(protocol, 'ok', performance.now() - t0);
      return out;
    } catch (e) {
      this.sessionEnded(protocol, sessionOutcome(e), performance.now() - t0);
      throw e;
    }
  }

  /** A credential was refused with `code` (AUTH_REQUIRED, AUTH_INVALID, FORBIDDEN, …). */
  authFailure(code: ErrorCode, realm: AuthRealm = 'service'): void {
    if (!Object.hasOwn(ERROR_CODES, code)) fail('INVALID_ARGUMENT', 'code: expected an error code');
    if (!AUTH_REALMS.includes(realm)) fail('INVALID_ARGUMENT', `realm: expected one of ${AUTH_REALMS.join(', ')}`);
    this.#authFailures.inc({ realm, code });
  }

  /** Where the presignature stock is read from on each scrape (`undefined`: not reported). */
  setPresigStockSource(fn: PresigStockSource | undefined): void {
    if (fn !== undefined && typeof fn !== 'function') fail('INVALID_ARGUMENT', 'setPresigStockSource: expected a function returning a count');
    this.#presigSource = fn;
  }

  /** One HTTP request answered (the app's onResponse hook). */
  observeHttp(method: string, route: string, status: number, seconds: number): void {
    this.#httpRequests.inc({ method, route, status: String(status) });
    this.#httpDuration.observe({ method, route }, seconds);
  }

  /** One store operation finished (the store decorator). */
  observeStore(op: string, outcome: 'ok' | 'error', seconds: number): void {
    this.#storeDuration.observe({ op, outcome }, seconds);
  }

  /** The Prometheus text exposition of every metric. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  toJSON(): unknown {
    return { metrics: this.registry.getMetricsAsArray().length };
  }
}
