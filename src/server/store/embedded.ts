/**
 * `EmbeddedStore`: the default server store, a journaled append-only log in `TKEY_DATA_DIR` (no other
 * process). The rows/locks/nonces model does not fit `FileStorage` (one file per latest record, no
 * history, one fsync'd rename per record — far from 500 batches/s), so this store logs instead:
 *
 *     rows.log   frames [u32 length LE][u32 crc32 LE][JSON payload], one per write (a `/set`, a bulk
 *                request, or a whole `/v1/batch` with its nonce move)
 *     LOCK       a symlink to `<pid>@<host>`: one server process per directory (whole from its first
 *                instant, needs no free block; broken only when its pid is dead)
 *
 * Crash safety: a write is acknowledged only after its frame is written and `fdatasync`ed, so it
 * survives a SIGKILL or power loss. A frame is all of a batch: on open, frames are replayed up to the
 * first incomplete or checksum-failing one and the file is truncated there, so a batch torn by a
 * crash mid-write is dropped whole and nothing after it was ever acknowledged. Group commit: writes
 * arriving while a flush is under way are checked in order against the state plus the earlier writes
 * of their group, logged together and fsynced once (the throughput comes from here). A failed
 * write truncates the log back to where it was, so a half frame never precedes a later good one.
 *
 * Memory: the latest value per address and the account nonces live in memory (rebuilt by replay
 * at start); history stays in the log only. Write locks are in memory with their TTL (a restart
 * releases them, as a Redis restart does for the reference server). PostgreSQL is the choice for
 * data sets that outgrow one process's memory, or for several server processes.
 * @module
 */
import * as fs from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import { fail, InternalBug, isTkeyTssError } from '../../errors.js';
import { cryptoRng } from '../../rng.js';
import { errnoOf, fsyncDir, pidAlive } from '../../storage/durable-fs.js';
import { RowState, StagedWrites } from './row-state.js';
import { StagedState, StateTable, type StateChange, type StateOp, type StateResult } from './state-table.js';
import type { StateInsert, StateListOptions, StatePutOptions, StateRow } from './state-types.js';
import { newLockId, rowKey, type Row, type RowAddress, type RowBatch, type ServerStore, type WriteResult } from './types.js';
import { assertLockName, stateCountArgs, stateDeleteArgs, stateDeleteBelowArgs, stateInsertArgs, stateListArgs, statePutArgs, stateRowArgs, stateTakeInsertArgs, stateTakePutArgs } from './state-args.js';
import { assertAccount, assertRowAddress, assertRowBatch, assertRows } from './validate.js';

const LOG = 'rows.log';
const HEADER = 8;
/** Writes merged into one fsync at most. */
const MAX_GROUP = 256;
/** A frame longer than this is corruption, not data (the HTTP layer caps a request far below). */
const MAX_FRAME = 256 * 1024 * 1024;

type RowTuple = [string, string, string, string, string, number];
/** A state change in the log: ['p', kind, key, epoch, version, base64 value] or ['d', kind, key]. */
type StateTuple = ['p', string, string, number, number, string] | ['d', string, string];
type Payload = { k: 'rows'; rows: RowTuple[] } | { k: 'batch'; account: string; baseNonce: number | null; nonce: number; rows: RowTuple[] } | { k: 'state'; changes: StateTuple[] };
type Op = { k: 'rows'; rows: Row[] } | { k: 'batch'; batch: RowBatch } | { k: 'state'; op: StateOp };
interface Job {
  op: Op;
  resolve: (r: WriteResult | StateResult) => void;
  reject: (e: unknown) => void;
}

const toStateTuple = (c: StateChange): StateTuple => (c.op === 'put' ? ['p', c.kind, c.key, c.epoch, c.version, Buffer.from(c.value).toString('base64')] : ['d', c.kind, c.key]);
const fromStateTuple = (t: StateTuple): StateChange =>
  t[0] === 'p' ? { op: 'put', kind: t[1], key: t[2], epoch: t[3], version: t[4], value: new Uint8Array(Buffer.from(t[5], 'base64')) } : { op: 'del', kind: t[1], key: t[2] };

const toTuple = (r: Row): RowTuple => [r.pubX, r.pubY, r.namespace, r.value, r.signature, r.timestamp];
const fromTuple = (t: RowTuple): Row => ({ pubX: t[0], pubY: t[1], namespace: t[2], value: t[3], signature: t[4], timestamp: t[5] });

function encodeFrame(p: Payload): Buffer {
  const body = Buffer.from(JSON.stringify(p), 'utf8');
  const head = Buffer.alloc(HEADER);
  head.writeUInt32LE(body.length, 0);
  head.writeUInt32LE(crc32(body), 4);
  return Buffer.concat([head, body]);
}

/** Library errors pass through; a full disk is `STORAGE_FULL` (HTTP 507), any other fs error `STORAGE_IO` (503). */
function ioError(e: unknown, dir: string): unknown {
  if (isTkeyTssError(e)) return e;
  const err = e as { message?: unknown };
  const errno = errnoOf(e);
  if (errno === 'ENOSPC' || errno === 'EDQUOT')
    return new InternalBug(`the disk of the embedded store in ${dir} is full (${errno}); nothing was written`, { dir, errno }, 'STORAGE_FULL');
  return new InternalBug(`embedded store I/O failed in ${dir}: ${String(err?.message ?? e)}`, { dir, errno }, 'STORAGE_IO');
}

/**
 * Create `LOCK` naming this process; EEXIST when it exists. Where symbolic links are refused (Windows
 * without the privilege) it is a file hard-linked from a written and fsynced temp file, so it is
 * never empty there either (only that path needs a free block).
 */
async function createLock(dir: string, path: string): Promise<void> {
  const me = { pid: process.pid, host: hostname() };
  try {
    await fs.symlink(`${me.pid}@${me.host}`, path);
    return;
  } catch (e) {
    if (!['EPERM', 'ENOSYS', 'ENOTSUP', 'EOPNOTSUPP'].includes(errnoOf(e) ?? '')) throw e;
  }
  const tmp = join(dir, `LOCK.${process.pid}.tmp`);
  try {
    const fh = await fs.open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(me));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.link(tmp, path);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** The holder a `LOCK` names: the link's `<pid>@<host>`, or the JSON of a lock file; `{}` when it names none. */
async function readLockHolder(path: string): Promise<{ pid?: unknown; host?: unknown }> {
  try {
    const m = /^(\d+)@(.+)$/.exec(await fs.readlink(path));
    return m ? { pid: Number(m[1]), host: m[2] } : {};
  } catch (e) {
    if (errnoOf(e) !== 'EINVAL') return {};
  }
  try {
    return JSON.parse(await fs.readFile(path, 'utf8')) as { pid?: unknown; host?: unknown };
  } catch {
    return {};
  }
}

export interface EmbeddedStoreOptions {
  /** Data directory (created if missing). */
  dir: string;
  /** Test hook: called with each group's bytes before they are written; throwing simulates a failed write. */
  onWrite?: (bytes: Buffer) => void;
}

export class EmbeddedStore implements ServerStore {
  readonly kind = 'embedded' as const;
  readonly dir: string;
  readonly #state = new RowState();
  readonly #table = new StateTable();
  /** Named in-process locks (`withStateLock`): the tail of each name's queue. */
  readonly #named = new Map<string, Promise<unknown>>();
  readonly #locks = new Map<string, { id: string; expiresAt: number }>();
  readonly #queue: Job[] = [];
  readonly #onWrite: ((bytes: Buffer) => void) | undefined;
  #fh: fs.FileHandle | undefined;
  #size = 0;
  #draining = false;
  #broken: unknown;
  #closed = false;

  private constructor(opts: EmbeddedStoreOptions) {
    this.dir = resolve(opts.dir);
    this.#onWrite = opts.onWrite;
  }

  /** Open (and recover) the store in `opts.dir`. */
  static async open(opts: EmbeddedStoreOptions): Promise<EmbeddedStore> {
    if (typeof opts?.dir !== 'string' || opts.dir.length === 0) fail('INVALID_ARGUMENT', 'opts.dir: expected a non-empty string');
    const s = new EmbeddedStore(opts);
    try {
      await fs.mkdir(s.dir, { recursive: true });
      await s.#takeProcessLock();
      try {
        await s.#replay();
      } catch (e) {
        await fs.rm(join(s.dir, 'LOCK'), { force: true });
        throw e;
      }
    } catch (e) {
      throw ioError(e, s.dir);
    }
    return s;
  }

  /**
   * Take the directory's `LOCK`: a symbolic link whose target names the holder (`<pid>@<host>`),
   * created atomically (EEXIST while held) and whole from its first instant. A short link needs no
   * data block, so the server also starts — and serves reads — on a full disk. (A lock written as a
   * file could be left empty by a full disk or a crash between create and write; an empty lock
   * names no holder, so no later start could ever break it.)
   */
  async #takeProcessLock(): Promise<void> {
    const path = join(this.dir, 'LOCK');
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await createLock(this.dir, path);
        await fsyncDir(this.dir);
        return;
      } catch (e) {
        if (errnoOf(e) !== 'EEXIST') throw e;
      }
      const holder = await readLockHolder(path);
      const dead = holder.host === hostname() && Number.isSafeInteger(holder.pid) && holder.pid !== process.pid && !pidAlive(holder.pid as number);
      if (!dead)
        fail('STORAGE_LOCKED', `${path} is held by ${Number.isSafeInteger(holder.pid) ? `pid ${String(holder.pid)} on ${String(holder.host)}` : 'an unknown process'}: one server process per data directory (use PostgreSQL for several)`, {
          path,
        });
      await fs.rm(path, { force: true });
    }
    fail('STORAGE_LOCKED', `${path}: could not take the lock`, { path });
  }

  /** Replay every complete frame; truncate a torn tail. */
  async #replay(): Promise<void> {
    const path = join(this.dir, LOG);
    this.#fh = await fs.open(path, 'a+');
    await this.#fh.close();
    this.#fh = await fs.open(path, 'r+');
    const buf = await this.#fh.readFile();
    let off = 0;
    while (off + HEADER <= buf.length) {
      const len = buf.readUInt32LE(off);
      const sum = buf.readUInt32LE(off + 4);
      if (len > MAX_FRAME || off + HEADER + len > buf.length) break;
      const body = buf.subarray(off + HEADER, off + HEADER + len);
      if (crc32(body) !== sum) break;
      let p: Payload;
      try {
        p = JSON.parse(body.toString('utf8')) as Payload;
      } catch {
        break;
      }
      if (p.k === 'state') this.#table.apply(p.changes.map(fromStateTuple));
      else this.#state.applyRows(p.rows.map(fromTuple));
      if (p.k === 'batch') this.#state.nonces.set(p.account, p.nonce);
      off += HEADER + len;
    }
    if (off < buf.length) {
      await this.#fh.truncate(off);
      await this.#fh.datasync();
    }
    this.#size = off;
  }

  async ping(): Promise<void> {
    if (this.#closed) fail('STORAGE_IO', 'the embedded store is closed');
    if (this.#broken) throw this.#broken;
    await fs.access(join(this.dir, LOG)).catch((e: unknown) => {
      throw ioError(e, this.dir);
    });
  }

  async getLatest(addresses: readonly RowAddress[]): Promise<(string | undefined)[]> {
    if (!Array.isArray(addresses)) fail('INVALID_ARGUMENT', 'addresses: expected an array');
    return addresses.map((a, i) => this.#state.addresses.get(rowKey(assertRowAddress(a, `addresses[${i}]`)))?.latest.value);
  }

  async getNonce(account: string): Promise<number | null> {
    return this.#state.nonces.get(assertAccount(account)) ?? null;
  }

  async appendRows(rows: readonly Row[]): Promise<WriteResult> {
    return this.#enqueue({ k: 'rows', rows: assertRows(rows, 'rows').slice() });
  }

  async commitBatch(batch: RowBatch): Promise<WriteResult> {
    const b = assertRowBatch(batch);
    return this.#enqueue({ k: 'batch', batch: { account: b.account, baseNonce: b.baseNonce, nonce: b.nonce, rows: b.rows.slice() } });
  }

  #enqueue(op: Op & { k: 'rows' | 'batch' }): Promise<WriteResult>;
  #enqueue(op: Op & { k: 'state' }): Promise<StateResult>;
  #enqueue(op: Op): Promise<WriteResult | StateResult> {
    if (this.#closed) return Promise.reject(new InternalBug('the embedded store is closed', {}, 'STORAGE_IO'));
    if (this.#broken) return Promise.reject(this.#broken);
    return new Promise((resolve, reject) => {
      this.#queue.push({ op, resolve, reject });
      void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (this.#queue.length > 0) {
        const jobs = this.#queue.splice(0, MAX_GROUP);
        const stage = new StagedWrites(this.#state);
        const staged = new StagedState(this.#table);
        const frames: Buffer[] = [];
        const outcomes: ({ ok: true; result: WriteResult | StateResult } | { ok: false; error: unknown })[] = [];
        for (const j of jobs) {
          try {
            if (j.op.k === 'state') {
              const { log, result } = staged.stage(j.op.op);
              if (log.length > 0) frames.push(encodeFrame({ k: 'state', changes: log.map(toStateTuple) }));
              outcomes.push({ ok: true, result });
            } else if (j.op.k === 'rows') {
              const { log, result } = stage.appendRows(j.op.rows);
              if (log.length > 0) frames.push(encodeFrame({ k: 'rows', rows: log.map(toTuple) }));
              outcomes.push({ ok: true, result });
            } else {
              const b = j.op.batch;
              const { log, result } = stage.commitBatch(b);
              frames.push(encodeFrame({ k: 'batch', account: b.account, baseNonce: b.baseNonce, nonce: b.nonce, rows: log.map(toTuple) }));
              outcomes.push({ ok: true, result });
            }
          } catch (e) {
            outcomes.push({ ok: false, error: e });
          }
        }
        let writeError: unknown;
        if (frames.length > 0) writeError = await this.#writeDurable(Buffer.concat(frames));
        if (writeError === undefined) {
          stage.mergeInto(this.#state);
          staged.mergeInto(this.#table);
        }
        jobs.forEach((j, i) => {
          const o = outcomes[i]!;
          if (!o.ok) j.reject(o.error);
          else if (writeError !== undefined) j.reject(writeError);
          else j.resolve(o.result);
        });
      }
    } finally {
      this.#draining = false;
    }
  }

  /** Append and fdatasync; on failure cut the log back (or mark the store broken). Returns the error, if any. */
  async #writeDurable(bytes: Buffer): Promise<unknown> {
    const fh = this.#fh!;
    const at = this.#size;
    try {
      this.#onWrite?.(bytes);
      let done = 0;
      while (done < bytes.length) done += (await fh.write(bytes, done, bytes.length - done, at + done)).bytesWritten;
      await fh.datasync();
      this.#size = at + bytes.length;
      return undefined;
    } catch (e) {
      const err = ioError(e, this.dir);
      try {
        await fh.truncate(at);
        await fh.datasync();
      } catch {
        this.#broken = err;
      }
      return err;
    }
  }

  async acquireLock(key: string, nowMs: number, ttlMs: number): Promise<string | null> {
    if (typeof key !== 'string' || key.length === 0) fail('INVALID_ARGUMENT', 'key: expected a non-empty string');
    const held = this.#locks.get(key);
    if (held && held.expiresAt > nowMs) return null;
    if (this.#locks.size > 10_000) for (const [k, l] of this.#locks) if (l.expiresAt <= nowMs) this.#locks.delete(k);
    const id = newLockId((n) => cryptoRng.bytes(n));
    this.#locks.set(key, { id, expiresAt: nowMs + ttlMs });
    return id;
  }

  async releaseLock(key: string, id: string, nowMs: number): Promise<0 | 1 | 2> {
    const held = this.#locks.get(key);
    if (!held || held.expiresAt <= nowMs) {
      if (held) this.#locks.delete(key);
      return 0;
    }
    if (held.id !== id) return 2;
    this.#locks.delete(key);
    return 1;
  }

  // ---- service-state space (state-types.ts) ----

  async stateGet(kind: string, key: string): Promise<StateRow | undefined> {
    const a = stateRowArgs(kind, key);
    return this.#table.get(a.kind, a.key);
  }

  async statePut(kind: string, key: string, value: Uint8Array, opts: StatePutOptions = {}): Promise<number> {
    const a = statePutArgs(kind, key, value, opts);
    const op: StateOp = { op: 'put', ...a, value: a.value.slice() };
    return (await this.#enqueue({ k: 'state', op })) as number;
  }

  async stateDelete(kind: string, key: string, expected?: number): Promise<boolean> {
    return (await this.#enqueue({ k: 'state', op: { op: 'delete', ...stateDeleteArgs(kind, key, expected) } })) as boolean;
  }

  async stateList(kind: string, opts: StateListOptions = {}): Promise<StateRow[]> {
    const { prefix, after, limit } = stateListArgs(kind, opts);
    const keys = [...this.#table.keys(kind)].filter((k) => k.startsWith(prefix) && (after === undefined || k > after)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return keys.slice(0, limit).map((k) => this.#table.get(kind, k)!);
  }

  async stateCount(kind: string, prefix = ''): Promise<number> {
    stateCountArgs(kind, prefix);
    let n = 0;
    for (const k of this.#table.keys(kind)) if (k.startsWith(prefix)) n++;
    return n;
  }

  async stateTake(kind: string, key: string): Promise<StateRow | undefined> {
    return (await this.#enqueue({ k: 'state', op: { op: 'take', ...stateRowArgs(kind, key) } })) as StateRow | undefined;
  }

  async stateTakeAndPut(take: { kind: string; key: string }, put: { kind: string; key: string; value: Uint8Array } & StatePutOptions): Promise<StateRow | undefined> {
    const a = stateTakePutArgs(take, put);
    const op: StateOp = { op: 'takePut', take: a.take, put: { ...a.put, value: a.put.value.slice() } };
    return (await this.#enqueue({ k: 'state', op })) as StateRow | undefined; // one frame, one fdatasync (shared with its group)
  }

  async stateInsert(rows: readonly StateInsert[]): Promise<void> {
    await this.#enqueue({ k: 'state', op: { op: 'insert', rows: stateInsertArgs(rows) } }); // one frame
  }

  async stateTakeAndInsert(take: { kind: string; key: string }, rows: readonly StateInsert[]): Promise<StateRow | undefined> {
    const op: StateOp = { op: 'takeInsert', ...stateTakeInsertArgs(take, rows) };
    return (await this.#enqueue({ k: 'state', op })) as StateRow | undefined; // one frame, one fdatasync (shared with its group)
  }

  async stateDeleteBelow(kind: string, prefix: string, epoch: number): Promise<number> {
    const op: StateOp = { op: 'deleteBelow', ...stateDeleteBelowArgs(kind, prefix, epoch) };
    return (await this.#enqueue({ k: 'state', op })) as number;
  }

  /** In-process: the embedded store is one process per directory, so a process-local queue per name is mutual exclusion. */
  withStateLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    assertLockName(name);
    const prev = this.#named.get(name) ?? Promise.resolve();
    const run = prev.then(fn, fn);
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

  /** Wait for queued writes, close the log, release the directory. */
  async close(): Promise<void> {
    if (this.#closed) return;
    while (this.#draining || this.#queue.length > 0) await new Promise((r) => setTimeout(r, 2));
    this.#closed = true;
    await this.#fh?.close();
    await fs.rm(join(this.dir, 'LOCK'), { force: true });
  }
}
