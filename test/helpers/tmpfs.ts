/**
 * A small tmpfs for disk-full tests (`mount -t tmpfs -o size=…`, needs root or CAP_SYS_ADMIN). Where
 * mounting is refused the test prints "skipped: needs permission to mount tmpfs" and skips — except
 * with `CI=true`, where a skip is a failure (the pattern of `system-package.ts`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TMPFS_SKIP_NOTE = 'skipped: needs permission to mount tmpfs';

export interface Tmpfs {
  dir: string;
  /** Grow (or shrink) the filesystem in place (`mount -o remount,size=…`): the server keeps its open files. */
  resize(bytes: number): void;
  /** Unmount (lazily if busy) and remove the mount point; safe to call twice. */
  unmount(): void;
}

function sh(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stderr ?? ''}${r.stdout ?? ''}${r.error ? String(r.error) : ''}`.trim() };
}

/** Mount a tmpfs of `bytes`, or `undefined` (after printing the skip line) when not permitted; throws with CI=true. */
export function mountTmpfs(bytes: number): Tmpfs | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'tkey-tmpfs-'));
  const m = sh('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tkey-test-tmpfs', dir]);
  if (!m.ok) {
    rmSync(dir, { recursive: true, force: true });
    if (process.env.CI === 'true') throw new Error(`cannot mount a tmpfs (CI=true: the disk-full test must run; a skip is a failure here): ${m.out}`);
    console.log(`${TMPFS_SKIP_NOTE} (${m.out})`);
    return undefined;
  }
  let mounted = true;
  return {
    dir,
    resize(n: number) {
      const r = sh('mount', ['-o', `remount,size=${n}`, dir]);
      if (!r.ok) throw new Error(`remount ${dir} size=${n} failed: ${r.out}`);
    },
    unmount() {
      if (!mounted) return;
      if (!sh('umount', [dir]).ok) sh('umount', ['-l', dir]);
      mounted = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
