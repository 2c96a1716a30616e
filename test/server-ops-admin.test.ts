/**
 * Issue 11 item 6: the admin API acts on a REAL co-signing service — an account locked by an abort
 * its own presign session observed, and an orphaned keygen share (both produced by real sessions,
 * `helpers/ops-service.ts`) — behind the admin bearer token: list accounts (ids, epochs, lock; no
 * secret), read an account's aborts, clear its lock, sweep; a missing token is 401
 * AUTH_REQUIRED, a wrong one 403 FORBIDDEN, and a refused request changes nothing; without a
 * configured token (or without a service) the routes do not exist. Plus the token settings.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex } from '../src/bytes.js';
import { isTkeyTssError } from '../src/errors.js';
import { buildServer } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import { SecretText } from '../src/server/ops/secret-text.js';
import { EmbeddedStore } from '../src/server/store/embedded.js';
import { opsServiceWorld, type OpsServiceWorld } from './helpers/ops-service.js';

const TOKEN = 'a'.repeat(8) + '0123456789abcdef0123456789abcdef';
const auth = (t = TOKEN) => ({ authorization: `Bearer ${t}` });

let w: OpsServiceWorld;
let dir: string;
let store: EmbeddedStore;
let app: FastifyInstance;
let url: string;

async function call(method: 'GET' | 'POST', path: string, headers: Record<string, string> = auth(), body?: unknown): Promise<{ status: number; body: any; headers: Headers; text: string }> {
  const r = await fetch(url + path, { method, headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined, headers: r.headers, text };
}

const enc = (id: string) => encodeURIComponent(id);

beforeAll(async () => {
  w = await opsServiceWorld('ops-admin');
  dir = mkdtempSync(join(tmpdir(), 'tkey-ops-admin-'));
  store = await EmbeddedStore.open({ dir });
  app = await buildServer({ store, config: { logLevel: 'silent', verifyThreads: 0, adminToken: new SecretText(TOKEN) }, admin: { party: w.party, shares: w.shares } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
}, 120_000);

afterAll(async () => {
  await app?.close();
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('admin API: the credential', () => {
  it('no token → 401 AUTH_REQUIRED, a wrong token → 403 FORBIDDEN, on every route; nothing changes', async () => {
    const locked = w.idOf(w.locked);
    const routes: ['GET' | 'POST', string, unknown?][] = [
      ['GET', '/admin/accounts'],
      ['GET', `/admin/accounts/${enc(locked)}/aborts`],
      ['POST', `/admin/accounts/${enc(locked)}/clear-lock`],
      ['POST', '/admin/sweep', { abandonAfterMs: 0 }],
    ];
    for (const [method, path, body] of routes) {
      for (const headers of [{} as Record<string, string>, { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` }, { authorization: 'Bearer' }]) {
        const r = await call(method, path, headers, body);
        expect([path, r.status, r.body.code]).toEqual([path, 401, 'AUTH_REQUIRED']);
        expect(r.headers.get('www-authenticate')).toBe('Bearer realm="tkey-tss admin"');
      }
      for (const wrong of [TOKEN.slice(0, -1) + 'x', TOKEN + 'x', 'b'.repeat(40), TOKEN.slice(1)]) {
        const r = await call(method, path, auth(wrong), body);
        expect([path, r.status, r.body.code]).toEqual([path, 403, 'FORBIDDEN']);
        expect(r.text).not.toContain(wrong);
      }
    }
    // the refused clear-lock and sweep changed nothing
    expect((await w.party.abortRecord(w.locked))!.lock).toEqual({ culprit: 2, count: 1, since: w.clock.t });
    expect((await w.shares.accounts()).sort()).toEqual([w.idOf(w.locked), w.idOf(w.orphan)].sort());
    // every refusal is counted
    const text = await app.metrics.exposition();
    expect(text).toContain('tkey_auth_failures_total{realm="admin",code="AUTH_REQUIRED"} 12');
    expect(text).toContain('tkey_auth_failures_total{realm="admin",code="FORBIDDEN"} 16');
  });
});

describe('admin API: actions on the co-signing service', () => {
  it('GET /admin/accounts lists ids, epochs and locks — no secret — in pages', async () => {
    const r = await call('GET', '/admin/accounts');
    expect(r.status).toBe(200);
    const ids = [w.idOf(w.locked), w.idOf(w.orphan)].sort();
    expect(r.body.accounts.map((a: { account: string }) => a.account)).toEqual(ids);
    expect(r.body.next).toBeNull();
    const byId = new Map(r.body.accounts.map((a: { account: string }) => [a.account, a]));
    expect(byId.get(w.idOf(w.locked))).toEqual({
      account: w.idOf(w.locked),
      metadataPub: bytesToHex(w.locked.metadataPub),
      tssTag: 'default',
      confirmedEpoch: 0,
      pendingEpochs: [],
      locked: true,
      lock: { culprit: 2, count: 1, since: w.clock.t },
      aborts: 1,
    });
    expect(byId.get(w.idOf(w.orphan))).toMatchObject({ confirmedEpoch: null, pendingEpochs: [0], locked: false, lock: null, aborts: 0 });
    // the service's shares are nowhere in the answer (and were not wiped in the store by reading them)
    for (const id of ids) {
      const rec = (await w.shares.get(id))!;
      for (const s of [rec.confirmed?.share, ...rec.pending.map((p) => p.share)]) {
        if (!s) continue;
        expect(s.some((b) => b !== 0)).toBe(true);
        expect(r.text).not.toContain(bytesToHex(s));
      }
    }
    // pages
    const p1 = await call('GET', '/admin/accounts?limit=1');
    expect([p1.body.accounts.length, p1.body.accounts[0].account, p1.body.next]).toEqual([1, ids[0], ids[0]]);
    const p2 = await call('GET', `/admin/accounts?limit=1&after=${enc(p1.body.next)}`);
    expect([p2.body.accounts.length, p2.body.accounts[0].account, p2.body.next]).toEqual([1, ids[1], null]);
    for (const q of ['limit=0', 'limit=1001', 'limit=abc', 'limit=-1', 'frob=1']) {
      const bad = await call('GET', `/admin/accounts?${q}`);
      expect([q, bad.status]).toEqual([q, 400]);
      expect(['OUT_OF_RANGE', 'INVALID_ARGUMENT']).toContain(bad.body.code);
    }
  });

  it('GET /admin/accounts/:account/aborts: the abort history; unknown → 404, malformed → 400', async () => {
    const id = w.idOf(w.locked);
    const r = await call('GET', `/admin/accounts/${enc(id)}/aborts`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      account: id,
      history: { entries: [{ at: w.clock.t, protocol: 'presign', reason: expect.any(String), round: 1, culprits: [2] }], lock: { culprit: 2, count: 1, since: w.clock.t }, clears: [] },
    });
    // a bare key means tssTag "default"
    expect((await call('GET', `/admin/accounts/${bytesToHex(w.locked.metadataPub)}/aborts`)).body).toEqual(r.body);
    // the orphan has no aborts
    expect((await call('GET', `/admin/accounts/${enc(w.idOf(w.orphan))}/aborts`)).body).toEqual({ account: w.idOf(w.orphan), history: null });
    const unknown = await call('GET', `/admin/accounts/${enc(`${bytesToHex(w.locked.metadataPub)}/other-tag`)}/aborts`);
    expect([unknown.status, unknown.body.code]).toEqual([404, 'NOT_FOUND']);
    for (const bad of ['04' + 'ab'.repeat(32), 'zz'.repeat(33), bytesToHex(w.locked.metadataPub) + '/']) {
      const b = await call('GET', `/admin/accounts/${enc(bad)}/aborts`);
      expect([bad, b.status, b.body.code]).toEqual([bad, 400, 'INVALID_ARGUMENT']);
    }
  });

  it('POST /admin/accounts/:account/clear-lock unlocks the account (recorded); again → cleared null', async () => {
    const id = w.idOf(w.locked);
    const lock = { culprit: 2, count: 1, since: w.clock.t };
    w.clock.t += 1000;
    const r = await call('POST', `/admin/accounts/${enc(id)}/clear-lock`);
    expect([r.status, r.body]).toEqual([200, { account: id, cleared: lock }]);
    const rec = (await w.party.abortRecord(w.locked))!;
    expect(rec.lock).toBeNull();
    expect(rec.clears).toEqual([{ at: w.clock.t, lock }]);
    const listed = (await call('GET', '/admin/accounts')).body.accounts.find((a: { account: string }) => a.account === id);
    expect([listed.locked, listed.lock]).toEqual([false, null]);
    expect((await call('POST', `/admin/accounts/${enc(id)}/clear-lock`)).body).toEqual({ account: id, cleared: null });
    const unknown = await call('POST', `/admin/accounts/${enc(`${bytesToHex(w.locked.metadataPub)}/nope`)}/clear-lock`);
    expect([unknown.status, unknown.body.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('POST /admin/sweep reconciles; with abandonAfterMs it fences the orphaned keygen share off and drops it', async () => {
    for (const body of [{ abandonAfterMs: -1 }, { abandonAfterMs: 1.5 }, { abandonAfterMs: '0' }, { frob: 1 }]) {
      const b = await call('POST', '/admin/sweep', auth(), body);
      expect([JSON.stringify(body), b.status, b.body.code]).toEqual([JSON.stringify(body), 400, 'INVALID_ARGUMENT']);
    }
    expect(await w.shares.accounts()).toHaveLength(2);
    expect((await call('POST', '/admin/sweep', auth(), {})).body).toEqual({ accounts: 1, dropped: 0 }); // not yet abandoned
    expect((await call('POST', '/admin/sweep', auth(), { abandonAfterMs: 0 })).body).toEqual({ accounts: 1, dropped: 1 });
    expect(await w.shares.accounts()).toEqual([w.idOf(w.locked)]);
    expect(await w.storage.getNonce(bytesToHex(w.orphan.metadataPub))).toBe(1); // fenced: its creation batch can never land
    expect((await call('GET', '/admin/accounts')).body.accounts.map((a: { account: string }) => a.account)).toEqual([w.idOf(w.locked)]);
  });

  it('the admin routes are counted by route pattern', async () => {
    const text = await app.metrics.exposition();
    expect(text).toMatch(/tkey_http_requests_total\{method="POST",route="\/admin\/accounts\/:account\/clear-lock",status="200"\} 2/);
    expect(text).not.toContain(enc(w.idOf(w.locked)));
  });
});

describe('admin API: off unless configured', () => {
  it('no admin token, or no co-signing service: /admin/* does not exist (404), whatever the header', async () => {
    const d = mkdtempSync(join(tmpdir(), 'tkey-ops-noadmin-'));
    const s = await EmbeddedStore.open({ dir: d });
    try {
      for (const [config, admin] of [
        [{}, { party: w.party, shares: w.shares }],
        [{ adminToken: new SecretText(TOKEN) }, undefined],
      ] as const) {
        const a = await buildServer({ store: s, config: { logLevel: 'silent', verifyThreads: 0, ...config }, admin });
        for (const [method, path] of [
          ['GET', '/admin/accounts'],
          ['POST', '/admin/sweep'],
        ] as const) {
          const r = await a.inject({ method, url: path, headers: auth() });
          expect([path, r.statusCode, r.json().code]).toEqual([path, 404, 'NOT_FOUND']);
        }
        await a.close();
      }
      expect(await w.party.abortRecord(w.locked)).not.toBeNull();
    } finally {
      await s.close();
      rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('token settings', () => {
  it('TKEY_ADMIN_TOKEN / TKEY_ADMIN_TOKEN_FILE / TKEY_METRICS_TOKEN: validated, never printed, no flag', () => {
    const d = mkdtempSync(join(tmpdir(), 'tkey-ops-token-'));
    try {
      const file = join(d, 'admin-token');
      writeFileSync(file, `${TOKEN}\n`);
      const c = loadConfig({ TKEY_ADMIN_TOKEN_FILE: file, TKEY_METRICS_TOKEN: 'm'.repeat(32), TKEY_METRICS: '1' });
      expect(c.adminToken!.reveal()).toBe(TOKEN); // the newline is dropped
      expect(c.metricsToken!.matches('m'.repeat(32))).toBe(true);
      expect(c.metricsToken!.matches('m'.repeat(31))).toBe(false);
      expect(loadConfig({ TKEY_ADMIN_TOKEN: TOKEN }).adminToken!.reveal()).toBe(TOKEN);
      expect(loadConfig({}, ['--admin-token-file', file]).adminToken!.reveal()).toBe(TOKEN);
      expect(loadConfig({ TKEY_ADMIN_TOKEN: '' }).adminToken).toBeUndefined();
      expect(loadConfig({ TKEY_METRICS: '0' }).metrics).toBe(false);
      expect(loadConfig({}).metrics).toBe(true);
      for (const shown of [JSON.stringify(c), inspect(c, { depth: 5 }), String(c.adminToken), `${c.metricsToken}`]) {
        expect(shown).not.toContain(TOKEN);
        expect(shown).not.toContain('m'.repeat(32));
      }
      const short = 'tooshort-secret-value';
      const cases: [Record<string, string>, string[], string, string?][] = [
        [{ TKEY_ADMIN_TOKEN: short }, [], 'TKEY_ADMIN_TOKEN', short],
        [{ TKEY_ADMIN_TOKEN: `${TOKEN} with spaces` }, [], 'TKEY_ADMIN_TOKEN', TOKEN],
        [{ TKEY_METRICS_TOKEN: short }, [], 'TKEY_METRICS_TOKEN', short],
        [{ TKEY_ADMIN_TOKEN: TOKEN, TKEY_ADMIN_TOKEN_FILE: file }, [], 'TKEY_ADMIN_TOKEN', TOKEN],
        [{ TKEY_ADMIN_TOKEN: TOKEN }, ['--admin-token-file', file], 'TKEY_ADMIN_TOKEN', TOKEN],
        [{ TKEY_ADMIN_TOKEN_FILE: join(d, 'missing') }, [], 'TKEY_ADMIN_TOKEN_FILE'],
        [{ TKEY_METRICS: '2' }, [], 'TKEY_METRICS'],
        [{}, ['--admin-token', TOKEN], '--admin-token', TOKEN],
        [{}, ['--metrics-token', TOKEN], '--metrics-token', TOKEN],
      ];
      writeFileSync(join(d, 'short'), short);
      cases.push([{ TKEY_ADMIN_TOKEN_FILE: join(d, 'short') }, [], 'TKEY_ADMIN_TOKEN_FILE', short]);
      for (const [env, args, name, secret] of cases) {
        let e: unknown;
        try {
          loadConfig(env, args);
        } catch (x) {
          e = x;
        }
        expect(isTkeyTssError(e, 'CONFIG_INVALID'), name).toBe(true);
        const msg = (e as Error).message;
        expect(msg).toContain(name);
        expect(msg).not.toContain('\n');
        if (secret) expect(msg, name).not.toContain(secret);
      }
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
