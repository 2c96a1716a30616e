/**
 * Node file implementation of `DeviceShareStorage`: one file `<dir>/<accountKey>.json` (mode 0600)
 * holding the ShareStore JSON, written by temp file + fsync + rename so a crash never leaves half a
 * share. Node only: import this path explicitly.
 * @module
 */
import * as fs from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fail } from '../errors.js';
import { ShareStore } from '../metadata/share-store.js';
import { assertAccountKey, type DeviceShareStorage } from './device-storage.js';
import { writeFileDurable } from '../storage/durable-fs.js';

export class FileDeviceStorage implements DeviceShareStorage {
  readonly dir: string;
  constructor(dir: string) {
    if (typeof dir !== 'string' || dir.length === 0) fail('INVALID_ARGUMENT', 'dir: expected a path');
    this.dir = resolve(dir);
  }
  #path(accountKey: string): string {
    return join(this.dir, `${assertAccountKey(accountKey)}.json`);
  }
  async load(accountKey: string): Promise<ShareStore | undefined> {
    let text: string;
    try {
      text = await fs.readFile(this.#path(accountKey), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    let j: unknown;
    try {
      j = JSON.parse(text);
    } catch {
      return fail('INVALID_JSON', 'device share file is not JSON');
    }
    return ShareStore.fromJSON(j);
  }
  async store(accountKey: string, share: ShareStore): Promise<void> {
    if (!(share instanceof ShareStore)) fail('INVALID_ARGUMENT', 'share: expected a ShareStore');
    const path = this.#path(accountKey);
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFileDurable(this.dir, path, JSON.stringify(share.exportJSON()), { dirOfTarget: this.dir, mode: 0o600 });
  }
  async remove(accountKey: string): Promise<void> {
    await fs.rm(this.#path(accountKey), { force: true });
  }
}
