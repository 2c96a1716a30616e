/**
 * Run the versioned migrations (`migrations/index.ts`) under a PostgreSQL advisory lock, so several
 * server processes starting at once apply each version exactly once, each in its own transaction.
 * @module
 */
import type pg from 'pg';
import { MIGRATIONS, type Migration } from './migrations/index.js';
import { watchConnection } from './pg-connection.js';

/** The advisory lock key of tkey-tss migrations (an arbitrary constant, fixed forever). */
export const MIGRATION_LOCK_KEY = 7_450_001;

/** Apply every migration not yet recorded in `tkey_schema_migrations`; returns the versions applied now. */
export async function migrate(pool: pg.Pool, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const client = await pool.connect();
  const lost = watchConnection(client);
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query('CREATE TABLE IF NOT EXISTS tkey_schema_migrations (version INT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
      const done = new Set((await client.query<{ version: number }>('SELECT version FROM tkey_schema_migrations')).rows.map((r) => r.version));
      for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
        if (done.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO tkey_schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
          await client.query('COMMIT');
        } catch (e) {
          await client.query('ROLLBACK');
          throw e;
        }
        applied.push(m.version);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    lost.done();
  }
  return applied;
}
