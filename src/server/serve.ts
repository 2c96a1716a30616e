/**
 * `startServer`: open the configured store, build the app, listen. `close()` drains: it stops
 * accepting (new requests get 503, idle keep-alive connections close), waits for in-flight
 * requests, then closes the store.
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { buildServer } from './app.js';
import { serviceEnabled, type ServerConfig } from './config.js';
import { composeService } from './service/compose.js';
import { instrumentStore } from './ops/store-metrics.js';
import { ServerMetrics } from './ops/metrics.js';
import { openStore } from './store/open.js';
import type { ServerStore } from './store/types.js';

export interface RunningServer {
  app: FastifyInstance;
  store: ServerStore;
  /** `http://host:port` actually bound (port 0 resolved). */
  url: string;
  close(): Promise<void>;
}

export async function startServer(cfg: ServerConfig, opts: { clock?: () => number; logStream?: NodeJS.WritableStream } = {}): Promise<RunningServer> {
  // one metrics registry for the app and everything built before it; the store timed by operation
  const metrics = new ServerMetrics({ defaultMetrics: cfg.metrics });
  const store = instrumentStore(await openStore(cfg), metrics);
  let app: FastifyInstance;
  try {
    // the co-signing service, when someone can log in to it (its state sealed in `store` under the KEK)
    const composed = serviceEnabled(cfg) ? await composeService(store, cfg, opts.clock ? { clock: opts.clock } : {}) : undefined;
    if (composed) metrics.setPresigStockSource(composed.presigStock);
    app = await buildServer({ store, config: cfg, metrics, ...opts, ...(composed ? { service: composed.service, admin: composed.admin } : {}) });
    await app.listen({ host: cfg.host, port: cfg.port });
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : cfg.port;
  const host = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
  const url = `http://${host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    app,
    store,
    url,
    close: () =>
      (closing ??= (async () => {
        await app.close();
        await store.close();
      })()),
  };
}
