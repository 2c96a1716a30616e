/**
 * The two server-store backends a suite runs the same case on: the embedded journal (a fresh temp
 * directory) and PostgreSQL (a fresh database on the suite's throwaway cluster; where PostgreSQL is
 * not installed `fresh()` answers undefined and the case skips with `SKIP_NOTE`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { EmbeddedStore } from '../../src/server/store/embedded.js';
import { PostgresStore } from '../../src/server/store/postgres.js';
import type { ServerStore } from '../../src/server/store/types.js';
import { startPostgres, type PgCluster } from './postgres.js';

export interface StoreBackend {
  name: 'embedded' | 'postgres';
  /** A fresh location; the function returned opens a store on it (again: a restart, another node) — undefined: no PostgreSQL. */
  fresh(): Promise<(() => Promise<ServerStore>) | undefined>;
}

/**
 * Call at the top level of a test file: the cluster starts before the file's tests and stops after
 * them, the temp directories go with it. `prefix`: of the embedded directories. `sharedEmbedded`:
 * every open of one embedded location returns the same store (one process per directory: two
 * "nodes" then share the store, not the lock).
 */
export function storeBackends(prefix: string, opts: { sharedEmbedded?: boolean } = {}): StoreBackend[] {
  let cluster: PgCluster | undefined;
  const dirs: string[] = [];
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(async () => {
    await cluster?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return [
    {
      name: 'embedded',
      async fresh() {
        const dir = mkdtempSync(join(tmpdir(), prefix));
        dirs.push(dir);
        if (!opts.sharedEmbedded) return () => EmbeddedStore.open({ dir });
        let open: Promise<ServerStore> | undefined;
        return () => (open ??= EmbeddedStore.open({ dir }));
      },
    },
    {
      name: 'postgres',
      async fresh() {
        if (!cluster) return undefined;
        const url = await cluster.createDatabase();
        return () => PostgresStore.open({ url });
      },
    },
  ];
}
