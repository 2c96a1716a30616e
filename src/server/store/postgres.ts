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
import { sha256 } from '../../hash.js';
import { utf8ToBytes } from '../../bytes.js';
import { migrate } from './migrate.js';
import { watchConnection } from './pg-connection.js';
import type { StateInsert, StateListOptions, StatePutOptions, StateRow } from './state-types.js';
import { newLockId, rowKey, type Row, type RowAddress, type RowBatch, type ServerStore, type WriteResult } from './types.js';
import { filterReplays } from './replay-rule.js';
import { assertLockName, stateCountArgs, stateDeleteArgs, stateDeleteBelowArgs, stateInsertArgs, stateListArgs, statePutArgs, stateRowArgs, stateTakeInsertArgs, stateTakePutArgs } from './state-args.js';
import { assertAccount, assertRowAddress, assertRowBatch, assertRows } from './validate.js';

/** The advisory-lock key of a `withStateLock` name: the first 8 bytes of SHA-256("tkey-tss/state-lock/" ‖ name), signed. */
export function stateLockKey(name: string): string {
  const h = sha256(utf8ToBytes(`tkey-tss/state-lock/${name}`));
  return Buffer.from(h.subarray(0, 8)).readBigInt64BE(0).toString();
}

type StateDbRow = { kind: string; key: string; epoch: string; version: string; value: Buffer };
const stateRow = (r: StateDbRow): StateRow => ({ kind: r.kind, key: r.key, epoch: Number(r.epoch), version: Number(r.version), value: new Uint8Array(r.value) });

export interface PostgresStoreOptions {
  /** A `postgres://` connection string. */
  url: string;
  /** Pool size (default 10). */
  poolMax?: number;
}

/** Rows to insert as four array parameters $first … $first+3 (one statement for any number of rows). */
const unnestRows = (first: number): string => `unnest($${first}::text[], $${first + 1}::text[], $${first + 2}::bigint[], $${first + 3}::bytea[]) AS v(kind, key, epoch, value)`;
function unnestParams(rows: readonly { kind: string; key: string; epoch: number; value: Uint8Array }[]): unknown[] {
  return [rows.map((r) => r.kind), rows.map((r) => r.key), rows.map((r) => String(r.epoch)), rows.map((r) => Buffer.from(r.value))];
}

function dbError(e: unknown): unknown {
  if (isTkeyTssError(e)) return e;
  const err = e as { message?: unknown; code?: unknown };
  return new InternalBug(`PostgreSQL failed: ${String(err?.message ?? e)}`, { sqlstate: err?.code }, 'STORAGE_IO');
}

/** Smallest lock pool (`withStateLock` clients; idle ones close after 10 s). */
const LOCK_POOL_MIN = 32;

export class PostgresStore implements ServerStore {
  readonly kind = 'postgres' as const;
  readonly #pool: pg.Pool;
  /**
   * Clients that hold advisory locks (`withStateLock`), apart from `#pool`: a lock holder's critical
   * section runs its queries on `#pool`, so lock waiters can never take every client a holder needs.
   */
  readonly #lockPool: pg.Pool;
  /** Per name, the in-process queue in front of the advisory lock (one waiting client per name and process). */
  readonly #named = new Map<string, Promise<unknown>>();

  private constructor(pool: pg.Pool, lockPool: pg.Pool) {
    this.#pool = pool;
    this.#lockPool = lockPool;
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
    // Lock clients wait (no connection timeout while queued behind other holders of this process).
    // A holder keeps its client for its whole section (one per account in flight: 16 devices signing
    // at once hold 16), so this pool is at least LOCK_POOL_MIN: below it, accounts queue for a client, not for their lock.
    const lockPool = new pg.Pool({ connectionString: opts.url, max: Math.max(opts.poolMax ?? 10, LOCK_POOL_MIN), connectionTimeoutMillis: 0, idleTimeoutMillis: 10_000 });
    lockPool.on('error', () => undefined);
    return new PostgresStore(pool, lockPool);
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

  // ---- service-state space (state-types.ts) ----

  async #q<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(sql, params);
    } catch (e) {
      throw dbError(e);
    }
  }

  async stateGet(kind: string, key: string): Promise<StateRow | undefined> {
    const a = stateRowArgs(kind, key);
    const r = await this.#q<StateDbRow>('SELECT kind, key, epoch, version, value FROM tkey_state WHERE kind = $1 AND key = $2', [a.kind, a.key]);
    return r.rows.length ? stateRow(r.rows[0]!) : undefined;
  }

  async statePut(kind: string, key: string, value: Uint8Array, opts: StatePutOptions = {}): Promise<number> {
    const { epoch, expected, ...a } = statePutArgs(kind, key, value, opts);
    const v = Buffer.from(a.value);
    let r: pg.QueryResult<{ version: string }>;
    if (expected === null) r = await this.#q('INSERT INTO tkey_state (kind, key, epoch, version, value) VALUES ($1, $2, $3, 1, $4) ON CONFLICT (kind, key) DO NOTHING RETURNING version', [kind, key, epoch, v]);
    else if (expected === undefined)
      r = await this.#q(
        `INSERT INTO tkey_state (kind, key, epoch, version, value) VALUES ($1, $2, $3, 1, $4)
         ON CONFLICT (kind, key) DO UPDATE SET epoch = EXCLUDED.epoch, value = EXCLUDED.value, version = tkey_state.version + 1, updated_at = now() RETURNING version`,
        [kind, key, epoch, v],
      );
    else r = await this.#q('UPDATE tkey_state SET epoch = $3, value = $4, version = version + 1, updated_at = now() WHERE kind = $1 AND key = $2 AND version = $5 RETURNING version', [kind, key, epoch, v, expected]);
    if (r.rows.length === 1) return Number(r.rows[0]!.version);
    const cur = await this.stateGet(kind, key);
    throw new StorageConflict(`state ${kind}/${key.slice(0, 24)}… is at version ${cur?.version ?? null}, not ${expected}`, { kind, expected, actual: cur?.version ?? null });
  }

  async stateDelete(kind: string, key: string, expected?: number): Promise<boolean> {
    const a = stateDeleteArgs(kind, key, expected);
    const r =
      typeof a.expected === 'number'
        ? await this.#q('DELETE FROM tkey_state WHERE kind = $1 AND key = $2 AND version = $3', [a.kind, a.key, a.expected])
        : await this.#q('DELETE FROM tkey_state WHERE kind = $1 AND key = $2', [a.kind, a.key]);
    return r.rowCount === 1;
  }

  async stateList(kind: string, opts: StateListOptions = {}): Promise<StateRow[]> {
    const { prefix, after, limit } = stateListArgs(kind, opts);
    const r = await this.#q<StateDbRow>(
      `SELECT kind, key, epoch, version, value FROM tkey_state
        WHERE kind = $1 AND starts_with(key, $2) AND ($3::text IS NULL OR key COLLATE "C" > $3::text COLLATE "C")
        ORDER BY key COLLATE "C" LIMIT $4`,
      [kind, prefix, after ?? null, limit],
    );
    return r.rows.map(stateRow);
  }

  async stateCount(kind: string, prefix = ''): Promise<number> {
    const a = stateCountArgs(kind, prefix);
    const r = await this.#q<{ n: string }>('SELECT count(*) AS n FROM tkey_state WHERE kind = $1 AND starts_with(key, $2)', [a.kind, a.prefix]);
    return Number(r.rows[0]!.n);
  }

  /** One statement: concurrent takes of one row (any number of processes) serialise on its row lock; the first deletes it, the others find nothing. */
  async stateTake(kind: string, key: string): Promise<StateRow | undefined> {
    const a = stateRowArgs(kind, key);
    const r = await this.#q<StateDbRow>('DELETE FROM tkey_state WHERE kind = $1 AND key = $2 RETURNING kind, key, epoch, version, value', [a.kind, a.key]);
    return r.rows.length ? stateRow(r.rows[0]!) : undefined;
  }

  /** One transaction: the take's DELETE … RETURNING serialises concurrent takers on the row lock (exactly one gets it); the put runs only after it, and a failed precondition rolls the take back. */
  async stateTakeAndPut(take: { kind: string; key: string }, put: { kind: string; key: string; value: Uint8Array } & StatePutOptions): Promise<StateRow | undefined> {
    const { take: tk, put: a } = stateTakePutArgs(take, put);
    const { epoch, expected, ...pk } = a;
    const v = Buffer.from(pk.value);
    return this.#tx(async (c) => {
      const t = await c.query<StateDbRow>('DELETE FROM tkey_state WHERE kind = $1 AND key = $2 RETURNING kind, key, epoch, version, value', [tk.kind, tk.key]);
      if (t.rows.length === 0) return undefined;
      let r: pg.QueryResult<{ version: string }>;
      if (expected === null) r = await c.query('INSERT INTO tkey_state (kind, key, epoch, version, value) VALUES ($1, $2, $3, 1, $4) ON CONFLICT (kind, key) DO NOTHING RETURNING version', [pk.kind, pk.key, epoch, v]);
      else if (expected === undefined)
        r = await c.query(
          `INSERT INTO tkey_state (kind, key, epoch, version, value) VALUES ($1, $2, $3, 1, $4)
           ON CONFLICT (kind, key) DO UPDATE SET epoch = EXCLUDED.epoch, value = EXCLUDED.value, version = tkey_state.version + 1, updated_at = now() RETURNING version`,
          [pk.kind, pk.key, epoch, v],
        );
      else r = await c.query('UPDATE tkey_state SET epoch = $3, value = $4, version = version + 1, updated_at = now() WHERE kind = $1 AND key = $2 AND version = $5 RETURNING version', [pk.kind, pk.key, epoch, v, expected]);
      if (r.rows.length !== 1) {
        const cur = await c.query<{ version: string }>('SELECT version FROM tkey_state WHERE kind = $1 AND key = $2', [pk.kind, pk.key]);
        const actual = cur.rows.length ? Number(cur.rows[0]!.version) : null;
        throw new StorageConflict(`state ${pk.kind}/${pk.key.slice(0, 24)}… is at version ${actual}, not ${expected}`, { kind: pk.kind, expected, actual }); // rolls the take back
      }
      return stateRow(t.rows[0]!);
    });
  }

  /** One statement (atomic): a row that exists fails the unique key (23505) and nothing is inserted; concurrent inserters of one row from any process — exactly one succeeds. */
  async stateInsert(rows: readonly StateInsert[]): Promise<void> {
    const rs = stateInsertArgs(rows);
    await this.#inserting(rs, () => this.#pool.query(`INSERT INTO tkey_state (kind, key, epoch, version, value) SELECT v.kind, v.key, v.epoch, 1, v.value FROM ${unnestRows(1)}`, unnestParams(rs)));
  }

  /**
   * ONE statement: the take's DELETE … RETURNING (concurrent takers serialise on the row lock: one
   * gets it) and, only when it returned the row, the INSERT of `rows`; a row that exists fails the
   * unique key, which fails the whole statement — the delete included. One round trip, no
   * transaction block.
   */
  async stateTakeAndInsert(take: { kind: string; key: string }, rows: readonly StateInsert[]): Promise<StateRow | undefined> {
    const { take: tk, rows: rs } = stateTakeInsertArgs(take, rows);
    const r = await this.#inserting(rs, () =>
      this.#pool.query<StateDbRow>(
        `WITH t AS (DELETE FROM tkey_state WHERE kind = $1 AND key = $2 RETURNING kind, key, epoch, version, value),
              i AS (INSERT INTO tkey_state (kind, key, epoch, version, value) SELECT v.kind, v.key, v.epoch, 1, v.value FROM ${unnestRows(3)} WHERE EXISTS (SELECT 1 FROM t) RETURNING 1)
         SELECT kind, key, epoch, version, value FROM t`,
        [tk.kind, tk.key, ...unnestParams(rs)],
      ),
    );
    return r.rows.length ? stateRow(r.rows[0]!) : undefined;
  }

  /** Run an insert statement: a unique-key violation is STORAGE_CONFLICT (nothing written), any other failure STORAGE_IO. */
  async #inserting<R>(rows: readonly { kind: string }[], q: () => Promise<R>): Promise<R> {
    try {
      return await q();
    } catch (e) {
      if ((e as { code?: unknown })?.code === '23505') throw new StorageConflict('state: a row to insert exists already; nothing written', { kind: rows[0]!.kind, expected: null });
      throw dbError(e);
    }
  }

  async stateDeleteBelow(kind: string, prefix: string, epoch: number): Promise<number> {
    const a = stateDeleteBelowArgs(kind, prefix, epoch);
    const r = await this.#q('DELETE FROM tkey_state WHERE kind = $1 AND starts_with(key, $2) AND epoch < $3', [a.kind, a.prefix, a.epoch]);
    return r.rowCount ?? 0;
  }

  /**
   * A session-level advisory lock (`pg_advisory_lock`) held by one client of the lock pool for the
   * duration of `fn`: mutual exclusion across every process on this database. A process that dies
   * loses its connection and PostgreSQL releases its locks. In front of it, an in-process queue per
   * name, so one process waits with one client per name.
   */
  withStateLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const key = stateLockKey(assertLockName(name));
    const locked = async (): Promise<T> => {
      let client: pg.PoolClient;
      try {
        client = await this.#lockPool.connect();
        await client.query('SELECT pg_advisory_lock($1::bigint)', [key]).catch((e: unknown) => {
          client.release(true);
          throw e;
        });
      } catch (e) {
        throw dbError(e);
      }
      try {
        return await fn();
      } finally {
        try {
          await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
          client.release();
        } catch {
          client.release(true); // a broken connection: PostgreSQL drops its locks with it
        }
      }
    };
    const prev = this.#named.get(name) ?? Promise.resolve();
    const run = prev.then(locked, locked);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#named.set(name, tail);
    void tail.then(() => {
      if (this.#named.get(name) === tail) this.#named.delete(name);
    });
    return run;
  }

  async close(): Promise<void> {
    await this.#lockPool.end();
    await this.#pool.end();
  }
}
