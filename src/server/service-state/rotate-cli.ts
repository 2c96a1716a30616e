/**
 * `tkey-tss admin rotate-kek --new-kek-file F [--data-dir D | --database-url URL]`: re-seal the
 * co-signing service's state under a new KEK (`rotate.ts`). The store comes from the usual settings
 * (DATABASE_URL / TKEY_DATA_DIR and their flags); the old KEK from the usual KEK setting
 * (TKEY_SERVER_KEK[_FILE], and TKEY_SERVER_KEK_PREVIOUS[_FILE] — so it runs whether the operator
 * has already switched the nodes' settings to new-current/old-previous or not). The embedded store is
 * one process per directory: stop the server first (its lock refuses a second process).
 * Prints one JSON line `{resealed, skipped, raced, remaining, newKeyId}`; exit 0 when nothing is left
 * under another KEK, 1 on a failure or rows left, 2 on a bad setting. Never prints a key.
 * @module
 */
import { isTkeyTssError } from '../../errors.js';
import { loadConfig } from '../config.js';
import { openStore } from '../store/open.js';
import { loadKeyring, readKekFile } from './kek.js';
import { rotateKek } from './rotate.js';

export const ROTATE_USAGE = 'usage: tkey-tss admin rotate-kek --new-kek-file F [--data-dir D | --database-url URL]  (old KEK: TKEY_SERVER_KEK[_FILE]; see src/server/service-state/README.md)';

const oneLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim();

/** Run the command; returns the exit code. */
export async function rotateKekCli(argv: readonly string[], env: Record<string, string | undefined> = process.env, out: { write(s: string): unknown } = process.stdout, err: { write(s: string): unknown } = process.stderr): Promise<number> {
  let newFile: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--new-kek-file') newFile = argv[++i];
    else if (a.startsWith('--new-kek-file=')) newFile = a.slice('--new-kek-file='.length);
    else if (a === '--help' || a === '-h') {
      out.write(ROTATE_USAGE + '\n');
      return 0;
    } else rest.push(a);
  }
  let cfg, keyring, to;
  try {
    if (!newFile) {
      err.write(`tkey-tss: --new-kek-file is required; ${ROTATE_USAGE}\n`);
      return 2;
    }
    cfg = loadConfig(env, rest);
    keyring = loadKeyring(cfg);
    to = readKekFile(newFile, '--new-kek-file');
  } catch (e) {
    err.write(`tkey-tss: ${oneLine(e)}\n`);
    return 2;
  }
  let store;
  try {
    store = await openStore(cfg);
  } catch (e) {
    err.write(`tkey-tss: cannot open the store: ${oneLine(e)}\n`);
    return 1;
  }
  try {
    const r = await rotateKek(store, { from: keyring, to });
    out.write(JSON.stringify({ msg: 'rotate-kek done', store: store.kind, ...r }) + '\n');
    return r.remaining === 0 ? 0 : 1;
  } catch (e) {
    err.write(`tkey-tss: rotate-kek failed${isTkeyTssError(e) ? '' : ' (nothing after the last re-sealed row changed; run it again)'}: ${oneLine(e)}\n`);
    return 1;
  } finally {
    await store.close().catch(() => undefined);
    keyring.current.wipe();
    keyring.previous?.wipe();
    to.wipe();
  }
}
