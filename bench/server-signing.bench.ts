/**
 * Co-signing over the network: the server in its own process as deployed (`serve`, durable sealed
 * service state, development issuer, the service's Paillier key from TEST prime pair 0), devices in
 * this process — logged in, metadata on the server over HTTP, sessions over the loopback WebSocket
 * (bus + secure channel). Accounts are 2-of-2, created (keygen + aux) in the setup.
 *   server/sign-pooled             one `account.sign` taking a pooled presignature (presigned in
 *                                  the setup, outside the timed part); embedded store
 *   server/sign-full               presign + sign over the network (an account that never pools)
 *   server/throughput:16           16 devices (16 accounts) each sign once, concurrently, pooled;
 *                                  ops/s = 16 000 / medianMs, and over every sample, printed
 *   server/throughput:16:postgres  the same on PostgreSQL (a throwaway cluster; skipped with a note
 *                                  when PostgreSQL is not installed)
 * The in-process baselines are `sign/online` and `sign/full` (signing.bench.ts): run them in the
 * same command (`--filter server/sign,server/throughput,sign/online,sign/full`) so ratios are same-run.
 * Every sample checks it used a pooled presignature (or, for sign-full, that it did not).
 * The pooled cases also print the CPU time per signature of the server process (Linux: its
 * /proc/<pid>/stat, 10 ms ticks) and of this bench process (the devices: σ, their checks, the
 * client's WebSocket and secure channel) over the timed samples — CPU time is what a loaded machine
 * inflates least.
 */
import { readFileSync } from 'node:fs';
import { utf8ToBytes } from '../src/bytes.js';
import { startPostgres, type PgCluster } from '../test/helpers/postgres.js';
import { createDevices, presignAll, startServiceServer, type Device, type FleetServer } from '../test/helpers/service-fleet.js';
import type { BenchRegistry } from './registry.js';

const POOLED = 'server/sign-pooled';
const FULL = 'server/sign-full';
const TP = 'server/throughput:16';
const TP_PG = 'server/throughput:16:postgres';
const DEVICES = 16;
/** Samples per case (the warm-up is counted apart); every pooled sample consumes presignatures made in the setup. */
const POOLED_SAMPLES = 12;
const FULL_SAMPLES = 4;
const TP_SAMPLES = 2;
/** Pooled presignatures beyond the samples: the warm-up call and tinybench's own first call (it calls once to see whether the case is async). */
const SPARE = 3;

const servers: FleetServer[] = [];
const devices: Device[] = [];
let cluster: PgCluster | undefined;
function cleanup(): void {
  for (const d of devices.splice(0)) d.close();
  for (const s of servers.splice(0)) s.kill();
  const c = cluster;
  cluster = undefined;
  void c?.stop(); // synchronous inside (pg_ctl via spawnSync)
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    cleanup();
    process.exit(130);
  });

async function fleet(databaseUrl: string | undefined, n: number, prefix: string): Promise<{ srv: FleetServer; devs: Device[] }> {
  const srv = await startServiceServer(databaseUrl ? { databaseUrl } : {});
  servers.push(srv);
  const devs = await createDevices(srv.url, n, prefix);
  devices.push(...devs);
  return { srv, devs };
}

/** CPU ms of process `pid` so far (Linux /proc; undefined elsewhere). */
function procCpuMs(pid: number | undefined): number | undefined {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // utime + stime, in ticks of 10 ms
  } catch {
    return undefined;
  }
}

/** Wrap a case body: CPU per signature of the server process and of this process over the calls, printed after each. */
function cpuMetered(name: string, srv: FleetServer, perCall: number, fn: () => Promise<void>): () => Promise<void> {
  let calls = 0;
  let server = 0;
  let bench = 0;
  return async () => {
    const s0 = procCpuMs(srv.proc.child.pid);
    const c0 = process.cpuUsage();
    await fn();
    const c = process.cpuUsage(c0);
    const s1 = procCpuMs(srv.proc.child.pid);
    calls++;
    const mine = (c.user + c.system) / 1000;
    const theirs = s0 !== undefined && s1 !== undefined ? s1 - s0 : NaN;
    bench += mine;
    server += theirs;
    const n = calls * perCall;
    const per = (x: number, k: number) => (x / k).toFixed(2);
    console.log(`${name}  CPU per signature: server process ${per(theirs, perCall)} ms, bench process (devices) ${per(mine, perCall)} ms this call; ${per(server, n)} / ${per(bench, n)} ms over ${n} (warm-up included)`);
  };
}

let msg = 0;
async function signOnce(d: Device, pooled: boolean): Promise<void> {
  const s = await d.account.sign({ message: utf8ToBytes(`bench message ${++msg}`) });
  if (s.presigned !== pooled) throw new Error(`${d.sub}: expected a ${pooled ? 'pooled' : 'fresh'} presignature`);
}

/** 16 devices sign once each, concurrently; ops/s printed for the sample and for every sample so far. */
function throughputCase(b: BenchRegistry, name: string, srv: FleetServer, devs: Device[]): void {
  let totalMs = 0;
  let sigs = 0;
  b.add(
    name,
    cpuMetered(name, srv, devs.length, async () => {
      const t0 = performance.now();
      await Promise.all(devs.map((d) => signOnce(d, true)));
      const ms = performance.now() - t0;
      totalMs += ms;
      sigs += devs.length;
      console.log(`${name}  ${((devs.length * 1000) / ms).toFixed(0)} signatures/s this sample, ${((sigs * 1000) / totalMs).toFixed(0)} (ops/s) over ${sigs} signatures`);
    }),
    { iterations: TP_SAMPLES, time: 0, warmup: 1 },
  );
}

export default async function suite(b: BenchRegistry): Promise<void> {
  const wantOne = b.wants(POOLED, FULL);
  const wantTp = b.wants(TP);
  const wantPg = b.wants(TP_PG);
  if (!wantOne && !wantTp && !wantPg) return;
  let fullCase: (() => void) | undefined;

  if (wantOne || wantTp) {
    // one server on the embedded store: 16 pooling devices (device 0 also serves sign-pooled) + one that never pools
    const { srv, devs } = await fleet(undefined, (wantTp ? DEVICES : 1) + 1, 'bench-embedded');
    const full = devs.pop()!;
    if (wantTp) await presignAll(devs, TP_SAMPLES + SPARE);
    if (wantOne) await devs[0]!.account.presign(POOLED_SAMPLES + SPARE);
    if (wantOne) b.add(POOLED, cpuMetered(POOLED, srv, 1, () => signOnce(devs[0]!, true)), { iterations: POOLED_SAMPLES, time: 0, warmup: 1 });
    if (wantTp) throughputCase(b, TP, srv, devs);
    // registered last: it runs right before signing.bench.ts's sign/online and sign/full (same load)
    if (wantOne) fullCase = () => b.add(FULL, () => signOnce(full, false), { iterations: FULL_SAMPLES, time: 0, warmup: 1 });
  }

  if (wantPg) {
    cluster = await startPostgres().catch((e: unknown) => {
      console.warn(`${TP_PG} skipped: ${(e as Error).message}`);
      return undefined;
    });
    if (!cluster) {
      console.warn(`${TP_PG} skipped: PostgreSQL binaries not found (install postgresql)`);
    } else {
      const { srv, devs } = await fleet(await cluster.createDatabase('tkey_bench_service'), DEVICES, 'bench-postgres');
      await presignAll(devs, TP_SAMPLES + SPARE);
      throughputCase(b, TP_PG, srv, devs);
    }
  }
  fullCase?.();
}
