/**
 * `buildServer`: the fastify application of the metadata service — torus-compatible routes, our
 * batch routes, health and readiness — over a given store. Fastify because its built-in pino
 * logging and ajv body validation are what a small JSON API needs, without hand-rolled routing.
 * @module
 */
import { readFileSync } from 'node:fs';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance } from 'fastify';
import { pointFromBytes, pointToHex } from '../curve.js';
import { InvalidInput } from '../errors.js';
import { registerBatchRoutes } from './batch-routes.js';
import { DEFAULT_CONFIG, type ServerConfig } from './config.js';
import type { ServerContext } from './context.js';
import { errorBody, handleError } from './http-errors.js';
import { KeyLimiter } from './key-limiter.js';
import { registerAdminRoutes, type AdminTarget } from './ops/admin-routes.js';
import { registerHttpMetrics } from './ops/http-metrics.js';
import { LOG_REDACT, requestSerializer } from './ops/log-redact.js';
import { ServerMetrics } from './ops/metrics.js';
import { instrumentStore } from './ops/store-metrics.js';
import type { ServerStore } from './store/types.js';
import { createVerifier } from './verify-pool.js';
import { registerTorusRoutes } from './torus-routes.js';
import { DEV_ISSUER_LOG_FIELD } from './auth/dev-issuer.js';
import { registerService, type ServiceOptions } from './service/register.js';
import { registerWalletPage } from './dev/wallet-page.js';

/** The package version (from src/server or dist/src/server). */
export const VERSION: string = (() => {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const p = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (p.name === 'tkey-tss' && typeof p.version === 'string') return p.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
})();

export interface BuildServerOptions {
  store: ServerStore;
  config?: Partial<ServerConfig>;
  /** Milliseconds since the epoch (default `Date.now`); tests inject a fixed or stepping clock. */
  clock?: () => number;
  /** A pino destination stream for the logs (default stdout). */
  logStream?: NodeJS.WritableStream;
  /**
   * The metrics registry (default: a new one for this app). Pass one to share it with what is
   * built before the app (a store instrumented with `instrumentStore`, the service state); the
   * app serves it at `GET /metrics` and exposes it as `app.metrics`.
   */
  metrics?: ServerMetrics;
  /** The co-signing service the admin API acts on; the admin routes exist only with this AND `config.adminToken`. */
  admin?: AdminTarget;
  /** The co-signing service (`/v1/service`, the bus at `/v1/bus`, logins; `service/register.ts`). */
  service?: ServiceOptions;
  /**
   * The identity public key (SEC1) of the co-signing service running in this process: trusted,
   * with `config.serviceKeys`, to sign batches of any account (its fence).
   */
  serviceIdentityPub?: Uint8Array;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The app's metrics (`src/server/ops/metrics.ts`): the RPC layer reports sessions and auth failures here. */
    metrics: ServerMetrics;
  }
}

export async function buildServer(opts: BuildServerOptions): Promise<FastifyInstance> {
  const cfg: ServerConfig = { ...DEFAULT_CONFIG, ...opts.config };
  const clock = opts.clock ?? Date.now;
  const metrics = opts.metrics ?? new ServerMetrics({ defaultMetrics: cfg.metrics });
  const store = instrumentStore(opts.store, metrics);
  const ctx: ServerContext = {
    cfg,
    store,
    clock,
    nowS: () => Math.floor(clock() / 1000),
    limiter: new KeyLimiter({ max: cfg.rateLimitAccount, windowMs: 60_000, clock }),
    verifier: createVerifier(cfg.verifyThreads),
    trustedSigners: new Set([...cfg.serviceKeys, ...[opts.serviceIdentityPub, opts.service?.party.identityPub].flatMap((k) => (k ? [pointToHex(pointFromBytes(k, 'serviceIdentityPub'), true)] : []))]),
  };
  const app = Fastify({
    // pino, JSON lines; request bodies are never logged (fastify logs method, url, status, time);
    // secrets are redacted wherever they appear in a logged object, query values dropped (ops/log-redact.ts);
    // with the development issuer on, EVERY log line says so
    logger: { level: cfg.logLevel, redact: LOG_REDACT, serializers: { req: requestSerializer }, ...(opts.logStream ? { stream: opts.logStream } : {}), ...(cfg.devIssuer && opts.service ? { mixin: () => ({ ...DEV_ISSUER_LOG_FIELD }) } : {}) },
    bodyLimit: cfg.bodyLimit,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  app.decorate('metrics', metrics);
  app.addHook('onClose', async () => ctx.verifier.close());
  registerHttpMetrics(app, metrics, cfg);
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send(errorBody('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`));
  });
  await app.register(multipart, {
    limits: { fields: cfg.maxWrites, fieldSize: cfg.maxValueBytes + 4096, fieldNameSize: 16, files: 0, parts: cfg.maxWrites, headerPairs: 100 },
  });
  await app.register(rateLimit, {
    max: cfg.rateLimitIp,
    timeWindow: 60_000,
    keyGenerator: (req) => req.ip,
    errorResponseBuilder: (_req, c) => new InvalidInput('RATE_LIMITED', `too many requests from this address (limit ${c.max} per minute); retry after ${c.after}`, { retryAfterSeconds: Math.max(1, Math.ceil(c.ttl / 1000)), limit: c.max }),
  });

  const devIssuerOn = cfg.devIssuer && opts.service !== undefined;
  app.get('/healthz', { config: { rateLimit: false } }, async () => ({ status: 'ok', version: VERSION, store: store.kind, ...(devIssuerOn ? { devIssuer: DEV_ISSUER_LOG_FIELD.devIssuer } : {}) }));
  app.get('/readyz', { config: { rateLimit: false } }, async (_req, reply) => {
    try {
      await store.ping();
      return { status: 'ready', store: store.kind };
    } catch (e) {
      return reply.status(503).send(errorBody('STORAGE_IO', `store not reachable: ${(e as Error)?.message ?? String(e)}`));
    }
  });
  registerTorusRoutes(app, ctx);
  registerBatchRoutes(app, ctx);
  if (opts.service) await registerService(app, cfg, clock, opts.service, VERSION);
  // the development web wallet page (web/wallet/): development mode only, never in production
  if (cfg.mode === 'development') registerWalletPage(app, { testPrimes: process.env.TKEY_DEMO_TEST_PRIMES === '1' });
  if (cfg.adminToken && opts.admin) await registerAdminRoutes(app, { token: cfg.adminToken, target: opts.admin, metrics });
  else if (cfg.adminToken) app.log.warn('TKEY_ADMIN_TOKEN is set but this process runs no co-signing service: no admin API');
  return app;
}
