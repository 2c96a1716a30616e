/**
 * `FileStorage`: the embedded default store, a directory on the local disk (Node only). It is not
 * re-exported from `storage/index.ts`, so the rest of `src/` stays bundleable for browsers; import
 * it from this path.
 *
 * Directory: option `dir`, else `$TKEY_DATA_DIR`, else `./.tkey-data`. Layout:
 *
 *     records/<sha256(addressKey)>.json   {v, address, value}   one file per record
 *     accounts/<sha256(account)>.json     {v, account, nonce}   one file per account
 *     journal.json                        {v, gen, batch}       the batch being applied (mid-commit or after a crash)
 *     tmp/                                temp files <pid>.<realm>.<random>.*; a dead writer's are swept by the next holder
 *     LOCK/                               one entry, the store lock (`file-lock.ts`: protocol and argument)
 *
 * Why a journal: a batch writes several records, and records are addressed by owner key, not by
 * account (one address can be written by different accounts over time), so no per-account file
 * could hold a batch and still answer `get(address)`; one file for everything would rewrite the
 * whole store per commit. A commit, under the lock (generation `gen`):
 *   1. recovers: sweeps crash debris from tmp/, finishes a journal a crash left behind;
 *   2. checks `baseNonce` against the account file (mismatch: `StorageConflict`, nothing written);
 *   3. writes journal.json by temp file + fsync + LINK (refuses an existing journal) + fsync(dir):
 *      **the commit point**;
 *   4. applies it: each record file, then the account file, each by temp + fsync + rename, dirs fsynced;
 *   5. deletes journal.json (dir fsynced), then frees the lock.
 * Readers take no lock: they look at journal.json first, so a whole batch becomes visible at once
 * at step 3. A crash before step 3 leaves the previous state; a crash after it leaves a journal
 * that readers already honour and the next commit finishes (applying is idempotent). A journal
 * counts only while its account file still holds `baseNonce` (or already `nonce`), so a stale one
 * can never roll state back.
 *
 * Concurrency: commits are serialized per directory within a process (a promise chain) and across
 * processes and threads by `LOCK/`, whose every change is an atomic compare-and-swap rename; a lock
 * is taken over only when its holder provably cannot act any more (dead pid, another boot, a failed
 * release of this very realm), so two commits never both hold it. FENCING: immediately before each
 * step that publishes state — the journal link, every rename of step 4, the journal's deletion, the
 * same steps of a recovery — the commit re-checks that its lock entry is still there; if it is not
 * (someone removed `LOCK/` by hand), it stops: before the commit point with `STORAGE_LOCKED` and
 * nothing written, after it with success (its journal is committed; the next holder finishes it).
 * A live holder on this host, or any holder on another host, makes a commit wait up to
 * `lockTimeoutMs`, then fail with `STORAGE_LOCKED`. Not meant for a directory shared between hosts.
 * If `commit` throws anything but `StorageConflict`/`STORAGE_LOCKED` after the commit point (an I/O
 * error), the batch may have landed: re-read the nonce.
 * @module
 */
import * as fs from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { aInt, bytesToHex, utf8ToBytes } from '../bytes.js';
import { fail, InternalBug, isTkeyTssError, StorageConflict } from '../errors.js';
import { sha256 } from '../hash.js';
import { cryptoRng } from '../rng.js';
import { aAccount, assertAddress, assertBatch } from './batch.js';
import { addressKey, type MetadataStorage, type RecordAddress, type StorageBatch } from './types.js';
import { errnoOf, fsyncDir, type FsLike, pidAlive } from './durable-fs.js';
import { lockIdentity, type LockLease, StoreLock } from './file-lock.js';

export type { FsLike } from './durable-fs.js';

const VERSION = 1;

/** Durable steps of a commit, in order (`record` once per distinct address). */
export type CommitStage = 'journal-temp' | 'journal' | 'record' | 'account' | 'done';

export interface FileStorageOptions {
  /** Data directory; default `$TKEY_DATA_DIR`, else `./.tkey-data` (resolved against the cwd now). */
  dir?: string;
  /** How long a commit waits for another process's lock before `STORAGE_LOCKED` (ms, default 10 000). */
  lockTimeoutMs?: number;
  /** Test hook, called after each durable step of a commit; throwing from it simulates a crash there. */
  onStage?: (stage: CommitStage) => void;
  /** Test hook: the file-system calls the store makes (default `node:fs/promises`), to inject I/O failures. */
  fs?: FsLike;
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
/** Library errors pass through; anything else (fs errors, a throwing hook) becomes `STORAGE_IO`. */
function asStorageError(e: unknown, dir: string): unknown {
  if (isTkeyTssError(e)) return e;
  const err = e as { message?: unknown; syscall?: unknown; path?: unknown };
  return new InternalBug(`storage I/O failed in ${dir}: ${String(err?.message ?? e)}`, { dir, errno: errnoOf(e), syscall: err?.syscall, path: err?.path }, 'STORAGE_IO');
}
/** Whether tmp/ entry `name` is debris: not ours, of a dead pid, or of this realm (no commit of ours is in flight). */
function isDebris(name: string): boolean {
  const m = /^(\d{1,10})\.([0-9a-f]{8})\./.exec(name);
  if (!m) return true;
  const me = lockIdentity();
  const pid = Number(m[1]);
  return pid === me.pid ? m[2] === me.realm : !pidAlive(pid);
}

/** Thrown (before the commit point) when a commit finds its lock entry gone. */
class LostLock extends Error {}

export class FileStorage implements MetadataStorage {
  /** The absolute data directory. */
  readonly dir: string;
  readonly #records: string;
  readonly #accounts: string;
  readonly #tmp: string;
  readonly #journal: string;
  readonly #lock: StoreLock;
  readonly #onStage: ((stage: CommitStage) => void) | undefined;
  readonly #fs: FsLike;
  #ready: Promise<void> | undefined;

  constructor(opts: FileStorageOptions = {}) {
    if (typeof opts !== 'object' || opts === null) fail('INVALID_ARGUMENT', 'opts: expected an object');
    const dir = opts.dir ?? process.env.TKEY_DATA_DIR ?? './.tkey-data';
    if (typeof dir !== 'string' || dir.length === 0) fail('INVALID_ARGUMENT', 'opts.dir: expected a non-empty string');
    if (opts.onStage !== undefined && typeof opts.onStage !== 'function') fail('INVALID_ARGUMENT', 'opts.onStage: expected a function');
    if (opts.fs !== undefined && (typeof opts.fs !== 'object' || opts.fs === null)) fail('INVALID_ARGUMENT', 'opts.fs: expected an object of fs/promises functions');
    this.dir = resolve(dir);
    this.#records = join(this.dir, 'records');
    this.#accounts = join(this.dir, 'accounts');
    this.#tmp = join(this.dir, 'tmp');
    this.#journal = join(this.dir, 'journal.json');
    this.#fs = opts.fs ?? fs;
    this.#lock = new StoreLock({ path: join(this.dir, 'LOCK'), parent: this.dir, tmp: this.#tmp, fs: this.#fs, timeoutMs: aInt(opts.lockTimeoutMs ?? 10_000, 'opts.lockTimeoutMs') });
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
        const lease = await this.#lock.acquire();
        try {
          await this.#commitLocked(b, lease);
        } finally {
          await lease.release();
        }
      } catch (e) {
        if (e instanceof LostLock)
          fail('STORAGE_LOCKED', `lost the lock ${this.#lock.path}/${e.message} (removed by hand?); nothing of this batch was written, retry`, { path: this.#lock.path, lost: e.message });
        throw asStorageError(e, this.dir);
      }
    });
  }

  async #commitLocked(b: StorageBatch, lease: LockLease): Promise<void> {
    await this.#sweep();
    await this.#recover(lease);
    const current = await this.#readNonce(b.account);
    if (current !== b.baseNonce)
      throw new StorageConflict(`batch built on nonce ${b.baseNonce}, account is at ${current}`, { account: b.account, expected: b.baseNonce, actual: current });
    const tmp = await this.#writeTemp(JSON.stringify({ v: VERSION, gen: lease.gen, batch: b }));
    this.#stage('journal-temp');
    await this.#fence(lease);
    try {
      await this.#fs.link(tmp, this.#journal);
    } catch (e) {
      if (errnoOf(e) === 'EEXIST') throw new LostLock(lease.entry); // recovery removed it: another writer published one
      throw e;
    } finally {
      await this.#fs.rm(tmp, { force: true });
    }
    await fsyncDir(this.dir, this.#fs);
    this.#stage('journal');
    // Past the commit point: a lost lock only stops the applying; the journal carries the batch.
    if (!(await this.#apply(b, lease)) || !(await lease.holds())) return;
    await this.#fs.rm(this.#journal, { force: true });
    await fsyncDir(this.dir, this.#fs);
    this.#stage('done');
  }

  #stage(stage: CommitStage): void {
    this.#onStage?.(stage);
  }

  async #fence(lease: LockLease): Promise<void> {
    if (!(await lease.holds())) throw new LostLock(lease.entry);
  }

  #init(): Promise<void> {
    this.#ready ??= (async () => {
      for (const d of [this.#records, this.#accounts, this.#tmp]) await this.#fs.mkdir(d, { recursive: true });
    })().catch((e) => {
      this.#ready = undefined;
      throw e;
    });
    return this.#ready;
  }

  /** A fsynced temp file in tmp/ holding `text`; returns its path. */
  async #writeTemp(text: string): Promise<string> {
    const me = lockIdentity();
    const tmp = join(this.#tmp, `${me.pid}.${me.realm}.${bytesToHex(cryptoRng.bytes(8))}.tmp`);
    const fh = await this.#fs.open(tmp, 'wx');
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    return tmp;
  }

  /** temp → fsync → fence → rename onto `target` (the caller fsyncs the directory); false if the lock is lost. */
  async #publish(target: string, text: string, lease: LockLease): Promise<boolean> {
    const tmp = await this.#writeTemp(text);
    if (!(await lease.holds())) {
      await this.#fs.rm(tmp, { force: true });
      return false;
    }
    await this.#fs.rename(tmp, target);
    return true;
  }

  /** Apply a committed batch, fenced; false when the lock was lost on the way. */
  async #apply(b: StorageBatch, lease: LockLease): Promise<boolean> {
    const last = new Map<string, StorageBatch['writes'][number]>();
    for (const w of b.writes) last.set(addressKey(w.address), w);
    for (const [key, w] of last) {
      if (!(await this.#publish(join(this.#records, nameOf(key)), JSON.stringify({ v: VERSION, address: w.address, value: w.value }), lease))) return false;
      this.#stage('record');
    }
    await fsyncDir(this.#records, this.#fs);
    if (!(await this.#publish(join(this.#accounts, nameOf(b.account)), JSON.stringify({ v: VERSION, account: b.account, nonce: b.nonce }), lease))) return false;
    await fsyncDir(this.#accounts, this.#fs);
    this.#stage('account');
    return true;
  }

  /** Under the lock: drop the temp files and lock candidates of dead writers and of this realm. */
  async #sweep(): Promise<void> {
    for (const f of await this.#fs.readdir(this.#tmp)) if (isDebris(f)) await this.#fs.rm(join(this.#tmp, f), { recursive: true, force: true });
  }

  /** Under the lock: finish (or discard) the journal a crashed commit left behind. */
  async #recover(lease: LockLease): Promise<void> {
    const j = await this.#readJournal();
    if (j === undefined) return;
    if ((await this.#readNonce(j.account)) === j.baseNonce && !(await this.#apply(j, lease))) throw new LostLock(lease.entry);
    await this.#fence(lease);
    await this.#fs.rm(this.#journal, { force: true });
    await fsyncDir(this.dir, this.#fs);
  }

  /** The journal's batch if it is committed but possibly not yet applied (see the module comment). */
  async #pendingBatch(): Promise<StorageBatch | undefined> {
    const j = await this.#readJournal();
    if (j === undefined) return undefined;
    const current = await this.#readNonce(j.account);
    return current === j.baseNonce || current === j.nonce ? j : undefined;
  }

  async #readJournal(): Promise<StorageBatch | undefined> {
    const j = await readJson(this.#journal, this.#fs);
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
    const r = (await readJson(path, this.#fs)) as { v?: unknown; address?: unknown; value?: unknown } | undefined;
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
    const a = (await readJson(path, this.#fs)) as { v?: unknown; account?: unknown; nonce?: unknown } | undefined;
    if (a === undefined) return null;
    if (a.v !== VERSION || a.account !== account || !Number.isSafeInteger(a.nonce)) fail('STORAGE_CORRUPT', `${path}: not the nonce file of this account`, { path });
    return a.nonce as number;
  }
}

/** Parsed JSON of `path`, `undefined` when it does not exist, `STORAGE_CORRUPT` when it does not parse. */
async function readJson(path: string, fsl: FsLike): Promise<unknown> {
  let text: string;
  try {
    text = await fsl.readFile(path, 'utf8');
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
