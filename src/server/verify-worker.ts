/**
 * Worker-thread entry of the signature-verification pool: `{id, nowS, items: [{params, title}]}` →
 * `{id, timestamps}` or `{id, error: {code, message, details, index}}` (the first failing item).
 * @module
 */
import { parentPort } from 'node:worker_threads';
import { isTkeyTssError } from '../errors.js';
import { verifySetParams, type SetParams } from './owner-signature.js';

export interface VerifyJob {
  id: number;
  nowS: number;
  items: { params: SetParams; title: string }[];
}
export type VerifyReply = { id: number; timestamps: number[] } | { id: number; error: { code: string; message: string; details?: Record<string, unknown>; index: number } };

/** Verify a job's items in order (also used inline when the pool has no threads). */
export function runVerifyJob(job: VerifyJob): VerifyReply {
  const timestamps: number[] = [];
  for (const [index, it] of job.items.entries()) {
    try {
      timestamps.push(verifySetParams(it.params, job.nowS, it.title));
    } catch (e) {
      if (!isTkeyTssError(e)) throw e;
      return { id: job.id, error: { code: e.code, message: e.message.replace(/^\[[A-Z_]+\] /, ''), details: e.details, index } };
    }
  }
  return { id: job.id, timestamps };
}

parentPort?.on('message', (job: VerifyJob) => {
  let reply: VerifyReply;
  try {
    reply = runVerifyJob(job);
  } catch (e) {
    reply = { id: job.id, error: { code: 'INTERNAL_BUG', message: String((e as Error)?.message ?? e), index: 0 } };
  }
  parentPort!.postMessage(reply);
});
