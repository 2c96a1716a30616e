/**
 * The page script of test/browser.test.ts (bundled by the test with esbuild, never committed):
 * new-device setup (the math pool's safe-prime race across navigator.hardwareConcurrency workers,
 * a cancelled search, an aux session in the workers), then keygen, presign and sign of a 2-of-2 key
 * with each party in its own Web Worker
 * (WorkerPartyTransport over module workers), while a PerformanceObserver records the main
 * thread's long tasks (> 50 ms). Aux info arrives as JSON made from the pregenerated TEST primes.
 * Exposes `window.runScenario(fixture)`.
 */
import { utf8ToBytes } from '../../src/bytes.js';
import { sha256 } from '../../src/hash.js';
import { cryptoRng } from '../../src/rng.js';
import type { Participant } from '../../src/client/transport.js';
import type { AuxInfo } from '../../protocols/aux/types.js';
import { keygen, type KeygenOutput } from '../../protocols/keygen/index.js';
import { presign, type PresignOutput } from '../../protocols/presign/index.js';
import { sign, type SignOutput } from '../../protocols/sign/index.js';
import { aux as auxProtocol, type AuxInput } from '../../protocols/aux/index.js';
import { coreCount, createBrowserMathPool, createBrowserPartyHost, WorkerPartyTransport } from '../../workers/browser/index.js';

export interface AuxJson {
  profile: 'default' | 'high';
  self: number;
  secret: { p: string; q: string; lambda: string };
  parties: { id: number; N: string; s: string; t: string }[];
}

export interface ScenarioResult {
  publicKey: string;
  r: string;
  s: string;
  recovery: number;
  digest: string;
  message: string;
  /** Long tasks seen while presign + sign ran (each > 50 ms by definition). */
  longTasksDuringSigning: { start: number; duration: number }[];
  /** The deliberate 120 ms busy loop before signing shows up as a long task (the observer works). */
  probeSeen: boolean;
  /** Largest gap of a 10 ms setInterval heartbeat during signing. */
  maxHeartbeatGapMs: number;
  progressEvents: number;
  phasesMs: { keygen: number; signing: number; setup: number };
  /** New-device setup: long tasks while the math pool raced for safe primes, a search was cancelled, and aux ran in the workers. */
  longTasksDuringSetup: { start: number; duration: number }[];
  /** The pool's race: the safe primes found (hex), progress events, pool size. */
  setupPrimes: string[];
  setupFound: number;
  poolSize: number;
  /** The cancelled 2048-bit search: its error code, and the pool's live workers right after. */
  abortCode: string;
  aliveAfterAbort: number;
  /** The aux session in the two workers (from the TEST primes) finished for both parties. */
  auxParties: number;
  workerUrl: string;
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const big = (h: string): bigint => BigInt('0x' + h);

function auxFromJson(a: AuxJson): AuxInfo {
  return {
    profile: a.profile,
    self: a.self,
    secret: { p: big(a.secret.p), q: big(a.secret.q), lambda: big(a.secret.lambda) },
    parties: a.parties.map((e) => ({ id: e.id, N: big(e.N), s: big(e.s), t: big(e.t) })),
  };
}

function participant<I, O>(id: number, input: I, sink: Map<number, O>): Participant<I, O> {
  return { id, owns: [id], input, rng: cryptoRng, finish: async (o) => void sink.set(id, o) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runScenario(fixture: { aux: AuxJson[]; workerUrl: string }): Promise<ScenarioResult> {
  const longTasks: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => longTasks.push(...list.getEntries()));
  observer.observe({ type: 'longtask', buffered: true });

  const aux = new Map(fixture.aux.map((a) => [a.self, auxFromJson(a)]));
  const hosts = await Promise.all([createBrowserPartyHost(fixture.workerUrl), createBrowserPartyHost(fixture.workerUrl)]);
  let progressEvents = 0;
  const transport = new WorkerPartyTransport(hosts, { onProgress: () => void progressEvents++ });

  // new-device setup, all in workers: the pool's safe-prime race (small primes: fast), a cancelled
  // search, and an aux session (the device's Πprm/Πmod/Πfac proofs) with each party in a worker
  const u0 = performance.now();
  const pool = createBrowserMathPool(fixture.workerUrl, { size: coreCount() });
  let setupFound = 0;
  const setupPrimes = await pool.primes(256, 2, { onFound: () => void setupFound++ });
  const ac = new AbortController();
  const doomed = pool.primes(2048, 2, { signal: ac.signal });
  while (pool.stats.busy < pool.size) await sleep(10);
  await sleep(200); // the workers are searching
  ac.abort();
  const abortCode = await doomed.then(
    () => 'resolved',
    (e: unknown) => String((e as { code?: unknown }).code),
  );
  const aliveAfterAbort = pool.stats.alive;
  const poolSize = pool.size;
  await pool.close();
  const auxOut = new Map<number, unknown>();
  const auxIn = (id: number): AuxInput => ({ profile: 'default', key: { p: aux.get(id)!.secret.p, q: aux.get(id)!.secret.q } });
  await new WorkerPartyTransport(hosts).run({ protocol: auxProtocol, sid: cryptoRng.bytes(16), threshold: 2, participants: [participant(1, auxIn(1), auxOut), participant(2, auxIn(2), auxOut)] });
  const u1 = performance.now();
  await sleep(50);

  const t0 = performance.now();
  const key = new Map<number, KeygenOutput>();
  await transport.run({ protocol: keygen, sid: cryptoRng.bytes(16), threshold: 2, participants: [participant(1, {}, key), participant(2, {}, key)] });
  const t1 = performance.now();

  // the observer can see a long task: block the main thread for 120 ms on purpose, before signing
  const probeStart = performance.now();
  while (performance.now() - probeStart < 120) {
    /* busy */
  }
  await sleep(100);
  const probeSeen = longTasks.some((e) => e.startTime <= probeStart + 1 && e.startTime + e.duration >= probeStart + 100);

  const message = utf8ToBytes(`signed in two Web Workers at ${Date.now()}`);
  const digest = sha256(message);
  let lastBeat = performance.now();
  let maxGap = 0;
  const beat = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - lastBeat);
    lastBeat = now;
  }, 10);
  const s0 = performance.now();
  const pre = new Map<number, PresignOutput>();
  const input = (id: number) => {
    const o = key.get(id)!;
    return { publicKey: o.publicKey, epoch: o.epoch, publicShares: o.publicShares, share: o.shares.export(id), aux: aux.get(id)! };
  };
  await transport.run({ protocol: presign, sid: cryptoRng.bytes(16), threshold: 2, participants: [participant(1, input(1), pre), participant(2, input(2), pre)] });
  const sig = new Map<number, SignOutput>();
  const signInput = (id: number) => {
    const o = pre.get(id)!;
    return { presignature: o.presignature, digest, publicKey: o.publicKey, epoch: o.epoch };
  };
  await transport.run({ protocol: sign, sid: cryptoRng.bytes(16), threshold: 2, participants: [participant(1, signInput(1), sig), participant(2, signInput(2), sig)] });
  const s1 = performance.now();
  clearInterval(beat);
  await sleep(50); // let the observer deliver entries of the window
  observer.disconnect();
  await Promise.all(hosts.map((h) => h.terminate()));

  const out = sig.get(1)!;
  const during = longTasks.filter((e) => e.startTime < s1 && e.startTime + e.duration > s0).map((e) => ({ start: e.startTime - s0, duration: e.duration }));
  const duringSetup = longTasks.filter((e) => e.startTime < u1 && e.startTime + e.duration > u0).map((e) => ({ start: e.startTime - u0, duration: e.duration }));
  return {
    publicKey: hex(out.publicKey),
    r: hex(out.r),
    s: hex(out.s),
    recovery: out.recovery,
    digest: hex(digest),
    message: hex(message),
    longTasksDuringSigning: during,
    probeSeen,
    maxHeartbeatGapMs: maxGap,
    progressEvents,
    phasesMs: { keygen: t1 - t0, signing: s1 - s0, setup: u1 - u0 },
    longTasksDuringSetup: duringSetup,
    setupPrimes: setupPrimes.map((x) => x.toString(16)),
    setupFound,
    poolSize,
    abortCode,
    aliveAfterAbort,
    auxParties: auxOut.size,
    workerUrl: fixture.workerUrl,
  };
}

(globalThis as { runScenario?: typeof runScenario }).runScenario = runScenario;
