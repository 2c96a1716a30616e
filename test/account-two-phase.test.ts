/**
 * Two-phase commit of refresh (issue 4 item 5): cut the run after every protocol round (on either
 * party), between the run and the metadata batch, after the batch landed with its acknowledgement
 * lost, and between the batch and phase 2 at the service. After each cut the account still works
 * — it holds every factor, every factor key yields a share consistent with the current
 * commitments, device + service still produce the key (interpolation, test only; see
 * helpers/account.ts for where the sign check goes) — and a retry completes. Account creation
 * (keygen) gets the same cuts.
 */
import { describe, expect, it } from 'vitest';
import { TssAccount } from '../src/client/account.js';
import type { ServiceConnection } from '../src/client/service-party.js';
import type { RoundHooks } from '../protocols/session.js';
import type { MetadataStorage, StorageBatch } from '../src/storage/types.js';
import { MemoryStorage } from '../src/storage/memory-store.js';
import { FactorKey } from '../src/tss/factor-key.js';
import { seededRng } from '../src/rng.js';
import { openAux } from '../src/client/aux-store.js';
import { accountEnv, assertAccountWorks, assertSigns, deviceAux, durableMetadata, expectCode, serviceRecord, type AccountEnv } from './helpers/account.js';
import type { ClientOptions } from '../src/client/core.js';
import { ProtocolAbort } from '../src/errors.js';
import type { Message } from '../protocols/types.js';
import { editBody, flip } from './helpers/tamper.js';

class Cut extends Error {}

/** A store that can fail one commit before writing it, or after (the acknowledgement is lost). */
class FaultyStorage implements MetadataStorage {
  failNext: 'before' | 'after' | null = null;
  /** Hold the next commit until `release()` (a batch in flight); `held` resolves when it arrives. */
  holdNext: { held: () => void; gate: Promise<void> } | null = null;
  readonly inner = new MemoryStorage();
  get = (a: Parameters<MetadataStorage['get']>[0]) => this.inner.get(a);
  getNonce = (a: string) => this.inner.getNonce(a);
  async commit(b: StorageBatch): Promise<void> {
    const h = this.holdNext;
    this.holdNext = null;
    if (h) {
      h.held();
      await h.gate;
    }
    const f = this.failNext;
    this.failNext = null;
    if (f === 'before') throw new Cut('cut before the metadata batch');
    await this.inner.commit(b);
    if (f === 'after') throw new Cut('the batch landed, its acknowledgement was lost');
  }
}

/** The service as the device reaches it, with a switch that loses phase 2. */
function flaky(service: ServiceConnection): ServiceConnection & { loseFinalize: boolean } {
  const w = {
    loseFinalize: false,
    identityPub: service.identityPub,
    keygenParticipant: service.keygenParticipant.bind(service),
    refreshParticipant: service.refreshParticipant.bind(service),
    auxParticipant: service.auxParticipant.bind(service),
    presignParticipant: service.presignParticipant.bind(service),
    signParticipant: service.signParticipant.bind(service),
    finalize: async (ref: Parameters<ServiceConnection['finalize']>[0]) => {
      if (w.loseFinalize) throw new Cut('phase 2 never reached the service');
      return service.finalize(ref);
    },
  };
  return w;
}

const cutAfter = (party: number, round: number, protocol: string) => (p: number, proto: string): RoundHooks | undefined =>
  p === party && proto === protocol
    ? {
        afterRound(r, res) {
          if (r === round) throw new Cut(`cut after ${protocol} round ${r} of party ${p}`);
          return res;
        },
      }
    : undefined;

interface Setup {
  env: AccountEnv;
  storage: FaultyStorage;
  service: ReturnType<typeof flaky>;
  opts: (seed: string, hooks?: ReturnType<typeof cutAfter>) => ClientOptions;
}

function setup(seed: string): Setup {
  const storage = new FaultyStorage();
  const env = accountEnv(seed, storage);
  const service = flaky(env.service);
  return { env, storage, service, opts: (s, hooks) => ({ ...env.opts(s, hooks ? { hooks } : {}), service }) };
}

/** A 2-of-3 account plus a security-answer factor copy at index 3 — the refresh under test deletes the device factor. */
async function account(s: Setup) {
  const { account: acc, deviceFactor, recoveryFactor } = await TssAccount.create({ ...s.opts('create'), aux: deviceAux(1) });
  const extra = FactorKey.random(seededRng('extra'));
  const recAcc = await TssAccount.login(s.opts('rec'), recoveryFactor);
  await recAcc.addFactor({ factor: extra, tssIndex: 3, module: 'Other' }); // a copy: no refresh
  await acc.reload();
  return { acc, deviceFactor, recoveryFactor, extra, Y: acc.publicKey };
}

/** The operation under test: add a factor at a new index 4 (refresh, epoch 0 → 1). */
const newFactor = FactorKey.random(seededRng('new-factor'));
const op = (a: TssAccount) => a.addFactor({ factor: newFactor.pub(), tssIndex: 4, module: 'Other' });

describe('two-phase commit: cut points of a refresh', () => {
  for (const party of [1, 2]) {
    for (const round of [1, 2, 3, 4]) {
      it(`cut after refresh round ${round} of party ${party}: nothing changes; a retry completes`, async () => {
        const s = setup(`cut-${party}-${round}`);
        const { acc, deviceFactor, recoveryFactor, extra, Y } = await account(s);
        const cutAcc = await TssAccount.login(s.opts('cut', cutAfter(party, round, 'refresh')), deviceFactor);
        await expect(op(cutAcc)).rejects.toBeInstanceOf(Cut);
        expect(cutAcc.tssNonce).toBe(0);
        expect(cutAcc.heldIndices).toEqual([2]);
        const rec = await serviceRecord(s.env.shares);
        expect([rec.confirmed!.tssNonce, rec.pending.length]).toEqual([0, 0]); // the service staged nothing
        await assertAccountWorks(s.env, [deviceFactor, recoveryFactor, extra], Y, cutAcc);
        // retry: on a restarted device, and on the same instance
        const retryAcc = round % 2 ? await TssAccount.login(s.opts('retry'), deviceFactor) : acc;
        const r = await op(retryAcc);
        expect(r).toEqual({ tssNonce: 1, threshold: 2, finalized: true, refreshed: true });
        await assertAccountWorks(s.env, [deviceFactor, recoveryFactor, extra, newFactor], Y, retryAcc);
        const after = await serviceRecord(s.env.shares);
        expect([after.confirmed!.tssNonce, after.pending.length]).toEqual([1, 0]);
      });
    }
  }

  it('cut after the run, before the metadata batch: the service keeps both shares; the account stays at e−1; a retry completes and drops the orphan', async () => {
    const s = setup('cut-before-batch');
    const { acc, deviceFactor, recoveryFactor, extra, Y } = await account(s);
    s.storage.failNext = 'before';
    await expect(op(acc)).rejects.toBeInstanceOf(Cut);
    expect(acc.tssNonce).toBe(0);
    expect(acc.heldIndices).toEqual([2]); // staged shares wiped, old ones kept
    let rec = await serviceRecord(s.env.shares);
    expect([rec.confirmed!.tssNonce, rec.pending.map((p) => p.tssNonce)]).toEqual([0, [1]]); // alongside, not instead
    await assertAccountWorks(s.env, [deviceFactor, recoveryFactor, extra], Y, acc);
    expect(await s.env.service.sweep()).toEqual({ accounts: 1, dropped: 0 }); // not durable: the device may still commit
    const r = await op(acc);
    expect(r.tssNonce).toBe(1);
    rec = await serviceRecord(s.env.shares);
    expect([rec.confirmed!.tssNonce, rec.pending.length]).toEqual([1, 0]); // the orphan of the cut run is gone too
    await assertAccountWorks(s.env, [deviceFactor, recoveryFactor, extra, newFactor], Y, acc);
  });

  it('the batch lands but its acknowledgement is lost: the device sees the new epoch durable and completes', async () => {
    const s = setup('cut-ack');
    const { acc, deviceFactor, recoveryFactor, extra, Y } = await account(s);
    s.storage.failNext = 'after';
    expect(await op(acc)).toEqual({ tssNonce: 1, threshold: 2, finalized: true, refreshed: true });
    const rec = await serviceRecord(s.env.shares);
    expect([rec.confirmed!.tssNonce, rec.pending.length]).toEqual([1, 0]);
    await assertAccountWorks(s.env, [deviceFactor, recoveryFactor, extra, newFactor], Y, acc);
  });

  it('phase 2 never reaches the service: the account works at e; finalize(), the next login, the next signing session or sweep() drops e−1', async () => {
    for (const how of ['finalize', 'login', 'sign', 'sweep'] as const) {
      const s = setup(`cut-phase2-${how}`);
      const { acc, deviceFactor, recoveryFactor, extra, Y } = await account(s);
      s.service.loseFinalize = true;
      expect(await op(acc)).toEqual({ tssNonce: 1, threshold: 2, finalized: false, refreshed: true });
      expect(acc.finalizePending).toBe(true);
      let rec = await serviceRecord(s.env.shares);
      expect([rec.confirmed!.tssNonce, rec.pending.map((p) => p.tssNonce)]).toEqual([0, [1]]); // both kept
      s.service.loseFinalize = false;
      if (how === 'finalize') expect(await acc.finalize()).toBe(true);
      if (how === 'login') await TssAccount.login(s.opts('later'), recoveryFactor);
      if (how === 'sweep') expect(await s.env.service.sweep()).toEqual({ accounts: 1, dropped: 1 });
      if (how === 'sign') await assertSigns(acc, Y, 'the next session completes phase 2'); // with the epoch-1 shares
      rec = await serviceRecord(s.env.shares);
      expect([rec.confirmed!.tssNonce, rec.pending.length]).toEqual([1, 0]);
      await assertAccountWorks(s.env, [deviceFactor, recoveryFactor, extra, newFactor], Y, how === 'finalize' ? acc : undefined);
    }
  });

  it('a device that dies after the batch (before wiping) restarts into a working account at e', async () => {
    const s = setup('cut-restart');
    const { acc, deviceFactor, recoveryFactor, extra, Y } = await account(s);
    s.service.loseFinalize = true;
    await op(acc);
    acc.logout(); // the process is gone
    s.service.loseFinalize = false;
    const restarted = await TssAccount.login(s.opts('restart'), deviceFactor);
    expect(restarted.tssNonce).toBe(1);
    expect(restarted.finalizePending).toBe(false);
    await assertAccountWorks(s.env, [deviceFactor, recoveryFactor, extra, newFactor], Y, restarted);
    expect((await restarted.refresh()).tssNonce).toBe(2);
    await assertAccountWorks(s.env, [deviceFactor, recoveryFactor, extra, newFactor], Y, restarted);
  });
});

describe('two-phase commit: cut points of account creation (keygen)', () => {
  for (const party of [1, 2]) {
    for (const round of [1, 2, 3, 4]) {
      it(`cut after keygen round ${round} of party ${party}: no account exists; a retry creates it`, async () => {
        const s = setup(`kg-cut-${party}-${round}`);
        await expect(TssAccount.create(s.opts('create', cutAfter(party, round, 'keygen')))).rejects.toBeInstanceOf(Cut);
        expect(await s.env.shares.accounts()).toEqual([]);
        await expectCode(TssAccount.login(s.opts('login'), FactorKey.random(seededRng('x'))), 'NOT_INITIALIZED');
        const { deviceFactor, recoveryFactor, account: a } = await TssAccount.create(s.opts('retry'));
        await assertAccountWorks(s.env, [deviceFactor, recoveryFactor], a.publicKey);
      });
    }
  }

  it('cut before the creation batch: nothing exists; sweep fences the orphaned keygen share off and drops it', async () => {
    const s = setup('kg-cut-batch');
    s.storage.failNext = 'before';
    await expect(TssAccount.create(s.opts('create'))).rejects.toBeInstanceOf(Cut);
    await expectCode(TssAccount.login(s.opts('login'), FactorKey.random(seededRng('x'))), 'NOT_INITIALIZED');
    const [orphanKey] = await s.env.shares.accounts();
    const orphan = (await s.env.shares.get(orphanKey!))!;
    expect([orphan.confirmed, orphan.pending.length]).toEqual([null, 1]);
    expect(await s.env.service.sweep()).toEqual({ accounts: 1, dropped: 0 }); // not yet abandoned
    const { deviceFactor, recoveryFactor, account: a } = await TssAccount.create(s.opts('retry'));
    expect(await s.env.service.sweep({ abandonAfterMs: 0 })).toEqual({ accounts: 1, dropped: 1 });
    expect(await s.env.shares.accounts()).toHaveLength(1); // the orphan is gone, the new account stays
    expect(await s.storage.getNonce(orphanKey!.split('/')[0]!)).toBe(1); // fenced: its creation batch can never land
    await assertAccountWorks(s.env, [deviceFactor, recoveryFactor], a.publicKey);
  });

  it('the creation batch lands but its acknowledgement is lost: create completes', async () => {
    const s = setup('kg-ack');
    s.storage.failNext = 'after';
    const { deviceFactor, recoveryFactor, account: a } = await TssAccount.create({ ...s.opts('create'), aux: deviceAux(1) });
    const rec = await serviceRecord(s.env.shares);
    expect([rec.confirmed!.tssNonce, rec.pending.length]).toEqual([0, 0]);
    await assertAccountWorks(s.env, [deviceFactor, recoveryFactor], a.publicKey, a);
    expect((await a.refresh()).tssNonce).toBe(1);
  });
});

describe('two-phase commit: stale staged shares', () => {
  it('a refresh that never became durable is fenced off by sweep({abandonAfterMs}); the account works; a retry completes', async () => {
    const s = setup('fence-orphan');
    const { acc, deviceFactor, recoveryFactor, extra, Y } = await account(s);
    s.storage.failNext = 'before';
    await expect(op(acc)).rejects.toBeInstanceOf(Cut);
    expect(await s.env.service.sweep({ abandonAfterMs: 0 })).toEqual({ accounts: 1, dropped: 1 });
    const rec = await serviceRecord(s.env.shares);
    expect([rec.confirmed!.tssNonce, rec.pending.length, rec.abandoned.length]).toEqual([0, 0, 1]);
    await assertAccountWorks(s.env, [deviceFactor, recoveryFactor, extra], Y, acc);
    expect((await op(acc)).tssNonce).toBe(1);
    await assertAccountWorks(s.env, [deviceFactor, recoveryFactor, extra, newFactor], Y, acc);
  });

  it('a batch in flight while the service fences its epoch is refused and never lands (no lockout)', async () => {
    const s = setup('fence-inflight');
    const { acc, deviceFactor, recoveryFactor, extra, Y } = await account(s);
    let release!: () => void;
    const arrived = new Promise<void>((held) => {
      s.storage.holdNext = { held, gate: new Promise<void>((r) => (release = r)) };
    });
    const inflight = op(acc);
    await arrived; // the device's phase-1 batch is on its way
    expect(await s.env.service.sweep({ abandonAfterMs: 0 })).toEqual({ accounts: 1, dropped: 1 });
    release();
    await expectCode(inflight, 'ACCOUNT_STATE_CHANGED'); // conflict → rebase → the replay sees the fence
    expect(acc.tssNonce).toBe(0);
    await assertAccountWorks(s.env, [deviceFactor, recoveryFactor, extra], Y, acc);
    expect((await op(acc)).tssNonce).toBe(1);
    await assertAccountWorks(s.env, [deviceFactor, recoveryFactor, extra, newFactor], Y, acc);
  });
});

describe('two-phase commit: an abort after the new shares are verified (refresh split, issue 9 item 4)', () => {
  /** Flip the refresh confirmation h that party `from` sends (to the other party). */
  const wrongH = (from: number) => (m: Message) => (m.protocol === 'refresh' && m.round === 2 && m.from === from && m.to === null ? editBody(m, (b) => void (b.h = flip(b.h as Uint8Array))) : m);

  it('the device aborts (the service confirmed another view to it): no batch; any staged service share is fenced off; the account works; a retry completes', async () => {
    const s = setup('split-device');
    const { acc, deviceFactor, recoveryFactor, extra, Y } = await account(s);
    const bad = await TssAccount.login({ ...s.env.opts('split', { deliver: wrongH(1) }), service: s.service }, deviceFactor);
    const e = await op(bad).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProtocolAbort);
    expect(e).toMatchObject({ reason: 'CONFIRMATION_MISMATCH', round: 2, culprits: [1] });
    expect(bad.tssNonce).toBe(0);
    expect(bad.heldIndices).toEqual([2]); // its unconfirmed new shares are not committed
    // the service output; where its finish ran (its own node) the share is staged next to e, never durable
    let rec = await serviceRecord(s.env.shares);
    expect(rec.confirmed!.tssNonce).toBe(0);
    expect(rec.pending.every((p) => p.tssNonce === 1)).toBe(true);
    await assertAccountWorks(s.env, [deviceFactor, recoveryFactor, extra], Y, bad);
    await s.env.service.sweep({ abandonAfterMs: 0 });
    rec = await serviceRecord(s.env.shares);
    expect([rec.confirmed!.tssNonce, rec.pending.length]).toEqual([0, 0]);
    expect((await op(acc)).tssNonce).toBe(1);
    await assertAccountWorks(s.env, [deviceFactor, recoveryFactor, extra, newFactor], Y, acc);
  });

  it('the service aborts (the device confirmed another view to it): the device output but commits nothing; both stay at e; a retry completes', async () => {
    const s = setup('split-service');
    const { acc, deviceFactor, recoveryFactor, extra, Y } = await account(s);
    const bad = await TssAccount.login({ ...s.env.opts('split', { deliver: wrongH(2) }), service: s.service }, deviceFactor);
    await expect(op(bad)).rejects.toMatchObject({ reason: 'CONFIRMATION_MISMATCH', round: 2, culprits: [2] });
    expect(bad.tssNonce).toBe(0);
    expect(bad.heldIndices).toEqual([2]);
    const rec = await serviceRecord(s.env.shares);
    expect([rec.confirmed!.tssNonce, rec.pending.length]).toEqual([0, 0]);
    await assertAccountWorks(s.env, [deviceFactor, recoveryFactor, extra], Y, bad);
    expect((await op(acc)).tssNonce).toBe(1);
    await assertAccountWorks(s.env, [deviceFactor, recoveryFactor, extra, newFactor], Y, acc);
  });
});

describe('two-phase commit: aux rotation', () => {
  it('rotating the device aux (setupAux with a fresh key) is safe to interrupt: the old aux keeps signing; a retry rotates', async () => {
    const s = setup('aux-rotate');
    const { acc, deviceFactor, Y } = await account(s);
    s.storage.failNext = 'before';
    await expect(acc.setupAux(deviceAux(2))).rejects.toBeInstanceOf(Cut);
    expect(openAux(await durableMetadata(s.storage), 'default', deviceFactor, 2)!.parties.find((p) => p.id === 2)!.N).toBe(deviceAux(1).key.p * deviceAux(1).key.q);
    await assertSigns(acc, Y, 'old aux, same device');
    await assertSigns(await TssAccount.login(s.opts('relog'), deviceFactor), Y, 'old aux from the metadata');
    await acc.setupAux(deviceAux(2));
    const groups = (await serviceRecord(s.env.shares)).aux!.filter((a) => a.index === 2).map((a) => a.parties.find((p) => p.id === 2)!.N);
    const n = (k: { p: bigint; q: bigint }) => k.p * k.q;
    expect(groups).toEqual([n(deviceAux(1).key), n(deviceAux(2).key)]); // the previous group is kept next to the new one
    expect(openAux(await durableMetadata(s.storage), 'default', deviceFactor, 2)!.parties.find((p) => p.id === 2)!.N).toBe(n(deviceAux(2).key));
    await assertSigns(await TssAccount.login(s.opts('relog-2'), deviceFactor), Y, 'new aux from the metadata');
  });

  it('refresh({rotateAux}) rotates the device key inside the refresh (aux proofs redone), its aux lands in the same batch; a cut inside changes nothing', async () => {
    const s = setup('aux-in-refresh');
    const { acc, deviceFactor, recoveryFactor, extra, Y } = await account(s);
    const cutAcc = await TssAccount.login(s.opts('cut', cutAfter(1, 2, 'refresh')), deviceFactor);
    await expect(cutAcc.refresh({ rotateAux: deviceAux(2) })).rejects.toBeInstanceOf(Cut);
    await assertAccountWorks(s.env, [deviceFactor, recoveryFactor, extra], Y, cutAcc); // the old aux still signs
    expect((await acc.refresh({ rotateAux: deviceAux(2) })).tssNonce).toBe(1);
    const n = (k: { p: bigint; q: bigint }) => k.p * k.q;
    const groups = (await serviceRecord(s.env.shares)).aux!.filter((a) => a.index === 2).map((a) => a.parties.find((p) => p.id === 2)!.N);
    expect(groups).toEqual([n(deviceAux(1).key), n(deviceAux(2).key)]);
    const stored = openAux(await durableMetadata(s.storage), 'default', deviceFactor, 2)!;
    expect(stored.parties.find((p) => p.id === 2)!.N).toBe(n(deviceAux(2).key)); // the metadata holds the rotated aux
    const relog = await TssAccount.login(s.opts('relog'), deviceFactor);
    await assertAccountWorks(s.env, [deviceFactor, recoveryFactor, extra], Y, relog); // signs with the rotated aux from the metadata
    await assertSigns(acc, Y, 'rotated aux, same device');
  });
});
