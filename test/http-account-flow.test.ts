/**
 * `TssAccount` over `HttpMetadataStorage` against a real server on loopback, with the embedded
 * store and with PostgreSQL (issue 10 "Done when"): create → sign → addFactor (a public key alone is
 * refused: OWNER_KEY_REQUIRED) → deleteFactor → recover with the mnemonic → sign. The co-signing
 * service in process reads through HTTP (embedded) or the in-process MetadataView (PostgreSQL), and
 * its fence — a batch co-signed by the service identity, a trusted signer of the server — lands.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex } from '../src/bytes.js';
import { mulG, scalarFromBytes } from '../src/curve.js';
import { TssAccount } from '../src/client/account.js';
import { decodeRecord, isShareDeletedMarker, recordAddress } from '../src/metadata/record.js';
import { seededRng } from '../src/rng.js';
import { EmbeddedStore } from '../src/server/store/embedded.js';
import { MetadataView } from '../src/server/store/metadata-view.js';
import { PostgresStore } from '../src/server/store/postgres.js';
import type { ServerStore } from '../src/server/store/types.js';
import { HttpMetadataStorage } from '../src/storage/http-storage.js';
import type { MetadataStorage } from '../src/storage/types.js';
import { FactorKey } from '../src/tss/factor-key.js';
import { accountEnv, assertSigns, deviceAux, expectCode, SERVICE_KEY } from './helpers/account.js';
import { SKIP_NOTE, startPostgres, type PgCluster } from './helpers/postgres.js';
import { listen, type TestServer } from './helpers/server.js';

const SERVICE_PUB = mulG(scalarFromBytes(SERVICE_KEY)).toBytes(true);
let cluster: PgCluster | undefined;
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(async () => {
  await cluster?.stop();
});

interface Backend {
  store: ServerStore;
  srv: TestServer;
  http: (o?: { fetch?: typeof fetch; retries?: number }) => HttpMetadataStorage;
  serviceStorage: MetadataStorage;
  close(): Promise<void>;
}

async function backend(kind: 'embedded' | 'postgres'): Promise<Backend | undefined> {
  let store: ServerStore;
  let dir: string | undefined;
  if (kind === 'embedded') {
    dir = mkdtempSync(join(tmpdir(), 'tkey-http-acct-'));
    store = await EmbeddedStore.open({ dir });
  } else {
    if (!cluster) return undefined;
    store = await PostgresStore.open({ url: await cluster.createDatabase() });
  }
  const srv = await listen(store, { serviceIdentityPub: SERVICE_PUB });
  const http = (o: { fetch?: typeof fetch; retries?: number } = {}) => new HttpMetadataStorage({ url: srv.url, timeoutMs: 20_000, ...o });
  // the service reads and fences through HTTP (embedded) or the in-process view (PostgreSQL)
  const serviceStorage = kind === 'embedded' ? http() : new MetadataView(store, { trustedSigners: [SERVICE_PUB] });
  return {
    store,
    srv,
    http,
    serviceStorage,
    close: async () => {
      await srv.close();
      await store.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe.each(['embedded', 'postgres'] as const)('TssAccount over HTTP (%s store)', (kind) => {
  it('create → sign → addFactor → deleteFactor → recover with the mnemonic → sign', async (ctx) => {
    const b = await backend(kind);
    if (!b) return ctx.skip(SKIP_NOTE);
    try {
      const env = accountEnv(`http-${kind}`, b.http(), b.serviceStorage);
      const opts = (s: string) => ({ ...env.opts(s), now: Date.now });
      const { account, recoveryFactor } = await TssAccount.create({ ...opts('create'), aux: deviceAux(1) });
      const Y = account.publicKey;
      await assertSigns(account, Y, 'over http: created');

      // a factor given as a public key cannot have its record signed: refused up front, nothing changed
      const extra = FactorKey.random(seededRng(`extra-${kind}`));
      await expectCode(account.addFactor({ factor: extra.pub(), tssIndex: 4, module: 'Other' }), 'OWNER_KEY_REQUIRED');
      expect(account.tssNonce).toBe(0);
      const added = await account.addFactor({ factor: extra, tssIndex: 4, module: 'Other' });
      expect(added).toMatchObject({ tssNonce: 1, refreshed: true, finalized: true });
      expect(account.listFactors().map((f) => f.tssIndex).sort()).toEqual([2, 3, 4]);

      const deleted = await account.deleteFactor(extra);
      expect(deleted).toMatchObject({ tssNonce: 2, finalized: true });
      // given the FactorKey, its tKey v1 record was overwritten (signed by that key)
      const rec = await env.storage.get(recordAddress(extra.pubPoint));
      expect(isShareDeletedMarker(decodeRecord(extra.scalar(), rec!))).toBe(true);

      account.logout();
      const recovered = await TssAccount.login(opts('device-2'), FactorKey.fromMnemonic(recoveryFactor.toMnemonic()));
      expect(bytesToHex(recovered.publicKey)).toBe(bytesToHex(Y));
      expect(recovered.tssNonce).toBe(2);
      await recovered.setupAux(deviceAux(2)); // aux for the recovery share (one batch over HTTP)
      await assertSigns(recovered, Y, 'over http: recovered');
    } finally {
      await b.close();
    }
  });

  it('a creation batch that never reached the server: the service fences the orphan through its storage (co-signed batch)', async (ctx) => {
    const b = await backend(kind);
    if (!b) return ctx.skip(SKIP_NOTE);
    try {
      // the device's creation batch is lost on the way (network down for /v1/batch, no retries)
      const cut: typeof fetch = async (input, init) => {
        if (String(input).endsWith('/v1/batch')) throw new TypeError('fetch failed (network down)');
        return fetch(input, init);
      };
      const env = accountEnv(`http-fence-${kind}`, b.http({ fetch: cut, retries: 0 }), b.serviceStorage);
      await expectCode(TssAccount.create({ ...env.opts('create'), now: Date.now }), 'SERVER_UNAVAILABLE');
      const [orphanKey] = await env.shares.accounts();
      const orphan = (await env.shares.get(orphanKey!))!;
      expect([orphan.confirmed, orphan.pending.length]).toEqual([null, 1]);
      const account = orphanKey!.split('/')[0]!;
      expect(await b.http().getNonce(account)).toBeNull();
      expect(await env.service.sweep({ abandonAfterMs: 0 })).toEqual({ accounts: 1, dropped: 1 });
      expect(await b.http().getNonce(account)).toBe(1); // fenced: its creation batch can never land
      expect(await env.shares.accounts()).toEqual([]);
    } finally {
      await b.close();
    }
  });
});
