/**
 * The server as a process: config errors give one clear line and a non-zero exit; SIGTERM drains
 * in-flight requests and exits 0; SIGKILL mid-batch loses nothing acknowledged and applies no
 * partial batch (embedded and PostgreSQL); two server processes on one PostgreSQL: concurrent
 * batches for one account — exactly one wins, the other conflicts, nothing torn.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTkeyTssError } from '../src/errors.js';
import { DEFAULT_CONFIG, loadConfig } from '../src/server/config.js';
import { EmbeddedStore } from '../src/server/store/embedded.js';
import { SKIP_NOTE, startPostgres, type PgCluster } from './helpers/postgres.js';
import { accountOf, authed, post, REPO_ROOT, signedSet, spawnServer, type ServerProcess } from './helpers/server.js';

const nowS = () => Math.floor(Date.now() / 1000);

let cluster: PgCluster | undefined;
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(async () => {
  await cluster?.stop();
});

function runCli(env: Record<string, string>, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts', 'serve', ...args], { cwd: REPO_ROOT, env: { ...process.env, TKEY_PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('configuration', () => {
  it('a bad setting stops the process with one line naming it', async () => {
    const cases: [Record<string, string>, string[], string][] = [
      [{ TKEY_PORT: 'abc' }, [], 'TKEY_PORT'],
      [{ DATABASE_URL: 'mysql://u@h/db' }, [], 'DATABASE_URL'],
      [{}, ['--frobnicate', '1'], '--frobnicate'],
    ];
    const results = await Promise.all(cases.map(([env, args]) => runCli(env, args)));
    results.forEach((r, i) => {
      const name = cases[i]![2];
      expect(r.code, name).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines, name).toHaveLength(1);
      expect(lines[0]).toContain(name);
      expect(lines[0]).toContain('CONFIG_INVALID');
      expect(r.stdout).toBe('');
    });
  });
});

describe('configuration (in process)', () => {
  it('loadConfig: defaults, env, flags over env, and one CONFIG_INVALID line per bad setting', () => {
    expect(loadConfig({})).toEqual(DEFAULT_CONFIG);
    const c = loadConfig({ TKEY_PORT: '6000', TKEY_HOST: '0.0.0.0', DATABASE_URL: 'postgres://u@h/db' }, ['--port=7000', '--log-level', 'warn']);
    expect([c.port, c.host, c.databaseUrl, c.logLevel]).toEqual([7000, '0.0.0.0', 'postgres://u@h/db', 'warn']);
    const bad: [Record<string, string>, string[], string][] = [
      [{ TKEY_PORT: '70000' }, [], 'TKEY_PORT'],
      [{ TKEY_PORT: '-1' }, [], 'TKEY_PORT'],
      [{ TKEY_LOG_LEVEL: 'loud' }, [], 'TKEY_LOG_LEVEL'],
      [{ TKEY_DATA_DIR: ' ' }, [], 'TKEY_DATA_DIR'],
      [{ DATABASE_URL: 'not a url' }, [], 'DATABASE_URL'],
      [{}, ['--body-limit', 'lots'], '--body-limit'],
      [{}, ['--port'], '--port'],
      [{ TKEY_MAX_VALUE_BYTES: '9000000', TKEY_BODY_LIMIT: '4096' }, [], 'TKEY_MAX_VALUE_BYTES'],
      [{ TKEY_SERVICE_KEYS: '02abc' }, [], 'TKEY_SERVICE_KEYS'],
      [{ TKEY_SERVICE_KEYS: `02${'f'.repeat(64)}` }, [], 'TKEY_SERVICE_KEYS'], // x ≥ p: not on the curve
    ];
    const g = `02${'79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'}`; // G
    expect(loadConfig({ TKEY_SERVICE_KEYS: ` ${g.toUpperCase()} ,` }).serviceKeys).toEqual([g]);
    for (const [env, args, name] of bad) {
      let msg = '';
      try {
        loadConfig(env, args);
      } catch (e) {
        expect(isTkeyTssError(e, 'CONFIG_INVALID'), name).toBe(true);
        msg = (e as Error).message;
      }
      expect(msg, name).toContain(name);
      expect(msg.includes('\n'), name).toBe(false);
    }
    // A URL's credentials are never echoed.
    let m = '';
    try {
      loadConfig({ DATABASE_URL: 'mysql://user:secret@h/db' });
    } catch (e) {
      m = (e as Error).message;
    }
    expect(m).not.toContain('secret');
  });
});

describe('command', () => {
  it('package.json: `npm run serve` and a `tkey-tss` bin running the compiled main', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string>; files: string[] };
    expect(pkg.bin['tkey-tss']).toBe('dist/src/server/main.js');
    expect(pkg.scripts.serve).toBe('tsx src/server/main.ts serve');
    expect(pkg.files).toContain('dist');
    expect(readFileSync(join(REPO_ROOT, 'src/server/main.ts'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });
});

describe('graceful shutdown', () => {
  it('SIGTERM: the in-flight request finishes and lands, new connections are refused, exit 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tkey-proc-'));
    const s = await spawnServer({ TKEY_DATA_DIR: dir });
    try {
      const w = signedSet(501n, 'in-flight', nowS());
      const body = JSON.stringify(w);
      const u = new URL(s.url + '/set');
      // Send the headers and half the body, signal, then the rest.
      const resp = new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', reject);
        req.write(body.slice(0, 40));
        setTimeout(() => {
          s.child.kill('SIGTERM');
          setTimeout(() => req.end(body.slice(40)), 300);
        }, 200);
      });
      const r = await resp;
      expect(r.status, r.text).toBe(200);
      expect(await s.exited).toBe(0);
      expect(s.lines.some((l) => l.includes('shutting down'))).toBe(true);
      await expect(fetch(s.url + '/healthz')).rejects.toThrow();
      // It landed: reopen the directory.
      const store = await EmbeddedStore.open({ dir });
      expect(await store.getLatest([{ pubX: w.pub_key_X, pubY: w.pub_key_Y, namespace: 'tkey' }])).toEqual(['in-flight']);
      await store.close();
    } finally {
      s.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Fire account-creation batches (3 owner keys each); `stopAfterMs` after the third acknowledgement SIGKILL the server; return what was acknowledged. */
async function hammerThenKill(s: ServerProcess, tag: number, stopAfterMs: number): Promise<{ accounts: bigint[]; acked: Set<number> }> {
  const accounts: bigint[] = [];
  const acked = new Set<number>();
  const inflight: Promise<void>[] = [];
  const t0 = Date.now();
  let killed = false;
  let i = 0;
  const worker = async (): Promise<void> => {
    while (!killed) {
      const n = i++;
      const km = BigInt(tag) * 1_000_000n + BigInt(n) + 1n;
      accounts[n] = km;
      const ts = nowS();
      const body = authed({ account: accountOf(km), baseNonce: null, nonce: 0, writes: [1n, 2n, 3n].map((j) => signedSet(km * 10n + j, `acct-${n}-${j}`, ts)) }, km, ts);
      try {
        const r = await post(s.url, '/v1/batch', body);
        if (r.status === 200) acked.add(n);
      } catch {
        // connection cut by the kill
      }
    }
  };
  for (let w = 0; w < 8; w++) inflight.push(worker());
  // kill only once the server has acknowledged some batches (a loaded machine may take seconds to get there), then a little later
  while (acked.size < 3 && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 10));
  const t1 = Date.now();
  while (Date.now() - t1 < stopAfterMs) await new Promise((r) => setTimeout(r, 10));
  s.child.kill('SIGKILL');
  killed = true;
  await s.exited;
  await Promise.all(inflight);
  return { accounts, acked };
}

/** After restart: every acknowledged batch is complete, every other batch is complete or absent. */
async function checkAllOrNothing(url: string, accounts: bigint[], acked: Set<number>): Promise<number> {
  let complete = 0;
  for (let n = 0; n < accounts.length; n++) {
    const km = accounts[n]!;
    const addrs = [1n, 2n, 3n].map((j) => {
      const w = signedSet(km * 10n + j, '', 0);
      return { pub_key_X: w.pub_key_X, pub_key_Y: w.pub_key_Y, namespace: 'tkey' };
    });
    const g = await post(url, '/v1/get', { addresses: addrs, account: accountOf(km) });
    const { values, nonce } = g.body as { values: (string | null)[]; nonce: number | null };
    if (nonce === 0) {
      expect(values).toEqual([1, 2, 3].map((j) => `acct-${n}-${j}`));
      complete++;
    } else {
      expect(acked.has(n), `acknowledged batch ${n} lost`).toBe(false);
      expect(values).toEqual([null, null, null]);
    }
  }
  return complete;
}

describe('SIGKILL mid-batch', () => {
  it('embedded: nothing acknowledged is lost, no batch is applied in part', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tkey-kill-'));
    try {
      const s = await spawnServer({ TKEY_DATA_DIR: dir, TKEY_LOG_LEVEL: 'warn', TKEY_RATE_LIMIT_IP: '1000000' });
      const { accounts, acked } = await hammerThenKill(s, 1, 700);
      expect(acked.size).toBeGreaterThan(0);
      expect(accounts.length).toBeGreaterThan(acked.size); // some were in flight at the kill
      // Recover once (cuts a tail torn by the kill, if any), then tear the tail ourselves: half a frame after the last good one.
      await (await EmbeddedStore.open({ dir })).close();
      const log = join(dir, 'rows.log');
      const size = statSync(log).size;
      appendFileSync(log, readFileSync(log).subarray(0, Math.min(size, 200)));
      const s2 = await spawnServer({ TKEY_DATA_DIR: dir, TKEY_LOG_LEVEL: 'warn' }); // the dead pid's LOCK is broken
      try {
        const complete = await checkAllOrNothing(s2.url, accounts, acked);
        expect(complete).toBeGreaterThanOrEqual(acked.size);
        expect(statSync(log).size).toBe(size); // the torn tail was cut
      } finally {
        s2.child.kill('SIGTERM');
        await s2.exited;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('postgres: nothing acknowledged is lost, no batch is applied in part', async (ctx) => {
    if (!cluster) return ctx.skip(SKIP_NOTE);
    const url = await cluster.createDatabase();
    const s = await spawnServer({ DATABASE_URL: url, TKEY_LOG_LEVEL: 'warn', TKEY_RATE_LIMIT_IP: '1000000' });
    const { accounts, acked } = await hammerThenKill(s, 2, 700);
    expect(acked.size).toBeGreaterThan(0);
    expect(accounts.length).toBeGreaterThan(acked.size);
    const s2 = await spawnServer({ DATABASE_URL: url, TKEY_LOG_LEVEL: 'warn' });
    try {
      const complete = await checkAllOrNothing(s2.url, accounts, acked);
      expect(complete).toBeGreaterThanOrEqual(acked.size);
    } finally {
      s2.child.kill('SIGTERM');
      await s2.exited;
    }
  });
});

describe('two server processes on one PostgreSQL', () => {
  it('concurrent batches for one account: exactly one wins each round, the other gets 409, nothing torn', async (ctx) => {
    if (!cluster) return ctx.skip(SKIP_NOTE);
    const url = await cluster.createDatabase();
    const [a, b] = await Promise.all([spawnServer({ DATABASE_URL: url, TKEY_LOG_LEVEL: 'warn' }), spawnServer({ DATABASE_URL: url, TKEY_LOG_LEVEL: 'warn' })]);
    try {
      const km = 777_000n;
      const account = accountOf(km);
      let base: number | null = null;
      const ROUNDS = 12;
      for (let round = 0; round < ROUNDS; round++) {
        const ts = nowS();
        const mk = (side: string) => authed({ account, baseNonce: base, nonce: round, writes: [1n, 2n].map((j) => signedSet(km * 10n + j, `${side}-${round}-${j}`, ts)) }, km, ts);
        const [ra, rb] = await Promise.all([post(a.url, '/v1/batch', mk('a')), post(b.url, '/v1/batch', mk('b'))]);
        const statuses = [ra.status, rb.status].sort();
        expect(statuses, JSON.stringify([ra.body, rb.body])).toEqual([200, 409]);
        const loser = ra.status === 409 ? ra : rb;
        expect(loser.body.code).toBe('STORAGE_CONFLICT');
        const winner = ra.status === 200 ? 'a' : 'b';
        const addrs = [1n, 2n].map((j) => {
          const w = signedSet(km * 10n + j, '', 0);
          return { pub_key_X: w.pub_key_X, pub_key_Y: w.pub_key_Y, namespace: 'tkey' };
        });
        // Both processes read the winner's rows, both of them.
        for (const srv of [a, b]) {
          const g = await post(srv.url, '/v1/get', { addresses: addrs, account });
          expect(g.body).toEqual({ values: [`${winner}-${round}-1`, `${winner}-${round}-2`], nonce: round });
        }
        base = round;
      }
    } finally {
      a.child.kill('SIGTERM');
      b.child.kill('SIGTERM');
      await Promise.all([a.exited, b.exited]);
    }
  });
});
