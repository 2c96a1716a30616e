/**
 * Owner-signature verification off the event loop: ECDSA verification (≈ 2 ms each with noble) is
 * what bounds a write's server time, so the writes of a request are split across a pool of worker
 * threads (`TKEY_VERIFY_THREADS`; 0 = verify inline on the event loop). Same checks, same typed
 * errors as `verifySetParams`: of several failures, the first write's is reported.
 * @module
 */
import { Worker } from 'node:worker_threads';
import { fail, type ErrorCode } from '../errors.js';
import type { SetParams } from './owner-signature.js';
import { runVerifyJob, type VerifyJob, type VerifyReply } from './verify-worker.js';

const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(FROM_SOURCE ? './verify-worker.ts' : './verify-worker.js', import.meta.url);

interface Slot {
  worker: Worker;
  pending: Map<number, (r: VerifyReply) => void>;
}

export interface Verifier {
  /** Verify every write (timestamp window + owner signature); returns their signed timestamps in order. */
  verify(items: readonly { params: SetParams; title: string }[], nowS: number): Promise<number[]>;
  close(): Promise<void>;
}

function throwReply(r: Extract<VerifyReply, { error: unknown }>): never {
  return fail(r.error.code as ErrorCode, r.error.message, r.error.details);
}

/** A verifier with `threads` worker threads (0: inline). */
export function createVerifier(threads: number): Verifier {
  if (threads === 0)
    return {
      async verify(items, nowS) {
        const r = runVerifyJob({ id: 0, nowS, items: [...items] });
        if ('error' in r) throwReply(r);
        return r.timestamps;
      },
      async close() {},
    };
  const slots: (Slot | undefined)[] = new Array(threads).fill(undefined);
  let nextId = 1;
  let rr = 0;
  let closed = false;

  const spawn = (i: number): Slot => {
    const worker = FROM_SOURCE
      ? new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(WORKER_URL.href)}); })`, { eval: true })
      : new Worker(WORKER_URL);
    const slot: Slot = { worker, pending: new Map() };
    worker.on('message', (r: VerifyReply) => {
      const done = slot.pending.get(r.id);
      slot.pending.delete(r.id);
      done?.(r);
      if (slot.pending.size === 0) worker.unref();
    });
    const die = (why: string): void => {
      if (slots[i] === slot) slots[i] = undefined;
      for (const [id, done] of slot.pending) done({ id, error: { code: 'INTERNAL_BUG', message: `verification worker ${why}`, index: 0 } });
      slot.pending.clear();
    };
    worker.on('error', (e) => die(`failed: ${e.message}`));
    worker.on('exit', (code) => die(`exited with code ${code}`));
    worker.unref();
    return slot;
  };

  const run = (i: number, job: Omit<VerifyJob, 'id'>): Promise<VerifyReply> => {
    const slot = (slots[i] ??= spawn(i));
    const id = nextId++;
    return new Promise((resolve) => {
      slot.pending.set(id, resolve);
      slot.worker.ref();
      slot.worker.postMessage({ ...job, id });
    });
  };

  return {
    async verify(items, nowS) {
      if (closed) fail('INTERNAL_BUG', 'the verification pool is closed');
      if (items.length === 0) return [];
      // Split the writes into one chunk per thread (in order), starting at the next thread in turn.
      const chunks = Math.min(threads, items.length);
      const size = Math.ceil(items.length / chunks);
      const start = rr;
      rr = (rr + 1) % threads;
      const parts: Promise<VerifyReply>[] = [];
      for (let c = 0; c * size < items.length; c++) parts.push(run((start + c) % threads, { nowS, items: items.slice(c * size, (c + 1) * size) }));
      const replies = await Promise.all(parts);
      const out: number[] = [];
      for (const r of replies) {
        if ('error' in r) throwReply(r);
        out.push(...r.timestamps);
      }
      return out;
    },
    async close() {
      closed = true;
      await Promise.all(slots.map((s) => s?.worker.terminate()));
    },
  };
}
