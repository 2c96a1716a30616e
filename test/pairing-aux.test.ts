/**
 * Issue 14 leftover: a paired group's aux sealed to the factors and reused. After `setupAux` over a
 * pairing each device seals ITS OWN part to every factor of its own index into the group's entry
 * of `tssUserAux:<tag>` and checks the whole group against the session; a device that logs in again
 * with its factor finds its part, so a new pairing signs with no aux session (the service never
 * contacted, OpenSSL verifies). Concurrent writes keep both parts (a forced storage conflict is
 * replayed); a peer whose stored part is not the session's, or that cannot write it, makes
 * `setupAux` fail with PAIRING_AUX_MISMATCH and takes our part back; a removed factor's entries go.
 */
import { describe, expect, it } from 'vitest';
import { TssAccount } from '../src/client/account.js';
import { memoryRendezvous } from '../src/client/pairing.js';
import type { PairedDevice, PairedOptions, PairedRequest } from '../src/client/paired-device.js';
import { checkUserGroup, openUserAux, userAuxDomain, writeUserGroupPart, type UserAuxEntry } from '../src/client/user-aux-store.js';
import { InternalBug, isTkeyTssError } from '../src/errors.js';
import type { MetadataStorage, StorageBatch } from '../src/storage/types.js';
import { FactorKey } from '../src/tss/factor-key.js';
import { factorEncKey, readTss } from '../src/tss/tss-metadata.js';
import { DEFAULT_TSS_TAG } from '../src/tss/tss-tag.js';
import { seededRng } from '../src/rng.js';
import type { AuxInfo } from '../protocols/aux/types.js';
import { accountEnv, deviceAux, durableMetadata, expectCode } from './helpers/account.js';
import { checkSignature, unreachable } from './helpers/service-free.js';

/** A device's view of the shared store: `before` runs before each of its batches (it may wait or throw), `after` once one landed. */
function deviceStorage(inner: MetadataStorage, hooks: { before?: () => Promise<void>; after?: () => void } = {}): MetadataStorage & { conflicts: number } {
  const s = {
    conflicts: 0,
    get: (a: Parameters<MetadataStorage['get']>[0]) => inner.get(a),
    getNonce: (a: string) => inner.getNonce(a),
    async commit(b: StorageBatch): Promise<void> {
      await hooks.before?.();
      try {
        await inner.commit(b);
      } catch (e) {
        if (isTkeyTssError(e, 'STORAGE_CONFLICT')) s.conflicts++;
        throw e;
      }
      hooks.after?.();
    },
  };
  return s;
}

async function setup(seed: string) {
  const env = accountEnv(seed);
  const created = await TssAccount.create({ ...env.opts(), aux: deviceAux(1) });
  const login = (device: string, f: FactorKey, storage: MetadataStorage = env.storage) => TssAccount.login({ ...env.opts(device), storage, service: unreachable() }, f);
  return { env, ...created, login };
}

/** The group's entries in the durable metadata (factorEncKey → entry). */
async function groupEntries(storage: MetadataStorage, group: string): Promise<Record<string, UserAuxEntry>> {
  const m = await durableMetadata(storage);
  const all = (m.getGeneralStoreDomain(userAuxDomain(DEFAULT_TSS_TAG)) ?? {}) as Record<string, Record<string, UserAuxEntry>>;
  return all[group] ?? {};
}

async function pair(a: TssAccount, b: TssAccount, opts: { a?: PairedOptions; b?: PairedOptions } = {}): Promise<[PairedDevice, PairedDevice]> {
  const rendezvous = memoryRendezvous();
  const pairing = await a.startPairing({ rendezvous, ...opts.a });
  return Promise.all([pairing.accept(), b.joinPairing(pairing.code, { rendezvous, ...opts.b })]);
}

/** Protocol names of every session a device's transport ran (its own party's). */
function recorder(): { seen: string[]; opts: PairedOptions } {
  const seen: string[] = [];
  return { seen, opts: { transport: { hooks: (_party, protocol) => void seen.push(protocol) } } };
}

describe('a paired group\'s aux, sealed to the factors and reused', () => {
  it('setupAux seals each part to its own index\'s factors; both devices restart, pair again and sign with no aux session (OpenSSL verifies, the service never contacted)', async () => {
    const { env, deviceFactor, recoveryFactor, account, login } = await setup('pair-aux-reuse');
    const a = await login('a', deviceFactor);
    const b = await login('b', recoveryFactor);
    const ra = recorder();
    const rb = recorder();
    const [onA, onB] = await pair(a, b, { a: ra.opts, b: rb.opts });
    const served: unknown[] = [];
    onB.serve({ approve: () => true, auxInput: deviceAux(3), onError: (e) => served.push(e) });
    expect(await onA.setupAux(deviceAux(2))).toBe('2,3');
    expect(ra.seen).toEqual(['aux']);
    await onA.close();
    await onB.close();
    expect(served).toEqual([]);

    // the group in the metadata: one entry per factor of 2 and of 3, both of the one session
    const es = await groupEntries(env.storage, '2,3');
    const byFactor = new Map(Object.entries(es));
    expect(byFactor.get(factorEncKey(deviceFactor.pubPoint))?.tssIndex).toBe(2);
    expect(byFactor.get(factorEncKey(recoveryFactor.pubPoint))?.tssIndex).toBe(3);
    expect(byFactor.size).toBe(2);
    const pubs = new Set(Object.values(es).map((e) => e.pub));
    expect(pubs.size).toBe(1);
    expect([...pubs][0]).toMatch(/^[0-9a-f]{64}$/);
    // opening: the part opens; a group whose other part is of another session is not held; a part whose pub is not its content is refused
    const m = await durableMetadata(env.storage);
    expect([...openUserAux(m, DEFAULT_TSS_TAG, deviceFactor, 2).keys()]).toEqual(['2,3']);
    const k2 = factorEncKey(deviceFactor.pubPoint);
    const k3 = factorEncKey(recoveryFactor.pubPoint);
    m.setGeneralStoreDomain(userAuxDomain(DEFAULT_TSS_TAG), { '2,3': { ...es, [k3]: { ...es[k3]!, pub: 'a'.repeat(64) } } });
    expect([...openUserAux(m, DEFAULT_TSS_TAG, deviceFactor, 2).keys()]).toEqual([]);
    m.setGeneralStoreDomain(userAuxDomain(DEFAULT_TSS_TAG), { '2,3': { ...es, [k2]: { ...es[k2]!, pub: 'a'.repeat(64) } } });
    expect(() => openUserAux(m, DEFAULT_TSS_TAG, deviceFactor, 2)).toThrow(/fingerprint/);

    // restart: new account objects from storage, each with its own factor only
    const a2 = await login('a2', deviceFactor);
    const b2 = await login('b2', recoveryFactor);
    expect(a2.heldIndices).toEqual([2]);
    expect(b2.heldIndices).toEqual([3]);
    const ra2 = recorder();
    const rb2 = recorder();
    const [onA2, onB2] = await pair(a2, b2, { a: ra2.opts, b: rb2.opts });
    const asked: PairedRequest[] = [];
    onB2.serve({ approve: (r) => (asked.push(r), true) }); // no aux input: none is needed
    try {
      const req = { personalMessage: 'after a restart, no aux session' };
      checkSignature(await onA2.sign(req), req, account.publicKey);
      onA2.serve({ approve: () => true });
      const back = { personalMessage: 'the other way round' };
      checkSignature(await onB2.sign(back), back, account.publicKey);
    } finally {
      await onA2.close();
      await onB2.close();
    }
    expect(asked.map((r) => r.op)).toEqual(['sign']);
    expect(ra2.seen).not.toContain('aux');
    expect(rb2.seen).not.toContain('aux');
    expect(ra2.seen).toEqual(['presign', 'sign', 'presign', 'sign']);
  }, 300_000);

  it('both devices write at once: a storage conflict is replayed onto the other\'s part and neither part is lost', async () => {
    const { env, deviceFactor, recoveryFactor, login } = await setup('pair-aux-conflict');
    // A's batch is built first and held until B's has landed: A's is then stale (STORAGE_CONFLICT)
    let armed = false;
    let aStaged!: () => void;
    let bLanded!: () => void;
    const staged = new Promise<void>((r) => (aStaged = r));
    const landed = new Promise<void>((r) => (bLanded = r));
    const sa = deviceStorage(env.storage, { before: async () => void (armed && (aStaged(), await landed)) });
    const sb = deviceStorage(env.storage, { before: async () => void (armed && (await staged)), after: () => armed && bLanded() });
    const a = await login('a', deviceFactor, sa);
    const b = await login('b', recoveryFactor, sb);
    const [onA, onB] = await pair(a, b);
    onB.serve({ approve: () => true, auxInput: deviceAux(3) });
    armed = true;
    try {
      expect(await onA.setupAux(deviceAux(2))).toBe('2,3');
      expect(sa.conflicts).toBe(1); // A's first batch was stale: reloaded and replayed onto B's part
      expect(sb.conflicts).toBe(0);
    } finally {
      await onA.close();
      await onB.close();
    }
    const es = Object.values(await groupEntries(env.storage, '2,3'));
    expect(es.map((e) => e.tssIndex).sort()).toEqual([2, 3]);
    expect(new Set(es.map((e) => e.pub)).size).toBe(1);
  }, 300_000);

  it('a peer whose stored part is not the session\'s: PAIRING_AUX_MISMATCH naming index 3, our part taken back, nothing held', async () => {
    const { env, deviceFactor, recoveryFactor, login } = await setup('pair-aux-mismatch');
    const a = await login('a', deviceFactor);
    const b = await login('b', recoveryFactor);
    // B seals an aux whose view of A's ring-Pedersen t is not what the session produced
    const lie = (aux: AuxInfo): AuxInfo => ({ ...aux, parties: aux.parties.map((p) => (p.id === 2 ? { ...p, t: (p.t * 4n) % p.N } : p)) });
    const [onA, onB] = await pair(a, b, { b: { faults: { sealAux: lie } } });
    const bErrors: unknown[] = [];
    onB.serve({ approve: () => true, auxInput: deviceAux(3), onError: (e) => bErrors.push(e) });
    try {
      const e = await onA.setupAux(deviceAux(2)).catch((x: unknown) => x);
      expect(isTkeyTssError(e, 'PAIRING_AUX_MISMATCH'), String(e)).toBe(true);
      const d = (e as InternalBug).details!;
      expect(d['index']).toBe(3);
      expect(d['group']).toBe('2,3');
      expect(['mismatch', 'missing']).toContain(d['reason']); // missing: B already took its own bad part back
      await expectCode(onA.sign({ personalMessage: 'not set up' }), 'AUX_MISSING'); // nothing held
      for (let k = 0; k < 200 && bErrors.length === 0; k++) await new Promise((r) => setTimeout(r, 25));
      expect(bErrors.some((x) => isTkeyTssError(x, 'PAIRING_AUX_MISMATCH'))).toBe(true); // B's own check fails too
    } finally {
      await onA.close();
      await onB.close();
    }
    await new Promise((r) => setTimeout(r, 100));
    // no part of index 2 is left claiming the group
    expect(Object.values(await groupEntries(env.storage, '2,3')).filter((x) => x.tssIndex === 2)).toEqual([]);
    const a2 = await login('a2', deviceFactor);
    const b2 = await login('b2', recoveryFactor);
    const [onA2, onB2] = await pair(a2, b2);
    onB2.serve({ approve: () => true });
    try {
      await expectCode(onA2.sign({ personalMessage: 'still not set up' }), 'AUX_MISSING');
    } finally {
      await onA2.close();
      await onB2.close();
    }
  }, 300_000);

  it('a peer that cannot write its part: PAIRING_AUX_MISMATCH (peer-failed), our part taken back', async () => {
    const { env, deviceFactor, recoveryFactor, login } = await setup('pair-aux-down');
    const a = await login('a', deviceFactor);
    let down = false;
    const b = await login('b', recoveryFactor, deviceStorage(env.storage, { before: async () => { if (down) throw new InternalBug('storage down (test)', undefined, 'STORAGE_IO'); } }));
    const [onA, onB] = await pair(a, b);
    onB.serve({ approve: () => true, auxInput: deviceAux(3), onError: () => undefined });
    down = true;
    try {
      const e = await onA.setupAux(deviceAux(2)).catch((x: unknown) => x);
      expect(isTkeyTssError(e, 'PAIRING_AUX_MISMATCH') && e.details?.['reason'], String(e)).toBe('peer-failed');
    } finally {
      await onA.close();
      await onB.close();
    }
    expect(await groupEntries(env.storage, '2,3')).toEqual({});
  }, 300_000);

  it('writeUserGroupPart keeps the other index\'s part, replaces its own, and drops removed factors\' entries in every group', async () => {
    const { env, deviceFactor, recoveryFactor } = await setup('pair-aux-store');
    const m = await durableMetadata(env.storage);
    const tss = readTss(m, DEFAULT_TSS_TAG);
    const k2 = factorEncKey(deviceFactor.pubPoint);
    const k3 = factorEncKey(recoveryFactor.pubPoint);
    const gone = factorEncKey(FactorKey.random(seededRng('gone')).pubPoint); // a factor of index 3 that was removed
    const live = new Map(Object.entries(tss.factorEncs).map(([k, e]) => [k, e.tssIndex]));
    expect(live.get(k2)).toBe(2);
    expect(live.get(k3)).toBe(3);
    const entry = (tssIndex: number, pub: string): UserAuxEntry => ({ tssIndex, pub, aux: { ciphertext: pub.slice(0, 8), ephemPublicKey: '', iv: '', mac: '' } }); // shape only: nothing is opened here
    m.setGeneralStoreDomain(userAuxDomain(DEFAULT_TSS_TAG), { '2,3': { [k3]: entry(3, 'b'.repeat(64)), [gone]: entry(3, 'b'.repeat(64)), [k2]: entry(2, 'f'.repeat(64)) }, '2,3,4': { [gone]: entry(3, 'c'.repeat(64)) } });
    writeUserGroupPart(m, DEFAULT_TSS_TAG, '2,3', 2, new Map([[k2, entry(2, 'b'.repeat(64))]]), live);
    const all = m.getGeneralStoreDomain(userAuxDomain(DEFAULT_TSS_TAG)) as Record<string, Record<string, UserAuxEntry>>;
    expect(Object.keys(all)).toEqual(['2,3']); // the group left with only a removed factor's entry is gone
    expect(Object.keys(all['2,3']!).sort()).toEqual([k2, k3].sort());
    expect(all['2,3']![k2]!.pub).toBe('b'.repeat(64));
    expect(checkUserGroup(m, DEFAULT_TSS_TAG, '2,3', 'b'.repeat(64), live)).toEqual([]);
    expect(checkUserGroup(m, DEFAULT_TSS_TAG, '2,3', 'a'.repeat(64), live)).toEqual([{ index: 2, missing: 0, mismatched: 1 }, { index: 3, missing: 0, mismatched: 1 }]);
    expect(() => writeUserGroupPart(m, DEFAULT_TSS_TAG, '2,3', 2, new Map([[k3, entry(3, 'b'.repeat(64))]]), live)).toThrow();
  });

  it('a removed factor\'s entries go with it: after deleteFactor the next paired setup drops the copy\'s entry, and the pair signs', async () => {
    const { env, deviceFactor, recoveryFactor, account, login } = await setup('pair-aux-removed');
    const copy = FactorKey.random(seededRng('pair-aux-removed/copy'));
    await account.unlockFactor(recoveryFactor);
    await account.addFactor({ factor: copy, tssIndex: 3, module: 'seedPhrase' }); // a copy of share 3
    const [onA, onB] = await pair(await login('a', deviceFactor), await login('b', recoveryFactor));
    onB.serve({ approve: () => true, auxInput: deviceAux(3) });
    await onA.setupAux(deviceAux(2));
    await onA.close();
    await onB.close();
    const kc = factorEncKey(copy.pubPoint);
    expect((await groupEntries(env.storage, '2,3'))[kc]?.tssIndex).toBe(3); // sealed to every factor of 3
    await account.deleteFactor(copy);
    expect(readTss(await durableMetadata(env.storage), DEFAULT_TSS_TAG).factorEncs[kc]).toBeUndefined();
    // the shares were refreshed: log in again; the surviving factors' parts still open
    const [onA2, onB2] = await pair(await login('a2', deviceFactor), await login('b2', recoveryFactor));
    onB2.serve({ approve: () => true, auxInput: deviceAux(3) });
    try {
      await onA2.setupAux(deviceAux(2));
      const es = await groupEntries(env.storage, '2,3');
      expect(es[kc]).toBeUndefined();
      expect(Object.values(es).map((e) => e.tssIndex).sort()).toEqual([2, 3]);
      const req = { personalMessage: 'after the copy went' };
      checkSignature(await onA2.sign(req), req, account.publicKey);
    } finally {
      await onA2.close();
      await onB2.close();
    }
  }, 300_000);
});
