/**
 * The server-store contract, one suite run against every backend: embedded journal and PostgreSQL
 * (a throwaway cluster; "skipped: install postgresql" without it, a failure with CI=true).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTkeyTssError } from '../src/errors.js';
import { EmbeddedStore } from '../src/server/store/embedded.js';
import { MIGRATIONS } from '../src/server/store/migrations/index.js';
import { PostgresStore } from '../src/server/store/postgres.js';
import type { Row, ServerStore } from '../src/server/store/types.js';
import { MAX_STATE_VALUE } from '../src/server/store/state-types.js';
import { SKIP_NOTE, startPostgres, type PgCluster } from './helpers/postgres.js';

const ACCOUNT = '02' + 'ab'.repeat(32);
const ACCOUNT2 = '03' + 'cd'.repeat(32);
const T = 1_700_000_000;

let seq = 0;
function row(pubX: string, value: string, over: Partial<Row> = {}): Row {
  return { pubX, pubY: 'f00d', namespace: 'tkey', value, signature: `sig-${++seq}`, timestamp: T, ...over };
}
async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return isTkeyTssError(e) ? e.code : `other: ${String(e)}`;
  }
}

interface Backend {
  name: string;
  setup(): Promise<boolean>;
  open(): Promise<ServerStore>;
  teardown(): Promise<void>;
}

// One cluster for the whole file.
let cluster: PgCluster | undefined;
let pgUrl = '';
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(async () => {
  await cluster?.stop();
});
const backends: Backend[] = [
  (() => {
    let dir = '';
    return {
      name: 'embedded',
      async setup() {
        dir = mkdtempSync(join(tmpdir(), 'tkey-contract-'));
        return true;
      },
      open: () => EmbeddedStore.open({ dir }),
      async teardown() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  })(),
  {
    name: 'postgres',
    async setup() {
      if (!cluster) return false;
      pgUrl = await cluster.createDatabase();
      return true;
    },
    open: () => PostgresStore.open({ url: pgUrl }),
    async teardown() {},
  },
];

for (const be of backends) {
  describe(`server store contract: ${be.name}`, () => {
    let store: ServerStore;
    let available = true;
    let sigA = '';
    beforeAll(async () => {
      available = await be.setup();
      if (!available) console.warn(`${be.name}: ${SKIP_NOTE}`);
      else store = await be.open();
    });
    afterAll(async () => {
      if (available) await store.close();
      await be.teardown();
    });
    const test = (name: string, fn: () => Promise<void>) =>
      it(name, async (ctx) => {
        if (!available) return ctx.skip(SKIP_NOTE);
        await fn();
      });

    test('append-only rows: latest wins, verbatim addressing, namespaces, many addresses at once', async () => {
      expect(await store.getLatest([{ pubX: 'a1', pubY: 'f00d', namespace: 'tkey' }])).toEqual([undefined]);
      expect(await store.appendRows([row('a1', 'v1')])).toEqual({ appended: 1, skipped: 0 });
      await store.appendRows([row('a1', 'v2'), row('a2', 'w1')]);
      await store.appendRows([row('a1', 'n1', { namespace: 'other' })]);
      expect(
        await store.getLatest([
          { pubX: 'a1', pubY: 'f00d', namespace: 'tkey' },
          { pubX: 'a2', pubY: 'f00d', namespace: 'tkey' },
          { pubX: '0a1', pubY: 'f00d', namespace: 'tkey' }, // padded: another record
          { pubX: 'a1', pubY: 'f00d', namespace: 'other' },
        ]),
      ).toEqual(['v2', 'w1', undefined, 'n1']);
      expect(await store.getLatest([])).toEqual([]);
    });

    test('batches: nonce precondition, all or nothing, stale → STORAGE_CONFLICT with nothing written', async () => {
      expect(await store.getNonce(ACCOUNT)).toBeNull();
      await store.commitBatch({ account: ACCOUNT, baseNonce: null, nonce: 0, rows: [row('b1', 'x0'), row('b2', 'y0')] });
      expect(await store.getNonce(ACCOUNT)).toBe(0);
      expect(await code(store.commitBatch({ account: ACCOUNT, baseNonce: null, nonce: 0, rows: [row('b1', 'lost')] }))).toBe('STORAGE_CONFLICT');
      expect(await code(store.commitBatch({ account: ACCOUNT, baseNonce: 5, nonce: 6, rows: [row('b1', 'lost')] }))).toBe('STORAGE_CONFLICT');
      await store.commitBatch({ account: ACCOUNT, baseNonce: 0, nonce: 1, rows: [row('b1', 'x1'), row('b3', 'z1')] });
      expect(await store.getLatest([{ pubX: 'b1', pubY: 'f00d', namespace: 'tkey' }, { pubX: 'b2', pubY: 'f00d', namespace: 'tkey' }, { pubX: 'b3', pubY: 'f00d', namespace: 'tkey' }])).toEqual([
        'x1',
        'y0',
        'z1',
      ]);
      expect(await store.getNonce(ACCOUNT)).toBe(1);
      expect(await store.getNonce(ACCOUNT2)).toBeNull();
    });

    test('concurrent batches on one nonce: exactly one commits, the others conflict and leave nothing', async () => {
      await store.commitBatch({ account: ACCOUNT2, baseNonce: null, nonce: 1, rows: [row('c0', 'start')] });
      const tries = Array.from({ length: 8 }, (_, i) => store.commitBatch({ account: ACCOUNT2, baseNonce: 1, nonce: 2, rows: [row('c1', `w${i}`), row(`c2${i}`, `only-${i}`)] }));
      const codes = await Promise.all(tries.map(code));
      expect(codes.filter((c) => c === 'resolved')).toHaveLength(1);
      expect(codes.filter((c) => c === 'STORAGE_CONFLICT')).toHaveLength(7);
      const winner = codes.indexOf('resolved');
      const latest = await store.getLatest([{ pubX: 'c1', pubY: 'f00d', namespace: 'tkey' }, ...Array.from({ length: 8 }, (_, i) => ({ pubX: `c2${i}`, pubY: 'f00d', namespace: 'tkey' }))]);
      expect(latest[0]).toBe(`w${winner}`);
      expect(latest.slice(1)).toEqual(Array.from({ length: 8 }, (_, i) => (i === winner ? `only-${i}` : undefined)));
      expect(await store.getNonce(ACCOUNT2)).toBe(2);
    });

    test('concurrent creations of one account (baseNonce null): exactly one commits', async () => {
      const acct = '02' + 'ee'.repeat(32);
      const codes = await Promise.all(Array.from({ length: 5 }, (_, i) => code(store.commitBatch({ account: acct, baseNonce: null, nonce: 0, rows: [row(`ca${i}`, `create-${i}`)] }))));
      expect(codes.filter((c) => c === 'resolved')).toHaveLength(1);
      expect(codes.filter((c) => c === 'STORAGE_CONFLICT')).toHaveLength(4);
      const latest = await store.getLatest(Array.from({ length: 5 }, (_, i) => ({ pubX: `ca${i}`, pubY: 'f00d', namespace: 'tkey' })));
      expect(latest.filter((v) => v !== undefined)).toEqual([`create-${codes.indexOf('resolved')}`]);
    });

    test('replays: a stored signature is a no-op when latest, REPLAYED_WRITE otherwise; batches are strict', async () => {
      const a = row('d1', 'A');
      sigA = a.signature;
      const b = row('d1', 'B');
      await store.appendRows([a]);
      await store.appendRows([b]);
      expect(await store.appendRows([b])).toEqual({ appended: 0, skipped: 1 });
      expect(await code(store.appendRows([row('d2', 'fresh'), a]))).toBe('REPLAYED_WRITE');
      expect(await store.getLatest([{ pubX: 'd1', pubY: 'f00d', namespace: 'tkey' }, { pubX: 'd2', pubY: 'f00d', namespace: 'tkey' }])).toEqual(['B', undefined]);
      const n = await store.getNonce(ACCOUNT);
      expect(await code(store.commitBatch({ account: ACCOUNT, baseNonce: n, nonce: n! + 1, rows: [row('d3', 'new'), b] }))).toBe('REPLAYED_WRITE');
      expect(await store.getNonce(ACCOUNT)).toBe(n);
      expect(await store.getLatest([{ pubX: 'd3', pubY: 'f00d', namespace: 'tkey' }])).toEqual([undefined]);
    });

    test('locks: one live holder, release by id (1/2/0), expiry by the injected clock', async () => {
      const now = 1_000_000;
      const id = await store.acquireLock('04aa', now, 90_000);
      expect(id).toMatch(/^[a-z0-9]{7}$/);
      expect(await store.acquireLock('04aa', now + 1, 90_000)).toBeNull();
      expect(await store.acquireLock('04bb', now, 90_000)).not.toBeNull();
      expect(await store.releaseLock('04aa', 'nope', now + 2)).toBe(2);
      expect(await store.releaseLock('04aa', id!, now + 3)).toBe(1);
      expect(await store.releaseLock('04aa', id!, now + 4)).toBe(0);
      const id2 = await store.acquireLock('04aa', now, 90_000);
      expect(await store.acquireLock('04aa', now + 89_999, 90_000)).toBeNull();
      const id3 = await store.acquireLock('04aa', now + 90_000, 90_000);
      expect(id3).not.toBeNull();
      expect(await store.releaseLock('04aa', id2!, now + 90_001)).toBe(2);
      expect(await store.releaseLock('04aa', id3!, now + 180_001)).toBe(0);
    });

    test('bad input is refused with INVALID_ARGUMENT and changes nothing', async () => {
      expect(await code(store.appendRows([{ ...row('e1', 'v'), pubX: 'xyz' }]))).toBe('INVALID_ARGUMENT');
      expect(await code(store.commitBatch({ account: 'nope', baseNonce: null, nonce: 0, rows: [] }))).toBe('INVALID_ARGUMENT');
      expect(await code(store.commitBatch({ account: ACCOUNT, baseNonce: 3, nonce: 3, rows: [] }))).toBe('INVALID_ARGUMENT');
      expect(await code(store.getNonce('zz'))).toBe('INVALID_ARGUMENT');
      expect(await store.getLatest([{ pubX: 'e1', pubY: 'f00d', namespace: 'tkey' }])).toEqual([undefined]);
      await store.ping();
    });

    test('state space: CAS put (insert-only, at a version, upsert), get, delete, list by kind and prefix, paging', async () => {
      const v = (s: string) => new TextEncoder().encode(s);
      expect(await store.stateGet('acct', 'a1')).toBeUndefined();
      expect(await store.statePut('acct', 'a1', v('one'), { expected: null })).toBe(1);
      expect(await code(store.statePut('acct', 'a1', v('again'), { expected: null }))).toBe('STORAGE_CONFLICT');
      expect(await code(store.statePut('acct', 'a1', v('stale'), { expected: 2 }))).toBe('STORAGE_CONFLICT');
      expect(await code(store.statePut('acct', 'missing', v('x'), { expected: 1 }))).toBe('STORAGE_CONFLICT');
      expect(await store.statePut('acct', 'a1', v('two'), { expected: 1, epoch: 7 })).toBe(2);
      expect(await store.statePut('acct', 'a1', v('three'))).toBe(3);
      const got = await store.stateGet('acct', 'a1');
      expect(got && { ...got, value: new TextDecoder().decode(got.value) }).toEqual({ kind: 'acct', key: 'a1', epoch: 0, version: 3, value: 'three' });
      expect(await store.stateGet('other', 'a1')).toBeUndefined(); // kinds are separate spaces
      await store.statePut('acct', 'a2\x1fx', v('p'));
      await store.statePut('acct', 'a2\x1fy', v('q'));
      await store.statePut('acct', 'b1', v('r'));
      expect((await store.stateList('acct')).map((r) => r.key)).toEqual(['a1', 'a2\x1fx', 'a2\x1fy', 'b1']);
      expect((await store.stateList('acct', { prefix: 'a2\x1f' })).map((r) => r.key)).toEqual(['a2\x1fx', 'a2\x1fy']);
      expect((await store.stateList('acct', { after: 'a2\x1fx', limit: 2 })).map((r) => r.key)).toEqual(['a2\x1fy', 'b1']);
      expect(await store.stateCount('acct')).toBe(4);
      expect(await store.stateCount('acct', 'a2\x1f')).toBe(2);
      expect(await store.stateDelete('acct', 'b1', 5)).toBe(false);
      expect(await store.stateDelete('acct', 'b1')).toBe(true);
      expect(await store.stateDelete('acct', 'b1')).toBe(false);
      expect(await store.stateCount('acct')).toBe(3);
      // bad input changes nothing
      expect(await code(store.statePut('Bad Kind', 'k', v('x')))).toBe('INVALID_ARGUMENT');
      expect(await code(store.statePut('acct', '', v('x')))).toBe('INVALID_ARGUMENT');
      expect(await code(store.statePut('acct', 'k', 'text' as unknown as Uint8Array))).toBe('INVALID_ARGUMENT');
      expect(await code(store.statePut('acct', 'k', v('x'), { epoch: -1 }))).toBe('INVALID_ARGUMENT');
      expect(await store.stateCount('acct')).toBe(3);
    });

    test('state space: takeAndPut is one transaction (take + write together, or neither; concurrent: exactly one)', async () => {
      const v = (s: string) => new TextEncoder().encode(s);
      const text = (r: { value: Uint8Array } | undefined) => (r ? new TextDecoder().decode(r.value) : undefined);
      await store.statePut('tp-half', 'acc\x1fs1', v('half-1'), { expected: null, epoch: 2 });
      await store.statePut('tp-acct', 'acc', v('record-0'));
      // no row to take: nothing is written
      expect(await store.stateTakeAndPut({ kind: 'tp-half', key: 'acc\x1fnone' }, { kind: 'tp-acct', key: 'acc', value: v('never') })).toBeUndefined();
      expect(text(await store.stateGet('tp-acct', 'acc'))).toBe('record-0');
      // a failed precondition: STORAGE_CONFLICT and the half is still there (the take rolled back)
      expect(await code(store.stateTakeAndPut({ kind: 'tp-half', key: 'acc\x1fs1' }, { kind: 'tp-acct', key: 'acc', value: v('stale'), expected: 7 }))).toBe('STORAGE_CONFLICT');
      expect(text(await store.stateGet('tp-half', 'acc\x1fs1'))).toBe('half-1');
      expect(text(await store.stateGet('tp-acct', 'acc'))).toBe('record-0');
      // concurrent: exactly one taker gets the half, and exactly its record is written
      const tries = await Promise.all(Array.from({ length: 6 }, (_, i) => store.stateTakeAndPut({ kind: 'tp-half', key: 'acc\x1fs1' }, { kind: 'tp-acct', key: 'acc', value: v(`record-${i + 1}`) })));
      const winners = tries.flatMap((t, i) => (t ? [i] : []));
      expect(winners).toHaveLength(1);
      expect(text(tries[winners[0]!])).toBe('half-1');
      expect(tries[winners[0]!]!.epoch).toBe(2);
      expect(text(await store.stateGet('tp-acct', 'acc'))).toBe(`record-${winners[0]! + 1}`);
      expect(await store.stateGet('tp-half', 'acc\x1fs1')).toBeUndefined();
      expect(await code(store.stateTakeAndPut({ kind: 'tp-half', key: 'k' }, { kind: 'tp-half', key: 'k', value: v('x') }))).toBe('INVALID_ARGUMENT');
    });

    test('state space: every operation refuses bad arguments with the same typed error (one checker: state-args.ts) and changes nothing', async () => {
      const v = (s: string) => new TextEncoder().encode(s);
      await store.statePut('args', 'k', v('kept'));
      const bad: [string, Promise<unknown>, string][] = [
        ['get: kind', store.stateGet('Bad', 'k'), 'INVALID_ARGUMENT'],
        ['take: key', store.stateTake('args', ''), 'INVALID_ARGUMENT'],
        ['put: too large', store.statePut('args', 'k', new Uint8Array(MAX_STATE_VALUE + 1)), 'PAYLOAD_TOO_LARGE'],
        ['put: expected 0', store.statePut('args', 'k', v('x'), { expected: 0 }), 'INVALID_ARGUMENT'],
        ['delete: expected', store.stateDelete('args', 'k', -1), 'INVALID_ARGUMENT'],
        ['delete: key', store.stateDelete('args', 'a\x01'), 'INVALID_ARGUMENT'],
        ['list: limit', store.stateList('args', { limit: 0 }), 'INVALID_ARGUMENT'],
        ['list: after', store.stateList('args', { after: '' }), 'INVALID_ARGUMENT'],
        ['count: prefix', store.stateCount('args', 'x'.repeat(513)), 'INVALID_ARGUMENT'],
        ['takePut: take', store.stateTakeAndPut(null as never, { kind: 'args', key: 'j', value: v('x') }), 'INVALID_ARGUMENT'],
        ['takePut: value', store.stateTakeAndPut({ kind: 'args', key: 'k' }, { kind: 'args', key: 'j', value: 'x' as never }), 'INVALID_ARGUMENT'],
        ['takePut: epoch', store.stateTakeAndPut({ kind: 'args', key: 'k' }, { kind: 'args', key: 'j', value: v('x'), epoch: 1.5 }), 'INVALID_ARGUMENT'],
        ['insert: none', store.stateInsert([]), 'INVALID_ARGUMENT'],
        ['insert: value', store.stateInsert([{ kind: 'args', key: 'j', value: 'x' as never }]), 'INVALID_ARGUMENT'],
        ['takeInsert: take', store.stateTakeAndInsert(null as never, [{ kind: 'args', key: 'j', value: v('x') }]), 'INVALID_ARGUMENT'],
        ['takeInsert: same row', store.stateTakeAndInsert({ kind: 'args', key: 'k' }, [{ kind: 'args', key: 'k', value: v('x') }]), 'INVALID_ARGUMENT'],
        ['deleteBelow: epoch', store.stateDeleteBelow('args', '', -1), 'INVALID_ARGUMENT'],
        ['lock: name', (async () => store.withStateLock('', async () => undefined))(), 'INVALID_ARGUMENT'],
      ];
      for (const [what, p, want] of bad) expect(await code(p), what).toBe(want);
      expect((await store.stateList('args')).map((r) => [r.key, new TextDecoder().decode(r.value), r.version])).toEqual([['k', 'kept', 1]]);
    });

    test('state space: insert is all or nothing; takeAndInsert takes and inserts in one step (a row that exists: nothing changes; concurrent: exactly one)', async () => {
      const v = (s: string) => new TextEncoder().encode(s);
      const ins = (key: string, epoch = 5) => ({ kind: 'ti-sid', key, value: new Uint8Array(0), epoch });
      await store.stateInsert([ins('acc\x1fd1'), ins('acc\x1fs1')]);
      expect((await store.stateGet('ti-sid', 'acc\x1fs1'))!.epoch).toBe(5);
      // one of the rows exists: STORAGE_CONFLICT, the other is not written
      expect(await code(store.stateInsert([ins('acc\x1fd2'), ins('acc\x1fs1')]))).toBe('STORAGE_CONFLICT');
      expect(await store.stateGet('ti-sid', 'acc\x1fd2')).toBeUndefined();
      expect(await code(store.stateInsert([ins('acc\x1fx'), ins('acc\x1fx')]))).toBe('INVALID_ARGUMENT');
      expect(await code(store.stateInsert([]))).toBe('INVALID_ARGUMENT');
      await store.statePut('ti-half', 'acc\x1fh1', v('half-1'), { expected: null, epoch: 2 });
      await store.statePut('ti-half', 'acc\x1fh2', v('half-2'), { expected: null, epoch: 2 });
      // no row to take: nothing inserted
      expect(await store.stateTakeAndInsert({ kind: 'ti-half', key: 'acc\x1fnone' }, [ins('acc\x1fd3')])).toBeUndefined();
      expect(await store.stateGet('ti-sid', 'acc\x1fd3')).toBeUndefined();
      // a row to insert exists: STORAGE_CONFLICT, the half still there, nothing inserted
      expect(await code(store.stateTakeAndInsert({ kind: 'ti-half', key: 'acc\x1fh1' }, [ins('acc\x1fd3'), ins('acc\x1fd1')]))).toBe('STORAGE_CONFLICT');
      expect(await store.stateGet('ti-half', 'acc\x1fh1')).toBeDefined();
      expect(await store.stateGet('ti-sid', 'acc\x1fd3')).toBeUndefined();
      // concurrent takers of one half with distinct rows: exactly one takes it and exactly its rows are there
      const tries = await Promise.all(Array.from({ length: 6 }, (_, i) => store.stateTakeAndInsert({ kind: 'ti-half', key: 'acc\x1fh1' }, [ins(`acc\x1fr${i}`)])));
      const winners = tries.flatMap((t, i) => (t ? [i] : []));
      expect(winners).toHaveLength(1);
      expect(new TextDecoder().decode(tries[winners[0]!]!.value)).toBe('half-1');
      expect((await store.stateList('ti-sid', { prefix: 'acc\x1fr' })).map((r) => r.key)).toEqual([`acc\x1fr${winners[0]}`]);
      // concurrent takers of two halves registering ONE row: exactly one succeeds, the other half stays
      await store.statePut('ti-half', 'acc\x1fh3', v('half-3'), { expected: null, epoch: 2 });
      const race = await Promise.allSettled([store.stateTakeAndInsert({ kind: 'ti-half', key: 'acc\x1fh2' }, [ins('acc\x1fsame')]), store.stateTakeAndInsert({ kind: 'ti-half', key: 'acc\x1fh3' }, [ins('acc\x1fsame')])]);
      expect(race.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(((race.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as { code?: string }).code).toBe('STORAGE_CONFLICT');
      expect(await store.stateCount('ti-half', 'acc\x1f')).toBe(1);
      expect(await code(store.stateTakeAndInsert({ kind: 'ti-half', key: 'k' }, [{ kind: 'ti-half', key: 'k', value: v('x') }]))).toBe('INVALID_ARGUMENT');
    });

    test('state space: take is delete-returning (concurrent takes: exactly one gets the row); deleteBelow by epoch', async () => {
      const v = (s: string) => new TextEncoder().encode(s);
      await store.statePut('half', 'acc\x1fs1', v('secret-1'), { expected: null, epoch: 3 });
      const takes = await Promise.all(Array.from({ length: 6 }, () => store.stateTake('half', 'acc\x1fs1')));
      const got = takes.filter((t) => t !== undefined);
      expect(got).toHaveLength(1);
      expect(new TextDecoder().decode(got[0]!.value)).toBe('secret-1');
      expect(got[0]!.epoch).toBe(3);
      expect(await store.stateTake('half', 'acc\x1fs1')).toBeUndefined();
      for (const [sid, epoch] of [['a', 1], ['b', 2], ['c', 3], ['d', 4]] as const) await store.statePut('half', `acc\x1f${sid}`, v(sid), { epoch });
      await store.statePut('half', 'other\x1fa', v('keep'), { epoch: 0 });
      expect(await store.stateDeleteBelow('half', 'acc\x1f', 3)).toBe(2);
      expect((await store.stateList('half')).map((r) => r.key)).toEqual(['acc\x1fc', 'acc\x1fd', 'other\x1fa']);
      expect(await store.stateDeleteBelow('half', '', 1)).toBe(1);
      expect(await store.stateCount('half')).toBe(2);
    });

    test('state space: withStateLock is mutual exclusion per name', async () => {
      const events: string[] = [];
      const section = (tag: string) =>
        store.withStateLock('account:x', async () => {
          events.push(`in ${tag}`);
          await new Promise((r) => setTimeout(r, 15));
          events.push(`out ${tag}`);
          return tag;
        });
      const other = store.withStateLock('account:y', async () => {
        events.push('y');
        return 'y';
      });
      expect(await Promise.all([section('a'), section('b'), other])).toEqual(['a', 'b', 'y']);
      const xs = events.filter((e) => e !== 'y');
      expect(xs).toEqual(['in a', 'out a', 'in b', 'out b']);
      // a failing section releases the lock
      await expect(store.withStateLock('account:x', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      expect(await store.withStateLock('account:x', async () => 'after')).toBe('after');
    });

    test('everything acknowledged survives a close and reopen', async () => {
      const before = await store.getLatest([{ pubX: 'b1', pubY: 'f00d', namespace: 'tkey' }, { pubX: 'd1', pubY: 'f00d', namespace: 'tkey' }]);
      const nonce = await store.getNonce(ACCOUNT);
      await store.close();
      store = await be.open();
      expect(await store.getLatest([{ pubX: 'b1', pubY: 'f00d', namespace: 'tkey' }, { pubX: 'd1', pubY: 'f00d', namespace: 'tkey' }])).toEqual(before);
      expect(await store.getNonce(ACCOUNT)).toBe(nonce);
      // The replay memory survives too.
      expect(await code(store.appendRows([row('d1', 'A', { signature: sigA })]))).toBe('REPLAYED_WRITE');
      // The state space survives too (rows, versions, epochs, deletions and takes).
      expect((await store.stateList('acct')).map((r) => [r.key, r.version, r.epoch])).toEqual([
        ['a1', 3, 0],
        ['a2\x1fx', 1, 0],
        ['a2\x1fy', 1, 0],
      ]);
      expect((await store.stateList('half')).map((r) => [r.key, r.epoch])).toEqual([
        ['acc\x1fc', 3],
        ['acc\x1fd', 4],
      ]);
      expect(await store.statePut('acct', 'a1', new Uint8Array([1]), { expected: 3 })).toBe(4);
    });
  });
}

describe('PostgreSQL migrations', () => {
  it('run once under the advisory lock, even with several processes starting together', async (ctx) => {
    const c = cluster;
    if (!c) return ctx.skip(SKIP_NOTE);
    {
      const url = await c.createDatabase();
      const stores = await Promise.all([1, 2, 3].map(() => PostgresStore.open({ url })));
      await Promise.all(stores.map((s) => s.close()));
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const r = await client.query('SELECT version FROM tkey_schema_migrations ORDER BY version');
      await client.end();
      expect(r.rows.map((x) => x.version)).toEqual(MIGRATIONS.map((m) => m.version));
    }
  });
});

describe('PostgreSQL: two stores (two nodes) on one database', () => {
  it('a row taken concurrently from two stores goes to exactly one; the state lock excludes across stores', async (ctx) => {
    const c = cluster;
    if (!c) return ctx.skip(SKIP_NOTE);
    const url = await c.createDatabase();
    const [a, b] = await Promise.all([PostgresStore.open({ url }), PostgresStore.open({ url })]);
    try {
      for (let i = 0; i < 20; i++) await a.statePut('half', `acc\x1f${i}`, new Uint8Array([i]), { expected: null, epoch: 1 });
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => [a.stateTake('half', `acc\x1f${i}`), b.stateTake('half', `acc\x1f${i}`)]).flat());
      for (let i = 0; i < 20; i++) {
        const pair = results.slice(2 * i, 2 * i + 2).filter((r) => r !== undefined);
        expect(pair, `row ${i}`).toHaveLength(1);
        expect([...pair[0]!.value]).toEqual([i]);
      }
      expect(await b.stateCount('half')).toBe(0);
      // one sid row inserted by both nodes at once, each with its own half: exactly one takes and registers
      for (let i = 0; i < 10; i++) {
        await a.statePut('half', `acc\x1fa${i}`, new Uint8Array([i]), { expected: null });
        await a.statePut('half', `acc\x1fb${i}`, new Uint8Array([i]), { expected: null });
      }
      const row = (i: number) => [{ kind: 'sid', key: `acc\x1fpart${i}`, value: new Uint8Array(0) }];
      const regs = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => [a.stateTakeAndInsert({ kind: 'half', key: `acc\x1fa${i}` }, row(i)), b.stateTakeAndInsert({ kind: 'half', key: `acc\x1fb${i}` }, row(i))]).flat());
      for (let i = 0; i < 10; i++) {
        const pair = regs.slice(2 * i, 2 * i + 2);
        expect(pair.filter((r) => r.status === 'fulfilled'), `sid ${i}`).toHaveLength(1);
        expect(((pair.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as { code?: string }).code).toBe('STORAGE_CONFLICT');
      }
      expect(await b.stateCount('half')).toBe(10);
      expect(await b.stateCount('sid')).toBe(10);
      // mutual exclusion across the two pools: a read-modify-write counter without CAS stays exact
      await a.statePut('ctr', 'n', new Uint8Array([0]));
      const bump = (s: PostgresStore) =>
        s.withStateLock('account:ctr', async () => {
          const cur = (await s.stateGet('ctr', 'n'))!.value[0]!;
          await new Promise((r) => setTimeout(r, 2));
          await s.statePut('ctr', 'n', new Uint8Array([cur + 1]));
        });
      await Promise.all(Array.from({ length: 10 }, (_, i) => bump(i % 2 ? a : b)));
      expect((await a.stateGet('ctr', 'n'))!.value[0]).toBe(10);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('embedded store: failed writes and torn tails', () => {
  it('a failed log write (ENOSPC: STORAGE_FULL) leaves no trace; the next group and later writes survive a reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tkey-embedded-'));
    let failNext = false;
    const hook = () => {
      if (failNext) {
        failNext = false;
        throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      }
    };
    try {
      let store = await EmbeddedStore.open({ dir, onWrite: hook });
      await store.commitBatch({ account: ACCOUNT, baseNonce: null, nonce: 0, rows: [row('f1', 'kept')] });
      failNext = true;
      const [a, b] = await Promise.all([
        code(store.commitBatch({ account: ACCOUNT, baseNonce: 0, nonce: 1, rows: [row('f1', 'failed')] })),
        code(store.appendRows([row('f2', 'next-group')])),
      ]);
      expect([a, b]).toEqual(['STORAGE_FULL', 'resolved']);
      expect(await store.getNonce(ACCOUNT)).toBe(0);
      expect(await store.getLatest([{ pubX: 'f1', pubY: 'f00d', namespace: 'tkey' }, { pubX: 'f2', pubY: 'f00d', namespace: 'tkey' }])).toEqual(['kept', 'next-group']);
      await store.commitBatch({ account: ACCOUNT, baseNonce: 0, nonce: 1, rows: [row('f1', 'after')] });
      await store.close();
      store = await EmbeddedStore.open({ dir });
      expect(await store.getNonce(ACCOUNT)).toBe(1);
      expect(await store.getLatest([{ pubX: 'f1', pubY: 'f00d', namespace: 'tkey' }, { pubX: 'f2', pubY: 'f00d', namespace: 'tkey' }])).toEqual(['after', 'next-group']);
      // A second store on the same directory in this process is refused (one process per directory).
      expect(await code(EmbeddedStore.open({ dir }))).toBe('STORAGE_LOCKED');
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('embedded store: the directory lock', () => {
  it('is a symlink naming its holder; a dead holder (symlink or a JSON lock file of an earlier version) is broken, a live one refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tkey-embedded-lock-'));
    const lock = join(dir, 'LOCK');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    try {
      let store = await EmbeddedStore.open({ dir });
      expect(readlinkSync(lock)).toBe(`${process.pid}@${hostname()}`);
      await store.close();
      expect(existsSync(lock)).toBe(false);
      for (const plant of [() => symlinkSync(`${dead}@${hostname()}`, lock), () => writeFileSync(lock, JSON.stringify({ pid: dead, host: hostname() }))]) {
        plant();
        store = await EmbeddedStore.open({ dir });
        expect(readlinkSync(lock)).toBe(`${process.pid}@${hostname()}`);
        await store.close();
      }
      // a live holder (our parent), another host, or a lock naming nobody: refused, and left alone
      for (const target of [`${process.ppid}@${hostname()}`, `${dead}@another-host`, 'garbage']) {
        symlinkSync(target, lock);
        expect(await code(EmbeddedStore.open({ dir })), target).toBe('STORAGE_LOCKED');
        expect(readlinkSync(lock)).toBe(target);
        rmSync(lock);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the PostgreSQL test helper without PostgreSQL', () => {
  it('skips (undefined) outside CI and fails with CI=true', async () => {
    const saved = { bin: process.env.TKEY_TEST_PG_BINDIR, ci: process.env.CI };
    try {
      process.env.TKEY_TEST_PG_BINDIR = join(tmpdir(), 'no-postgresql-here');
      process.env.CI = 'false';
      expect(await startPostgres()).toBeUndefined();
      process.env.CI = 'true';
      await expect(startPostgres()).rejects.toThrow(/CI=true/);
    } finally {
      for (const [k, v] of [['TKEY_TEST_PG_BINDIR', saved.bin], ['CI', saved.ci]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
