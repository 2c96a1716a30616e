/**
 * Crash-safe file primitives shared by Node file stores (Node only; not re-exported from
 * `storage/index.ts`): write a temp file, fsync it, then rename (or link, to refuse an existing
 * target) it into place, and fsync the directory so the rename itself is durable.
 * @module
 */
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { bytesToHex } from '../bytes.js';
import { cryptoRng } from '../rng.js';

/** The `code` of a Node system error (`ENOENT`, `EEXIST`, …), if any. */
export function errnoOf(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : undefined;
}

/** The `fs/promises` calls the file stores make; a test passes a wrapper to inject I/O failures. */
export type FsLike = Pick<typeof fs, 'open' | 'rename' | 'link' | 'rm' | 'unlink' | 'readdir' | 'readFile' | 'mkdir' | 'stat'>;

/** fsync a directory so renames, links and unlinks in it are durable (a no-op where the OS cannot). */
export async function fsyncDir(dir: string, fsl: Pick<FsLike, 'open'> = fs): Promise<void> {
  let fh: fs.FileHandle | undefined;
  try {
    fh = await fsl.open(dir, 'r');
    await fh.sync();
  } catch (e) {
    if (!['EISDIR', 'EPERM', 'EINVAL', 'EACCES', 'EBADF'].includes(errnoOf(e) ?? '')) throw e;
  } finally {
    await fh?.close();
  }
}

/** Name of a fresh temp file for this process: `<pid>-<random>.tmp` (the pid lets a sweeper spare live writers). */
export function tempName(): string {
  return `${process.pid}-${bytesToHex(cryptoRng.bytes(8))}.tmp`;
}

/**
 * Write `data` to `target` durably: temp file in `tmpDir` (same filesystem), fsync, then rename onto
 * `target` — or, with `exclusive`, hard-link it (fails with `EEXIST` if `target` exists) and unlink
 * the temp — then fsync `target`'s directory. `mode` applies to the new file (default 0o600).
 */
export async function writeFileDurable(tmpDir: string, target: string, data: string | Uint8Array, opts: { exclusive?: boolean; mode?: number; dirOfTarget: string }): Promise<void> {
  const tmp = join(tmpDir, tempName());
  const fh = await fs.open(tmp, 'wx', opts.mode ?? 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    if (opts.exclusive) await fs.link(tmp, target);
    else await fs.rename(tmp, target);
  } finally {
    if (opts.exclusive) await fs.rm(tmp, { force: true });
  }
  await fsyncDir(opts.dirOfTarget);
}

/** Create `path` exclusively (`EEXIST` if it exists), write `data`, fsync it and its directory. */
export async function createFileDurable(path: string, data: string, dir: string, mode = 0o600): Promise<void> {
  const fh = await fs.open(path, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsyncDir(dir);
}

/** Whether `pid` runs on this host (EPERM counts as alive). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoOf(e) === 'EPERM';
  }
}
