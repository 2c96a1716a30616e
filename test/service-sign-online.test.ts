/**
 * Issue 11 (speed): a pooled sign with the service is ONE request/response (`signOnline`,
 * `src/client/sign-online.ts`) and ONE durable commit at the service, and the device re-reads its
 * metadata only when the account's storage nonce moved (`currentState`).
 *   - the nonce check: no getNonce, no record read, no bus session when nothing changed (the device
 *     sends the nonce its state was loaded at; the service compares it); a stale device is refused
 *     once (SERVICE_STATE_MISMATCH, reason stale-nonce, nothing taken), reloads and signs with the
 *     same half; a refresh made by another device is noticed; a device that sends no nonce and
 *     skips the reload is refused by the service's epoch check (never a signature with a stale epoch)
 *   - the combined message tampered: the device's partial (service aborts naming the device, its
 *     σ never revealed; see also service-aborts.test.ts) or the service's answer (the device
 *     aborts naming the service)
 *   - over the sealed state (embedded, PostgreSQL): one half asked by two nodes at once with the
 *     combined request goes to exactly one; a request for a non-durable epoch is refused and keeps
 *     the half; the joint sid is registered with the take
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, bytesToNumberBE, hexToBytes, utf8ToBytes } from '../src/bytes.js';
import { modN, mulG, pointFromBytes, scalarFromBytes } from '../src/curve.js';
import { isTkeyTssError, ProtocolAbort } from '../src/errors.js';
import { sha256 } from '../src/hash.js';
import { cryptoRng, seededRng } from '../src/rng.js';
import { MemoryStorage } from '../src/storage/memory-store.js';
import type { MetadataStorage } from '../src/storage/types.js';
import { MemoryPresignStore, PresignPool } from '../src/signature/presign-pool.js';
import { TssAccount } from '../src/client/account.js';
import { FactorKey } from '../src/tss/factor-key.js';
import { readCheckpoint } from '../src/client/checkpoint.js';
import { inProcessAccountLock, ServiceParty, type AccountRef, type ServiceConnection, type SignOnlineAnswer } from '../src/client/service-party.js';
import { combineOnline, startOnline } from '../src/client/sign-online.js';
import { SimulatorTransport } from '../src/client/transport.js';
import { DEFAULT_TSS_TAG } from '../src/tss/tss-tag.js';
import { Kek } from '../src/server/service-state/kek.js';
import { KIND_ACCOUNT, KIND_PRESIG, KIND_SID, SEP, sidKey } from '../src/server/service-state/kinds.js';
import { SID_RETENTION_MS } from '../src/client/service-sid.js';
import { openServiceState, type ServiceState } from '../src/server/service-state/open.js';
import { Presignature } from '../protocols/presign/index.js';
import { scalarBytes } from '../protocols/util.js';
import type { Payload } from '../protocols/types.js';
import { accountEnv, deviceAux, NOW, POSTBOX, SERVICE_KEY } from './helpers/account.js';
import { nobleVerify } from './helpers/verify-signature.js';
import { SKIP_NOTE } from './helpers/postgres.js';
import { storeBackends } from './helpers/store-backends.js';
import type { ServerStore } from '../src/server/store/types.js';
import { PRIMES_FILE } from './helpers/test-primes.js';

const DEVICE = 2;
const K1 = Kek.fromHex('c3'.repeat(32));
type Obj = Record<string, Payload>;

/** Storage calls counted; `frozenNonce` makes getNonce lie (a device whose gate is fooled). */
function counted(inner: MetadataStorage) {
  const n = { get: 0, getNonce: 0, frozenNonce: undefined as number | null | undefined };
  const s: MetadataStorage = {
    get: (a) => (n.get++, inner.get(a)),
    getMany: (as) => ((n.get += as.length), Promise.all(as.map((a) => inner.get(a)))),
    getNonce: async (acc) => (n.getNonce++, n.frozenNonce !== undefined ? n.frozenNonce : inner.getNonce(acc)),
    commit: (b) => inner.commit(b),
  };
  return { s, n };
}

/** The service as the device reaches it, with its `signOnline` answer passed through `edit`. */
function answering(service: ServiceParty, edit: (a: SignOnlineAnswer) => SignOnlineAnswer): ServiceConnection {
  return new Proxy(service, {
    get(t, k) {
      if (k === 'signOnline') return async (account: AccountRef, req: Parameters<ServiceParty['signOnline']>[1]) => edit(await t.signOnline(account, req));
      const v = Reflect.get(t, k, t) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

/** The service as the device reaches it, with its `signOnline` request passed through `edit` and the calls counted. */
function requesting(service: ServiceParty, edit: (r: Parameters<ServiceParty['signOnline']>[1]) => Parameters<ServiceParty['signOnline']>[1], seen: { calls: number; stale: number } = { calls: 0, stale: 0 }): ServiceConnection {
  return new Proxy(service, {
    get(t, k) {
      if (k === 'signOnline')
        return async (account: AccountRef, req: Parameters<ServiceParty['signOnline']>[1]) => {
          seen.calls++;
          return t.signOnline(account, edit(req)).catch((e: unknown) => {
            if (isTkeyTssError(e, 'SERVICE_STATE_MISMATCH') && e.details?.reason === 'stale-nonce') seen.stale++;
            throw e;
          });
        };
      const v = Reflect.get(t, k, t) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

const plus1 = (b: Uint8Array) => scalarBytes(modN(bytesToNumberBE(b) + 1n));

describe('signOnline in process: the nonce gate, one request, tampering', () => {
  it('nothing changed: no getNonce, no record read, no session; a refresh elsewhere is noticed; a device sending no nonce and skipping the reload is refused by the epoch check', async () => {
    const env = accountEnv('sign-online-gate');
    const { s: storageA, n } = counted(env.storage);
    const sessions: string[] = [];
    const transport = new SimulatorTransport({ hooks: (party, protocol) => void (party === 1 && sessions.push(protocol)) });
    const optsA = { ...env.opts('device-a'), storage: storageA, transport };
    const { account: a, deviceFactor, recoveryFactor } = await TssAccount.create({ ...optsA, aux: deviceAux(1) });
    expect(await a.presign(3)).toBe(3);
    await a.sign({ personalMessage: 'first (reloads once: no nonce seen yet)' });
    n.get = 0;
    n.getNonce = 0;
    sessions.length = 0;
    const sig = await a.sign({ personalMessage: 'second' });
    expect(sig.presigned).toBe(true);
    expect(n, 'no nonce round trip (the service compares the nonce sent), no record read').toMatchObject({ get: 0, getNonce: 0 });
    expect(sessions, 'no bus/transport session: the sign is one request').toEqual([]);
    expect(nobleVerify(sig.digest, sig.signature, a.publicKey)).toBe(true);

    // another device (the recovery factor) refreshes: a batch, the nonce moves, A re-reads and notices
    // its share is of the old epoch (typed refusal, nothing signed)
    const b = await TssAccount.login(env.opts('device-b'), recoveryFactor);
    await b.refresh();
    n.get = 0;
    const noticed = await a.sign({ personalMessage: 'after a refresh elsewhere' }).catch((x: unknown) => x);
    expect(n.get, 'the refresh was noticed: records re-read').toBeGreaterThan(0);
    expect(isTkeyTssError(noticed, 'ACCOUNT_STATE_CHANGED'), String(noticed)).toBe(true);

    // logged in again through a connection that drops the nonce from the request (a device that does
    // not send it), A presigns at the new epoch; B refreshes again: A signs on its stale metadata with a
    // half of the old epoch, and the service's epoch check refuses it — never a signature at an epoch
    // that is not the durable one
    const noNonce = requesting(env.service, (req) => {
      const { nonce: _, ...rest } = req;
      return rest;
    });
    const a2 = await TssAccount.login({ ...optsA, service: noNonce, rng: seededRng('sign-online-gate/a2') }, deviceFactor);
    expect(await a2.presign(1)).toBe(1);
    await a2.sign({ personalMessage: 'nonce seen' }).then((x) => expect(x.presigned).toBe(true));
    expect(await a2.presign(1)).toBe(1);
    n.frozenNonce = await env.storage.getNonce(bytesToHex(a2.metadataPublicKey));
    await b.refresh();
    n.get = 0;
    const e = await a2.sign({ personalMessage: 'stale' }).catch((x: unknown) => x);
    expect(n.get, 'the fooled gate skipped the reload').toBe(0);
    expect(isTkeyTssError(e, 'SERVICE_STATE_MISMATCH'), String(e)).toBe(true);
    expect((e as { details?: { reason?: unknown } }).details?.reason, 'the epoch check, not the nonce').toBeUndefined();
    n.frozenNonce = undefined;
    const again = await a2.sign({ personalMessage: 'the refusal forgets the nonce: the gate runs again' }).catch((x: unknown) => x);
    expect(isTkeyTssError(again, 'ACCOUNT_STATE_CHANGED'), String(again)).toBe(true);
  }, 600_000);

  it('a stale device (another batch moved the nonce, same epoch): one stale-nonce refusal with nothing taken, one reload, the same pooled sign succeeds', async () => {
    const env = accountEnv('sign-online-stale-nonce');
    const { s: storage, n } = counted(env.storage);
    const seen = { calls: 0, stale: 0 };
    const service = requesting(env.service, (req) => req, seen);
    const { account: a, recoveryFactor } = await TssAccount.create({ ...env.opts('device-a'), storage, service, aux: deviceAux(1) });
    expect(await a.presign(3)).toBe(3);
    await a.sign({ personalMessage: 'first (reloads once: no nonce seen yet)' });
    const pub = bytesToHex(a.metadataPublicKey);
    const nonceBefore = await env.storage.getNonce(pub);

    // B copies its share to a new factor: a batch (the nonce moves), no refresh (the epoch stays)
    const b = await TssAccount.login(env.opts('device-b'), recoveryFactor);
    const copy = await b.addFactor({ factor: FactorKey.random(seededRng('stale-nonce/copy')), tssIndex: b.heldIndices[0]!, module: 'seedPhrase' });
    expect(copy.refreshed).toBe(false);
    expect(await env.storage.getNonce(pub)).not.toBe(nonceBefore);
    expect(b.tssNonce).toBe(a.tssNonce);

    n.get = 0;
    n.getNonce = 0;
    seen.calls = 0;
    const sig = await a.sign({ personalMessage: 'on a stale nonce' });
    expect(seen, 'one refusal, then the same request again').toEqual({ calls: 2, stale: 1 });
    expect(sig.presigned, "the service's half was not consumed by the refusal: the same pooled sign succeeded").toBe(true);
    expect(nobleVerify(sig.digest, sig.signature, a.publicKey)).toBe(true);
    expect(n.get, 'reloaded once').toBeGreaterThan(0);
    expect(n.getNonce, 'the nonce read before the reload').toBeGreaterThan(0);
    expect(await a.presignPool.count({ publicKey: a.publicKey, epoch: a.tssNonce, signers: [1, DEVICE], shift: new Uint8Array(32), profile: 'default' })).toBe(1);

    // now current again: no round trip, no refusal, the last pooled half
    n.get = 0;
    n.getNonce = 0;
    seen.calls = 0;
    seen.stale = 0;
    const next = await a.sign({ personalMessage: 'current again' });
    expect(next.presigned).toBe(true);
    expect(seen).toEqual({ calls: 1, stale: 0 });
    expect(n).toMatchObject({ get: 0, getNonce: 0 });

    // a nonce that is not an integer is refused before anything is read or taken
    const sk = scalarFromBytes(SERVICE_KEY);
    const base = (await readCheckpoint(env.storage, sk, mulG(sk), pointFromBytes(a.metadataPublicKey), DEFAULT_TSS_TAG))!;
    const ref = { metadataPub: a.metadataPublicKey, tssTag: DEFAULT_TSS_TAG };
    const bad = await env.service
      .signOnline(ref, { sid: new Uint8Array(32).fill(9), index: DEVICE, base, presignSid: new Uint8Array(32), digest: new Uint8Array(32), partials: [], nonce: 1.5 })
      .catch((x: unknown) => x);
    expect(isTkeyTssError(bad, 'INVALID_ARGUMENT'), String(bad)).toBe(true);
    expect(String(bad)).toMatch(/nonce/);
  }, 600_000);

  it("the service's answer tampered: the device aborts naming the service; a partial over another digest: the service aborts naming the device", async () => {
    const env = accountEnv('sign-online-tamper');
    const mode = { edit: false };
    const service = answering(env.service, (ans) => (mode.edit ? { ...ans, partial: { ...(ans.partial as Obj), sigma: plus1((ans.partial as Obj).sigma as Uint8Array) } } : ans));
    const { account } = await TssAccount.create({ ...env.opts('device'), service, aux: deviceAux(1) });
    expect(await account.presign(2)).toBe(2);
    mode.edit = true;
    const e = await account.sign({ personalMessage: 'tampered answer' }).catch((x: unknown) => x);
    expect(e, String(e)).toBeInstanceOf(ProtocolAbort);
    expect((e as ProtocolAbort).culprits).toEqual([1]);
    expect((e as ProtocolAbort).reason).toBe('PARTIAL_SIGNATURE_INVALID');
    mode.edit = false;

    // the device's partial names another digest than the request: CONFIG_MISMATCH blamed on the device
    const ref = { metadataPub: account.metadataPublicKey, tssTag: DEFAULT_TSS_TAG };
    const rec = await account.presignPool.take({ publicKey: account.publicKey, epoch: account.tssNonce, signers: [1, DEVICE], shift: new Uint8Array(32), profile: 'default' });
    const sk = scalarFromBytes(SERVICE_KEY);
    const base = (await readCheckpoint(env.storage, sk, mulG(sk), pointFromBytes(account.metadataPublicKey), DEFAULT_TSS_TAG))!;
    const parties = [
      { id: 1, owns: [1] },
      { id: DEVICE, owns: [DEVICE] },
    ];
    const digest = sha256(utf8ToBytes('what the request says'));
    const mine = startOnline({ presignature: Presignature.fromBytes(rec.data), digest: sha256(utf8ToBytes('something else')), publicKey: base.commitments[0]!, epoch: base.tssNonce }, DEVICE, parties, new Uint8Array(32).fill(7));
    const r = await env.service.signOnline(ref, { sid: new Uint8Array(32).fill(7), index: DEVICE, base, presignSid: hexToBytes(rec.id), digest, partials: [{ id: DEVICE, payload: mine.payload }] }).catch((x: unknown) => x);
    expect(r, String(r)).toBeInstanceOf(ProtocolAbort);
    expect((r as ProtocolAbort).culprits).toEqual([DEVICE]);
    expect((r as ProtocolAbort).reason).toBe('CONFIG_MISMATCH');
    expect((await env.service.abortRecord(ref))!.entries.map((x) => [x.protocol, x.culprits])).toEqual([['sign', [DEVICE]]]);
    // malformed partials are refused before anything is taken
    const bad = await env.service.signOnline(ref, { sid: new Uint8Array(32).fill(8), index: DEVICE, base, presignSid: hexToBytes(rec.id), digest, partials: [] }).catch((x: unknown) => x);
    expect(isTkeyTssError(bad, 'INVALID_ARGUMENT'), String(bad)).toBe(true);
  }, 600_000);
});


/**
 * Two service nodes on one store location (each its own in-process account lock), an account
 * created through node A with `presigns` presignatures, and its checkpoint as the service reads it.
 */
async function twoNodes(opener: () => Promise<ServerStore>, label: string, presigns: number, now?: () => number) {
  const storage = new MemoryStorage();
  const pool = new PresignPool(new MemoryPresignStore());
  const node = (state: ServiceState) => new ServiceParty({ identityKey: state.identityKey, storage, shares: state.shares, presigs: state.presigs, accountLock: inProcessAccountLock(), aux: state.aux, rng: cryptoRng, ...(now ? { now } : {}) });
  const storeA = await opener();
  const storeB = await opener();
  const close = async (): Promise<void> => {
    await storeA.close();
    if (storeB !== storeA) await storeB.close();
  };
  try {
    const stateA = await openServiceState(storeA, K1, { primesFile: PRIMES_FILE });
    const stateB = await openServiceState(storeB, K1);
    const [A, B] = [node(stateA), node(stateB)];
    const { account } = await TssAccount.create({ storage, postboxKey: POSTBOX, service: A, transport: new SimulatorTransport(), rng: seededRng(label), now: NOW, presignPool: pool, aux: deviceAux(1) });
    expect(await account.presign(presigns)).toBe(presigns);
    const [acct] = await stateA.shares.accounts();
    const ref = { metadataPub: account.metadataPublicKey, tssTag: DEFAULT_TSS_TAG };
    const k = scalarFromBytes(stateA.identityKey);
    const base = (await readCheckpoint(storage, k, mulG(k), pointFromBytes(account.metadataPublicKey), DEFAULT_TSS_TAG))!;
    return { storage, pool, storeA, storeB, stateA, stateB, A, B, account, acct: acct!, ref, base, close };
  } catch (e) {
    await close();
    throw e;
  }
}

const backends = storeBackends('tkey-sign-online-', { sharedEmbedded: true });

for (const be of backends) {
  describe(`signOnline over the sealed state: ${be.name}`, () => {
    it('one half asked by two nodes at once goes to exactly one; a non-durable epoch is refused and keeps the half; the sid is registered with the take', async (ctx) => {
      const opener = await be.fresh();
      if (!opener) return ctx.skip(SKIP_NOTE);
      // each node its own in-process account lock: the take alone must make the half single-use
      const f = await twoNodes(opener, `sign-online/${be.name}`, 1);
      const { pool, storeA, storeB, stateA, A, B, account, acct, ref, base } = f;
      try {
        const rec = await pool.take({ publicKey: account.publicKey, epoch: base.tssNonce, signers: [1, DEVICE], shift: new Uint8Array(32), profile: 'default' });
        const parties = [
          { id: 1, owns: [1] },
          { id: DEVICE, owns: [DEVICE] },
        ];
        const digest = sha256(utf8ToBytes('race'));
        const ask = (n: ServiceParty, fill: number, b = base) => {
          const mine = startOnline({ presignature: Presignature.fromBytes(rec.data), digest, publicKey: b.commitments[0]!, epoch: base.tssNonce }, DEVICE, parties, new Uint8Array(32).fill(fill));
          return n.signOnline(ref, { sid: new Uint8Array(32).fill(fill), index: DEVICE, base: b, presignSid: hexToBytes(rec.id), digest, partials: [{ id: DEVICE, payload: mine.payload }] }).then((ans) => combineOnline(mine, ans.sid, [{ id: 1, payload: ans.partial }]));
        };
        // a request for an epoch that is not durable: refused, the half kept
        const stale = await ask(A, 0x40, { ...base, tssNonce: base.tssNonce + 1 }).catch((e: unknown) => e);
        expect(isTkeyTssError(stale, 'SERVICE_STATE_MISMATCH'), String(stale)).toBe(true);
        expect(await stateA.presigs.count(acct!)).toBe(1);
        const recordBefore = (await storeA.stateGet(KIND_ACCOUNT, acct!))!;

        const outcomes = await Promise.allSettled([ask(A, 0x51), ask(B, 0x52)]);
        const won = outcomes.filter((o) => o.status === 'fulfilled') as PromiseFulfilledResult<Awaited<ReturnType<typeof ask>>>[];
        expect(won, outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'ok')).join('; ')).toHaveLength(1);
        const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
        expect(isTkeyTssError(lost.reason, 'NOT_FOUND'), String(lost.reason)).toBe(true);
        expect(nobleVerify(digest, won[0]!.value.signature, account.publicKey)).toBe(true);
        expect(await storeA.stateCount(KIND_PRESIG, acct! + SEP)).toBe(0);
        // the winner's device part and joint sid went in as rows with the take (one commit), the account record untouched; the loser registered nothing
        expect((await storeB.stateGet(KIND_ACCOUNT, acct!))!.version).toBe(recordBefore.version);
        const winner = outcomes[0]!.status === 'fulfilled' ? 0x51 : 0x52;
        expect(await storeB.stateGet(KIND_SID, sidKey(acct!, bytesToHex(won[0]!.value.sid)))).toBeDefined();
        expect(await storeB.stateGet(KIND_SID, sidKey(acct!, bytesToHex(new Uint8Array(32).fill(winner))))).toBeDefined();
        expect(await storeB.stateGet(KIND_SID, sidKey(acct!, bytesToHex(new Uint8Array(32).fill(0xa3 - winner))))).toBeUndefined();
        // the device signs on (a fresh presignature: the pool is empty)
        const sig = await account.sign({ message: utf8ToBytes('after the race'), hash: 'sha256' });
        expect(sig.presigned).toBe(false);
        expect(nobleVerify(sig.digest, sig.signature, account.publicKey)).toBe(true);
      } finally {
        await f.close();
      }
    }, 600_000);

    it('the sid registry as rows: one device part at two nodes at once signs once (SID_REUSED for the other, its half kept); a record with the old list keeps it checked, frozen, then dropped after the retention; rows pruned after it', async (ctx) => {
      const opener = await be.fresh();
      if (!opener) return ctx.skip(SKIP_NOTE);
      let t = Date.now();
      // each node its own in-process account lock: only the store's insert keeps a device part single-use across nodes
      const f = await twoNodes(opener, `sid-rows/${be.name}`, 2, () => t);
      const { pool, storeA, stateA, stateB, A, B, account, acct, ref, base } = f;
      try {
        const binding = { publicKey: account.publicKey, epoch: base.tssNonce, signers: [1, DEVICE], shift: new Uint8Array(32), profile: 'default' as const };
        const parties = [
          { id: 1, owns: [1] },
          { id: DEVICE, owns: [DEVICE] },
        ];
        const digest = sha256(utf8ToBytes('sid rows'));
        const part = (fill: number) => new Uint8Array(32).fill(fill);
        const ask = (n: ServiceParty, rec: { id: string; data: Uint8Array }, fill: number) => {
          const mine = startOnline({ presignature: Presignature.fromBytes(rec.data), digest, publicKey: base.commitments[0]!, epoch: base.tssNonce }, DEVICE, parties, part(fill));
          return n.signOnline(ref, { sid: part(fill), index: DEVICE, base, presignSid: hexToBytes(rec.id), digest, partials: [{ id: DEVICE, payload: mine.payload }] }).then((ans) => combineOnline(mine, ans.sid, [{ id: 1, payload: ans.partial }]));
        };
        const rows0 = await storeA.stateCount(KIND_SID, acct! + SEP); // keygen, aux, two presigns: a device part and a joint sid each
        expect(rows0).toBe(8);
        const halves = [await pool.take(binding), await pool.take(binding)];
        const outcomes = await Promise.allSettled([ask(A, halves[0]!, 0x61), ask(B, halves[1]!, 0x61)]);
        const won = outcomes.findIndex((o) => o.status === 'fulfilled');
        expect(outcomes.filter((o) => o.status === 'fulfilled'), outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'ok')).join('; ')).toHaveLength(1);
        const lost = outcomes[1 - won] as PromiseRejectedResult;
        expect(isTkeyTssError(lost.reason, 'SID_REUSED'), String(lost.reason)).toBe(true);
        expect(await storeA.stateCount(KIND_PRESIG, acct! + SEP), "the refused sign's half is kept").toBe(1);
        expect(await storeA.stateCount(KIND_SID, acct! + SEP)).toBe(rows0 + 2); // the winner's part and joint sid
        // the kept half signs under a fresh part
        const again = await ask([A, B][1 - won]!, halves[1 - won]!, 0x62);
        expect(nobleVerify(digest, again.signature, account.publicKey)).toBe(true);

        // a record written before the rows: its list (device part 0x71, joint sid 0x72) stays checked
        const old = (await stateA.shares.get(acct!))!;
        old.sids = { seq: old.sids!.seq, recent: [{ device: bytesToHex(part(0x71)), sid: bytesToHex(part(0x72)) }] };
        await stateA.shares.put(acct!, old);
        expect(await account.presign(2)).toBe(2); // its record write freezes the list
        expect((await stateB.shares.get(acct!))!.sids).toMatchObject({ recent: [{ device: bytesToHex(part(0x71)) }], frozenAt: t });
        for (const fill of [0x71, 0x72]) {
          const half = await pool.take(binding);
          await expect(ask(B, half, fill)).rejects.toMatchObject({ code: 'SID_REUSED' });
          expect(nobleVerify(digest, (await ask(B, half, fill + 0x10)).signature, account.publicKey)).toBe(true);
        }
        // after the retention: the next record write drops the list, a sign prunes the rows registered before
        t += SID_RETENTION_MS + 1000;
        const rowsBefore = await storeA.stateCount(KIND_SID, acct! + SEP);
        expect(await account.presign(1)).toBe(1);
        expect((await stateA.shares.get(acct!))!.sids!.recent).toEqual([]);
        expect((await stateA.shares.get(acct!))!.sids!.frozenAt).toBeUndefined();
        expect(nobleVerify(digest, (await ask(A, await pool.take(binding), 0x71)).signature, account.publicKey)).toBe(true);
        for (let i = 0; i < 100 && (await storeA.stateCount(KIND_SID, acct! + SEP)) !== 4; i++) await new Promise((r) => setTimeout(r, 20));
        expect(rowsBefore).toBeGreaterThan(4);
        expect(await storeA.stateCount(KIND_SID, acct! + SEP), 'only the rows of the last presign and sign are left').toBe(4);
      } finally {
        await f.close();
      }
    }, 600_000);
  });
}
