/**
 * Metadata-server benchmarks, the server in its own process (`src/server/main.ts serve`, as
 * deployed) on loopback HTTP, requests with real owner signatures (signed ahead, as a client would
 * have them; the server verifies every one):
 *   metadata/batch:http-embedded   one account-creation batch (tkey-formats §2.7: share-1 and device
 *                                  AuthMetadata ≈ 3.5 kB each + the postbox ShareStore ≈ 1 kB) posted to
 *                                  /v1/batch, embedded store (fdatasync'd journal)
 *   metadata/batch:http-postgres   the same on PostgreSQL (a throwaway cluster; skipped with a note
 *                                  when PostgreSQL is not installed)
 *   metadata/get:http              /v1/get of the three records + the account nonce
 *   metadata/throughput:32         32 accounts each committing one 3-record batch concurrently
 *                                  (per iteration); batches/s = 32 000 / medianMs, printed as ops/s
 * The in-process baseline is `metadata/sync` / `metadata/sync:file` (metadata.bench.ts), run beside.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accountOf, authed, post, signedSet, spawnServer, type ServerProcess } from '../test/helpers/server.js';
import { startPostgres, type PgCluster } from '../test/helpers/postgres.js';
import type { BenchRegistry } from './registry.js';

/** Sizes of the stored values of a new 2-of-2 account (base64url ECIES envelopes, from the v1 sample). */
const CREATION_SIZES = [3488, 3488, 1056];
const nowS = () => Math.floor(Date.now() / 1000);

const children: ServerProcess[] = [];
const dataDir = mkdtempSync(join(tmpdir(), 'tkey-bench-server-'));
let cluster: PgCluster | undefined;
function cleanup(): void {
  for (const c of children) c.child.kill('SIGKILL');
  children.length = 0;
  const c = cluster;
  cluster = undefined;
  void c?.stop(); // synchronous inside (pg_ctl via spawnSync)
  rmSync(dataDir, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    cleanup();
    process.exit(130);
  });

/** Start a server child that does not keep the bench process alive (it is killed on exit). */
async function server(env: Record<string, string>): Promise<ServerProcess> {
  const s = await spawnServer(env);
  children.push(s);
  s.child.unref();
  for (const stream of [s.child.stdout, s.child.stderr]) (stream as Socket | null)?.unref();
  return s;
}

let accountSeq = BigInt(Date.now()) * 1000n;
/** A creation batch for a fresh account (owner keys derived from the account's key). */
function creationBatch(): { body: unknown; km: bigint } {
  const km = ++accountSeq;
  const ts = nowS();
  const writes = CREATION_SIZES.map((n, j) => signedSet(km * 10n + BigInt(j + 1), 'A'.repeat(n), ts));
  return { km, body: authed({ account: accountOf(km), baseNonce: null, nonce: 0, writes }, km, ts) };
}

/** `count` creation batches signed ahead. */
function pool(count: number): unknown[] {
  return Array.from({ length: count }, () => creationBatch().body);
}

async function expectOk(p: Promise<{ status: number; body: unknown }>): Promise<void> {
  const r = await p;
  if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${JSON.stringify(r.body)}`);
}

function batchCase(b: BenchRegistry, name: string, srv: ServerProcess): void {
  const ahead = pool(400);
  let i = 0;
  b.add(name, () => expectOk(post(srv.url, '/v1/batch', ahead[i++] ?? creationBatch().body)), { iterations: 100 });
}

export default async function suite(b: BenchRegistry): Promise<void> {
  if (!b.wants('metadata/batch:http-embedded', 'metadata/batch:http-postgres', 'metadata/get:http', 'metadata/throughput:32')) return;
  const base = { TKEY_LOG_LEVEL: 'warn', TKEY_RATE_LIMIT_IP: '10000000', TKEY_RATE_LIMIT_ACCOUNT: '10000000' };
  const embedded = await server({ ...base, TKEY_DATA_DIR: dataDir });
  batchCase(b, 'metadata/batch:http-embedded', embedded);

  cluster = await startPostgres().catch((e: unknown) => {
    console.warn(`metadata/batch:http-postgres skipped: ${(e as Error).message}`);
    return undefined;
  });
  if (cluster) {
    const pgServer = await server({ ...base, DATABASE_URL: await cluster.createDatabase('tkey_bench') });
    batchCase(b, 'metadata/batch:http-postgres', pgServer);
  } else console.warn('metadata/batch:http-postgres skipped: install postgresql');

  // Reads: the three records of one account plus its nonce.
  const { body, km } = creationBatch();
  await expectOk(post(embedded.url, '/v1/batch', body));
  const addresses = (body as { writes: { pub_key_X: string; pub_key_Y: string; namespace: string }[] }).writes.map((w) => ({ pub_key_X: w.pub_key_X, pub_key_Y: w.pub_key_Y, namespace: w.namespace }));
  const getBody = { addresses, account: accountOf(km) };
  b.add('metadata/get:http', () => expectOk(post(embedded.url, '/v1/get', getBody)), { iterations: 200 });

  // Throughput: 32 accounts, each round every account commits its next batch concurrently.
  const ACCOUNTS = 32;
  const ROUNDS = 40;
  const accounts = Array.from({ length: ACCOUNTS }, () => ++accountSeq);
  const ts = nowS();
  const rounds = Array.from({ length: ROUNDS }, (_, r) =>
    accounts.map((km) => ({
      account: accountOf(km),
      baseNonce: r === 0 ? null : r - 1,
      nonce: r,
      writes: CREATION_SIZES.map((n, j) => signedSet(km * 10n + BigInt(j + 1), `${r}`.padEnd(n, 'B'), ts)),
    })),
  );
  let round = 0;
  let totalMs = 0;
  let batches = 0;
  b.add(
    'metadata/throughput:32',
    async () => {
      const batch = rounds[round++];
      if (!batch) throw new Error(`metadata/throughput:32 ran more than ${ROUNDS} rounds`);
      const t0 = performance.now();
      await Promise.all(batch.map((x) => expectOk(post(embedded.url, '/v1/batch', x))));
      totalMs += performance.now() - t0;
      batches += batch.length;
      if (round === ROUNDS || round % 10 === 0) console.log(`metadata/throughput:32  ${((batches * 1000) / totalMs).toFixed(0)} batches/s (ops/s) over ${batches} batches`);
    },
    { iterations: 20, time: 0 },
  );
}
