/**
 * Issue 11 item 6: JSON logs with secrets redacted. A request carrying a bearer token, a session
 * cookie, tokens in its query string and a body full of secrets (a signed write, an ID token, a
 * session, a KEK) goes through the app at log level trace — including a route that carelessly
 * logs its whole body and headers — and none of the secrets appears in any captured log line,
 * while the lines still say what happened (method, route, status).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../src/server/app.js';
import { EmbeddedStore } from '../src/server/store/embedded.js';
import { signedSet } from './helpers/server.js';

let dir: string;
let store: EmbeddedStore;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tkey-ops-logs-'));
  store = await EmbeddedStore.open({ dir });
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const SECRETS = {
  bearer: 'BEARERSECRET0123456789abcdefghijklmnop',
  cookie: 'COOKIESESSION0123456789',
  queryToken: 'QUERYIDTOKEN0123456789',
  querySession: 'QUERYSESSION0123456789',
  idToken: 'eyJhbGciOiJSUzI1NiJ9.IDTOKENPAYLOAD.SIG',
  session: 'SESSIONTOKEN0123456789',
  kek: 'KEKHEX00112233445566778899aabbccddeeff',
  data: 'SETDATAVALUE0123456789',
};

describe('logs: secrets are redacted', () => {
  it('a request with a bearer token, a cookie, query tokens and a secret body leaves none of them in the log', async () => {
    const lines: string[] = [];
    const logStream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        cb();
      },
    });
    const app = await buildServer({ store, config: { logLevel: 'trace', verifyThreads: 0 }, logStream });
    // a route that logs everything it got (what a careless handler or a debug line does)
    app.post('/debug-dump', async (req) => {
      req.log.info({ body: req.body, headers: req.headers, query: req.query }, 'dump');
      req.log.warn(req.body as object, 'dump flat');
      return { ok: true };
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const write = signedSet(7n, SECRETS.data, Math.floor(Date.now() / 1000));
    try {
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${SECRETS.bearer}`, cookie: `session=${SECRETS.cookie}` };
      const query = `?idToken=${SECRETS.queryToken}&session=${SECRETS.querySession}`;
      const body = {
        ...write,
        idToken: SECRETS.idToken,
        session: SECRETS.session,
        kek: SECRETS.kek,
        config: { serverKek: SECRETS.kek, adminToken: SECRETS.bearer, databaseUrl: `postgres://u:${SECRETS.kek}@db/x` },
        batch: { writes: [{ set_data: write.set_data, signature: write.signature }] },
      };
      const set = await fetch(`${url}/set${query}`, { method: 'POST', headers, body: JSON.stringify(write) });
      expect(set.status).toBe(200);
      const dump = await fetch(`${url}/debug-dump${query}`, { method: 'POST', headers, body: JSON.stringify(body) });
      expect(dump.status).toBe(200);
      app.log.info({ TKEY_SERVER_KEK: SECRETS.kek, TKEY_ADMIN_TOKEN: SECRETS.bearer, res: { headers: { 'set-cookie': `s=${SECRETS.cookie}` } } }, 'settings');
    } finally {
      await app.close();
    }
    const all = lines.join('\n');
    for (const [name, secret] of Object.entries(SECRETS)) expect(all, name).not.toContain(secret);
    expect(all).not.toContain(write.signature); // the owner signature of the write
    // the lines still say what happened
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, any>);
    const incoming = parsed.filter((l) => l.msg === 'incoming request').map((l) => l.req);
    expect(incoming.map((r) => [r.method, r.url])).toEqual([
      ['POST', '/set?idToken=[redacted]&session=[redacted]'],
      ['POST', '/debug-dump?idToken=[redacted]&session=[redacted]'],
    ]);
    expect(parsed.filter((l) => l.msg === 'request completed').map((l) => l.res.statusCode)).toEqual([200, 200]);
    const dumped = parsed.find((l) => l.msg === 'dump')!;
    expect(dumped.headers.authorization).toBe('[redacted]');
    expect(dumped.headers.cookie).toBe('[redacted]');
    expect(dumped.headers['content-type']).toBe('application/json');
    expect(dumped.body.pub_key_X).toBeTypeOf('string'); // public parts stay
    expect([dumped.body.set_data, dumped.body.signature, dumped.body.idToken, dumped.body.batch.writes[0].signature]).toEqual(['[redacted]', '[redacted]', '[redacted]', '[redacted]']);
    expect(dumped.query).toEqual({ idToken: '[redacted]', session: '[redacted]' });
  });
});
