/**
 * The session layer over transports (src/bus/session-link.ts + src/client/bus-transport.ts +
 * src/client/service-rpc.ts): two nodes, each running only its own party of a plan. Duplicates
 * and reordering, a reconnection (resend of the last rounds), a stalled peer named in
 * SESSION_STALLED, an abort reported across the link, refused frames named, MessagePort (Node and
 * browser shape) and WebSocket transports, RPC errors with their codes; new channel keys on every
 * connection (a frame of an old connection does not open, the old keys are wiped), handshake and
 * control frames with extra keys refused.
 */
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { bytesToHex, utf8ToBytes } from '../src/bytes.js';
import { connectLink, CTL_PROTOCOL, decodePayload, encodePayload, Link, LinkServer, type WirePayload, memoryPair, MessagePortTransport, type FrameTransport, type PortLike } from '../src/bus/index.js';
import { connectLinkNode, listenLinks } from '../src/bus/ws-node.js';
import { BusPartyTransport, remoteParticipant } from '../src/client/bus-transport.js';
import { connectService, serveService } from '../src/client/service-rpc.js';
import { MemoryServiceShareStore, ServiceParty } from '../src/client/service-party.js';
import { isTkeyTssError, ProtocolAbort, type TkeyTssError } from '../src/errors.js';
import { seededRng } from '../src/rng.js';
import { MemoryStorage } from '../src/storage/memory-store.js';
import { keygen, type KeygenInput, type KeygenOutput } from '../protocols/keygen/index.js';
import type { Participant } from '../src/client/transport.js';
import { duplicateAndReorder, linkedNodes } from './helpers/bus-links.js';

const KEY_A = new Uint8Array(32).fill(0x11);
const KEY_B = new Uint8Array(32).fill(0x22);

/** Node A (server side, party 1) and node B (client side, party 2) over two transports. */
const nodes = (ta: FrameTransport, tb: FrameTransport, refusedA: TkeyTssError[] = []) => linkedNodes(ta, tb, { keyA: KEY_A, keyB: KEY_B, refusedA });

/** Both parties of a 2-of-2 keygen, each on its own node, each over its own BusPartyTransport. */
async function keygenAcross(linkA: Link, linkB: Link, opts: { stallMs?: number; resendMs?: number; thresholdB?: number; skipB?: boolean; sid?: Uint8Array } = {}) {
  const sid = opts.sid ?? utf8ToBytes(`kg-${Math.random()}`);
  const out = new Map<number, KeygenOutput>();
  // a t = 1 run (a deliberate config mismatch) states it: keygen refuses t = 1 otherwise
  const input = (id: number): KeygenInput => (id === 2 && opts.thresholdB === 1 ? { allowThresholdOne: true } : {});
  const local = (id: number): Participant<KeygenInput, KeygenOutput> => ({ id, owns: [id], input: input(id), rng: seededRng(`kg/${id}`), finish: async (o) => void out.set(id, o) });
  const t = { stallMs: opts.stallMs ?? 20_000, resendMs: opts.resendMs ?? 60_000 };
  const runA = new BusPartyTransport(t).run({ protocol: keygen, sid, threshold: 2, participants: [local(1), remoteParticipant(linkA, 2, [2])] });
  const runB = opts.skipB ? Promise.resolve() : new BusPartyTransport(t).run({ protocol: keygen, sid, threshold: opts.thresholdB ?? 2, participants: [remoteParticipant(linkB, 1, [1]), local(2)] });
  const [ra, rb] = await Promise.allSettled([runA, runB]);
  return { ra, rb, out };
}

const tick = (ms = 20): Promise<void> => new Promise((r) => setTimeout(r, ms));
const closed = expect.objectContaining({ code: 'BUS_CLOSED' });

/** A decoded map, or null. */
function asMap(f: Uint8Array): Record<string, WirePayload> | null {
  try {
    const v = decodePayload(f);
    return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) ? (v as Record<string, WirePayload>) : null;
  } catch {
    return null;
  }
}

function expectKeys(out: Map<number, KeygenOutput>): void {
  expect(out.size).toBe(2);
  expect(bytesToHex(out.get(1)!.publicKey)).toBe(bytesToHex(out.get(2)!.publicKey));
}

describe('bus session layer', () => {
  it('keygen across two nodes over memory with every frame duplicated and reordered', async () => {
    const p = memoryPair({ fault: duplicateAndReorder() });
    const refused: TkeyTssError[] = [];
    const { a, b } = nodes(p.a, p.b, refused);
    const { ra, rb, out } = await keygenAcross(await a, b, { resendMs: 200 });
    expect(ra.status, String((ra as PromiseRejectedResult).reason)).toBe('fulfilled');
    expect(rb.status, String((rb as PromiseRejectedResult).reason)).toBe('fulfilled');
    expectKeys(out);
    // the duplicated frames were refused by the channel as replays, naming the sender
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.filter((e) => !(isTkeyTssError(e, 'BUS_REPLAY') && typeof e.details!.sender === 'number')).map((e) => e.message)).toEqual([]);
  });

  it('a connection lost mid-session: the last rounds are resent after the reconnection', async () => {
    const p = memoryPair();
    const { a, b } = nodes(p.a, p.b);
    const linkA = await a;
    await b.whenReady();
    let cut = false;
    linkA.subscribe(utf8ToBytes('never'), () => undefined);
    // cut right after the first session frame leaves A; frames sent while down are lost
    const origSend = linkA.send.bind(linkA);
    linkA.send = (env) => {
      const r = origSend(env);
      if (!cut && env.protocol === 'keygen') {
        cut = true;
        p.disconnect();
        setTimeout(() => p.reconnect(), 100);
      }
      return r;
    };
    const { ra, rb, out } = await keygenAcross(linkA, b, { resendMs: 60_000 }); // no idle resend: only the reconnection helps
    expect(cut).toBe(true);
    expect(ra.status, String((ra as PromiseRejectedResult).reason)).toBe('fulfilled');
    expect(rb.status, String((rb as PromiseRejectedResult).reason)).toBe('fulfilled');
    expectKeys(out);
  });

  it('a peer that never runs its side: SESSION_STALLED naming it', async () => {
    const p = memoryPair();
    const { a, b } = nodes(p.a, p.b);
    const { ra } = await keygenAcross(await a, b, { stallMs: 300, skipB: true });
    expect(ra.status).toBe('rejected');
    const e = (ra as PromiseRejectedResult).reason as TkeyTssError;
    expect(isTkeyTssError(e, 'SESSION_STALLED')).toBe(true);
    expect(e.details!.stalled).toEqual([2]);
    expect(e.message).toContain('party 2');
  });

  it('an abort on one node ends the run on the other with the same reason and culprits', async () => {
    const p = memoryPair();
    const { a, b } = nodes(p.a, p.b);
    const { ra, rb } = await keygenAcross(await a, b, { thresholdB: 1 });
    expect(ra.status).toBe('rejected');
    expect(rb.status).toBe('rejected');
    const ea = (ra as PromiseRejectedResult).reason as ProtocolAbort;
    const eb = (rb as PromiseRejectedResult).reason as ProtocolAbort;
    expect(ea).toBeInstanceOf(ProtocolAbort);
    expect(eb).toBeInstanceOf(ProtocolAbort);
    expect(ea.reason).toBe('CONFIG_MISMATCH');
    expect(eb.reason).toBe('CONFIG_MISMATCH');
  });

  it('a party whose session cannot be created tells the peer, which ends at once (no stall)', async () => {
    const p = memoryPair();
    const { a, b } = nodes(p.a, p.b);
    const linkA = await a;
    await b.whenReady();
    const sid = utf8ToBytes('bad-input');
    const t0 = Date.now();
    const runA = new BusPartyTransport({ stallMs: 20_000 }).run({
      protocol: keygen,
      sid,
      threshold: 2,
      participants: [{ id: 1, owns: [1], input: {}, rng: seededRng('a'), finish: async () => undefined }, remoteParticipant(linkA, 2, [2])],
    });
    const runB = new BusPartyTransport().run({
      protocol: keygen,
      sid,
      threshold: 5, // more than the share indices: refused before anything is sent
      participants: [remoteParticipant(b, 1, [1]), { id: 2, owns: [2], input: {}, rng: seededRng('b'), finish: async () => undefined }],
    });
    const [ra, rb] = await Promise.allSettled([runA, runB]);
    expect(isTkeyTssError((rb as PromiseRejectedResult).reason, 'OUT_OF_RANGE')).toBe(true);
    const ea = (ra as PromiseRejectedResult).reason;
    expect(isTkeyTssError(ea, 'BUS_REMOTE_ERROR'), String(ea)).toBe(true);
    expect((ea as TkeyTssError).details!.party).toBe(2);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('forged and replayed frames injected into the link are refused naming the sender; the session completes', async () => {
    const p = memoryPair();
    const refused: TkeyTssError[] = [];
    const { a, b } = nodes(p.a, p.b, refused);
    const linkA = await a;
    await b.whenReady();
    // a frame sealed by B for another session, captured and replayed twice; and one sealed by a stranger
    const frame = b.sealForTest({ sid: utf8ToBytes('x'), protocol: 'keygen', round: 1, from: 2, to: 1, payload: { a: 1 } });
    p.inject('a', frame);
    p.inject('a', frame);
    const m = decodePayload(frame) as Record<string, WirePayload>;
    const body = (m.body as Uint8Array).slice();
    body[0]! ^= 0x40;
    p.inject('a', encodePayload({ ...m, body, n: 99 }));
    const { ra, rb, out } = await keygenAcross(linkA, b);
    expect(ra.status).toBe('fulfilled');
    expect(rb.status).toBe('fulfilled');
    expectKeys(out);
    expect(refused.map((e) => e.code).sort()).toEqual(['BUS_AUTH_FAILED', 'BUS_REPLAY']);
    expect(refused.every((e) => e.details!.sender === 2)).toBe(true);
    // counted by reason on the link
    expect(linkA.stats.get('auth-failed')).toBe(1);
    expect(linkA.stats.get('replay')).toBe(1);
  });

  it('every connection has its own keys: while down the old ones are wiped; a frame of the old connection is refused on the new one (BUS_AUTH_FAILED, not delivered)', async () => {
    const p = memoryPair();
    const refused: TkeyTssError[] = [];
    const { a, b } = nodes(p.a, p.b, refused);
    const linkA = await a;
    await b.whenReady();
    const sid = utf8ToBytes('two-connections');
    const env = { sid, protocol: 'keygen', round: 1, from: 2, to: 1, payload: { a: 1 } };
    const old = b.sealForTest(env);
    const oldBc = b.sealForTest({ ...env, to: null });
    const conn1 = bytesToHex(b.connectionSid!);
    p.disconnect();
    expect(() => b.sealForTest(env)).toThrow(closed);
    expect(() => linkA.sealForTest(env)).toThrow(closed);
    p.reconnect();
    await b.whenReady();
    await linkA.whenReady();
    expect(bytesToHex(b.connectionSid!)).not.toBe(conn1);
    const seen: unknown[] = [];
    linkA.subscribe(sid, (e) => seen.push(e.payload));
    p.inject('a', old);
    p.inject('a', oldBc);
    await tick();
    expect(seen).toEqual([]);
    expect(refused.map((e) => e.code)).toEqual(['BUS_AUTH_FAILED', 'BUS_AUTH_FAILED']);
    expect(refused.every((e) => e.details!.sender === 2)).toBe(true);
    expect(linkA.stats.get('auth-failed')).toBe(2);
    // the same envelope sealed on the new connection is delivered
    expect(b.send(env)).toBe(true);
    await tick();
    expect(seen).toEqual([{ a: 1 }]);
  });

  it('handshake frames with an extra key are refused (BUS_FRAME_INVALID) and the connection never comes up', async () => {
    for (const hs of [1, 2, 3]) {
      // the frame of kind `hs` gets a `polluted` key on its way
      const p = memoryPair({ fault: (f) => [asMap(f)?.hs === hs ? encodePayload({ ...asMap(f)!, polluted: 1 }) : f] });
      const refusedA: TkeyTssError[] = [];
      const refusedB: TkeyTssError[] = [];
      const server = new LinkServer({ identityKey: KEY_A, onRefused: (e) => refusedA.push(e) });
      server.accept(p.a);
      const b = connectLink(p.b, { identityKey: KEY_B, serverPub: server.self.publicKey, onRefused: (e) => refusedB.push(e) });
      await tick(50);
      if (hs < 3) expect(server.links.length, `hs${hs}`).toBe(0); // the server never accepted the client
      expect(b.isReady, `hs${hs}`).toBe(false);
      const codes = [...refusedA, ...refusedB].map((e) => e.code);
      expect(codes, `hs${hs}`).toEqual(['BUS_FRAME_INVALID']);
      // counted where it was refused: hs2 by the server, hs1 and hs3 by the client
      expect([server.stats.get('handshake-invalid'), b.stats.get('handshake-invalid')], `hs${hs}`).toEqual(hs === 2 ? [1, 0] : [0, 1]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      b.close();
      server.close();
    }
  });

  it('bus control payloads with extra keys are refused naming the party (not taken as an abort or a done); the session completes', async () => {
    const p = memoryPair();
    const refused: TkeyTssError[] = [];
    const { a, b } = nodes(p.a, p.b, refused);
    const linkA = await a;
    await b.whenReady();
    const sid = utf8ToBytes('ctl-strict');
    const ctl = (payload: WirePayload) => b.send({ sid, protocol: CTL_PROTOCOL, round: 0, from: 0, to: 0, payload });
    ctl({ culprits: [1], party: 2, polluted: 1, reason: 'CONFIG_MISMATCH', round: 1, t: 'abort' });
    ctl({ constructor: 1, party: 2, t: 'done' });
    const { ra, rb, out } = await keygenAcross(linkA, b, { sid });
    expect(ra.status, String((ra as PromiseRejectedResult).reason)).toBe('fulfilled');
    expect(rb.status, String((rb as PromiseRejectedResult).reason)).toBe('fulfilled');
    expectKeys(out);
    expect(refused.map((e) => e.code)).toEqual(['BUS_FRAME_INVALID', 'BUS_FRAME_INVALID']);
    expect(refused.every((e) => e.details!.sender === 2)).toBe(true);
    expect(linkA.stats.get('frame-invalid')).toBe(2);
  });

  it('a handshake signed by another identity than expected is refused (BUS_AUTH_FAILED) and counted as auth-failed', async () => {
    const p = memoryPair();
    const refusedB: TkeyTssError[] = [];
    const server = new LinkServer({ identityKey: KEY_A });
    server.accept(p.a);
    const b = connectLink(p.b, { identityKey: KEY_B, serverPub: new Link({ identityKey: new Uint8Array(32).fill(0x33) }).self.publicKey, onRefused: (e) => refusedB.push(e) });
    await tick(50);
    expect(b.isReady).toBe(false);
    expect(refusedB.map((e) => e.code)).toEqual(['BUS_AUTH_FAILED']);
    expect(b.stats.get('auth-failed')).toBe(1);
    expect(server.links).toHaveLength(0);
    b.close();
    server.close();
  });

  it('MessagePort: Node worker_threads ports and browser-shaped ports (addEventListener)', async () => {
    const ch = new MessageChannel();
    const browserShaped = (port: MessagePort): PortLike => ({
      postMessage: (v, t) => port.postMessage(v, t as never),
      addEventListener: (type, fn) => port.addEventListener(type, fn as never),
      removeEventListener: (type, fn) => port.removeEventListener(type, fn as never),
      start: () => port.start(),
    });
    const ta = new MessagePortTransport(ch.port1);
    const tb = new MessagePortTransport(browserShaped(ch.port2 as unknown as MessagePort));
    const { a, b } = nodes(ta, tb);
    const { ra, rb, out } = await keygenAcross(await a, b);
    expect(ra.status).toBe('fulfilled');
    expect(rb.status).toBe('fulfilled');
    expectKeys(out);
    ta.close();
    tb.close();
    ch.port1.close();
  });

  it('WebSocket on 127.0.0.1: a dropped connection re-dials and the session completes; RPC errors keep their code', async () => {
    const server = await listenLinks({ identityKey: KEY_A });
    try {
      expect(server.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
      const linkA = new Promise<Link>((res) => server.links.onLink(res));
      const { link: linkB, transport } = connectLinkNode(server.url, { identityKey: KEY_B, serverPub: server.links.self.publicKey, retryMs: 50 });
      await linkB.whenReady();
      let dropped = false;
      const origSend = linkB.send.bind(linkB);
      linkB.send = (env) => {
        const r = origSend(env);
        if (!dropped && env.protocol === 'keygen' && env.round === 2) {
          dropped = true;
          transport.drop();
        }
        return r;
      };
      const { ra, rb, out } = await keygenAcross(await linkA, linkB, { stallMs: 5_000 });
      expect(dropped).toBe(true);
      expect(ra.status, String((ra as PromiseRejectedResult).reason)).toBe('fulfilled');
      expect(rb.status, String((rb as PromiseRejectedResult).reason)).toBe('fulfilled');
      expectKeys(out);

      // RPC: the service's typed errors come back with their code and class
      const party = new ServiceParty({ identityKey: KEY_A, storage: new MemoryStorage(), shares: new MemoryServiceShareStore(), rng: seededRng('svc') });
      const stop = serveService(party, server.links);
      const svc = await connectService(linkB);
      expect(bytesToHex(svc.identityPub)).toBe(bytesToHex(party.identityPub));
      const err = await svc.finalize({ metadataPub: new Uint8Array(33).fill(7), tssTag: 'default' }).catch((e: unknown) => e);
      expect(isTkeyTssError(err, 'INVALID_POINT'), String(err)).toBe(true);
      const none = await svc.signParticipant({ metadataPub: party.identityPub, tssTag: 'default' }, { sid: new Uint8Array(32), index: 2, base: { tssTag: 'default', tssNonce: 0, commitments: [] }, presignSid: new Uint8Array(32), digest: new Uint8Array(32) }).catch((e: unknown) => e);
      expect(isTkeyTssError(none, 'NOT_FOUND'), String(none)).toBe(true);
      stop();
      transport.close();
    } finally {
      await server.close();
    }
  });
});
