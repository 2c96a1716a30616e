/**
 * The lifecycle API's negative cases: wrong factor key, deleted factor refused, threshold
 * violations, bad input, a malicious service message, concurrent metadata conflicts (nothing is
 * lost) — each leaves the account exactly as it was (epoch, factors, the service's shares, the
 * storage nonce) — and secrets redacted from JSON / inspection.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../src/bytes.js';
import { isTkeyTssError } from '../src/errors.js';
import { ThresholdKey } from '../src/metadata/threshold-key.js';
import { decodeRecord, recordAddress } from '../src/metadata/record.js';
import { ShareStore } from '../src/metadata/share-store.js';
import { seededRng } from '../src/rng.js';
import { MemoryStorage } from '../src/storage/memory-store.js';
import type { MetadataStorage, StorageBatch } from '../src/storage/types.js';
import { FactorKey } from '../src/tss/factor-key.js';
import { TssAccount } from '../src/client/account.js';
import type { RoundHooks } from '../protocols/session.js';
import type { Payload } from '../protocols/types.js';
import { accountEnv, assertAccountWorks, expectCode, POSTBOX, serviceRecord, type AccountEnv } from './helpers/account.js';

/** Everything an operation could change, to compare before and after a refused one. */
async function snapshot(env: AccountEnv, a: TssAccount) {
  await a.reload();
  const rec = await serviceRecord(env.shares);
  return JSON.stringify({
    nonce: await env.storage.getNonce(bytesToHex(a.metadataPublicKey)),
    tssNonce: a.tssNonce,
    threshold: a.threshold,
    factors: a.listFactors().map((f) => [f.factorPubHex, f.tssIndex]),
    held: a.heldIndices,
    service: { confirmed: rec.confirmed?.tssNonce, pending: rec.pending.map((p) => p.tssNonce) },
  });
}

async function fresh(seed: string, storage?: MetadataStorage) {
  const env = accountEnv(seed, storage);
  const created = await TssAccount.create(env.opts('create'));
  return { env, ...created, Y: created.account.publicKey };
}

describe('account API: refused operations change nothing', () => {
  it('wrong factor key, no account, existing account', async () => {
    const { env, account, deviceFactor, recoveryFactor, Y } = await fresh('err/login');
    const before = await snapshot(env, account);
    await expectCode(TssAccount.login(env.opts('x'), FactorKey.random(seededRng('stranger'))), 'FACTOR_UNKNOWN');
    await expectCode(TssAccount.login({ ...env.opts('x'), postboxKey: new Uint8Array(32).fill(3) }, deviceFactor), 'NOT_INITIALIZED');
    await expectCode(TssAccount.create(env.opts('again')), 'ACCOUNT_EXISTS');
    await expectCode(TssAccount.login({ ...env.opts('x'), postboxKey: new Uint8Array(31) }, deviceFactor), 'INVALID_LENGTH');
    await expect(TssAccount.login(env.opts('x'), new Uint8Array(32) as never)).rejects.toMatchObject({ code: 'INVALID_SCALAR' });
    expect(await snapshot(env, account)).toBe(before);
    await assertAccountWorks(env, [deviceFactor, recoveryFactor], Y);
  });

  it('a deleted factor is refused everywhere', async () => {
    const { env, account, deviceFactor, recoveryFactor, Y } = await fresh('err/deleted');
    const extra = FactorKey.random(seededRng('extra'));
    await account.addFactor({ factor: extra.pub(), tssIndex: 2, module: 'Other' });
    await account.deleteFactor(extra.pub());
    const before = await snapshot(env, account);
    await expectCode(TssAccount.login(env.opts('x'), extra), 'FACTOR_UNKNOWN');
    await expectCode(account.deleteFactor(extra.pub()), 'FACTOR_UNKNOWN');
    // its tKey factor record is overwritten with SHARE_DELETED
    const rec = decodeRecord(extra.scalar(), (await env.storage.get(recordAddress(extra.pubPoint)))!);
    expect(rec).toMatchObject({ message: 'SHARE_DELETED' });
    expect(await snapshot(env, account)).toBe(before);
    await assertAccountWorks(env, [deviceFactor, recoveryFactor], Y);
  });

  it('threshold violations and bad input', async () => {
    const { env, account, deviceFactor, recoveryFactor, Y } = await fresh('err/threshold');
    const before = await snapshot(env, account);
    await expectCode(account.changeThreshold(4), 'THRESHOLD_VIOLATION'); // service + 2 user indices
    await expectCode(account.changeThreshold(1), 'OUT_OF_RANGE');
    await expectCode(account.changeThreshold(2.5), 'OUT_OF_RANGE');
    await expectCode(account.addFactor({ factor: recoveryFactor.pub(), tssIndex: 3, module: 'Other' }), 'FACTOR_EXISTS');
    await expectCode(account.addFactor({ factor: FactorKey.random(seededRng('a')).pub(), tssIndex: 1, module: 'Other' }), 'OUT_OF_RANGE');
    await expectCode(account.addFactor({ factor: FactorKey.random(seededRng('a')).pub(), tssIndex: 0, module: 'Other' }), 'OUT_OF_RANGE');
    await expectCode(account.addFactor({ factor: new Uint8Array(33), tssIndex: 4, module: 'Other' }), 'INVALID_POINT');
    await expectCode(account.addFactor({ factor: FactorKey.random(seededRng('a')).pub(), tssIndex: 4, module: 7 as never }), 'INVALID_ARGUMENT');
    // a copy needs the share of that index on this device (it holds only index 2)
    await expectCode(account.addFactor({ factor: FactorKey.random(seededRng('a')).pub(), tssIndex: 3, module: 'Other' }), 'NOT_ENOUGH_SHARES');
    await expectCode(account.deleteFactor(new Uint8Array(5)), 'INVALID_LENGTH');
    expect(await snapshot(env, account)).toBe(before);

    // delete down to the threshold, then one more is refused
    await account.deleteFactor(recoveryFactor.pub());
    const one = await snapshot(env, account);
    await expectCode(account.deleteFactor(deviceFactor.pub()), 'THRESHOLD_VIOLATION');
    expect(await snapshot(env, account)).toBe(one);
    await assertAccountWorks(env, [deviceFactor], Y);

    // at t = 3 the device must hold two shares to deal
    const f3 = FactorKey.random(seededRng('f3'));
    await account.addFactor({ factor: f3, tssIndex: 3, module: 'Other' });
    await account.changeThreshold(3);
    const solo = await TssAccount.login(env.opts('solo'), deviceFactor);
    const t3 = await snapshot(env, solo);
    await expectCode(solo.changeThreshold(2), 'NOT_ENOUGH_SHARES');
    await expectCode(solo.deleteFactor(f3.pub()), 'THRESHOLD_VIOLATION');
    expect(await snapshot(env, solo)).toBe(t3);
    expect(await solo.unlockFactor(f3)).toBe(3);
    expect((await solo.changeThreshold(2)).threshold).toBe(2);
    await assertAccountWorks(env, [deviceFactor, f3], Y);
  });

  it('a malicious service message aborts the refresh naming the service; nothing changes', async () => {
    const { env, account, deviceFactor, recoveryFactor, Y } = await fresh('err/abort');
    const before = await snapshot(env, account);
    const tamper = (party: number, protocol: string): RoundHooks | undefined =>
      party === 1 && protocol === 'refresh'
        ? {
            afterRound(round, res) {
              if (round !== 1 || !('outbox' in res)) return res;
              for (const m of res.outbox) {
                if (m.to === null) continue;
                const p = m.payload as { sigma: Uint8Array[] };
                const sigma = p.sigma.map((x) => x.slice());
                sigma[0]![31] ^= 1;
                m.payload = { ...p, sigma } as unknown as Payload;
              }
              return res;
            },
          }
        : undefined;
    const evil = await TssAccount.login(env.opts('evil', { hooks: tamper }), deviceFactor);
    try {
      await evil.changeThreshold(2);
      expect.fail('expected an abort');
    } catch (e) {
      expect(isTkeyTssError(e, 'PROTOCOL_ABORT')).toBe(true);
      expect(e).toMatchObject({ reason: 'FELDMAN_SHARE_MISMATCH', culprits: [1] });
    }
    expect(await snapshot(env, account)).toBe(before);
    await assertAccountWorks(env, [deviceFactor, recoveryFactor], Y);
  });
});

/** A store that lets another writer commit right before the next commit of this view (a race). */
class RacingStorage implements MetadataStorage {
  race: (() => Promise<void>) | null = null;
  constructor(readonly inner: MemoryStorage) {}
  get = (a: Parameters<MetadataStorage['get']>[0]) => this.inner.get(a);
  getNonce = (a: string) => this.inner.getNonce(a);
  async commit(b: StorageBatch): Promise<void> {
    const r = this.race;
    this.race = null;
    if (r) await r();
    return this.inner.commit(b);
  }
}

describe('account API: concurrent metadata conflicts lose nothing', () => {
  async function twoDevices(seed: string) {
    const inner = new MemoryStorage();
    const env = accountEnv(seed, inner);
    const { account: a, deviceFactor, recoveryFactor } = await TssAccount.create(env.opts('create'));
    const racing = new RacingStorage(inner);
    const b = await TssAccount.login({ ...env.opts('b'), storage: racing }, recoveryFactor);
    return { env, a, b, racing, deviceFactor, recoveryFactor, Y: a.publicKey };
  }

  it('two factor copies at once: the second batch is rebased and both factors stay', async () => {
    const { env, a, b, racing, deviceFactor, recoveryFactor, Y } = await twoDevices('race/copies');
    const fa = FactorKey.random(seededRng('fa'));
    const fb = FactorKey.random(seededRng('fb'));
    racing.race = async () => void (await a.addFactor({ factor: fa, tssIndex: 2, module: 'Other' }));
    const r = await b.addFactor({ factor: fb, tssIndex: 3, module: 'Other' });
    expect(r.refreshed).toBe(false);
    await a.reload();
    expect(a.listFactors().map((f) => f.tssIndex)).toEqual([2, 3, 2, 3]);
    await assertAccountWorks(env, [deviceFactor, recoveryFactor, fa, fb], Y);
  });

  it('a refresh racing a factor added elsewhere is refused (ACCOUNT_STATE_CHANGED), the other factor kept; a retry includes it', async () => {
    const { env, a, b, racing, deviceFactor, recoveryFactor, Y } = await twoDevices('race/refresh');
    const fa = FactorKey.random(seededRng('fa'));
    const fb = FactorKey.random(seededRng('fb'));
    racing.race = async () => void (await a.addFactor({ factor: fa, tssIndex: 2, module: 'Other' }));
    await expectCode(b.addFactor({ factor: fb, tssIndex: 4, module: 'Other' }), 'ACCOUNT_STATE_CHANGED');
    expect(b.tssNonce).toBe(0);
    await assertAccountWorks(env, [deviceFactor, recoveryFactor, fa], Y);
    expect((await b.addFactor({ factor: fb, tssIndex: 4, module: 'Other' })).tssNonce).toBe(1);
    await assertAccountWorks(env, [deviceFactor, recoveryFactor, fa, fb], Y);
  });

  it('a refresh racing a metadata change that is not TSS (a tKey share description) lands on top of it', async () => {
    const { env, b, racing, deviceFactor, recoveryFactor, Y } = await twoDevices('race/description');
    const fb = FactorKey.random(seededRng('fb'));
    racing.race = async () => {
      const tk = new ThresholdKey({ storage: racing.inner, postboxKey: POSTBOX, rng: seededRng('other') });
      await tk.initialize();
      const ss = ShareStore.fromJSON(decodeRecord(deviceFactor.scalar(), (await racing.inner.get(recordAddress(deviceFactor.pubPoint)))!));
      await tk.inputShareStore(ss);
      await tk.reconstructKey();
      await tk.addShareDescription(ss.index, 'added by another device');
    };
    expect((await b.addFactor({ factor: fb, tssIndex: 4, module: 'Other' })).tssNonce).toBe(1);
    const tk = new ThresholdKey({ storage: env.storage, postboxKey: POSTBOX, rng: seededRng('reader') });
    await tk.initialize();
    expect(Object.values(tk.getKeyDetails().shareDescriptions).flat()).toContain('added by another device');
    await assertAccountWorks(env, [deviceFactor, recoveryFactor, fb], Y);
  });
});

describe('account API: a peer that stops talking', () => {
  it('the service goes silent after refresh round 1: SESSION_STALLED, nothing changes', async () => {
    const { env, account, deviceFactor, recoveryFactor, Y } = await fresh('err/stall');
    const before = await snapshot(env, account);
    const silent = await TssAccount.login(env.opts('silent', { deliver: (m) => (m.from === 1 && m.round >= 2 ? null : m) }), deviceFactor);
    await expectCode(silent.refresh(), 'SESSION_STALLED');
    expect(await snapshot(env, account)).toBe(before);
    await assertAccountWorks(env, [deviceFactor, recoveryFactor], Y);
  });
});

describe('account API: stale device state', () => {
  it('a device whose shares another device refreshed is told to unlock again; nothing changes meanwhile', async () => {
    const { env, account: a, deviceFactor, recoveryFactor, Y } = await fresh('stale');
    const b = await TssAccount.login(env.opts('b'), recoveryFactor);
    await b.refresh(); // epoch 1: a's share of epoch 0 is stale
    const before = await snapshot(env, b);
    await expectCode(a.changeThreshold(2), 'ACCOUNT_STATE_CHANGED');
    await expectCode(a.addFactor({ factor: FactorKey.random(seededRng('c')).pub(), tssIndex: 2, module: 'Other' }), 'ACCOUNT_STATE_CHANGED'); // a copy of a stale share is never written
    expect(await snapshot(env, b)).toBe(before);
    expect(await a.unlockFactor(deviceFactor)).toBe(2);
    expect((await a.refresh()).tssNonce).toBe(2);
    await assertAccountWorks(env, [deviceFactor, recoveryFactor], Y);
  });
});

/** Counts storage batches. */
class CountingStorage implements MetadataStorage {
  commits = 0;
  readonly inner = new MemoryStorage();
  get = (a: Parameters<MetadataStorage['get']>[0]) => this.inner.get(a);
  getNonce = (a: string) => this.inner.getNonce(a);
  async commit(b: StorageBatch): Promise<void> {
    this.commits++;
    return this.inner.commit(b);
  }
}

describe('account API: one metadata batch per operation', () => {
  it('create, add (copy and new index), delete and change threshold each commit exactly one batch', async () => {
    const storage = new CountingStorage();
    const env = accountEnv('one-batch', storage);
    const { account, recoveryFactor } = await TssAccount.create(env.opts('create'));
    expect(storage.commits).toBe(1); // factorEncs, tKey records of both factors, descriptions, checkpoint, share records
    const factorRecord = await storage.get(recordAddress(recoveryFactor.pubPoint));
    expect(factorRecord).toBeDefined(); // the recovery factor's tKey record was in it
    const steps: (() => Promise<unknown>)[] = [
      () => account.addFactor({ factor: FactorKey.random(seededRng('copy')).pub(), tssIndex: 2, module: 'Other' }),
      () => account.addFactor({ factor: FactorKey.random(seededRng('new')).pub(), tssIndex: 4, module: 'Other' }),
      () => account.deleteFactor(recoveryFactor.pub()),
      () => account.changeThreshold(3),
    ];
    for (const [k, step] of steps.entries()) {
      await step();
      expect(storage.commits, `step ${k}`).toBe(2 + k);
    }
  });
});

describe('account API: secrets stay secret', () => {
  it('JSON and inspection of the account, the service and its store show no share or key', async () => {
    const { env, account, deviceFactor } = await fresh('err/redact');
    const rec = await serviceRecord(env.shares);
    const secrets = [bytesToHex(rec.confirmed!.share), bytesToHex(deviceFactor.exportBytes())];
    for (const o of [account, env.service, env.shares]) {
      for (const text of [JSON.stringify(o), inspect(o, { depth: 10 })]) for (const s of secrets) expect(text).not.toContain(s);
    }
    expect(JSON.stringify(account)).toContain('<redacted>');
  });
});
