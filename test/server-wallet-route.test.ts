/**
 * The development web wallet's routes (src/server/dev/wallet-page.ts): present in development mode
 * (the page, its bundles, its config; the test primes only with TKEY_DEMO_TEST_PRIMES=1), absent in
 * production mode — the default.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { buildServer } from '../src/server/app.js';
import type { ServerConfig } from '../src/server/config.js';
import { EmbeddedStore } from '../src/server/store/embedded.js';

const dirs: string[] = [];
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function app(config: Partial<ServerConfig>, testPrimes = false): Promise<FastifyInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'wallet-route-'));
  dirs.push(dir);
  const store = await EmbeddedStore.open({ dir });
  const before = process.env.TKEY_DEMO_TEST_PRIMES;
  if (testPrimes) process.env.TKEY_DEMO_TEST_PRIMES = '1';
  else delete process.env.TKEY_DEMO_TEST_PRIMES;
  try {
    const a = await buildServer({ store, config: { logLevel: 'silent', verifyThreads: 0, ...config } });
    closers.push(async () => {
      await a.close();
      await store.close();
    });
    return a;
  } finally {
    if (before === undefined) delete process.env.TKEY_DEMO_TEST_PRIMES;
    else process.env.TKEY_DEMO_TEST_PRIMES = before;
  }
}

describe('the wallet page routes', () => {
  it('production (the default): no /wallet routes at all', async () => {
    for (const a of [await app({}), await app({ mode: 'production' }, true)]) {
      for (const url of ['/wallet', '/wallet/', '/wallet/app.js', '/wallet/worker.js', '/wallet/config.json', '/wallet/test-primes.json']) {
        const r = await a.inject({ method: 'GET', url });
        expect(r.statusCode, url).toBe(404);
        expect(r.json()).toMatchObject({ code: 'NOT_FOUND' });
      }
    }
  });

  it('development: the page, the bundled app and worker (browser bundles: no node: imports), the config; no test primes unless asked', async () => {
    const a = await app({ mode: 'development' });
    expect((await a.inject({ method: 'GET', url: '/wallet' })).headers.location).toBe('/wallet/');
    const page = await a.inject({ method: 'GET', url: '/wallet/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<script type="module" src="./app.js"></script>');
    const [js, worker] = await Promise.all([a.inject({ method: 'GET', url: '/wallet/app.js' }), a.inject({ method: 'GET', url: '/wallet/worker.js' })]);
    for (const r of [js, worker]) {
      expect(r.statusCode).toBe(200);
      expect(r.headers['content-type']).toMatch(/^text\/javascript/);
      expect(r.body).not.toMatch(/from\s*["']node:|require\(["']node:/);
    }
    expect(js.body).toContain('tkey-tss-wallet/device-factor/');
    expect(js.body.length).toBeGreaterThan(100_000);
    expect(worker.body.length).toBeGreaterThan(10_000);
    expect((await a.inject({ method: 'GET', url: '/wallet/config.json' })).json()).toEqual({ testPrimes: false, workerUrl: './worker.js' });
    expect((await a.inject({ method: 'GET', url: '/wallet/test-primes.json' })).statusCode).toBe(404);
  }, 60_000);

  it('development with TKEY_DEMO_TEST_PRIMES=1: the config says so and two public test prime pairs are served', async () => {
    const a = await app({ mode: 'development' }, true);
    expect((await a.inject({ method: 'GET', url: '/wallet/config.json' })).json()).toEqual({ testPrimes: true, workerUrl: './worker.js' });
    const doc = (await a.inject({ method: 'GET', url: '/wallet/test-primes.json' })).json() as { label: string; pairs: { p: string; q: string }[] };
    expect(doc.label).toMatch(/^TEST DATA ONLY/);
    expect(doc.pairs).toHaveLength(2);
    for (const { p, q } of doc.pairs) expect([p.length, q.length]).toEqual([256, 256]);
  });
});
