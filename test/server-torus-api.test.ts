/**
 * The torus-metadata API of our server: the reference account's 37 recorded signed writes are
 * accepted at the sample's time and read back as the sample stored them; forged, stale, future and
 * wrong-key signatures are refused with nothing written; the lock; the published @tkey client
 * (`@tkey/storage-layer-torus` 15) drives the server unchanged.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { EmbeddedStore } from '../src/server/store/embedded.js';
import { SAMPLE_PATH } from './helpers/v1-sample.js';
import { listen, post, postBulk, signedLock, signedSet, type TestServer } from './helpers/server.js';

interface WriteReq {
  pub_key_X: string;
  pub_key_Y: string;
  set_data: { data: string; timestamp: string };
  signature: string;
  namespace: string;
}
const sample = JSON.parse(readFileSync(SAMPLE_PATH, 'utf8')) as {
  writeLog: WriteReq[];
  storage: { record: { pub_key_X: string; pub_key_Y: string; namespace: string }; storedValue: string }[];
  metadataKey: string;
};
const SAMPLE_MS = 1_700_000_000_000;

describe('torus-metadata API (embedded store)', () => {
  let dir: string;
  let store: EmbeddedStore;
  let srv: TestServer;
  let now = SAMPLE_MS + 30_000;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tkey-srv-'));
    store = await EmbeddedStore.open({ dir });
    srv = await listen(store, { clock: () => now });
  });
  afterAll(async () => {
    await srv.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts every recorded write of the reference account and reads the sample back', async () => {
    expect(sample.writeLog).toHaveLength(37);
    // The reference client sent them in bulk requests; send the first three as one bulk, the rest one by one.
    const bulk = await postBulk(srv.url, sample.writeLog.slice(0, 3));
    expect(bulk).toEqual({ status: 200, body: { message: '' } });
    for (const w of sample.writeLog.slice(3)) {
      const r = await post(srv.url, '/set', w);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    for (const s of sample.storage) {
      const r = await post(srv.url, '/get', s.record);
      expect(r.body).toEqual({ message: s.storedValue });
    }
    // Unpadded hex is the key: a zero-padded or upper-cased address is another record.
    const absent = await post(srv.url, '/get', { pub_key_X: '00' + 'ab'.repeat(31), pub_key_Y: 'cd', namespace: 'tkey' });
    expect(absent.body).toEqual({ message: '' });
  });

  it('refuses a forged, a stale, a future and a wrong-key signature, writing nothing', async () => {
    const k = 0x1234567890abcdefn;
    const ts = Math.floor(now / 1000);
    const good = signedSet(k, 'v1', ts);
    const addr = { pub_key_X: good.pub_key_X, pub_key_Y: good.pub_key_Y, namespace: 'tkey' };
    const forged = { ...good, set_data: { ...good.set_data, data: 'v2' } };
    const r1 = await post(srv.url, '/set', forged);
    expect(r1.status).toBe(403);
    expect(r1.body.code).toBe('INVALID_SIGNATURE');
    const stale = signedSet(k, 'v1', ts - 601);
    const r2 = await post(srv.url, '/set', stale);
    expect([r2.status, r2.body.code]).toEqual([403, 'TIMESTAMP_OUT_OF_WINDOW']);
    const future = signedSet(k, 'v1', ts + 61);
    const r3 = await post(srv.url, '/set', future);
    expect([r3.status, r3.body.code]).toEqual([403, 'TIMESTAMP_OUT_OF_WINDOW']);
    const other = signedSet(k + 1n, 'v1', ts);
    const r4 = await post(srv.url, '/set', { ...other, pub_key_X: good.pub_key_X, pub_key_Y: good.pub_key_Y });
    expect([r4.status, r4.body.code]).toEqual([403, 'INVALID_SIGNATURE']);
    // A bulk request with one bad field writes none of its fields.
    const r5 = await postBulk(srv.url, [good, forged]);
    expect([r5.status, r5.body.code, r5.body.details]).toEqual([403, 'INVALID_SIGNATURE', undefined]);
    expect((await post(srv.url, '/get', addr)).body).toEqual({ message: '' });
    // Off-curve owner key.
    const r6 = await post(srv.url, '/set', { ...good, pub_key_Y: '1' });
    expect([r6.status, r6.body.code]).toEqual([400, 'INVALID_POINT']);
    expect((await post(srv.url, '/get', addr)).body).toEqual({ message: '' });
    // The good one lands; the window edge (600 s old) is still accepted.
    expect((await post(srv.url, '/set', good)).status).toBe(200);
    expect((await post(srv.url, '/set', signedSet(k, 'edge', ts - 600))).status).toBe(200);
    expect((await post(srv.url, '/get', addr)).body).toEqual({ message: 'edge' });
  });

  it('accepts the JSON.stringify variant of the signed object, as the reference does', async () => {
    const { keccak256 } = await import('../src/hash.js');
    const { ecdsaSignDigest } = await import('../src/curve.js');
    const { utf8ToBytes, bytesToBase64, concatBytes } = await import('../src/bytes.js');
    const k = 777n;
    const base = signedSet(k, 'x', Math.floor(now / 1000));
    const set_data = { timestamp: base.set_data.timestamp, data: 'json-order' }; // keys not sorted
    const sig = ecdsaSignDigest(keccak256(utf8ToBytes(JSON.stringify(set_data))), k, { format: 'compact' });
    const r = await post(srv.url, '/set', { ...base, set_data, signature: bytesToBase64(concatBytes(sig, new Uint8Array([0]))) });
    expect(r.status).toBe(200);
    expect((await post(srv.url, '/get', { pub_key_X: base.pub_key_X, pub_key_Y: base.pub_key_Y, namespace: 'tkey' })).body).toEqual({ message: 'json-order' });
  });

  it('refuses a replay that would roll a record back; an identical retry of the latest is a no-op', async () => {
    const k = 4242n;
    const ts = Math.floor(now / 1000);
    const a = signedSet(k, 'A', ts);
    const b = signedSet(k, 'B', ts);
    const addr = { pub_key_X: a.pub_key_X, pub_key_Y: a.pub_key_Y, namespace: 'tkey' };
    expect((await post(srv.url, '/set', a)).status).toBe(200);
    expect((await post(srv.url, '/set', b)).status).toBe(200);
    expect((await post(srv.url, '/set', b)).status).toBe(200); // idempotent retry
    const replay = await post(srv.url, '/set', a);
    expect([replay.status, replay.body.code]).toEqual([409, 'REPLAYED_WRITE']);
    expect((await post(srv.url, '/get', addr)).body).toEqual({ message: 'B' });
  });

  it('namespaces are separate records; reserved ones are refused by /set', async () => {
    const k = 99n;
    const ts = Math.floor(now / 1000);
    expect((await post(srv.url, '/set', signedSet(k, 'in-a', ts, 'nsa'))).status).toBe(200);
    const w = signedSet(k, 'in-b', ts, 'nsb');
    expect((await post(srv.url, '/set', w)).status).toBe(200);
    expect((await post(srv.url, '/get', { pub_key_X: w.pub_key_X, pub_key_Y: w.pub_key_Y, namespace: 'nsa' })).body).toEqual({ message: 'in-a' });
    expect((await post(srv.url, '/get', { pub_key_X: w.pub_key_X, pub_key_Y: w.pub_key_Y, namespace: 'nsb' })).body).toEqual({ message: 'in-b' });
    const r = await post(srv.url, '/set', signedSet(k, 'x', ts, 'noncev2'));
    expect([r.status, r.body.code]).toEqual([400, 'INVALID_ARGUMENT']);
    // …but the reference client's bulk "delete nonce" write in noncev2 is accepted.
    expect((await postBulk(srv.url, [signedSet(k, '<deleted>', ts, 'noncev2')])).status).toBe(200);
  });

  it('lock: signed acquire, refused while held, release by id only, expiry after 90 s', async () => {
    const km = BigInt('0x' + sample.metadataKey);
    const ts = () => Math.floor(now / 1000);
    const a = await post(srv.url, '/acquireLock', signedLock(km, ts()));
    expect(a.body.status).toBe(1);
    expect(a.body.id).toMatch(/^[a-z0-9]{7}$/);
    expect((await post(srv.url, '/acquireLock', signedLock(km, ts()))).body).toEqual({ status: 0 });
    expect((await post(srv.url, '/releaseLock', signedLock(km, ts(), 'wrongid'))).body).toEqual({ status: 2 });
    expect((await post(srv.url, '/releaseLock', signedLock(km, ts(), a.body.id))).body).toEqual({ status: 1 });
    expect((await post(srv.url, '/releaseLock', signedLock(km, ts(), a.body.id))).body).toEqual({ status: 0 });
    // Forged: signed by another key.
    const forged = { ...signedLock(km + 1n, ts()), key: signedLock(km, ts()).key };
    const f = await post(srv.url, '/acquireLock', forged);
    expect([f.status, f.body.code]).toEqual([403, 'INVALID_SIGNATURE']);
    const stale = await post(srv.url, '/acquireLock', signedLock(km, ts() - 601));
    expect([stale.status, stale.body.code]).toEqual([403, 'TIMESTAMP_OUT_OF_WINDOW']);
    // TTL: a held lock is free again after 90 s.
    const held = await post(srv.url, '/acquireLock', signedLock(km, ts()));
    expect(held.body.status).toBe(1);
    now += 89_000;
    expect((await post(srv.url, '/acquireLock', signedLock(km, ts()))).body).toEqual({ status: 0 });
    now += 1_000;
    const again = await post(srv.url, '/acquireLock', signedLock(km, ts()));
    expect(again.body.status).toBe(1);
    expect((await post(srv.url, '/releaseLock', signedLock(km, ts(), held.body.id))).body).toEqual({ status: 2 });
  });

  it('typed errors: schema, body cap, multipart caps', async () => {
    const bad = await post(srv.url, '/set', { pub_key_X: 'xyz' });
    expect([bad.status, bad.body.code, bad.body.success]).toEqual([400, 'INVALID_ARGUMENT', false]);
    const extra = await post(srv.url, '/set', { ...signedSet(5n, 'x', Math.floor(now / 1000)), tableName: 'users' });
    expect([extra.status, extra.body.code]).toEqual([400, 'INVALID_ARGUMENT']);
    const r = await fetch(srv.url + '/set', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' });
    expect([r.status, ((await r.json()) as { code: string }).code]).toEqual([400, 'INVALID_JSON']);
  });
});

describe('verification on a worker-thread pool', () => {
  it('accepts the recorded writes in one bulk request and refuses a forged one with the same typed error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tkey-srv-'));
    const store = await EmbeddedStore.open({ dir });
    const srv = await listen(store, { clock: () => SAMPLE_MS + 30_000, config: { verifyThreads: 2 } });
    try {
      const first = sample.writeLog.slice(0, 8);
      const forged = first.map((w, i) => (i === 5 ? { ...w, set_data: { ...w.set_data, data: w.set_data.data.slice(1) } } : w));
      const bad = await postBulk(srv.url, forged);
      expect([bad.status, bad.body.code]).toEqual([403, 'INVALID_SIGNATURE']);
      expect(bad.body.message).toContain('field 5');
      expect((await post(srv.url, '/get', sample.storage[0]!.record)).body).toEqual({ message: '' });
      expect((await postBulk(srv.url, first)).status).toBe(200);
      const r = await post(srv.url, '/set', sample.writeLog[8]);
      expect(r.status).toBe(200);
    } finally {
      await srv.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the published @tkey/storage-layer-torus 15 client against our server', () => {
  it('get, set, bulk set (setMetadataStream) and the write lock work unchanged', async () => {
    const require = createRequire(import.meta.url);
    let mod: { TorusStorageLayer: new (o: { hostUrl: string }) => any };
    let BN: new (v: string | number, base?: number) => unknown;
    try {
      mod = require('@tkey/storage-layer-torus');
      BN = require('bn.js');
    } catch (e) {
      throw new Error(`@tkey/storage-layer-torus (a devDependency) is not installed: ${(e as Error).message}`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'tkey-srv-'));
    const store = await EmbeddedStore.open({ dir });
    const srv = await listen(store); // real clock: the client signs with Date.now()
    try {
      const sl = new mod.TorusStorageLayer({ hostUrl: srv.url });
      const k1 = new BN(sample.metadataKey, 16);
      const k2 = new BN('0f'.repeat(31), 16); // a key whose X has a leading zero nibble is still found
      expect(await sl.getMetadata({ privKey: k1 })).toEqual({ message: 'KEY_NOT_FOUND' });
      await sl.setMetadata({ privKey: k1, input: { hello: 'world' } });
      expect(await sl.getMetadata({ privKey: k1 })).toEqual({ hello: 'world' });
      await sl.setMetadataStream({ privKey: [k1, k2], input: [{ a: 1 }, { b: [2, 3] }] });
      expect(await sl.getMetadata({ privKey: k1 })).toEqual({ a: 1 });
      expect(await sl.getMetadata({ privKey: k2 })).toEqual({ b: [2, 3] });
      const lock = await sl.acquireWriteLock({ privKey: k1 });
      expect(lock.status).toBe(1);
      expect(await sl.acquireWriteLock({ privKey: k1 })).toEqual({ status: 0 });
      expect(await sl.releaseWriteLock({ privKey: k1, id: lock.id })).toEqual({ status: 1 });
    } finally {
      await srv.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
