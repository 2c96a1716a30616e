/**
 * A math-pool worker that dies on a round task: the real engine (workers/engine.ts) on
 * `parentPort`, except that `roundTask` never answers: it throws an uncaught error on the next
 * macrotask and returns a promise that never settles, so the pool's call is pending when the
 * worker dies and WORKER_CRASHED is the only way the round can end. Tests only.
 */
import { parentPort } from 'node:worker_threads';
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { PartyEngine } from '../../workers/engine.js';

type TaskResult = ReturnType<PartyEngine['roundTask']>;

class CrashingTaskEngine extends PartyEngine {
  override roundTask(): TaskResult {
    setImmediate(() => {
      throw new Error('simulated crash in a round task');
    });
    return new Promise<never>(() => {}) as unknown as TaskResult;
  }
}

expose(new CrashingTaskEngine(), nodeEndpoint(parentPort! as unknown as Parameters<typeof nodeEndpoint>[0]));
