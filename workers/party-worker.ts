/**
 * The worker entry: exposes one `PartyEngine` (sessions + math tasks) through comlink, on
 * `self` in a Web Worker and on `parentPort` (comlink's node adapter) in a Node worker thread.
 * The same file is the Node entry (`new Worker(url)`) and the browser one (bundled as a module
 * worker, see `workers/browser/`).
 * @module
 */
import { expose, type Endpoint } from 'comlink';
import { PartyEngine } from './engine.js';

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
 * Expose a `PartyEngine` on this worker's endpoint (idempotent). Bundled worker scripts call it
 * explicitly (the package is `sideEffects: false`, so a bare import may be dropped).
 */
export function exposePartyEngine(): Promise<PartyEngine> {
  exposed ??= endpoint().then((ep) => {
    const engine = new PartyEngine();
    expose(engine, ep);
    return engine;
  });
  return exposed;
}

await exposePartyEngine();
