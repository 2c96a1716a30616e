/**
 * The bus codec, the connection handshake and the secure channel (src/bus/codec.ts,
 * src/bus/handshake.ts, src/bus/secure-channel.ts, src/bus/frame-schema.ts, src/bus/control.ts):
 * one canonical encoding; a signed ephemeral handshake per connection (tampered, replayed or
 * wrongly signed hellos refused naming the peer); p2p frames encrypted and authenticated under
 * per-connection keys; broadcasts signed; every tampered, replayed, wrong-key, wrong-session,
 * other-connection or forged frame refused with a typed error naming the sender; every handshake,
 * frame and control payload decoded by a strict schema.
 */
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from '../src/bytes.js';
import { decodeMessage, decodePayload, encodeMessage, encodePayload, type Envelope, type WirePayload } from '../src/bus/codec.js';
import { decodeCtl } from '../src/bus/control.js';
import { ClientHandshake, EphemeralKey, ServerHandshake, transcriptHash } from '../src/bus/handshake.js';
import { FRAME_VERSION, Identity, REPLAY_WINDOW, SecureChannel } from '../src/bus/secure-channel.js';
import { pointFromBytes } from '../src/curve.js';
import { isTkeyTssError } from '../src/errors.js';
import { sha256 } from '../src/hash.js';
import { seededRng, type Rng } from '../src/rng.js';
import { decodeMessage as protocolDecode, encodeMessage as protocolEncode } from '../protocols/wire.js';

const A = new Identity(new Uint8Array(32).fill(1));
const B = new Identity(new Uint8Array(32).fill(2));
const C = new Identity(new Uint8Array(32).fill(3));
const sid = utf8ToBytes('session-1');
const p2p = (round = 2, payload: WirePayload = { x: new Uint8Array([1, 2, 3]), n: 5 }): Envelope => ({ sid, protocol: 'presign', round, from: 1, to: 2, payload });
const bc = (payload: WirePayload = { K: new Uint8Array(33).fill(2) }): Envelope => ({ sid, protocol: 'presign', round: 1, from: 1, to: null, payload });

/** `fn` throws `code`; `details.sender` is `sender`; `details.peer` is `peer` when given. Returns the error. */
function refused(fn: () => unknown, code: string, sender: number | null = 1, peer?: Identity): Error {
  try {
    fn();
  } catch (e) {
    expect(isTkeyTssError(e, code), String(e)).toBe(true);
    const d = (e as { details: { sender: number | null; peer: string | null } }).details;
    expect(d.sender).toBe(sender);
    if (peer) expect(d.peer).toBe(bytesToHex(peer.publicKey));
    return e as Error;
  }
  throw new Error(`expected ${code}`);
}

/** One connection: the real three-message handshake, server `srv`, client `cli`. */
function connect(srv: Identity, cli: Identity, rngs: { s?: Rng; c?: Rng } = {}) {
  const sh = new ServerHandshake(srv, rngs.s ? { rng: rngs.s } : {});
  const ch = ClientHandshake.answer(cli, sh.challenge, { expectServer: srv.publicKey, ...(rngs.c ? { rng: rngs.c } : {}) });
  const { confirm, channel: s, peerPub } = sh.verify(ch.answer);
  const c = ch.finish(confirm);
  return { s, c, peerPub, hs1: sh.challenge, hs2: ch.answer, hs3: confirm, sh, ch };
}

/** A's and B's channels of one connection (A the server). */
function pair(seed = 'ch'): [SecureChannel, SecureChannel] {
  const { s, c } = connect(A, B, { s: seededRng(`${seed}/a`), c: seededRng(`${seed}/b`) });
  return [s, c];
}

const map = (b: Uint8Array): Record<string, WirePayload> => ({ ...(decodePayload(b) as Record<string, WirePayload>) });

/** Re-encode a frame with one field changed. */
function edit(frame: Uint8Array, f: (m: Record<string, WirePayload>) => void): Uint8Array {
  const m = map(frame);
  f(m);
  return encodePayload(m);
}

/** A canonical-looking msgpack map written by hand, keys in the given order (e.g. with a `__proto__` key). */
function rawMap(entries: [string, WirePayload][]): Uint8Array {
  const parts: Uint8Array[] = [new Uint8Array([0x80 | entries.length])];
  for (const [k, v] of entries) {
    const kb = utf8ToBytes(k);
    parts.push(new Uint8Array([0xa0 | kb.length]), kb, encodePayload(v));
  }
  return concatBytes(...parts);
}

/**
 * Malformed copies of a good map: an extra key (`constructor`, `polluted`, a raw `__proto__`), each
 * key missing, each field of the wrong type, each fixed-size byte field one byte short.
 */
function malformed(good: Record<string, WirePayload>): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  const keys = Object.keys(good).sort();
  out.push(['extra key constructor', encodePayload({ ...good, constructor: 1 })]);
  out.push(['extra key polluted', encodePayload({ ...good, polluted: 1 })]);
  out.push(['extra key __proto__', rawMap([['__proto__', { polluted: 1 }], ...keys.map((k): [string, WirePayload] => [k, good[k]!])])]);
  for (const k of keys) {
    const { [k]: _, ...rest } = good;
    out.push([`missing ${k}`, encodePayload(rest)]);
    const v = good[k];
    const wrong: WirePayload = v instanceof Uint8Array ? bytesToHex(v) : typeof v === 'number' ? new Uint8Array([v & 0xff]) : typeof v === 'string' ? 7 : v === null ? 0 : 'x';
    out.push([`${k} of the wrong type`, encodePayload({ ...good, [k]: wrong })]);
    if (v instanceof Uint8Array && k !== 'body' && k !== 'sid') out.push([`${k} one byte short`, encodePayload({ ...good, [k]: v.subarray(1) })]);
  }
  out.push(['not a map', encodePayload(Object.values(good))]);
  return out;
}

function expectNoPollution(): void {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.prototype).not.toHaveProperty('polluted');
}

describe('bus codec', () => {
  it('is the one codec: protocols/wire.ts gives identical bytes', () => {
    const env = p2p();
    expect(bytesToHex(protocolEncode(env))).toBe(bytesToHex(encodeMessage(env)));
    expect(protocolDecode(encodeMessage(env))).toEqual(decodeMessage(encodeMessage(env)));
  });
  it('the documented byte-level example (test-vectors/README.md, Wire format)', () => {
    const env: Envelope = { sid: new Uint8Array([0xab, 0xcd]), protocol: 'sign', round: 1, from: 2, to: null, payload: { s: new Uint8Array([0x01]) } };
    expect(bytesToHex(encodeMessage(env))).toBe('86a466726f6d02a77061796c6f616481a173c40101a870726f746f636f6ca47369676ea5726f756e6401a3736964c402abcda2746fc0');
  });
  it('refuses non-canonical bytes, floats and unknown fields', () => {
    const good = encodeMessage(p2p());
    // the same map with its keys out of order
    const v = decodePayload(good) as Record<string, WirePayload>;
    const shuffled = new Uint8Array(new Packr({ useRecords: false, variableMapSize: true }).pack({ to: v.to, from: v.from, payload: v.payload, protocol: v.protocol, round: v.round, sid: v.sid }));
    expect(() => decodeMessage(shuffled)).toThrow(/canonical/);
    expect(() => encodePayload({ f: 1.5 })).toThrow(/safe integers/);
    expect(() => decodeMessage(encodePayload({ ...v, extra: 1 }))).toThrow(/unexpected fields/);
  });
});

describe('secure channel', () => {
  it('p2p: round trip; the payload is not visible on the wire; a broadcast verifies', () => {
    const [a, b] = pair();
    const env = p2p(2, { secret: utf8ToBytes('very secret share') });
    const f = a.seal(env);
    expect(bytesToHex(f)).not.toContain(bytesToHex(utf8ToBytes('very secret share')));
    expect(b.open(f)).toEqual(env);
    const e2 = bc();
    expect(b.open(a.seal(e2))).toEqual(e2);
    // and the other direction
    expect(a.open(b.seal({ ...env, from: 2, to: 1 }))).toEqual({ ...env, from: 2, to: 1 });
  });

  it('tampered: any changed byte of body, header or iv is refused naming the sender', () => {
    const [a, b] = pair();
    const f = a.seal(p2p());
    refused(() => b.open(edit(f, (m) => ((m.body as Uint8Array)[3]! ^= 1))), 'BUS_AUTH_FAILED');
    refused(() => b.open(edit(f, (m) => (m.round = 3))), 'BUS_AUTH_FAILED');
    refused(() => b.open(edit(f, (m) => (m.protocol = 'sign'))), 'BUS_AUTH_FAILED');
    refused(() => b.open(edit(f, (m) => ((m.iv as Uint8Array)[0]! ^= 1))), 'BUS_AUTH_FAILED');
    refused(() => b.open(edit(f, (m) => (m.n = 7))), 'BUS_AUTH_FAILED');
    // the sender field itself: the claimed sender is named
    refused(() => b.open(edit(f, (m) => (m.from = 3))), 'BUS_AUTH_FAILED', 3);
    refused(() => b.open(f.subarray(0, f.length - 1)), 'BUS_FRAME_INVALID', null);
    // the untouched frame still opens (a refused frame burns no counter)
    expect(b.open(f)).toEqual(p2p());
  });

  it('replay: a frame opens once; reordering inside the window is fine, beyond it refused', () => {
    const [a, b] = pair();
    const f1 = a.seal(p2p(1));
    const f2 = a.seal(p2p(2));
    expect(b.open(f2).round).toBe(2);
    expect(b.open(f1).round).toBe(1); // reordered, inside the window
    refused(() => b.open(f1), 'BUS_REPLAY');
    refused(() => b.open(f2), 'BUS_REPLAY');
    const old = a.seal(p2p(3));
    for (let i = 0; i < REPLAY_WINDOW; i++) b.open(a.seal(p2p(4)));
    refused(() => b.open(old), 'BUS_REPLAY'); // never seen, but older than the window
    // broadcasts too
    const g = a.seal(bc());
    b.open(g);
    refused(() => b.open(g), 'BUS_REPLAY');
  });

  it('another connection between the same identities: its frames do not open at all (new ephemeral keys), p2p or broadcast', () => {
    const [a1, b1] = pair('conn-1');
    const [, b2] = pair('conn-2');
    const f = a1.seal(p2p());
    const g = a1.seal(bc());
    expect(b1.open(f)).toEqual(p2p());
    // the same frames (n = 1, 2: never seen on connection 2, so no window could catch them) are not replays there but forgeries
    refused(() => b2.open(f), 'BUS_AUTH_FAILED');
    refused(() => b2.open(g), 'BUS_AUTH_FAILED');
    expect(bytesToHex(b1.transcript)).not.toBe(bytesToHex(b2.transcript));
  });

  it('wrong key: a frame sealed by a third identity (claiming to be A) is refused', () => {
    const [, b] = pair();
    const mallory = connect(C, B).s; // C's own connection to B
    refused(() => b.open(mallory.seal(p2p())), 'BUS_AUTH_FAILED');
    refused(() => b.open(mallory.seal(bc())), 'BUS_AUTH_FAILED');
    // a frame A sealed for C does not open at B either
    const toC = connect(A, C).s;
    refused(() => b.open(toC.seal(p2p())), 'BUS_AUTH_FAILED');
  });

  it('wrong sid: a frame moved to another session is refused (keys and AAD are per sid)', () => {
    const [a, b] = pair();
    const f = a.seal(p2p());
    refused(() => b.open(edit(f, (m) => (m.sid = utf8ToBytes('session-2')))), 'BUS_AUTH_FAILED');
    const g = a.seal(bc());
    refused(() => b.open(edit(g, (m) => (m.sid = utf8ToBytes('session-2')))), 'BUS_AUTH_FAILED');
  });

  it('forged broadcast: changed payload, a signature by another key, or a missing signature is refused', () => {
    const [a, b] = pair();
    const g = a.seal(bc());
    refused(() => b.open(edit(g, (m) => (m.body = encodePayload({ K: new Uint8Array(33).fill(3) })))), 'BUS_AUTH_FAILED');
    const forged = connect(C, B).s.seal(bc());
    refused(() => b.open(forged), 'BUS_AUTH_FAILED');
    refused(() => b.open(edit(g, (m) => delete m.sig)), 'BUS_FRAME_INVALID');
    // a broadcast turned into a p2p frame (to: 2) is not accepted either
    refused(() => b.open(edit(g, (m) => ((m.to = 2), (m.iv = new Uint8Array(24)), delete m.sig))), 'BUS_AUTH_FAILED');
  });

  it('the documented handshake and frame examples (test-vectors/README.md, Wire format) byte for byte', () => {
    const { s, c, hs1, hs2, hs3 } = connect(A, B, { s: seededRng('tkey-tss/bus/example/server'), c: seededRng('tkey-tss/bus/example/client') });
    expect(bytesToHex(hs1)).toBe(
      '84a165c42103b460ca17ce4ed95d7410031658739e2e2e3a34c47c152f84e53985f722a22abaa2687301a3707562c421031b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078fa17602',
    );
    expect(bytesToHex(hs2)).toBe(
      '85a165c4210299fc10bffb79a6b0b28cd31ace8877f68837a0b7638e54ab2532ba10fda9ae0fa2687302a3707562c421024d4b6cd1361032ca9bd2aeb9d900aa4d45d9ead80ac9423374c451a7254d0766a3736967c440cc97f9204f383ee72f50d94a511dc7236eaccf013322724e6d0856ac8024074632bd5b0c784dabb93aa3c1f5985499a1ae69432713e50b418850f838bcab655da17602',
    );
    expect(bytesToHex(hs3)).toBe('83a2687303a3736967c44008f64085717cb8bbfe79acad3642df1b20c543fa8c9d1736e8024286890e47800eb1a824996c51aaf11d95a0b11a7dba32db76bd4455b53d74919f18addd0c0fa17602');
    const th = 'f60ff589e5c467bd773e36d29bc91f718812c062946abaeea0ead24b29948d1f';
    expect(bytesToHex(s.transcript)).toBe(th);
    expect(bytesToHex(c.transcript)).toBe(th);
    // th recomputed from the documented formula
    expect(bytesToHex(transcriptHash(A.publicKey, B.publicKey, map(hs1).e as Uint8Array, map(hs2).e as Uint8Array))).toBe(th);
    expect(bytesToHex(sha256(concatBytes(utf8ToBytes('tkey-tss/bus/v2/handshake'), A.publicKey, B.publicKey, map(hs1).e as Uint8Array, map(hs2).e as Uint8Array)))).toBe(th);
    const env: Envelope = { sid: new Uint8Array([0xab, 0xcd]), protocol: 'sign', round: 1, from: 2, to: 1, payload: { s: new Uint8Array([1]) } };
    const p2pHex =
      '89a4626f6479c4166792f5e25e27393957abb98d39ab7a67fa6999ed3f61a466726f6d02a26976c418290b541f4651a1aed4c6d15d09945b99163861427e0b2914a16e01a870726f746f636f6ca47369676ea5726f756e6401a3736964c402abcda2746f01a17602';
    const bcHex =
      '89a4626f6479c40681a173c40101a466726f6d02a16e02a870726f746f636f6ca47369676ea5726f756e6401a3736964c402abcda3736967c44090a1ac379825f6bc50b0e5acd0e1476991becf7b88442a77bb35d1ffea1fcc8271a83f74f0232d58f11d97124f2722c4d40f37476f6de14c3cbfa45e886b80bca2746fc0a17602';
    expect(bytesToHex(s.seal(env))).toBe(p2pHex);
    expect(bytesToHex(s.seal({ ...env, to: null }))).toBe(bcHex);
    expect(c.open(hexToBytes(p2pHex))).toEqual(env);
    expect(c.open(hexToBytes(bcHex))).toEqual({ ...env, to: null });
  });

  it('secrets are redacted', () => {
    const [a] = pair();
    const e = new EphemeralKey(seededRng('redact'));
    const s = JSON.stringify({ a, id: A, e, hs: new ServerHandshake(A) });
    expect(s).toContain('redacted');
    expect(s).not.toContain(bytesToHex(new Uint8Array(32).fill(1)));
  });

  it('a destroyed channel (its connection closed) neither seals nor opens: BUS_CLOSED', () => {
    const [a, b] = pair();
    const f = a.seal(p2p());
    const g = a.seal(bc());
    b.destroy();
    a.destroy();
    expect(a.destroyed && b.destroyed).toBe(true);
    for (const fn of [() => a.seal(p2p()), () => a.seal(bc()), () => b.open(f), () => b.open(g)]) expect(() => fn()).toThrow(expect.objectContaining({ code: 'BUS_CLOSED' }));
  });
});

describe('connection handshake (signed ephemeral Diffie–Hellman)', () => {
  const T_CLIENT = utf8ToBytes('tkey-tss/bus/v2/hello/client');
  const T_SERVER = utf8ToBytes('tkey-tss/bus/v2/hello/server');

  it('both ends get the same transcript and each other’s identity; the ephemeral secrets are wiped at once; new ephemerals per connection', () => {
    const one = connect(A, B);
    expect(bytesToHex(one.peerPub)).toBe(bytesToHex(B.publicKey));
    expect(bytesToHex(one.s.peerPub)).toBe(bytesToHex(B.publicKey));
    expect(bytesToHex(one.c.peerPub)).toBe(bytesToHex(A.publicKey));
    expect(bytesToHex(one.s.transcript)).toBe(bytesToHex(one.c.transcript));
    expect(one.sh.wiped).toBe(true);
    expect(one.ch.wiped).toBe(true);
    const two = connect(A, B);
    expect(bytesToHex(map(two.hs1).e as Uint8Array)).not.toBe(bytesToHex(map(one.hs1).e as Uint8Array));
    expect(bytesToHex(map(two.hs2).e as Uint8Array)).not.toBe(bytesToHex(map(one.hs2).e as Uint8Array));
    // one agreement per ephemeral
    const e = new EphemeralKey();
    e.agree(pointFromBytes(B.publicKey));
    expect(e.wiped).toBe(true);
    expect(() => e.agree(pointFromBytes(B.publicKey))).toThrow(expect.objectContaining({ code: 'BUS_CLOSED' }));
  });

  it('a replayed hs2 (recorded on another connection) is refused: BUS_AUTH_FAILED naming the client', () => {
    const old = connect(A, B);
    const sh = new ServerHandshake(A);
    refused(() => sh.verify(old.hs2), 'BUS_AUTH_FAILED', null, B);
    expect(sh.wiped).toBe(true); // spent, wiped, even on failure
    expect(() => sh.verify(old.hs2)).toThrow(expect.objectContaining({ code: 'BUS_CLOSED' })); // single use
  });

  it('a replayed hs3 (recorded on another connection) is refused by the client: BUS_AUTH_FAILED naming the server', () => {
    const old = connect(A, B);
    const sh = new ServerHandshake(A);
    const ch = ClientHandshake.answer(B, sh.challenge, { expectServer: A.publicKey });
    refused(() => ch.finish(old.hs3), 'BUS_AUTH_FAILED', null, A);
    expect(ch.wiped).toBe(true);
  });

  it('a tampered ephemeral is refused: E_C swapped in hs2, E_S swapped in hs1 (man in the middle), both swapped', () => {
    const other = new EphemeralKey().publicKey;
    // E_C replaced by an attacker's ephemeral
    {
      const sh = new ServerHandshake(A);
      const ch = ClientHandshake.answer(B, sh.challenge, { expectServer: A.publicKey });
      refused(() => sh.verify(edit(ch.answer, (m) => (m.e = other))), 'BUS_AUTH_FAILED', null, B);
    }
    // E_S replaced on the way to the client: the client signs the wrong th, the server refuses
    {
      const sh = new ServerHandshake(A);
      const ch = ClientHandshake.answer(B, edit(sh.challenge, (m) => (m.e = other)), { expectServer: A.publicKey });
      refused(() => sh.verify(ch.answer), 'BUS_AUTH_FAILED', null, B);
    }
    // both replaced (the attacker talks to each side with its own ephemeral): neither signature covers its th
    {
      const sh = new ServerHandshake(A);
      const ch = ClientHandshake.answer(B, edit(sh.challenge, (m) => (m.e = other)), { expectServer: A.publicKey });
      refused(() => sh.verify(edit(ch.answer, (m) => (m.e = new EphemeralKey().publicKey))), 'BUS_AUTH_FAILED', null, B);
    }
  });

  it('a signature by the wrong identity is refused (hs2 claiming B signed by C; hs3 claiming A signed by C); the right key over the same th passes', () => {
    const sh = new ServerHandshake(A);
    const ch = ClientHandshake.answer(B, sh.challenge, { expectServer: A.publicKey });
    const th = transcriptHash(A.publicKey, B.publicKey, map(sh.challenge).e as Uint8Array, map(ch.answer).e as Uint8Array);
    const byC = C.signDigest(sha256(concatBytes(T_CLIENT, th)));
    refused(() => sh.verify(edit(ch.answer, (m) => (m.sig = byC))), 'BUS_AUTH_FAILED', null, B);
    // control: B's own signature over the same th, re-made from the documented formula, passes
    const sh2 = new ServerHandshake(A, { rng: seededRng('wrong-id/s') });
    const ch2 = ClientHandshake.answer(B, sh2.challenge, { expectServer: A.publicKey, rng: seededRng('wrong-id/c') });
    const th2 = transcriptHash(A.publicKey, B.publicKey, map(sh2.challenge).e as Uint8Array, map(ch2.answer).e as Uint8Array);
    const ok = sh2.verify(edit(ch2.answer, (m) => (m.sig = B.signDigest(sha256(concatBytes(T_CLIENT, th2))))));
    // hs3 by C over the right th: refused; by A: accepted
    const sh3 = new ServerHandshake(A, { rng: seededRng('wrong-id/s') });
    const ch3 = ClientHandshake.answer(B, sh3.challenge, { expectServer: A.publicKey, rng: seededRng('wrong-id/c') });
    refused(() => ch3.finish(encodePayload({ hs: 3, sig: C.signDigest(sha256(concatBytes(T_SERVER, th2))), v: FRAME_VERSION })), 'BUS_AUTH_FAILED', null, A);
    const ch4 = ClientHandshake.answer(B, sh3.challenge, { expectServer: A.publicKey, rng: seededRng('wrong-id/c') });
    const chan = ch4.finish(encodePayload({ hs: 3, sig: A.signDigest(sha256(concatBytes(T_SERVER, th2))), v: FRAME_VERSION }));
    expect(chan.open(ok.channel.seal(p2p()))).toEqual(p2p());
    // a client that claims the server's own identity, a server that claims ours
    const sh5 = new ServerHandshake(A);
    refused(() => sh5.verify(ClientHandshake.answer(A, sh5.challenge, {}).answer), 'BUS_AUTH_FAILED', null, A);
  });

  it('a server that is not the expected identity is refused before anything is signed', () => {
    refused(() => ClientHandshake.answer(A, new ServerHandshake(C).challenge, { expectServer: B.publicKey }), 'BUS_AUTH_FAILED', null, C);
  });
});

describe('strict schemas: every handshake frame, sealed frame and control payload', () => {
  it('hs1: an extra key (constructor, polluted, __proto__), a missing key, a wrong type or size → BUS_FRAME_INVALID', () => {
    const good = map(new ServerHandshake(A).challenge);
    for (const [what, bad] of malformed(good)) {
      expect(() => ClientHandshake.answer(B, bad, { expectServer: A.publicKey }), what).toThrow(expect.objectContaining({ code: 'BUS_FRAME_INVALID' }));
    }
    expect(() => ClientHandshake.answer(B, encodePayload({ ...good, v: 1 }), { expectServer: A.publicKey })).toThrow(expect.objectContaining({ code: 'BUS_FRAME_INVALID' }));
    expect(() => ClientHandshake.answer(B, encodePayload({ ...good, e: new Uint8Array(33).fill(5) }), { expectServer: A.publicKey })).toThrow(expect.objectContaining({ code: 'BUS_FRAME_INVALID' })); // not a point
    expectNoPollution();
  });

  it('hs2: the same (issue: a hello carrying `constructor` / `polluted` used to be accepted)', () => {
    const sh0 = new ServerHandshake(A);
    const good = map(ClientHandshake.answer(B, sh0.challenge, { expectServer: A.publicKey }).answer);
    for (const [what, bad] of malformed(good)) {
      const sh = new ServerHandshake(A);
      expect(() => sh.verify(bad), what).toThrow(expect.objectContaining({ code: 'BUS_FRAME_INVALID' }));
      expect(sh.wiped, what).toBe(true);
    }
    expect(() => new ServerHandshake(A).verify(encodePayload({ ...good, hs: 1 }))).toThrow(expect.objectContaining({ code: 'BUS_FRAME_INVALID' }));
    // the well-formed one still passes on its own connection
    expect(bytesToHex(sh0.verify(encodePayload(good)).peerPub)).toBe(bytesToHex(B.publicKey));
    expectNoPollution();
  });

  it('hs3: the same', () => {
    const one = connect(A, B);
    const good = map(one.hs3);
    for (const [what, bad] of malformed(good)) {
      const ch = ClientHandshake.answer(B, one.hs1, { expectServer: A.publicKey });
      refused(() => ch.finish(bad), 'BUS_FRAME_INVALID', null);
      expect(ch.wiped, what).toBe(true);
    }
    expectNoPollution();
  });

  it('sealed frames, p2p and broadcast: the same', () => {
    const [a, b] = pair();
    for (const env of [p2p(), bc()]) {
      const good = map(a.seal(env));
      for (const [what, bad] of malformed(good)) {
        try {
          b.open(bad);
          throw new Error(`accepted: ${what}`);
        } catch (e) {
          expect(isTkeyTssError(e, 'BUS_FRAME_INVALID'), `${what}: ${String(e)}`).toBe(true);
        }
      }
      // sizes: an oversized sid, an overlong protocol name
      refused(() => b.open(encodePayload({ ...good, sid: new Uint8Array(1025) })), 'BUS_FRAME_INVALID');
      refused(() => b.open(encodePayload({ ...good, protocol: 'p'.repeat(65) })), 'BUS_FRAME_INVALID');
      expect(b.open(encodePayload(good))).toEqual(env); // the good one still opens (nothing burnt)
    }
    expectNoPollution();
  });

  it('bus control payloads (done, abort, fail): the same; the good ones decode to exactly their fields', () => {
    const goods: Record<string, WirePayload>[] = [
      { party: 2, t: 'done' },
      { culprits: [2], party: 2, reason: 'CONFIG_MISMATCH', round: 1, t: 'abort' },
      { message: 'storage full', party: 2, t: 'fail' },
    ];
    for (const good of goods) {
      const d = decodeCtl(decodePayload(encodePayload(good)));
      expect(d).toEqual(good);
      expect(Object.keys(d).sort()).toEqual(Object.keys(good).sort());
      for (const [what, bad] of malformed(good)) {
        let v: WirePayload;
        try {
          v = decodePayload(bad);
        } catch {
          continue; // the codec already refuses it (raw __proto__)
        }
        expect(() => decodeCtl(v), `${String(good.t)}: ${what}`).toThrow(expect.objectContaining({ code: 'BUS_FRAME_INVALID' }));
      }
    }
    const bad = (p: WirePayload): void => void expect(() => decodeCtl(p)).toThrow(expect.objectContaining({ code: 'BUS_FRAME_INVALID' }));
    bad({ party: 2, t: 'what' });
    bad({ party: 0, t: 'done' });
    bad({ culprits: ['2'], party: 2, reason: 'X', round: 1, t: 'abort' });
    bad({ culprits: [2], party: 2, reason: 'not a code', round: 1, t: 'abort' });
    bad({ message: 'x'.repeat(501), party: 2, t: 'fail' });
    // the claimed party is named
    expect(() => decodeCtl({ party: 2, polluted: 1, t: 'done' }, 'ab')).toThrow(expect.objectContaining({ code: 'BUS_FRAME_INVALID', details: { sender: 2, peer: 'ab' } }));
    expectNoPollution();
  });
});
