/**
 * Issue 11 items 3–4 end to end: a `ServiceParty` over the sealed durable state (`openServiceState`)
 * with a device `TssAccount` (in-process `SimulatorTransport`, metadata in `MemoryStorage`, test
 * primes). Create + presign, restart the service (every object dropped, the store reopened), sign
 * with the pooled presignature and again with a fresh one; on PostgreSQL a second node signs too and
 * two nodes racing for one presignature half: exactly one gets it; then a KEK rotation, after which
 * the service signs with the new KEK alone. On the embedded store and on PostgreSQL.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes, utf8ToBytes } from '../src/bytes.js';
import { mulG, pointFromBytes, scalarFromBytes } from '../src/curve.js';
import { isTkeyTssError } from '../src/errors.js';
import { sha256 } from '../src/hash.js';
import { cryptoRng, seededRng } from '../src/rng.js';
import { MemoryStorage } from '../src/storage/memory-store.js';
import { MemoryPresignStore, PresignPool } from '../src/signature/presign-pool.js';
import { TssAccount } from '../src/client/account.js';
import { readCheckpoint } from '../src/client/checkpoint.js';
import { ServiceParty } from '../src/client/service-party.js';
import { SimulatorTransport } from '../src/client/transport.js';
import { DEFAULT_TSS_TAG } from '../src/tss/tss-tag.js';
import { Kek } from '../src/server/service-state/kek.js';
import { KIND_ACCOUNT, KIND_PRESIG, SEP } from '../src/server/service-state/kinds.js';
import { openServiceState, type ServiceState } from '../src/server/service-state/open.js';
import { rotateKek } from '../src/server/service-state/rotate.js';
import { deviceAux, NOW, POSTBOX } from './helpers/account.js';
import { nobleVerify } from './helpers/verify-signature.js';
import { SKIP_NOTE } from './helpers/postgres.js';
import { storeBackends } from './helpers/store-backends.js';
import { PRIMES_FILE } from './helpers/test-primes.js';

const K1 = Kek.fromHex('a1'.repeat(32));
const K2 = Kek.fromHex('b2'.repeat(32));


function node(state: ServiceState, storage: MemoryStorage): ServiceParty {
  return new ServiceParty({ identityKey: state.identityKey, storage, shares: state.shares, presigs: state.presigs, accountLock: state.accountLock, aux: state.aux, rng: cryptoRng });
}

async function signs(account: TssAccount, message: string, presigned: boolean): Promise<void> {
  const sig = await account.sign({ message: utf8ToBytes(message), hash: 'sha256' });
  expect(sig.presigned, `${message}: pooled`).toBe(presigned);
  expect(nobleVerify(sha256(utf8ToBytes(message)), sig.signature, account.publicKey), `${message}: verifies`).toBe(true);
}

const backends = storeBackends('tkey-state-party-');

for (const be of backends) {
  describe(`ServiceParty over the sealed state: ${be.name}`, () => {
    it('create + presign, restart, sign pooled and fresh, (PostgreSQL: another node, a raced half), rotate the KEK, sign again', async (ctx) => {
      const opener = await be.fresh();
      if (!opener) return ctx.skip(SKIP_NOTE);
      const storage = new MemoryStorage(); // the metadata (in process)
      const pool = new PresignPool(new MemoryPresignStore()); // the device's halves
      const device = (service: ServiceParty, seed: string) => ({ storage, postboxKey: POSTBOX, service, transport: new SimulatorTransport(), rng: seededRng(`state-party/${be.name}/${seed}`), now: NOW, presignPool: pool });

      // --- first life: create 2-of-3, presign 2
      let store = await opener();
      let state = await openServiceState(store, K1, { primesFile: PRIMES_FILE });
      const { account, deviceFactor } = await TssAccount.create({ ...device(node(state, storage), 'create'), aux: deviceAux(1) });
      expect(await account.presign(2)).toBe(2);
      const [acct] = await state.shares.accounts();
      expect(await state.presigs.count(acct!)).toBe(2);
      const identity = bytesToHex(state.identityKey);
      await store.close();

      // --- restart: nothing of the first life but the store's files / database
      store = await opener();
      state = await openServiceState(store, K1);
      expect(bytesToHex(state.identityKey)).toBe(identity);
      expect(await state.shares.accounts()).toEqual([acct]);
      // a sign request the service refuses before any session keeps the half (it is put back)
      const ref = { metadataPub: account.metadataPublicKey, tssTag: DEFAULT_TSS_TAG };
      const k = scalarFromBytes(state.identityKey);
      const base = (await readCheckpoint(storage, k, mulG(k), pointFromBytes(account.metadataPublicKey), DEFAULT_TSS_TAG))!;
      const halves = async () => (await store.stateList(KIND_PRESIG, { prefix: acct + SEP })).map((r) => hexToBytes(r.key.split(SEP)[1]!));
      const [first] = await halves();
      const refused = await node(state, storage)
        .signParticipant(ref, { sid: new Uint8Array(32).fill(0x33), index: 2, base: { ...base, tssNonce: base.tssNonce + 1 }, presignSid: first!, digest: new Uint8Array(32).fill(1) })
        .catch((e: unknown) => e);
      expect(isTkeyTssError(refused, 'SERVICE_STATE_MISMATCH'), String(refused)).toBe(true);
      expect(await state.presigs.count(acct!)).toBe(2);
      const again = await TssAccount.login(device(node(state, storage), 'login-1'), deviceFactor);
      await signs(again, 'pooled after a restart', true);
      expect(await state.presigs.count(acct!)).toBe(1);

      if (be.name === 'postgres') {
        // a second node on the same database signs with the last pooled half
        const store2 = await opener();
        try {
          const state2 = await openServiceState(store2, K1);
          const viaB = await TssAccount.login(device(node(state2, storage), 'login-b'), deviceFactor);
          await signs(viaB, 'pooled via node B', true);
          expect(await state.presigs.count(acct!)).toBe(0);
          // two nodes asked to sign with one half at once: exactly one gets it
          expect(await viaB.presign(1)).toBe(1);
          const [presignSid] = await halves();
          const ask = (n: ServiceParty, b: number) => n.signParticipant(ref, { sid: new Uint8Array(32).fill(b), index: 2, base, presignSid: presignSid!, digest: sha256(utf8ToBytes('race')) });
          const outcomes = await Promise.allSettled([ask(node(state, storage), 0x51), ask(node(state2, storage), 0x52)]);
          expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
          const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
          expect(isTkeyTssError(lost.reason, 'NOT_FOUND'), String(lost.reason)).toBe(true);
          expect(await state.presigs.count(acct!)).toBe(0);
        } finally {
          await store2.close();
        }
      } else {
        await signs(again, 'the second pooled half', true);
        expect(await state.presigs.count(acct!)).toBe(0);
      }
      // the pool is empty (PostgreSQL: its last entry's service half went to the race): a fresh presignature
      const fresh = await TssAccount.login(device(node(state, storage), 'login-2'), deviceFactor);
      await signs(fresh, 'fresh presignature', false);

      // --- KEK rotation: re-seal everything, then the new KEK alone suffices
      expect(await fresh.presign(1)).toBe(1);
      const r = await rotateKek(store, { from: K1, to: K2 });
      expect(r.remaining).toBe(0);
      expect(r.resealed).toBe(1 + 1 + 3); // the account, the pooled half, the three service keys
      await store.close();
      store = await opener();
      try {
        expect(await openServiceState(store, K1).catch((e: unknown) => (isTkeyTssError(e) ? e.code : e))).toBe('KEK_INVALID');
        state = await openServiceState(store, K2);
        expect((await store.stateGet(KIND_ACCOUNT, acct!))!.value.length).toBeGreaterThan(0);
        const rotated = await TssAccount.login(device(node(state, storage), 'login-3'), deviceFactor);
        await signs(rotated, 'pooled after the KEK rotation', true);
        await signs(rotated, 'fresh after the KEK rotation', false);
      } finally {
        await store.close();
      }
    }, 600_000);
  });
}
