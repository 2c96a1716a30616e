/**
 * SIGKILL mid-batch, repeatedly (issue 16 item 6): a server PROCESS takes concurrent `/v1/batch`es
 * from several HTTP clients (four accounts, one of them contended by two clients) and is killed with
 * SIGKILL at a random moment, restarted on the same data, killed again — three times — for the
 * embedded store and for PostgreSQL. At the end every batch that got a 200 is at its nonce with its
 * exact values, every nonce 0..N of an account holds one whole attempt (no gap, no half batch) and
 * nothing exists beyond N. Clients only ever see 200, a typed 409 STORAGE_CONFLICT (the contended
 * account) or no answer (the kill). Seeded: `TKEY_FAULT_SEED=<seed>` repeats a failing run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchLoad, faultSeed, seededRandom, sleep } from './helpers/batch-load.js';
import { SKIP_NOTE, startPostgres, type PgCluster } from './helpers/postgres.js';
import { spawnServer, type ServerProcess } from './helpers/server.js';

const KILLS = 3;
const ENV = { TKEY_LOG_LEVEL: 'warn', TKEY_RATE_LIMIT_IP: '1000000', TKEY_RATE_LIMIT_ACCOUNT: '1000000' };

let cluster: PgCluster | undefined;
const dirs: string[] = [];
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(async () => {
  await cluster?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function killCycles(env: Record<string, string>, tag: number): Promise<void> {
  const seed = faultSeed();
  const why = `seed=${seed} (TKEY_FAULT_SEED=${seed} repeats this run)`;
  const rnd = seededRandom(seed);
  const load = new BatchLoad({ accounts: 4, shared: [3], rows: 3, tag, timeoutMs: 20_000 });
  let s: ServerProcess | undefined;
  try {
    for (let k = 0; k < KILLS; k++) {
      s = await spawnServer({ ...env, ...ENV });
      load.setUrl(s.url);
      load.start();
      // kill once this incarnation has acknowledged something (it is under load), then after a random delay
      const before = load.ackCount;
      const t0 = Date.now();
      while (load.ackCount < before + 2 && Date.now() - t0 < 20_000) await sleep(5);
      expect(load.ackCount, `${why}: no batch acknowledged by incarnation ${k}`).toBeGreaterThan(before);
      await sleep(Math.floor(rnd() * 400));
      s.child.kill('SIGKILL');
      await s.exited;
      await load.stop();
    }
    s = await spawnServer({ ...env, ...ENV });
    const found = await load.verify(s.url, why);
    expect(found, why).toBeGreaterThanOrEqual(load.ackCount);
    // what the clients saw: 200, a typed conflict, or no answer at all (the kill) — never a 5xx or a hang
    const bad = load.outcomes.filter((o) => !(o.status === 200 || o.status === 0 || (o.status === 409 && o.code === 'STORAGE_CONFLICT')));
    expect(bad, why).toEqual([]);
    expect(load.outcomes.filter((o) => o.status === 0).length, `${why}: no request was cut by a kill`).toBeGreaterThan(0);
    console.log(`${why}: ${KILLS} kills, ${load.ackCount} batches acknowledged, ${found} stored, ${load.outcomes.filter((o) => o.status === 0).length} requests cut, ${load.outcomes.filter((o) => o.status === 409).length} conflicts`);
  } catch (e) {
    console.error(`kill cycles failed: ${why}`);
    throw e;
  } finally {
    s?.child.kill('SIGKILL');
    await s?.exited;
  }
}

describe('SIGKILL mid-batch, three times, restarting on the same data', () => {
  it('embedded store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tkey-kills-'));
    dirs.push(dir);
    await killCycles({ TKEY_DATA_DIR: dir }, 31);
  });

  it('PostgreSQL', async (ctx) => {
    if (!cluster) return ctx.skip(SKIP_NOTE);
    await killCycles({ DATABASE_URL: await cluster.createDatabase() }, 32);
  });
});
