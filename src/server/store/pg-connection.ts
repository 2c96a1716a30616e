/**
 * Pool clients that survive their connection dying (PostgreSQL stopped, restarted or crashed under
 * load): the process must keep serving — typed 503s while the database is away, and the pool
 * reconnects when it is back (`test/server-pg-restart.test.ts`).
 * @module
 */
import type pg from 'pg';

/**
 * Guard a checked-out pool client until it is released. The pool's idle-client 'error' handler is
 * detached while a client is checked out, and pg emits 'error' on a client whose connection dies
 * (PostgreSQL stopped, restarted or crashed) even while a query of it is failing — without a listener
 * that crashes the process. The failed query rejects on its own; this records the loss and, on
 * `done()`, releases the client with it so the pool discards the dead connection and opens a new one.
 */
export function watchConnection(client: pg.PoolClient): { readonly error: unknown; done(): void } {
  let error: unknown;
  const onError = (e: unknown): void => {
    error ??= e ?? new Error('connection lost');
  };
  client.on('error', onError);
  return {
    get error() {
      return error;
    },
    done() {
      client.removeListener('error', onError);
      client.release(error === undefined ? undefined : error instanceof Error ? error : new Error(String(error)));
    },
  };
}
