/** Refresh (protocols/refresh): re-sharing to new index sets and thresholds, the key unchanged; malicious dealers. */
import { describe, expect, it } from 'vitest';
import { bytesToHex, utf8ToBytes } from '../src/bytes.js';
import { mulGUnsafe, pointFromBytes } from '../src/curve.js';
import { isTkeyTssError, ProtocolAbort } from '../src/errors.js';
import { seededRng } from '../src/rng.js';
import { commit, evaluate, randomPolynomial } from '../src/shamir/index.js';
import type { KeygenOutput } from '../protocols/keygen/index.js';
import { type ExtensionParts, refresh, refreshProtocol, type RefreshExtension, type RefreshOutput, type RefreshState } from '../protocols/refresh/index.js';
import { Session } from '../protocols/session.js';
import type { PartySpec, Payload, Protocol } from '../protocols/types.js';
import { pointBytes, scalarBytes } from '../protocols/util.js';
import { allShares, interpolatesTo, refreshInputs, runKeygen, runRefresh, subsets, type SimResult } from './helpers/simulate.js';
import { editMessage, flip, tamper } from './helpers/tamper.js';

const P = (id: number, ...owns: number[]): PartySpec => ({ id, owns });

function outputsOf<O>(r: SimResult<O>, parties: PartySpec[]): O[] {
  expect(r.aborts.size, [...r.aborts.values()].map(String).join('; ')).toBe(0);
  expect(r.stalled).toEqual([]);
  return parties.map((p) => r.outputs.get(p.id)!);
}

/** The new sharing is consistent, any t' shares give Y and t'−1 do not (tests only). */
function checkNew(outs: RefreshOutput[], Y: Uint8Array, t: number, epoch: number, indices: number[]): void {
  const o = outs[0]!;
  const pub = (x: RefreshOutput) => JSON.stringify({ ...x, shares: null, self: null, extension: null }, (_k, v) => (v instanceof Uint8Array ? bytesToHex(v) : v));
  for (const x of outs) expect(pub(x)).toBe(pub(o));
  expect(bytesToHex(o.publicKey)).toBe(bytesToHex(Y));
  expect(bytesToHex(o.commitments[0]!)).toBe(bytesToHex(Y));
  expect(o.commitments).toHaveLength(t);
  expect(o.threshold).toBe(t);
  expect(o.epoch).toBe(epoch);
  expect(o.publicShares.map((p) => p.index)).toEqual(indices);
  const shares = allShares(outs);
  expect([...shares.keys()].sort((a, b) => a - b)).toEqual(indices);
  for (const { index, X } of o.publicShares) expect(mulGUnsafe(shares.get(index)!).equals(pointFromBytes(X))).toBe(true);
  for (const s of subsets(indices, t)) expect(interpolatesTo(s.map((x) => ({ x, y: shares.get(x)! })), Y)).toBe(true);
  for (const s of subsets(indices, t - 1)) if (s.length) expect(interpolatesTo(s.map((x) => ({ x, y: shares.get(x)! })), Y)).toBe(false);
}

function aborted(r: SimResult<RefreshOutput>, reason: string, round: number, culprits: number[], victims: number[]): void {
  for (const v of victims) {
    const a = r.aborts.get(v);
    expect(r.outputs.has(v)).toBe(false);
    expect(a, `party ${v} aborts`).toBeInstanceOf(ProtocolAbort);
    expect({ reason: a!.reason, round: a!.round, culprits: [...a!.culprits] }).toEqual({ reason, round, culprits });
  }
}

// keygen 2-of-3: service (party 1, index 1), device (party 2, indices 2 = device, 3 = recovery)
const KG_PARTIES = [P(1, 1), P(2, 2, 3)];
const kg = () => {
  const r = runKeygen(KG_PARTIES, 2, 'rf/kg');
  return outputsOf(r, KG_PARTIES) as KeygenOutput[];
};

describe('refresh: honest runs', () => {
  it('same indices: new shares, same key, epoch + 1; old and new shares do not mix', () => {
    const old = kg();
    const Y = old[0]!.publicKey;
    const outs = outputsOf(runRefresh(old, new Map([[1, [1]], [2, [2]]]), KG_PARTIES, 2, 'rf/same'), KG_PARTIES);
    checkNew(outs, Y, 2, 1, [1, 2, 3]);
    expect(outs[0]!.previous).toEqual({ epoch: 0, threshold: 2, indices: [1, 2] });
    const oldS = allShares(old);
    const newS = allShares(outs);
    for (const i of [1, 2, 3]) expect(oldS.get(i)).not.toBe(newS.get(i));
    expect(interpolatesTo([{ x: 1, y: oldS.get(1)! }, { x: 2, y: newS.get(2)! }], Y)).toBe(false);
  });

  it('lose the device: recovery (new device party owning 3) + service refresh to {1, 3, 4}; old share 2 is useless', () => {
    const old = kg();
    const Y = old[0]!.publicKey;
    // the new device party (id 3) holds the recovery share 3 and computes the new index 4 for a new factor
    const parties = [P(1, 1), P(3, 3, 4)];
    const recovered = old.map((o) => o); // the recovery share is read from the device's old output here
    const outs = outputsOf(runRefresh(recovered, new Map([[1, [1]], [3, [3]]]), parties, 2, 'rf/lose'), parties);
    checkNew(outs, Y, 2, 1, [1, 3, 4]);
    const oldShare2 = allShares(old).get(2)!;
    const newS = allShares(outs);
    for (const i of [1, 3, 4]) expect(interpolatesTo([{ x: 2, y: oldShare2 }, { x: i, y: newS.get(i)! }], Y)).toBe(false);
  });

  it('threshold raised 2 → 3 (new index 4) and back to 2, key unchanged, epochs 1 and 2', () => {
    const three = [P(1, 1), P(2, 2), P(3, 3)];
    const old = outputsOf(runKeygen(three, 2, 'rf/kg3'), three) as KeygenOutput[];
    const Y = old[0]!.publicKey;
    const up = [P(1, 1), P(2, 2), P(3, 3, 4)];
    const o3 = outputsOf(runRefresh(old, new Map([[1, [1]], [2, [2]]]), up, 3, 'rf/up'), up);
    checkNew(o3, Y, 3, 1, [1, 2, 3, 4]);
    // back to 2-of-3 among {1, 2, 3}; the 3-of-4 dealers are any 3 indices (here all four, party 3 deals 3 and 4)
    const o2 = outputsOf(runRefresh(o3, new Map([[1, [1]], [2, [2]], [3, [3, 4]]]), three, 2, 'rf/down'), three);
    checkNew(o2, Y, 2, 2, [1, 2, 3]);
  });

  it('a receiving-only party (holds no old share) gets new shares', () => {
    const old = kg();
    const parties = [P(1, 1), P(2, 2), P(5, 3)];
    const outs = outputsOf(runRefresh(old, new Map([[1, [1]], [2, [3]]]), parties, 2, 'rf/recv'), parties);
    checkNew(outs, old[0]!.publicKey, 2, 1, [1, 2, 3]);
  });

  it('a dealing party may leave (owns no new index)', () => {
    const three = [P(1, 1), P(2, 2), P(3, 3)];
    const old = outputsOf(runKeygen(three, 2, 'rf/kg-leave'), three) as KeygenOutput[];
    const parties = [P(1, 1), P(2, 2, 5), P(3)];
    const outs = outputsOf(runRefresh(old, new Map([[1, [1]], [2, [2]], [3, [3]]]), parties, 2, 'rf/leave'), parties);
    checkNew(outs, old[0]!.publicKey, 2, 1, [1, 2, 5]);
    expect(outs[2]!.shares.indices).toEqual([]);
  });

  it('rejects inconsistent input before sending anything', () => {
    const old = kg();
    const input = refreshInputs(old, new Map([[1, [1]], [2, [2]]]));
    const code = (over: object, self = 1) => {
      try {
        Session.create(refresh, { sid: utf8ToBytes('s'), self, parties: KG_PARTIES, threshold: 2 }, { ...input(self), ...over }, { rng: seededRng('x') });
      } catch (e) {
        return isTkeyTssError(e) ? e.code : String(e);
      }
      return 'ok';
    };
    expect(code({})).toBe('ok');
    expect(code({ dealers: [{ party: 1, indices: [1] }] })).toBe('NOT_ENOUGH_SHARES');
    expect(code({ dealers: [{ party: 1, indices: [1] }, { party: 2, indices: [0] }] })).toBe('ZERO_INDEX');
    expect(code({ dealers: [{ party: 1, indices: [1] }, { party: 2, indices: [1] }] })).toBe('DUPLICATE_INDEX');
    expect(code({ dealers: [{ party: 1, indices: [1] }, { party: 9, indices: [2] }] })).toBe('INVALID_ARGUMENT');
    expect(code({ oldShares: [{ index: 1, share: old[1]!.shares.export(2) }] })).toBe('SHARE_NOT_ON_POLYNOMIAL');
    expect(code({ oldShares: [] })).toBe('INVALID_ARGUMENT');
    expect(code({ publicKey: old[0]!.publicShares[0]!.X })).toBe('SHARE_NOT_ON_POLYNOMIAL');
    expect(code({ oldPublicShares: [...old[0]!.publicShares, { index: 1, X: old[0]!.publicKey }] })).toBe('DUPLICATE_INDEX');
    expect(code({ epoch: -1 })).toBe('INVALID_ARGUMENT');
  });
});

describe('refresh: malicious parties (abort naming the culprit)', () => {
  const three = [P(1, 1), P(2, 2), P(3, 3)];
  const old3 = () => outputsOf(runKeygen(three, 2, 'rf/mal-kg'), three) as KeygenOutput[];
  const dealers = new Map([[1, [1]], [2, [2]], [3, [3]]]);
  const run = (extra: ReturnType<typeof tamper>, t = 2) => runRefresh(old3(), dealers, three, t, 'rf/mal', extra);

  it('a dealer whose contribution changes the key (consistent sharing of another secret)', () => {
    const r = run(tamper({ party: 3, round: 1, before: (st: RefreshState) => ({ ...st, w: (st.w! + 1n) % 2n ** 255n }) }));
    aborted(r, 'DEALER_KEY_CHANGED', 1, [3], [1, 2]);
  });

  it('a dealer that changes only C₀', () => {
    const r = run(tamper(editMessage(3, 1, 'broadcast', (b) => void ((b.C as Uint8Array[])[0] = pointBytes(mulGUnsafe(7n))))));
    aborted(r, 'DEALER_KEY_CHANGED', 1, [3], [1, 2]);
  });

  it('commitment vectors of t′+1 and t′−1 points; commitments from a non-dealer', () => {
    aborted(run(tamper(editMessage(2, 1, 'broadcast', (b) => void (b.C as Uint8Array[]).push(pointBytes(mulGUnsafe(5n)))))), 'COMMITMENT_LENGTH', 1, [2], [1, 3]);
    aborted(run(tamper(editMessage(2, 1, 'broadcast', (b) => void (b.C as Uint8Array[]).pop()))), 'COMMITMENT_LENGTH', 1, [2], [1, 3]);
    // party 3 receives only; sending commitments anyway is refused
    const r = runRefresh(old3(), new Map([[1, [1]], [2, [2]]]), three, 2, 'rf/mal-nd', tamper(editMessage(3, 1, 'broadcast', (b) => void (b.C as Uint8Array[]).push(pointBytes(mulGUnsafe(5n))))));
    aborted(r, 'COMMITMENT_LENGTH', 1, [3], [1, 2]);
  });

  it('a share inconsistent with its Feldman commitments', () => {
    const r = run(tamper(editMessage(3, 1, 'p2p', (b) => void ((b.sigma as Uint8Array[])[0] = flip((b.sigma as Uint8Array[])[0]!)), [2])));
    aborted(r, 'FELDMAN_SHARE_MISMATCH', 1, [3], [2]);
  });

  it('a bad Schnorr proof of a new share', () => {
    const r = run(tamper(editMessage(3, 2, 'broadcast', (b) => void ((b.z as Uint8Array[])[0] = flip((b.z as Uint8Array[])[0]!)))));
    aborted(r, 'SCHNORR_INVALID', 2, [3], [1, 2]);
  });

  it('a confirmation of another view', () => {
    const r = run(tamper(editMessage(3, 2, 'broadcast', (b) => void (b.h = flip(b.h as Uint8Array)))));
    aborted(r, 'CONFIRMATION_MISMATCH', 2, [3], [1, 2]);
  });

  it('two-party confirmation catches a split view without the echo round', () => {
    const two = [P(1, 1), P(2, 2, 3)];
    const old = kg();
    const r = runRefresh(old, new Map([[1, [1]], [2, [2]]]), two, 2, 'rf/mal2', tamper(editMessage(2, 2, 'broadcast', (b) => void (b.h = flip(b.h as Uint8Array)))));
    aborted(r, 'CONFIRMATION_MISMATCH', 2, [2], [1]);
  });

  it('different (each locally valid) round-1 broadcasts to different recipients: echo check (n = 3)', () => {
    // party 3 deals a second polynomial with the same constant to party 2 only: every local check of party 2 passes
    let w = 0n;
    const g2 = (wv: bigint) => randomPolynomial(seededRng('equivocate'), 1, wv);
    const r = run(
      tamper(
        { party: 3, round: 1, before: (st: RefreshState) => ((w = st.w!), st) },
        editMessage(3, 1, 'broadcast', (b) => void (b.C = commit(g2(w)).map(pointBytes)), [2]),
        editMessage(3, 1, 'p2p', (b) => void (b.sigma = [scalarBytes(evaluate(g2(w), 2n))]), [2]),
      ),
    );
    aborted(r, 'ECHO_MISMATCH', 1, [3], [2]);
    aborted(r, 'ECHO_MISMATCH', 1, [2, 3], [1]);
  });

  it('a message replayed from another session', () => {
    let replay: unknown;
    runRefresh(old3(), dealers, three, 2, 'rf/other', {
      deliver: (m, to) => {
        if (m.from === 3 && m.round === 1 && m.to === null && to === 1) replay ??= structuredClone(m);
        return m;
      },
    });
    const r = run(tamper({ party: 3, round: 1, message: (m, to) => (to === 1 && m.to === null ? (replay as typeof m) : m) }));
    aborted(r, 'WRONG_SID', 1, [3], [1]);
  });

  it('a party running another configuration', () => {
    const r = run(tamper(editMessage(3, 1, 'broadcast', (b) => void (b.cfg = flip(b.cfg as Uint8Array)))));
    aborted(r, 'CONFIG_MISMATCH', 1, [3], [1, 2]);
  });
});

// ---------------------------------------------------------------- extension hook

/** A toy extension (stand-in for aux info): each party broadcasts a 32-byte value in round 1 and p2p acks bound to h in round 2. */
const toy: RefreshExtension = {
  name: 'toy/v1',
  p2pRound2: true,
  round1(ctx) {
    const v = ctx.rng.bytes(32);
    return { state: { v }, broadcast: { v }, p2p: new Map(ctx.parties.filter((p) => p.id !== ctx.self).map((p) => [p.id, { to: p.id }])) };
  },
  round2(state, peers, ctx, h) {
    const seen: Record<string, Payload> = {};
    for (const [j, parts] of peers) {
      const v = (parts.broadcast as { v?: unknown }).v;
      if (!(v instanceof Uint8Array) || v.length !== 32) throw new ProtocolAbort('TOY_INVALID', 1, [j], 'v');
      if ((parts.p2p as { to?: unknown }).to !== ctx.self) throw new ProtocolAbort('TOY_INVALID', 1, [j], 'p2p');
      seen[String(j)] = v;
    }
    return { state: { ...(state as object), seen }, broadcast: { h }, p2p: new Map(ctx.parties.filter((p) => p.id !== ctx.self).map((p) => [p.id, { ack: h }])) };
  },
  finish(state, peers: ReadonlyMap<number, ExtensionParts>, _ctx, h) {
    for (const [j, parts] of peers) {
      const ok = (x: unknown) => x instanceof Uint8Array && bytesToHex(x) === bytesToHex(h);
      if (!ok((parts.broadcast as { h?: unknown }).h) || !ok((parts.p2p as { ack?: unknown }).ack)) throw new ProtocolAbort('TOY_INVALID', 2, [j], 'ack');
    }
    return (state as { seen: Payload }).seen;
  },
};

describe('refresh: extension hook (where aux re-proofs plug in)', () => {
  const three = [P(1, 1), P(2, 2), P(3, 3)];
  const proto = refreshProtocol(toy) as Protocol<never, unknown, RefreshOutput>;
  const old = () => outputsOf(runKeygen(three, 2, 'rf/ext-kg'), three) as KeygenOutput[];
  const dealers = new Map([[1, [1]], [2, [2]], [3, [3]]]);

  it('carries the extension through both rounds and returns its output', () => {
    const o = old();
    const outs = outputsOf(runRefresh(o, dealers, three, 2, 'rf/ext', {}, proto as never), three);
    checkNew(outs, o[0]!.publicKey, 2, 1, [1, 2, 3]);
    expect(Object.keys(outs[0]!.extension as object).sort()).toEqual(['2', '3']);
  });

  it("the extension's own checks abort naming the culprit; its name is bound into the configuration", () => {
    const o = old();
    const r = runRefresh(o, dealers, three, 2, 'rf/ext', tamper(editMessage(2, 2, 'p2p', (b) => void (b.ext = { ack: new Uint8Array(32) }), [3])), proto as never);
    aborted(r, 'TOY_INVALID', 2, [2], [3]);
    // a party without the extension vs parties with it
    const input = refreshInputs(o, dealers);
    const withExt = Session.create(proto, { sid: utf8ToBytes('x'), self: 1, parties: three, threshold: 2 }, input(1) as never, { rng: seededRng('a') });
    const without = [2, 3].map((id) => Session.create(refresh, { sid: utf8ToBytes('x'), self: id, parties: three, threshold: 2 }, input(id), { rng: seededRng(`b${id}`) }));
    withExt.start();
    const [m2, m3] = without.map((s) => s.start());
    withExt.receive(m2!.find((m) => m.to === null)!);
    withExt.receive(m2!.find((m) => m.to === 1)!);
    withExt.receive(m3!.find((m) => m.to === null)!);
    expect(() => withExt.receive(m3!.find((m) => m.to === 1)!)).toThrow(ProtocolAbort);
    expect(withExt.abort!.culprits).toEqual([2]);
    expect(withExt.abort!.reason).toBe('CONFIG_MISMATCH');
  });
});
