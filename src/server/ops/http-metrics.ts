/**
 * The app's metric hooks and `GET /metrics`: every answered request is counted by method, route
 * PATTERN (`/admin/accounts/:account/aborts`, never the concrete URL, so the series stay bounded;
 * `unmatched` for 404s) and status, with its duration (`reply.elapsedTime`). `/metrics` serves
 * the registry's text exposition when `TKEY_METRICS` is on — behind `Authorization: Bearer
 * <TKEY_METRICS_TOKEN>` when that is set — and is exempt from the per-IP rate limit.
 * @module
 */
import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from '../config.js';
import { requireBearer } from './bearer-auth.js';
import type { ServerMetrics } from './metrics.js';

export function registerHttpMetrics(app: FastifyInstance, metrics: ServerMetrics, cfg: Pick<ServerConfig, 'metrics' | 'metricsToken'>): void {
  app.addHook('onResponse', async (req, reply) => {
    metrics.observeHttp(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });
  if (!cfg.metrics) return;
  app.get(
    '/metrics',
    { config: { rateLimit: false }, ...(cfg.metricsToken ? { onRequest: requireBearer(cfg.metricsToken, 'metrics', metrics) } : {}) },
    async (_req, reply) => {
      const text = await metrics.exposition();
      return reply.header('content-type', metrics.contentType).header('cache-control', 'no-store').send(text);
    },
  );
}
