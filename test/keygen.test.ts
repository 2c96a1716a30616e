/** Keygen (protocols/keygen): honest runs for several (t, n) and party layouts, and one malicious-party test per check. */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { bytesToHex, utf8ToBytes } from '../src/bytes.js';
import { mulGUnsafe, pointFromBytes } from '../src/curve.js';
import { isTkeyTssError, ProtocolAbort } from '../src/errors.js';
import { seededRng } from '../src/rng.js';
import { commit } from '../src/shamir/index.js';
import { commitmentHash, keygen, type KeygenOutput, type KeygenState } from '../protocols/keygen/index.js';
import { Session } from '../protocols/session.js';
import type { Message, PartySpec } from '../protocols/types.js';
import { pointBytes } from '../protocols/util.js';
import { allShares, interpolatesTo, runKeygen, subsets, type SimResult } from './helpers/simulate.js';
import { editMessage, flip, tamper } from './helpers/tamper.js';

const P = (id: number, ...owns: number[]): PartySpec => ({ id, owns });

function honest(r: SimResult<KeygenOutput>, parties: PartySpec[], t: number): KeygenOutput[] {
  expect(r.aborts.size).toBe(0);
  expect(r.stalled).toEqual([]);
  const outs = parties.map((p) => r.outputs.get(p.id)!);
  const pub = (o: KeygenOutput) => JSON.stringify({ ...o, shares: null, self: null }, (_k, v) => (v instanceof Uint8Array ? bytesToHex(v) : v));
  for (const o of outs) expect(pub(o)).toBe(pub(outs[0]!));
  const o = outs[0]!;
  expect(o.threshold).toBe(t);
  expect(o.epoch).toBe(0);
  expect(o.commitments).toHaveLength(t);
  expect(bytesToHex(o.commitments[0]!)).toBe(bytesToHex(o.publicKey));
  const indices = parties.flatMap((p) => p.owns).sort((a, b) => a - b);
  expect(o.publicShares.map((x) => x.index)).toEqual(indices);
  const shares = allShares(outs);
  expect([...shares.keys()].sort((a, b) => a - b)).toEqual(indices);
  for (const { index, X } of o.publicShares) expect(mulGUnsafe(shares.get(index)!).equals(pointFromBytes(X))).toBe(true);
  // any t shares give the key, any t−1 do not (tests only)
  for (const s of subsets(indices, t)) expect(interpolatesTo(s.map((x) => ({ x, y: shares.get(x)! })), o.publicKey)).toBe(true);
  if (t > 1) for (const s of subsets(indices, t - 1)) expect(interpolatesTo(s.map((x) => ({ x, y: shares.get(x)! })), o.publicKey)).toBe(false);
  return outs;
}

/** Every party except the culprit aborted (or is stalled waiting), every abort names exactly `culprits`. */
function aborted(r: SimResult<KeygenOutput>, reason: string, round: number, culprits: number[], victims: number[]): void {
  for (const v of victims) {
    expect(r.outputs.has(v), `party ${v} has no output`).toBe(false);
    const a = r.aborts.get(v);
    expect(a, `party ${v} aborts`).toBeInstanceOf(ProtocolAbort);
    expect({ reason: a!.reason, round: a!.round, culprits: [...a!.culprits] }).toEqual({ reason, round, culprits });
  }
}

describe('keygen: honest runs', () => {
  const cases: [string, PartySpec[], number][] = [
    ['2-of-2', [P(1, 1), P(2, 2)], 2],
    ['2-of-3, three parties', [P(1, 1), P(2, 2), P(3, 3)], 2],
    ['2-of-3, service + device owning [2, 3]', [P(1, 1), P(2, 2, 3)], 2],
    ['3-of-5, five parties', [P(1, 1), P(2, 2), P(3, 3), P(4, 4), P(5, 5)], 3],
    ['3-of-5, three parties owning [1], [2, 3], [4, 5]', [P(1, 1), P(2, 2, 3), P(3, 4, 5)], 3],
    ['2-of-3, party ids ≠ indices', [P(7, 1), P(9, 2, 30)], 2],
  ];
  for (const [name, parties, t] of cases) {
    it(name, () => {
      honest(runKeygen(parties, t, `kg/${name}`), parties, t);
    });
  }

  it('is deterministic under seeds in replay mode and independent of the delivery order (early messages buffered)', () => {
    const parties = [P(1, 1), P(2, 2), P(3, 3)];
    const a = honest(runKeygen(parties, 2, 'kg/order', { replay: true }), parties, 2);
    const b = honest(runKeygen(parties, 2, 'kg/order', { order: 'lifo', replay: true }), parties, 2);
    const c = honest(runKeygen(parties, 2, 'kg/order', { order: seededRng('shuffle'), replay: true }), parties, 2);
    for (const o of [b, c]) expect(bytesToHex(o[0]!.publicKey)).toBe(bytesToHex(a[0]!.publicKey));
    expect(bytesToHex(a[0]!.publicKey)).not.toBe(bytesToHex(honest(runKeygen(parties, 2, 'kg/order2', { replay: true }), parties, 2)[0]!.publicKey));
    // outside replay mode the same seeds give another key every run (fresh entropy per round)
    expect(bytesToHex(honest(runKeygen(parties, 2, 'kg/order'), parties, 2)[0]!.publicKey)).not.toBe(bytesToHex(a[0]!.publicKey));
  });

  it('redacts the secret shares; export is explicit', () => {
    const [o] = honest(runKeygen([P(1, 1), P(2, 2, 3)], 2, 'kg/redact'), [P(1, 1), P(2, 2, 3)], 2);
    const dev = runKeygen([P(1, 1), P(2, 2, 3)], 2, 'kg/redact').outputs.get(2)!;
    const secret = bytesToHex(dev.shares.export(3));
    expect(JSON.stringify(dev)).not.toContain(secret);
    expect(inspect(dev, { depth: 5 })).not.toContain(secret);
    expect(inspect(dev.shares)).toContain('<redacted>');
    expect(dev.shares.indices).toEqual([2, 3]);
    expect(o!.shares.indices).toEqual([1]);
  });

  it('rejects a bad configuration before sending anything', () => {
    const mk = (parties: PartySpec[], t = 2) => () => Session.create(keygen, { sid: utf8ToBytes('s'), self: 1, parties, threshold: t }, {}, { rng: seededRng('x') });
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return isTkeyTssError(e) ? e.code : String(e);
      }
      return 'no error';
    };
    expect(code(mk([P(1, 1), P(1, 2)]))).toBe('DUPLICATE_INDEX');
    expect(code(mk([P(1, 1), P(2, 1)]))).toBe('DUPLICATE_INDEX');
    expect(code(mk([P(1, 0), P(2, 2)]))).toBe('ZERO_INDEX');
    expect(code(mk([P(1, 1), P(0, 2)]))).toBe('ZERO_INDEX');
    expect(code(mk([P(1, 1), P(2, 2)], 3))).toBe('OUT_OF_RANGE');
    expect(code(mk([P(1, 1)]))).toBe('INVALID_ARGUMENT');
    expect(code(() => Session.create(keygen, { sid: utf8ToBytes('s'), self: 1, parties: [P(1, 1), P(2, 2)], threshold: 2 }, { x: 1 } as never, { rng: seededRng('x') }))).toBe('INVALID_ARGUMENT');
  });
});

describe('keygen: malicious parties (abort naming the culprit)', () => {
  const three = [P(1, 1), P(2, 2), P(3, 3)];
  const run = (extra: ReturnType<typeof tamper>, parties = three, t = 2) => runKeygen(parties, t, 'kg/mal', extra);

  it('commitment vector of t+1 points', () => {
    const r = run(tamper(editMessage(3, 2, 'broadcast', (b) => void (b.S as Uint8Array[]).push(pointBytes(mulGUnsafe(5n))))));
    aborted(r, 'COMMITMENT_LENGTH', 2, [3], [1, 2]);
  });

  it('commitment vector of t−1 points', () => {
    const r = run(tamper(editMessage(3, 2, 'broadcast', (b) => void (b.S as Uint8Array[]).pop())));
    aborted(r, 'COMMITMENT_LENGTH', 2, [3], [1, 2]);
  });

  it('commitment vector of t+1 points with a consistent hash commitment (a dealer of degree t)', () => {
    // party 3 deals a degree-t polynomial and commits to it honestly in round 1
    const r = run(
      tamper({
        party: 3,
        round: 1,
        after: (res) => {
          if (!('state' in res)) return res;
          const st = res.state as KeygenState;
          const f = [...st.f!, 12345n];
          const S = commit(f).map(pointBytes);
          const V = commitmentHash(utf8ToBytes('kg/mal/sid'), 3, st.cfg, { S, rid: st.rid!, c: st.c!, A: st.A!, u: st.u! });
          return { state: { ...st, f, S, V }, outbox: [{ to: null, payload: { cfg: st.cfg, V } }] };
        },
      }),
    );
    aborted(r, 'COMMITMENT_LENGTH', 2, [3], [1, 2]);
  });

  it('a share inconsistent with its Feldman commitments', () => {
    const r = run(tamper(editMessage(3, 2, 'p2p', (b) => void ((b.sigma as Uint8Array[])[0] = flip((b.sigma as Uint8Array[])[0]!)), [1])));
    aborted(r, 'FELDMAN_SHARE_MISMATCH', 2, [3], [1]);
    expect(r.aborts.has(2)).toBe(false); // party 2's shares were fine: it waits for party 1
    expect(r.stalled).toEqual([2, 3]);
  });

  it('a share for another index (owner of two indices gets them swapped)', () => {
    const parties = [P(1, 1), P(2, 2, 3)];
    const r = run(tamper(editMessage(1, 2, 'p2p', (b) => void (b.sigma as Uint8Array[]).reverse())), parties);
    aborted(r, 'FELDMAN_SHARE_MISMATCH', 2, [1], [2]);
  });

  it('a bad Schnorr proof', () => {
    const r = run(tamper(editMessage(3, 3, 'broadcast', (b) => void ((b.z as Uint8Array[])[0] = flip((b.z as Uint8Array[])[0]!)))));
    aborted(r, 'SCHNORR_INVALID', 3, [3], [1, 2]);
  });

  it('a Schnorr response for one index of a multi-index owner', () => {
    const parties = [P(1, 1), P(2, 2, 3), P(3, 4)];
    const r = run(tamper(editMessage(2, 3, 'broadcast', (b) => void ((b.z as Uint8Array[])[1] = flip((b.z as Uint8Array[])[1]!, 9)))), parties);
    aborted(r, 'SCHNORR_INVALID', 3, [2], [1, 3]);
  });

  it('a decommitment that does not match its commitment', () => {
    const r = run(tamper(editMessage(3, 2, 'broadcast', (b) => void (b.rid = flip(b.rid as Uint8Array)))));
    aborted(r, 'DECOMMITMENT_MISMATCH', 2, [3], [1, 2]);
    const r2 = run(tamper(editMessage(3, 2, 'broadcast', (b) => void (b.c = flip(b.c as Uint8Array)))));
    aborted(r2, 'DECOMMITMENT_MISMATCH', 2, [3], [1, 2]);
  });

  it('different round-1 broadcasts to different recipients (echo check, n = 3)', () => {
    const r = run(tamper(editMessage(3, 1, 'broadcast', (b) => void (b.V = flip(b.V as Uint8Array)), [2])));
    // party 2 got V' but party 3 reports V: party 3 alone is blamed
    aborted(r, 'ECHO_MISMATCH', 1, [3], [2]);
    // party 1 got V and sees party 2 report V': one of {2, 3} cheated
    aborted(r, 'ECHO_MISMATCH', 1, [2, 3], [1]);
  });

  it('a party lying in its echo vector is blamed alone by the party it lies about', () => {
    const r = run(
      tamper({
          party: 3,
          round: 2,
          message: (msg) => {
            const p = msg.payload as { echo: Uint8Array[] };
            p.echo[0] = flip(p.echo[0]!); // claims party 1 sent something else
            return msg;
          },
      }),
    );
    aborted(r, 'ECHO_MISMATCH', 1, [3], [1]);
    aborted(r, 'ECHO_MISMATCH', 1, [1, 3], [2]);
  });

  it('a message replayed from another session', () => {
    // record party 3's messages in session A, then play them into session B
    const a = runKeygen(three, 2, 'kg/replay-a');
    const fromA = (round: number, kind: 'broadcast' | 'p2p'): Message => {
      let found: Message | undefined;
      runKeygen(three, 2, 'kg/replay-a', {
        deliver: (m, to) => {
          if (m.from === 3 && m.round === round && (m.to === null) === (kind === 'broadcast') && to === 1) found ??= structuredClone(m);
          return m;
        },
      });
      return found!;
    };
    expect(a.outputs.size).toBe(3);
    // as-is: the envelope's sid is A's
    const r1 = run(tamper({ party: 3, round: 1, message: (m, to) => (to === 1 ? fromA(1, 'broadcast') : m) }));
    aborted(r1, 'WRONG_SID', 1, [3], [1]);
    // relabelled with B's sid: the reveal does not open B's commitment (V binds sid)
    const sidB = utf8ToBytes('kg/mal/sid');
    const bodyA = (fromA(2, 'broadcast').payload as { body: unknown }).body;
    const r2 = run(tamper(editMessage(3, 2, 'broadcast', (b) => void Object.assign(b, bodyA), [1])));
    aborted(r2, 'DECOMMITMENT_MISMATCH', 2, [3], [1]);
    // a Schnorr response from A relabelled into B: the challenge binds (sid, i, rid)
    const r3 = run(tamper({ party: 3, round: 3, message: (m, to) => (to === 1 ? { ...fromA(3, 'broadcast'), sid: sidB } : m) }));
    aborted(r3, 'SCHNORR_INVALID', 3, [3], [1]);
  });

  it('a party running another configuration (claims an index owned by another party, or index 0)', () => {
    // party 3's own config check forbids index 0 or a shared index, so it can only lie in the cfg hash
    const r = run(tamper(editMessage(3, 1, 'broadcast', (b) => void (b.cfg = flip(b.cfg as Uint8Array)))));
    aborted(r, 'CONFIG_MISMATCH', 1, [3], [1, 2]);
    // a party that really runs with another index set: {1, 2, 3} vs party 3 believing it owns [3, 4]
    const specs = (id: number) => (id === 3 ? [P(1, 1), P(2, 2), P(3, 3, 4)] : three);
    const sessions = three.map((p) => Session.create(keygen, { sid: utf8ToBytes('cfg'), self: p.id, parties: specs(p.id), threshold: 2 }, {}, { rng: seededRng(`c${p.id}`) }));
    const m3 = sessions[2]!.start();
    const m2 = sessions[1]!.start();
    sessions[0]!.start();
    sessions[0]!.receive(m2[0]!);
    expect(() => sessions[0]!.receive(m3[0]!)).toThrow(ProtocolAbort);
    expect(sessions[0]!.abort!.reason).toBe('CONFIG_MISMATCH');
    expect(sessions[0]!.abort!.culprits).toEqual([3]);
  });

  it('malformed fields are blamed on the sender', () => {
    const cases: [number, 'broadcast' | 'p2p', (b: Record<string, unknown>) => void][] = [
      [1, 'broadcast', (b) => void (b.V = (b.V as Uint8Array).subarray(1))],
      [2, 'broadcast', (b) => void ((b.S as Uint8Array[])[1] = new Uint8Array(33).fill(5))], // invalid SEC1 prefix
      [2, 'broadcast', (b) => void ((b.A as Uint8Array[])[0] = new Uint8Array(33))],
      [2, 'broadcast', (b) => void (b.extra = 1)],
      [2, 'p2p', (b) => void ((b.sigma as Uint8Array[])[0] = new Uint8Array(32).fill(0xff))], // ≥ n
      [2, 'p2p', (b) => void (b.sigma = [])],
      [3, 'broadcast', (b) => void (b.z = 'zz')],
    ];
    for (const [round, kind, fn] of cases) {
      const r = run(tamper(editMessage(3, round, kind, fn as never)));
      const a = r.aborts.get(1)!;
      expect(a, `round ${round} ${kind}`).toBeInstanceOf(ProtocolAbort);
      expect([a.reason, a.round, [...a.culprits]]).toEqual(['MALFORMED_MESSAGE', round, [3]]);
    }
  });

  it('an honest transcript reproduces each party byte for byte in replay mode (round functions are pure)', () => {
    const a = runKeygen(three, 2, 'kg/pure', { replay: true });
    const b = runKeygen(three, 2, 'kg/pure', { order: 'lifo', replay: true });
    for (const p of three) expect(a.sent.get(p.id)!.map(bytesToHex)).toEqual(b.sent.get(p.id)!.map(bytesToHex));
  });
});
