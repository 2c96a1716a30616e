/**
 * FileStorage under fire (issue 16 item 1): 6 writer processes commit batches to one store while a
 * planter keeps leaving the lock a crashed holder leaves (a dead pid, a previous boot, or, while
 * there is no lock yet, a legacy LOCK file of a dead pid) and writers are SIGKILLed at random and
 * restarted. At the end every acknowledged batch must be at its nonce with its value, every batch in
 * the store must be acknowledged or the last in-flight one of a killed writer, and no writer may have
 * seen an error other than STORAGE_CONFLICT / STORAGE_LOCKED (~20 s, two accounts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, expect, it } from 'vitest';
import { heldEntryName, lockIdentity, parseLockEntry } from '../src/storage/file-lock.js';
import { FileStorage } from '../src/storage/file-store.js';
import { stressHead, stressSlot } from './helpers/stress-records.js';

const WRITERS = 6;
const RUN_MS = 15_000;
const ACCOUNTS = ['02aa', '03bb'];

const childSource = fileURLToPath(new URL('./helpers/file-store-child.ts', import.meta.url));
const roots: string[] = [];
afterAll(async () => {
  for (const d of roots) await rm(d, { recursive: true, force: true });
});
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const errno = (e: unknown) => (e as { code?: string }).code;

interface Writer {
  tag: string;
  log: string;
  proc: ChildProcess;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: string;
}

/** Plant stale locks until `until`, each time the lock is free (or absent): what a holder that crashed leaves. */
async function planter(dir: string, until: number, dead: number[]): Promise<Record<'legacy' | 'deadPid' | 'oldBoot', number>> {
  const lock = join(dir, 'LOCK');
  const me = lockIdentity();
  const n = { legacy: 0, deadPid: 0, oldBoot: 0 };
  for (let i = 0; Date.now() < until; i++) {
    await sleep(2);
    let names: string[];
    try {
      names = await readdir(lock);
    } catch (e) {
      if (errno(e) !== 'ENOENT') continue; // a legacy file is there
      await writeFile(lock, JSON.stringify({ pid: dead[i % dead.length], host: hostname(), time: Date.now() }), { flag: 'wx' }).then(
        () => n.legacy++,
        () => undefined,
      );
      continue;
    }
    const e = names.length === 1 ? parseLockEntry(names[0]!) : undefined;
    if (e?.kind !== 'free') continue;
    // a holder of a previous boot (its pid is alive now, but another process), or a dead pid (start time wrong on purpose: pid reuse)
    const oldBoot = me.boot !== '0' && i % 4 === 0;
    const who = oldBoot ? { ...me, boot: '0badb007', realm: 'deadbeef' } : { ...me, pid: dead[i % dead.length]!, start: '1', realm: 'deadbeef' };
    await rename(join(lock, e.name), join(lock, heldEntryName(e.gen + 1, who))).then(
      () => (oldBoot ? n.oldBoot++ : n.deadPid++),
      () => undefined,
    );
  }
  return n;
}

it(`${WRITERS} writer processes, planted stale locks and random SIGKILLs: every acknowledged batch stays at its nonce, nothing else is visible, no I/O error`, async () => {
  const root = await mkdtemp(join(tmpdir(), 'tkey-stress-'));
  roots.push(root);
  const dir = join(root, 'store');
  await mkdir(join(root, 'logs'));
  // one bundled file: a writer starts in a fraction of the time `--import tsx` takes, so restarts stay cheap
  const child = join(root, 'file-store-child.mjs');
  await build({ entryPoints: [childSource], outfile: child, bundle: true, platform: 'node', format: 'esm', logLevel: 'warning' });
  const dead = [0, 1, 2, 3].map(() => spawnSync(process.execPath, ['-e', '0']).pid!);
  const endAt = Date.now() + RUN_MS;
  const all: Writer[] = [];
  const live = new Map<number, Writer>();
  const incarnation = new Array<number>(WRITERS).fill(0);
  const start = (slot: number): void => {
    const tag = `w${slot}i${incarnation[slot]!++}`;
    const log = join(root, 'logs', `${tag}.log`);
    const proc = spawn(process.execPath, [child, 'stress', dir, log, tag, String(endAt), ACCOUNTS.join(',')], { stdio: ['ignore', 'ignore', 'pipe'] });
    const w: Writer = { tag, log, proc, stderr: '', exit: new Promise((res) => proc.on('exit', (code, signal) => res({ code, signal }))) };
    proc.stderr!.on('data', (c: Buffer) => (w.stderr += c.toString()));
    all.push(w);
    live.set(slot, w);
    void w.exit.then(() => {
      if (live.get(slot) === w) live.delete(slot);
    });
  };

  let kills = 0;
  let planted: Awaited<ReturnType<typeof planter>>;
  try {
    for (let s = 0; s < WRITERS; s++) start(s);
    const plant = planter(dir, endAt, dead);
    while (Date.now() < endAt - 2000) {
      await sleep(400 + Math.random() * 800);
      for (let s = 0; s < WRITERS; s++) if (!live.has(s)) start(s); // one that died of an error: keep six running
      const slot = Math.floor(Math.random() * WRITERS);
      const w = live.get(slot);
      if (!w) continue;
      w.proc.kill('SIGKILL');
      if ((await w.exit).signal === 'SIGKILL') kills++;
      start(slot);
    }
    planted = await plant;
    const settled = await Promise.race([Promise.all(all.map((w) => w.exit)).then(() => true), sleep(30_000).then(() => false)]);
    expect(settled, 'writers did not stop').toBe(true);
  } finally {
    for (const w of all) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
  }

  // What the writers did.
  const problems: string[] = [];
  const tried = new Map<string, { account: string; nonce: number }>();
  const outcome = new Map<string, string>();
  const inFlight = new Set<string>(); // the last batch of each killed incarnation that has no outcome
  const lockedLines: string[] = [];
  for (const w of all) {
    let last: string | undefined;
    for (const line of (await readFile(w.log, 'utf8').catch(() => '')).split('\n')) {
      const [kind, a, b, c] = line.split(' ');
      if (kind === 'try' && c) {
        tried.set(c, { account: a!, nonce: Number(b) });
        last = c;
      } else if ((kind === 'ack' || kind === 'conflict' || kind === 'locked') && a) outcome.set(a, kind);
      else if (kind === 'error') problems.push(`${w.tag}: ${line}`);
    }
    const { code, signal } = await w.exit;
    if (signal === 'SIGKILL') {
      if (last !== undefined && !outcome.has(last)) inFlight.add(last);
    } else if (code !== 0) problems.push(`${w.tag} exited with ${code ?? signal}: ${w.stderr.slice(-400)}`);
  }

  // What the store holds: slot n of each account is the batch that moved it to nonce n.
  const s = new FileStorage({ dir, lockTimeoutMs: 5000 });
  let landedUnacked = 0;
  for (const account of ACCOUNTS) {
    const top = await s.getNonce(account);
    if (top === null) {
      problems.push(`${account}: no batch landed`);
      continue;
    }
    for (let n = 0; n <= top; n++) {
      const v = await s.get(stressSlot(account, n));
      const t = v === undefined ? undefined : tried.get(v);
      if (v === undefined) problems.push(`${account}@${n}: empty (nonce ${top} reached)`);
      else if (!t || t.account !== account || t.nonce !== n) problems.push(`${account}@${n}: ${v} was never a batch for this nonce`);
      else if (outcome.get(v) === 'ack') continue;
      else if (inFlight.has(v)) landedUnacked++;
      else problems.push(`${account}@${n}: ${v} is visible but was ${outcome.get(v) ?? 'not acknowledged (and its writer was not killed in it)'}`);
    }
    const head = await s.get(stressHead(account));
    if (head !== (await s.get(stressSlot(account, top)))) problems.push(`${account}: head ${head} is not the batch at nonce ${top}`);
  }
  let acks = 0;
  for (const [v, o] of outcome) {
    if (o !== 'ack') continue;
    acks++;
    const t = tried.get(v)!;
    const got = await s.get(stressSlot(t.account, t.nonce));
    if (got !== v) problems.push(`acknowledged ${v} at ${t.account}@${t.nonce} was overwritten by ${got}`);
  }
  const count = (kind: string) => [...outcome.values()].filter((o) => o === kind).length;
  console.log(
    `stress: ${all.length} writer runs, ${kills} SIGKILLs, planted ${JSON.stringify(planted!)}, ${acks} acknowledged, ${count('conflict')} conflicts, ${count('locked')} STORAGE_LOCKED, ${landedUnacked} in-flight batches of killed writers landed, ${problems.length} problems`,
  );
  if (lockedLines.length) console.log(lockedLines.join('\n'));
  expect(problems).toEqual([]);
  expect(acks).toBeGreaterThanOrEqual(30);
  expect(kills).toBeGreaterThanOrEqual(5);
  expect(planted!.deadPid + planted!.oldBoot + planted!.legacy).toBeGreaterThanOrEqual(10);
}, 60_000);
