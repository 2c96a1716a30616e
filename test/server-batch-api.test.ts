/**
 * Our batch endpoints over HTTP (/v1/batch, /v1/get, /v1/nonce), health and readiness, and the
 * limits: body caps, write-count caps, per-IP and per-account rate limits (429 + Retry-After).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hexToBytes } from '../src/bytes.js';
import { EmbeddedStore } from '../src/server/store/embedded.js';
import type { ServerStore } from '../src/server/store/types.js';
import { accountOf, authed, listen, post, postBulk, signedSet, type TestServer } from './helpers/server.js';

const NOW = 1_750_000_000_000;
const ts = Math.floor(NOW / 1000);

function batch(km: bigint, baseNonce: number | null, nonce: number, owners: bigint[], tag: string) {
  return authed({ account: accountOf(km), baseNonce, nonce, writes: owners.map((k, i) => signedSet(k, `${tag}-${i}`, ts)) }, km, ts);
}
const addr = (k: bigint) => {
  const w = signedSet(k, '', ts);
  return { pub_key_X: w.pub_key_X, pub_key_Y: w.pub_key_Y, namespace: 'tkey' };
};

describe('/v1 batch API', () => {
  let dir: string;
  let store: ServerStore;
  let srv: TestServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tkey-batch-'));
    store = await EmbeddedStore.open({ dir });
    srv = await listen(store, { clock: () => NOW, config: { maxWrites: 8, maxValueBytes: 2048, bodyLimit: 64 * 1024 } });
  });
  afterAll(async () => {
    await srv.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('health and readiness', async () => {
    const h = await fetch(srv.url + '/healthz');
    expect(h.status).toBe(200);
    expect(await h.json()).toEqual({ status: 'ok', version: expect.any(String), store: 'embedded' });
    const r = await fetch(srv.url + '/readyz');
    expect([r.status, await r.json()]).toEqual([200, { status: 'ready', store: 'embedded' }]);
  });

  it('creates an account, commits on the current nonce, refuses a stale batch with 409 and nothing written', async () => {
    const km = 1001n;
    const [s1, s2, sp] = [11n, 12n, 13n];
    expect((await post(srv.url, '/v1/nonce', { account: accountOf(km) })).body).toEqual({ account: accountOf(km), nonce: null });
    const c = await post(srv.url, '/v1/batch', batch(km, null, 0, [s1, s2, sp], 'create'));
    expect(c).toMatchObject({ status: 200, body: { nonce: 0, appended: 3 } });
    const u = await post(srv.url, '/v1/batch', batch(km, 0, 1, [s1, s2], 'update'));
    expect(u.body).toEqual({ nonce: 1, appended: 2 });
    const stale = await post(srv.url, '/v1/batch', batch(km, 0, 1, [s1, sp], 'stale'));
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: 'STORAGE_CONFLICT', success: false, details: { expected: 0, actual: 1 } });
    const again = await post(srv.url, '/v1/batch', batch(km, null, 0, [s1], 'recreate'));
    expect([again.status, again.body.code]).toEqual([409, 'STORAGE_CONFLICT']);
    const g = await post(srv.url, '/v1/get', { addresses: [addr(s1), addr(s2), addr(sp), addr(14n)], account: accountOf(km) });
    expect(g.body).toEqual({ values: ['update-0', 'update-1', 'create-2', null], nonce: 1 });
    // The torus /get reads the same rows.
    expect((await post(srv.url, '/get', addr(sp))).body).toEqual({ message: 'create-2' });
  });

  it("carries the client's own namespaces (checkpoint and fence records) and refuses control characters", async () => {
    const km = 1010n;
    const ns = `tkey-tss/checkpoint/${accountOf(km)}/default`;
    const w = signedSet(km, 'checkpoint', ts, ns);
    expect((await post(srv.url, '/v1/batch', authed({ account: accountOf(km), baseNonce: null, nonce: 0, writes: [w, signedSet(km, 'fence', ts, 'tkey-tss/fence/default')] }, km, ts))).status).toBe(200);
    const g = await post(srv.url, '/v1/get', { addresses: [{ ...addr(km), namespace: ns }, { ...addr(km), namespace: 'tkey-tss/fence/default' }] });
    expect(g.body).toEqual({ values: ['checkpoint', 'fence'] });
    const bad = await post(srv.url, '/v1/batch', authed({ account: accountOf(km), baseNonce: 0, nonce: 1, writes: [signedSet(km, 'x', ts, 'a\u001cb')] }, km, ts));
    expect([bad.status, bad.body.code]).toEqual([400, 'INVALID_ARGUMENT']);
  });

  it('checks every write of a batch: one bad signature or timestamp refuses all of it', async () => {
    const km = 1002n;
    const b = batch(km, null, 0, [21n, 22n], 'x');
    b.writes[1] = { ...b.writes[1]!, set_data: { ...b.writes[1]!.set_data, data: 'tampered' } };
    const r = await post(srv.url, '/v1/batch', authed(b, km, ts)); // the batch re-signed: the write's own signature fails
    expect([r.status, r.body.code]).toEqual([403, 'INVALID_SIGNATURE']);
    expect(r.body.message).toContain('writes[1]');
    const old = batch(km, null, 0, [21n], 'y');
    old.writes[0] = signedSet(21n, 'old', ts - 601);
    expect((await post(srv.url, '/v1/batch', authed(old, km, ts))).body.code).toBe('TIMESTAMP_OUT_OF_WINDOW');
    expect((await post(srv.url, '/v1/get', { addresses: [addr(21n), addr(22n)], account: accountOf(km) })).body).toEqual({ values: [null, null], nonce: null });
  });

  it('refuses a replayed write inside a batch (it would roll a record back) and does not move the nonce', async () => {
    const km = 1003n;
    const first = batch(km, null, 0, [31n], 'one');
    expect((await post(srv.url, '/v1/batch', first)).status).toBe(200);
    expect((await post(srv.url, '/v1/batch', batch(km, 0, 1, [31n], 'two'))).status).toBe(200);
    const replay = await post(srv.url, '/v1/batch', authed({ ...first, baseNonce: 1, nonce: 2 }, km, ts));
    expect([replay.status, replay.body.code]).toEqual([409, 'REPLAYED_WRITE']);
    expect((await post(srv.url, '/v1/get', { addresses: [addr(31n)], account: accountOf(km) })).body).toEqual({ values: ['two-0'], nonce: 1 });
  });

  it('batch authorization: unsigned, signed by a stranger, or signed for another batch → refused, nothing written, nonce unmoved', async () => {
    const km = 1006n;
    const stranger = 4242n;
    const ok = batch(km, null, 0, [45n], 'auth');
    const { auth: _omit, ...unsigned } = ok;
    const noAuth = await post(srv.url, '/v1/batch', unsigned);
    expect([noAuth.status, noAuth.body.code]).toEqual([400, 'INVALID_ARGUMENT']);
    // a stranger signs the statement of this batch with their own key: neither the account nor trusted
    const byStranger = await post(srv.url, '/v1/batch', authed(unsigned, stranger, ts));
    expect([byStranger.status, byStranger.body.code]).toEqual([403, 'INVALID_SIGNATURE']);
    // the account's signature of another batch (other nonce / other writes) does not carry over
    const other = batch(km, null, 1, [45n], 'auth');
    expect((await post(srv.url, '/v1/batch', { ...ok, auth: other.auth })).body.code).toBe('INVALID_SIGNATURE');
    const swapped = batch(km, null, 0, [46n], 'auth');
    expect((await post(srv.url, '/v1/batch', { ...swapped, auth: ok.auth })).body.code).toBe('INVALID_SIGNATURE');
    // the signer claims to be the account but the signature is not k_m's
    const forged = authed(unsigned, stranger, ts);
    expect((await post(srv.url, '/v1/batch', { ...forged, auth: { ...forged.auth, signer: accountOf(km) } })).body.code).toBe('INVALID_SIGNATURE');
    expect((await post(srv.url, '/v1/get', { addresses: [addr(45n), addr(46n)], account: accountOf(km) })).body).toEqual({ values: [null, null], nonce: null });
    expect((await post(srv.url, '/v1/batch', ok)).status).toBe(200);
  });

  it('validates shapes: account format, nonce order, empty batch, namespace required', async () => {
    const km = 1004n;
    const ok = batch(km, null, 0, [41n], 'v');
    const cases: unknown[] = [
      { ...ok, account: 'not-an-account' },
      { ...ok, baseNonce: 3, nonce: 3 },
      { ...ok, writes: [] },
      { ...ok, writes: [{ ...ok.writes[0]!, namespace: undefined }] },
      { ...ok, extra: 1 },
      { ...ok, nonce: '1' },
    ];
    for (const c of cases) {
      const r = await post(srv.url, '/v1/batch', JSON.parse(JSON.stringify(c)));
      expect([r.status, r.body.code], JSON.stringify(c).slice(0, 80)).toEqual([400, 'INVALID_ARGUMENT']);
    }
    expect((await post(srv.url, '/v1/nonce', { account: accountOf(km) })).body.nonce).toBeNull();
  });

  it('caps: body size, writes per batch, value size, bulk fields → 413 PAYLOAD_TOO_LARGE', async () => {
    const big = await post(srv.url, '/set', signedSet(51n, 'x'.repeat(70 * 1024), ts));
    expect([big.status, big.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const many = batch(1005n, null, 0, Array.from({ length: 9 }, (_, i) => BigInt(60 + i)), 'm');
    const r = await post(srv.url, '/v1/batch', many);
    expect([r.status, r.body.code]).toEqual([400, 'INVALID_ARGUMENT']); // schema maxItems
    const longValue = await post(srv.url, '/set', signedSet(52n, 'y'.repeat(2049), ts));
    expect([longValue.status, longValue.body.code]).toEqual([400, 'INVALID_ARGUMENT']);
    const bulkMany = await postBulk(srv.url, Array.from({ length: 9 }, (_, i) => signedSet(BigInt(70 + i), 'b', ts)));
    expect([bulkMany.status, bulkMany.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const bulkBig = await postBulk(srv.url, [signedSet(80n, 'z'.repeat(8000), ts)]);
    expect([bulkBig.status, bulkBig.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    expect((await post(srv.url, '/v1/get', { addresses: [addr(51n), addr(70n), addr(80n)] })).body).toEqual({ values: [null, null, null] });
  });
});

describe('trusted co-signing service keys', () => {
  it('a batch of any account signed by TKEY_SERVICE_KEYS or the process service identity is accepted; the same signer untrusted is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tkey-cosign-'));
    const store = await EmbeddedStore.open({ dir });
    const [svcA, svcB] = [7001n, 7002n];
    const srv = await listen(store, { clock: () => NOW, config: { serviceKeys: [accountOf(svcA)] }, serviceIdentityPub: hexToBytes(accountOf(svcB)) });
    const other = await listen(store, { clock: () => NOW });
    try {
      const km = 3001n;
      const b0 = authed({ account: accountOf(km), baseNonce: null, nonce: 1, writes: [signedSet(svcA, 'fence-a', ts, 'tkey-tss/fence/x')] }, svcA, ts);
      expect((await post(other.url, '/v1/batch', b0)).body.code).toBe('INVALID_SIGNATURE'); // not trusted there
      expect((await post(srv.url, '/v1/batch', b0)).status).toBe(200);
      const b1 = authed({ account: accountOf(km), baseNonce: 1, nonce: 2, writes: [signedSet(svcB, 'fence-b', ts, 'tkey-tss/fence/x')] }, svcB, ts);
      expect((await post(srv.url, '/v1/batch', b1)).status).toBe(200);
      expect((await post(srv.url, '/v1/nonce', { account: accountOf(km) })).body.nonce).toBe(2);
    } finally {
      await srv.close();
      await other.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('readiness', () => {
  it('/readyz answers 503 STORAGE_IO when the store is not reachable; /healthz stays 200', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tkey-ready-'));
    const store = await EmbeddedStore.open({ dir });
    const srv = await listen(store);
    try {
      expect((await fetch(srv.url + '/readyz')).status).toBe(200);
      await store.close();
      const r = await fetch(srv.url + '/readyz');
      expect([r.status, ((await r.json()) as { code: string }).code]).toEqual([503, 'STORAGE_IO']);
      expect((await fetch(srv.url + '/healthz')).status).toBe(200);
    } finally {
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('rate limits', () => {
  it('per account: 429 with Retry-After and RATE_LIMITED, nothing written; per IP likewise', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tkey-rl-'));
    const store = await EmbeddedStore.open({ dir });
    let now = NOW;
    const srv = await listen(store, { clock: () => now, config: { rateLimitAccount: 3, rateLimitIp: 1000 } });
    try {
      const km = 2001n;
      let base: number | null = null;
      for (let i = 0; i < 3; i++) {
        const r = await post(srv.url, '/v1/batch', batch(km, base, i, [90n + BigInt(i)], `r${i}`));
        expect(r.status).toBe(200);
        base = i;
      }
      const limited = await post(srv.url, '/v1/batch', batch(km, 2, 3, [99n], 'over'));
      expect([limited.status, limited.body.code]).toEqual([429, 'RATE_LIMITED']);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await post(srv.url, '/v1/nonce', { account: accountOf(km) })).body.nonce).toBe(2);
      // Another account is not affected; the window passes with the clock.
      expect((await post(srv.url, '/v1/batch', batch(2002n, null, 0, [98n], 'other'))).status).toBe(200);
      now += 60_000;
      expect((await post(srv.url, '/v1/batch', batch(km, 2, 3, [99n], 'later'))).status).toBe(200);
    } finally {
      await srv.close();
    }
    const srv2 = await listen(store, { config: { rateLimitIp: 5 } });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 6; i++) codes.push((await post(srv2.url, '/get', addr(1n))).status);
      expect(codes).toEqual([200, 200, 200, 200, 200, 429]);
      const r = await post(srv2.url, '/get', addr(1n));
      expect([r.body.code, Number(r.headers.get('retry-after')) > 0]).toEqual(['RATE_LIMITED', true]);
      expect((await fetch(srv2.url + '/healthz')).status).toBe(200); // health is exempt
    } finally {
      await srv2.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
