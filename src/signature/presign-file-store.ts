/**
 * `FilePresignStore`: a `PresignStore` in a local directory (Node only; import this path explicitly,
 * it is not re-exported from `signature/index.ts`). Layout:
 *
 *     live/<id>.json             {v, id, binding, data (base64)}   an unused presignature, mode 0600
 *     used/<id>                  {v, id, time}                      tombstone: consumed or burned, forever
 *     floors/<sha256(key)>.json  {v, publicKey, epoch}              epoch floor of a key
 *     tmp/                       temp files (<pid>-<random>.tmp); a dead writer's are swept at open
 *
 * Writes are temp file + fsync + rename (or link) + fsync(dir) (`storage/durable-fs.ts`).
 * `consume(id)`:
 *   1. create used/<id> with O_EXCL, fsync it and used/ — **the commit point**: exactly one caller,
 *      in any process, gets past it; every later one gets `PRESIGN_USED`;
 *   2. read live/<id>.json;  3. delete it, fsync live/;  4. return the record.
 * A crash after 1 burns the presignature: `list` ignores (and deletes) a live file with a tombstone,
 * and `put` of a tombstoned id is `PRESIGN_USED`. Tombstones are ~60 bytes and are never removed.
 * @module
 */
import * as fs from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { base64ToBytes, bytesToBase64, bytesToHex, hexToBytes, utf8ToBytes } from '../bytes.js';
import { fail, InternalBug, isTkeyTssError } from '../errors.js';
import { sha256 } from '../hash.js';
import { createFileDurable, errnoOf, fsyncDir, pidAlive, writeFileDurable } from '../storage/durable-fs.js';
import { aPresignId, canonicalBinding, type ConsumeStage, type PresignBindingJSON, type PresignStore, type StoredPresign } from './presign-pool.js';

const VERSION = 1;

export interface FilePresignStoreOptions {
  /** Test hook, called after each durable step of `consume`; throwing from it simulates a crash there. */
  onStage?: (stage: ConsumeStage) => void;
}

function asIoError(e: unknown, dir: string): unknown {
  if (isTkeyTssError(e)) return e;
  const err = e as { message?: unknown; syscall?: unknown; path?: unknown };
  return new InternalBug(`presignature store I/O failed in ${dir}: ${String(err?.message ?? e)}`, { dir, errno: errnoOf(e), syscall: err?.syscall, path: err?.path }, 'STORAGE_IO');
}

async function exists(path: string): Promise<boolean> {
  try {
    await fs.stat(path);
    return true;
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return false;
    throw e;
  }
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await fs.readFile(path, 'utf8');
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return undefined;
    throw e;
  }
}

export class FilePresignStore implements PresignStore {
  readonly dir: string;
  readonly #live: string;
  readonly #used: string;
  readonly #floors: string;
  readonly #tmp: string;
  readonly #onStage: ((stage: ConsumeStage) => void) | undefined;
  #ready: Promise<void> | undefined;
  #floorChain: Promise<void> = Promise.resolve();

  constructor(dir: string, opts: FilePresignStoreOptions = {}) {
    if (typeof dir !== 'string' || dir.length === 0) fail('INVALID_ARGUMENT', 'dir: expected a non-empty path');
    if (opts.onStage !== undefined && typeof opts.onStage !== 'function') fail('INVALID_ARGUMENT', 'opts.onStage: expected a function');
    this.dir = resolve(dir);
    this.#live = join(this.dir, 'live');
    this.#used = join(this.dir, 'used');
    this.#floors = join(this.dir, 'floors');
    this.#tmp = join(this.dir, 'tmp');
    this.#onStage = opts.onStage;
  }

  #init(): Promise<void> {
    this.#ready ??= (async () => {
      for (const d of [this.#live, this.#used, this.#floors, this.#tmp]) await fs.mkdir(d, { recursive: true, mode: 0o700 });
      for (const f of await fs.readdir(this.#tmp)) {
        const pid = Number(f.split('-')[0]);
        if (!Number.isSafeInteger(pid) || !pidAlive(pid)) await fs.rm(join(this.#tmp, f), { force: true });
      }
    })().catch((e) => {
      this.#ready = undefined;
      throw e;
    });
    return this.#ready;
  }

  async #io<T>(fn: () => Promise<T>): Promise<T> {
    try {
      await this.#init();
      return await fn();
    } catch (e) {
      throw asIoError(e, this.dir);
    }
  }

  #livePath(id: string): string {
    return join(this.#live, `${id}.json`);
  }
  #usedPath(id: string): string {
    return join(this.#used, id);
  }

  put(record: StoredPresign): Promise<void> {
    const id = aPresignId(record?.id, 'record.id');
    const text = JSON.stringify({ v: VERSION, id, binding: record.binding, data: bytesToBase64(record.data) });
    return this.#io(async () => {
      if (await exists(this.#usedPath(id))) fail('PRESIGN_USED', `presignature ${id} was consumed before`, { id });
      try {
        await writeFileDurable(this.#tmp, this.#livePath(id), text, { exclusive: true, dirOfTarget: this.#live });
      } catch (e) {
        if (errnoOf(e) === 'EEXIST') fail('PRESIGN_EXISTS', `presignature ${id} is already in the pool`, { id });
        throw e;
      }
    });
  }

  list(): Promise<Array<{ id: string; binding: PresignBindingJSON }>> {
    return this.#io(async () => {
      const out: Array<{ id: string; binding: PresignBindingJSON }> = [];
      for (const f of (await fs.readdir(this.#live)).sort()) {
        if (!f.endsWith('.json')) continue;
        const id = f.slice(0, -5);
        if (await exists(this.#usedPath(id))) {
          await fs.rm(this.#livePath(id), { force: true }); // crash debris of a consume: burned
          continue;
        }
        const rec = await this.#read(id);
        if (rec !== undefined) out.push({ id, binding: rec.binding });
      }
      return out;
    });
  }

  async #read(id: string): Promise<StoredPresign | undefined> {
    const path = this.#livePath(id);
    const text = await readText(path);
    if (text === undefined) return undefined;
    try {
      const j = JSON.parse(text) as { v?: unknown; id?: unknown; binding?: unknown; data?: unknown };
      if (j.v !== VERSION || j.id !== id || typeof j.data !== 'string') throw new Error('shape');
      const b = j.binding as PresignBindingJSON;
      const binding = canonicalBinding(
        { publicKey: hexToBytes(b.publicKey), epoch: b.epoch, signers: b.signers, shift: hexToBytes(b.shift), profile: b.profile },
        'stored binding',
      );
      return { id, binding, data: base64ToBytes(j.data) };
    } catch {
      return fail('STORAGE_CORRUPT', `${path}: not a presignature record`, { path });
    }
  }

  consume(id: string): Promise<StoredPresign> {
    aPresignId(id);
    return this.#io(async () => {
      const used = this.#usedPath(id);
      if (!(await exists(this.#livePath(id)))) {
        if (await exists(used)) fail('PRESIGN_USED', `presignature ${id} was already consumed`, { id });
        fail('NOT_FOUND', `no presignature ${id}`, { id });
      }
      try {
        await createFileDurable(used, JSON.stringify({ v: VERSION, id, time: Date.now() }), this.#used);
      } catch (e) {
        if (errnoOf(e) === 'EEXIST') fail('PRESIGN_USED', `presignature ${id} was already consumed`, { id });
        throw e;
      }
      this.#onStage?.('marked');
      const rec = await this.#read(id);
      if (rec === undefined) fail('PRESIGN_USED', `presignature ${id} vanished while being consumed (burned)`, { id });
      this.#onStage?.('read');
      await fs.rm(this.#livePath(id), { force: true });
      await fsyncDir(this.#live);
      this.#onStage?.('removed');
      return rec;
    });
  }

  getEpochFloor(publicKey: string): Promise<number> {
    return this.#io(async () => {
      const path = join(this.#floors, bytesToHex(sha256(utf8ToBytes(publicKey))) + '.json');
      const text = await readText(path);
      if (text === undefined) return 0;
      try {
        const j = JSON.parse(text) as { v?: unknown; publicKey?: unknown; epoch?: unknown };
        if (j.v !== VERSION || j.publicKey !== publicKey || !Number.isSafeInteger(j.epoch) || (j.epoch as number) < 0) throw new Error('shape');
        return j.epoch as number;
      } catch {
        return fail('STORAGE_CORRUPT', `${path}: not an epoch floor`, { path });
      }
    });
  }

  /** Read-compare-write, serialized within the process (across processes the last writer wins: run prune from one). */
  raiseEpochFloor(publicKey: string, epoch: number): Promise<void> {
    const run = this.#floorChain.then(async () => {
      const current = await this.getEpochFloor(publicKey);
      if (epoch <= current) return;
      await this.#io(() =>
        writeFileDurable(this.#tmp, join(this.#floors, bytesToHex(sha256(utf8ToBytes(publicKey))) + '.json'), JSON.stringify({ v: VERSION, publicKey, epoch }), {
          dirOfTarget: this.#floors,
        }),
      );
    });
    this.#floorChain = run.catch(() => undefined);
    return run;
  }
}

