/** The session driver (protocols/session.ts) and the provisional wire codec, driven by hand. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bytesToHex, utf8ToBytes } from '../src/bytes.js';
import { isTkeyTssError, ProtocolAbort } from '../src/errors.js';
import { seededRng } from '../src/rng.js';
import { keygen, type KeygenOutput } from '../protocols/keygen/index.js';
import { type ProgressEvent, Session } from '../protocols/session.js';
import { ABORT_REASONS, type Message, type PartySpec, type Protocol } from '../protocols/types.js';
import { decodeMessage, decodePayload, encodeMessage, encodePayload } from '../protocols/wire.js';

const SID = utf8ToBytes('driver-test');
const PARTIES: PartySpec[] = [
  { id: 1, owns: [1] },
  { id: 2, owns: [2] },
  { id: 3, owns: [3] },
];

function sessions(parties = PARTIES, seed = 'drv', onProgress?: (id: number, e: ProgressEvent) => void, replay = false) {
  return new Map(
    parties.map((p) => [
      p.id,
      Session.create(keygen, { sid: SID, self: p.id, parties, threshold: 2 }, {}, { rng: seededRng(`${seed}/${p.id}`), replay, ...(onProgress ? { onProgress: (e: ProgressEvent) => onProgress(p.id, e) } : {}) }),
    ]),
  );
}

/** Round-1 messages of every party, by sender. */
function round1(ss: Map<number, Session<unknown, unknown, KeygenOutput>>) {
  return new Map([...ss].map(([id, s]) => [id, s.start()]));
}

/** Deliver everything FIFO until quiet; return the outputs. */
function pump(ss: Map<number, Session<unknown, unknown, KeygenOutput>>, pending: Message[]) {
  const q = [...pending];
  while (q.length) {
    const m = q.shift()!;
    for (const [id, s] of ss) if (id !== m.from && (m.to === null || m.to === id)) q.push(...s.receive(decodeMessage(encodeMessage(m))));
  }
  return new Map([...ss].map(([id, s]) => [id, s.output]));
}

function abortOf(fn: () => unknown): { reason: string; round: number; culprits: number[] } {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProtocolAbort) return { reason: e.reason, round: e.round, culprits: [...e.culprits] };
    throw e;
  }
  throw new Error('no abort');
}

describe('session driver', () => {
  it('runs a protocol by hand to the same output at every party', () => {
    const ss = sessions();
    const out = pump(ss, [...round1(ss).values()].flat());
    const keys = [...out.values()].map((o) => bytesToHex(o!.publicKey));
    expect(new Set(keys).size).toBe(1);
    for (const s of ss.values()) expect(s.status).toBe('done');
  });

  it('checks sid, protocol, recipient, round and kind — each failure names the sender; a sender that is no other party is dropped', () => {
    const mk = () => {
      const ss = sessions();
      const r1 = round1(ss);
      return { s1: ss.get(1)!, m2: r1.get(2)![0]!, m3: r1.get(3)![0]!, ss };
    };
    let { s1, m2 } = mk();
    expect(abortOf(() => s1.receive({ ...m2, sid: utf8ToBytes('other session') }))).toEqual({ reason: 'WRONG_SID', round: 1, culprits: [2] });
    ({ s1, m2 } = mk());
    expect(abortOf(() => s1.receive({ ...m2, protocol: 'refresh' }))).toEqual({ reason: 'WRONG_PROTOCOL', round: 1, culprits: [2] });
    ({ s1, m2 } = mk());
    for (const from of [9, 1, 0]) expect(s1.receive({ ...m2, from })).toEqual([]); // a stranger, self, 0: nobody to blame
    expect(s1.status).toBe('running');
    expect(s1.dropped).toEqual({ total: 3, byReason: { NOT_AN_ENVELOPE: 0, UNKNOWN_SENDER: 3 } });
    ({ s1, m2 } = mk());
    expect(abortOf(() => s1.receive({ ...m2, to: 3 }))).toEqual({ reason: 'WRONG_RECIPIENT', round: 1, culprits: [2] });
    ({ s1, m2 } = mk());
    expect(abortOf(() => s1.receive({ ...m2, to: 1 }))).toEqual({ reason: 'UNEXPECTED_MESSAGE', round: 1, culprits: [2] }); // round 1 sends no p2p
    ({ s1, m2 } = mk());
    expect(abortOf(() => s1.receive({ ...m2, round: 3 }))).toEqual({ reason: 'WRONG_ROUND', round: 3, culprits: [2] }); // two rounds ahead
    ({ s1, m2 } = mk());
    expect(abortOf(() => s1.receive({ ...m2, round: 4 }))).toEqual({ reason: 'WRONG_ROUND', round: 1, culprits: [2] }); // no such message round
    ({ s1, m2 } = mk());
    expect(abortOf(() => s1.receive({ ...m2, round: 0 }))).toEqual({ reason: 'WRONG_ROUND', round: 1, culprits: [2] });
    ({ s1, m2 } = mk());
    expect(abortOf(() => s1.receive({ ...m2, payload: { V: 1.5 } as never }))).toEqual({ reason: 'MALFORMED_MESSAGE', round: 1, culprits: [2] });
  });

  it('ignores an identical duplicate, aborts on a different second message', () => {
    const ss = sessions();
    const r1 = round1(ss);
    const s1 = ss.get(1)!;
    const m2 = r1.get(2)![0]!;
    expect(s1.receive(m2)).toEqual([]);
    expect(s1.receive(structuredClone(m2))).toEqual([]); // retransmission
    const changed = structuredClone(m2);
    (changed.payload as { V: Uint8Array }).V[0]! ^= 1;
    expect(abortOf(() => s1.receive(changed))).toEqual({ reason: 'DUPLICATE_MESSAGE', round: 1, culprits: [2] });
    // terminal: the same abort again, whatever arrives next
    expect(s1.status).toBe('aborted');
    expect(() => s1.receive(r1.get(3)![0]!)).toThrow(s1.abort!);
  });

  it('buffers a next-round message that arrives before the current round is complete', () => {
    const ss = sessions();
    const r1 = round1(ss);
    const s1 = ss.get(1)!;
    const s2 = ss.get(2)!;
    // party 2 completes round 1 and sends its round-2 messages
    s2.receive(r1.get(1)![0]!);
    const r2of2 = s2.receive(r1.get(3)![0]!);
    expect(r2of2.map((m) => m.round)).toEqual([2, 2, 2]);
    // party 1 gets 2's round-2 messages before 3's round-1 message
    expect(s1.receive(r1.get(2)![0]!)).toEqual([]);
    for (const m of r2of2.filter((m) => m.to === null || m.to === 1)) expect(s1.receive(m)).toEqual([]);
    expect(s1.nextRound).toBe(2);
    // once 3's round-1 broadcast is in, party 1 runs round 2; party 2's buffered round-2 messages wait for party 3's
    const r2of1 = s1.receive(r1.get(3)![0]!);
    expect(r2of1.map((m) => m.round)).toEqual([2, 2, 2]);
    expect(s1.nextRound).toBe(3);
    // and the run finishes normally
    const rest = [...r2of1, ...r2of2, ...ss.get(3)!.receive(r1.get(1)![0]!), ...ss.get(3)!.receive(r1.get(2)![0]!)];
    const q = [...rest];
    while (q.length) {
      const m = q.shift()!;
      for (const [id, s] of ss) {
        if (id === m.from || !(m.to === null || m.to === id)) continue;
        if (id === 1 && m.from === 2 && m.round === 2) continue; // already delivered
        if (id === 2 && m.round === 1) continue;
        q.push(...s.receive(m));
      }
    }
    expect([...ss.values()].map((s) => s.status)).toEqual(['done', 'done', 'done']);
  });

  it('takes round-1 messages before its own start, then runs rounds 1 and 2 at once', () => {
    const ss = sessions();
    const m2 = ss.get(2)!.start();
    const m3 = ss.get(3)!.start();
    const s1 = ss.get(1)!;
    expect(s1.status).toBe('ready');
    expect(s1.receive(m2[0]!)).toEqual([]);
    expect(s1.receive(m3[0]!)).toEqual([]);
    expect(abortOf(() => sessions().get(1)!.receive({ ...m2[0]!, round: 2 }))).toMatchObject({ reason: 'WRONG_ROUND' }); // a peer cannot be a round ahead of us before we start
    const out = s1.start();
    expect(out.map((m) => `${m.round}:${m.to}`)).toEqual(['1:null', '2:null', '2:2', '2:3']);
  });

  it('wraps round-2 payloads with the echo vector only when n ≥ 3', () => {
    const wrapped = (parties: PartySpec[]) => {
      const ss = sessions(parties, 'echo-shape');
      const r1 = round1(ss);
      const s1 = ss.get(1)!;
      const out: Message[] = [];
      for (const [id, ms] of r1) if (id !== 1) for (const m of ms) out.push(...s1.receive(m));
      return out.map((m) => Object.keys(m.payload as object).sort().join(','));
    };
    expect(wrapped(PARTIES)).toEqual(['body,echo', 'body,echo', 'body,echo']);
    expect(wrapped(PARTIES.slice(0, 2))).toEqual(['A,S,c,rid,u', 'sigma']);
  });

  it('snapshot/resume (replay mode): a paused session continues in a new driver and ends identically', () => {
    const ref = sessions(PARTIES, 'snap', undefined, true);
    const refOut = pump(ref, [...round1(ref).values()].flat());
    const ss = sessions(PARTIES, 'snap', undefined, true);
    const r1 = round1(ss);
    // pause every party after round 1, persist through JSON-incompatible but structured-clone-safe data
    const snaps = new Map([...ss].map(([id, s]) => [id, s.snapshot()]));
    const resumed = new Map([...snaps].map(([id, snap]) => [id, Session.resume(keygen, structuredClone(snap), { rng: seededRng(`snap/${id}`), replay: true })]));
    const out = pump(resumed as never, [...r1.values()].flat());
    for (const [id, o] of out) expect(bytesToHex((o as KeygenOutput).publicKey)).toBe(bytesToHex(refOut.get(id)!.publicKey));
    for (const [id, o] of out) expect(bytesToHex((o as KeygenOutput).shares.export(id))).toBe(bytesToHex(refOut.get(id)!.shares.export(id)));
  });

  it('reports progress per round with timings', () => {
    const events: [number, ProgressEvent][] = [];
    const ss = sessions(PARTIES, 'progress', (id, e) => events.push([id, e]));
    pump(ss, [...round1(ss).values()].flat());
    const mine = events.filter(([id]) => id === 1).map(([, e]) => e);
    expect(mine.map((e) => `${e.round}:${e.phase}`)).toEqual(['1:start', '1:end', '2:start', '2:end', '3:start', '3:end', '4:start', '4:end']);
    for (const e of mine.filter((e) => e.phase === 'end')) expect(e.ms).toBeGreaterThanOrEqual(0);
  });

  it('rejects a bad config, a second start and a snapshot of a finished session', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return isTkeyTssError(e) ? e.code : String(e);
      }
      return 'ok';
    };
    const mk = (over: object) => () => Session.create(keygen, { sid: SID, self: 1, parties: PARTIES, threshold: 2, ...over }, {}, { rng: seededRng('x') });
    expect(code(mk({ sid: new Uint8Array(0) }))).toBe('INVALID_LENGTH');
    expect(code(mk({ self: 4 }))).toBe('INVALID_ARGUMENT');
    expect(code(mk({ threshold: 0 }))).toBe('OUT_OF_RANGE');
    expect(code(mk({ parties: [...PARTIES, { id: 4, owns: [1] }] }))).toBe('DUPLICATE_INDEX');
    const ss = sessions();
    ss.get(1)!.start();
    expect(code(() => ss.get(1)!.start())).toBe('INVALID_ARGUMENT');
    const two = sessions(PARTIES.slice(0, 2));
    pump(two, [...round1(two).values()].flat());
    expect(code(() => two.get(1)!.snapshot())).toBe('INVALID_ARGUMENT');
  });

  it('a protocol whose round sends what it did not declare is an internal bug', () => {
    const bad: Protocol<object, null, null> = {
      name: 'bad',
      init: () => null,
      rounds: [{ sends: { broadcast: true, p2p: false }, run: () => ({ state: null, outbox: [{ to: 2, payload: 1 }] }) }, { sends: { broadcast: false, p2p: false }, run: () => ({ output: null }) }],
    };
    const s = Session.create(bad, { sid: SID, self: 1, parties: PARTIES.slice(0, 2), threshold: 2 }, {}, { rng: seededRng('x') });
    expect(() => s.start()).toThrow(/INTERNAL_BUG/);
  });
});

describe('wire codec', () => {
  it('canonical: key order does not matter, one encoding per value, round trip', () => {
    const a = encodePayload({ b: 1, a: new Uint8Array([1, 2]), c: [null, true, 'x', -3] });
    const b = encodePayload({ c: [null, true, 'x', -3], a: new Uint8Array([1, 2]), b: 1 });
    expect(bytesToHex(a)).toBe(bytesToHex(b));
    const back = decodePayload(a) as Record<string, unknown>;
    expect(back.a).toBeInstanceOf(Uint8Array);
    expect(Object.getPrototypeOf(back.a).constructor).toBe(Uint8Array);
    expect(bytesToHex(encodePayload(back as never))).toBe(bytesToHex(a));
  });

  it('rejects floats, bigints, class instances, non-canonical and trailing bytes', () => {
    expect(() => encodePayload(1.5 as never)).toThrow(/INVALID_ARGUMENT/);
    expect(() => encodePayload(1n as never)).toThrow(/INVALID_ARGUMENT/);
    expect(() => encodePayload(new Map() as never)).toThrow(/INVALID_ARGUMENT/);
    // map16 header for a 1-entry map (canonical is fixmap)
    expect(() => decodePayload(new Uint8Array([0xde, 0x00, 0x01, 0xa1, 0x61, 0x01]))).toThrow(/INVALID_ARGUMENT/);
    const ok = encodePayload({ a: 1 });
    expect(() => decodePayload(new Uint8Array([...ok, 0x00]))).toThrow(/INVALID_ARGUMENT/);
    expect(() => decodeMessage(encodePayload({ a: 1 }))).toThrow(/INVALID_ARGUMENT/);
  });
});

describe('protocols/README.md', () => {
  it('lists every abort reason with its text', () => {
    const readme = readFileSync(new URL('../protocols/README.md', import.meta.url), 'utf8');
    for (const [code, text] of Object.entries(ABORT_REASONS)) expect(readme).toContain(`| \`${code}\` | ${text} |`);
  });
});
