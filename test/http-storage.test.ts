/**
 * `HttpMetadataStorage` against a real server on loopback (issue 10 items 4 and 7): the tKey v1
 * layer (create, add share, reconstruct elsewhere, delete share, share-transfer module) in batch
 * mode and torus mode; two ThresholdKeys on one account (one wins, the other rebases); forged,
 * unsigned and stranger-signed writes refused with nothing written; retries (503 then 200, a lost
 * answer recognised, a dead port → SERVER_UNAVAILABLE within the timeout); the in-process view.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToBase64, bytesToHex } from '../src/bytes.js';
import { mulG } from '../src/curve.js';
import { encodeRecord, recordAddress } from '../src/metadata/record.js';
import { signBatch, signWrite } from '../src/metadata/write-auth.js';
import { ShareTransferModule } from '../src/modules/share-transfer.js';
import { EmbeddedStore } from '../src/server/store/embedded.js';
import { MetadataView } from '../src/server/store/metadata-view.js';
import { HttpMetadataStorage } from '../src/storage/http-storage.js';
import type { StorageBatch } from '../src/storage/types.js';
import { seededRng } from '../src/rng.js';
import { accountOf, listen, type TestServer } from './helpers/server.js';
import { newTkey } from './helpers/tkey.js';

const real = { now: Date.now }; // signatures carry real timestamps: the server checks its window

/** A signed one-record batch for account key `km`, owner `owner` (value random ECIES). */
function oneRecordBatch(km: bigint, owner: bigint, baseNonce: number | null, nonce: number, seed: string): StorageBatch {
  const nowS = Math.floor(Date.now() / 1000);
  const value = encodeRecord(mulG(owner), { seed }, seededRng(seed));
  const b = { account: accountOf(km), baseNonce, nonce, writes: [{ address: recordAddress(mulG(owner)), value, auth: signWrite(owner, value, nowS) }] };
  return { ...b, auth: signBatch(b, km, nowS) };
}

/** A loopback proxy in front of `target` whose behaviour per request is scripted. */
async function proxy(target: string, script: (path: string, n: number) => 'pass' | 503 | 'drop-answer'): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const srv: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      hits.push(path);
      const what = script(path, hits.filter((h) => h === path).length);
      if (what === 503) {
        res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'STORAGE_IO', message: 'down', success: false }));
        return;
      }
      void fetch(target + path, { method: 'POST', headers: { 'content-type': String(req.headers['content-type']) }, body: Buffer.concat(chunks) }).then(async (r) => {
        const text = await r.text();
        if (what === 'drop-answer') req.socket.destroy(); // the server applied it; the client never hears
        else res.writeHead(r.status, { 'content-type': 'application/json' }).end(text);
      });
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const addr = srv.address();
  return { url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`, hits, close: () => new Promise((r) => srv.close(() => r())) };
}

let dir: string;
let store: EmbeddedStore;
let srv: TestServer;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tkey-http-'));
  store = await EmbeddedStore.open({ dir });
  srv = await listen(store);
});
afterAll(async () => {
  await srv?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(['batch', 'torus'] as const)('ThresholdKey over HttpMetadataStorage (%s mode)', (mode) => {
  it('create → add share → reconstruct elsewhere → delete share → share-transfer module', async () => {
    const http = () => new HttpMetadataStorage({ url: srv.url, mode, timeoutMs: 5000 });
    const postbox = new Uint8Array(32).fill(mode === 'batch' ? 21 : 22);
    const st = new ShareTransferModule();
    const tk = newTkey(http(), `${mode}/a`, { ...real, postboxKey: postbox, modules: [st] });
    const { deviceShare, created } = await tk.initialize();
    expect(created).toBe(true);
    const { newShareStore } = await tk.generateNewShare();
    const b = newTkey(http(), `${mode}/b`, { ...real, postboxKey: postbox, manualSync: true });
    await b.initialize({ withShare: newShareStore });
    expect(bytesToHex(await b.reconstructKey())).toBe(bytesToHex(tk.exportMetadataKey()));
    await b.deleteShare(deviceShare!.index);
    await b.sync();
    const c = newTkey(http(), `${mode}/c`, { ...real, postboxKey: postbox });
    await c.initialize();
    await expect(c.inputShareStore(deviceShare!)).rejects.toMatchObject({ code: 'SHARE_DELETED' });
    // the module writes its own account (owner = the pointer key, signed by it)
    const fresh = newTkey(http(), `${mode}/d`, { ...real, postboxKey: postbox, modules: [st] });
    await fresh.initialize({ withShare: newShareStore });
    await fresh.reconstructKey();
    await st.enable(fresh);
    const stNew = new ShareTransferModule();
    const newDev = newTkey(http(), `${mode}/e`, { ...real, postboxKey: postbox, modules: [stNew] });
    await newDev.initialize();
    const id = await stNew.requestNewShare(newDev, 'http-test');
    expect(await st.lookForRequests(fresh)).toEqual([id]);
    await st.approveRequest(fresh, id);
    await stNew.waitForShare(newDev, id, { intervalMs: 20, timeoutMs: 5000 });
    expect(bytesToHex(await newDev.reconstructKey())).toBe(bytesToHex(tk.exportMetadataKey()));
  });

  it('two ThresholdKeys on one account: one wins, the other gets STORAGE_CONFLICT and rebases', async () => {
    const postbox = new Uint8Array(32).fill(mode === 'batch' ? 31 : 32);
    const a = newTkey(new HttpMetadataStorage({ url: srv.url, mode }), `${mode}/x`, { ...real, postboxKey: postbox });
    const { deviceShare } = await a.initialize();
    const x = newTkey(new HttpMetadataStorage({ url: srv.url, mode }), `${mode}/y`, { ...real, postboxKey: postbox, manualSync: true });
    const y = newTkey(new HttpMetadataStorage({ url: srv.url, mode }), `${mode}/z`, { ...real, postboxKey: postbox, manualSync: true });
    await x.initialize({ withShare: deviceShare });
    await y.initialize({ withShare: deviceShare });
    await x.reconstructKey();
    await y.reconstructKey();
    await x.addShareDescription(deviceShare!.index, 'from x');
    await y.addShareDescription(deviceShare!.index, 'from y');
    const results = await Promise.allSettled([x.sync(), y.sync()]);
    const lost = results.filter((r) => r.status === 'rejected');
    expect(lost).toHaveLength(1);
    expect((lost[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'STORAGE_CONFLICT' });
    const loser = results[0]!.status === 'rejected' ? x : y;
    await loser.reload();
    await loser.sync();
    const r = newTkey(new HttpMetadataStorage({ url: srv.url, mode }), `${mode}/r`, { ...real, postboxKey: postbox });
    await r.initialize({ withShare: deviceShare });
    expect(Object.values(r.getMetadata().shareDescriptions()).flat().sort()).toEqual(['from x', 'from y']);
  });
});

describe('refusals: nothing written', () => {
  it('an unsigned write or batch is refused by the client (OWNER_KEY_REQUIRED) before anything is sent', async () => {
    const http = new HttpMetadataStorage({ url: srv.url });
    const b = oneRecordBatch(5001n, 5002n, null, 0, 'u');
    await expect(http.commit({ ...b, auth: undefined })).rejects.toMatchObject({ code: 'OWNER_KEY_REQUIRED' });
    await expect(http.commit({ ...b, writes: [{ address: b.writes[0]!.address, value: b.writes[0]!.value }] })).rejects.toMatchObject({ code: 'OWNER_KEY_REQUIRED' });
    expect(await http.getNonce(accountOf(5001n))).toBeNull();
  });

  it('a forged write (signed by another key) and a batch signed by a stranger are refused by the server', async () => {
    const http = new HttpMetadataStorage({ url: srv.url });
    const b = oneRecordBatch(5011n, 5012n, null, 0, 'f');
    const forgedWrite = { ...b.writes[0]!, auth: signWrite(5013n, b.writes[0]!.value, Math.floor(Date.now() / 1000)) };
    const forged = { ...b, writes: [forgedWrite] };
    await expect(http.commit({ ...forged, auth: signBatch(forged, 5011n, Math.floor(Date.now() / 1000)) })).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' });
    const stranger = { ...b, auth: signBatch(b, 6666n, Math.floor(Date.now() / 1000)) };
    await expect(http.commit(stranger)).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' });
    const claims = { ...b, auth: { ...stranger.auth!, signer: accountOf(5011n) } };
    await expect(http.commit(claims)).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' });
    expect(await http.getNonce(accountOf(5011n))).toBeNull();
    expect(await http.get(b.writes[0]!.address)).toBeUndefined();
    await http.commit(b); // the genuine batch still lands
    expect(await http.get(b.writes[0]!.address)).toBe(b.writes[0]!.value);
  });

  it('a stale batch is STORAGE_CONFLICT with the nonces; an old timestamp TIMESTAMP_OUT_OF_WINDOW', async () => {
    const http = new HttpMetadataStorage({ url: srv.url });
    await http.commit(oneRecordBatch(5021n, 5022n, null, 0, 's0'));
    await expect(http.commit(oneRecordBatch(5021n, 5022n, null, 0, 's1'))).rejects.toMatchObject({ code: 'STORAGE_CONFLICT', details: { expected: null, actual: 0 } });
    const nowS = Math.floor(Date.now() / 1000) - 3600;
    const value = encodeRecord(mulG(5022n), { old: true }, seededRng('old'));
    const b = { account: accountOf(5021n), baseNonce: 0, nonce: 1, writes: [{ address: recordAddress(mulG(5022n)), value, auth: signWrite(5022n, value, nowS) }] };
    await expect(http.commit({ ...b, auth: signBatch(b, 5021n, nowS) })).rejects.toMatchObject({ code: 'TIMESTAMP_OUT_OF_WINDOW' });
    expect(await http.getNonce(accountOf(5021n))).toBe(0);
  });
});

describe('server refusals keep their codes', () => {
  it('RATE_LIMITED with retryAfterSeconds (not retried); PAYLOAD_TOO_LARGE', async () => {
    const limited = await listen(store, { config: { rateLimitIp: 2, bodyLimit: 4096, maxValueBytes: 2048 } });
    try {
      const http = new HttpMetadataStorage({ url: limited.url, retries: 3, backoffMs: 1 });
      const big = oneRecordBatch(5071n, 5072n, null, 0, 'big');
      const value = 'A'.repeat(5000);
      const nowS = Math.floor(Date.now() / 1000);
      const w = { address: big.writes[0]!.address, value, auth: signWrite(5072n, value, nowS) };
      const bb = { account: big.account, baseNonce: null, nonce: 0, writes: [w] };
      await expect(http.commit({ ...bb, auth: signBatch(bb, 5071n, nowS) })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
      await http.getNonce(accountOf(5071n)); // the second request of the minute
      const e = await http.getNonce(accountOf(5071n)).catch((x: unknown) => x);
      expect(e).toMatchObject({ code: 'RATE_LIMITED' });
      expect((e as { details: { retryAfterSeconds: number } }).details.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    } finally {
      await limited.close();
    }
  });
});

describe('fetch is called as browsers require', () => {
  it("window.fetch (a WebIDL operation: 'Illegal invocation' unless called on the global object) works as the default and when passed", async () => {
    const realFetch = globalThis.fetch;
    const calls: unknown[] = [];
    // what Chromium's window.fetch does: a brand check on `this` (undefined means the global object)
    const browserFetch = function (this: unknown, input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
      calls.push(this);
      if (this !== undefined && this !== globalThis) throw new TypeError("Failed to execute 'fetch' on 'Window': Illegal invocation");
      return realFetch(input, init);
    } as typeof fetch;
    globalThis.fetch = browserFetch;
    try {
      expect(await new HttpMetadataStorage({ url: srv.url, retries: 0 }).getNonce(accountOf(5041n))).toBeNull();
      expect(await new HttpMetadataStorage({ url: srv.url, retries: 0, fetch: browserFetch }).getNonce(accountOf(5042n))).toBeNull();
      expect(calls).toHaveLength(2);
    } finally {
      globalThis.fetch = realFetch;
    }
  });
});

describe('retries and timeouts', () => {
  it('a server that answers 503 then 200 succeeds (reads and batches)', async () => {
    const p = await proxy(srv.url, (_path, n) => (n === 1 ? 503 : 'pass'));
    try {
      const http = new HttpMetadataStorage({ url: p.url, retries: 2, backoffMs: 5 });
      const b = oneRecordBatch(5031n, 5032n, null, 0, 'r');
      await http.commit(b);
      expect(await http.get(b.writes[0]!.address)).toBe(b.writes[0]!.value);
      expect(p.hits.filter((h) => h === '/v1/batch')).toHaveLength(2);
      expect(p.hits.filter((h) => h === '/v1/get')).toHaveLength(2);
      // without retries the 503 is SERVER_UNAVAILABLE
      const p2 = await proxy(srv.url, () => 503);
      await expect(new HttpMetadataStorage({ url: p2.url, retries: 0 }).getNonce(accountOf(5031n))).rejects.toMatchObject({ code: 'SERVER_UNAVAILABLE' });
      await p2.close();
    } finally {
      await p.close();
    }
  });

  it('a batch whose answer was lost is retried and recognised as landed (not double-applied, no false conflict)', async () => {
    const p = await proxy(srv.url, (path, n) => (path === '/v1/batch' && n === 1 ? 'drop-answer' : 'pass'));
    try {
      const http = new HttpMetadataStorage({ url: p.url, retries: 2, backoffMs: 5 });
      const b = oneRecordBatch(5041n, 5042n, null, 0, 'lost');
      await http.commit(b);
      expect(p.hits.filter((h) => h === '/v1/batch')).toHaveLength(2); // the replay met the moved nonce …
      expect(await http.getNonce(accountOf(5041n))).toBe(0); // … and was recognised
      // a different batch on the same stale nonce is still a conflict
      await expect(http.commit(oneRecordBatch(5041n, 5042n, null, 0, 'other'))).rejects.toMatchObject({ code: 'STORAGE_CONFLICT' });
    } finally {
      await p.close();
    }
  });

  it('torus mode: a bulk write whose answer was lost is recognised by its own nonce record on retry', async () => {
    const p = await proxy(srv.url, (path, n) => (path === '/bulk_set_stream' && n === 1 ? 'drop-answer' : 'pass'));
    try {
      const http = new HttpMetadataStorage({ url: p.url, mode: 'torus', retries: 2, backoffMs: 5 });
      const b = oneRecordBatch(5061n, 5062n, null, 0, 'torus-lost');
      await http.commit(b);
      expect(p.hits.filter((h) => h === '/bulk_set_stream')).toHaveLength(1); // not written twice
      expect(p.hits.filter((h) => h === '/acquireLock')).toHaveLength(2);
      expect(await http.getNonce(accountOf(5061n))).toBe(0);
      expect(await http.get(b.writes[0]!.address)).toBe(b.writes[0]!.value);
      await expect(http.commit(oneRecordBatch(5061n, 5062n, null, 0, 'torus-other'))).rejects.toMatchObject({ code: 'STORAGE_CONFLICT' });
      await http.commit(oneRecordBatch(5061n, 5062n, 0, 1, 'torus-next'));
      expect(await http.getNonce(accountOf(5061n))).toBe(1);
    } finally {
      await p.close();
    }
  });

  it('a dead port gives SERVER_UNAVAILABLE within the timeout budget', async () => {
    const dead = await proxy(srv.url, () => 'pass');
    await dead.close(); // nothing listens there any more
    const http = new HttpMetadataStorage({ url: dead.url, timeoutMs: 300, retries: 2, backoffMs: 10 });
    const t0 = Date.now();
    await expect(http.getNonce(accountOf(1n))).rejects.toMatchObject({ code: 'SERVER_UNAVAILABLE' });
    expect(Date.now() - t0).toBeLessThan(3 * 300 + 200);
  });

  it('a server that never answers: SERVER_UNAVAILABLE after timeoutMs per attempt', async () => {
    const hang = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    const addr = hang.address();
    try {
      const http = new HttpMetadataStorage({ url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`, timeoutMs: 200, retries: 1, backoffMs: 1 });
      const t0 = Date.now();
      await expect(http.get(recordAddress(mulG(3n)))).rejects.toMatchObject({ code: 'SERVER_UNAVAILABLE' });
      const took = Date.now() - t0;
      expect(took).toBeGreaterThanOrEqual(400);
      expect(took).toBeLessThan(2000);
    } finally {
      hang.closeAllConnections();
      await new Promise((r) => hang.close(r));
    }
  });
});

describe('MetadataView (in-process, checks as /v1/batch does)', () => {
  it('reads what HTTP wrote, commits signed batches, refuses unsigned/stranger/forged ones', async () => {
    const view = new MetadataView(store, { trustedSigners: [mulG(7777n).toBytes(true)] });
    const http = new HttpMetadataStorage({ url: srv.url });
    const b = oneRecordBatch(5051n, 5052n, null, 0, 'v');
    await http.commit(b);
    expect(await view.get(b.writes[0]!.address)).toBe(b.writes[0]!.value);
    expect(await view.getNonce(accountOf(5051n))).toBe(0);
    const next = oneRecordBatch(5051n, 5053n, 0, 1, 'v1');
    await expect(view.commit({ ...next, auth: undefined })).rejects.toMatchObject({ code: 'OWNER_KEY_REQUIRED' });
    await expect(view.commit({ ...next, auth: signBatch(next, 6666n, Math.floor(Date.now() / 1000)) })).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' });
    const w = next.writes[0]!;
    await expect(view.commit({ ...next, writes: [{ ...w, auth: { ...w.auth!, signature: bytesToBase64(new Uint8Array(65).fill(1)) } }] })).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' });
    expect(await http.getNonce(accountOf(5051n))).toBe(0);
    // a trusted co-signer's batch for this account
    const nowS = Math.floor(Date.now() / 1000);
    const value = encodeRecord(mulG(7777n), { fence: 1 }, seededRng('fence'));
    const fb = { account: accountOf(5051n), baseNonce: 0, nonce: 1, writes: [{ address: recordAddress(mulG(7777n), 'tkey-tss/fence/x'), value, auth: signWrite(7777n, value, nowS) }] };
    await view.commit({ ...fb, auth: signBatch(fb, 7777n, nowS) });
    expect(await http.getNonce(accountOf(5051n))).toBe(1);
  });
});
