/**
 * The worker entry: exposes one `PartyEngine` (sessions + math tasks) through comlink, on
 * `self` in a Web Worker and on `parentPort` (comlink's node adapter) in a Node worker thread.
 * The Node entry (`new Worker(url)`); it also works as a module Web Worker, but browser bundles use
 * `browser/worker.ts`, which never reaches the Node branch (`node:worker_threads`) below.
 * @module
 */
import type { Endpoint } from 'comlink';
import type { MathPoolFactory, PartyEngine } from './engine.js';
import { exposeEngineOn } from './expose-engine.js';

let exposed: Promise<PartyEngine> | undefined;

/** The endpoint of this worker: the Web Worker global scope, or Node's parentPort. */
async function endpoint(): Promise<Endpoint> {
  const g = globalThis as { WorkerGlobalScope?: unknown; postMessage?: unknown; process?: { versions?: { node?: string } } };
  if (g.WorkerGlobalScope !== undefined && typeof g.postMessage === 'function') return globalThis as unknown as Endpoint;
  if (!g.process?.versions?.node) throw new Error('party-worker: neither a Web Worker nor a Node worker thread');
  const { parentPort } = await import('node:worker_threads');
  if (!parentPort) throw new Error('party-worker: not running in a worker thread');
  const { default: nodeEndpoint } = await import('comlink/dist/esm/node-adapter.mjs');
  return nodeEndpoint(parentPort as unknown as Parameters<typeof nodeEndpoint>[0]);
}

/**
 * Node: this worker can start a math pool of its own (nested worker threads) for its sessions'
 * round tasks when the host asks (`PartyHost.enableMathPool`). None in a Web Worker (yet).
 */
async function mathPoolFactory(): Promise<MathPoolFactory | undefined> {
  if ((globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== undefined) return undefined;
  const { createNodeMathPool } = await import('./node.js');
  return (size) => createNodeMathPool({ size, unrefWhenIdle: true });
}

/** Expose a `PartyEngine` on this worker's endpoint (idempotent). */
export function exposePartyEngine(): Promise<PartyEngine> {
  exposed ??= Promise.all([endpoint(), mathPoolFactory()]).then(([ep, f]) => {
    const engine = exposeEngineOn(ep);
    if (f) engine.setMathPoolFactory(f);
    return engine;
  });
  return exposed;
}

await exposePartyEngine();
