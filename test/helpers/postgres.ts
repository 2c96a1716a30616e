/**
 * A throwaway PostgreSQL cluster for tests: initdb into a temp dir, `pg_ctl start` on a free
 * loopback port, one database per caller, `pg_ctl stop -m immediate` and the dir removed after.
 * Binaries come from `TKEY_TEST_PG_BINDIR`, else `pg_config --bindir`, `/usr/lib/postgresql/<v>/bin` or PATH. As root (initdb
 * refuses to run as root) the cluster runs as the `postgres` user, or as a `tkeytest` user created
 * for the purpose, and the temp dir is chowned to it.
 *
 * Without PostgreSQL, `startPostgres()` returns `undefined` and the caller skips with
 * "skipped: install postgresql" — except with `CI=true`, where it throws (a skip is a failure there).
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const SKIP_NOTE = 'skipped: install postgresql';

export interface PgCluster {
  port: number;
  /** A fresh database on this cluster; returns its connection URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stop the PostgreSQL server but keep its data (`pg_ctl stop -m <mode>`; `immediate` = a crash, recovery at the next start). */
  stopServer(mode: 'fast' | 'immediate'): Promise<void>;
  /** Start it again on the same data and port (after `stopServer`). */
  startServer(): Promise<void>;
  stop(): Promise<void>;
}

function hasAll(dir: string): boolean {
  return ['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(join(dir, b)));
}

/** The directory holding initdb, pg_ctl and postgres, or undefined. */
export function findPgBinDir(): string | undefined {
  // TKEY_TEST_PG_BINDIR pins the directory (and lets the helper's own test simulate a machine without PostgreSQL).
  const pinned = process.env.TKEY_TEST_PG_BINDIR;
  if (pinned !== undefined) return hasAll(pinned) ? pinned : undefined;
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // pg_config missing: look further
  }
  try {
    const vs = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    for (const v of vs) candidates.push(join('/usr/lib/postgresql', v, 'bin'));
  } catch {
    // no Debian layout
  }
  for (const d of (process.env.PATH ?? '').split(':')) if (d) candidates.push(d);
  return candidates.find((d) => d && hasAll(d));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** uid/gid to run the cluster as: ourselves unless root, else `postgres` (or a created `tkeytest`). */
function runAs(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  for (const user of ['postgres', 'tkeytest']) {
    const r = spawnSync('id', ['-u', user], { encoding: 'utf8' });
    if (r.status === 0) {
      const g = spawnSync('id', ['-g', user], { encoding: 'utf8' });
      return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
    }
  }
  spawnSync('useradd', ['--system', '--no-create-home', 'tkeytest']);
  const r = spawnSync('id', ['-u', 'tkeytest'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'tkeytest'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('running as root and no unprivileged user for PostgreSQL (useradd tkeytest failed)');
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

function run(bin: string, args: string[], as: { uid: number; gid: number } | undefined): void {
  const r = spawnSync(bin, args, { encoding: 'utf8', ...(as ? { uid: as.uid, gid: as.gid } : {}), env: { ...process.env, LC_ALL: 'C' } });
  if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
}

/** `run` without blocking the event loop (the fault tests keep clients writing while PostgreSQL stops and starts). */
function runAsync(bin: string, args: string[], as: { uid: number; gid: number } | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { encoding: 'utf8', ...(as ? { uid: as.uid, gid: as.gid } : {}), env: { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${bin} ${args.join(' ')} failed (${String(err.code)}): ${stderr || stdout}`));
      else resolve();
    });
  });
}

/** Start a cluster, or `undefined` when PostgreSQL is not installed (throws instead with CI=true). */
export async function startPostgres(): Promise<PgCluster | undefined> {
  const bin = findPgBinDir();
  if (!bin) {
    if (process.env.CI === 'true') throw new Error('PostgreSQL is not installed (CI=true: .ci/run must install postgresql; a skip is a failure)');
    return undefined;
  }
  const as = runAs();
  const root = mkdtempSync(join(tmpdir(), 'tkey-pg-'));
  chmodSync(root, 0o700);
  if (as) chownSync(root, as.uid, as.gid);
  const data = join(root, 'data');
  const port = await freePort();
  run(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'], as);
  const opts = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=32MB`;
  run(join(bin, 'pg_ctl'), ['-D', data, '-o', opts, '-l', join(root, 'log'), '-w', '-t', '60', 'start'], as);
  let running = true;
  let n = 0;
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    port,
    async createDatabase(name?: string) {
      const db = name ?? `t${process.pid}_${++n}`;
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${db}`);
      } finally {
        await c.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${db}`;
    },
    async stopServer(mode) {
      await runAsync(join(bin, 'pg_ctl'), ['-D', data, '-m', mode, '-w', 'stop'], as);
      running = false;
    },
    async startServer() {
      await runAsync(join(bin, 'pg_ctl'), ['-D', data, '-o', opts, '-l', join(root, 'log'), '-w', '-t', '60', 'start'], as);
      running = true;
    },
    async stop() {
      try {
        if (running) run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], as);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
