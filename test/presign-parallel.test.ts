/**
 * Issue 13: asynchronous rounds, presign rounds 1–4 fanning their independent proofs out to a
 * `ParallelExecutor` — the in-thread executor and the real math pool (worker threads). Honest
 * runs (2-of-2, 2-of-3, 3-of-5; signatures verified), tamper cases naming the same culprit with
 * the same reason as the sequential rounds (Πenc, ψ, ψ̂, ψ', and the report order across peers),
 * replay mode still sequential and byte-identical, the synchronous API refusing an asynchronous
 * session, and a worker crash inside a round's task → WORKER_CRASHED (never a hang).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { utf8ToBytes } from '../src/bytes.js';
import { isTkeyTssError, ProtocolAbort } from '../src/errors.js';
import { sha256 } from '../src/hash.js';
import { seededRng } from '../src/rng.js';
import type { KeygenOutput } from '../protocols/keygen/index.js';
import { presign, type PresignOutput } from '../protocols/presign/index.js';
import { Session } from '../protocols/session.js';
import { simulate, simulateAsync, type SimOptions, type SimResult } from '../protocols/simulate.js';
import { inThreadExecutor, type RoundTask } from '../protocols/tasks.js';
import type { Message, ParallelExecutor, Payload } from '../protocols/types.js';
import { sign, type SignOutput } from '../protocols/sign/index.js';
import type { Participant } from '../src/client/transport.js';
import { cryptoRng } from '../src/rng.js';
import { PartyEngine, type Step, type WireOut } from '../workers/engine.js';
import { createNodeMathPool, createNodePartyHost } from '../workers/node.js';
import { inputToPlain } from '../workers/protocols.js';
import { WorkerPartyTransport } from '../workers/transport.js';
import { auxFixtures } from './helpers/aux-fixtures.js';
import { presignInputs, runSign } from './helpers/signing.js';
import { runKeygen } from './helpers/simulate.js';
import { editMessage, flip, tamper, type Rule } from './helpers/tamper.js';
import { nobleVerify, opensslVerify } from './helpers/verify-signature.js';

const P = (id: number) => ({ id, owns: [id] });
const keyOf = (n: number, t: number, seed: string): KeygenOutput[] => [...runKeygen(Array.from({ length: n }, (_, i) => P(i + 1)), t, seed).outputs.values()];
const key2 = keyOf(2, 2, 'par2');
const key23 = keyOf(3, 2, 'par23');
const key35 = keyOf(5, 3, 'par35');
const pool = createNodeMathPool({ size: 2 });
afterAll(() => pool.close());

type Extra = Partial<Omit<SimOptions, 'threshold' | 'sid'>>;

function parties(key: readonly KeygenOutput[], signers: number[], seed: string) {
  const input = presignInputs(key, signers, auxFixtures(signers));
  return signers.map((id) => ({ id, owns: [id], input: input(id), rng: seededRng(`${seed}/party-${id}`) }));
}
const sequential = (key: readonly KeygenOutput[], signers: number[], seed: string, extra: Extra = {}): SimResult<PresignOutput> =>
  simulate(presign, parties(key, signers, seed), { sid: utf8ToBytes(`${seed}/sid`), threshold: signers.length, ...extra });
const parallel = (key: readonly KeygenOutput[], signers: number[], seed: string, executor: ParallelExecutor, extra: Extra = {}): Promise<SimResult<PresignOutput>> =>
  simulateAsync(presign, parties(key, signers, seed), { sid: utf8ToBytes(`${seed}/sid`), threshold: signers.length, parallel: executor, ...extra });

/** An executor that counts the tasks it ran (by kind) and runs them in this thread. */
function counting(): { executor: ParallelExecutor; kinds: string[] } {
  const kinds: string[] = [];
  return {
    kinds,
    executor: {
      run: (tasks: readonly RoundTask[]) => {
        kinds.push(...tasks.map((t) => t.kind));
        return inThreadExecutor.run(tasks);
      },
    },
  };
}

function expectSigns(r: SimResult<PresignOutput>, signers: number[], seed: string): void {
  expect([...r.aborts.values()].map(String)).toEqual([]);
  expect(r.outputs.size).toBe(signers.length);
  const outs = [...r.outputs.values()];
  for (const o of outs) expect(o.R).toEqual(outs[0]!.R);
  const msg = utf8ToBytes(`parallel presign ${seed}`);
  const digest = sha256(msg);
  const sg = runSign(r.outputs, digest, { seed: `${seed}/sg` });
  expect([...sg.aborts.values()].map(String)).toEqual([]);
  for (const o of sg.outputs.values()) {
    expect(opensslVerify(msg, o.signature, o.publicKey)).toBe(true);
    expect(nobleVerify(digest, o.signature, o.publicKey)).toBe(true);
  }
}

describe('presign with a parallel executor: honest runs', () => {
  it('2-of-2 in this thread: every round-1..4 proof is a task; the signature verifies', async () => {
    const c = counting();
    const r = await parallel(key2, [1, 2], 'h22', c.executor);
    expectSigns(r, [1, 2], 'h22');
    // per party: 1 Πenc prove; 1 Πenc verify + ψ, ψ̂ (Πaff-g) + ψ' prove; ψ, ψ̂, ψ' verify + ψ'' prove; ψ'' verify
    const count = (k: string) => c.kinds.filter((x) => x === k).length;
    expect([count('presign/enc-prove'), count('presign/enc-verify'), count('presign/affg-prove'), count('presign/logstar-prove'), count('presign/affg-verify'), count('presign/logstar-verify')]).toEqual([2, 2, 4, 4, 4, 4]);
  });
  it('2-of-3 (signers 1, 3) in this thread', async () => expectSigns(await parallel(key23, [1, 3], 'h23', inThreadExecutor), [1, 3], 'h23'));
  it('3-of-5 (signers 2, 4, 5) in this thread', async () => {
    const c = counting();
    const r = await parallel(key35, [2, 4, 5], 'h35', c.executor);
    expectSigns(r, [2, 4, 5], 'h35');
    expect(c.kinds.filter((k) => k === 'presign/affg-prove')).toHaveLength(3 * 2 * 2); // 3 parties × 2 peers × (ψ, ψ̂)
  });
  it('2-of-2 and 3-of-5 on the math pool (worker threads)', async () => {
    expectSigns(await parallel(key2, [1, 2], 'p22', pool.executor()), [1, 2], 'p22');
    expectSigns(await parallel(key35, [1, 3, 5], 'p35', pool.executor()), [1, 3, 5], 'p35');
  });
});

type Obj = Record<string, Payload>;
/** The same tamper rule, sequential and with each executor: the same abort (reason, round, culprits) for every honest party. */
async function sameAbort(key: readonly KeygenOutput[], signers: number[], honest: number[], seed: string, rules: () => Rule[], want: { culprits: number[]; reason: string | RegExp; round: number }) {
  const seq = sequential(key, signers, seed, tamper(...rules()));
  const runs = [seq, await parallel(key, signers, seed, inThreadExecutor, tamper(...rules())), await parallel(key, signers, seed, pool.executor(), tamper(...rules()))];
  for (const r of runs) {
    for (const h of honest) {
      const a = r.aborts.get(h);
      expect(a, `party ${h} aborted`).toBeDefined();
      expect(a!.culprits).toEqual(want.culprits);
      expect(a!.round).toBe(want.round);
      if (typeof want.reason === 'string') expect(a!.reason).toBe(want.reason);
      else expect(a!.reason).toMatch(want.reason);
      expect(a!.reason).toBe(seq.aborts.get(h)!.reason);
    }
  }
}

describe('presign with a parallel executor: the same culprits as sequential', () => {
  const field = (party: number, round: number, name: string, to?: number[]) => editMessage(party, round, 'p2p', (b: Obj) => void (b[name] = flip(b[name] as Uint8Array)), to);
  it('a bad Πenc ψ⁰', () => sameAbort(key2, [1, 2], [1], 't-enc', () => [field(2, 1, 'psi0')], { culprits: [2], reason: 'RP_EQUATION', round: 1 }));
  it('a bad Πaff-g ψ', () => sameAbort(key2, [1, 2], [1], 't-psi', () => [field(2, 2, 'psi')], { culprits: [2], reason: /EQUATION/, round: 2 }));
  it('a bad Πaff-g ψ̂', () => sameAbort(key2, [1, 2], [1], 't-psihat', () => [field(2, 2, 'psiHat')], { culprits: [2], reason: /EQUATION/, round: 2 }));
  it("a bad Πlog* ψ'", () => sameAbort(key2, [1, 2], [1], 't-psiprime', () => [field(2, 2, 'psiPrime')], { culprits: [2], reason: 'RP_EQUATION', round: 2 }));
  it("a bad Πlog* ψ'' (checked in round 4)", () => sameAbort(key2, [1, 2], [1], 't-psi2', () => [field(2, 3, 'psi2')], { culprits: [2], reason: 'RP_EQUATION', round: 3 }));
  it('3 signers, two cheaters to party 1: the first in peer order is named, whatever its fault (all tasks run, reported in order)', async () => {
    // party 2: bad ψ (a verifier verdict); party 3: a truncated ψ̂ (a shape error found before any task)
    await sameAbort(key35, [1, 2, 3], [1], 't-two-a', () => [field(2, 2, 'psi', [1]), editMessage(3, 2, 'p2p', (b: Obj) => void (b.psiHat = (b.psiHat as Uint8Array).slice(0, 50)), [1])], { culprits: [2], reason: /EQUATION/, round: 2 });
    // party 2: a truncated ψ⁰; party 3: a bad ψ⁰
    await sameAbort(key35, [1, 2, 3], [1], 't-two-b', () => [editMessage(2, 1, 'p2p', (b: Obj) => void (b.psi0 = (b.psi0 as Uint8Array).slice(0, 50)), [1]), field(3, 1, 'psi0', [1])], { culprits: [2], reason: 'PROOF_MALFORMED', round: 1 });
    // party 2's ψ' bad, party 3's ψ bad: party 2's check comes first
    await sameAbort(key35, [1, 2, 3], [1], 't-two-c', () => [field(2, 2, 'psiPrime', [1]), field(3, 2, 'psi', [1])], { culprits: [2], reason: 'RP_EQUATION', round: 2 });
    // round 4: party 2's ψ'' bad, party 3's round-3 broadcast malformed (δ out of range): party 2 first
    await sameAbort(key35, [1, 2, 3], [1], 't-two-d', () => [field(2, 3, 'psi2', [1]), editMessage(3, 3, 'broadcast', (b: Obj) => void (b.delta = new Uint8Array(32).fill(255)), [1])], { culprits: [2], reason: 'RP_EQUATION', round: 3 });
  });
});

describe('presign with a parallel executor: replay mode and the driver', () => {
  it('replay mode ignores the executor: sequential rounds, byte-identical messages', async () => {
    const c = counting();
    const a = sequential(key2, [1, 2], 'replay', { replay: true });
    const b = await parallel(key2, [1, 2], 'replay', c.executor, { replay: true });
    expect(c.kinds).toEqual([]);
    for (const id of [1, 2]) expect(b.sent.get(id)).toEqual(a.sent.get(id));
  });

  it('the synchronous API refuses an asynchronous session (SESSION_ASYNC), the async one queues', async () => {
    const [p1, p2] = parties(key2, [1, 2], 'misuse');
    const cfg = (self: number) => ({ sid: utf8ToBytes('misuse/sid'), self, parties: [P(1), P(2)], threshold: 2 });
    const s1 = Session.create(presign, cfg(1), p1!.input, { rng: p1!.rng, parallel: inThreadExecutor });
    const s2 = Session.create(presign, cfg(2), p2!.input, { rng: p2!.rng, parallel: inThreadExecutor });
    expect(s1.async).toBe(true);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isTkeyTssError(e) ? e.code : String(e);
      }
      return 'no error';
    };
    expect(code(() => s1.start())).toBe('SESSION_ASYNC');
    const first = s1.startAsync();
    const second = s1.startAsync(); // queued behind the first: then refused as a second start
    expect(code(() => s1.snapshot())).toBe('SESSION_ASYNC'); // a step is in flight
    const out1 = await first;
    await expect(second).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(code(() => s1.receive(out1[0]!))).toBe('SESSION_ASYNC');
    expect(code(() => s1.receiveWire(new Uint8Array([1])))).toBe('SESSION_ASYNC');
    // inputs delivered without waiting are processed one at a time, in order
    const out2 = await s2.startAsync();
    const steps = await Promise.all(out2.map((m) => s1.receiveAsync(m)));
    expect(steps.flat().map((m) => m.round)).toEqual([2, 2]);
    expect(s1.nextRound).toBe(3);
    // a synchronous session is refused while an async call of it is queued
    const s3 = Session.create(presign, cfg(1), p1!.input, { rng: p1!.rng });
    expect(s3.async).toBe(false);
    const pending = s3.startAsync();
    expect(code(() => s3.receive(out2[0]!))).toBe('SESSION_ASYNC');
    await pending;
    expect(s3.receive(out2[0]!)).toEqual([]); // settled: the sync API works again
    expect(() => Session.create(presign, cfg(1), p1!.input, { rng: p1!.rng, parallel: {} as ParallelExecutor })).toThrow(/opts.parallel/);
  });
});

describe('presign with a parallel executor: failures', () => {
  it('a worker that crashes inside a round task → WORKER_CRASHED, and the session stays failed (no hang)', async () => {
    const crashing = createNodeMathPool({ size: 1, url: new URL('./helpers/crashing-task-worker.ts', import.meta.url) });
    try {
      const [p1, p2] = parties(key2, [1, 2], 'crash');
      const cfg = (self: number) => ({ sid: utf8ToBytes('crash/sid'), self, parties: [P(1), P(2)], threshold: 2 });
      const s1 = Session.create(presign, cfg(1), p1!.input, { rng: p1!.rng, parallel: crashing.executor() });
      const err = await s1.startAsync().then(
        () => null,
        (e: unknown) => e,
      );
      expect(isTkeyTssError(err) && err.code).toBe('WORKER_CRASHED');
      expect(err).not.toBeInstanceOf(ProtocolAbort);
      const s2 = Session.create(presign, cfg(2), p2!.input, { rng: p2!.rng });
      const m: Message = s2.start()[0]!;
      await expect(s1.receiveAsync(m)).rejects.toBe(err); // terminal: every later call fails with it
      expect(() => s1.snapshot()).toThrow(err as Error);
      // the simulator reports it (the run rejects: no party is faulty)
      await expect(parallel(key2, [1, 2], 'crash2', crashing.executor())).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
    } finally {
      await crashing.close();
    }
  });

  it('a closed pool fails the round with a typed error', async () => {
    const closed = createNodeMathPool({ size: 1 });
    await closed.close();
    await expect(parallel(key2, [1, 2], 'closed', closed.executor())).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('the party engine with a math pool of its own', () => {
  it('its sessions run asynchronously with their round tasks on the pool (sync calls refused), in this thread', async () => {
    const c = counting();
    const engines = [1, 2].map(() => {
      const e = new PartyEngine();
      e.setMathPoolFactory(() => ({ executor: () => c.executor }));
      return e;
    });
    expect(new PartyEngine().enableMathPool(2)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } }); // no platform spawner
    expect(engines[0]!.enableMathPool(2)).toEqual({ ok: true, value: true });
    expect(engines[0]!.enableMathPool(2)).toEqual({ ok: true, value: false });
    expect(engines[1]!.enableMathPool(1)).toEqual({ ok: true, value: true });
    const input = presignInputs(key2, [1, 2], auxFixtures([1, 2]));
    const handles = [1, 2].map((id, k) => {
      const r = engines[k]!.create({ protocol: 'presign', config: { sid: utf8ToBytes('engine/sid'), self: id, parties: [P(1), P(2)], threshold: 2 }, input: inputToPlain('presign', input(id)).plain });
      if (!r.ok) throw new Error(r.error.message);
      return r.value;
    });
    expect(engines[0]!.start(handles[0]!)).toMatchObject({ ok: false, error: { code: 'SESSION_ASYNC' } });
    const queue: { to: number; bytes: Uint8Array }[] = [];
    const done = new Map<number, Step>();
    const post = (from: number, st: Step) => {
      if (st.status === 'done') done.set(from, st);
      for (const o of st.out as WireOut[]) for (const to of o.to === null ? [1, 2].filter((x) => x !== from) : [o.to]) queue.push({ to, bytes: o.bytes });
    };
    for (const [k, h] of handles.entries()) {
      const st = await engines[k]!.startAsync(h);
      if (!st.ok) throw new Error(st.error.message);
      post(k + 1, st.value);
    }
    while (queue.length > 0) {
      const { to, bytes } = queue.shift()!;
      const st = await engines[to - 1]!.receiveAsync(handles[to - 1]!, [bytes]);
      if (!st.ok) throw new Error(st.error.message);
      post(to, st.value);
    }
    expect([...done.keys()].sort()).toEqual([1, 2]);
    expect(c.kinds).toHaveLength(2 * (1 + 4 + 4 + 1)); // per party: round 1: 1, round 2: 4, round 3: 4, round 4: 1
  });

  it('PartyHost.enableMathPool: presign in two party workers, each with its own pool (nested threads), then sign verifies', async () => {
    const hosts = await Promise.all([createNodePartyHost(), createNodePartyHost()]);
    try {
      expect(await Promise.all(hosts.map((h) => h.enableMathPool(1)))).toEqual([true, true]);
      const transport = new WorkerPartyTransport(hosts);
      const input = presignInputs(key2, [1, 2], auxFixtures([1, 2]));
      const part = <I, O>(id: number, inp: I, sink: Map<number, O>): Participant<I, O> => ({ id, owns: [id], input: inp, rng: cryptoRng, finish: async (o) => void sink.set(id, o) });
      const pre = new Map<number, PresignOutput>();
      await transport.run({ protocol: presign, sid: utf8ToBytes('hosts/ps'), threshold: 2, participants: [part(1, input(1), pre), part(2, input(2), pre)] });
      const msg = utf8ToBytes('pooled party workers');
      const digest = sha256(msg);
      const sig = new Map<number, SignOutput>();
      const si = (id: number) => ({ presignature: pre.get(id)!.presignature, digest, publicKey: pre.get(id)!.publicKey, epoch: pre.get(id)!.epoch });
      await transport.run({ protocol: sign, sid: utf8ToBytes('hosts/sg'), threshold: 2, participants: [part(1, si(1), sig), part(2, si(2), sig)] });
      for (const o of sig.values()) expect(opensslVerify(msg, o.signature, o.publicKey)).toBe(true);
    } finally {
      await Promise.all(hosts.map((h) => h.terminate()));
    }
  });
});
