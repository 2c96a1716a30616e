/**
 * Issue 11 item 4 / item 8 ("two nodes on one PostgreSQL with concurrent devices"): two `tkey-tss
 * serve` PROCESSES on one PostgreSQL (same KEK file, same primes file, one OIDC issuer). A device
 * creates its account and presigns via node A; A is stopped; the device signs via node B with the
 * pooled presignature — B finds the service's half in the shared sealed state. A half is used once:
 * the same pooled presignature offered again gets NOT_FOUND from the service and the client signs
 * with a fresh presignature (another nonce). Devices on both nodes at once, each presigning on one
 * node and signing on the other. Every signature verified by OpenSSL.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, utf8ToBytes } from '../src/bytes.js';
import { TssAccount } from '../src/client/account.js';
import { seededRng } from '../src/rng.js';
import { MemoryPresignStore, PresignPool, type StoredPresign } from '../src/signature/presign-pool.js';
import { deviceAux } from './helpers/account.js';
import { FailoverMetadataStorage, login, nodeSuite, verifiedByOpenSsl } from './helpers/nodes.js';
import { SKIP_NOTE } from './helpers/postgres.js';
import type { ServerProcess } from './helpers/server.js';

const suite = nodeSuite();
const clients = suite.clients;

/** A pool that remembers every presignature put into it (so a test can offer a used one again). */
class RecordingPresignStore extends MemoryPresignStore {
  readonly seen: StoredPresign[] = [];
  override async put(r: StoredPresign): Promise<void> {
    this.seen.push({ ...r, data: Uint8Array.from(r.data) });
    return super.put(r);
  }
}

describe('two server processes on one PostgreSQL', () => {
  it('presign via node A, sign via node B with the pooled half; a half is never used twice; concurrent devices on both nodes', async (ctx) => {
    if (suite.unavailable) return ctx.skip(SKIP_NOTE);
    const set = await suite.nodeSet();
    const [a, b] = [await set.start(), await set.start()];
    const info = await Promise.all([a, b].map(async (n) => (await fetch(`${n.url}/v1/service`)).json()));
    expect(info[0]).toEqual(info[1]); // one service: the same bus key and identity on both nodes

    // --- one device: create + presign via A, A stops, pooled sign via B ---------------------------
    let tokens = 0;
    const svc = await login(set, [a.url, b.url], 'dora', { onToken: () => void tokens++ });
    clients.push(svc);
    expect(svc.url).toBe(a.url);
    const storage = new FailoverMetadataStorage([a.url, b.url]);
    const recording = new RecordingPresignStore();
    const opts = { storage, postboxKey: new Uint8Array(32).fill(21), service: svc, transport: svc.partyTransport, rng: seededRng('nodes/dora'), presignPool: new PresignPool(recording) };
    const { account, deviceFactor } = await TssAccount.create({ ...opts, aux: deviceAux(1) });
    const pub = account.publicKey;
    expect(await account.presign(2)).toBe(2);
    expect(recording.seen).toHaveLength(2);

    a.child.kill('SIGTERM'); // node A goes away; the link fails over to B, the session resumes there
    await a.exited;
    storage.setUrls([b.url]);
    const s1 = await account.sign({ personalMessage: 'pooled, presigned on A, signed on B' });
    expect(s1.presigned).toBe(true); // B found the service's half of the presignature made on A
    expect(svc.url).toBe(b.url);
    expect(tokens).toBe(1); // B accepted the session A issued
    verifiedByOpenSsl(s1, pub);

    // the same pooled presignature offered again (a device's pool restored from a stale copy):
    // the service's half is gone, so no nonce is reused — the client burns its half and presigns anew
    const pool = account.presignPool;
    expect(await pool.count()).toBe(1);
    const remaining = (await pool.store.list()).map((r) => r.id);
    const taken = recording.seen.filter((r) => !remaining.includes(r.id));
    expect(taken).toHaveLength(1); // the one s1 used
    // drain the pool; then a restored device offers the used one again
    const s2 = await account.sign({ personalMessage: 'pooled, second half' });
    expect(s2.presigned).toBe(true);
    verifiedByOpenSsl(s2, pub);
    // a device restored from a stale backup of its pool: the used presignature is in it again
    const stale = new PresignPool(new MemoryPresignStore());
    await stale.store.put({ ...taken[0]!, data: Uint8Array.from(taken[0]!.data) });
    const restored = await TssAccount.login({ ...opts, rng: seededRng('nodes/dora/restored'), presignPool: stale }, deviceFactor);
    expect(await stale.count()).toBe(1);
    const s3 = await restored.sign({ personalMessage: 'the used presignature again' });
    expect(s3.presigned).toBe(false); // the service answered NOT_FOUND for the used half: a fresh presignature
    verifiedByOpenSsl(s3, pub);
    const rs = [s1, s2, s3].map((s) => bytesToHex(s.r));
    expect(new Set(rs).size).toBe(3); // three nonces, none reused
    expect(await stale.count()).toBe(0); // the stale copy was burned

    // --- A restarts; concurrent devices on both nodes, each presigning on one, signing on the other ---
    const a2 = await set.start();
    const nodes: ServerProcess[] = [a2, b];
    const DEVICES = 2; // one per node at a time (a loaded 2-core machine bounds this test)
    const results = await Promise.all(
      Array.from({ length: DEVICES }, async (_, d) => {
        const first = nodes[d % 2]!;
        const second = nodes[(d + 1) % 2]!;
        const c1 = await login(set, [first.url], `user-${d}`);
        clients.push(c1);
        const st = new FailoverMetadataStorage([first.url]);
        const o = { storage: st, postboxKey: new Uint8Array(32).fill(40 + d), service: c1, transport: c1.partyTransport, rng: seededRng(`nodes/device-${d}`) };
        const { account: acc, deviceFactor } = await TssAccount.create({ ...o, aux: deviceAux(1 + (d % 3)) });
        await acc.presign(2);
        const sa = await acc.sign({ message: utf8ToBytes(`device ${d} on ${first.url}`) }); // pooled, same node
        // the device moves to the other node: a new connection there, the same pool
        const c2 = await login(set, [second.url], `user-${d}`);
        clients.push(c2);
        st.setUrls([second.url]);
        const acc2 = await TssAccount.login({ ...o, service: c2, transport: c2.partyTransport, rng: seededRng(`nodes/device-${d}/second`), presignPool: acc.presignPool }, deviceFactor);
        const sb = await acc2.sign({ message: utf8ToBytes(`device ${d} on ${second.url}`) });
        return { pub: acc.publicKey, sigs: [sa, sb] };
      }),
    );
    for (const r of results) {
      for (const s of r.sigs) expect(s.presigned).toBe(true);
      for (const s of r.sigs) verifiedByOpenSsl(s, r.pub);
    }
    const all = results.flatMap((r) => r.sigs.map((s) => bytesToHex(s.r)));
    expect(new Set(all).size).toBe(all.length);
  }, 240_000);
});
