/**
 * Manual sync (tkey-formats §6), done atomically: every mutation is an operation that changes the
 * local state and queues record writes; `commit` sends all pending writes as ONE storage batch
 * naming the storage nonce they were built on. A refused (`StorageConflict`) or failed commit
 * changes nothing and keeps the queue. Operations carry their random draws, so after `reload`
 * (fresh state from storage) the log is replayed onto the new state and committed again.
 * @module
 */
import { fail, isTkeyTssError } from '../errors.js';
import { accountId, postboxPub, type AccountContext } from './context.js';
import { recordAddress } from './record.js';
import { signBatch } from './write-auth.js';

/** One replayable mutation. `apply` must be deterministic given the state (randomness captured). */
export interface Op<T = unknown> {
  readonly name: string;
  apply(ctx: AccountContext): T | Promise<T>;
}

/** The log of operations whose writes are pending. */
export class OpLog {
  #ops: Op[] = [];
  push(op: Op): void {
    this.#ops.push(op);
  }
  list(): Op[] {
    return [...this.#ops];
  }
  get size(): number {
    return this.#ops.length;
  }
  clear(): void {
    this.#ops = [];
  }
  restore(ops: Op[]): void {
    this.#ops = [...ops];
  }
}

/**
 * Run `op` all-or-nothing: on any error the state and queue are restored and the error rethrown.
 * On success the op is appended to the log.
 */
export async function runOp<T>(ctx: AccountContext, log: OpLog, op: Op<T>): Promise<T> {
  const state = ctx.state.snapshot();
  const queue = ctx.queue.snapshot();
  try {
    const out = await op.apply(ctx);
    log.push(op);
    return out;
  } catch (e) {
    ctx.state.restore(state);
    ctx.queue.restore(queue);
    throw e;
  }
}

/** Commit every pending write as one batch. Nothing changes locally unless the storage accepted it. */
export async function commitPending(ctx: AccountContext, log: OpLog): Promise<{ written: number }> {
  if (ctx.queue.size === 0) {
    log.clear();
    return { written: 0 };
  }
  const metadata = ctx.state.requireMetadata();
  const base = ctx.state.storageNonce;
  if (ctx.state.creating && (await ctx.storage.get(recordAddress(postboxPub(ctx)))) !== undefined)
    fail('ACCOUNT_EXISTS', 'another account was created for this postbox key meanwhile; reload');
  const nonce = base === null ? metadata.nonce : Math.max(metadata.nonce, base + 1);
  // every write signed by its owner key, the batch by k_m (stores with `signedWrites` need both)
  const nowS = Math.floor(ctx.now() / 1000);
  const signed = ctx.storage.signedWrites === true;
  const key = ctx.state.key;
  if (signed && key === undefined) fail('OWNER_KEY_REQUIRED', 'this storage needs the batch signed by the metadata key: reconstruct the key before writing');
  const writes = ctx.queue.encode(ctx.rng, nowS, signed);
  const batch = { account: accountId(metadata.pubKey), baseNonce: base, nonce, writes };
  await ctx.storage.commit(key === undefined ? batch : { ...batch, auth: signBatch(batch, key, nowS) });
  ctx.state.storageNonce = nonce;
  ctx.state.creating = false;
  ctx.queue.clear();
  log.clear();
  return { written: writes.length };
}

/**
 * Replay `ops` onto the (freshly loaded) state. On failure the caller restores its snapshot.
 * Each op's error is rethrown with the op's name in `details`.
 */
export async function replayOps(ctx: AccountContext, ops: readonly Op[]): Promise<void> {
  for (const op of ops) {
    try {
      await op.apply(ctx);
    } catch (e) {
      if (isTkeyTssError(e)) (e as { details?: Record<string, unknown> }).details ??= { replayedOp: op.name };
      throw e;
    }
  }
}
