/**
 * Child process for the multi-process FileStorage tests (test/storage.test.ts).
 *   increment <dir> <account> <n>   n read-modify-write commits of a counter record, retrying on conflict
 *   crash <dir> <account>           commit a two-record batch and SIGKILL itself after the first record file
 */
import { isTkeyTssError } from '../../src/errors.js';
import { FileStorage } from '../../src/storage/file-store.js';

const [mode, dir, account, count] = process.argv.slice(2);
const counter = { pubX: 'c0', pubY: 'c1', namespace: 'tkey' };

if (mode === 'increment') {
  const s = new FileStorage({ dir: dir!, lockTimeoutMs: 20_000 });
  for (let done = 0; done < Number(count); ) {
    const base = await s.getNonce(account!);
    const value = Number((await s.get(counter)) ?? '0');
    try {
      await s.commit({ account: account!, baseNonce: base, nonce: (base ?? -1) + 1, writes: [{ address: counter, value: String(value + 1) }] });
      done++;
    } catch (e) {
      if (!isTkeyTssError(e, 'STORAGE_CONFLICT')) throw e;
    }
  }
} else if (mode === 'crash') {
  const s = new FileStorage({
    dir: dir!,
    onStage: (stage) => {
      if (stage === 'record') process.kill(process.pid, 'SIGKILL');
    },
  });
  const base = await s.getNonce(account!);
  await s.commit({
    account: account!,
    baseNonce: base,
    nonce: (base ?? -1) + 1,
    writes: [
      { address: { pubX: 'a1', pubY: 'a1f', namespace: 'tkey' }, value: 'crashed-a' },
      { address: { pubX: 'b1', pubY: 'b1f', namespace: 'tkey' }, value: 'crashed-b' },
    ],
  });
  throw new Error('unreachable: the hook kills the process');
} else {
  throw new Error(`unknown mode ${mode}`);
}
