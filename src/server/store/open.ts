/**
 * Open the store the configuration names: PostgreSQL when `databaseUrl` is set, else the embedded
 * journal in `dataDir`.
 * @module
 */
import { EmbeddedStore } from './embedded.js';
import { PostgresStore } from './postgres.js';
import type { ServerStore } from './types.js';

export async function openStore(cfg: { databaseUrl?: string; dataDir: string; pgPoolMax?: number }): Promise<ServerStore> {
  if (cfg.databaseUrl) return PostgresStore.open({ url: cfg.databaseUrl, poolMax: cfg.pgPoolMax });
  return EmbeddedStore.open({ dir: cfg.dataDir });
}
