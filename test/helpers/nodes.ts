/**
 * Several `tkey-tss serve` PROCESSES of one co-signing service on one PostgreSQL database (issue 11
 * item 4): the same KEK file, the same primes file, the same OIDC issuer (an ES256 key made here
 * with jose, its JWKS in a file — the development issuer's key is random per process, so nodes
 * could not share it). Devices log in with ID tokens minted here for the nonce `connectService`
 * asks for, keep their metadata over HTTP through a storage that fails over between the nodes as
 * `connectService` does, and every signature is checked by OpenSSL.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { bytesToHex, bytesToNumberBE } from '../../src/bytes.js';
import { connectService, type ServiceClient } from '../../src/client/service-client.js';
import type { Signature } from '../../src/client/signing.js';
import { cryptoRng } from '../../src/rng.js';
import { HttpMetadataStorage } from '../../src/storage/http-storage.js';
import type { MetadataStorage, RecordAddress, StorageBatch } from '../../src/storage/types.js';
import { verifyDigest } from './openssl-verify.js';
import { spawnServer, type ServerProcess } from './server.js';
import { testIssuer, type TestIssuer } from './service-server.js';
import { suiteCluster } from './store-backends.js';
import { PRIMES_FILE } from './test-primes.js';
import { nobleVerify } from './verify-signature.js';

export interface NodeSet {
  issuer: TestIssuer;
  /** Start one more node (a server process) on the shared database (`port`: a restart where a dead node listened). */
  start(port?: number): Promise<ServerProcess>;
  /** SIGKILL a node and wait for it to be gone. */
  kill(n: ServerProcess): Promise<void>;
  close(): Promise<void>;
}

export async function nodeSet(databaseUrl: string, env: Record<string, string> = {}): Promise<NodeSet> {
  const dir = mkdtempSync(join(tmpdir(), 'tkey-nodes-'));
  const kekFile = join(dir, 'kek.hex');
  writeFileSync(kekFile, bytesToHex(cryptoRng.bytes(32)) + '\n', { mode: 0o600 });
  const issuer = await testIssuer();
  const running = new Set<ServerProcess>();
  const nodeEnv = {
    DATABASE_URL: databaseUrl,
    TKEY_SERVER_KEK_FILE: kekFile,
    TKEY_SERVICE_PRIMES_FILE: PRIMES_FILE,
    TKEY_OIDC_ISSUERS: JSON.stringify([{ iss: issuer.iss, aud: issuer.aud, jwksFile: issuer.jwksFile, algs: ['ES256'] }]),
    TKEY_LOG_LEVEL: 'warn',
    TKEY_VERIFY_THREADS: '0',
    TKEY_RATE_LIMIT_IP: '1000000',
    TKEY_RATE_LIMIT_ACCOUNT: '1000000',
    TKEY_SHUTDOWN_TIMEOUT_MS: '2000',
    ...env,
  };
  return {
    issuer,
    start: async (port) => {
      const n = await spawnServer(port === undefined ? nodeEnv : { ...nodeEnv, TKEY_PORT: String(port) });
      running.add(n);
      void n.exited.then(() => running.delete(n));
      return n;
    },
    kill: async (n) => {
      n.child.kill('SIGKILL');
      await n.exited;
    },
    close: async () => {
      for (const n of running) {
        n.child.kill('SIGKILL');
        await n.exited;
      }
      await issuer.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface NodeSuite {
  /** No PostgreSQL on this machine: skip the case (`ctx.skip(SKIP_NOTE)`). */
  readonly unavailable: boolean;
  /** A node set on a fresh database of the suite's cluster. */
  nodeSet(env?: Record<string, string>): Promise<NodeSet>;
  /** The service clients a case opened: closed after the suite, before its nodes stop. */
  readonly clients: ServiceClient[];
}

/**
 * Call at the top level of a test file: a throwaway PostgreSQL cluster started before the file's
 * tests; after them the clients are closed, the node sets' processes killed and the cluster stopped.
 */
export function nodeSuite(): NodeSuite {
  const cluster = suiteCluster(); // registered first: its afterAll runs last (vitest runs after-hooks as a stack)
  const sets: NodeSet[] = [];
  const clients: ServiceClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.close();
    for (const s of sets) await s.close();
  });
  return {
    get unavailable() {
      return cluster() === undefined;
    },
    async nodeSet(env = {}) {
      const pgc = cluster();
      if (!pgc) throw new Error('nodeSuite: no PostgreSQL (check `unavailable` first)');
      const set = await nodeSet(await pgc.createDatabase(), env);
      sets.push(set);
      return set;
    },
    clients,
  };
}

/**
 * Metadata over HTTP through whichever node answers: `HttpMetadataStorage` per URL, the next URL on a
 * network failure or a 503 (`STORAGE_IO` / `SERVER_UNAVAILABLE`) — what a load balancer in front of
 * the nodes does. Typed answers (409 STORAGE_CONFLICT, 403, …) are final.
 */
export class FailoverMetadataStorage implements MetadataStorage {
  readonly signedWrites = true;
  #stores: HttpMetadataStorage[];
  #i = 0;
  /** Test hook: runs after a commit was acknowledged, before the caller hears of it (e.g. kill a node "between the phases"). */
  afterCommit: ((batch: StorageBatch) => Promise<void> | void) | undefined;
  constructor(urls: readonly string[]) {
    this.#stores = urls.map((url) => new HttpMetadataStorage({ url, retries: 0, timeoutMs: 5000 }));
  }
  setUrls(urls: readonly string[]): void {
    this.#stores = urls.map((url) => new HttpMetadataStorage({ url, retries: 0, timeoutMs: 5000 }));
    this.#i = 0;
  }
  async #any<T>(fn: (s: HttpMetadataStorage) => Promise<T>): Promise<T> {
    let last: unknown;
    for (let k = 0; k < this.#stores.length * 2; k++) {
      const s = this.#stores[this.#i % this.#stores.length]!;
      try {
        return await fn(s);
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code !== 'STORAGE_IO' && code !== 'SERVER_UNAVAILABLE') throw e;
        last = e;
        this.#i++;
      }
    }
    throw last;
  }
  get(address: RecordAddress): Promise<string | undefined> {
    return this.#any((s) => s.get(address));
  }
  getMany(addresses: readonly RecordAddress[]): Promise<(string | undefined)[]> {
    return this.#any((s) => s.getMany(addresses));
  }
  getNonce(account: string): Promise<number | null> {
    return this.#any((s) => s.getNonce(account));
  }
  /** A commit whose connection died may have landed: the client's conflict rebase (re-read the nonce) handles the retry. */
  async commit(batch: StorageBatch): Promise<void> {
    await this.#any((s) => s.commit(batch));
    await this.afterCommit?.(batch);
  }
}

/** A logged-in service connection to `urls` for `sub` (ID tokens from the test issuer, with the nonce asked for). */
export async function login(set: NodeSet, urls: readonly string[], sub: string, opts: { onToken?: () => void; sessions?: Parameters<typeof connectService>[1]['sessions'] } = {}): Promise<ServiceClient> {
  return connectService(urls, {
    getIdToken: async ({ nonce }) => {
      opts.onToken?.();
      return set.issuer.token({ sub, claims: { nonce } });
    },
    connectMs: 20_000,
    callMs: 60_000,
    backoff: { baseMs: 50, maxMs: 500 },
    ...(opts.sessions ? { sessions: opts.sessions } : {}),
  });
}

/** noble AND OpenSSL verify the signature under `pub`; a flipped bit does not. */
export function verifiedByOpenSsl(sig: Signature, pub: Uint8Array): void {
  expect(bytesToHex(sig.publicKey)).toBe(bytesToHex(pub));
  expect(nobleVerify(sig.digest, sig.signature, pub)).toBe(true);
  expect(verifyDigest(sig.digest, bytesToNumberBE(sig.r), bytesToNumberBE(sig.s), pub), 'OpenSSL verifies').toBe(true);
  expect(verifyDigest(sig.digest, bytesToNumberBE(sig.r) ^ 1n, bytesToNumberBE(sig.s), pub), 'OpenSSL refuses a changed r').toBe(false);
}
