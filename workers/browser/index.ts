/**
 * Browser platform shim: party workers as module Web Workers. Bundle `workers/browser/worker.ts`
 * as the worker script (ES module format) and hand its URL here:
 *
 *   import { createBrowserPartyHost, WorkerPartyTransport } from 'tkey-tss/workers/browser';
 *   const workerUrl = new URL('./tkey-tss-worker.js', import.meta.url);
 *   const transport = new WorkerPartyTransport([await createBrowserPartyHost(workerUrl)]);
 *
 * Everything else (host glue, transport, math pool) is the platform-free code Node uses too.
 * @module
 */
import { MathPool, type MathPoolOptions } from '../math-pool.js';
import { PartyHost, type SpawnedWorker } from '../party-host.js';

export { MathPool, coreCount } from '../math-pool.js';
export { PartyHost, PartySession } from '../party-host.js';
export { WorkerPartyTransport, engineProtocolOf } from '../transport.js';
export { WorkerBusPartyTransport, type WorkerBusPartyTransportOptions } from '../bus-transport.js';
export { AuxPreparation, type AuxPreparationOptions, type AuxPreparationStatus } from '../aux-preparation.js';

/** Start a module worker running the party engine (the bundled `workers/browser/worker.ts`). */
export function spawnBrowserWorker(url: string | URL): SpawnedWorker {
  const w = new Worker(url, { type: 'module', name: 'tkey-tss-party' });
  let crash: ((cause: string) => void) | undefined;
  let ended = false;
  const report = (cause: string): void => {
    if (ended) return;
    ended = true;
    crash?.(cause);
  };
  w.addEventListener('error', (e) => report(`${e.message || 'worker error'}`));
  w.addEventListener('messageerror', () => report('a message could not be deserialized'));
  return {
    endpoint: w,
    terminate: () => {
      ended = true;
      w.terminate();
    },
    onCrash: (cb) => void (crash = cb),
  };
}

/** A party host on a fresh Web Worker, warm (its modules loaded) when this resolves. */
export async function createBrowserPartyHost(url: string | URL): Promise<PartyHost> {
  const host = new PartyHost(spawnBrowserWorker(url));
  await host.ping();
  return host;
}

/** A math pool of Web Workers (default size min(2, navigator.hardwareConcurrency); new-device setup: `{size: coreCount()}`). */
export function createBrowserMathPool(url: string | URL, opts: Omit<MathPoolOptions, 'spawn'> = {}): MathPool {
  return new MathPool({ ...opts, spawn: () => new PartyHost(spawnBrowserWorker(url)) });
}
