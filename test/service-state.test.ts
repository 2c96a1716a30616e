/**
 * Issue 11 items 3–4 (storage side): the KEK and sealing (round trips; a row moved to another
 * account, kind or epoch, a tampered blob and a wrong KEK refused with their codes), the sealed share
 * and presignature stores, the persisted service keys (two nodes racing at first start agree), the
 * ID-token replay cache and KEK rotation — on the embedded store and on PostgreSQL.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesToHex, utf8ToBytes } from '../src/bytes.js';
import { isTkeyTssError } from '../src/errors.js';
import { seededRng } from '../src/rng.js';
import { loadConfig } from '../src/server/config.js';
import { EmbeddedStore } from '../src/server/store/embedded.js';
import { Kek, loadKeyring, open, seal, sealedKeyId } from '../src/server/service-state/kek.js';
import { KIND_ACCOUNT, KIND_PRESIG, KIND_SERVICE_KEY, presigKey } from '../src/server/service-state/kinds.js';
import { openServiceState } from '../src/server/service-state/open.js';
import { rotateKek } from '../src/server/service-state/rotate.js';
import { rotateKekCli } from '../src/server/service-state/rotate-cli.js';
import { SealedPresigStore } from '../src/server/service-state/sealed-presig-store.js';
import { SealedServiceShareStore } from '../src/server/service-state/sealed-share-store.js';
import type { ServiceAccountRecord } from '../src/client/service-store.js';
import { Presignature } from '../protocols/presign/presignature.js';
import { mulG, pointToBytes } from '../src/curve.js';
import { SKIP_NOTE } from './helpers/postgres.js';
import { storeBackends } from './helpers/store-backends.js';
import { PRIMES_FILE } from './helpers/test-primes.js';

const K1 = Kek.fromHex('11'.repeat(32));
const K2 = Kek.fromHex('22'.repeat(32));
const K3 = Kek.fromHex('33'.repeat(32));
const ACC = `${'02' + 'ab'.repeat(32)}/default`;
const ACC2 = `${'03' + 'cd'.repeat(32)}/default`;

async function code(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
    return 'resolved';
  } catch (e) {
    return isTkeyTssError(e) ? e.code : `other: ${String(e)}`;
  }
}

function record(shareByte: number): ServiceAccountRecord {
  return {
    metadataPub: pointToBytes(mulG(5n), true),
    tssTag: 'default',
    confirmed: { tssNonce: 3, commitments: [pointToBytes(mulG(7n), true)], share: new Uint8Array(32).fill(shareByte), stagedAt: 1_700_000_000_000, indices: [1, 2, 3] },
    pending: [],
    abandoned: ['aa'],
    aux: [{ index: 2, profile: 'default', parties: [{ id: 1, N: 2n ** 2047n + 9n, s: 4n, t: 9n }] }],
    sids: { seq: 4, recent: [{ device: 'ab', sid: 'cd' }] },
  };
}

function presignature(epoch: number, fill = 1): Presignature {
  const R = pointToBytes(mulG(11n), true);
  return Presignature.fromData({
    tag: new Uint8Array(32).fill(fill),
    self: 1,
    signers: [1, 2],
    publicKey: pointToBytes(mulG(7n), true),
    derivedKey: pointToBytes(mulG(7n), true),
    epoch,
    shift: new Uint8Array(32),
    profile: 'default',
    R,
    k: new Uint8Array(32).fill(fill),
    chi: new Uint8Array(32).fill(fill + 1),
  } as unknown as Parameters<typeof Presignature.fromData>[0]);
}

describe('KEK and sealing', () => {
  it('seal / open round trip; the key id names the KEK; fresh nonces', () => {
    const pt = utf8ToBytes('a service share');
    const place = { kind: 'account', key: ACC, epoch: 0 };
    const a = seal(K1, pt, place);
    const b = seal(K1, pt, place);
    expect(bytesToHex(a)).not.toBe(bytesToHex(b));
    expect(sealedKeyId(a)).toBe(K1.id);
    expect(K1.id).toMatch(/^[0-9a-f]{16}$/);
    expect(K1.id).not.toBe(K2.id);
    expect(bytesToHex(open({ current: K1 }, a, place))).toBe(bytesToHex(pt));
    expect(bytesToHex(open({ current: K2, previous: K1 }, a, place))).toBe(bytesToHex(pt)); // the previous KEK still reads
  });

  it('a blob moved to another account, kind or epoch, or tampered: SEALED_STATE_INVALID; a wrong KEK: KEK_INVALID', async () => {
    const place = { kind: 'presig', key: presigKey(ACC, 'aa'.repeat(32)), epoch: 4 };
    const blob = seal(K1, utf8ToBytes('half'), place);
    const ring = { current: K1 };
    expect(await code(() => open(ring, blob, { ...place, key: presigKey(ACC2, 'aa'.repeat(32)) }))).toBe('SEALED_STATE_INVALID');
    expect(await code(() => open(ring, blob, { ...place, key: presigKey(ACC, 'bb'.repeat(32)) }))).toBe('SEALED_STATE_INVALID');
    expect(await code(() => open(ring, blob, { ...place, kind: 'account' }))).toBe('SEALED_STATE_INVALID');
    expect(await code(() => open(ring, blob, { ...place, epoch: 5 }))).toBe('SEALED_STATE_INVALID');
    const flipped = blob.slice();
    flipped[flipped.length - 1]! ^= 1;
    expect(await code(() => open(ring, flipped, place))).toBe('SEALED_STATE_INVALID');
    expect(await code(() => open(ring, blob.subarray(0, 20), place))).toBe('SEALED_STATE_INVALID');
    expect(await code(() => open({ current: K2 }, blob, place))).toBe('KEK_INVALID');
    // a forged key id (the blob claims K2): authentication fails under K2
    const forged = blob.slice();
    forged.set(Buffer.from(K2.id, 'hex'), 1);
    expect(await code(() => open({ current: K2 }, forged, place))).toBe('SEALED_STATE_INVALID');
  });

  it('KEKs are redacted; bad KEKs refused; config rows: one of value / file, never echoed', () => {
    expect(JSON.stringify(K1)).not.toContain('1111');
    expect(JSON.stringify({ k: K1 })).toContain(K1.id);
    expect(String(require('node:util').inspect(K1))).not.toContain('1111');
    expect(() => Kek.fromHex('12'.repeat(31))).toThrow(expect.objectContaining({ code: 'KEK_INVALID' }));
    expect(() => Kek.fromHex('00'.repeat(32))).toThrow(expect.objectContaining({ code: 'KEK_INVALID' }));
    const secret = 'ab'.repeat(31) + 'zz';
    let msg = '';
    try {
      loadConfig({ TKEY_SERVER_KEK: secret });
    } catch (e) {
      msg = String((e as Error).message);
      expect(isTkeyTssError(e, 'CONFIG_INVALID')).toBe(true);
    }
    expect(msg).toContain('TKEY_SERVER_KEK');
    expect(msg).not.toContain('abab');
    const cfg = loadConfig({ TKEY_SERVER_KEK: '44'.repeat(32) });
    expect(JSON.stringify(cfg)).not.toContain('4444');
    expect(loadKeyring(cfg).current.id).toBe(Kek.fromHex('44'.repeat(32)).id);
    expect(() => loadKeyring(loadConfig({}))).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    const dir = mkdtempSync(join(tmpdir(), 'tkey-kek-'));
    try {
      const f = join(dir, 'kek');
      writeFileSync(f, '55'.repeat(32) + '\n', { mode: 0o600 });
      const both = loadConfig({ TKEY_SERVER_KEK: '44'.repeat(32), TKEY_SERVER_KEK_FILE: f });
      expect(() => loadKeyring(both)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
      const ring = loadKeyring(loadConfig({ TKEY_SERVER_KEK_PREVIOUS: '44'.repeat(32) }, ['--server-kek-file', f]));
      expect(ring.current.id).toBe(Kek.fromHex('55'.repeat(32)).id);
      expect(ring.previous!.id).toBe(Kek.fromHex('44'.repeat(32)).id);
      writeFileSync(f, 'not a key');
      expect(() => loadKeyring(loadConfig({ TKEY_SERVER_KEK_FILE: f }))).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
      // a secret is never taken from the command line
      expect(() => loadConfig({}, ['--server-kek', '44'.repeat(32)])).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const backends = storeBackends('tkey-state-');

for (const be of backends) {
  describe(`sealed service state: ${be.name}`, () => {
    it('share records: sealed at rest, read back after a reopen, a swapped row refused, a wrong KEK refused', async (ctx) => {
      const opener = await be.fresh();
      if (!opener) return ctx.skip(SKIP_NOTE);
      let store = await opener();
      try {
        const shares = new SealedServiceShareStore(store, { current: K1 });
        const rec = record(0x5a);
        await shares.put(ACC, rec);
        await shares.put(ACC2, record(0x6b));
        expect(rec.confirmed!.share[0]).toBe(0x5a); // the caller's copy is left alone
        const raw = (await store.stateGet(KIND_ACCOUNT, ACC))!;
        expect(Buffer.from(raw.value).includes(Buffer.alloc(32, 0x5a))).toBe(false); // nothing in the clear
        expect(sealedKeyId(raw.value)).toBe(K1.id);
        await store.close();
        store = await opener(); // restart
        const again = new SealedServiceShareStore(store, { current: K1 });
        expect((await again.accounts()).sort()).toEqual([ACC, ACC2].sort());
        expect(await again.get(ACC)).toEqual(record(0x5a));
        expect(await again.get('02' + '00'.repeat(32) + '/default')).toBeUndefined();
        // another account's sealed record copied into this account's row
        const other = (await store.stateGet(KIND_ACCOUNT, ACC2))!;
        await store.statePut(KIND_ACCOUNT, ACC, other.value);
        expect(await code(again.get(ACC))).toBe('SEALED_STATE_INVALID');
        // a presignature row copied into an account row (another kind)
        expect(await code(new SealedServiceShareStore(store, { current: K2 }).get(ACC2))).toBe('KEK_INVALID');
        expect(JSON.stringify(again)).not.toContain('5a5a');
        await again.delete(ACC2);
        expect(await again.accounts()).toEqual([ACC]);
      } finally {
        await store.close();
      }
    });

    it('presignature halves: sealed, taken once (concurrently: exactly one), counted, burned below an epoch; a moved row refused', async (ctx) => {
      const opener = await be.fresh();
      if (!opener) return ctx.skip(SKIP_NOTE);
      const store = await opener();
      try {
        const ps = new SealedPresigStore(store, { current: K1 });
        const sid = (n: number) => n.toString(16).padStart(64, '0');
        await ps.put(ACC, sid(1), 3, presignature(3, 1));
        await ps.put(ACC, sid(2), 3, presignature(3, 2));
        await ps.put(ACC, sid(3), 4, presignature(4, 3));
        await ps.put(ACC2, sid(1), 4, presignature(4, 4));
        expect(await code(ps.put(ACC, sid(1), 3, presignature(3, 1)))).toBe('PRESIGN_EXISTS');
        expect(await code(ps.put(ACC, sid(9), 5, presignature(3, 1)))).toBe('INVALID_ARGUMENT');
        expect(await ps.count(ACC)).toBe(3);
        const raw = (await store.stateGet(KIND_PRESIG, presigKey(ACC, sid(1))))!;
        expect(Buffer.from(raw.value).includes(Buffer.alloc(32, 1))).toBe(false);
        const takes = await Promise.all([ps.take(ACC, sid(1)), ps.take(ACC, sid(1)), ps.take(ACC, sid(1))]);
        const got = takes.filter((t) => t !== undefined);
        expect(got).toHaveLength(1);
        expect(bytesToHex(got[0]!.exportData().k)).toBe('01'.repeat(32));
        expect(await ps.take(ACC, sid(1))).toBeUndefined();
        expect(await ps.take(ACC2, sid(2))).toBeUndefined(); // another account's sid space
        expect(await ps.dropBelow(ACC, 4)).toBe(1);
        expect(await ps.count(ACC)).toBe(1);
        expect(await ps.count(ACC2)).toBe(1);
        // a half moved to another sid (row copied): refused, and burned (taken before opened)
        const h3 = (await store.stateGet(KIND_PRESIG, presigKey(ACC, sid(3))))!;
        await store.statePut(KIND_PRESIG, presigKey(ACC, sid(7)), h3.value, { epoch: 4 });
        expect(await code(ps.take(ACC, sid(7)))).toBe('SEALED_STATE_INVALID');
        // … or to another epoch
        await store.statePut(KIND_PRESIG, presigKey(ACC, sid(3)), h3.value, { epoch: 9 });
        expect(await code(ps.take(ACC, sid(3)))).toBe('SEALED_STATE_INVALID');
        expect(await ps.count(ACC)).toBe(0);
      } finally {
        await store.close();
      }
    });

    it('service keys: made at first start, the same for racing nodes and after a restart; a wrong KEK fails at open; token replay cache', async (ctx) => {
      const opener = await be.fresh();
      if (!opener) return ctx.skip(SKIP_NOTE);
      // two "nodes": on PostgreSQL two stores; the embedded store is one process per directory, so one store, two opens racing
      const a = await opener();
      const b = be.name === 'postgres' ? await opener() : a;
      try {
        const [s1, s2] = await Promise.all([
          openServiceState(a, K1, { primesFile: PRIMES_FILE, rng: seededRng('node-a') }),
          openServiceState(b, K1, { primesFile: PRIMES_FILE, rng: seededRng('node-b') }),
        ]);
        expect(bytesToHex(s1.identityKey)).toBe(bytesToHex(s2.identityKey));
        expect(bytesToHex(s1.busKey)).toBe(bytesToHex(s2.busKey));
        expect(bytesToHex(s1.identityKey)).not.toBe(bytesToHex(s1.busKey));
        expect(s1.aux.ringPedersen!.s).toBe(s2.aux.ringPedersen!.s);
        expect(s1.aux.key.p * s1.aux.key.q).toBe(s2.aux.key.p * s2.aux.key.q);
        expect(JSON.stringify(s1)).not.toContain(bytesToHex(s1.identityKey));
        expect(await a.stateCount(KIND_SERVICE_KEY)).toBe(3);
        // a restart reads the same keys
        if (b !== a) await b.close();
        await a.close();
        const c = await opener();
        try {
          const s3 = await openServiceState(c, { current: K1 }, { rng: seededRng('node-c') }); // no primes file needed any more
          expect(bytesToHex(s3.identityKey)).toBe(bytesToHex(s1.identityKey));
          expect(s3.aux.ringPedersen!.lambda).toBe(s1.aux.ringPedersen!.lambda);
          expect(await code(openServiceState(c, K2))).toBe('KEK_INVALID');
          // the token cache: first use true, replay false (any node), expired rows swept
          let now = 1_700_000_000_000;
          const t1 = openServiceState(c, K1, { now: () => now });
          const tokens = (await t1).usedTokens;
          expect(await tokens.markUsed('iss|jti-1', 1_700_000_100)).toBe(true);
          expect(await tokens.markUsed('iss|jti-1', 1_700_000_100)).toBe(false);
          const other = (await openServiceState(c, K1, { now: () => now })).usedTokens; // another node
          expect(await other.markUsed('iss|jti-1', 1_700_000_100)).toBe(false);
          now += 200_000;
          expect(await tokens.markUsed('iss|jti-2', 1_700_000_500)).toBe(true); // sweeps jti-1 (expired)
          expect(await c.stateCount('used-token')).toBe(1);
        } finally {
          await c.close();
        }
      } finally {
        await a.close().catch(() => undefined);
        if (b !== a) await b.close().catch(() => undefined);
      }
    }, 60_000);

    it('KEK rotation: every sealed row re-sealed, resumable and idempotent; afterwards the old KEK is not needed', async (ctx) => {
      const opener = await be.fresh();
      if (!opener) return ctx.skip(SKIP_NOTE);
      const store = await opener();
      try {
        const st = await openServiceState(store, K1, { primesFile: PRIMES_FILE });
        for (let i = 0; i < 7; i++) await st.shares.put(`${ACC.slice(0, -9)}/tag${i}`, record(i + 1));
        for (let i = 0; i < 5; i++) await st.presigs.put(ACC, i.toString(16).padStart(64, '0'), 3, presignature(3, i + 1));
        const total = 7 + 5 + 3;
        // a first run cut short after one batch (resumable)
        let batches = 0;
        await expect(
          rotateKek(store, {
            from: K1,
            to: K2,
            batch: 4,
            onProgress: () => {
              if (++batches === 1) throw new Error('killed');
            },
          }),
        ).rejects.toThrow('killed');
        // meanwhile the nodes run with K2 current, K1 previous: they read both
        const mid = await openServiceState(store, { current: K2, previous: K1 });
        expect(await mid.shares.get(`${ACC.slice(0, -9)}/tag6`)).toEqual(record(7));
        const r = await rotateKek(store, { from: { current: K2, previous: K1 }, to: K2, batch: 4 });
        expect(r.resealed + r.skipped + r.raced).toBe(total);
        expect(r.skipped).toBe(4);
        expect(r.remaining).toBe(0);
        const again = await rotateKek(store, { from: K1, to: K2 });
        expect(again).toMatchObject({ resealed: 0, skipped: total, remaining: 0 });
        // the old KEK is no longer needed; with only the old one nothing opens
        const only2 = await openServiceState(store, K2);
        expect(await only2.shares.get(`${ACC.slice(0, -9)}/tag3`)).toEqual(record(4));
        expect(bytesToHex((await only2.presigs.take(ACC, '2'.padStart(64, '0')))!.exportData().k)).toBe('03'.repeat(32));
        expect(bytesToHex(only2.identityKey)).toBe(bytesToHex(st.identityKey));
        expect(await code(openServiceState(store, K1))).toBe('KEK_INVALID');
        // a row under an unknown KEK: KEK_INVALID, nothing changed
        await st.shares.put(ACC2, record(9)); // st still seals with K1
        await store.stateDelete(KIND_ACCOUNT, ACC2);
        await new SealedServiceShareStore(store, { current: K3 }).put(ACC2, record(9));
        expect(await code(rotateKek(store, { from: K1, to: K2 }))).toBe('KEK_INVALID');
      } finally {
        await store.close();
      }
    }, 60_000);
  });
}

describe('embedded store: a restart in a new OS process', () => {
  it('a new process opening the store with the KEK reads every account, the keys and the halves; its take is durable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tkey-state-proc-'));
    dirs.push(dir);
    let store = await EmbeddedStore.open({ dir });
    const first = await openServiceState(store, K1, { primesFile: PRIMES_FILE });
    await first.shares.put(ACC, record(0x42));
    const sid = (n: number) => n.toString(16).padStart(64, '0');
    await first.presigs.put(ACC, sid(1), 3, presignature(3, 7));
    await first.presigs.put(ACC, sid(2), 3, presignature(3, 8));
    const identity = bytesToHex(first.identityKey);
    await store.close();
    const child = fileURLToPath(new URL('./helpers/service-state-child.ts', import.meta.url));
    const root = fileURLToPath(new URL('..', import.meta.url));
    const out = await new Promise<string>((res, rej) => {
      const p = spawn(process.execPath, ['--import', 'tsx', child, dir, ACC, sid(1)], { cwd: root, env: { ...process.env, TKEY_SERVER_KEK: K1.exportHex() }, stdio: ['ignore', 'pipe', 'pipe'] });
      let o = '';
      let e = '';
      p.stdout.on('data', (c: Buffer) => (o += c.toString()));
      p.stderr.on('data', (c: Buffer) => (e += c.toString()));
      p.on('error', rej);
      p.on('exit', (code) => (code === 0 ? res(o) : rej(new Error(`child exited ${code}: ${e}`))));
    });
    expect(JSON.parse(out)).toEqual({ accounts: [ACC], confirmedShare: '42'.repeat(32), identity, halvesBefore: 2, took: '07'.repeat(32), halvesAfter: 1 });
    store = await EmbeddedStore.open({ dir });
    try {
      const back = await openServiceState(store, K1);
      expect(await back.presigs.take(ACC, sid(1))).toBeUndefined(); // taken in the other process: never again
      expect(bytesToHex((await back.presigs.take(ACC, sid(2)))!.exportData().k)).toBe('08'.repeat(32));
    } finally {
      await store.close();
    }
  }, 60_000);
});

describe('tkey-tss admin rotate-kek', () => {
  it('re-seals the embedded store from the usual KEK setting to --new-kek-file; refuses without it; never prints a key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tkey-rotate-cli-'));
    dirs.push(dir);
    const data = join(dir, 'data');
    const store = await EmbeddedStore.open({ dir: data });
    await openServiceState(store, K1, { primesFile: PRIMES_FILE });
    await new SealedServiceShareStore(store, { current: K1 }).put(ACC, record(3));
    await store.close();
    const f = join(dir, 'new-kek');
    writeFileSync(f, K2.exportHex() + '\n', { mode: 0o600 });
    const out: string[] = [];
    const err: string[] = [];
    const sink = (a: string[]) => ({ write: (s: string) => a.push(s) });
    expect(await rotateKekCli(['--data-dir', data], { TKEY_SERVER_KEK: K1.exportHex() }, sink(out), sink(err))).toBe(2);
    expect(err.join('')).toContain('--new-kek-file');
    expect(await rotateKekCli(['--data-dir', data, '--new-kek-file', f], {}, sink(out), sink(err))).toBe(2); // no old KEK
    expect(await rotateKekCli(['--data-dir', data, '--new-kek-file', f], { TKEY_SERVER_KEK: K1.exportHex() }, sink(out), sink(err))).toBe(0);
    const line = JSON.parse(out.at(-1)!);
    expect(line).toMatchObject({ resealed: 4, remaining: 0, newKeyId: K2.id, store: 'embedded' });
    expect(out.join('') + err.join('')).not.toContain(K1.exportHex());
    expect(out.join('') + err.join('')).not.toContain(K2.exportHex());
    const s2 = await EmbeddedStore.open({ dir: data });
    try {
      expect(await new SealedServiceShareStore(s2, { current: K2 }).get(ACC)).toEqual(record(3));
    } finally {
      await s2.close();
    }
  });
});
