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
 * Call at the top level of a test file: a throwaway PostgreSQL cluster started before the file's
 * tests and stopped after them; the function returned gives it (undefined: no PostgreSQL here).
 */
export function suiteCluster(): () => PgCluster | undefined {
  let cluster: PgCluster | undefined;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  return () => cluster;
}

/**
 * Call at the top level of a test file: the cluster starts before the file's tests and stops after
 * them (`suiteCluster`), the temp directories go with it. `prefix`: of the embedded directories. `sharedEmbedded`:
 * every open of one embedded location returns the same store (one process per directory: two
 * "nodes" then share the store, not the lock).
 */
export function storeBackends(prefix: string, opts: { sharedEmbedded?: boolean } = {}): StoreBackend[] {
  const cluster = suiteCluster();
  const dirs: string[] = [];
  afterAll(() => {
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
        const pgc = cluster();
        if (!pgc) return undefined;
        const url = await pgc.createDatabase();
        return () => PostgresStore.open({ url });
      },
    },
  ];
}
