/**
 * A co-signing server in its own OS process as deployed (`src/server/main.ts serve`: metadata +
 * co-signing service, durable sealed state under a fresh KEK, development issuer, the service's
 * Paillier key from TEST prime pair 0) and devices in this process that log in through the
 * development issuer, keep their metadata on the server over HTTP and run their sessions over the
 * loopback WebSocket — for the server benchmarks and the load test. No vitest import: the benchmark
 * runner loads it too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex } from '../../src/bytes.js';
import { TssAccount } from '../../src/client/account.js';
import { connectService, type ServiceClient } from '../../src/client/service-client.js';
import { cryptoRng } from '../../src/rng.js';
import { HttpMetadataStorage } from '../../src/storage/http-storage.js';
import { post, spawnServer, type ServerProcess } from './server.js';
import { PRIMES_FILE, testPaillierKey, testPrimePairs } from './test-primes.js';

/** Generous caps: a benchmark or load test signs far beyond a user's per-minute allowance. */
const LOAD_ENV = {
  TKEY_MODE: 'development',
  TKEY_DEV_ISSUER: '1',
  TKEY_LOG_LEVEL: 'warn',
  TKEY_RATE_LIMIT_IP: '10000000',
  TKEY_RATE_LIMIT_ACCOUNT: '10000000',
  TKEY_SIGN_RATE_ACCOUNT: '1000000',
  TKEY_MAX_ACCOUNT_PRESIGS: '1000',
  TKEY_MAX_ACCOUNT_SESSIONS: '8',
};

export interface FleetServer {
  url: string;
  proc: ServerProcess;
  /** SIGKILL the process and remove its data directory (synchronous: safe in an exit handler). */
  kill(): void;
}

/**
 * Start the server process. `databaseUrl`: PostgreSQL instead of the embedded store (in a fresh
 * temp directory). The child is unref'd so it never keeps the caller alive; `kill()` it.
 */
export async function startServiceServer(opts: { databaseUrl?: string; env?: Record<string, string> } = {}): Promise<FleetServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tkey-fleet-'));
  const env: Record<string, string> = {
    ...LOAD_ENV,
    TKEY_DATA_DIR: dir,
    TKEY_SERVER_KEK: bytesToHex(cryptoRng.bytes(32)),
    TKEY_SERVICE_PRIMES_FILE: PRIMES_FILE,
    ...(opts.databaseUrl ? { DATABASE_URL: opts.databaseUrl } : {}),
    ...opts.env,
  };
  let proc: ServerProcess;
  try {
    proc = await spawnServer(env);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  proc.child.unref();
  for (const s of [proc.child.stdout, proc.child.stderr]) (s as Socket | null)?.unref();
  let killed = false;
  return {
    url: proc.url,
    proc,
    kill: () => {
      if (killed) return;
      killed = true;
      proc.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Device {
  sub: string;
  svc: ServiceClient;
  account: TssAccount;
  close(): void;
}

/**
 * A device of user `sub`: logs in through the development issuer (a fresh device key), creates a
 * 2-of-2 account on the server (keygen + aux) with its metadata over HTTP. Its Paillier key is TEST
 * prime pair 1 + (`i` mod 7) (pair 0 is the service's): devices share the 7 device pairs, which
 * costs nothing here since every account's aux runs only between its device and the service.
 */
export async function createDevice(url: string, sub: string, i: number): Promise<Device> {
  const pairs = testPrimePairs(1024).length;
  const svc = await connectService(url, {
    getIdToken: async ({ nonce }) => {
      const r = await post(url, '/dev/issuer/token', { sub, nonce });
      if (r.status !== 200) throw new Error(`development issuer: HTTP ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.id_token as string;
    },
    connectMs: 30_000,
    callMs: 120_000,
  });
  try {
    const storage = new HttpMetadataStorage({ url });
    const aux = { profile: 'default' as const, key: testPaillierKey(1 + (i % (pairs - 1))) };
    const { account } = await TssAccount.create({ storage, postboxKey: cryptoRng.bytes(32), service: svc, transport: svc.partyTransport, rng: cryptoRng, aux });
    return { sub, svc, account, close: () => svc.close() };
  } catch (e) {
    svc.close();
    throw e;
  }
}

/** `n` devices created `concurrency` at a time (account creation is CPU-bound: aux proofs). */
export async function createDevices(url: string, n: number, prefix: string, concurrency = 4): Promise<Device[]> {
  const out: Device[] = new Array(n);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      out[i] = await createDevice(url, `${prefix}-${i}`, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return out;
}

/** Fill every device's pool to `count` presignatures, `concurrency` devices at a time. */
export async function presignAll(devices: readonly Device[], count: number, concurrency = 4): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < devices.length) {
      const d = devices[next++]!;
      const have = await d.account.presign(count);
      if (have < count) throw new Error(`${d.sub}: ${have} presignatures pooled, expected ${count}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, devices.length) }, worker));
}
