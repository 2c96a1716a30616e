/**
 * The page of `npm run bench:browser` (bundled by bench/browser/harness.ts): it only orchestrates.
 * Every measured computation runs in a Web Worker — the bench worker (`bench-worker.ts`: micro
 * loops, the device party over its own bus link) or the math pool (`workers/browser/worker.ts`:
 * the safe-prime race of `AuxPreparation`) — while a PerformanceObserver records the main thread's
 * long tasks (> 50 ms), reported with every case. Exposes `window.benchBrowser`.
 * @module
 */
import { bytesToHex } from '../../src/bytes.js';
import { cryptoRng } from '../../src/rng.js';
import { AuxPreparation, coreCount, createBrowserMathPool, type MathPool } from '../../workers/browser/index.js';
import { inputToPlain } from '../../workers/protocols.js';
import type { ModexpRow, SessionKind, SessionTiming, WorkerReply, WorkerRequest } from './protocol.js';

type NodeParty = (kind: SessionKind, sid: string, presignSid?: string) => Promise<SessionTiming>;
declare const tkeyNodeParty: NodeParty;

export interface CaseResult {
  samples: number[];
  /** Main-thread long tasks (> 50 ms) while the case ran. */
  longTasks: number;
  maxLongTaskMs: number;
  /** setup-aux: progress events seen (a prime found, key ready), per sample. */
  progressEvents?: number;
  workers?: number;
  /** setup-aux: per sample, the prime race (AuxPreparation) and the aux session, ms. */
  phases?: { primes: number[]; session: number[] };
  /** Sessions: per round, each sample's compute ms of the device (bench worker) and of the service (Node); the rest of the wall time is waiting and transport. */
  rounds?: { device: Record<number, number[]>; service: Record<number, number[]> };
  /** With profiling on: the device's exponentiations summed over the measured sessions, and how many sessions. */
  modexp?: { sessions: number; rows: ModexpRow[] };
}

/** Per-round compute times of the measured sessions (reset per case). */
let roundLog: { device: Record<number, number[]>; service: Record<number, number[]> } = { device: {}, service: {} };
let modexpLog: { sessions: number; rows: Map<string, ModexpRow> } = { sessions: 0, rows: new Map() };
function logRounds(side: 'device' | 'service', t: SessionTiming): void {
  for (const [r, ms] of Object.entries(t.rounds)) (roundLog[side][Number(r)] ??= []).push(ms);
  if (!t.modexp) return;
  modexpLog.sessions++;
  for (const x of t.modexp) {
    const k = `${x.round}|${x.route}|${x.secret}|${x.mBits}|${x.eBits}`;
    const r = modexpLog.rows.get(k) ?? { ...x, count: 0, ms: 0 };
    r.count += x.count;
    r.ms += x.ms;
    modexpLog.rows.set(k, r);
  }
}

export interface InitOptions {
  benchWorkerUrl: string;
  poolWorkerUrl: string;
  connect: Omit<Extract<WorkerRequest, { op: 'connect' }>, 'op'>;
  /** Start the math pool (setup-aux); its size is `coreCount()` = navigator.hardwareConcurrency. */
  pool: boolean;
  /** The TEST primes (hex) the micro benchmarks' operands come from (as in bench/bigint.bench.ts). */
  primes: { p: string; q: string };
  /** Node's (OpenSSL) results of the modexp cases, by case name (hex): the browser's are checked against them. */
  expect: Record<string, string>;
}

let worker: Worker;
let nextId = 1;
const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
let pool: MathPool | undefined;
let poolWorkerUrl = '';
let primes: { p: string; q: string } = { p: '', q: '' };
let expected: Record<string, string> = {};
const longTasks: PerformanceEntry[] = [];

function call<T>(req: WorkerRequest): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
    worker.postMessage({ ...req, id });
  });
}

async function init(o: InitOptions): Promise<{ workers: number }> {
  primes = o.primes;
  poolWorkerUrl = o.poolWorkerUrl;
  expected = o.expect;
  new PerformanceObserver((list) => longTasks.push(...list.getEntries())).observe({ type: 'longtask', buffered: true });
  worker = new Worker(o.benchWorkerUrl, { type: 'module', name: 'tkey-tss-bench' });
  worker.addEventListener('message', (ev: MessageEvent<WorkerReply>) => {
    const w = waiting.get(ev.data.id);
    if (!w) return;
    waiting.delete(ev.data.id);
    if (ev.data.ok) w.resolve(ev.data.value);
    else w.reject(new Error(ev.data.error));
  });
  await call({ op: 'connect', ...o.connect });
  const sid = bytesToHex(cryptoRng.bytes(32));
  await Promise.all([tkeyNodeParty('keygen', sid), call({ op: 'session', kind: 'keygen', sid })]);
  if (o.pool) {
    pool = createBrowserMathPool(o.poolWorkerUrl, { size: coreCount() });
    await pool.primes(64, pool.size); // start and warm every worker
  }
  return { workers: coreCount() };
}

async function measured(fn: () => Promise<number[]>): Promise<CaseResult> {
  const t0 = performance.now();
  const samples = await fn();
  await new Promise((r) => setTimeout(r, 60)); // let the observer deliver the window's entries
  const during = longTasks.filter((e) => e.startTime + e.duration > t0);
  return { samples, longTasks: during.length, maxLongTaskMs: Math.max(0, ...during.map((e) => e.duration)) };
}

/** One session with the device party in the bench worker and the service party in Node; wall-clock ms (`log`: keep its per-round times). */
async function both(kind: SessionKind, presignSid?: string, log = true): Promise<{ ms: number; sid: string }> {
  const sid = bytesToHex(cryptoRng.bytes(32));
  const t0 = performance.now();
  const [service, device] = await Promise.all([tkeyNodeParty(kind, sid, presignSid), call<SessionTiming>({ op: 'session', kind, sid, ...(presignSid ? { presignSid } : {}) })]);
  const ms = performance.now() - t0;
  if (log) {
    logRounds('service', service);
    logRounds('device', device);
  }
  return { ms, sid };
}

async function loop(iterations: number, time: number, warmup: number, one: () => Promise<number>): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await one();
  const out: number[] = [];
  const t0 = performance.now();
  while (out.length < iterations || performance.now() - t0 < time) out.push(await one());
  return out;
}

async function runCase(name: string, iterations: number, time: number, warmup: number, profile = false): Promise<CaseResult> {
  roundLog = { device: {}, service: {} };
  modexpLog = { sessions: 0, rows: new Map() };
  await call({ op: 'profile', on: profile });
  const r = await runOne(name, iterations, time, warmup);
  const withRounds = Object.keys(roundLog.device).length ? { ...r, rounds: roundLog } : r;
  return modexpLog.sessions ? { ...withRounds, modexp: { sessions: modexpLog.sessions, rows: [...modexpLog.rows.values()] } } : withRounds;
}

async function runOne(name: string, iterations: number, time: number, warmup: number): Promise<CaseResult> {
  if (name.startsWith('browser/modexp/') || name.startsWith('browser/fermat/') || name === 'browser/paillier/encrypt') {
    return measured(() => call({ op: 'micro', name, p: primes.p, q: primes.q, iterations, time, warmup, expect: expected[name] ?? '' }));
  }
  if (name === 'browser/presign:device') return measured(() => loop(iterations, time, warmup, async () => (await both('presign')).ms));
  if (name === 'browser/presign:device:prepared') {
    return measured(() =>
      loop(iterations, time, warmup, async () => {
        // untimed: the device's pools for one session, filled by its own math pool (navigator.hardwareConcurrency workers)
        await call({ op: 'prepare', poolWorkerUrl, size: coreCount(), presigns: 1 });
        return (await both('presign')).ms;
      }),
    );
  }
  if (name === 'browser/sign-pooled') {
    return measured(() =>
      loop(iterations, time, warmup, async () => {
        const pre = await both('presign', undefined, false); // the pooled presignature (not timed)
        return (await both('sign', pre.sid)).ms;
      }),
    );
  }
  if (name === 'browser/setup-aux') {
    if (!pool) throw new Error('init with pool: true for setup-aux');
    const p = pool;
    let events = 0;
    const phases = { primes: [] as number[], session: [] as number[] };
    const r = await measured(() =>
      loop(iterations, time, warmup, async () => {
        const t0 = performance.now();
        const prep = AuxPreparation.start({ pool: p, onProgress: () => void events++ });
        const input = await prep.take(); // the real safe-prime race in the pool's workers
        const t1 = performance.now();
        const { p: pp, q } = (input.key as unknown as { exportPrimes(): { p: bigint; q: bigint } }).exportPrimes();
        // the input crosses like a party worker's (its Πprm pool entries leave this thread once)
        await call({ op: 'prepared', p: pp.toString(16), q: q.toString(16), input: inputToPlain('aux', input).plain });
        await both('aux'); // the aux session: the device's proofs in the bench worker, the service in Node
        const t2 = performance.now();
        phases.primes.push(t1 - t0);
        phases.session.push(t2 - t1);
        return t2 - t0;
      }),
    );
    return { ...r, progressEvents: events, workers: p.size, phases };
  }
  throw new Error(`unknown browser case ${name}`);
}

(globalThis as { benchBrowser?: unknown }).benchBrowser = { init, runCase };
