/**
 * KEK rotation: re-seal every sealed row (`SEALED_KINDS`) under the new KEK. Batched (a page of
 * rows at a time), resumable and idempotent: a row already under the new key is skipped, so a run
 * cut short is simply run again. Each row is written with compare-and-set on the version it was
 * read at: a row a live node changed meanwhile (nodes run with the new KEK current and the old one
 * previous, so they write under the new key already) or took (a presignature half) is skipped.
 *
 * Procedure (src/server/service-state/README.md): start every node with the new KEK as
 * TKEY_SERVER_KEK and the old as TKEY_SERVER_KEK_PREVIOUS; run `tkey-tss admin rotate-kek`; when it
 * reports `remaining: 0`, drop TKEY_SERVER_KEK_PREVIOUS and restart the nodes.
 * @module
 */
import { wipe } from '../../bytes.js';
import { fail, isTkeyTssError } from '../../errors.js';
import type { StateSpace } from '../store/state-types.js';
import { Kek, sealedUnder, type Keyring } from './kek.js';
import { openRow, SEALED_KINDS, sealFor } from './kinds.js';

export interface RotateResult {
  /** Rows re-sealed under the new KEK now. */
  resealed: number;
  /** Rows already under the new KEK. */
  skipped: number;
  /** Rows changed or removed by a live node while this ran (written under the new KEK by it). */
  raced: number;
  /** Rows still under another KEK after the run (0 = the old KEK is no longer needed). */
  remaining: number;
  newKeyId: string;
}

/**
 * Re-seal every sealed row from `from` (the old KEK, or a keyring that can open the rows) to `to`.
 * KEK_INVALID when a row is under a KEK neither knows (nothing of it changed).
 */
export async function rotateKek(store: StateSpace, o: { from: Kek | Keyring; to: Kek; batch?: number; onProgress?: (r: RotateResult) => void }): Promise<RotateResult> {
  if (!(o?.to instanceof Kek)) fail('INVALID_ARGUMENT', 'to: expected the new Kek');
  const from: Keyring = o.from instanceof Kek ? { current: o.from } : o.from;
  if (!(from?.current instanceof Kek)) fail('INVALID_ARGUMENT', 'from: expected the old Kek or a keyring');
  const reader: Keyring = { current: o.to, previous: from.current.id === o.to.id ? from.previous : from.current };
  const extra = from.previous && from.previous.id !== reader.previous?.id ? from.previous : undefined;
  const batch = o.batch ?? 200;
  const result: RotateResult = { resealed: 0, skipped: 0, raced: 0, remaining: 0, newKeyId: o.to.id };
  for (const kind of SEALED_KINDS) {
    let after: string | undefined;
    for (;;) {
      const page = await store.stateList(kind, { ...(after === undefined ? {} : { after }), limit: batch });
      for (const row of page) {
        if (sealedUnder(row.value, o.to)) {
          result.skipped++;
          continue;
        }
        let plain: Uint8Array;
        try {
          plain = openRow(reader, row);
        } catch (e) {
          if (!extra || !isTkeyTssError(e, 'KEK_INVALID')) throw e;
          plain = openRow({ current: extra }, row);
        }
        try {
          await store.statePut(kind, row.key, sealFor(o.to, kind, row.key, row.epoch, plain), { expected: row.version, epoch: row.epoch });
          result.resealed++;
        } catch (e) {
          if (!isTkeyTssError(e, 'STORAGE_CONFLICT')) throw e;
          result.raced++;
        } finally {
          wipe(plain);
        }
      }
      o.onProgress?.({ ...result });
      if (page.length < batch) break;
      after = page[page.length - 1]!.key;
    }
  }
  for (const kind of SEALED_KINDS) {
    let after: string | undefined;
    for (;;) {
      const page = await store.stateList(kind, { ...(after === undefined ? {} : { after }), limit: 1000 });
      result.remaining += page.filter((r) => !sealedUnder(r.value, o.to)).length;
      if (page.length < 1000) break;
      after = page[page.length - 1]!.key;
    }
  }
  return result;
}
