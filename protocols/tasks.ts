/**
 * Round tasks (issue 13): the independent pieces of work a round hands to its `ParallelExecutor`
 * (protocols/types.ts) — plain, structured-clone-safe data, run by `runRoundTask` wherever the
 * executor runs them (a math-pool worker, or this thread). Today: presign's proofs
 * (protocols/presign/tasks.ts).
 *
 *   const s = Session.create(presign, config, input, { rng, parallel: inThreadExecutor });
 *   const out = await s.startAsync();
 * @module
 */
import { fail } from '../src/errors.js';
import { minimalAux, PRESIGN_TASK_KINDS, runPresignTask, type PresignTask } from './presign/tasks.js';
import type { ParallelExecutor } from './types.js';

export type RoundTask = PresignTask;

/** Run one round task in this thread (the math pool's workers call this too). INVALID_ARGUMENT for an unknown kind. */
export function runRoundTask(task: RoundTask): unknown {
  if (typeof task !== 'object' || task === null || !PRESIGN_TASK_KINDS.includes(task.kind)) fail('INVALID_ARGUMENT', 'round task: unknown kind');
  return runPresignTask(task);
}

/** What of a task crosses to a worker: the task with only the aux info it needs (`minimalAux`). */
export function taskForWorker(task: RoundTask): RoundTask {
  return { ...task, aux: minimalAux(task) };
}

/**
 * The fallback executor: runs the tasks one after the other in this thread (no concurrency; the
 * same results as the pool's). For tests and platforms without workers.
 */
export const inThreadExecutor: ParallelExecutor = Object.freeze({
  run(tasks: readonly RoundTask[]): Promise<unknown[]> {
    try {
      return Promise.resolve(tasks.map(runRoundTask));
    } catch (e) {
      return Promise.reject(e);
    }
  },
});
