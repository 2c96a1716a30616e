/**
 * The store lock of `FileStorage` (Node only): a directory `LOCK/` that always holds exactly one
 * entry, an empty file whose NAME is the lock's state.
 *
 *     f.<gen>.<token>                                          free; `gen` = generation of the last holder
 *     h.<gen>.<host>.<boot>.<pid>.<start>.<realm>.<token>      held by one commit of one process
 *
 * `host` and `boot` are 8 hex of sha256(hostname) and sha256(boot id) (`0` where the OS has no boot
 * id), `start` is the holder's start time from /proc (`0` where unknown), `realm` is random per
 * loaded copy of this module (one per thread), `token` is random per acquisition, and `gen` grows by
 * one at every acquisition: the fencing token, also written into the journal.
 *
 * Every change is ONE `rename(LOCK/<e>, LOCK/<e'>)` of the entry `e` a process has just read, to a
 * name never used before. rename of a source that is gone fails (ENOENT), so of all the processes
 * that act on the same `e` exactly one succeeds: the entry name is a compare-and-swap register, and
 * unique names rule out ABA. Acquire = swap a free entry, or a STALE held one, for my held entry,
 * then stat it (verified). Release = swap my held entry for a free one. A held entry is stale only
 * when its holder provably cannot act any more:
 *   - same host and another boot id (the machine restarted), or
 *   - same host and boot, and its pid is dead, a zombie, or a different process (start time differs), or
 *   - it names this very realm but no commit of this realm holds that token (a failed release).
 * Another host's lock is never stale (its liveness cannot be checked: one host per directory), and
 * neither is another thread's of this process. So the protocol never replaces a live holder's entry:
 * two holders cannot exist. The holder still FENCES each step that publishes state (`holds()`: its
 * entry is still there) — that catches the one way left to lose the lock, someone deleting `LOCK/`
 * by hand, up to the gap between that check and the next rename (POSIX has no conditional rename).
 *
 * Crash at each step: while creating `LOCK/` (first use) → a candidate directory in `tmp/` named
 * by the dead pid, swept by the next holder; after acquiring → an entry naming a dead pid, taken over
 * at once by the next acquirer (no timeout); after a machine crash → every entry names the old boot
 * id. A failing acquire (ENOSPC, EIO) changes nothing: the rename did not happen, no partial lock
 * exists. A failing release leaves an entry naming this live realm: this realm takes it over at its
 * next commit, and a background retry (an unref'd timer) frees it for the other processes.
 *
 * A legacy `LOCK` FILE (`{pid, host, time}`, written by the previous version) is honoured while its
 * pid is alive on this host; it is removed when its pid is dead, when it names this process (this
 * version never writes one) or when it is empty or unreadable. Do not run the previous version
 * against the same directory at the same time. Needs a POSIX file system (Linux, macOS): rename of a
 * directory onto an existing non-empty one must fail.
 * @module
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { bytesToHex, utf8ToBytes } from '../bytes.js';
import { fail } from '../errors.js';
import { sha256 } from '../hash.js';
import { cryptoRng } from '../rng.js';
import { errnoOf, fsyncDir, type FsLike, pidAlive } from './durable-fs.js';

/** Who this process (and this copy of the module) is, as lock entries name it. */
export interface LockIdentity {
  host: string;
  boot: string;
  pid: number;
  start: string;
  realm: string;
}

export type FreeEntry = { kind: 'free'; name: string; gen: number; token: string };
export type HeldEntry = { kind: 'held'; name: string; gen: number; token: string } & LockIdentity;
export type LockEntry = FreeEntry | HeldEntry;

const FREE = /^f\.(\d{1,15})\.([0-9a-f]{12})$/;
const HELD = /^h\.(\d{1,15})\.([0-9a-f]{8})\.([0-9a-f]{8}|0)\.(\d{1,10})\.(\d{1,20})\.([0-9a-f]{8})\.([0-9a-f]{12})$/;

const hex8 = (s: string): string => bytesToHex(sha256(utf8ToBytes(s))).slice(0, 8);
const token = (): string => bytesToHex(cryptoRng.bytes(6));

/** `/proc/<pid>/stat`: state letter and start time (clock ticks after boot); `undefined` off Linux or if gone. */
function procStat(pid: number): { state: string; start: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' '); // fields 3, 4, …
    return /^\d+$/.test(rest[19] ?? '') ? { state: rest[0]!, start: rest[19]! } : undefined;
  } catch {
    return undefined;
  }
}
function bootId(): string {
  try {
    return hex8(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
  } catch {
    return '0';
  }
}

let self: LockIdentity | undefined;
/** This process and realm, as its lock entries name it. */
export function lockIdentity(): LockIdentity {
  return (self ??= { host: hex8(hostname()), boot: bootId(), pid: process.pid, start: procStat(process.pid)?.start ?? '0', realm: bytesToHex(cryptoRng.bytes(4)) });
}

export function freeEntryName(gen: number, tok: string = token()): string {
  return `f.${gen}.${tok}`;
}
export function heldEntryName(gen: number, who: LockIdentity, tok: string = token()): string {
  return `h.${gen}.${who.host}.${who.boot}.${who.pid}.${who.start}.${who.realm}.${tok}`;
}
export function parseLockEntry(name: string): LockEntry | undefined {
  let m = FREE.exec(name);
  if (m) return { kind: 'free', name, gen: Number(m[1]), token: m[2]! };
  m = HELD.exec(name);
  if (!m) return undefined;
  return { kind: 'held', name, gen: Number(m[1]), host: m[2]!, boot: m[3]!, pid: Number(m[4]), start: m[5]!, realm: m[6]!, token: m[7]! };
}

/** Tokens of the commits of this realm that hold a lock right now (any directory). */
const active = new Set<string>();

/** Whether the holder of `e` provably cannot act any more (see the module comment). */
export function isStale(e: HeldEntry): boolean {
  const me = lockIdentity();
  if (e.host !== me.host) return false;
  if (e.boot !== '0' && me.boot !== '0' && e.boot !== me.boot) return true;
  if (e.pid === me.pid) return e.realm === me.realm && !active.has(e.token);
  if (!pidAlive(e.pid)) return true;
  const st = procStat(e.pid);
  if (st === undefined) return false;
  return st.state === 'Z' || st.state === 'X' || (e.start !== '0' && st.start !== e.start);
}

/** A legacy `LOCK` file is stale when unreadable, or on this host with a dead pid or this process's. */
function legacyStale(text: string): { stale: boolean; pid?: number; host?: string } {
  try {
    const j = JSON.parse(text) as { pid?: unknown; host?: unknown };
    if (!Number.isSafeInteger(j.pid) || typeof j.host !== 'string') return { stale: true };
    const pid = j.pid as number;
    return { stale: j.host === hostname() && (pid === process.pid || !pidAlive(pid)), pid, host: j.host };
  } catch {
    return { stale: true };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A held lock: its entry, its generation (fencing token), the fence check and the release. */
export class LockLease {
  readonly #lock: StoreLock;
  readonly entry: string;
  readonly gen: number;
  readonly #token: string;
  #released = false;

  constructor(lock: StoreLock, entry: string, gen: number, tok: string) {
    this.#lock = lock;
    this.entry = entry;
    this.gen = gen;
    this.#token = tok;
  }

  /** The fence: whether this lease's entry is still the lock (re-read immediately before publishing). */
  async holds(): Promise<boolean> {
    if (this.#released) return false;
    try {
      await this.#lock.fs.stat(join(this.#lock.path, this.entry));
      return true;
    } catch (e) {
      if (errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENOTDIR') return false;
      throw e;
    }
  }

  /** Free the lock. Never throws: a failed release is retried in the background (module comment). */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    try {
      await this.#lock.free(this.entry, this.gen);
    } catch {
      this.#lock.retryFree(this.entry, this.gen);
    } finally {
      active.delete(this.#token);
    }
  }
}

export interface StoreLockOptions {
  /** The lock directory (`<store>/LOCK`). */
  path: string;
  /** Its parent, fsynced when `LOCK/` is created. */
  parent: string;
  /** Where candidates for `LOCK/` are built (same file system; swept by the store). */
  tmp: string;
  fs: FsLike;
  /** How long `acquire` waits for a live holder before `STORAGE_LOCKED` (ms). */
  timeoutMs: number;
}

type Seen = { kind: 'absent' } | { kind: 'legacy'; text: string } | { kind: 'entries'; names: string[]; entry?: LockEntry };

export class StoreLock {
  readonly path: string;
  readonly fs: FsLike;
  readonly #parent: string;
  readonly #tmp: string;
  readonly #timeoutMs: number;

  constructor(opts: StoreLockOptions) {
    this.path = opts.path;
    this.#parent = opts.parent;
    this.#tmp = opts.tmp;
    this.fs = opts.fs;
    this.#timeoutMs = opts.timeoutMs;
  }

  /** Take the lock: swap a free or stale entry for one naming this commit; wait while a live holder has it. */
  async acquire(): Promise<LockLease> {
    const deadline = Date.now() + this.#timeoutMs;
    for (let delay = 1; ; delay = Math.min(2 * delay, 50)) {
      const seen = await this.#look();
      if (seen.kind === 'absent') {
        if (await this.#create()) continue;
      } else if (seen.kind === 'legacy') {
        if (legacyStale(seen.text).stale && (await this.#unlinkLegacy())) continue;
      } else if (seen.names.length === 0) {
        if (await this.#create()) continue; // emptied by hand (the protocol never empties it), or a torn listing
      } else if (seen.entry && (seen.entry.kind === 'free' || isStale(seen.entry))) {
        const lease = await this.#take(seen.entry);
        if (lease) return lease;
        continue; // another process swapped it first
      }
      if (Date.now() >= deadline) this.#locked(seen);
      await sleep(delay);
    }
  }

  /** Swap `from` (free or stale) for a held entry of the next generation, then verify it is there. */
  async #take(from: LockEntry): Promise<LockLease | undefined> {
    const tok = token();
    const gen = from.gen + 1;
    const name = heldEntryName(gen, lockIdentity(), tok);
    active.add(tok);
    try {
      await this.fs.rename(join(this.path, from.name), join(this.path, name));
    } catch (e) {
      active.delete(tok);
      if (errnoOf(e) === 'ENOENT') return undefined;
      throw e;
    }
    const lease = new LockLease(this, name, gen, tok);
    let ok = false;
    try {
      ok = await lease.holds();
    } finally {
      if (!ok) await lease.release();
    }
    return ok ? lease : undefined;
  }

  /** Swap a held entry for a free one. */
  async free(entry: string, gen: number): Promise<void> {
    try {
      await this.fs.rename(join(this.path, entry), join(this.path, freeEntryName(gen)));
    } catch (e) {
      if (errnoOf(e) !== 'ENOENT') throw e; // gone: taken over already
    }
  }

  /** Retry `free` in the background until it succeeds or the entry is gone (never keeps the process alive). */
  retryFree(entry: string, gen: number, delay = 20): void {
    const t = setTimeout(() => {
      this.free(entry, gen).catch(() => this.retryFree(entry, gen, Math.min(2 * delay, 2000)));
    }, delay);
    t.unref?.();
  }

  async #look(): Promise<Seen> {
    let names: string[];
    try {
      names = await this.fs.readdir(this.path);
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return { kind: 'absent' };
      if (errnoOf(e) !== 'ENOTDIR') throw e;
      try {
        return { kind: 'legacy', text: await this.fs.readFile(this.path, 'utf8') };
      } catch (e2) {
        if (errnoOf(e2) === 'ENOENT' || errnoOf(e2) === 'EISDIR') return { kind: 'absent' }; // changed meanwhile: #create fails safely if it exists
        throw e2;
      }
    }
    names = names.filter((n) => !n.startsWith('.'));
    const entry = names.length === 1 ? parseLockEntry(names[0]!) : undefined;
    return entry ? { kind: 'entries', names, entry } : { kind: 'entries', names };
  }

  /** Create `LOCK/` holding `f.0.*`: build it in tmp/, rename it into place (fails if a non-empty one exists). */
  async #create(): Promise<boolean> {
    const me = lockIdentity();
    const cand = join(this.#tmp, `${me.pid}.${me.realm}.${token()}.lock`);
    try {
      await this.fs.mkdir(cand);
      await (await this.fs.open(join(cand, freeEntryName(0)), 'wx', 0o600)).close();
      await this.fs.rename(cand, this.path);
      await fsyncDir(this.#parent, this.fs);
      return true;
    } catch (e) {
      // ENOTEMPTY/EEXIST: another process created it; ENOTDIR: a legacy file; ENOENT: tmp/ swept meanwhile
      if (['ENOTEMPTY', 'EEXIST', 'ENOTDIR', 'ENOENT'].includes(errnoOf(e) ?? '')) return false;
      throw e;
    } finally {
      await this.fs.rm(cand, { recursive: true, force: true });
    }
  }

  /** Remove a stale legacy lock file. unlink never removes a directory, so a new-style `LOCK/` is safe. */
  async #unlinkLegacy(): Promise<boolean> {
    try {
      await this.fs.unlink(this.path);
      return true;
    } catch (e) {
      if (['ENOENT', 'EISDIR', 'EPERM'].includes(errnoOf(e) ?? '')) return false;
      throw e;
    }
  }

  #locked(seen: Seen): never {
    const path = this.path;
    if (seen.kind === 'legacy') {
      const l = legacyStale(seen.text);
      return fail('STORAGE_LOCKED', `${path} (a legacy lock file) is held by pid ${l.pid} on ${l.host}`, { path, holder: { pid: l.pid, host: l.host } });
    }
    if (seen.kind === 'absent') return fail('STORAGE_LOCKED', `${path} could not be created (is ${this.#tmp} there?)`, { path });
    const e = seen.entry;
    if (e?.kind === 'held') {
      const where = e.host === lockIdentity().host ? 'this host' : `another host (${e.host})`;
      return fail(
        'STORAGE_LOCKED',
        `${path} is held by pid ${e.pid} on ${where}, generation ${e.gen} (if no tkey process holds it, remove ${path}/${e.name})`,
        { path, holder: { pid: e.pid, host: e.host, gen: e.gen, entry: e.name } },
      );
    }
    return fail('STORAGE_LOCKED', `${path} holds no single lock entry (${seen.names.join(', ') || 'empty'}): changed by hand? remove the directory if no tkey process runs`, {
      path,
      entries: seen.names,
    });
  }
}
