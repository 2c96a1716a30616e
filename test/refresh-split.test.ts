/**
 * Refresh with n ≥ 3 cannot split honest parties (issue 9 item 4, cggmp-recipe §3 #12): a party that
 * confirms different views to different parties is named by every honest party (round-3
 * confirmation echo), and whoever aborts after its new shares were verified keeps them as
 * `unconfirmed`, so the durable decision (the device's metadata batch, modelled here by the arbiter
 * party's outcome) puts every honest party in the same epoch, all old or all new, with the shares
 * of that epoch.
 */
import { describe, expect, it } from 'vitest';
import { bytesToHex, utf8ToBytes } from '../src/bytes.js';
import { mulGUnsafe, pointFromBytes } from '../src/curve.js';
import { ProtocolAbort } from '../src/errors.js';
import type { KeygenOutput } from '../protocols/keygen/index.js';
import type { RefreshOutput } from '../protocols/refresh/index.js';
import { Session } from '../protocols/session.js';
import type { Inbox, PartySpec, Payload, Protocol } from '../protocols/types.js';
import { seededRng } from '../src/rng.js';
import { allShares, interpolatesTo, runKeygen, runRefresh, simulate, subsets, type SimOptions, type SimResult } from './helpers/simulate.js';
import { editMessage, flip, tamper } from './helpers/tamper.js';

interface Case {
  n: number;
  t: number;
  /** The equivocating party. */
  mal: number;
  /** Honest parties it sends the wrong confirmation (or the lying echo) to; the others get the right one. */
  fooled: number[];
}
const CASES: Case[] = [
  { n: 3, t: 2, mal: 3, fooled: [2] },
  { n: 5, t: 3, mal: 5, fooled: [2, 4] },
];

const partiesOf = (n: number): PartySpec[] => Array.from({ length: n }, (_, k) => ({ id: k + 1, owns: [k + 1] }));
const hex = (b: Uint8Array) => bytesToHex(b);

function setup(c: Case, seed: string) {
  const parties = partiesOf(c.n);
  const kg = runKeygen(parties, c.t, `${seed}/kg`);
  expect(kg.aborts.size).toBe(0);
  const old = parties.map((p) => kg.outputs.get(p.id)!) as KeygenOutput[];
  const dealers = new Map(parties.map((p) => [p.id, [p.id]] as const));
  const honest = parties.map((p) => p.id).filter((id) => id !== c.mal);
  return { parties, old, dealers, honest, Y: old[0]!.publicKey };
}

/**
 * The durable decision: the arbiter (the device writing the metadata batch) commits the new epoch
 * only on output. Every honest party then takes that epoch: its output or unconfirmed new shares
 * (staged as pending), else its old shares. Checks nobody is locked out and returns the epoch.
 */
function settle(r: SimResult<RefreshOutput>, old: KeygenOutput[], honest: number[], arbiter: number, c: Case, Y: Uint8Array): number {
  const decided = r.outputs.get(arbiter);
  const held = new Map<number, bigint>();
  for (const id of honest) {
    if (decided) {
      const o = r.outputs.get(id) ?? r.unconfirmed.get(id);
      expect(o, `party ${id} keeps its verified new shares`).toBeDefined();
      expect(o!.epoch).toBe(decided.epoch);
      expect(o!.commitments.map(hex)).toEqual(decided.commitments.map(hex));
      expect(hex(o!.confirmation)).toBe(hex(decided.confirmation));
      for (const i of o!.shares.indices) {
        const X = decided.publicShares.find((p) => p.index === i)!.X;
        expect(mulGUnsafe(o!.shares.scalar(i)).equals(pointFromBytes(X))).toBe(true);
        held.set(i, o!.shares.scalar(i));
      }
    } else {
      const o = old.find((x) => x.shares.has(id))!;
      held.set(id, o.shares.scalar(id));
    }
  }
  // the honest parties' shares of the resulting epoch still give the key (nobody locked out)
  const idx = [...held.keys()];
  expect(idx.length).toBe(honest.length);
  for (const s of subsets(idx, c.t)) expect(interpolatesTo(s.map((x) => ({ x, y: held.get(x)! })), Y)).toBe(true);
  return decided ? decided.epoch : old[0]!.epoch;
}

function abortOf(r: SimResult<RefreshOutput>, id: number): ProtocolAbort {
  const a = r.aborts.get(id);
  expect(a, `party ${id} aborts`).toBeInstanceOf(ProtocolAbort);
  return a!;
}

describe.each(CASES)('refresh split, $n parties (t = $t), party $mal equivocates', (c) => {
  it('a wrong confirmation to some honest parties: every honest party aborts naming it, keeps its verified new shares, and all end in the old epoch', () => {
    const { parties, old, dealers, honest, Y } = setup(c, `split${c.n}/h`);
    const r = runRefresh(old, dealers, parties, c.t, `split${c.n}/h/rf`, tamper(editMessage(c.mal, 2, 'broadcast', (b) => void (b.h = flip(b.h as Uint8Array)), c.fooled)));
    for (const id of honest) {
      expect(r.outputs.has(id), `party ${id} must not output`).toBe(false);
      const a = abortOf(r, id);
      expect(a.culprits).toContain(c.mal);
      if (c.fooled.includes(id)) expect({ reason: a.reason, round: a.round, culprits: [...a.culprits] }).toEqual({ reason: 'CONFIRMATION_MISMATCH', round: 2, culprits: [c.mal] });
      else {
        expect(a.reason).toBe('CONFIRMATION_EQUIVOCATION');
        expect(a.culprits).toHaveLength(2); // [the equivocator, the reporter]: without signatures either may lie
        expect(c.fooled).toContain(a.culprits.find((x) => x !== c.mal));
      }
      expect(r.unconfirmed.has(id), `party ${id} keeps its verified new shares`).toBe(true);
    }
    // whichever honest party writes the metadata batch: nobody output, so the old epoch stays
    for (const arbiter of honest) expect(settle(r, old, honest, arbiter, c, Y)).toBe(0);
    // and the unconfirmed new sharing is complete and consistent too (had a batch landed)
    const unconf = honest.map((id) => r.unconfirmed.get(id)!);
    for (const u of unconf) expect(u.commitments.map(hex)).toEqual(unconf[0]!.commitments.map(hex));
    const shares = allShares(unconf);
    for (const s of subsets([...shares.keys()], c.t)) expect(interpolatesTo(s.map((x) => ({ x, y: shares.get(x)! })), Y)).toBe(true);
  });

  it('a lying last message (the confirmation echo) to some honest parties: they abort naming it, the others output — the durable decision still puts everyone in one epoch', () => {
    const { parties, old, dealers, honest, Y } = setup(c, `split${c.n}/echo`);
    const pos = (id: number) => parties.findIndex((p) => p.id === id);
    const r = runRefresh(
      old,
      dealers,
      parties,
      c.t,
      `split${c.n}/echo/rf`,
      tamper(editMessage(c.mal, 3, 'broadcast', (b, to) => void ((b.seen as Uint8Array[])[pos(to)] = flip((b.seen as Uint8Array[])[pos(to)]!)), c.fooled)),
    );
    for (const id of honest) {
      if (c.fooled.includes(id)) {
        expect({ reason: abortOf(r, id).reason, culprits: [...abortOf(r, id).culprits] }).toEqual({ reason: 'CONFIRMATION_EQUIVOCATION', culprits: [c.mal] });
        expect(r.unconfirmed.has(id)).toBe(true);
      } else expect(r.outputs.has(id), `party ${id} outputs`).toBe(true);
    }
    const epochs = new Set(honest.map((arbiter) => settle(r, old, honest, arbiter, c, Y)));
    expect(epochs).toEqual(new Set([0, 1])); // both outcomes occur depending on the arbiter, each consistent
  });

  it('the last message withheld from some honest parties: they stall holding their verified new shares', () => {
    const { parties, old, dealers, honest, Y } = setup(c, `split${c.n}/drop`);
    const r = runRefresh(old, dealers, parties, c.t, `split${c.n}/drop/rf`, tamper({ party: c.mal, round: 3, message: (m, to) => (c.fooled.includes(to) ? null : m) }));
    expect(r.stalled.sort()).toEqual([...c.fooled].sort());
    for (const id of c.fooled) expect(r.unconfirmed.has(id)).toBe(true);
    const arbiters = { out: honest.find((id) => !c.fooled.includes(id))!, stalled: c.fooled[0]! };
    expect(settle(r, old, honest, arbiters.out, c, Y)).toBe(1);
    expect(settle(r, old, honest, arbiters.stalled, c, Y)).toBe(0);
  });
});

describe('refresh confirmation echo: blame', () => {
  it('a party misreporting its own confirmation, or ours, is blamed alone', () => {
    const c = CASES[0]!;
    const { parties, old, dealers } = setup(c, 'split3/self');
    // party 3 reports a wrong h for itself to everyone: both honest parties blame it alone
    const r = runRefresh(old, dealers, parties, c.t, 'split3/self/rf', tamper(editMessage(3, 3, 'broadcast', (b) => void ((b.seen as Uint8Array[])[2] = flip((b.seen as Uint8Array[])[2]!)))));
    for (const id of [1, 2]) expect({ reason: abortOf(r, id).reason, culprits: [...abortOf(r, id).culprits] }).toEqual({ reason: 'CONFIRMATION_EQUIVOCATION', culprits: [3] });
  });

  it('a malformed echo report is refused naming its sender', () => {
    const c = CASES[0]!;
    const { parties, old, dealers } = setup(c, 'split3/bad');
    const r = runRefresh(old, dealers, parties, c.t, 'split3/bad/rf', tamper(editMessage(3, 3, 'broadcast', (b) => void (b.seen as Uint8Array[]).pop())));
    for (const id of [1, 2]) expect({ reason: abortOf(r, id).reason, round: abortOf(r, id).round, culprits: [...abortOf(r, id).culprits] }).toEqual({ reason: 'MALFORMED_MESSAGE', round: 3, culprits: [3] });
    for (const id of [1, 2]) expect(r.unconfirmed.has(id)).toBe(true);
  });

  it('two parties send no echo round (transcript: rounds 1 and 2 only) and abort before verification keeps nothing', () => {
    const parties = partiesOf(2);
    const kg = runKeygen(parties, 2, 'split2/kg');
    const old = parties.map((p) => kg.outputs.get(p.id)!) as KeygenOutput[];
    const dealers = new Map(parties.map((p) => [p.id, [p.id]] as const));
    const rounds: number[] = [];
    const ok = runRefresh(old, dealers, parties, 2, 'split2/rf', { deliver: (m) => (rounds.push(m.round), m) });
    expect(ok.outputs.size).toBe(2);
    expect([...new Set(rounds)].sort()).toEqual([1, 2]);
    // a Feldman failure is before verification: nothing to keep
    const bad = runRefresh(old, dealers, parties, 2, 'split2/rf', tamper(editMessage(2, 1, 'p2p', (b) => void ((b.sigma as Uint8Array[])[0] = flip((b.sigma as Uint8Array[])[0]!)))));
    expect(abortOf(bad, 1).reason).toBe('FELDMAN_SHARE_MISMATCH');
    expect(bad.unconfirmed.has(1)).toBe(false);
    // a wrong confirmation is after it: the new shares are kept, unconfirmed
    const h = runRefresh(old, dealers, parties, 2, 'split2/rf', tamper(editMessage(2, 2, 'broadcast', (b) => void (b.h = flip(b.h as Uint8Array)))));
    expect(abortOf(h, 1).reason).toBe('CONFIRMATION_MISMATCH');
    expect(h.unconfirmed.get(1)!.epoch).toBe(1);
  });
});

describe('driver support: rounds from n parties on, unconfirmed output', () => {
  type S = { verified: boolean };
  const check = (inbox: Inbox, round: number, key: string) => {
    for (const [j, rec] of inbox) if ((rec.broadcast as Record<string, Payload>)[key] !== 1) throw new ProtocolAbort('MALFORMED_MESSAGE', round, [j], key);
  };
  const toy: Protocol<object, S, { ok: true }> = {
    name: 'toy-confirm',
    init: () => ({ verified: false }),
    rounds: [
      { sends: { broadcast: true, p2p: false }, run: (s) => ({ state: s, outbox: [{ to: null, payload: { a: 1 } }] }) },
      {
        sends: { broadcast: true, p2p: false, minParties: 3 },
        run: (_s, inbox, ctx) => (check(inbox, 1, 'a'), { state: { verified: true }, outbox: ctx.parties.length >= 3 ? [{ to: null, payload: { b: 1 } }] : [] }),
      },
      { sends: { broadcast: false, p2p: false }, run: (_s, inbox, ctx) => (ctx.parties.length >= 3 && check(inbox, 2, 'b'), { output: { ok: true } }) },
    ],
    unconfirmed: (s) => (s.verified ? { ok: true } : null),
  };
  const run = (n: number, extra: Partial<SimOptions> = {}) =>
    simulate(toy, partiesOf(n).map((p) => ({ ...p, input: {}, rng: seededRng(`toy/${p.id}`) })), { sid: utf8ToBytes('toy'), threshold: 1, ...extra });

  it('a minParties round sends nothing below n and is refused if sent anyway', () => {
    const rounds: number[] = [];
    const two = run(2, { deliver: (m) => (rounds.push(m.round), m) });
    expect([two.outputs.size, [...new Set(rounds)]]).toEqual([2, [1]]);
    const three = run(3, { deliver: (m) => (rounds.push(m.round), m) });
    expect([three.outputs.size, [...new Set(rounds)].sort()]).toEqual([3, [1, 2]]);
    const s = Session.create(toy, { sid: utf8ToBytes('toy'), self: 1, parties: partiesOf(2), threshold: 1 }, {}, { rng: seededRng('toy') });
    s.start();
    expect(() => s.receive({ sid: utf8ToBytes('toy'), protocol: 'toy-confirm', round: 2, from: 2, to: null, payload: { b: 1 } })).toThrow(expect.objectContaining({ reason: 'UNEXPECTED_MESSAGE' }));
  });

  it('an abort keeps the verified output as unconfirmed only once the state holds one', () => {
    const late = run(3, tamper(editMessage(3, 2, 'broadcast', (b) => void (b.b = 2), [1])));
    expect([late.aborts.get(1)?.reason, late.unconfirmed.get(1), late.outputs.has(2)]).toEqual(['MALFORMED_MESSAGE', { ok: true }, true]);
    const early = run(3, tamper(editMessage(3, 1, 'broadcast', (b) => void (b.a = 2), [1])));
    expect([early.aborts.get(1)?.reason, early.unconfirmed.has(1)]).toEqual(['MALFORMED_MESSAGE', false]);
  });
});
