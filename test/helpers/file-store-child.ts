/**
 * Child process for the multi-process FileStorage tests (test/storage.test.ts, test/storage-stress.test.ts).
 *   increment <dir> <account> <n>      n read-modify-write commits of a counter record, retrying on conflict
 *   crash <dir> <account>              commit a two-record batch and SIGKILL itself after the first record file
 *   commit <dir> <account> <timeoutMs> one batch on the current nonce (`lockTimeoutMs` = timeoutMs)
 *   stress <dir> <log> <tag> <endAt> <accounts,…>
 *       until Date.now() ≥ endAt: pick an account, read its nonce n, commit a batch on it writing
 *       slot(account, n+1) and head(account) = "<tag>.<seq>". Appends to <log>, each line with one
 *       write(2) (so it survives a SIGKILL): `try <account> <nonce> <value>` before the commit, then
 *       `ack <value>` once it resolved, `conflict <value>` / `locked <value>` when refused; any other
 *       error is logged as `error <code> <message>` and ends the process with code 1.
 */
import { appendFileSync } from 'node:fs';
import { FileStorage } from '../../src/storage/file-store.js';
import { stressHead, stressSlot } from './stress-records.js';

const [mode, dir, ...rest] = process.argv.slice(2);
const counter = { pubX: 'c0', pubY: 'c1', namespace: 'tkey' };
/** The error code of a library error (checked by shape, so a store from another checkout also counts). */
const codeOf = (e: unknown): string | undefined => (e as { code?: unknown } | null)?.code as string | undefined;

if (mode === 'increment') {
  const [account, count] = rest;
  const s = new FileStorage({ dir: dir!, lockTimeoutMs: 20_000 });
  for (let done = 0; done < Number(count); ) {
    const base = await s.getNonce(account!);
    const value = Number((await s.get(counter)) ?? '0');
    try {
      await s.commit({ account: account!, baseNonce: base, nonce: (base ?? -1) + 1, writes: [{ address: counter, value: String(value + 1) }] });
      done++;
    } catch (e) {
      if (codeOf(e) !== 'STORAGE_CONFLICT') throw e;
    }
  }
} else if (mode === 'crash') {
  const [account] = rest;
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
} else if (mode === 'commit') {
  const [account, timeoutMs] = rest;
  const s = new FileStorage({ dir: dir!, lockTimeoutMs: Number(timeoutMs) });
  const base = await s.getNonce(account!);
  await s.commit({ account: account!, baseNonce: base, nonce: (base ?? -1) + 1, writes: [{ address: counter, value: `child-${process.pid}` }] });
} else if (mode === 'stress') {
  const [log, tag, endAt, accounts] = rest as [string, string, string, string];
  const accs = accounts.split(',');
  const s = new FileStorage({ dir: dir!, lockTimeoutMs: 5000 });
  for (let seq = 0; Date.now() < Number(endAt); seq++) {
    const account = accs[seq % accs.length]!;
    const base = await s.getNonce(account);
    const nonce = (base ?? -1) + 1;
    const value = `${tag}.${seq}`;
    appendFileSync(log, `try ${account} ${nonce} ${value}\n`);
    try {
      await s.commit({ account, baseNonce: base, nonce, writes: [{ address: stressSlot(account, nonce), value }, { address: stressHead(account), value }] });
      appendFileSync(log, `ack ${value}\n`);
    } catch (e) {
      const code = codeOf(e);
      if (code === 'STORAGE_CONFLICT') appendFileSync(log, `conflict ${value}\n`);
      else if (code === 'STORAGE_LOCKED') appendFileSync(log, `locked ${value} ${String((e as Error).message).replace(/\n/g, ' ')}\n`);
      else {
        appendFileSync(log, `error ${code} ${String((e as Error)?.message ?? e).replace(/\n/g, ' ')}\n`);
        process.exit(1);
      }
    }
  }
} else {
  throw new Error(`unknown mode ${mode}`);
}
