/**
 * The Web Worker script to bundle (ES module format; e.g. `esbuild app.ts
 * node_modules/tkey-tss/dist/workers/browser/worker.js --bundle --format=esm --platform=browser`):
 * exposes one party engine on `self`. Browser-only on purpose: it never imports `../party-worker.ts`
 * (whose Node branch loads `node:worker_threads`), and the package lists it in `sideEffects`, so
 * `import 'tkey-tss/workers/browser/worker'` keeps it in a bundle.
 * @module
 */
import type { Endpoint } from 'comlink';
import { exposeEngineOn } from '../expose-engine.js';

exposeEngineOn(self as unknown as Endpoint);
