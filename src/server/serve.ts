/**
 * `startServer`: open the configured store, build the app, listen. `close()` drains: it stops
 * accepting (new requests get 503, idle keep-alive connections close), waits for in-flight
 * requests, then closes the store.
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { buildServer } from './app.js';
import type { ServerConfig } from './config.js';
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
  const store = await openStore(cfg);
  let app: FastifyInstance;
  try {
    app = await buildServer({ store, config: cfg, ...opts });
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
