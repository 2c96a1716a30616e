/**
 * No unbounded work before authentication (issue 16, item 2): the msgpack pre-pass refuses
 * oversized, over-counted, over-deep and truncated input before msgpackr decodes anything; per-kind
 * frame caps (handshake, control, protocol) at the link server and links; established links decode
 * each frame once; byte caps on the buffer of not-yet-attached sessions (per link and per server)
 * and on early messages in `runSessions`; refusals counted by reason. Timing goals live in
 * `bench/bus.bench.ts` (`bus/refuse-amplification`), not here.
 */
import { Unpackr } from 'msgpackr';
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { utf8ToBytes } from '../src/bytes.js';
import {
  connectLink,
  decodePayload,
  encodePayload,
  ClientHandshake,
  FRAME_VERSION,
  HANDSHAKE_LIMITS,
  handshakeKind,
  Identity,
  isHandshake,
  Link,
  LinkServer,
  MAX_CONTROL_FRAME,
  MAX_FRAME_DEPTH,
  MAX_FRAME_ELEMENTS,
  MAX_FRAME_STRING,
  MAX_HANDSHAKE_FRAME,
  MAX_PROTOCOL_FRAME,
  memoryPair,
  runSessions,
  SecureChannel,
  ServerHandshake,
  UNCLAIMED_PEER_BYTES,
  RefusalStats,
  UNCLAIMED_PEER_COUNT,
  type Envelope,
  type FrameTransport,
} from '../src/bus/index.js';
import { UnclaimedBuffer } from '../src/bus/unclaimed-buffer.js';
import { listenLinks } from '../src/bus/ws-node.js';
import { isTkeyTssError, type TkeyTssError } from '../src/errors.js';
import { seededRng } from '../src/rng.js';
import { keygen } from '../protocols/keygen/index.js';
import { Session } from '../protocols/session.js';

const KEY_A = new Uint8Array(32).fill(0x11);
const KEY_B = new Uint8Array(32).fill(0x22);

/** The input: array32 header with count = (size − 5), then count × 0x80 (empty maps). */
function amplification(size: number): Uint8Array {
  const b = new Uint8Array(size).fill(0x80);
  b[0] = 0xdd;
  new DataView(b.buffer).setUint32(1, size - 5);
  return b;
}

function thrown(fn: () => unknown): TkeyTssError {
  try {
    fn();
  } catch (e) {
    if (isTkeyTssError(e)) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

/** Calls of msgpackr's decoder while `fn` runs. */
async function unpackCalls(fn: () => unknown): Promise<number> {
  const spy = vi.spyOn(Unpackr.prototype, 'unpack');
  try {
    await fn();
    return spy.mock.calls.length;
  } finally {
    spy.mockRestore();
  }
}

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/** A's channel with B, as one connection's handshake hands it over (the frames opened here never authenticate anyway). */
function channelAB(): SecureChannel {
  const sh = new ServerHandshake(new Identity(KEY_A), { rng: seededRng('limits/a') });
  const ch = ClientHandshake.answer(new Identity(KEY_B), sh.challenge, { rng: seededRng('limits/b') });
  return sh.verify(ch.answer).channel;
}

/** A hand-made hs2 of the current version (its signature does not verify: only its shape and size matter). */
const fakeHs2 = (extra: Record<string, Uint8Array> = {}) => encodePayload({ e: new Uint8Array(33).fill(2), hs: 2, ...extra, pub: new Uint8Array(33).fill(2), sig: new Uint8Array(64), v: FRAME_VERSION });

function serverAndClient(opts: { server?: ConstructorParameters<typeof LinkServer>[0]; clientKey?: Uint8Array; pair?: ReturnType<typeof memoryPair> } = {}) {
  const refused: TkeyTssError[] = [];
  const server = new LinkServer({ identityKey: KEY_A, onRefused: (e) => refused.push(e), ...opts.server });
  const links: Link[] = [];
  server.onLink((l) => links.push(l));
  const p = opts.pair ?? memoryPair();
  server.accept(p.a);
  const b = connectLink(p.b, { identityKey: opts.clientKey ?? KEY_B, serverPub: server.self.publicKey });
  return { server, refused, links, p, b };
}

afterEach(() => vi.restoreAllMocks());

describe('msgpack pre-pass (decodePayload)', () => {
  it("the issue's amplification input (4 MiB: 0xdd, count, count × 0x80) is refused as BUS_FRAME_TOO_LARGE without decoding or growing the heap", async () => {
    const amp = amplification(4 * 1024 * 1024);
    expect(new DataView(amp.buffer).getUint32(1)).toBe(4_194_299);
    const before = process.memoryUsage().heapUsed;
    let e: TkeyTssError | undefined;
    const calls = await unpackCalls(() => {
      for (let i = 0; i < 20; i++) e = thrown(() => decodePayload(amp));
    });
    const grown = process.memoryUsage().heapUsed - before;
    expect(e!.code).toBe('BUS_FRAME_TOO_LARGE');
    expect(e!.details).toMatchObject({ limit: 'bytes', max: MAX_PROTOCOL_FRAME, actual: amp.length });
    expect(calls).toBe(0);
    expect(grown).toBeLessThan(16 * 1024 * 1024);
    // and on every pre-authentication path the issue names: the channel, the handshake router and
    // each of the three handshake verifiers (server: hs2; client: hs1, hs3), none of them unpacking
    const ch = channelAB();
    const sh = new ServerHandshake(new Identity(KEY_A));
    const cli = ClientHandshake.answer(new Identity(KEY_B), new ServerHandshake(new Identity(KEY_A)).challenge);
    const paths = await unpackCalls(() => {
      expect(thrown(() => ch.open(amp)).code).toBe('BUS_FRAME_TOO_LARGE');
      expect(isHandshake(amp)).toBe(false);
      expect(handshakeKind(amp)).toBeNull();
      const refusals = [thrown(() => sh.verify(amp)), thrown(() => ClientHandshake.answer(new Identity(KEY_B), amp)), thrown(() => cli.finish(amp))];
      for (const e of refusals) expect(e.details).toMatchObject({ limit: 'bytes', max: MAX_HANDSHAKE_FRAME, kind: 'handshake' });
      expect(refusals.map((e) => e.code)).toEqual(['BUS_FRAME_TOO_LARGE', 'BUS_FRAME_TOO_LARGE', 'BUS_FRAME_TOO_LARGE']);
    });
    expect(paths).toBe(0);
    expect(sh.wiped && cli.wiped).toBe(true); // a refused hello still wipes the ephemeral
  });

  it('the same pattern under the byte cap is refused by the element budget at its header', async () => {
    const amp = amplification(MAX_PROTOCOL_FRAME);
    const before = process.memoryUsage().heapUsed;
    let e: TkeyTssError | undefined;
    const calls = await unpackCalls(() => void (e = thrown(() => decodePayload(amp))));
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(16 * 1024 * 1024);
    expect(calls).toBe(0);
    expect(e!.code).toBe('BUS_FRAME_TOO_LARGE');
    expect(e!.details).toMatchObject({ limit: 'elements', max: MAX_FRAME_ELEMENTS, offset: 0 });
    // the budget is exact: root + (MAX_FRAME_ELEMENTS − 1) values pass, one more is refused
    const nils = (n: number) => encodePayload(Array.from({ length: n }, () => null));
    expect((decodePayload(nils(MAX_FRAME_ELEMENTS - 1)) as unknown[]).length).toBe(MAX_FRAME_ELEMENTS - 1);
    expect(thrown(() => decodePayload(nils(MAX_FRAME_ELEMENTS))).details).toMatchObject({ limit: 'elements' });
    // nested declarations count as soon as they are declared
    const nested = encodePayload(Array.from({ length: 64 }, () => Array.from({ length: 64 }, () => 0)));
    expect(thrown(() => decodePayload(nested)).details).toMatchObject({ limit: 'elements' });
  });

  it('deep nesting is refused before decoding (BUS_FRAME_TOO_LARGE, limit depth), also far beyond the stack', async () => {
    const deep = (levels: number) => {
      const b = new Uint8Array(levels + 1).fill(0x91); // [[[…]]]
      b[levels] = 0xc0;
      return b;
    };
    let calls = await unpackCalls(() => void expect(thrown(() => decodePayload(deep(MAX_FRAME_DEPTH + 1))).details).toMatchObject({ limit: 'depth', max: MAX_FRAME_DEPTH }));
    expect(calls).toBe(0);
    calls = await unpackCalls(() => void expect(thrown(() => decodePayload(deep(500_000))).details).toMatchObject({ limit: 'depth' }));
    expect(calls).toBe(0);
    // the deepest legal payload still decodes
    expect(decodePayload(deep(MAX_FRAME_DEPTH))).toBeTruthy();
    // maps nest too
    const maps = new Uint8Array(3 * 40 + 1);
    for (let i = 0; i < 40; i++) maps.set([0x81, 0xa1, 0x61], 3 * i);
    maps[maps.length - 1] = 0xc0;
    expect(thrown(() => decodePayload(maps)).details).toMatchObject({ limit: 'depth' });
  });

  it('safe integers ≥ 2^32 (msgpackr writes them as float64) pass the scanner and round-trip; a float64 that is no integer is refused', () => {
    for (const v of [2 ** 32, 1_796_461_139_168, Number.MAX_SAFE_INTEGER, -(2 ** 40)]) {
      const b = encodePayload({ since: v });
      expect(decodePayload(b)).toEqual({ since: v });
    }
    const e = thrown(() => decodePayload(new Uint8Array([0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]))); // float64 1.5
    expect(e.code).toBe('INVALID_ARGUMENT');
  });

  it('declared counts and lengths beyond the remaining bytes are refused at once (INVALID_ARGUMENT, reason count / truncated)', async () => {
    const cases: [number[], string][] = [
      [[0xdd, 0xff, 0xff, 0xff, 0xff], 'count'], // array32 of 2^32 − 1, nothing follows
      [[0xdf, 0x7f, 0xff, 0xff, 0xff, 0xa1, 0x61, 0x00], 'count'], // map32 of 2^31 − 1 entries
      [[0xdc, 0x01, 0x00, ...new Array(100).fill(0xc0)], 'count'], // array16 of 256 over 100 bytes
      [[0xc6, 0x7f, 0xff, 0xff, 0xff, 0x00], 'truncated'], // bin32 of 2 GiB
      [[0xdb, 0x00, 0x00, 0x10, 0x00, 0x61], 'truncated'], // str32 of 4 KiB, 1 byte there
      [[0x92, 0x01, 0xcd, 0x01], 'truncated'], // [1, uint16 with one byte]
      [[0xca, 0x3f, 0xc0, 0, 0], 'type'], // float32 1.5
      [[0xd4, 0x00, 0x00], 'type'], // fixext1
      [[0x81, 0x01, 0x02], 'key'], // {1: 2}
      [[0xc0, 0xc0], 'trailing'],
    ];
    const calls = await unpackCalls(() => {
      for (const [bytes, reason] of cases) {
        const e = thrown(() => decodePayload(new Uint8Array(bytes)));
        expect(e.code, reason).toBe('INVALID_ARGUMENT');
        expect(e.details, reason).toMatchObject({ reason });
      }
    });
    expect(calls).toBe(0);
    // through the channel: BUS_FRAME_INVALID naming the peer
    const ch = channelAB();
    const e = thrown(() => ch.open(new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff])));
    expect(e.code).toBe('BUS_FRAME_INVALID');
    expect(e.details!.peer).toBe(Buffer.from(new Identity(KEY_B).publicKey).toString('hex'));
  });

  it('strings over MAX_FRAME_STRING are refused; handshake limits are tighter', async () => {
    expect(thrown(() => decodePayload(encodePayload('x'.repeat(MAX_FRAME_STRING + 1)))).details).toMatchObject({ limit: 'str', max: MAX_FRAME_STRING });
    expect(decodePayload(encodePayload('x'.repeat(MAX_FRAME_STRING)))).toHaveLength(MAX_FRAME_STRING);
    const hello = fakeHs2({ pad: new Uint8Array(MAX_HANDSHAKE_FRAME) });
    expect(thrown(() => decodePayload(hello, HANDSHAKE_LIMITS)).details).toMatchObject({ limit: 'bytes', max: MAX_HANDSHAKE_FRAME });
    expect(handshakeKind(hello)).toBeNull();
    expect(isHandshake(hello)).toBe(false);
    expect(handshakeKind(fakeHs2())).toBe(2);
    // the real frames fit the handshake caps with room to spare, and routing them decodes nothing
    const sh = new ServerHandshake(new Identity(KEY_A), { rng: seededRng('limits/fit/a') });
    const ch = ClientHandshake.answer(new Identity(KEY_B), sh.challenge, { rng: seededRng('limits/fit/b') });
    const { confirm } = sh.verify(ch.answer);
    const real = [sh.challenge, ch.answer, confirm];
    for (const f of real) expect(f.length).toBeLessThan(MAX_HANDSHAKE_FRAME / 4);
    expect(real.map((f) => decodePayload(f, HANDSHAKE_LIMITS) !== null)).toEqual([true, true, true]);
    const calls = await unpackCalls(() => void expect(real.map(handshakeKind)).toEqual([1, 2, 3]));
    expect(calls).toBe(0);
    // under the byte cap but over the element budget (64 values) or depth (4): refused by the verifier as too large
    const wide = encodePayload({ e: new Uint8Array(33), hs: 2, pad: Array.from({ length: 70 }, () => 0), pub: new Uint8Array(33), sig: new Uint8Array(64), v: FRAME_VERSION });
    const deep = encodePayload({ e: new Uint8Array(33), hs: 2, pad: [[[[[0]]]]], pub: new Uint8Array(33), sig: new Uint8Array(64), v: FRAME_VERSION });
    expect(wide.length).toBeLessThan(MAX_HANDSHAKE_FRAME);
    expect(thrown(() => new ServerHandshake(new Identity(KEY_A)).verify(wide)).details).toMatchObject({ limit: 'elements', max: 64, kind: 'handshake' });
    expect(thrown(() => new ServerHandshake(new Identity(KEY_A)).verify(deep)).details).toMatchObject({ limit: 'depth', max: 4, kind: 'handshake' });
  });
});

describe('link server and links', () => {
  it('a 16 MiB frame from an unknown key before the handshake is refused on its length, never decoded, and counted', async () => {
    const { server, refused, p, links, b } = serverAndClient({ clientKey: new Uint8Array(32).fill(0x77) });
    await b.whenReady(2000);
    await tick();
    // an attacker's frame that looks like a hello: the old code decoded it (twice) before looking
    const big = fakeHs2({ pad: new Uint8Array(16 * 1024 * 1024) });
    const pair2 = memoryPair();
    server.accept(pair2.a); // a second connection that never answers the challenge
    const calls = await unpackCalls(async () => {
      pair2.inject('a', big);
      await tick();
    });
    expect(calls).toBe(0);
    expect(refused.map((e) => e.code)).toEqual(['BUS_FRAME_TOO_LARGE']);
    expect(refused[0]!.details).toMatchObject({ limit: 'bytes', max: MAX_HANDSHAKE_FRAME, kind: 'handshake' });
    expect(server.stats.get('handshake-too-large')).toBe(1);
    // the honest client on the first connection is unaffected
    expect(links).toHaveLength(1);
    expect(p.a.isOpen).toBe(true);
  });

  it('established links decode each frame once (outer frame + payload), on both sides', async () => {
    const { links, b } = serverAndClient();
    await b.whenReady(2000);
    await tick();
    const a = links[0]!;
    const sid = utf8ToBytes('once');
    const got: Envelope[] = [];
    a.subscribe(sid, (e) => got.push(e));
    b.subscribe(sid, (e) => got.push(e));
    const env = (from: number, to: number | null): Envelope => ({ sid, protocol: 'keygen', round: 1, from, to, payload: { x: new Uint8Array(2048) } });
    // the sender encodes without unpacking; each receiver unpacks exactly twice per frame
    let calls = await unpackCalls(async () => {
      b.send(env(2, 1));
      b.send(env(2, null));
      await tick();
    });
    expect(got).toHaveLength(2);
    expect(calls).toBe(4);
    calls = await unpackCalls(async () => {
      a.send(env(1, 2));
      await tick();
    });
    expect(got).toHaveLength(3);
    expect(calls).toBe(2);
  });

  it('control frames over MAX_CONTROL_FRAME are refused before decoding (BUS_FRAME_TOO_LARGE, kind control)', async () => {
    const { links, b, refused } = serverAndClient();
    await b.whenReady(2000);
    await tick();
    const sid = utf8ToBytes('ctl');
    const frame = b.sealForTest({ sid, protocol: 'bus/ctl', round: 0, from: 0, to: 0, payload: { t: 'done', party: 2, pad: new Uint8Array(MAX_CONTROL_FRAME) } });
    const calls = await unpackCalls(async () => {
      b.send({ sid, protocol: 'bus/ctl', round: 0, from: 0, to: 0, payload: { t: 'done', party: 2, pad: new Uint8Array(MAX_CONTROL_FRAME) } });
      await tick();
    });
    expect(frame.length).toBeGreaterThan(MAX_CONTROL_FRAME);
    expect(calls).toBe(0);
    expect(refused.map((e) => e.code)).toEqual(['BUS_FRAME_TOO_LARGE']);
    expect(refused[0]!.details).toMatchObject({ kind: 'control', max: MAX_CONTROL_FRAME });
    expect(links[0]!.stats.get('frame-too-large')).toBe(1);
  });

  it("the issue's 600 × 1 MiB broadcasts for a session not attached yet: the buffer keeps UNCLAIMED_PEER_BYTES, drops and counts the rest", () => {
    // the buffer a Link keeps, with the default caps, fed what the link hands it: authenticated
    // envelopes and their size on the wire (one shared payload object: the accounting is by frame bytes)
    const stats = new RefusalStats();
    const buf = new UnclaimedBuffer({ bytes: UNCLAIMED_PEER_BYTES, count: UNCLAIMED_PEER_COUNT, ttlMs: 120_000 }, stats);
    const MiB = 1024 * 1024;
    const payload = new Uint8Array(MiB - 256);
    let kept = 0;
    for (let i = 0; i < 600; i++) if (buf.push(`s${i}`, { sid: utf8ToBytes(`s${i}`), protocol: 'keygen', round: 1, from: 2, to: null, payload }, MiB)) kept++;
    expect(kept).toBe(UNCLAIMED_PEER_BYTES / MiB);
    expect(buf.bytes).toBe(UNCLAIMED_PEER_BYTES);
    expect(stats.get('unclaimed-peer-bytes')).toBe(600 - kept);
    // taken on subscription, expired after the TTL
    expect(buf.take('s0').map((u) => u.bytes)).toEqual([MiB]);
    expect(buf.bytes).toBe(UNCLAIMED_PEER_BYTES - MiB);
    buf.push('late', { sid: utf8ToBytes('late'), protocol: 'keygen', round: 1, from: 2, to: null, payload: null }, 100, Date.now() + 120_000);
    expect(buf.bytes).toBe(100);
  });

  it('over a link: broadcasts for sessions not attached yet stay within the per-link byte cap; the rest is dropped and counted', async () => {
    const cap = 1024 * 1024;
    const { server, links, b } = serverAndClient({ server: { identityKey: KEY_A, unclaimedPeerBytes: cap } });
    await b.whenReady(2000);
    await tick();
    const a = links[0]!;
    const payload = new Uint8Array(128 * 1024);
    const N = 24;
    const sidOf = (i: number) => utf8ToBytes(`later-${String(i).padStart(3, '0')}`);
    const frameBytes = b.sealForTest({ sid: utf8ToBytes('probe-000'), protocol: 'keygen', round: 1, from: 2, to: null, payload }).length;
    for (let i = 0; i < N; i++) b.send({ sid: sidOf(i), protocol: 'keygen', round: 1, from: 2, to: null, payload });
    await tick();
    const fit = Math.floor(cap / frameBytes);
    expect(a.unclaimedBytes).toBe(fit * frameBytes);
    expect(a.stats.get('unclaimed-peer-bytes')).toBe(N - fit);
    expect(server.stats.get('unclaimed-peer-bytes')).toBe(N - fit);
    expect(server.unclaimedBytes).toBe(a.unclaimedBytes);
    // what was kept is delivered on subscription and leaves the buffer
    const got: Envelope[] = [];
    a.subscribe(sidOf(1), (e) => got.push(e));
    await tick();
    expect(got).toHaveLength(1);
    expect(a.unclaimedBytes).toBe((fit - 1) * frameBytes);
  });

  it('over the server-wide cap, throw-away identities evict from the largest holder, not from an honest peer', async () => {
    const chunk = 64 * 1024;
    const opts = { identityKey: KEY_A, unclaimedPeerBytes: 5 * chunk, unclaimedTotalBytes: 6 * chunk };
    const refused: TkeyTssError[] = [];
    const server = new LinkServer({ ...opts, onRefused: (e) => refused.push(e) });
    const links = new Map<string, Link>();
    server.onLink((l) => links.set(Buffer.from(l.peerPub!).toString('hex'), l));
    const client = async (key: Uint8Array): Promise<{ link: Link; mine: () => Link }> => {
      const p = memoryPair();
      server.accept(p.a);
      const link = connectLink(p.b, { identityKey: key, serverPub: server.self.publicKey });
      await link.whenReady(2000);
      await tick();
      return { link, mine: () => links.get(Buffer.from(new Identity(key).publicKey).toString('hex'))! };
    };
    const send = async (l: Link, tag: string, n: number) => {
      for (let i = 0; i < n; i++) l.send({ sid: utf8ToBytes(`${tag}-${i}`), protocol: 'keygen', round: 1, from: 2, to: null, payload: new Uint8Array(chunk - 400) });
      await tick();
    };
    const honest = await client(KEY_B);
    await send(honest.link, 'honest', 1);
    const x = await client(new Uint8Array(32).fill(0x31));
    const y = await client(new Uint8Array(32).fill(0x32));
    await send(x.link, 'x', 5);
    await send(y.link, 'y', 5);
    expect(server.unclaimedBytes).toBeLessThanOrEqual(6 * chunk);
    expect(honest.mine().unclaimedBytes).toBeGreaterThan(0); // the honest envelope survived
    expect(server.stats.get('unclaimed-total-bytes')).toBeGreaterThan(0);
    const got: Envelope[] = [];
    honest.mine().subscribe(utf8ToBytes('honest-0'), (e) => got.push(e));
    await tick();
    expect(got).toHaveLength(1);
    expect(refused).toEqual([]);
  });

  it('runSessions caps early messages per remote party in bytes (dropped and counted, the session goes on)', async () => {
    const { links, b } = serverAndClient();
    await b.whenReady(2000);
    await tick();
    const a = links[0]!;
    const sid = utf8ToBytes('early');
    const session = Session.create(keygen, { sid, self: 1, parties: [{ id: 1, owns: [1] }, { id: 2, owns: [2] }], threshold: 2 }, {}, { rng: seededRng('early/1') });
    const ac = new AbortController();
    const run = runSessions({ sid, protocol: keygen.name, local: [{ id: 1, session, finish: async () => {} }], remote: [{ id: 2, link: a }], signal: ac.signal, maxEarlyBytes: 4096, resendMs: 60_000 });
    await tick();
    expect(session.nextRound).toBe(2); // collecting round 1: round 2 is early
    b.send({ sid, protocol: keygen.name, round: 2, from: 2, to: null, payload: { pad: new Uint8Array(8192) } });
    await tick();
    expect(a.stats.get('early-bytes')).toBe(1);
    expect(session.status).toBe('running');
    // within the cap it is delivered (and held by the session)
    b.send({ sid, protocol: keygen.name, round: 2, from: 2, to: 1, payload: { pad: new Uint8Array(1024) } });
    await tick();
    expect(a.stats.get('early-bytes')).toBe(1);
    ac.abort();
    await expect(run).rejects.toMatchObject({ code: 'SESSION_STALLED' });
  });

  it('ws: the server closes a connection whose frame exceeds MAX_PROTOCOL_FRAME (before any decoding)', async () => {
    const srv = await listenLinks({ identityKey: KEY_A });
    try {
      const ws = new WebSocket(srv.url);
      await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
      const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
      ws.send(new Uint8Array(MAX_PROTOCOL_FRAME + 1));
      expect(await Promise.race([closed, tick(5000).then(() => -1)])).toBe(1009);
    } finally {
      await srv.close();
    }
  });
});

// keep the transport type referenced for readers of the helpers above
export type { FrameTransport };
