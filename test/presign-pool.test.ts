import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesToHex } from '../src/bytes.js';
import { getPublicKey, scalarToBytes } from '../src/curve.js';
import { isTkeyTssError } from '../src/errors.js';
import { FilePresignStore } from '../src/signature/presign-file-store.js';
import {
  assertPresignBinding,
  MemoryPresignStore,
  newPresignId,
  PresignPool,
  shiftBytes,
  type ConsumeStage,
  type PresignBinding,
  type PresignStore,
} from '../src/signature/index.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'presign-pool-'));
  dirs.push(d);
  return d;
};
async function code(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (e) {
    return isTkeyTssError(e) ? e.code : `not a library error: ${String(e)}`;
  }
  return undefined;
}

const keyA = getPublicKey(scalarToBytes(5n));
const keyB = getPublicKey(scalarToBytes(6n));
const base: PresignBinding = { publicKey: keyA, epoch: 3, signers: [2, 1], shift: shiftBytes(0n), profile: 'default' };
const variants: Record<string, PresignBinding> = {
  publicKey: { ...base, publicKey: keyB },
  epoch: { ...base, epoch: 4 },
  signers: { ...base, signers: [1, 3] },
  shift: { ...base, shift: shiftBytes(12345n) },
  profile: { ...base, profile: 'high' },
};
const data = (i: number): Uint8Array => Uint8Array.from({ length: 40 }, (_, j) => (i * 7 + j) & 0xff);

type Make = (opts?: { onStage?: (s: ConsumeStage) => void; dir?: string }) => PresignStore;
const stores: Array<[string, Make]> = [
  ['memory', (o) => new MemoryPresignStore({ onStage: o?.onStage })],
  ['file', (o) => new FilePresignStore(o?.dir ?? tmp(), { onStage: o?.onStage })],
];

describe.each(stores)('presignature pool (%s store)', (_name, make) => {
  it('take returns a matching record once; the id is then used forever', async () => {
    const pool = new PresignPool(make());
    const id = await pool.add({ binding: base, data: data(1) });
    expect(await pool.count(base)).toBe(1);
    const rec = await pool.take({ ...base, signers: [1, 2] }); // signer order does not matter
    expect(rec.id).toBe(id);
    expect(bytesToHex(rec.data)).toBe(bytesToHex(data(1)));
    expect(rec.binding.signers).toEqual([1, 2]);
    expect(await code(() => pool.take(base))).toBe('PRESIGN_POOL_EMPTY');
    expect(await code(() => pool.takeById(id, base))).toBe('PRESIGN_USED');
    expect(await code(() => pool.store.consume(id))).toBe('PRESIGN_USED');
    expect(await code(() => pool.add({ id, binding: base, data: data(1) }))).toBe('PRESIGN_USED');
    expect(await code(() => pool.takeById(newPresignId(), base))).toBe('NOT_FOUND');
  });
  it('add refuses a duplicate id and malformed records', async () => {
    const pool = new PresignPool(make());
    const id = await pool.add({ binding: base, data: data(1) });
    expect(await code(() => pool.add({ id, binding: base, data: data(2) }))).toBe('PRESIGN_EXISTS');
    expect(await code(() => pool.add({ id: 'XYZ', binding: base, data: data(2) }))).toBe('INVALID_ARGUMENT');
    expect(await code(() => pool.add({ binding: { ...base, signers: [1, 1] }, data: data(2) }))).toBe('DUPLICATE_INDEX');
    expect(await code(() => pool.add({ binding: { ...base, signers: [0, 1] }, data: data(2) }))).toBe('ZERO_INDEX');
    expect(await code(() => pool.add({ binding: { ...base, shift: new Uint8Array(31) }, data: data(2) }))).toBe('INVALID_LENGTH');
    expect(await code(() => pool.add({ binding: { ...base, shift: new Uint8Array(32).fill(0xff) }, data: data(2) }))).toBe('INVALID_SCALAR');
    expect(await code(() => pool.add({ binding: { ...base, profile: 'fast' as never }, data: data(2) }))).toBe('INVALID_ARGUMENT');
    expect(await code(() => pool.add({ binding: { ...base, publicKey: new Uint8Array(33) }, data: data(2) }))).toBe('INVALID_POINT');
    expect(await code(() => pool.add({ binding: base, data: new Uint8Array(0) }))).toBe('INVALID_LENGTH');
    expect(await pool.count()).toBe(1);
  });
  it('the stored copy is independent of the caller’s buffer', async () => {
    const pool = new PresignPool(make());
    const d = data(9);
    await pool.add({ binding: base, data: d });
    d.fill(0);
    expect(bytesToHex((await pool.take(base)).data)).toBe(bytesToHex(data(9)));
  });
  for (const field of Object.keys(variants)) {
    it(`a binding that differs in ${field} is refused and leaves the record usable`, async () => {
      const pool = new PresignPool(make());
      const id = await pool.add({ binding: base, data: data(2) });
      const other = variants[field]!;
      expect(await code(() => pool.take(other))).toBe('PRESIGN_POOL_EMPTY');
      let err: unknown;
      try {
        await pool.takeById(id, other);
      } catch (e) {
        err = e;
      }
      expect(isTkeyTssError(err, 'PRESIGN_BINDING_MISMATCH')).toBe(true);
      expect((err as { details: { field: string } }).details.field).toBe(field);
      expect(() => assertPresignBinding(base, other)).toThrow(expect.objectContaining({ code: 'PRESIGN_BINDING_MISMATCH', details: { field } }));
      expect(await pool.count(base)).toBe(1);
      expect((await pool.takeById(id, base)).id).toBe(id);
    });
  }
  it('concurrent takes never return the same record', async () => {
    const pool = new PresignPool(make());
    const ids = new Set<string>();
    for (let i = 0; i < 8; i++) ids.add(await pool.add({ binding: base, data: data(i) }));
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => pool.take(base)));
    const got = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<{ id: string }>).value.id);
    expect(got.length).toBe(8);
    expect(new Set(got)).toEqual(ids);
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code);
    expect(refused).toEqual(['PRESIGN_POOL_EMPTY', 'PRESIGN_POOL_EMPTY']);
  });
  it('a crash after the consumed mark burns the presignature: never returned, never re-added', async () => {
    for (const stage of ['marked', 'read'] as const) {
      let armed = true;
      const store = make({
        onStage: (s) => {
          if (armed && s === stage) {
            armed = false;
            throw new Error(`crash at ${s}`);
          }
        },
      });
      const pool = new PresignPool(store);
      const id = await pool.add({ binding: base, data: data(3) });
      const keep = await pool.add({ binding: base, data: data(4) });
      await expect(pool.takeById(id, base)).rejects.toThrow(/crash at/);
      expect(await pool.count(base)).toBe(1);
      expect(await code(() => pool.takeById(id, base))).toBe('PRESIGN_USED');
      expect(await code(() => pool.add({ id, binding: base, data: data(3) }))).toBe('PRESIGN_USED');
      expect((await pool.take(base)).id).toBe(keep);
    }
  });
  it('prune after an epoch bump burns older presignatures of that key and refuses them from then on', async () => {
    const pool = new PresignPool(make());
    await pool.add({ binding: base, data: data(1) });
    await pool.add({ binding: { ...base, shift: shiftBytes(7n) }, data: data(2) });
    const next = await pool.add({ binding: { ...base, epoch: 4 }, data: data(3) });
    const otherKey = await pool.add({ binding: { ...base, publicKey: keyB, epoch: 1 }, data: data(4) });
    expect(await pool.prune(keyA, 4)).toBe(2);
    expect(await pool.count()).toBe(2);
    expect(await code(() => pool.take(base))).toBe('PRESIGN_STALE');
    expect(await code(() => pool.add({ binding: base, data: data(5) }))).toBe('PRESIGN_STALE');
    expect((await pool.take({ ...base, epoch: 4 })).id).toBe(next);
    expect((await pool.take({ ...base, publicKey: keyB, epoch: 1 })).id).toBe(otherKey);
    expect(await pool.prune(keyA, 2)).toBe(0); // the floor never goes down
    expect(await code(() => pool.add({ binding: base, data: data(6) }))).toBe('PRESIGN_STALE');
  });
});

describe('file store specifics', () => {
  it('survives a reload: unused records, used ids and epoch floors persist', async () => {
    const dir = tmp();
    const p1 = new PresignPool(new FilePresignStore(dir));
    const a = await p1.add({ binding: base, data: data(1) });
    const b = await p1.add({ binding: base, data: data(2) });
    await p1.add({ binding: { ...base, epoch: 1 }, data: data(3) });
    await p1.prune(keyA, 2);
    const taken = await p1.take(base);
    const p2 = new PresignPool(new FilePresignStore(dir));
    expect(await p2.count()).toBe(1);
    expect(await code(() => p2.takeById(taken.id, base))).toBe('PRESIGN_USED');
    expect(await code(() => p2.add({ binding: { ...base, epoch: 1 }, data: data(4) }))).toBe('PRESIGN_STALE');
    const rest = await p2.take(base);
    expect([a, b].filter((x) => x !== taken.id)).toEqual([rest.id]);
    expect(bytesToHex(rest.data)).toBe(bytesToHex(rest.id === a ? data(1) : data(2)));
    expect(readdirSync(join(dir, 'live'))).toEqual([]);
  });
  it('a tombstone left by a crash before the live file was removed wins over the live file', async () => {
    const dir = tmp();
    const p1 = new PresignPool(new FilePresignStore(dir));
    const id = await p1.add({ binding: base, data: data(1) });
    writeFileSync(join(dir, 'used', id), JSON.stringify({ v: 1, id, time: 0 })); // the state right after step 1
    const p2 = new PresignPool(new FilePresignStore(dir));
    expect(await p2.count()).toBe(0);
    expect(existsSync(join(dir, 'live', `${id}.json`))).toBe(false);
    expect(await code(() => p2.takeById(id, base))).toBe('PRESIGN_USED');
  });
  it('two stores on one directory (two processes) never both consume one id', async () => {
    const dir = tmp();
    const s1 = new FilePresignStore(dir);
    const s2 = new FilePresignStore(dir);
    const pool = new PresignPool(s1);
    for (let round = 0; round < 5; round++) {
      const id = await pool.add({ binding: base, data: data(round) });
      const r = await Promise.allSettled([s1.consume(id), s2.consume(id)]);
      expect(r.filter((x) => x.status === 'fulfilled').length).toBe(1);
      expect((r.find((x) => x.status === 'rejected') as PromiseRejectedResult).reason.code).toBe('PRESIGN_USED');
    }
  });
  it('a corrupt record is reported, not skipped', async () => {
    const dir = tmp();
    const pool = new PresignPool(new FilePresignStore(dir));
    const id = await pool.add({ binding: base, data: data(1) });
    writeFileSync(join(dir, 'live', `${id}.json`), '{"v":1');
    expect(await code(() => pool.count())).toBe('STORAGE_CORRUPT');
  });
});
