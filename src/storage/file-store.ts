/**
 * `FileStorage`: the embedded default store, a directory on the local disk (Node only). It is not
 * re-exported from `storage/index.ts`, so the rest of `src/` stays bundleable for browsers; import
 * it from this path.
 *
 * Directory: option `dir`, else `$TKEY_DATA_DIR`, else `./.tkey-data`. Layout:
 *
 *     records/<sha256(addressKey)>.json   {v, address, value}   one file per record
 *     accounts/<sha256(account)>.json     {v, account, nonce}   one file per account
 *     journal.json                        {v, batch}            the batch being applied (mid-commit or after a crash)
 *     tmp/                                temp files; whatever is here when the lock is taken is crash debris
 *     LOCK                                {pid, host, time}     held for the whole of a commit
 *
 * Why a journal: a batch writes several records, and records are addressed by owner key, not by
 * account (one address can be written by different accounts over time), so no per-account file
 * could hold a batch and still answer `get(address)`; one file for everything would rewrite the
 * whole store per commit. A commit, under the lock:
 *   1. recovers: empties tmp/, finishes a journal a crash left behind;
 *   2. checks `baseNonce` against the account file (mismatch: `StorageConflict`, nothing written);
 *   3. writes journal.json by temp file + fsync + rename + fsync(dir): **the commit point**;
 *   4. applies it: each record file, then the account file, each by temp + fsync + rename, dirs fsynced;
 *   5. deletes journal.json (dir fsynced).
 * Readers take no lock: they look at journal.json first, so a whole batch becomes visible at once
 * at step 3. A crash before step 3 leaves the previous state; a crash after it leaves a journal
 * that readers already honour and the next commit finishes (applying is idempotent). A journal
 * counts only while its account file still holds `baseNonce` (or already `nonce`), so a stale one
 * can never roll state back.
 *
 * Concurrency: commits are serialized per directory within a process (a promise chain) and across
 * processes by LOCK, created with O_EXCL. A LOCK whose holder is a dead pid on this host (or that
 * stayed unreadable for 5 s) is broken; otherwise a commit waits up to `lockTimeoutMs` and fails
 * with `STORAGE_LOCKED`. Not meant for a directory shared between hosts (a remote holder's
 * liveness cannot be checked). If `commit` throws anything but `StorageConflict` after the commit
 * point, the batch may have landed: re-read the nonce.
 * @module
 */
import * as fs from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { aInt, bytesToHex, utf8ToBytes } from '../bytes.js';
import { fail, InternalBug, isTkeyTssError, StorageConflict } from '../errors.js';
import { sha256 } from '../hash.js';
import { cryptoRng } from '../rng.js';
import { aAccount, assertAddress, assertBatch } from './batch.js';
import { addressKey, type MetadataStorage, type RecordAddress, type StorageBatch } from './types.js';
import { errnoOf, fsyncDir, pidAlive } from './durable-fs.js';

const VERSION = 1;
const UNREADABLE_LOCK_STALE_MS = 5000;

/** Durable steps of a commit, in order (`record` once per distinct address). */
export type CommitStage = 'journal-temp' | 'journal' | 'record' | 'account' | 'done';

export interface FileStorageOptions {
  /** Data directory; default `$TKEY_DATA_DIR`, else `./.tkey-data` (resolved against the cwd now). */
  dir?: string;
  /** How long a commit waits for another process's lock before `STORAGE_LOCKED` (ms, default 10 000). */
  lockTimeoutMs?: number;
  /** Test hook, called after each durable step of a commit; throwing from it simulates a crash there. */
  onStage?: (stage: CommitStage) => void;
}

interface LockInfo {
  pid: number;
  host: string;
  time: number;
}

const chains = new Map<string, Promise<void>>();
/** Run `fn` after every earlier call for the same key has settled. */
function serialize<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const run = (chains.get(key) ?? Promise.resolve()).then(fn);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  chains.set(key, tail);
  void tail.then(() => {
    if (chains.get(key) === tail) chains.delete(key);
  });
  return run;
}

function nameOf(key: string): string {
  return bytesToHex(sha256(utf8ToBytes(key))) + '.json';
}
function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
/** Library errors pass through; anything else (fs errors, a throwing hook) becomes `STORAGE_IO`. */
function asStorageError(e: unknown, dir: string): unknown {
  if (isTkeyTssError(e)) return e;
  const err = e as { message?: unknown; syscall?: unknown; path?: unknown };
  return new InternalBug(`storage I/O failed in ${dir}: ${String(err?.message ?? e)}`, { dir, errno: errnoOf(e), syscall: err?.syscall, path: err?.path }, 'STORAGE_IO');
}
export class FileStorage implements MetadataStorage {
  /** The absolute data directory. */
  readonly dir: string;
  readonly #records: string;
  readonly #accounts: string;
  readonly #tmp: string;
  readonly #journal: string;
  readonly #lockPath: string;
  readonly #lockTimeoutMs: number;
  readonly #onStage: ((stage: CommitStage) => void) | undefined;
  #ready: Promise<void> | undefined;
  #seq = 0;

  constructor(opts: FileStorageOptions = {}) {
    if (typeof opts !== 'object' || opts === null) fail('INVALID_ARGUMENT', 'opts: expected an object');
    const dir = opts.dir ?? process.env.TKEY_DATA_DIR ?? './.tkey-data';
    if (typeof dir !== 'string' || dir.length === 0) fail('INVALID_ARGUMENT', 'opts.dir: expected a non-empty string');
    if (opts.onStage !== undefined && typeof opts.onStage !== 'function') fail('INVALID_ARGUMENT', 'opts.onStage: expected a function');
    this.dir = resolve(dir);
    this.#records = join(this.dir, 'records');
    this.#accounts = join(this.dir, 'accounts');
    this.#tmp = join(this.dir, 'tmp');
    this.#journal = join(this.dir, 'journal.json');
    this.#lockPath = join(this.dir, 'LOCK');
    this.#lockTimeoutMs = aInt(opts.lockTimeoutMs ?? 10_000, 'opts.lockTimeoutMs');
    this.#onStage = opts.onStage;
  }

  async get(address: RecordAddress): Promise<string | undefined> {
    const key = addressKey(assertAddress(address));
    try {
      const pending = await this.#pendingBatch();
      if (pending) {
        let value: string | undefined;
        for (const w of pending.writes) if (addressKey(w.address) === key) value = w.value;
        if (value !== undefined) return value;
      }
      return await this.#readRecord(key);
    } catch (e) {
      throw asStorageError(e, this.dir);
    }
  }

  async getNonce(account: string): Promise<number | null> {
    aAccount(account);
    try {
      const pending = await this.#pendingBatch();
      if (pending && pending.account === account) return pending.nonce;
      return await this.#readNonce(account);
    } catch (e) {
      throw asStorageError(e, this.dir);
    }
  }

  async commit(batch: StorageBatch): Promise<void> {
    assertBatch(batch);
    // A plain copy, taken now: the caller may reuse its object while we wait for the lock.
    const b: StorageBatch = {
      account: batch.account,
      baseNonce: batch.baseNonce,
      nonce: batch.nonce,
      writes: batch.writes.map((w) => ({ address: { pubX: w.address.pubX, pubY: w.address.pubY, namespace: w.address.namespace }, value: w.value })),
    };
    return serialize(this.dir, async () => {
      try {
        await this.#init();
        await this.#lock();
        try {
          await this.#recover();
          const current = await this.#readNonce(b.account);
          if (current !== b.baseNonce)
            throw new StorageConflict(`batch built on nonce ${b.baseNonce}, account is at ${current}`, { account: b.account, expected: b.baseNonce, actual: current });
          await this.#writeDurable(this.#journal, JSON.stringify({ v: VERSION, batch: b }), 'journal-temp');
          await fsyncDir(this.dir);
          this.#stage('journal');
          await this.#apply(b);
          await fs.rm(this.#journal);
          await fsyncDir(this.dir);
          this.#stage('done');
        } finally {
          await fs.rm(this.#lockPath, { force: true });
        }
      } catch (e) {
        throw asStorageError(e, this.dir);
      }
    });
  }

  #stage(stage: CommitStage): void {
    this.#onStage?.(stage);
  }

  #init(): Promise<void> {
    this.#ready ??= (async () => {
      for (const d of [this.#records, this.#accounts, this.#tmp]) await fs.mkdir(d, { recursive: true });
    })().catch((e) => {
      this.#ready = undefined;
      throw e;
    });
    return this.#ready;
  }

  /** temp file in tmp/ → fsync → rename onto `target` (the caller fsyncs the target's directory). */
  async #writeDurable(target: string, text: string, stage?: CommitStage): Promise<void> {
    const tmp = join(this.#tmp, `${process.pid}-${++this.#seq}-${bytesToHex(cryptoRng.bytes(6))}.tmp`);
    const fh = await fs.open(tmp, 'wx');
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (stage) this.#stage(stage);
    await fs.rename(tmp, target);
  }

  async #apply(b: StorageBatch): Promise<void> {
    const last = new Map<string, StorageBatch['writes'][number]>();
    for (const w of b.writes) last.set(addressKey(w.address), w);
    for (const [key, w] of last) {
      await this.#writeDurable(join(this.#records, nameOf(key)), JSON.stringify({ v: VERSION, address: w.address, value: w.value }));
      this.#stage('record');
    }
    await fsyncDir(this.#records);
    await this.#writeDurable(join(this.#accounts, nameOf(b.account)), JSON.stringify({ v: VERSION, account: b.account, nonce: b.nonce }));
    await fsyncDir(this.#accounts);
    this.#stage('account');
  }

  /** Under the lock: drop crash debris, finish an interrupted batch. */
  async #recover(): Promise<void> {
    for (const f of await fs.readdir(this.#tmp)) await fs.rm(join(this.#tmp, f), { force: true });
    const j = await this.#readJournal();
    if (j === undefined) return;
    if ((await this.#readNonce(j.account)) === j.baseNonce) await this.#apply(j);
    await fs.rm(this.#journal);
    await fsyncDir(this.dir);
  }

  /** The journal's batch if it is committed but possibly not yet applied (see the module comment). */
  async #pendingBatch(): Promise<StorageBatch | undefined> {
    const j = await this.#readJournal();
    if (j === undefined) return undefined;
    const current = await this.#readNonce(j.account);
    return current === j.baseNonce || current === j.nonce ? j : undefined;
  }

  async #readJournal(): Promise<StorageBatch | undefined> {
    const j = await readJson(this.#journal);
    if (j === undefined) return undefined;
    const batch = (j as { v?: unknown; batch?: unknown }).batch as StorageBatch;
    try {
      if ((j as { v?: unknown }).v !== VERSION) throw new Error('version');
      assertBatch(batch);
    } catch {
      fail('STORAGE_CORRUPT', `${this.#journal}: not a journal`, { path: this.#journal });
    }
    return batch;
  }

  async #readRecord(key: string): Promise<string | undefined> {
    const path = join(this.#records, nameOf(key));
    const r = (await readJson(path)) as { v?: unknown; address?: unknown; value?: unknown } | undefined;
    if (r === undefined) return undefined;
    let ok = false;
    try {
      ok = r.v === VERSION && typeof r.value === 'string' && addressKey(assertAddress(r.address)) === key;
    } catch {
      ok = false;
    }
    if (!ok) fail('STORAGE_CORRUPT', `${path}: not the record of this address`, { path });
    return r.value as string;
  }

  async #readNonce(account: string): Promise<number | null> {
    const path = join(this.#accounts, nameOf(account));
    const a = (await readJson(path)) as { v?: unknown; account?: unknown; nonce?: unknown } | undefined;
    if (a === undefined) return null;
    if (a.v !== VERSION || a.account !== account || !Number.isSafeInteger(a.nonce)) fail('STORAGE_CORRUPT', `${path}: not the nonce file of this account`, { path });
    return a.nonce as number;
  }

  /** Take LOCK (O_EXCL), breaking it when its holder is provably gone. */
  async #lock(): Promise<void> {
    const me: LockInfo = { pid: process.pid, host: hostname(), time: Date.now() };
    const deadline = Date.now() + this.#lockTimeoutMs;
    for (let delay = 2; ; delay = Math.min(2 * delay, 50)) {
      try {
        const fh = await fs.open(this.#lockPath, 'wx');
        try {
          await fh.writeFile(JSON.stringify(me), 'utf8');
        } finally {
          await fh.close();
        }
        return;
      } catch (e) {
        if (errnoOf(e) !== 'EEXIST') throw e;
      }
      const seen = await this.#readLock();
      if (seen === undefined) continue; // released meanwhile
      if (seen.stale) {
        await this.#breakLock(seen.text);
        continue;
      }
      if (Date.now() >= deadline)
        fail(
          'STORAGE_LOCKED',
          `${this.#lockPath} is held by ${seen.info ? `pid ${seen.info.pid} on ${seen.info.host}` : 'an unknown process'} (after a machine crash the pid may have been reused: delete the file if no tkey process holds it)`,
          { path: this.#lockPath, holder: seen.info },
        );
      await sleep(delay);
    }
  }

  async #readLock(): Promise<{ text: string; info?: LockInfo; stale: boolean } | undefined> {
    let text: string;
    let mtimeMs: number;
    try {
      [text, { mtimeMs }] = await Promise.all([fs.readFile(this.#lockPath, 'utf8'), fs.stat(this.#lockPath)]);
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return undefined;
      throw e;
    }
    let info: LockInfo | undefined;
    try {
      const j = JSON.parse(text) as Partial<LockInfo>;
      if (Number.isSafeInteger(j.pid) && typeof j.host === 'string') info = j as LockInfo;
    } catch {
      info = undefined;
    }
    if (!info) return { text, stale: Date.now() - mtimeMs > UNREADABLE_LOCK_STALE_MS };
    return { text, info, stale: info.host === hostname() && info.pid !== process.pid && !pidAlive(info.pid) };
  }

  /** Move the stale LOCK aside; if what moved is not the one judged stale (taken meanwhile), put it back. */
  async #breakLock(staleText: string): Promise<void> {
    const aside = `${this.#lockPath}.${process.pid}.${bytesToHex(cryptoRng.bytes(6))}.stale`;
    try {
      await fs.rename(this.#lockPath, aside);
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return;
      throw e;
    }
    try {
      if ((await fs.readFile(aside, 'utf8')) !== staleText) {
        await fs.link(aside, this.#lockPath).catch((e: unknown) => {
          if (errnoOf(e) !== 'EEXIST') throw e;
        });
      }
    } finally {
      await fs.rm(aside, { force: true });
    }
  }
}

/** Parsed JSON of `path`, `undefined` when it does not exist, `STORAGE_CORRUPT` when it does not parse. */
async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return fail('STORAGE_CORRUPT', `${path}: not JSON`, { path });
  }
}
