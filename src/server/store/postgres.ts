/**
 * `PostgresStore`: the server store on PostgreSQL (`DATABASE_URL`), for several interchangeable
 * server processes. Rows are append-only (`tkey_rows`, latest = highest id per key); a batch is one
 * transaction that locks its account row (`SELECT … FOR UPDATE`, or `INSERT … ON CONFLICT DO
 * NOTHING` for a new account) before checking the nonce, so of two concurrent batches on one nonce
 * exactly one commits and the other sees the moved nonce and gets `STORAGE_CONFLICT` with nothing
 * written. Write locks are rows with an expiry (`tkey_locks`), taken by an atomic upsert.
 * @module
 */
import pg from 'pg';
import { fail, InternalBug, isTkeyTssError, StorageConflict } from '../../errors.js';
import { cryptoRng } from '../../rng.js';
import { migrate } from './migrate.js';
import { watchConnection } from './pg-connection.js';
import { newLockId, rowKey, type Row, type RowAddress, type RowBatch, type ServerStore, type WriteResult } from './types.js';
import { filterReplays } from './replay-rule.js';
import { assertAccount, assertRowAddress, assertRowBatch, assertRows } from './validate.js';

export interface PostgresStoreOptions {
  /** A `postgres://` connection string. */
  url: string;
  /** Pool size (default 10). */
  poolMax?: number;
}

function dbError(e: unknown): unknown {
  if (isTkeyTssError(e)) return e;
  const err = e as { message?: unknown; code?: unknown };
  return new InternalBug(`PostgreSQL failed: ${String(err?.message ?? e)}`, { sqlstate: err?.code }, 'STORAGE_IO');
}

export class PostgresStore implements ServerStore {
  readonly kind = 'postgres' as const;
  readonly #pool: pg.Pool;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Connect and run pending migrations. */
  static async open(opts: PostgresStoreOptions): Promise<PostgresStore> {
    if (typeof opts?.url !== 'string' || opts.url.length === 0) fail('INVALID_ARGUMENT', 'opts.url: expected a connection string');
    const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolMax ?? 10, connectionTimeoutMillis: 5000 });
    // An idle client losing its server must not crash the process; the next query reports it.
    pool.on('error', () => undefined);
    try {
      await migrate(pool);
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw dbError(e);
    }
    return new PostgresStore(pool);
  }

  async ping(): Promise<void> {
    try {
      await this.#pool.query('SELECT 1');
    } catch (e) {
      throw dbError(e);
    }
  }

  async getLatest(addresses: readonly RowAddress[]): Promise<(string | undefined)[]> {
    if (!Array.isArray(addresses)) fail('INVALID_ARGUMENT', 'addresses: expected an array');
    const keys = addresses.map((a, i) => rowKey(assertRowAddress(a, `addresses[${i}]`)));
    if (keys.length === 0) return [];
    try {
      const r = await this.#pool.query<{ key: string; value: string }>('SELECT DISTINCT ON (key) key, value FROM tkey_rows WHERE key = ANY($1::text[]) ORDER BY key, id DESC', [keys]);
      const m = new Map(r.rows.map((x) => [x.key, x.value]));
      return keys.map((k) => m.get(k));
    } catch (e) {
      throw dbError(e);
    }
  }

  async getNonce(account: string): Promise<number | null> {
    assertAccount(account);
    try {
      const r = await this.#pool.query<{ nonce: string }>('SELECT nonce FROM tkey_accounts WHERE account = $1', [account]);
      return r.rows.length === 0 ? null : Number(r.rows[0]!.nonce);
    } catch (e) {
      throw dbError(e);
    }
  }

  /** Run `fn` in one transaction. */
  async #tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (e) {
      throw dbError(e);
    }
    const lost = watchConnection(client);
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (e) {
      if (!lost.error) await client.query('ROLLBACK').catch(() => undefined);
      throw dbError(e);
    } finally {
      lost.done();
    }
  }

  /** Replay-check and insert rows inside the caller's transaction. */
  async #insertRows(c: pg.PoolClient, rows: readonly Row[], strict: boolean): Promise<WriteResult> {
    if (rows.length === 0) return { appended: 0, skipped: 0 };
    const keys = rows.map(rowKey);
    const sigs = rows.map((r) => r.signature);
    const found = await c.query<{ key: string; signature: string; latest: boolean }>(
      `SELECT r.key, r.signature, r.id = (SELECT max(id) FROM tkey_rows m WHERE m.key = r.key) AS latest
         FROM tkey_rows r JOIN unnest($1::text[], $2::text[]) AS u(key, signature) ON r.key = u.key AND r.signature = u.signature`,
      [keys, sigs],
    );
    const stored = new Map<string, { sigs: Set<string>; latest: string | undefined }>();
    for (const f of found.rows) {
      let s = stored.get(f.key);
      if (!s) stored.set(f.key, (s = { sigs: new Set(), latest: undefined }));
      s.sigs.add(f.signature);
      if (f.latest) s.latest = f.signature;
    }
    const { keep, skipped } = filterReplays(rows, { has: (k, sig) => stored.get(k)?.sigs.has(sig) ?? false, latest: (k) => stored.get(k)?.latest }, strict);
    if (keep.length > 0)
      await c.query('INSERT INTO tkey_rows (key, value, signature, ts) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])', [
        keep.map(rowKey),
        keep.map((r) => r.value),
        keep.map((r) => r.signature),
        keep.map((r) => r.timestamp),
      ]);
    return { appended: keep.length, skipped };
  }

  async appendRows(rows: readonly Row[]): Promise<WriteResult> {
    const rs = assertRows(rows, 'rows').slice();
    return this.#tx((c) => this.#insertRows(c, rs, false));
  }

  async commitBatch(batch: RowBatch): Promise<WriteResult> {
    const b = assertRowBatch(batch);
    return this.#tx(async (c) => {
      if (b.baseNonce === null) {
        const ins = await c.query('INSERT INTO tkey_accounts (account, nonce) VALUES ($1, $2) ON CONFLICT (account) DO NOTHING', [b.account, b.nonce]);
        if (ins.rowCount !== 1) {
          const cur = await c.query<{ nonce: string }>('SELECT nonce FROM tkey_accounts WHERE account = $1', [b.account]);
          const actual = cur.rows.length ? Number(cur.rows[0]!.nonce) : null;
          throw new StorageConflict(`batch built on nonce null, account is at ${actual}`, { account: b.account, expected: null, actual });
        }
      } else {
        const cur = await c.query<{ nonce: string }>('SELECT nonce FROM tkey_accounts WHERE account = $1 FOR UPDATE', [b.account]);
        const actual = cur.rows.length ? Number(cur.rows[0]!.nonce) : null;
        if (actual !== b.baseNonce) throw new StorageConflict(`batch built on nonce ${b.baseNonce}, account is at ${actual}`, { account: b.account, expected: b.baseNonce, actual });
        await c.query('UPDATE tkey_accounts SET nonce = $2, updated_at = now() WHERE account = $1', [b.account, b.nonce]);
      }
      return this.#insertRows(c, b.rows, true);
    });
  }

  async acquireLock(key: string, nowMs: number, ttlMs: number): Promise<string | null> {
    if (typeof key !== 'string' || key.length === 0) fail('INVALID_ARGUMENT', 'key: expected a non-empty string');
    const id = newLockId((n) => cryptoRng.bytes(n));
    try {
      const r = await this.#pool.query(
        `INSERT INTO tkey_locks (key, id, expires_ms) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET id = EXCLUDED.id, expires_ms = EXCLUDED.expires_ms WHERE tkey_locks.expires_ms <= $4
         RETURNING id`,
        [key, id, nowMs + ttlMs, nowMs],
      );
      return r.rowCount === 1 ? id : null;
    } catch (e) {
      throw dbError(e);
    }
  }

  async releaseLock(key: string, id: string, nowMs: number): Promise<0 | 1 | 2> {
    try {
      const r = await this.#pool.query<{ released: string; live: string }>(
        `WITH d AS (DELETE FROM tkey_locks WHERE key = $1 AND id = $2 AND expires_ms > $3 RETURNING 1)
         SELECT (SELECT count(*) FROM d) AS released, (SELECT count(*) FROM tkey_locks WHERE key = $1 AND expires_ms > $3) AS live`,
        [key, id, nowMs],
      );
      const row = r.rows[0]!;
      return Number(row.released) === 1 ? 1 : Number(row.live) > 0 ? 2 : 0;
    } catch (e) {
      throw dbError(e);
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
