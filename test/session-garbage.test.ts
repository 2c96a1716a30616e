/**
 * A stranger cannot abort an honest session (issue 16 item 3). Garbage nobody can be blamed for — a
 * `null`, array, string, number or byte-string message, an envelope whose sender is 0, −1, 2^53, a
 * string, NaN, self or no party at all — is dropped and counted, and the honest parties finish with
 * a correct output; in memory (`simulate`, with and without the wire codec) and over the bus
 * session layer. Misbehaviour attributable to a party of the session still aborts naming it: in
 * memory a well-formed envelope from a real party id, over the bus a frame on that party's
 * authenticated link.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, utf8ToBytes } from '../src/bytes.js';
import { connectLink, encodePayload, type FrameTransport, Link, LinkServer, memoryPair } from '../src/bus/index.js';
import { BusPartyTransport, remoteParticipant } from '../src/client/bus-transport.js';
import type { Participant } from '../src/client/transport.js';
import { ProtocolAbort, type TkeyTssError } from '../src/errors.js';
import { sha256 } from '../src/hash.js';
import { seededRng } from '../src/rng.js';
import { keygen, type KeygenOutput } from '../protocols/keygen/index.js';
import type { PresignOutput } from '../protocols/presign/index.js';
import { Session } from '../protocols/session.js';
import type { SimResult } from '../protocols/simulate.js';
import type { Message, PartySpec } from '../protocols/types.js';
import { runPresign, runSign } from './helpers/signing.js';
import { allShares, interpolatesTo, runKeygen } from './helpers/simulate.js';
import { opensslVerify } from './helpers/verify-signature.js';

const P = (id: number, ...owns: number[]): PartySpec => ({ id, owns: owns.length ? owns : [id] });
const THREE = [P(1), P(2), P(3)];

/** Every kind of unattributable garbage, shaped after the real message `m` on its way to `to`. */
function junk(m: Message, to: number): unknown[] {
  return [
    null,
    [m],
    'garbage',
    42,
    new Uint8Array([0x93, 1, 2, 3]),
    {},
    { ...m, from: 0 },
    { ...m, from: -1 },
    { ...m, from: 2 ** 53 },
    { ...m, from: String(m.from) },
    { ...m, from: Number.NaN },
    { ...m, from: to }, // "from" the recipient itself
    { ...m, from: 99 }, // a stranger's id
  ];
}

/** `inject` that adds `junk` before every delivery and counts what each party got. */
function garbage() {
  const count = new Map<number, number>();
  return {
    count,
    inject: (m: Message, to: number) => {
      const j = junk(m, to);
      count.set(to, (count.get(to) ?? 0) + j.length);
      return j;
    },
  };
}

function expectClean<O>(r: SimResult<O>, ids: number[], injected: Map<number, number>): void {
  expect([...r.aborts.entries()].map(([id, e]) => `${id}: ${e.message}`)).toEqual([]);
  expect(r.stalled).toEqual([]);
  expect([...r.outputs.keys()].sort()).toEqual(ids);
  for (const id of ids) {
    expect(injected.get(id)).toBeGreaterThan(0);
    expect(r.dropped.get(id)).toBe(injected.get(id)); // every piece of garbage dropped and counted, nothing else
  }
}

describe('in memory: unattributable garbage is dropped, the session ends correctly', () => {
  for (const wire of [true, false]) {
    it(`keygen 2-of-3 (echo broadcast on), wire codec ${wire ? 'on' : 'off'}`, () => {
      const g = garbage();
      const r = runKeygen(THREE, 2, `garbage/kg/${wire}`, { wire, inject: g.inject });
      expectClean(r, [1, 2, 3], g.count);
      const outs = [...r.outputs.values()];
      expect(new Set(outs.map((o) => bytesToHex(o.publicKey))).size).toBe(1);
      expect(interpolatesTo([...allShares(outs)].slice(0, 2).map(([x, y]) => ({ x, y })), outs[0]!.publicKey)).toBe(true);
    });
  }

  it('presign 2-of-2 and sign: the signature verifies (OpenSSL)', () => {
    const key = [...runKeygen([P(1), P(2)], 2, 'garbage/key').outputs.values()] as KeygenOutput[];
    const g = garbage();
    const pre = runPresign(key, [1, 2], { seed: 'garbage/ps', extra: { inject: g.inject } });
    expectClean(pre, [1, 2], g.count);
    const message = utf8ToBytes('garbage never aborts');
    const g2 = garbage();
    const sg = runSign(pre.outputs as Map<number, PresignOutput>, sha256(message), { extra: { inject: g2.inject, wire: false } });
    expectClean(sg, [1, 2], g2.count);
    expect(opensslVerify(message, sg.outputs.get(1)!.signature, key[0]!.publicKey)).toBe(true);
  });

  it('the counters are exposed per reason, in progress events, and kept across snapshot/resume', () => {
    const mk = (id: number, onDrop?: (reason: string) => void) => Session.create(keygen, { sid: utf8ToBytes('counters'), self: id, parties: THREE.slice(0, 2), threshold: 2 }, {}, { rng: seededRng(`c/${id}`), ...(onDrop ? { onDrop } : {}) });
    const seen: string[] = [];
    const ends: (number | undefined)[] = [];
    let a = mk(1, (reason) => seen.push(reason));
    const b = mk(2);
    const toB = a.start();
    const toA = b.start();
    expect(a.receive(null as never)).toEqual([]);
    expect(a.receiveWire(new Uint8Array([0xc1]))).toEqual([]);
    expect(a.receive({ ...toA[0]!, from: 0 })).toEqual([]);
    expect(seen).toEqual(['NOT_AN_ENVELOPE', 'NOT_AN_ENVELOPE', 'UNKNOWN_SENDER']);
    a = Session.resume(keygen, a.snapshot(), { rng: seededRng('c/1'), onProgress: (e) => e.phase === 'end' && ends.push(e.dropped) });
    expect(a.dropped).toEqual({ total: 3, byReason: { NOT_AN_ENVELOPE: 2, UNKNOWN_SENDER: 1 } });
    expect(a.receive({ ...toA[0]!, from: 'x' as never })).toEqual([]);
    const q = [...toA.flatMap((m) => a.receive(m)), ...toB.flatMap((m) => b.receive(m))];
    while (q.length) {
      const m = q.shift()!;
      q.push(...(m.from === 1 ? b : a).receive(m));
    }
    expect(a.status).toBe('done');
    expect(ends.length).toBeGreaterThan(0);
    expect(ends.every((d) => d === 4)).toBe(true);
    expect(JSON.parse(JSON.stringify(a)).dropped).toBe(4);
  });
});

describe('in memory: misbehaviour attributable to a party still aborts naming it', () => {
  /** Inject `fn(m)` once, before the first message from `from` to party `to`. */
  const once = (from: number, to: number, fn: (m: Message) => unknown) => {
    let done = false;
    return (m: Message, t: number) => {
      if (done || t !== to || m.from !== from) return [];
      done = true;
      return [fn(m)];
    };
  };

  it('keygen: a well-formed envelope from party 3 for a round two ahead, another session, another protocol, another payload', () => {
    const cases: [string, (m: Message) => unknown, string][] = [
      ['round', (m) => ({ ...m, round: 3 }), 'WRONG_ROUND'],
      ['sid', (m) => ({ ...m, sid: utf8ToBytes('another session') }), 'WRONG_SID'],
      ['protocol', (m) => ({ ...m, protocol: 'refresh' }), 'WRONG_PROTOCOL'],
      ['payload', (m) => ({ ...m, payload: 'not a map' }), 'MALFORMED_MESSAGE'],
    ];
    for (const [name, fn, reason] of cases) {
      const r = runKeygen(THREE, 2, `garbage/blame/${name}`, { inject: once(3, 1, fn) });
      const e = r.aborts.get(1);
      expect(e, name).toBeInstanceOf(ProtocolAbort);
      expect([e!.reason, [...e!.culprits]], name).toEqual([reason, [3]]);
    }
  });

  it('presign: an envelope from party 2 carrying another sid aborts naming 2', () => {
    const key = [...runKeygen([P(1), P(2)], 2, 'garbage/key2').outputs.values()] as KeygenOutput[];
    const r = runPresign(key, [1, 2], { seed: 'garbage/ps-blame', extra: { inject: once(2, 1, (m) => ({ ...m, sid: utf8ToBytes('x') })) } });
    expect([r.aborts.get(1)!.reason, [...r.aborts.get(1)!.culprits]]).toEqual(['WRONG_SID', [2]]);
    expect(r.outputs.size).toBe(0);
  });
});

describe('over the bus session layer', () => {
  const KEY_A = new Uint8Array(32).fill(0x31);
  const KEY_B = new Uint8Array(32).fill(0x32);

  function nodes(ta: FrameTransport, tb: FrameTransport, refusedA: TkeyTssError[]): { a: Promise<Link>; b: Link } {
    const server = new LinkServer({ identityKey: KEY_A, onRefused: (e) => refusedA.push(e) });
    const a = new Promise<Link>((res) => server.onLink(res));
    server.accept(ta);
    return { a, b: connectLink(tb, { identityKey: KEY_B, serverPub: server.self.publicKey }) };
  }

  /** Node A runs party 1, node B party 2; `onFirst(sid)` runs once, right after B's first keygen frame. */
  async function across(onFirst: (sid: Uint8Array, send: (env: Message) => boolean) => void) {
    const p = memoryPair();
    const refused: TkeyTssError[] = [];
    const { a, b } = nodes(p.a, p.b, refused);
    const linkA = await a;
    await b.whenReady();
    const sid = utf8ToBytes(`bus-garbage-${Math.random()}`);
    const orig = b.send.bind(b);
    let first = true;
    b.send = (env) => {
      const r = orig(env);
      if (first && env.protocol === 'keygen') {
        first = false;
        onFirst(sid, orig);
        // raw frames that are no sealed envelope at all: a null, an array, a string
        for (const v of [null, [1, 2], 'garbage']) p.inject('a', encodePayload(v));
      }
      return r;
    };
    const out = new Map<number, KeygenOutput>();
    const local = (id: number): Participant<Record<string, never>, KeygenOutput> => ({ id, owns: [id], input: {}, rng: seededRng(`bus/${id}`), finish: async (o) => void out.set(id, o) });
    const dropped: string[] = [];
    const runA = new BusPartyTransport({ stallMs: 20_000, resendMs: 500, onDrop: (d) => dropped.push(d) }).run({ protocol: keygen, sid, threshold: 2, participants: [local(1), remoteParticipant(linkA, 2, [2])] });
    const runB = new BusPartyTransport({ stallMs: 20_000, resendMs: 500 }).run({ protocol: keygen, sid, threshold: 2, participants: [remoteParticipant(b, 1, [1]), local(2)] });
    const [ra, rb] = await Promise.allSettled([runA, runB]);
    linkA.close();
    b.close();
    return { ra, rb, out, dropped, refused };
  }

  it("frames on B's authenticated link claiming a sender that does not live there are dropped and counted; the keygen completes", async () => {
    const { ra, rb, out, dropped, refused } = await across((sid, send) => {
      const env = (from: number, to: number | null = null): Message => ({ sid, protocol: 'keygen', round: 1, from, to, payload: { V: new Uint8Array(32) } });
      send(env(0));
      send(env(7));
      send(env(1)); // A's own party, claimed by B's link
      send(env(0, 1)); // p2p
      send({ sid, protocol: 'bus/ctl', round: 0, from: 0, to: 0, payload: { t: 'done', party: 7 } });
      send({ sid, protocol: 'bus/ctl', round: 0, from: 0, to: 0, payload: { t: 'abort', party: 1, reason: 'WRONG_SID', round: 1, culprits: [2] } }); // a forged abort "from" A's party
      // below the session layer the channel refuses senders it cannot even represent (−1, a string)
      send(env(-1));
      send({ ...env(0), from: 'x' as never });
    });
    expect(ra.status, String((ra as PromiseRejectedResult).reason)).toBe('fulfilled');
    expect(rb.status, String((rb as PromiseRejectedResult).reason)).toBe('fulfilled');
    expect(bytesToHex(out.get(1)!.publicKey)).toBe(bytesToHex(out.get(2)!.publicKey));
    expect(dropped.length).toBe(6);
    expect(refused.map((e) => e.code)).toEqual(['BUS_FRAME_INVALID', 'BUS_FRAME_INVALID', 'BUS_FRAME_INVALID', 'BUS_FRAME_INVALID', 'BUS_FRAME_INVALID']);
  });

  it("a malformed frame from B's own party is B's misbehaviour: both nodes end with the abort naming party 2", async () => {
    const { ra, rb } = await across((sid, send) => {
      send({ sid, protocol: 'keygen', round: 9, from: 2, to: null, payload: {} });
    });
    for (const r of [ra, rb]) {
      expect(r.status).toBe('rejected');
      const e = (r as PromiseRejectedResult).reason as ProtocolAbort;
      expect(e).toBeInstanceOf(ProtocolAbort);
      expect([e.reason, [...e.culprits]]).toEqual(['WRONG_ROUND', [2]]);
    }
  });
});
