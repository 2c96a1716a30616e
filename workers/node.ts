/**
 * Node platform shim: party workers as `worker_threads` (comlink's node adapter). Running from the
 * TypeScript sources (tests, `tsx`), the worker loads `party-worker.ts` through tsx's loader; from
 * `dist/` it loads `party-worker.js` directly.
 *
 *   const host = await createNodePartyHost();
 *   const pool = createNodeMathPool({ size: 2 });
 * @module
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { MathPool, type MathPoolOptions } from './math-pool.js';
import { PartyHost, type SpawnedWorker } from './party-host.js';

export { AuxPreparation, type AuxPreparationOptions, type AuxPreparationStatus } from './aux-preparation.js';
export { coreCount } from './math-pool.js';

const FROM_SOURCE = import.meta.url.endsWith('.ts');

/** The default worker entry next to this module (`party-worker.ts` or `.js`). */
export const PARTY_WORKER_URL = new URL(FROM_SOURCE ? './party-worker.ts' : './party-worker.js', import.meta.url);

export interface NodeWorkerOptions {
  /** Another worker entry (it must expose a `PartyEngine`, e.g. by importing party-worker). */
  url?: URL;
  resourceLimits?: ResourceLimits;
  /** Let the process exit while no call is pending (the thread is ref'd only during calls). */
  unrefWhenIdle?: boolean;
}

/** Start a worker thread running the party engine. */
export function spawnNodeWorker(opts: NodeWorkerOptions = {}): SpawnedWorker {
  const url = opts.url ?? PARTY_WORKER_URL;
  const limits = opts.resourceLimits ? { resourceLimits: opts.resourceLimits } : {};
  const w = url.pathname.endsWith('.ts')
    ? new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); })`, { eval: true, ...limits })
    : new Worker(url, limits);
  let crash: ((cause: string) => void) | undefined;
  let ended = false;
  const report = (cause: string): void => {
    if (ended) return;
    ended = true;
    crash?.(cause);
  };
  w.on('error', (e) => report(`${e.name}: ${e.message}`));
  w.on('exit', (code) => report(`exited with code ${code}`));
  if (opts.unrefWhenIdle) w.unref();
  return {
    endpoint: nodeEndpoint(w as unknown as Parameters<typeof nodeEndpoint>[0]),
    terminate: async () => {
      ended = true;
      await w.terminate();
    },
    onCrash: (cb) => void (crash = cb),
    ...(opts.unrefWhenIdle ? { setBusy: (busy: boolean) => void (busy ? w.ref() : w.unref()) } : {}),
  };
}

/** A party host on a fresh worker thread, warm (its modules loaded) when this resolves. */
export async function createNodePartyHost(opts: NodeWorkerOptions = {}): Promise<PartyHost> {
  const host = new PartyHost(spawnNodeWorker(opts));
  await host.ping();
  return host;
}

/** A math pool of worker threads (default size min(2, cores)). */
export function createNodeMathPool(opts: Omit<MathPoolOptions, 'spawn'> & NodeWorkerOptions = {}): MathPool {
  return new MathPool({ ...opts, spawn: () => new PartyHost(spawnNodeWorker(opts)) });
}
