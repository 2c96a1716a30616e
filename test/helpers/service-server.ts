/**
 * The co-signing service inside a real `buildServer` app on a loopback port (embedded store in a
 * temp dir, shares in a `MemoryServiceShareStore` the test can inspect, checkpoints through a
 * FileStorage shared with the device), plus OIDC issuers made with jose: real keys, real JWKS
 * (a file, or served over HTTP), real signed ID tokens.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { FastifyInstance } from 'fastify';
import { Identity } from '../../src/bus/secure-channel.js';
import { MemoryServiceShareStore, ServiceParty } from '../../src/client/service-party.js';
import { loginNonce } from '../../src/client/service-rpc.js';
import { seededRng } from '../../src/rng.js';
import { buildServer } from '../../src/server/app.js';
import type { IssuerConfig } from '../../src/server/auth/types.js';
import type { ServerConfig } from '../../src/server/config.js';
import { EmbeddedStore } from '../../src/server/store/embedded.js';
import { FileStorage } from '../../src/storage/file-store.js';
import { SERVICE_KEY, serviceAux } from './account.js';

export const BUS_KEY = new Uint8Array(32).fill(0x42);

export interface ServiceServer {
  url: string;
  app: FastifyInstance;
  party: ServiceParty;
  shares: MemoryServiceShareStore;
  /** The metadata the service reads checkpoints from (the device writes it too). */
  storage: FileStorage;
  dir: string;
  busPub: Uint8Array;
  close(): Promise<void>;
}

/**
 * `opts.node`: another node of the same service — the same party, share store and metadata (what
 * several nodes on one durable state see); its own HTTP server, embedded store and caches.
 */
export async function serviceServer(config: Partial<ServerConfig> = {}, opts: { dir?: string; logStream?: NodeJS.WritableStream; node?: ServiceServer; clock?: () => number } = {}): Promise<ServiceServer> {
  const dir = opts.dir ?? opts.node?.dir ?? (await mkdtemp(join(tmpdir(), 'svc-server-')));
  const store = await EmbeddedStore.open({ dir: join(dir, opts.node ? 'server-2' : 'server') });
  const storage = opts.node?.storage ?? new FileStorage({ dir: join(dir, 'metadata') });
  const shares = opts.node?.shares ?? new MemoryServiceShareStore();
  const party = opts.node?.party ?? new ServiceParty({ identityKey: SERVICE_KEY, storage, shares, rng: seededRng(`svc-server/${dir}`), aux: serviceAux() });
  const app = await buildServer({
    store,
    config: { logLevel: opts.logStream ? 'info' : 'silent', verifyThreads: 0, ...config },
    ...(opts.logStream ? { logStream: opts.logStream } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
    service: { party, busKey: BUS_KEY, identityKey: SERVICE_KEY },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  let closed = false;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    party,
    shares,
    storage,
    dir,
    busPub: new Identity(BUS_KEY).publicKey,
    close: async () => {
      if (closed) return;
      closed = true;
      await app.close();
      await store.close();
      if (!opts.dir && !opts.node) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A test OIDC issuer: RS256, ES256 and EdDSA keys; its JWKS as a file and served over HTTP. */
export interface TestIssuer {
  iss: string;
  aud: string;
  jwksFile: string;
  jwksUrl: string;
  publicJwks: { keys: JWK[] };
  keys: Record<'RS256' | 'ES256' | 'EdDSA', { privateKey: CryptoKey; kid: string }>;
  /** An ID token: claims default to valid ones for `sub` on the device `devicePub`. */
  token(o: { sub: string; devicePub?: Uint8Array; alg?: 'RS256' | 'ES256' | 'EdDSA'; kid?: string; claims?: Record<string, unknown>; iat?: number; exp?: number; nbf?: number; iss?: string; aud?: string; jti?: string | null }): Promise<string>;
  config(): IssuerConfig;
  close(): Promise<void>;
}

export async function testIssuer(iss = 'https://issuer.test.example', aud = 'wallet-client-id'): Promise<TestIssuer> {
  const dir = await mkdtemp(join(tmpdir(), 'issuer-'));
  const algs = ['RS256', 'ES256', 'EdDSA'] as const;
  const keys = {} as TestIssuer['keys'];
  const publicJwks: { keys: JWK[] } = { keys: [] };
  for (const alg of algs) {
    const kp = await generateKeyPair(alg, { extractable: true });
    const kid = `${alg.toLowerCase()}-1`;
    keys[alg] = { privateKey: kp.privateKey, kid };
    publicJwks.keys.push({ ...(await exportJWK(kp.publicKey)), kid, alg, use: 'sig' });
  }
  const jwksFile = join(dir, 'jwks.json');
  await writeFile(jwksFile, JSON.stringify(publicJwks));
  const server: Server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(publicJwks));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  let jti = 0;
  return {
    iss,
    aud,
    jwksFile,
    jwksUrl: `http://127.0.0.1:${port}/jwks.json`,
    publicJwks,
    keys,
    token: async (o) => {
      const alg = o.alg ?? 'ES256';
      const now = Math.floor(Date.now() / 1000);
      const claims: Record<string, unknown> = { nonce: o.devicePub ? loginNonce(o.devicePub) : 'no-device', ...o.claims };
      let j = new SignJWT(claims)
        .setProtectedHeader({ alg, kid: o.kid ?? keys[alg].kid, typ: 'JWT' })
        .setIssuer(o.iss ?? iss)
        .setAudience(o.aud ?? aud)
        .setSubject(o.sub)
        .setIssuedAt(o.iat ?? now)
        .setExpirationTime(o.exp ?? now + 600);
      if (o.nbf !== undefined) j = j.setNotBefore(o.nbf);
      if (o.jti !== null) j = j.setJti(o.jti ?? `t-${++jti}-${Math.random()}`);
      return j.sign(keys[alg].privateKey);
    },
    config: () => ({ iss, aud, jwksFile }),
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
