/**
 * The Web Worker script to bundle (ES module format; e.g. `esbuild workers/browser/worker.ts
 * --bundle --format=esm --platform=browser --external:node:*`): the same party engine entry as
 * Node's (`../party-worker.ts`), which exposes itself on `self`.
 * @module
 */
import { exposePartyEngine } from '../party-worker.js';

await exposePartyEngine();
