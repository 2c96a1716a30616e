/**
 * A party worker that dies mid-session: the real engine (workers/engine.ts) on `parentPort`,
 * except that `receive` never answers: it throws an uncaught error on the next macrotask and
 * returns a promise that never settles. So the host's first `receive` call is still pending when
 * the worker dies, and the crash is the only way the run can end (no reply can race it: the worker
 * cannot go on with the session, the transport cannot see the run finish or stall first).
 * Tests only.
 */
import { parentPort } from 'node:worker_threads';
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { PartyEngine } from '../../workers/engine.js';

type Step = ReturnType<PartyEngine['receive']>;

class CrashingEngine extends PartyEngine {
  /** Comlink awaits what a method returns: this reply never comes, the worker dies first. */
  override receive(): Step {
    setImmediate(() => {
      throw new Error('simulated crash');
    });
    return new Promise<never>(() => {}) as unknown as Step;
  }
}

expose(new CrashingEngine(), nodeEndpoint(parentPort! as unknown as Parameters<typeof nodeEndpoint>[0]));
