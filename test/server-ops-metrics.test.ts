/**
 * Issue 11 item 6: Prometheus metrics. The `ServerMetrics` API the RPC layer calls (sessions by
 * protocol and outcome with durations, auth failures, the presignature stock read on scrape), one
 * registry per app (two apps in one process do not collide, the global register stays untouched),
 * HTTP requests by route pattern and status, store latency by operation on both backends (the
 * decorator also measures methods a store grows later), `GET /metrics` on/off and behind its token.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register as globalRegister } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fail, isTkeyTssError, ProtocolAbort } from '../src/errors.js';
import { buildServer } from '../src/server/app.js';
import { ServerMetrics, sessionOutcome } from '../src/server/ops/metrics.js';
import { SecretText } from '../src/server/ops/secret-text.js';
import { instrumentStore } from '../src/server/ops/store-metrics.js';
import { EmbeddedStore } from '../src/server/store/embedded.js';
import { PostgresStore } from '../src/server/store/postgres.js';
import type { ServerStore } from '../src/server/store/types.js';
import { SKIP_NOTE, startPostgres, type PgCluster } from './helpers/postgres.js';
import { accountOf } from './helpers/server.js';

/** The value of one sample line `name{labels} value` in a text exposition (undefined when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const l = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  const head = l ? `${name}{${l}} ` : `${name} `;
  const line = text.split('\n').find((x) => x.startsWith(head));
  return line === undefined ? undefined : Number(line.slice(head.length));
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isTkeyTssError(e) ? e.code : String(e);
  }
  return undefined;
}

const dirs: string[] = [];
const tmp = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('ServerMetrics: the API the co-signing RPC layer calls', () => {
  it('sessions by protocol and outcome with durations; active gauge; auth failures; named asserts', async () => {
    const m = new ServerMetrics({ defaultMetrics: false });
    m.sessionStarted('presign');
    m.sessionStarted('presign');
    m.sessionStarted('sign');
    let t = await m.exposition();
    expect(sample(t, 'tkey_service_sessions_started_total', { protocol: 'presign' })).toBe(2);
    expect(sample(t, 'tkey_service_sessions_active', { protocol: 'presign' })).toBe(2);
    m.sessionEnded('presign', 'ok', 120);
    m.sessionEnded('presign', 'abort', 3_000);
    m.sessionEnded('sign', 'ACCOUNT_LOCKED', 0.5);
    m.authFailure('FORBIDDEN');
    m.authFailure('AUTH_REQUIRED', 'admin');
    t = await m.exposition();
    expect(sample(t, 'tkey_service_sessions_active', { protocol: 'presign' })).toBe(0);
    expect(sample(t, 'tkey_service_sessions_total', { protocol: 'presign', outcome: 'ok' })).toBe(1);
    expect(sample(t, 'tkey_service_sessions_total', { protocol: 'presign', outcome: 'abort' })).toBe(1);
    expect(sample(t, 'tkey_service_sessions_total', { protocol: 'sign', outcome: 'ACCOUNT_LOCKED' })).toBe(1);
    expect(sample(t, 'tkey_service_session_duration_seconds_sum', { protocol: 'presign', outcome: 'abort' })).toBe(3);
    expect(sample(t, 'tkey_service_session_duration_seconds_bucket', { le: '0.25', protocol: 'presign', outcome: 'ok' })).toBe(1);
    expect(sample(t, 'tkey_service_session_duration_seconds_bucket', { le: '0.1', protocol: 'presign', outcome: 'ok' })).toBe(0);
    expect(sample(t, 'tkey_auth_failures_total', { realm: 'service', code: 'FORBIDDEN' })).toBe(1);
    expect(sample(t, 'tkey_auth_failures_total', { realm: 'admin', code: 'AUTH_REQUIRED' })).toBe(1);
    // bad input: a clear error, nothing recorded
    expect(codeOf(() => m.sessionStarted('ecdh' as never))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => m.sessionEnded('sign', 'weird' as never, 1))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => m.sessionEnded('sign', 'ok', -1))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => m.sessionEnded('sign', 'ok', Number.NaN))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => m.authFailure('NOPE' as never))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => m.authFailure('FORBIDDEN', 'elsewhere' as never))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => m.setPresigStockSource(42 as never))).toBe('INVALID_ARGUMENT');
    expect(await m.exposition()).toBe(t);
  });

  it('sessionOutcome maps what a session threw', () => {
    expect(sessionOutcome(new ProtocolAbort('RP_EQUATION', 1, [2]))).toBe('abort');
    let locked: unknown;
    try {
      fail('ACCOUNT_LOCKED', 'locked');
    } catch (e) {
      locked = e;
    }
    expect(sessionOutcome(locked)).toBe('ACCOUNT_LOCKED');
    expect(sessionOutcome(new Error('foreign'))).toBe('INTERNAL_BUG');
  });

  it('trackSession: started, then ended with ok or the outcome of what the session threw; results and errors pass through', async () => {
    const m = new ServerMetrics({ defaultMetrics: false });
    expect(await m.trackSession('refresh', async () => 42)).toBe(42);
    await expect(m.trackSession('refresh', async () => Promise.reject(new ProtocolAbort('FELDMAN_SHARE_MISMATCH', 2, [3])))).rejects.toBeInstanceOf(ProtocolAbort);
    await expect(m.trackSession('aux', async () => fail('SID_REUSED', 'again'))).rejects.toThrow(/SID_REUSED/);
    const t = await m.exposition();
    expect(sample(t, 'tkey_service_sessions_started_total', { protocol: 'refresh' })).toBe(2);
    expect(sample(t, 'tkey_service_sessions_active', { protocol: 'refresh' })).toBe(0);
    expect(sample(t, 'tkey_service_sessions_total', { protocol: 'refresh', outcome: 'ok' })).toBe(1);
    expect(sample(t, 'tkey_service_sessions_total', { protocol: 'refresh', outcome: 'abort' })).toBe(1);
    expect(sample(t, 'tkey_service_sessions_total', { protocol: 'aux', outcome: 'SID_REUSED' })).toBe(1);
    expect(sample(t, 'tkey_service_session_duration_seconds_count', { protocol: 'refresh', outcome: 'ok' })).toBe(1);
  });

  it('the presignature stock is read from its source on every scrape; a failing source gives NaN, the scrape still answers', async () => {
    const m = new ServerMetrics({ defaultMetrics: false });
    let stock = 7;
    let calls = 0;
    m.setPresigStockSource(async () => {
      calls++;
      return stock;
    });
    expect(sample(await m.exposition(), 'tkey_presignatures_stock')).toBe(7);
    stock = 3;
    expect(sample(await m.exposition(), 'tkey_presignatures_stock')).toBe(3);
    expect(calls).toBe(2);
    m.setPresigStockSource(() => {
      throw new Error('store down');
    });
    expect(sample(await m.exposition(), 'tkey_presignatures_stock')).toBeNaN();
    m.setPresigStockSource(() => 11);
    expect(sample(await m.exposition(), 'tkey_presignatures_stock')).toBe(11);
  });

  it('one registry per instance: two in one process do not collide; the global register stays empty', async () => {
    const a = new ServerMetrics();
    const b = new ServerMetrics();
    a.sessionStarted('keygen');
    expect(sample(await a.exposition(), 'tkey_service_sessions_started_total', { protocol: 'keygen' })).toBe(1);
    expect(sample(await b.exposition(), 'tkey_service_sessions_started_total', { protocol: 'keygen' })).toBeUndefined();
    expect(await a.exposition()).toContain('process_cpu_user_seconds_total');
    expect(await b.exposition()).toContain('nodejs_eventloop_lag_seconds');
    expect(globalRegister.getMetricsAsArray()).toEqual([]);
  });
});

describe('store latency: the decorator', () => {
  it('times every method by name — ok and error, async and sync, methods added later — on the original object', async () => {
    class Backend {
      readonly kind = 'embedded' as const;
      #calls = 0;
      async getNonce(_a: string): Promise<number | null> {
        this.#calls++;
        return 5;
      }
      async commitBatch(): Promise<never> {
        this.#calls++;
        throw new Error('conflict');
      }
      /** a method no ServerStore has yet (a state table), and a sync one */
      async putSealed(_k: string): Promise<void> {
        this.#calls++;
      }
      calls(): number {
        return this.#calls;
      }
    }
    const m = new ServerMetrics({ defaultMetrics: false });
    const raw = new Backend();
    const s = instrumentStore(raw, m);
    expect(s.kind).toBe('embedded');
    expect(await s.getNonce('x')).toBe(5);
    await expect(s.commitBatch()).rejects.toThrow('conflict');
    await s.putSealed('k');
    await s.putSealed('k');
    expect(s.calls()).toBe(4); // private fields reached through the decorator
    expect(s.getNonce).toBe(s.getNonce); // one wrapper per method
    expect(instrumentStore(s, m)).toBe(s); // not wrapped twice for the same registry
    const t = await m.exposition();
    expect(sample(t, 'tkey_store_operation_duration_seconds_count', { op: 'getNonce', outcome: 'ok' })).toBe(1);
    expect(sample(t, 'tkey_store_operation_duration_seconds_count', { op: 'commitBatch', outcome: 'error' })).toBe(1);
    expect(sample(t, 'tkey_store_operation_duration_seconds_count', { op: 'putSealed', outcome: 'ok' })).toBe(2);
    expect(sample(t, 'tkey_store_operation_duration_seconds_count', { op: 'calls', outcome: 'ok' })).toBe(1);
  });
});

describe('the app: /metrics, HTTP and store metrics', () => {
  let cluster: PgCluster | undefined;
  beforeAll(async () => {
    cluster = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  async function serve(store: ServerStore, config: Record<string, unknown> = {}) {
    const app = await buildServer({ store, config: { logLevel: 'silent', verifyThreads: 0, ...config } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    return { app, url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}` };
  }
  const scrape = async (url: string, headers: Record<string, string> = {}) => {
    const r = await fetch(`${url}/metrics`, { headers });
    return { status: r.status, type: r.headers.get('content-type'), text: await r.text(), auth: r.headers.get('www-authenticate') };
  };
  const post = (url: string, path: string, body: unknown) => fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.status);

  for (const backend of ['embedded', 'postgres'] as const) {
    it(`requests by route pattern and status, store latency by operation (${backend})`, async (ctx) => {
      let store: ServerStore;
      if (backend === 'postgres') {
        if (!cluster) return ctx.skip(SKIP_NOTE);
        store = await PostgresStore.open({ url: await cluster.createDatabase() });
      } else store = await EmbeddedStore.open({ dir: tmp('tkey-ops-metrics-') });
      const { app, url } = await serve(store);
      try {
        const account = accountOf(5n);
        expect((await fetch(`${url}/healthz`)).status).toBe(200);
        expect((await fetch(`${url}/readyz`)).status).toBe(200);
        expect(await post(url, '/v1/nonce', { account })).toBe(200);
        expect(await post(url, '/v1/nonce', { account })).toBe(200);
        expect(await post(url, '/v1/nonce', { account: 'nope' })).toBe(400);
        expect((await fetch(`${url}/no/such/route/${account}`)).status).toBe(404);
        const m = await scrape(url);
        expect(m.status).toBe(200);
        expect(m.type).toMatch(/^text\/plain; version=0\.0\.4/);
        const t = m.text;
        expect(sample(t, 'tkey_http_requests_total', { method: 'GET', route: '/healthz', status: '200' })).toBe(1);
        expect(sample(t, 'tkey_http_requests_total', { method: 'POST', route: '/v1/nonce', status: '200' })).toBe(2);
        expect(sample(t, 'tkey_http_requests_total', { method: 'POST', route: '/v1/nonce', status: '400' })).toBe(1);
        expect(sample(t, 'tkey_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
        expect(sample(t, 'tkey_http_request_duration_seconds_count', { method: 'POST', route: '/v1/nonce' })).toBe(3);
        expect(t).not.toContain(account); // no concrete URL becomes a label
        expect(sample(t, 'tkey_store_operation_duration_seconds_count', { op: 'getNonce', outcome: 'ok' })).toBe(2);
        expect(sample(t, 'tkey_store_operation_duration_seconds_count', { op: 'ping', outcome: 'ok' })).toBe(1);
        expect(t).toContain('process_resident_memory_bytes');
        // the RPC layer reaches the registry as app.metrics; a scrape shows it
        app.metrics.sessionStarted('sign');
        app.metrics.sessionEnded('sign', 'ok', 8);
        app.metrics.setPresigStockSource(() => 4);
        const t2 = (await scrape(url)).text;
        expect(sample(t2, 'tkey_service_sessions_total', { protocol: 'sign', outcome: 'ok' })).toBe(1);
        expect(sample(t2, 'tkey_presignatures_stock')).toBe(4);
        expect(sample(t2, 'tkey_http_requests_total', { method: 'GET', route: '/metrics', status: '200' })).toBe(1);
      } finally {
        await app.close();
        await store.close();
      }
    }, 60_000);
  }

  it('TKEY_METRICS=0: no /metrics; TKEY_METRICS_TOKEN: 401 without it, 403 with another, counted', async () => {
    const store = await EmbeddedStore.open({ dir: tmp('tkey-ops-metrics-off-') });
    try {
      const off = await serve(store, { metrics: false });
      const r = await scrape(off.url);
      expect([r.status, JSON.parse(r.text).code]).toEqual([404, 'NOT_FOUND']);
      expect(await off.app.metrics.exposition()).not.toContain('process_cpu'); // no default collectors either
      await off.app.close();

      const token = 'T'.repeat(40);
      const on = await serve(store, { metricsToken: new SecretText(token) });
      const none = await scrape(on.url);
      expect([none.status, JSON.parse(none.text).code, none.auth]).toEqual([401, 'AUTH_REQUIRED', 'Bearer realm="tkey-tss metrics"']);
      const wrong = await scrape(on.url, { authorization: `Bearer ${'T'.repeat(39)}U` });
      expect([wrong.status, JSON.parse(wrong.text).code]).toEqual([403, 'FORBIDDEN']);
      const ok = await scrape(on.url, { authorization: `Bearer ${token}` });
      expect(ok.status).toBe(200);
      expect(sample(ok.text, 'tkey_auth_failures_total', { realm: 'metrics', code: 'AUTH_REQUIRED' })).toBe(1);
      expect(sample(ok.text, 'tkey_auth_failures_total', { realm: 'metrics', code: 'FORBIDDEN' })).toBe(1);
      expect(ok.text).not.toContain(token);
      // the token guards /metrics only
      expect((await fetch(`${on.url}/healthz`)).status).toBe(200);
      await on.app.close();
    } finally {
      await store.close();
    }
  });
});
