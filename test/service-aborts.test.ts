/**
 * Issue 9 item 5: the service remembers aborts. A device that makes the service's presign or sign
 * session abort (tamper rules on the DEVICE's messages, so the service's own checks blame it) gets
 * the account locked after `maxAborts` within the window: the record is durable (a new ServiceParty
 * over the same store sees it), every new session is refused with ACCOUNT_LOCKED before it runs
 * (also over the bus RPC, typed), and `clearAbortLock` re-enables it. Aborts the service did not
 * observe itself (the device's word), aborts blamed on the service, and aborts spread wider than
 * the window do not lock.
 */
import { describe, expect, it } from 'vitest';
import { modN } from '../src/curve.js';
import { bytesToNumberBE } from '../src/bytes.js';
import { connectLink, LinkServer, memoryPair, type Link } from '../src/bus/index.js';
import { TssAccount } from '../src/client/account.js';
import { BusPartyTransport } from '../src/client/bus-transport.js';
import { connectService, serveService } from '../src/client/service-rpc.js';
import { MemoryServiceShareStore, ServiceParty, type AbortPolicy, type AccountRef, type ServiceConnection, type ServiceSignOnlineRequest } from '../src/client/service-party.js';
import { SimulatorTransport } from '../src/client/transport.js';
import { withAbort, withCleared, emptyHistory, anAbortPolicy } from '../src/client/abort-record.js';
import { isTkeyTssError, ProtocolAbort, type TkeyTssError } from '../src/errors.js';
import { seededRng } from '../src/rng.js';
import { MemoryStorage } from '../src/storage/memory-store.js';
import { DEFAULT_TSS_TAG } from '../src/tss/tss-tag.js';
import type { Message, Payload } from '../protocols/types.js';
import { scalarBytes } from '../protocols/util.js';
import { deviceAux, expectCode, SERVICE_KEY, serviceAux } from './helpers/account.js';
import { POSTBOX } from './helpers/tkey.js';
import { bodyOf, flip } from './helpers/tamper.js';

type Obj = Record<string, Payload>;
const DEVICE = 2;
const MIN = 60_000;

/** How the device misbehaves (set per test step): which protocol's message it corrupts, if any. */
type Fault = null | 'presign' | 'sign' | 'sign-online' | 'service-presign';

/** The DEVICE's presign round-1 Πenc (to the service) or its sign round-1 σ_i, corrupted on the way. */
function corrupt(msg: Message, fault: Fault): Message {
  if (fault === 'presign' && msg.protocol === 'presign' && msg.from === DEVICE && msg.round === 1 && msg.to !== null) {
    const b = bodyOf(msg);
    b.psi0 = flip(b.psi0 as Uint8Array);
  }
  if (fault === 'sign' && msg.protocol === 'sign' && msg.from === DEVICE && msg.round === 1 && msg.to === null) {
    const b = bodyOf(msg);
    b.sigma = scalarBytes(modN(bytesToNumberBE(b.sigma as Uint8Array) + 1n));
  }
  // the SERVICE misbehaves: the device's session blames it; the service's own session never aborts
  if (fault === 'service-presign' && msg.protocol === 'presign' && msg.from === 1 && msg.round === 1 && msg.to !== null) {
    const b = bodyOf(msg);
    b.psi0 = flip(b.psi0 as Uint8Array);
  }
  return msg;
}

/** The device's σ_i in its combined sign request (`signOnline`), plus one. */
function corruptPartial(req: ServiceSignOnlineRequest): ServiceSignOnlineRequest {
  const partials = req.partials.map((p) => {
    const b = p.payload as Obj;
    return p.id === DEVICE ? { id: p.id, payload: { ...b, sigma: scalarBytes(modN(bytesToNumberBE(b.sigma as Uint8Array) + 1n)) } } : p;
  });
  return { ...req, partials };
}

function world(seed: string, policy: Partial<AbortPolicy> = { maxAborts: 3, windowMs: 10 * MIN }) {
  const storage = new MemoryStorage();
  const shares = new MemoryServiceShareStore();
  const clock = { t: 1_700_000_000_000 };
  const now = () => clock.t;
  const mkService = () => new ServiceParty({ identityKey: SERVICE_KEY, storage, shares, rng: seededRng(`${seed}/service`), aux: serviceAux(), now, abortPolicy: policy });
  const service = mkService();
  const state: { fault: Fault; sessions: string[]; sessionSign: boolean } = { fault: null, sessions: [], sessionSign: false };
  const transport = new SimulatorTransport({
    hooks: (party, protocol) => {
      if (party === 1) state.sessions.push(protocol); // one entry per session that runs
      return undefined;
    },
    deliver: (msg) => corrupt(msg, state.fault),
  });
  // the device's view of the service: its combined sign request corrupted on the way ('sign-online'),
  // or the service reached without `signOnline` (the sign runs as a bus session: `sessionSign`)
  const conn = (svc: ServiceParty): ServiceConnection =>
    new Proxy(svc, {
      get(t, k) {
        if (k === 'signOnline') {
          if (state.sessionSign) return undefined;
          return (account: AccountRef, req: ServiceSignOnlineRequest) => t.signOnline(account, state.fault === 'sign-online' ? corruptPartial(req) : req);
        }
        const v = Reflect.get(t, k, t) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    });
  const opts = (svc: ServiceParty = service, device = 'device') => ({ storage, postboxKey: POSTBOX, service: conn(svc), transport, rng: seededRng(`${seed}/${device}`), now });
  return { storage, shares, clock, service, mkService, state, opts };
}

const refOf = (a: TssAccount): AccountRef => ({ metadataPub: a.metadataPublicKey, tssTag: DEFAULT_TSS_TAG });

async function abortOf(p: Promise<unknown>): Promise<ProtocolAbort> {
  const e = await p.then(
    () => expect.fail('expected an abort'),
    (x: unknown) => x,
  );
  expect(e, String(e)).toBeInstanceOf(ProtocolAbort);
  return e as ProtocolAbort;
}

async function lockedError(p: Promise<unknown>): Promise<TkeyTssError> {
  const e = await p.then(
    () => expect.fail('expected ACCOUNT_LOCKED'),
    (x: unknown) => x,
  );
  expect(isTkeyTssError(e, 'ACCOUNT_LOCKED'), String(e)).toBe(true);
  return e as TkeyTssError;
}

describe('the service remembers aborts (simulator transport)', () => {
  it('presign aborts blamed on the device lock the account; durable; nothing runs; clearAbortLock re-enables', async () => {
    const w = world('aborts-presign');
    const { account, deviceFactor } = await TssAccount.create({ ...w.opts(), aux: deviceAux(1) });
    const ref = refOf(account);
    expect(await w.service.abortRecord(ref)).toBeNull();

    w.state.fault = 'presign';
    for (let k = 0; k < 3; k++) {
      w.clock.t += MIN;
      const a = await abortOf(account.sign({ personalMessage: `try ${k}` }));
      expect(a.culprits).toEqual([DEVICE]);
      const rec = (await w.service.abortRecord(ref))!;
      expect(rec.entries).toHaveLength(k + 1);
      expect(rec.entries[k]).toEqual({ at: w.clock.t, protocol: 'presign', reason: a.reason, round: 1, culprits: [DEVICE] });
      expect(rec.lock === null).toBe(k < 2);
    }
    const locked = (await w.service.abortRecord(ref))!.lock;
    expect(locked).toEqual({ culprit: DEVICE, count: 3, since: w.clock.t });

    // every new session of the account is refused before it runs, however well the device behaves now
    w.state.fault = null;
    const before = w.state.sessions.length;
    const e = await lockedError(account.sign({ personalMessage: 'locked' }));
    expect(e.kind).toBe('InvalidInput');
    expect(e.details).toEqual({ culprit: DEVICE, count: 3, since: locked!.since });
    await lockedError(account.presign(1));
    await lockedError(account.setupAux(deviceAux(2)));
    const nonce = account.tssNonce;
    await lockedError(account.refresh());
    expect(account.tssNonce).toBe(nonce);
    expect(w.state.sessions.length, 'no session ran').toBe(before);
    expect(await account.presignPool.count({ publicKey: account.publicKey, epoch: nonce, signers: [1, DEVICE], shift: new Uint8Array(32), profile: 'default' })).toBe(0);

    // durable: a new ServiceParty over the same store (a restart) still refuses
    const restarted = w.mkService();
    expect((await restarted.abortRecord(ref))!.lock).toEqual(locked);
    const again = await TssAccount.login(w.opts(restarted, 'device-2'), deviceFactor); // login (finalize) is not a session: allowed
    await lockedError(again.sign({ personalMessage: 'after restart' }));
    await lockedError(restarted.signParticipant(ref, { sid: new Uint8Array(32), index: DEVICE, base: { tssTag: DEFAULT_TSS_TAG, tssNonce: 0, commitments: [] }, presignSid: new Uint8Array(32), digest: new Uint8Array(32) }));
    expect(w.state.sessions.length, 'no session ran').toBe(before);

    // the operator clears it (recorded); signing works again
    w.clock.t += MIN;
    expect(await restarted.clearAbortLock(ref)).toEqual(locked);
    const rec = (await restarted.abortRecord(ref))!;
    expect(rec.lock).toBeNull();
    expect(rec.clears).toEqual([{ at: w.clock.t, lock: locked }]);
    expect(rec.entries).toHaveLength(3);
    // (the restarted party has no ring-Pedersen parameters until an aux session: sign through the first one, same store)
    const sig = await account.sign({ personalMessage: 'cleared' });
    expect(sig.publicKey).toEqual(account.publicKey);
    expect(await restarted.clearAbortLock(ref)).toBeNull(); // nothing to clear

    // aborts before the clear never count again: one more abort does not re-lock
    w.state.fault = 'presign';
    w.clock.t += MIN;
    await abortOf(account.sign({ personalMessage: 'one more' }));
    expect((await restarted.abortRecord(ref))!.entries).toHaveLength(4);
    expect((await restarted.abortRecord(ref))!.lock).toBeNull();
  });

  for (const path of ['a bus session (signParticipant)', 'the combined request (signOnline)'] as const)
    it(`sign aborts blamed on the device lock the account too: ${path}`, async () => {
      const online = path.includes('signOnline');
      const w = world(online ? 'aborts-sign-online' : 'aborts-sign', { maxAborts: 2, windowMs: 10 * MIN });
      w.state.sessionSign = !online;
      const { account } = await TssAccount.create({ ...w.opts(), aux: deviceAux(1) });
      await account.presign(1);
      w.state.fault = online ? 'sign-online' : 'sign';
      w.state.sessions = [];
      for (let k = 0; k < 2; k++) {
        w.clock.t += 1000;
        const a = await abortOf(account.sign({ personalMessage: `sign ${k}` }));
        expect(a.culprits).toEqual([DEVICE]);
        expect(a.reason).toBe('PARTIAL_SIGNATURE_INVALID');
      }
      // the combined request opens no session at all; the session path runs one per sign (+ one presign for the second: the pooled half burned)
      if (online) expect(w.state.sessions.filter((p) => p === 'sign')).toEqual([]);
      else expect(w.state.sessions.filter((p) => p === 'sign')).toHaveLength(2);
      const rec = (await w.service.abortRecord(refOf(account)))!;
      expect(rec.entries.map((e) => [e.protocol, e.round, e.culprits])).toEqual([
        ['sign', 1, [DEVICE]],
        ['sign', 1, [DEVICE]],
      ]);
      expect(rec.lock).toEqual({ culprit: DEVICE, count: 2, since: w.clock.t });
      w.state.fault = null;
      const e = await lockedError(account.sign({ personalMessage: 'locked' }));
      expect(e.message).toMatch(/locked .* after 2 aborted sessions blamed on party 2/);
    });

  it('aborts outside the window, and aborts the service did not observe itself, do not lock', async () => {
    const w = world('aborts-window', { maxAborts: 2, windowMs: 5 * MIN });
    const { account } = await TssAccount.create({ ...w.opts(), aux: deviceAux(1) });
    const ref = refOf(account);
    // the SERVICE misbehaves: the device's session aborts blaming it; the service records nothing (never the device's word)
    w.state.fault = 'service-presign';
    for (let k = 0; k < 2; k++) expect((await abortOf(account.sign({ personalMessage: `svc ${k}` }))).culprits).toEqual([1]);
    expect(await w.service.abortRecord(ref)).toBeNull();
    // device aborts spaced wider than the window
    w.state.fault = 'presign';
    for (let k = 0; k < 3; k++) {
      w.clock.t += 6 * MIN;
      await abortOf(account.sign({ personalMessage: `slow ${k}` }));
    }
    let rec = (await w.service.abortRecord(ref))!;
    expect(rec.entries).toHaveLength(3);
    expect(rec.lock).toBeNull();
    w.state.fault = null;
    await account.sign({ personalMessage: 'still open' });
    // two inside the window: locked
    w.state.fault = 'presign';
    w.clock.t += 4 * MIN;
    await abortOf(account.sign({ personalMessage: 'fast' }));
    rec = (await w.service.abortRecord(ref))!;
    expect(rec.lock).toEqual({ culprit: DEVICE, count: 2, since: w.clock.t });
  });
});

describe('abort policy (abort-record.ts)', () => {
  const policy = anAbortPolicy({ maxAborts: 2, windowMs: 100 });
  const entry = (at: number, culprits: number[]) => ({ at, protocol: 'presign', reason: 'RP_EQUATION', round: 1, culprits });

  it('aborts blamed on the service itself or on nobody never lock; another party does', () => {
    let h = emptyHistory();
    for (let t = 1; t <= 5; t++) h = withAbort(h, entry(t, [1]), policy, 1);
    for (let t = 6; t <= 9; t++) h = withAbort(h, entry(t, []), policy, 1);
    expect(h.lock).toBeNull();
    h = withAbort(h, entry(10, [1, 3]), policy, 1);
    expect(h.lock).toBeNull();
    h = withAbort(h, entry(11, [3]), policy, 1);
    expect(h.lock).toEqual({ culprit: 3, count: 2, since: 11 });
    // a lock does not expire with the window; a clear ends it and older aborts stop counting
    h = withAbort(h, entry(500, [2]), policy, 1);
    expect(h.lock).toEqual({ culprit: 3, count: 2, since: 11 });
    h = withCleared(h, 501);
    expect(h.lock).toBeNull();
    h = withAbort(h, entry(502, [2]), policy, 1);
    expect(h.lock).toBeNull();
  });

  it('the history is bounded; bad policies are refused', () => {
    let h = emptyHistory();
    for (let t = 0; t < 200; t++) h = withAbort(h, entry(t * 1000, [2]), policy, 1);
    expect(h.entries).toHaveLength(64);
    expect(h.entries.at(-1)!.at).toBe(199_000);
    expect(() => anAbortPolicy({ maxAborts: 0 })).toThrow(/OUT_OF_RANGE/);
    expect(() => anAbortPolicy({ windowMs: 1.5 })).toThrow(/INVALID_ARGUMENT/);
    expect(() => new ServiceParty({ identityKey: SERVICE_KEY, storage: new MemoryStorage(), shares: new MemoryServiceShareStore(), rng: seededRng('p'), abortPolicy: { maxAborts: 1000 } })).toThrow(/OUT_OF_RANGE/);
    expect(anAbortPolicy(undefined)).toEqual({ maxAborts: 3, windowMs: 24 * 60 * MIN });
  });
});

describe('the service remembers aborts (bus RPC)', () => {
  it('aborts the service observed over the bus lock the account; ACCOUNT_LOCKED reaches the device typed', async () => {
    const w = world('aborts-bus', { maxAborts: 2, windowMs: 10 * MIN });
    const { deviceFactor } = await TssAccount.create({ ...w.opts(), aux: deviceAux(1) });

    // the service on its own node, the device on another; the device corrupts its presign Πenc on the way out
    const p = memoryPair();
    const server = new LinkServer({ identityKey: SERVICE_KEY });
    const linkA = new Promise<Link>((res) => server.onLink(res));
    server.accept(p.a);
    const linkB = connectLink(p.b, { identityKey: new Uint8Array(32).fill(0x22), serverPub: server.self.publicKey });
    const stop = serveService(w.service, await linkA);
    const send = linkB.send.bind(linkB);
    let fault = true;
    linkB.send = (env) => {
      if (fault && env.protocol === 'presign' && env.round === 1 && env.to === 1) {
        const payload = structuredClone(env.payload) as unknown as Obj;
        const b = ('echo' in payload && 'body' in payload ? payload.body : payload) as Obj;
        b.psi0 = flip(b.psi0 as Uint8Array);
        return send({ ...env, payload: payload as unknown as typeof env.payload });
      }
      return send(env);
    };
    try {
      const svc = await connectService(linkB);
      const account = await TssAccount.login({ storage: w.storage, postboxKey: POSTBOX, service: svc, transport: new BusPartyTransport({ stallMs: 20_000 }), rng: seededRng('aborts-bus/device2') }, deviceFactor);
      for (let k = 0; k < 2; k++) {
        w.clock.t += 1000;
        const a = await abortOf(account.sign({ personalMessage: `bus ${k}` }));
        expect(a.culprits).toEqual([DEVICE]);
      }
      fault = false;
      const e = await lockedError(account.sign({ personalMessage: 'locked over the bus' }));
      expect(e.kind).toBe('InvalidInput');
      expect(e.details).toEqual({ culprit: DEVICE, count: 2, since: w.clock.t });
      const rec = (await w.service.abortRecord(refOf(account)))!;
      expect(rec.entries.map((x) => x.protocol)).toEqual(['presign', 'presign']);
      await w.service.clearAbortLock(refOf(account));
      const sig = await account.sign({ personalMessage: 'cleared' });
      expect(sig.publicKey).toEqual(account.publicKey);
    } finally {
      stop();
      p.disconnect();
    }
  }, 120_000);
});

it('a lock refuses keygen, aux, presign and sign at the ServiceParty itself', async () => {
  const w = world('aborts-direct', { maxAborts: 1, windowMs: MIN });
  const { account } = await TssAccount.create({ ...w.opts(), aux: deviceAux(1) });
  w.state.fault = 'presign';
  await abortOf(account.sign({ personalMessage: 'once' }));
  const ref = refOf(account);
  await expectCode(w.service.keygenParticipant(ref, { sid: new Uint8Array(32), parties: [{ id: 1, owns: [1] }, { id: 2, owns: [2, 3] }], threshold: 2 }), 'ACCOUNT_LOCKED');
  await expectCode(w.service.auxParticipant(ref, { sid: new Uint8Array(32), index: 2 }), 'ACCOUNT_LOCKED');
  await expectCode(w.service.presignParticipant(ref, { sid: new Uint8Array(32), index: 2, base: { tssTag: DEFAULT_TSS_TAG, tssNonce: account.tssNonce, commitments: [] }, deviceN: 5n }), 'ACCOUNT_LOCKED');
  // another account of the same service is not affected
  expect(await w.service.abortRecord({ metadataPub: w.service.identityPub, tssTag: DEFAULT_TSS_TAG })).toBeNull();
});
