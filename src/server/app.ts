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
import type { ServerStore } from './store/types.js';
import { createVerifier } from './verify-pool.js';
import { registerTorusRoutes } from './torus-routes.js';

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
   * The identity public key (SEC1) of the co-signing service running in this process: trusted,
   * with `config.serviceKeys`, to sign batches of any account (its fence).
   */
  serviceIdentityPub?: Uint8Array;
}

export async function buildServer(opts: BuildServerOptions): Promise<FastifyInstance> {
  const cfg: ServerConfig = { ...DEFAULT_CONFIG, ...opts.config };
  const clock = opts.clock ?? Date.now;
  const ctx: ServerContext = {
    cfg,
    store: opts.store,
    clock,
    nowS: () => Math.floor(clock() / 1000),
    limiter: new KeyLimiter({ max: cfg.rateLimitAccount, windowMs: 60_000, clock }),
    verifier: createVerifier(cfg.verifyThreads),
    trustedSigners: new Set([...cfg.serviceKeys, ...(opts.serviceIdentityPub ? [pointToHex(pointFromBytes(opts.serviceIdentityPub, 'serviceIdentityPub'), true)] : [])]),
  };
  const app = Fastify({
    // pino, JSON lines; request bodies are never logged (fastify logs method, url, status, time).
    logger: { level: cfg.logLevel, ...(opts.logStream ? { stream: opts.logStream } : {}) },
    bodyLimit: cfg.bodyLimit,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  app.addHook('onClose', async () => ctx.verifier.close());
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

  app.get('/healthz', { config: { rateLimit: false } }, async () => ({ status: 'ok', version: VERSION, store: opts.store.kind }));
  app.get('/readyz', { config: { rateLimit: false } }, async (_req, reply) => {
    try {
      await opts.store.ping();
      return { status: 'ready', store: opts.store.kind };
    } catch (e) {
      return reply.status(503).send(errorBody('STORAGE_IO', `store not reachable: ${(e as Error)?.message ?? String(e)}`));
    }
  });
  registerTorusRoutes(app, ctx);
  registerBatchRoutes(app, ctx);
  return app;
}
