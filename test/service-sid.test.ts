/**
 * Issue 9 item 2 (service side): every session the co-signing service takes part in runs under a
 * JOINT sid (the device's part, a fresh service part, the account's durable counter), recorded in
 * the service's share store before the session runs; a reused device part is refused with
 * SID_REUSED (no participant, store unchanged), also after a restart and over the bus RPC. A seeded
 * service — even two instances with the same seed and the same store — cannot be made to draw the
 * same nonces twice.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex } from '../src/bytes.js';
import { mulG, pointToBytes, scalarFromBytes } from '../src/curve.js';
import { isTkeyTssError } from '../src/errors.js';
import { seededRng } from '../src/rng.js';
import { DEFAULT_TSS_TAG } from '../src/tss/tss-tag.js';
import { connectLink, LinkServer, memoryPair } from '../src/bus/index.js';
import { TssAccount } from '../src/client/account.js';
import { BusPartyTransport } from '../src/client/bus-transport.js';
import { readCheckpoint } from '../src/client/checkpoint.js';
import { connectService, serveService } from '../src/client/service-rpc.js';
import { MemoryServiceShareStore, ServiceParty, type ServiceConnection } from '../src/client/service-party.js';
import { assertFreshSid, jointSid, registerSid, SID_WINDOW, type SidRegistry } from '../src/client/service-sid.js';
import { SimulatorTransport } from '../src/client/transport.js';
import { keygen, type KeygenOutput } from '../protocols/keygen/index.js';
import type { Message } from '../protocols/types.js';
import { encodePayload } from '../protocols/wire.js';
import { accountEnv, deviceAux, durableMetadata, expectCode, POSTBOX, SERVICE_KEY, serviceAux } from './helpers/account.js';

const part = (k: number) => new Uint8Array(32).fill(k);
const P = (id: number, ...owns: number[]) => ({ id, owns });

async function snapshot(shares: MemoryServiceShareStore): Promise<string> {
  const out: unknown[] = [];
  for (const k of (await shares.accounts()).sort()) out.push([k, await shares.get(k)]);
  return JSON.stringify(out, (_k, v: unknown) => (v instanceof Uint8Array ? bytesToHex(v) : typeof v === 'bigint' ? v.toString(16) : v));
}

describe('joint sids: pure parts', () => {
  it('the sid binds every input; the registry refuses a seen part or sid, keeps a bounded window and a counter', () => {
    const base = { kind: 'presign' as const, account: 'acct', context: 'e0', seq: 3, device: part(1), service: part(2) };
    const sid = bytesToHex(jointSid(base));
    for (const over of [{ kind: 'sign' as const }, { account: 'other' }, { context: 'e1' }, { seq: 4 }, { device: part(3) }, { service: part(4) }])
      expect(bytesToHex(jointSid({ ...base, ...over })), JSON.stringify(Object.keys(over))).not.toBe(sid);
    expect(() => jointSid({ ...base, device: new Uint8Array(16) })).toThrow(/INVALID_LENGTH|INVALID_ARGUMENT/);

    let reg: SidRegistry | undefined;
    reg = registerSid(reg, part(1), jointSid(base));
    expect(reg.seq).toBe(1);
    expect(() => registerSid(reg, part(1), jointSid({ ...base, service: part(9) }))).toThrow(/SID_REUSED/);
    expect(() => assertFreshSid(reg, jointSid(base))).toThrow(/SID_REUSED/); // a device sending the joint sid as its part
    for (let k = 0; k < SID_WINDOW + 10; k++) reg = registerSid(reg, jointSid({ ...base, seq: 1000 + k }), jointSid({ ...base, seq: 5000 + k }));
    expect(reg!.recent).toHaveLength(SID_WINDOW);
    expect(reg!.seq).toBe(SID_WINDOW + 11);
  });
});

describe('joint sids at the service (in process)', () => {
  it('sessions run under the joint sid; a replayed device part is refused, before and after a restart', async () => {
    const env = accountEnv('sid');
    const { account } = await TssAccount.create({ ...env.opts('create'), aux: deviceAux(1) });
    const m = await durableMetadata(env.storage);
    const ref = { metadataPub: m.pubKey.toBytes(true), tssTag: DEFAULT_TSS_TAG };
    const key = (await env.shares.accounts())[0]!;
    const rec = (await env.shares.get(key))!;
    expect(rec.sids!.seq).toBe(2); // keygen (recorded with its staged share) and aux
    const k = scalarFromBytes(SERVICE_KEY);
    const base = (await readCheckpoint(env.storage, k, mulG(k), m.pubKey, DEFAULT_TSS_TAG))!;
    const deviceN = rec.aux!.find((g) => g.index === 2)!.parties.find((p) => p.id === 2)!.N;

    const a = await env.service.presignParticipant(ref, { sid: part(0x41), index: 2, base, deviceN });
    expect(a.session.sid).toHaveLength(32);
    expect(bytesToHex(a.session.sid)).not.toBe(bytesToHex(part(0x41))); // the device does not choose it
    expect(a.session.threshold).toBe(2);
    expect(a.session.parties).toEqual([P(1, 1), P(2, 2)]);
    const before = await snapshot(env.shares);
    await expectCode(env.service.presignParticipant(ref, { sid: part(0x41), index: 2, base, deviceN }), 'SID_REUSED');
    await expectCode(env.service.signParticipant(ref, { sid: part(0x41), index: 2, base, presignSid: a.session.sid, digest: part(5) }), 'NOT_FOUND'); // never ran
    await expectCode(env.service.auxParticipant(ref, { sid: part(0x41), index: 2 }), 'SID_REUSED');
    await expectCode(env.service.refreshParticipant(ref, { sid: part(0x41), parties: [P(1, 1), P(2, 2, 3)], threshold: 2, base, dealers: [{ party: 1, indices: [1] }, { party: 2, indices: [2] }] }), 'SID_REUSED');
    expect(await snapshot(env.shares), 'refusals store nothing').toBe(before);
    const b = await env.service.presignParticipant(ref, { sid: part(0x42), index: 2, base, deviceN });
    expect(bytesToHex(b.session.sid)).not.toBe(bytesToHex(a.session.sid));

    // a restarted service with the SAME seed over the same store: the registry is durable
    const again = new ServiceParty({ identityKey: SERVICE_KEY, storage: env.storage, shares: env.shares, rng: seededRng('sid/service'), aux: serviceAux() });
    await expectCode(again.auxParticipant(ref, { sid: part(0x41), index: 2 }), 'SID_REUSED');
    await expectCode(again.auxParticipant(ref, { sid: part(0x42), index: 2 }), 'SID_REUSED');
    const c = await again.auxParticipant(ref, { sid: part(0x43), index: 2 });
    const seen = [a, b].map((x) => bytesToHex(x.session.sid));
    expect(seen).not.toContain(bytesToHex(c.session.sid));
    expect((await env.shares.get(key))!.sids!.recent.map((e) => e.sid)).toEqual(expect.arrayContaining([...seen, bytesToHex(c.session.sid)]));

    // the honest flow still signs (fresh parts every time)
    const sig = await account.sign({ personalMessage: 'joint sids' });
    expect(sig.publicKey).toHaveLength(33);
  }, 300_000);

  it('a seeded service cannot be made to repeat a nonce: two instances, same seed, same store, same request', async () => {
    const env = accountEnv('sid-nonce');
    const fresh = { metadataPub: pointToBytes(mulG(777n), true), tssTag: DEFAULT_TSS_TAG };
    const req = { sid: part(0x77), parties: [P(1, 1), P(2, 2, 3)], threshold: 2 };
    /** Run the keygen with a replaying device (same seed every time); return the service's round-2 commitments S⃗_1 (its polynomial). */
    const run = async (svc: ServiceParty): Promise<string> => {
      const p = await svc.keygenParticipant(fresh, req);
      let S = '';
      const deliver = (msg: Message): Message => {
        if (msg.from === 1 && msg.round === 2 && msg.to === null) S = bytesToHex(encodePayload((msg.payload as { S: Uint8Array[] }).S));
        return msg;
      };
      const out: KeygenOutput[] = [];
      const dev = { id: 2, owns: [2, 3], input: {}, rng: seededRng('replaying-device'), finish: async (o: KeygenOutput) => void out.push(o) };
      await new SimulatorTransport({ deliver }).run({ protocol: keygen, sid: p.session.sid, threshold: 2, participants: [p, dev] });
      expect(out).toHaveLength(1);
      return S;
    };
    const storeCopy = new MemoryServiceShareStore();
    const s1 = await run(new ServiceParty({ identityKey: SERVICE_KEY, storage: env.storage, shares: storeCopy, rng: seededRng('same-seed'), aux: serviceAux() }));
    // the same request again, to a second instance with the same seed and an empty store (nothing to remember)
    const s2 = await run(new ServiceParty({ identityKey: SERVICE_KEY, storage: env.storage, shares: new MemoryServiceShareStore(), rng: seededRng('same-seed'), aux: serviceAux() }));
    expect(s1).not.toBe('');
    expect(s2).not.toBe(s1); // a fresh service part: another sid, so other per-round randomness
    // and the instance that staged the share remembers the device part
    await expectCode(new ServiceParty({ identityKey: SERVICE_KEY, storage: env.storage, shares: storeCopy, rng: seededRng('same-seed'), aux: serviceAux() }).keygenParticipant(fresh, req), 'SID_REUSED');
  }, 120_000);
});

describe('joint sids and policy over the bus RPC (in-process memory link)', () => {
  it('the device learns the joint sid from the answer; a replayed part and a t = 1 refresh are refused before any service session opens', async () => {
    const env = accountEnv('sid-rpc');
    const server = new LinkServer({ identityKey: new Uint8Array(32).fill(0x11) });
    const linkA = new Promise((res) => server.onLink(res));
    const pair = memoryPair();
    server.accept(pair.a);
    const linkB = connectLink(pair.b, { identityKey: new Uint8Array(32).fill(0x22), serverPub: server.self.publicKey });
    await linkA;
    const started: string[] = [];
    const errors: unknown[] = [];
    const stop = serveService(env.service, server, { stallMs: 60_000, onProgress: (_p, e) => e.phase === 'start' && e.round === 1 && started.push(e.protocol), onError: (e) => errors.push(e) });
    const conn = await connectService(linkB);
    // record the device parts the client sends
    const parts: Uint8Array[] = [];
    const spy = new Proxy(conn, {
      get(t, prop, r) {
        const v = Reflect.get(t, prop, r) as unknown;
        if (typeof v !== 'function') return v;
        return (acct: unknown, req: { sid?: Uint8Array }) => {
          if (req?.sid) parts.push(req.sid.slice());
          return (v as (a: unknown, b: unknown) => unknown).call(t, acct, req);
        };
      },
    }) as ServiceConnection;
    const opts = { storage: env.storage, postboxKey: POSTBOX, service: spy, transport: new BusPartyTransport({ stallMs: 60_000 }), rng: seededRng('sid-rpc/device') };
    try {
      const { account } = await TssAccount.create({ ...opts, aux: deviceAux(1) });
      const sig = await account.sign({ personalMessage: 'joint sids over the bus' });
      expect(sig.presigned).toBe(false);
      expect(started, 'the sign is one request (signOnline): no service session, its joint sid registered all the same').toEqual(['keygen', 'aux', 'presign']);
      const rec = (await env.shares.get((await env.shares.accounts())[0]!))!;
      const joint = rec.sids!.recent.map((e) => e.sid);
      expect(joint).toHaveLength(4);
      for (const p of parts) expect(joint).not.toContain(bytesToHex(p)); // every session ran under a joint sid

      const m = await durableMetadata(env.storage);
      const ref = { metadataPub: m.pubKey.toBytes(true), tssTag: DEFAULT_TSS_TAG };
      const k = scalarFromBytes(SERVICE_KEY);
      const base = (await readCheckpoint(env.storage, k, mulG(k), m.pubKey, DEFAULT_TSS_TAG))!;
      const before = await snapshot(env.shares);
      const deviceN = rec.aux!.find((g) => g.index === 2)!.parties.find((p) => p.id === 2)!.N;
      const presignPart = parts[2]!; // keygen, aux, presign, sign
      const replay = await conn.presignParticipant(ref, { sid: presignPart, index: 2, base, deviceN }).catch((e: unknown) => e);
      expect(isTkeyTssError(replay, 'SID_REUSED'), String(replay)).toBe(true);
      const t1 = await conn.refreshParticipant(ref, { sid: part(0x99), parties: [P(1, 1), P(2, 2, 3)], threshold: 1, base, dealers: [{ party: 1, indices: [1] }, { party: 2, indices: [2] }] }).catch((e: unknown) => e);
      expect(isTkeyTssError(t1, 'POLICY_VIOLATION'), String(t1)).toBe(true);
      expect((t1 as { details?: { rule?: string } }).details?.rule).toBe('threshold-floor');
      await new Promise((r) => setTimeout(r, 200));
      expect(started, 'no service session opened').toEqual(['keygen', 'aux', 'presign']);
      expect(errors).toEqual([]);
      expect(await snapshot(env.shares)).toBe(before);
    } finally {
      stop();
      pair.disconnect();
    }
  }, 300_000);
});
