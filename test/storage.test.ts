import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { StorageConflict } from '../src/errors.js';
import type { FsLike } from '../src/storage/durable-fs.js';
import { heldEntryName, lockIdentity, type LockIdentity, parseLockEntry, StoreLock } from '../src/storage/file-lock.js';
import { FileStorage, type CommitStage } from '../src/storage/file-store.js';
import { addressKey, MemoryStorage, type MetadataStorage, type RecordAddress, type StorageBatch } from '../src/storage/index.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'tkey-store-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const addr = (x: string, namespace = 'tkey'): RecordAddress => ({ pubX: x, pubY: x + 'f', namespace });
const A = addr('a1');
const B = addr('b1');
const C = addr('c1');
const ACC = '02aa';

function batch(baseNonce: number | null, nonce: number, writes: [RecordAddress, string][], account = ACC): StorageBatch {
  return { account, baseNonce, nonce, writes: writes.map(([address, value]) => ({ address, value })) };
}
async function values(s: MetadataStorage, ...as: RecordAddress[]): Promise<(string | undefined)[]> {
  return Promise.all(as.map((a) => s.get(a)));
}

const stores: [string, () => Promise<MetadataStorage>][] = [
  ['MemoryStorage', async () => new MemoryStorage()],
  ['FileStorage', async () => new FileStorage({ dir: await tempDir() })],
];

describe.each(stores)('%s (shared semantics)', (_name, make) => {
  it('new account: baseNonce null creates it, a second null batch is refused and writes nothing', async () => {
    const s = await make();
    expect(await s.getNonce(ACC)).toBeNull();
    expect(await s.get(A)).toBeUndefined();
    await s.commit(batch(null, 0, [[A, 'a0'], [B, 'b0']]));
    expect(await s.getNonce(ACC)).toBe(0);
    expect(await values(s, A, B)).toEqual(['a0', 'b0']);
    const again = s.commit(batch(null, 5, [[A, 'x'], [C, 'x']]));
    await expect(again).rejects.toBeInstanceOf(StorageConflict);
    await expect(again).rejects.toMatchObject({ code: 'STORAGE_CONFLICT', kind: 'StorageConflict' });
    expect(await values(s, A, B, C)).toEqual(['a0', 'b0', undefined]);
    expect(await s.getNonce(ACC)).toBe(0);
  });

  it('existing account: the current baseNonce commits, a stale or future one is refused and writes nothing', async () => {
    const s = await make();
    await s.commit(batch(null, 0, [[A, 'a0'], [B, 'b0']]));
    await s.commit(batch(0, 1, [[A, 'a1']]));
    expect(await values(s, A, B)).toEqual(['a1', 'b0']);
    expect(await s.getNonce(ACC)).toBe(1);
    for (const base of [0, 2, null]) {
      await expect(s.commit(batch(base, 7, [[B, 'stale'], [C, 'stale']]))).rejects.toMatchObject({ code: 'STORAGE_CONFLICT' });
    }
    expect(await values(s, A, B, C)).toEqual(['a1', 'b0', undefined]);
    expect(await s.getNonce(ACC)).toBe(1);
  });

  it('racing batches on the same base: exactly one lands, entirely; the others write nothing', async () => {
    const s = await make();
    await s.commit(batch(null, 0, [[A, 'init'], [B, 'init']]));
    const racers = [1, 2, 3, 4].map((n) => batch(0, n, [[A, `r${n}`], [B, `r${n}`], [addr(`d${n}`), `r${n}`]]));
    const results = await Promise.allSettled(racers.map((b) => s.commit(b)));
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i + 1] : []));
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'STORAGE_CONFLICT' });
    const w = won[0]!;
    expect(await s.getNonce(ACC)).toBe(w);
    expect(await values(s, A, B, addr(`d${w}`))).toEqual([`r${w}`, `r${w}`, `r${w}`]);
    for (const n of [1, 2, 3, 4]) if (n !== w) expect(await s.get(addr(`d${n}`))).toBeUndefined();
  });

  it('a later write to the same address in one batch wins; accounts are independent', async () => {
    const s = await make();
    await s.commit(batch(null, 3, [[A, 'first'], [A, 'second']]));
    expect(await s.get(A)).toBe('second');
    expect(await s.getNonce('03bb')).toBeNull();
    await s.commit(batch(null, 0, [[B, 'other']], '03bb'));
    expect(await s.getNonce(ACC)).toBe(3);
    expect(await s.getNonce('03bb')).toBe(0);
  });

  it('addresses: hex case does not matter, padding and namespace do', async () => {
    const s = await make();
    await s.commit(batch(null, 0, [[{ pubX: 'AB', pubY: 'CD', namespace: 'tkey' }, 'v']]));
    expect(await s.get({ pubX: 'ab', pubY: 'cd', namespace: 'tkey' })).toBe('v');
    expect(await s.get({ pubX: '0ab', pubY: 'cd', namespace: 'tkey' })).toBeUndefined();
    expect(await s.get({ pubX: 'ab', pubY: 'cd', namespace: 'noncev2' })).toBeUndefined();
  });

  it('invalid batches and arguments are refused with INVALID_ARGUMENT and write nothing', async () => {
    const s = await make();
    const bad: unknown[] = [
      batch(null, 0, [[A, 'ok'], [{ pubX: 'zz', pubY: '01', namespace: 'tkey' }, 'v']]),
      batch(null, 0, [[A, 'ok'], [{ pubX: '01', pubY: '01' } as RecordAddress, 'v']]),
      { ...batch(null, 0, [[A, 'ok']]), writes: [{ address: A, value: 1 }] },
      batch(4, 4, [[A, 'ok']]),
      batch(null, 1.5, [[A, 'ok']]),
      batch(null, 0, [[A, 'ok']], ''),
      { account: ACC, nonce: 0, writes: [] },
      null,
    ];
    for (const b of bad) await expect(s.commit(b as StorageBatch)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await s.get(A)).toBeUndefined();
    expect(await s.getNonce(ACC)).toBeNull();
    await expect(s.get({ pubX: 'xyz', pubY: '01', namespace: 'tkey' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(s.get(undefined as unknown as RecordAddress)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(s.getNonce('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('the batch is taken at call time: mutating it afterwards changes nothing', async () => {
    const s = await make();
    const b = batch(null, 0, [[A, 'original']]);
    const p = s.commit(b);
    b.writes[0]!.value = 'mutated';
    b.writes.push({ address: B, value: 'added' });
    await p;
    expect(await values(s, A, B)).toEqual(['original', undefined]);
  });
});

/** FileStorage whose commit throws at the `n`-th occurrence of `stage`, as a crash there would stop it. */
function crashingAt(dir: string, stage: CommitStage, n = 1): FileStorage {
  let seen = 0;
  return new FileStorage({
    dir,
    onStage: (s) => {
      if (s === stage && ++seen === n) throw new Error(`simulated crash at ${stage}`);
    },
  });
}
const ls = async (d: string): Promise<string[]> => (await readdir(d).catch(() => [] as string[])).sort();
const recordFile = (dir: string, a: RecordAddress) => join(dir, 'records', `${sha256Hex(addressKey(a))}.json`);
const accountFile = (dir: string, account: string) => join(dir, 'accounts', `${sha256Hex(account)}.json`);
const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid!;
}

const child = fileURLToPath(new URL('./helpers/file-store-child.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('..', import.meta.url)); // where `--import tsx` resolves
function run(...args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; pid: number }> {
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, ...args], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('error', rej);
    p.on('exit', (code, signal) => res({ code, signal, stderr, pid: p.pid! }));
  });
}

/** The one entry of `LOCK/`. */
async function lockEntry(d: string): Promise<string> {
  const names = await ls(join(d, 'LOCK'));
  expect(names).toHaveLength(1);
  return names[0]!;
}
/** Leave the lock as a holder `who` that stopped holding it would: swap the free entry for a held one. */
async function plantHeld(d: string, who: Partial<LockIdentity>): Promise<string> {
  const cur = parseLockEntry(await lockEntry(d))!;
  expect(cur.kind).toBe('free');
  const name = heldEntryName(cur.gen + 1, { ...lockIdentity(), ...who });
  await rename(join(d, 'LOCK', cur.name), join(d, 'LOCK', name));
  return name;
}
/** `node:fs/promises` whose calls throw `Error{code}` when `fault(op, args)` names a code: an injected I/O failure. */
function faultyFs(fault: (op: string, args: unknown[]) => string | undefined): FsLike & { hits: string[] } {
  const hits: string[] = [];
  const wrap =
    (op: string) =>
    (...args: unknown[]): Promise<unknown> => {
      const code = fault(op, args);
      if (code === undefined) return (fsp as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[op]!(...args);
      hits.push(`${op} ${String(args[0])}`);
      return Promise.reject(Object.assign(new Error(`${code}: injected failure of ${op}`), { code, syscall: op, path: args[0] }));
    };
  const f = Object.fromEntries(['open', 'rename', 'link', 'rm', 'unlink', 'readdir', 'readFile', 'mkdir', 'stat'].map((op) => [op, wrap(op)]));
  return Object.assign(f as unknown as FsLike, { hits });
}

describe('FileStorage (on disk)', () => {
  it('directory: option, else $TKEY_DATA_DIR, else ./.tkey-data', async () => {
    const d = await tempDir();
    const saved = process.env.TKEY_DATA_DIR;
    try {
      process.env.TKEY_DATA_DIR = d;
      expect(new FileStorage().dir).toBe(d);
      expect(new FileStorage({ dir: join(d, 'x') }).dir).toBe(join(d, 'x'));
      delete process.env.TKEY_DATA_DIR;
      expect(new FileStorage().dir).toBe(resolve('.tkey-data'));
    } finally {
      if (saved === undefined) delete process.env.TKEY_DATA_DIR;
      else process.env.TKEY_DATA_DIR = saved;
    }
    expect(() => new FileStorage({ dir: '' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new FileStorage({ dir: d, lockTimeoutMs: -1 })).toThrow(expect.objectContaining({ code: 'OUT_OF_RANGE' }));
  });

  it('persists across instances; one file per record and per account; no journal or temp left, the lock free', async () => {
    const d = await tempDir();
    await new FileStorage({ dir: d }).commit(batch(null, 0, [[A, 'a0'], [B, 'b0']]));
    const s2 = new FileStorage({ dir: d });
    expect(await values(s2, A, B)).toEqual(['a0', 'b0']);
    expect(await s2.getNonce(ACC)).toBe(0);
    expect(await ls(d)).toEqual(['LOCK', 'accounts', 'records', 'tmp']);
    expect(parseLockEntry(await lockEntry(d))).toMatchObject({ kind: 'free', gen: 1 });
    expect(await ls(join(d, 'records'))).toEqual([recordFile(d, A), recordFile(d, B)].map((p) => p.split('/').pop()!).sort());
    expect(JSON.parse(await readFile(accountFile(d, ACC), 'utf8'))).toEqual({ v: 1, account: ACC, nonce: 0 });
    expect(await ls(join(d, 'tmp'))).toEqual([]);
  });

  it('reads of a directory that does not exist yet find nothing and create nothing', async () => {
    const d = join(await tempDir(), 'absent');
    const s = new FileStorage({ dir: d });
    expect(await s.get(A)).toBeUndefined();
    expect(await s.getNonce(ACC)).toBeNull();
    await expect(stat(d)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('crash after the temp journal is written, before its rename: previous state stays, next commit works', async () => {
    const d = await tempDir();
    await new FileStorage({ dir: d }).commit(batch(null, 0, [[A, 'a0'], [B, 'b0']]));
    await expect(crashingAt(d, 'journal-temp').commit(batch(0, 1, [[A, 'a1'], [C, 'c1']]))).rejects.toMatchObject({ code: 'STORAGE_IO' });
    expect(await ls(join(d, 'tmp'))).toHaveLength(1); // the orphaned temp journal
    const fresh = new FileStorage({ dir: d });
    expect(await values(fresh, A, B, C)).toEqual(['a0', 'b0', undefined]);
    expect(await fresh.getNonce(ACC)).toBe(0);
    await fresh.commit(batch(0, 1, [[B, 'b1']]));
    expect(await values(fresh, A, B, C)).toEqual(['a0', 'b1', undefined]);
    expect(await ls(join(d, 'tmp'))).toEqual([]);
  });

  it('crash mid-apply (after the commit point): the whole batch is visible at once and the next commit finishes it', async () => {
    const d = await tempDir();
    await new FileStorage({ dir: d }).commit(batch(null, 0, [[A, 'a0'], [B, 'b0']]));
    await expect(crashingAt(d, 'record', 1).commit(batch(0, 1, [[A, 'a1'], [B, 'b1'], [C, 'c1']]))).rejects.toMatchObject({ code: 'STORAGE_IO' });
    // on disk only one record file is new; the journal carries the rest
    expect(await ls(d)).toContain('journal.json');
    expect(JSON.parse(await readFile(accountFile(d, ACC), 'utf8')).nonce).toBe(0);
    const fresh = new FileStorage({ dir: d });
    expect(await values(fresh, A, B, C)).toEqual(['a1', 'b1', 'c1']);
    expect(await fresh.getNonce(ACC)).toBe(1);
    await expect(fresh.commit(batch(0, 1, [[A, 'late']]))).rejects.toMatchObject({ code: 'STORAGE_CONFLICT' });
    expect(await ls(d)).not.toContain('journal.json'); // the refused commit still finished the journal
    expect(JSON.parse(await readFile(recordFile(d, C), 'utf8')).value).toBe('c1');
    await fresh.commit(batch(1, 2, [[A, 'a2']]));
    expect(await values(fresh, A, B, C)).toEqual(['a2', 'b1', 'c1']);
  });

  it('a journal whose account has moved past it (resurrected) is ignored by readers and discarded by commits', async () => {
    const d = await tempDir();
    await new FileStorage({ dir: d }).commit(batch(null, 0, [[A, 'a0']]));
    await expect(crashingAt(d, 'account').commit(batch(0, 1, [[A, 'a1']]))).rejects.toThrow();
    const journal = await readFile(join(d, 'journal.json'), 'utf8');
    const s = new FileStorage({ dir: d });
    await s.commit(batch(1, 2, [[A, 'a2']]));
    await writeFile(join(d, 'journal.json'), journal);
    expect(await s.get(A)).toBe('a2');
    expect(await s.getNonce(ACC)).toBe(2);
    await s.commit(batch(2, 3, [[B, 'b3']]));
    expect(await values(s, A, B)).toEqual(['a2', 'b3']);
  });

  it('unparsable or mismatched files raise STORAGE_CORRUPT', async () => {
    const d = await tempDir();
    const s = new FileStorage({ dir: d });
    await s.commit(batch(null, 0, [[A, 'a0'], [B, 'b0']]));
    const good = await readFile(recordFile(d, A), 'utf8');
    await writeFile(recordFile(d, A), '{"v":1,"addr');
    await expect(s.get(A)).rejects.toMatchObject({ code: 'STORAGE_CORRUPT', kind: 'InternalBug' });
    await writeFile(recordFile(d, A), await readFile(recordFile(d, B), 'utf8')); // B's record at A's name
    await expect(s.get(A)).rejects.toMatchObject({ code: 'STORAGE_CORRUPT' });
    await writeFile(recordFile(d, A), good);
    expect(await s.get(A)).toBe('a0');

    await writeFile(accountFile(d, ACC), JSON.stringify({ v: 1, account: ACC, nonce: 'zero' }));
    await expect(s.getNonce(ACC)).rejects.toMatchObject({ code: 'STORAGE_CORRUPT' });
    await expect(s.commit(batch(0, 1, [[B, 'b1']]))).rejects.toMatchObject({ code: 'STORAGE_CORRUPT' });
    await writeFile(accountFile(d, ACC), JSON.stringify({ v: 1, account: ACC, nonce: 0 }));
    expect(await s.get(B)).toBe('b0');

    await writeFile(join(d, 'journal.json'), 'garbage');
    await expect(s.get(B)).rejects.toMatchObject({ code: 'STORAGE_CORRUPT' });
    await expect(s.commit(batch(0, 1, [[B, 'b1']]))).rejects.toMatchObject({ code: 'STORAGE_CORRUPT' });
    await rm(join(d, 'journal.json'));
    await s.commit(batch(0, 1, [[B, 'b1']]));
    expect(await s.get(B)).toBe('b1');
  });
});

describe('FileStorage (several processes)', () => {
  it('two processes incrementing one counter under the lock lose no update', async () => {
    const d = await tempDir();
    const rs = await Promise.all([run('increment', d, ACC, '12'), run('increment', d, ACC, '12')]);
    for (const r of rs) expect(r, r.stderr).toMatchObject({ code: 0 });
    const s = new FileStorage({ dir: d });
    expect(await s.getNonce(ACC)).toBe(23);
    expect(await s.get({ pubX: 'c0', pubY: 'c1', namespace: 'tkey' })).toBe('24');
  });

  it('a process killed mid-commit leaves its lock and journal; the batch is visible and the next commit recovers', async () => {
    const d = await tempDir();
    await new FileStorage({ dir: d }).commit(batch(null, 0, [[A, 'a0'], [B, 'b0']]));
    const r = await run('crash', d, ACC);
    expect(r.signal, r.stderr).toBe('SIGKILL');
    expect(await ls(d)).toEqual(expect.arrayContaining(['LOCK', 'journal.json']));
    expect(parseLockEntry(await lockEntry(d))).toMatchObject({ kind: 'held', pid: r.pid });
    const s = new FileStorage({ dir: d, lockTimeoutMs: 2000 });
    expect(await values(s, A, B)).toEqual(['crashed-a', 'crashed-b']);
    expect(await s.getNonce(ACC)).toBe(1);
    await s.commit(batch(1, 2, [[A, 'after']]));
    expect(await values(s, A, B)).toEqual(['after', 'crashed-b']);
    expect(await ls(d)).toEqual(['LOCK', 'accounts', 'records', 'tmp']);
    expect(await ls(join(d, 'tmp'))).toEqual([]);
    expect(parseLockEntry(await lockEntry(d))).toMatchObject({ kind: 'free' });
  });
});

describe('FileStorage lock (LOCK/: compare-and-swap takeover, fencing)', () => {
  it('a lock whose holder cannot act any more is taken over at once; a live or remote one times out with STORAGE_LOCKED and writes nothing', async () => {
    const d = await tempDir();
    const s = new FileStorage({ dir: d, lockTimeoutMs: 40 }); // 40 ms: any waiting for a stale lock would fail
    await s.commit(batch(null, 0, [[A, 'a0']]));
    const me = lockIdentity();
    const stale: [string, Partial<LockIdentity>][] = [
      ['a dead pid', { pid: deadPid(), start: '0', realm: 'deadbeef' }],
      ['this realm, but no commit of it holds the token (a failed release)', {}],
    ];
    if (me.boot !== '0') stale.push(['a previous boot (its pid is alive now)', { boot: '0badb007', pid: process.ppid, start: '0', realm: 'deadbeef' }]);
    if (me.start !== '0') stale.push(['a reused pid (alive, another start time)', { pid: process.ppid, start: '1', realm: 'deadbeef' }]);
    let n = 0;
    for (const [why, who] of stale) {
      const planted = await plantHeld(d, who);
      await s.commit(batch(n, n + 1, [[A, `a${n + 1}`]]));
      n++;
      const now = parseLockEntry(await lockEntry(d))!;
      expect(now, why).toMatchObject({ kind: 'free', gen: parseLockEntry(planted)!.gen + 1 });
    }
    const live: [string, Partial<LockIdentity>, string][] = [
      ['a live process of this host', { pid: process.ppid, start: '0', realm: 'deadbeef' }, 'this host'],
      ['another thread of this process', { realm: 'deadbeef' }, 'this host'],
      ['a process of another host (even a dead pid here)', { host: '0123abcd', pid: deadPid() }, 'another host'],
    ];
    for (const [why, who, where] of live) {
      const entry = await plantHeld(d, who);
      const refused = s.commit(batch(n, n + 1, [[A, 'never']]));
      await expect(refused, why).rejects.toMatchObject({ code: 'STORAGE_LOCKED', kind: 'StorageConflict', details: { holder: { entry } } });
      await expect(refused).rejects.toThrow(where);
      expect(await s.get(A)).toBe(`a${n}`); // readers do not need the lock
      expect(await lockEntry(d)).toBe(entry);
      await rename(join(d, 'LOCK', entry), join(d, 'LOCK', `f.${parseLockEntry(entry)!.gen}.000000000000`)); // the operator frees it
    }
    await s.commit(batch(n, n + 1, [[A, 'last']]));
    expect(await s.getNonce(ACC)).toBe(n + 1);
  });

  it('legacy LOCK files: a live holder is honoured; a dead one, an empty one (ENOSPC while writing it) and one naming this process (a failed unlink) are taken over at once', async () => {
    const d = await tempDir();
    const s = new FileStorage({ dir: d, lockTimeoutMs: 40 });
    for (const holder of [
      { pid: process.ppid, host: hostname() },
      { pid: 1, host: 'elsewhere' },
    ]) {
      await writeFile(join(d, 'LOCK'), JSON.stringify({ ...holder, time: Date.now() }));
      await expect(s.commit(batch(null, 0, [[A, 'never']]))).rejects.toMatchObject({ code: 'STORAGE_LOCKED', details: { holder } });
    }
    expect(await s.getNonce(ACC)).toBeNull();
    const left = [
      JSON.stringify({ pid: process.pid, host: hostname(), time: Date.now() }), // what a failed unlink at release left
      '', // what ENOSPC while writing the lock content left
      JSON.stringify({ pid: deadPid(), host: hostname(), time: 0 }),
    ];
    for (const [n, text] of left.entries()) {
      await rm(join(d, 'LOCK'), { recursive: true, force: true }); // the previous version wrote its file only where no LOCK/ was
      await writeFile(join(d, 'LOCK'), text);
      await s.commit(batch(n === 0 ? null : n - 1, n, [[A, `a${n}`]]));
    }
    expect(await s.get(A)).toBe('a2');
    expect(parseLockEntry(await lockEntry(d))).toMatchObject({ kind: 'free' });
  });

  it('ENOSPC while the lock is created or taken leaves no lock behind: the commit fails with STORAGE_IO, the next goes through at once', async () => {
    const d = await tempDir();
    let on = true;
    const f = faultyFs((op, [p, q]) =>
      on && ((op === 'open' && /\.lock\/f\.0\./.test(String(p))) || (op === 'rename' && /\/LOCK\/h\./.test(String(q)))) ? 'ENOSPC' : undefined,
    );
    const s = new FileStorage({ dir: d, lockTimeoutMs: 40, fs: f });
    // first use: writing LOCK/'s first entry fails
    await expect(s.commit(batch(null, 0, [[A, 'a0']]))).rejects.toMatchObject({ code: 'STORAGE_IO', details: { errno: 'ENOSPC' } });
    expect(await ls(d)).toEqual(['accounts', 'records', 'tmp']);
    expect(await ls(join(d, 'tmp'))).toEqual([]);
    on = false;
    await s.commit(batch(null, 0, [[A, 'a0']]));
    // LOCK/ exists: taking it fails
    on = true;
    const free = await lockEntry(d);
    await expect(s.commit(batch(0, 1, [[A, 'a1']]))).rejects.toMatchObject({ code: 'STORAGE_IO', details: { errno: 'ENOSPC' } });
    expect(await lockEntry(d)).toBe(free);
    expect(await s.get(A)).toBe('a0');
    on = false;
    await s.commit(batch(0, 1, [[A, 'a1']]));
    expect(await s.get(A)).toBe('a1');
    expect(f.hits).toHaveLength(2);
  });

  it('a failed release blocks nobody: this process takes its entry over, a background retry frees it for the others', async () => {
    const d = await tempDir();
    let failReleases = false;
    const f = faultyFs((op, [p, q]) => (failReleases && op === 'rename' && /\/LOCK\/h\./.test(String(p)) && /\/LOCK\/f\./.test(String(q)) ? 'EIO' : undefined));
    const s = new FileStorage({ dir: d, lockTimeoutMs: 40, fs: f });
    await s.commit(batch(null, 0, [[A, 'a0']]));
    failReleases = true;
    await s.commit(batch(0, 1, [[A, 'a1']])); // the batch landed: the commit resolves
    const leaked = parseLockEntry(await lockEntry(d))!;
    expect(leaked).toMatchObject({ kind: 'held', pid: process.pid, realm: lockIdentity().realm });
    await s.commit(batch(1, 2, [[A, 'a2']])); // no wait (40 ms timeout): the entry names this realm and no active commit
    expect(await lockEntry(d)).not.toBe(leaked.name);
    expect(f.hits.length).toBeGreaterThanOrEqual(2);
    failReleases = false; // the file system recovers: the retry frees the lock, another process commits
    const r = await run('commit', d, ACC, '10000');
    expect(r, r.stderr).toMatchObject({ code: 0 });
    expect(await s.getNonce(ACC)).toBe(3);
    expect(parseLockEntry(await lockEntry(d))).toMatchObject({ kind: 'free' });
  });

  it('fencing: a commit whose lock entry vanished (LOCK/ removed by hand) writes nothing before the commit point and stops applying after it', async () => {
    const d = await tempDir();
    await new FileStorage({ dir: d }).commit(batch(null, 0, [[A, 'a0'], [B, 'b0']]));
    const robbedAt = (stage: CommitStage) =>
      new FileStorage({
        dir: d,
        onStage: (st) => {
          if (st === stage) rmSync(join(d, 'LOCK'), { recursive: true, force: true });
        },
      });
    await expect(robbedAt('journal-temp').commit(batch(0, 1, [[A, 'a1'], [C, 'c1']]))).rejects.toMatchObject({ code: 'STORAGE_LOCKED', details: { lost: expect.any(String) } });
    const fresh = new FileStorage({ dir: d });
    expect(await ls(d)).not.toContain('journal.json');
    expect(await values(fresh, A, B, C)).toEqual(['a0', 'b0', undefined]);
    expect(await fresh.getNonce(ACC)).toBe(0);
    // past the commit point the journal carries the batch: the commit resolves, applying stops at the next fence
    await robbedAt('record').commit(batch(0, 1, [[A, 'a1'], [B, 'b1'], [C, 'c1']]));
    expect(await ls(d)).toContain('journal.json');
    expect(JSON.parse(await readFile(recordFile(d, B), 'utf8')).value).toBe('b0');
    expect(await values(fresh, A, B, C)).toEqual(['a1', 'b1', 'c1']);
    expect(await fresh.getNonce(ACC)).toBe(1);
    await fresh.commit(batch(1, 2, [[A, 'a2']]));
    expect(await ls(d)).not.toContain('journal.json');
    expect(await values(fresh, A, B, C)).toEqual(['a2', 'b1', 'c1']);
  });

  it('takeover is a compare-and-swap: of 8 acquirers racing for one stale lock, one holds it at a time, each with a new generation', async () => {
    const d = await tempDir();
    await mkdir(join(d, 'tmp'));
    const lock = () => new StoreLock({ path: join(d, 'LOCK'), parent: d, tmp: join(d, 'tmp'), fs: fsp, timeoutMs: 10_000 });
    await (await lock().acquire()).release();
    const planted = parseLockEntry(await plantHeld(d, { pid: deadPid(), start: '0', realm: 'deadbeef' }))!;
    let holding = 0;
    let most = 0;
    const gens: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        const lease = await lock().acquire();
        most = Math.max(most, ++holding);
        gens.push(lease.gen);
        expect(await lease.holds()).toBe(true);
        await new Promise((r) => setTimeout(r, 2));
        holding--;
        await lease.release();
        expect(await lease.holds()).toBe(false);
      }),
    );
    expect(most).toBe(1);
    expect(gens).toEqual(Array.from({ length: 8 }, (_, i) => planted.gen + 1 + i));
    expect(parseLockEntry(await lockEntry(d))).toMatchObject({ kind: 'free', gen: planted.gen + 8 });
  });
});
