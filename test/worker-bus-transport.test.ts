/**
 * Issue 13 item 2: `WorkerBusPartyTransport` — the device's rounds in a worker while the thread
 * holding the bus link only relays frames (`runSessions` with a session whose steps are
 * asynchronous). Two nodes over a memory link: the service (party 1) on this thread through
 * `BusPartyTransport`, the device (party 2) in a Node worker. keygen → presign → sign verify; no
 * Session of the device is ever created on this thread; frames duplicated and reordered; an abort
 * raised in the worker reaches the device's `aborted` and the service; a refused input tells the
 * service at once.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { utf8ToBytes } from '../src/bytes.js';
import { memoryPair, type FrameTransport } from '../src/bus/index.js';
import { BusPartyTransport, remoteParticipant } from '../src/client/bus-transport.js';
import type { Participant } from '../src/client/transport.js';
import { isTkeyTssError, ProtocolAbort } from '../src/errors.js';
import { sha256 } from '../src/hash.js';
import { cryptoRng } from '../src/rng.js';
import { keygen, type KeygenInput, type KeygenOutput } from '../protocols/keygen/index.js';
import { presign, type PresignInput, type PresignOutput } from '../protocols/presign/index.js';
import type { ProgressEvent } from '../protocols/session.js';
import { Session } from '../protocols/session.js';
import { sign, type SignInput, type SignOutput } from '../protocols/sign/index.js';
import { WorkerBusPartyTransport } from '../workers/bus-transport.js';
import { createNodePartyHost } from '../workers/node.js';
import type { PartyHost } from '../workers/party-host.js';
import { auxFixtures } from './helpers/aux-fixtures.js';
import { duplicateAndReorder, linkedNodes } from './helpers/bus-links.js';
import { nobleVerify } from './helpers/verify-signature.js';

const KEY_A = new Uint8Array(32).fill(0x31);
const KEY_B = new Uint8Array(32).fill(0x42);
const digest = sha256(utf8ToBytes('device rounds in a worker'));

const nodes = (ta: FrameTransport, tb: FrameTransport) => linkedNodes(ta, tb, { keyA: KEY_A, keyB: KEY_B });

function local<I, O>(id: number, input: I, sink: Map<number, O>, aborted?: (e: ProtocolAbort) => Promise<void>): Participant<I, O> {
  return { id, owns: [id], input, rng: cryptoRng, finish: async (o) => void sink.set(id, o), ...(aborted ? { aborted } : {}) };
}

describe('WorkerBusPartyTransport: the device party in a worker over the bus', () => {
  let host: PartyHost;
  const aux = auxFixtures([1, 2]);
  beforeAll(async () => {
    host = await createNodePartyHost();
  });
  afterAll(async () => {
    await host.terminate();
  });

  it('keygen, presign, sign: the device rounds run in the worker (no device Session on this thread), frames duplicated and reordered; the signature verifies', async () => {
    const p = memoryPair({ fault: duplicateAndReorder() });
    const { a, b } = nodes(p.a, p.b);
    const linkA = await a;
    const service = new BusPartyTransport({ stallMs: 30_000, resendMs: 300 });
    const events: ProgressEvent[] = [];
    const device = new WorkerBusPartyTransport([host], { stallMs: 30_000, resendMs: 300, onProgress: (id, e) => id === 2 && events.push(e) });
    const created = vi.spyOn(Session, 'create');
    try {
      const run = async <I, O>(protocol: unknown, inputs: [I, I]): Promise<Map<number, O>> => {
        const out = new Map<number, O>();
        const sid = cryptoRng.bytes(32);
        const plan = (parts: Participant<I, O>[]) => ({ protocol: protocol as never, sid, threshold: 2, participants: parts });
        await Promise.all([
          service.run(plan([local(1, inputs[0], out), remoteParticipant<I, O>(linkA, 2, [2])])),
          device.run(plan([remoteParticipant<I, O>(b, 1, [1]), local(2, inputs[1], out)])),
        ]);
        return out;
      };
      const key = await run<KeygenInput, KeygenOutput>(keygen, [{}, {}]);
      expect(key.get(2)!.publicKey).toEqual(key.get(1)!.publicKey);
      const pin = (id: number): PresignInput => {
        const o = key.get(id)!;
        return { publicKey: o.publicKey, epoch: o.epoch, publicShares: o.publicShares, share: o.shares.export(id), aux: aux.get(id)! };
      };
      const pre = await run<PresignInput, PresignOutput>(presign, [pin(1), pin(2)]);
      const sin = (id: number): SignInput => ({ presignature: pre.get(id)!.presignature, digest, publicKey: pre.get(id)!.publicKey, epoch: pre.get(id)!.epoch });
      const sig = await run<SignInput, SignOutput>(sign, [sin(1), sin(2)]);
      const s1 = sig.get(1)!;
      expect(sig.get(2)!.r).toEqual(s1.r);
      expect(sig.get(2)!.s).toEqual(s1.s);
      expect(nobleVerify(digest, s1.signature, s1.publicKey)).toBe(true);
      // every device session was created in the worker: on this thread only the service's (party 1)
      const selves = created.mock.calls.map((c) => (c[1] as { self: number }).self);
      expect(selves).toEqual([1, 1, 1]);
      // the worker's progress events arrived: every round of the three protocols, rounds in order
      expect(events.filter((e) => e.phase === 'end').map((e) => `${e.protocol}/${e.round}`)).toEqual(expect.arrayContaining(['keygen/1', 'presign/1', 'sign/1']));
    } finally {
      created.mockRestore();
      linkA.close();
      b.close();
    }
  }, 120_000);

  it('an abort raised in the worker: the device participant is told (aborted), both runs end with the same ProtocolAbort', async () => {
    const p = memoryPair();
    const { a, b } = nodes(p.a, p.b);
    const linkA = await a;
    const out = new Map<number, KeygenOutput>();
    const own: ProtocolAbort[] = [];
    const sid = cryptoRng.bytes(32);
    // the device runs t = 1 (stated), the service t = 2: the configuration check aborts
    const rs = new BusPartyTransport({ stallMs: 20_000 }).run({ protocol: keygen, sid, threshold: 2, participants: [local(1, {}, out), remoteParticipant(linkA, 2, [2])] });
    const rd = new WorkerBusPartyTransport([host], { stallMs: 20_000 }).run({
      protocol: keygen,
      sid,
      threshold: 1,
      participants: [remoteParticipant(b, 1, [1]), local(2, { allowThresholdOne: true }, out, async (e) => void own.push(e))],
    });
    const [s, d] = await Promise.allSettled([rs, rd]);
    expect(s.status).toBe('rejected');
    expect(d.status).toBe('rejected');
    const ds = (d as PromiseRejectedResult).reason;
    const ss = (s as PromiseRejectedResult).reason;
    expect(ds).toBeInstanceOf(ProtocolAbort);
    expect(ss).toBeInstanceOf(ProtocolAbort);
    expect((ds as ProtocolAbort).reason).toBe((ss as ProtocolAbort).reason);
    // whichever side saw it first: if the device's own round raised it, its owner heard of it
    if (own.length) expect(own[0]!.reason).toBe((ds as ProtocolAbort).reason);
    expect(out.size).toBe(0);
    linkA.close();
    b.close();
  }, 60_000);

  it('a device session the worker refuses: typed error here, and the service run ends at once (BUS_REMOTE_ERROR naming the device), no stall', async () => {
    const p = memoryPair();
    const { a, b } = nodes(p.a, p.b);
    const linkA = await a;
    await b.whenReady();
    const out = new Map<number, KeygenOutput>();
    const sid = cryptoRng.bytes(32);
    const t0 = Date.now();
    const rs = new BusPartyTransport({ stallMs: 30_000 }).run({ protocol: keygen, sid, threshold: 2, participants: [local(1, {}, out), remoteParticipant(linkA, 2, [2])] });
    // more than the share indices: refused by the worker's Session.create before anything is sent
    const rd = new WorkerBusPartyTransport([host], { stallMs: 30_000 }).run({ protocol: keygen, sid, threshold: 5, participants: [remoteParticipant(b, 1, [1]), local(2, {}, out)] });
    const [s, d] = await Promise.allSettled([rs, rd]);
    expect(isTkeyTssError((d as PromiseRejectedResult).reason, 'OUT_OF_RANGE'), String((d as PromiseRejectedResult).reason)).toBe(true);
    const es = (s as PromiseRejectedResult).reason;
    expect(isTkeyTssError(es, 'BUS_REMOTE_ERROR'), String(es)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(10_000);
    linkA.close();
    b.close();
  }, 60_000);

  it('refuses bad arguments with typed errors', () => {
    expect(() => new WorkerBusPartyTransport([])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new WorkerBusPartyTransport([host]).abandon(new Error('x') as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
