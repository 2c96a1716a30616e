/**
 * A party worker that dies: it runs the real engine (workers/party-worker.ts) and throws an
 * uncaught error as soon as the host delivers the first message to a session (`receive`), so a
 * test sees a worker crash in the middle of a protocol run. Tests only.
 */
import { parentPort } from 'node:worker_threads';
import '../../workers/party-worker.js';

parentPort!.on('message', (m: unknown) => {
  const path = (m as { path?: unknown[] } | null)?.path;
  if (Array.isArray(path) && path[0] === 'receive') {
    setImmediate(() => {
      throw new Error('simulated crash');
    });
  }
});
