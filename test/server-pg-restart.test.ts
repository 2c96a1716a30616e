/**
 * PostgreSQL restarted under load (issue 16 item 6): HTTP clients keep committing `/v1/batch`es to a
 * server PROCESS while the test stops PostgreSQL (`pg_ctl stop -m fast`, then `-m immediate`: a
 * crash with recovery) and starts it again. During each outage every request gets a typed 503
 * `STORAGE_IO` (and `/readyz` 503) — never a 500, never a cut connection (a crashed server), never a
 * hang; after PostgreSQL is back the same server process (same pid, no restart) serves again (the
 * pool reconnects), and every acknowledged batch is there with its exact values.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BatchLoad, faultSeed, sleep } from './helpers/batch-load.js';
import { SKIP_NOTE, startPostgres, type PgCluster } from './helpers/postgres.js';
import { spawnServer, type ServerProcess } from './helpers/server.js';

const TIMEOUT_MS = 8_000;
let cluster: PgCluster | undefined;
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(async () => {
  await cluster?.stop();
});

async function readyz(url: string): Promise<{ status: number; code?: string }> {
  try {
    const r = await fetch(url + '/readyz', { signal: AbortSignal.timeout(TIMEOUT_MS) });
    const b = (await r.json()) as { code?: string };
    return { status: r.status, code: b.code };
  } catch (e) {
    return { status: 0, code: String((e as Error)?.message) };
  }
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

it('PostgreSQL stopped (fast, then immediate) and started under load: typed 503s, recovery without a server restart, nothing acknowledged lost', async (ctx) => {
  if (!cluster) return ctx.skip(SKIP_NOTE);
  const pgc = cluster;
  const why = `seed=${faultSeed()}`; // the schedule is fixed; the seed only names the run
  const s: ServerProcess = await spawnServer({ DATABASE_URL: await pgc.createDatabase(), TKEY_LOG_LEVEL: 'warn', TKEY_PG_POOL_MAX: '4', TKEY_RATE_LIMIT_IP: '1000000', TKEY_RATE_LIMIT_ACCOUNT: '1000000' });
  const load = new BatchLoad({ accounts: 4, shared: [3], rows: 3, tag: 41, timeoutMs: TIMEOUT_MS });
  const outages: { mode: string; from: number; to: number; readyz: { status: number; code?: string }[] }[] = [];
  try {
    load.setUrl(s.url);
    load.start();
    await until('first acknowledgements', () => load.ackCount >= 6, 20_000);
    for (const mode of ['fast', 'immediate'] as const) {
      const outage = { mode, from: Date.now(), to: 0, readyz: [] as { status: number; code?: string }[] };
      outages.push(outage);
      await pgc.stopServer(mode);
      outage.from = Date.now(); // PostgreSQL is down from here on (requests during the stop may still succeed)
      // the clients keep writing into the outage for a while
      const t0 = Date.now();
      while (Date.now() - t0 < 1500) {
        outage.readyz.push(await readyz(s.url));
        await sleep(100);
      }
      const acksBefore = load.ackCount;
      // down until the start is issued: PostgreSQL accepts connections before `pg_ctl -w start` notices
      // (it polls), so answers after this point may rightly be 200s
      const startedAt = Date.now();
      outage.to = startedAt;
      await pgc.startServer();
      expect(s.child.exitCode, `${why}: the server process died during the ${mode} outage:\n${s.lines.slice(-20).join('\n')}`).toBe(null);
      // the same process recovers: ready again, and batches land
      await until(`/readyz 200 after the ${mode} restart`, async () => (await readyz(s.url)).status === 200, 20_000);
      await until(`batches acknowledged after the ${mode} restart`, () => load.ackCount >= acksBefore + 6, 20_000);
      console.log(`${mode}: PostgreSQL down ${outage.to - outage.from} ms (start took ${Date.now() - startedAt} ms), readyz during the outage: ${[...new Set(outage.readyz.map((r) => `${r.status} ${r.code}`))].join(', ')}`);
    }
    await load.stop();
    expect(s.child.exitCode, why).toBe(null);

    for (const o of outages) expect(o.readyz.filter((r) => !(r.status === 503 && r.code === 'STORAGE_IO')), `${why}: /readyz during the ${o.mode} outage`).toEqual([]);
    // every answer is 200, a typed conflict (the contended account, or a retry after a commit whose answer was lost) or a typed 503
    const bad = load.outcomes.filter((o) => !(o.status === 200 || (o.status === 409 && o.code === 'STORAGE_CONFLICT') || (o.status === 503 && o.code === 'STORAGE_IO')));
    expect(bad.slice(0, 5), `${why}: ${bad.length} untyped answers, cut connections or timeouts`).toEqual([]);
    for (const o of outages) {
      const during = load.outcomes.filter((x) => x.at > o.from && x.at + x.ms < o.to);
      expect(during.length, `${why}: no request ran during the ${o.mode} outage`).toBeGreaterThan(0);
      expect(during.filter((x) => x.status !== 503), `${why}: answers while PostgreSQL was down (${o.mode})`).toEqual([]);
      expect(Math.max(...during.map((x) => x.ms)), `${why}: slowest answer during the ${o.mode} outage`).toBeLessThan(TIMEOUT_MS);
      expect(during.every((x) => !x.body?.includes('    at ')), `${why}: a stack trace in a response`).toBe(true);
    }
    const found = await load.verify(s.url, why);
    expect(found, why).toBeGreaterThanOrEqual(load.ackCount);
    console.log(`${load.ackCount} batches acknowledged, ${found} stored, ${load.outcomes.filter((o) => o.status === 503).length} typed 503s`);
  } catch (e) {
    console.error(`PostgreSQL restart test failed (${why}); server output:\n${s.lines.slice(-30).join('\n')}`);
    throw e;
  } finally {
    await load.stop();
    s.child.kill('SIGKILL');
    await s.exited;
  }
});
