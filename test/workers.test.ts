/**
 * The party engine in Node worker threads: keygen → presign → sign with each party in its own
 * worker (WorkerPartyTransport), progress events per round, cancellation, a worker crash as a
 * typed error, and errors crossing the boundary with their class and code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToNumberBE, utf8ToBytes } from '../src/bytes.js';
import { isTkeyTssError, ProtocolAbort } from '../src/errors.js';
import { sha256 } from '../src/hash.js';
import { cryptoRng, seededRng } from '../src/rng.js';
import type { Participant } from '../src/client/transport.js';
import { keygen, type KeygenOutput } from '../protocols/keygen/index.js';
import { presign, presignDemand, type PresignInput, type PresignOutput } from '../protocols/presign/index.js';
import type { ProgressEvent } from '../protocols/session.js';
import { sign, type SignInput, type SignOutput } from '../protocols/sign/index.js';
import { createNodePartyHost } from '../workers/node.js';
import type { PartyHost } from '../workers/party-host.js';
import { WorkerPartyTransport } from '../workers/transport.js';
import { auxFixtures } from './helpers/aux-fixtures.js';
import { verifyDigest } from './helpers/openssl-verify.js';
import { nobleVerify, opensslVerify, recovers } from './helpers/verify-signature.js';

const message = utf8ToBytes('signed in two worker threads');
const digest = sha256(message);

function participant<I, O>(id: number, input: I, sink: Map<number, O>, rng = cryptoRng as Participant<I, O>['rng']): Participant<I, O> {
  return { id, owns: [id], input, rng, finish: async (o) => void sink.set(id, o) };
}

describe('party engine in worker threads', () => {
  let hosts: PartyHost[];
  let transport: WorkerPartyTransport;
  let key: Map<number, KeygenOutput>;
  const aux = auxFixtures([1, 2]);

  const presignInput = (id: number): PresignInput => {
    const o = key.get(id)!;
    return { publicKey: o.publicKey, epoch: o.epoch, publicShares: o.publicShares, share: o.shares.export(id), aux: aux.get(id)! };
  };
  const signInput = (pre: PresignOutput): SignInput => ({ presignature: pre.presignature, digest, publicKey: pre.publicKey, epoch: pre.epoch });

  beforeAll(async () => {
    hosts = await Promise.all([createNodePartyHost(), createNodePartyHost()]);
    transport = new WorkerPartyTransport(hosts);
  });
  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.terminate()));
  });

  it('keygen, presign and sign in two workers give a signature that verifies (noble, OpenSSL)', async () => {
    key = new Map();
    const events = new Map<number, ProgressEvent[]>([[1, []], [2, []]]);
    await transport.run(
      { protocol: keygen, sid: cryptoRng.bytes(16), threshold: 2, participants: [participant(1, {}, key), participant(2, {}, key)] },
      { onProgress: (id, e) => events.get(id)!.push(e) },
    );
    const Y = key.get(1)!.publicKey;
    expect(key.get(2)!.publicKey).toEqual(Y);
    expect(key.get(1)!.shares.has(1) && key.get(2)!.shares.has(2)).toBe(true);
    // keygen has 4 rounds: a start and an end event per round per party, in order, with ms on 'end'
    for (const id of [1, 2]) {
      const ev = events.get(id)!;
      expect(ev.map((e) => `${e.round}${e.phase}`)).toEqual(['1start', '1end', '2start', '2end', '3start', '3end', '4start', '4end']);
      expect(ev.every((e) => e.protocol === 'keygen' && (e.phase === 'start' || (typeof e.ms === 'number' && e.ms >= 0)))).toBe(true);
    }

    const pre = new Map<number, PresignOutput>();
    await transport.run({ protocol: presign, sid: cryptoRng.bytes(16), threshold: 2, participants: [participant(1, presignInput(1), pre), participant(2, presignInput(2), pre)] });
    expect(pre.get(1)!.R).toEqual(pre.get(2)!.R);

    const sig = new Map<number, SignOutput>();
    await transport.run({ protocol: sign, sid: cryptoRng.bytes(16), threshold: 2, participants: [participant(1, signInput(pre.get(1)!), sig), participant(2, signInput(pre.get(2)!), sig)] });
    const out = sig.get(1)!;
    expect(sig.get(2)!.signature).toEqual(out.signature);
    expect(out.publicKey).toEqual(Y);
    expect(nobleVerify(digest, out.signature, Y)).toBe(true);
    expect(opensslVerify(message, out.signature, Y)).toBe(true);
    expect(verifyDigest(digest, bytesToNumberBE(out.r), bytesToNumberBE(out.s), Y)).toBe(true);
    expect(recovers(digest, out.r, out.s, out.recovery, Y)).toBe(true);
    // the presignatures are single use on the host too
    expect(pre.get(1)!.presignature.consumed).toBe(true);
    expect(await hosts[0]!.size()).toBe(0);
    // a wrong signature does not verify (the verifiers can fail)
    const bad = out.signature.slice();
    bad[40]! ^= 1;
    expect(nobleVerify(digest, bad, Y)).toBe(false);
    expect(opensslVerify(message, bad, Y)).toBe(false);
  });

  it('a seeded run in workers still draws fresh randomness every round (workers never run replay mode)', async () => {
    const run = async () => {
      const out = new Map<number, KeygenOutput>();
      await transport.run({ protocol: keygen, sid: utf8ToBytes('seeded'), threshold: 2, participants: [participant(1, {}, out, seededRng('a')), participant(2, {}, out, seededRng('b'))] });
      expect(out.get(2)!.publicKey).toEqual(out.get(1)!.publicKey);
      return out.get(1)!.publicKey;
    };
    expect(await run()).not.toEqual(await run());
    const e = await hosts[0]!.create('keygen', { sid: utf8ToBytes('seeded'), self: 1, parties: [{ id: 1, owns: [1] }, { id: 2, owns: [2] }], threshold: 2 }, {}, { rng: seededRng('a'), replay: true } as never).catch((x: unknown) => x);
    expect(isTkeyTssError(e, 'REPLAY_MODE_REFUSED')).toBe(true);
  });

  it('typed errors cross the boundary: bad input, reused presignature, protocol abort naming the culprit', async () => {
    const sink = new Map<number, PresignOutput>();
    // InvalidInput from the worker's Session.create, nothing consumed
    const bad = { ...presignInput(1), share: new Uint8Array(32).fill(7) };
    const e1 = await transport.run({ protocol: presign, sid: cryptoRng.bytes(16), threshold: 2, participants: [participant(1, bad, sink), participant(2, presignInput(2), sink)] }).catch((e: unknown) => e);
    expect(isTkeyTssError(e1, 'SHARE_NOT_ON_POLYNOMIAL')).toBe(true);
    expect(await hosts[1]!.size()).toBe(0); // the other party's session was dropped

    // party 2 signs with a presignature of another presign run than party 1: abort naming party 2 … or party 1
    const a = new Map<number, PresignOutput>();
    const b = new Map<number, PresignOutput>();
    for (const m of [a, b]) await transport.run({ protocol: presign, sid: cryptoRng.bytes(16), threshold: 2, participants: [participant(1, presignInput(1), m), participant(2, presignInput(2), m)] });
    const sig = new Map<number, SignOutput>();
    const e2 = await transport.run({ protocol: sign, sid: cryptoRng.bytes(16), threshold: 2, participants: [participant(1, signInput(a.get(1)!), sig), participant(2, signInput(b.get(2)!), sig)] }).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(ProtocolAbort);
    expect((e2 as ProtocolAbort).culprits.length).toBeGreaterThan(0);
    // the presignatures used are burned on the host; a second use is refused before any worker call
    expect(a.get(1)!.presignature.consumed).toBe(true);
    const e3 = await hosts[0]!.create('sign', { sid: cryptoRng.bytes(16), self: 1, parties: [{ id: 1, owns: [1] }, { id: 2, owns: [2] }], threshold: 2 }, signInput(a.get(1)!)).catch((e: unknown) => e);
    expect(isTkeyTssError(e3, 'PRESIGN_USED')).toBe(true);
    // an unknown protocol is refused
    await expect(transport.run({ protocol: { ...keygen }, sid: cryptoRng.bytes(16), threshold: 2, participants: [participant(1, {}, new Map()), participant(2, {}, new Map())] })).rejects.toThrow(/INVALID_ARGUMENT/);
  });

  it('cancellation: a cancelled run rejects with SESSION_CANCELLED and its sessions are gone', async () => {
    const ctl = new AbortController();
    const sink = new Map<number, PresignOutput>();
    const rounds: number[] = [];
    const run = transport.run(
      { protocol: presign, sid: cryptoRng.bytes(16), threshold: 2, participants: [participant(1, presignInput(1), sink), participant(2, presignInput(2), sink)] },
      {
        signal: ctl.signal,
        onProgress: (_id, e) => {
          if (e.phase === 'end') rounds.push(e.round);
          if (e.round === 2 && e.phase === 'end') ctl.abort();
        },
      },
    );
    const err = await run.catch((e: unknown) => e);
    expect(isTkeyTssError(err, 'SESSION_CANCELLED')).toBe(true);
    expect(sink.size).toBe(0);
    expect(Math.max(...rounds)).toBeLessThan(5);
    expect((await hosts[0]!.size()) + (await hosts[1]!.size())).toBe(0);

    // a single session: cancel, then every later call is a typed SESSION_CANCELLED
    const s = await hosts[0]!.create('keygen', { sid: cryptoRng.bytes(16), self: 1, parties: [{ id: 1, owns: [1] }, { id: 2, owns: [2] }], threshold: 2 }, {});
    const first = await s.start();
    expect(first.out.length).toBe(1);
    await s.cancel();
    await expect(s.receive([])).rejects.toMatchObject({ code: 'SESSION_CANCELLED', kind: 'InvalidInput' });
    await expect(s.snapshot()).rejects.toMatchObject({ code: 'SESSION_CANCELLED' });
    expect(await hosts[0]!.size()).toBe(0);
  });

  it('snapshot of a session in a worker is plain data that resumes in-process', async () => {
    const cfg = (self: number) => ({ sid: utf8ToBytes('snap'), self, parties: [{ id: 1, owns: [1] }, { id: 2, owns: [2] }], threshold: 2 });
    const s1 = await hosts[0]!.create('keygen', cfg(1), {});
    const s2 = await hosts[1]!.create('keygen', cfg(2), {});
    const [a, b] = await Promise.all([s1.start(), s2.start()]);
    await s2.receive(a.out.map((m) => m.bytes));
    const step = await s1.receive(b.out.map((m) => m.bytes));
    expect(step.status).toBe('running');
    const snap = await s1.snapshot();
    expect(snap.protocol).toBe('keygen');
    expect(snap.next).toBe(3);
    await s1.cancel();
    await s2.cancel();
  });

  it("preparePresign fills a worker's pools for an aux info, and the presign sessions run there take from them", async () => {
    const d = presignDemand(2);
    const perPresign = d.own + d.perPeer + d.masksPerPeer.mu + d.masksPerPeer.gamma + d.masksPerPeer.delta;
    // party k runs on hosts[k − 1] (WorkerPartyTransport: participant index mod hosts)
    const prepare = () => Promise.all([1, 2].map((id) => hosts[id - 1]!.preparePresign(aux.get(id)!, { presigns: 1 })));
    expect(await prepare()).toEqual([perPresign, perPresign]); // nothing was prepared by the earlier runs
    expect(await prepare()).toEqual([0, 0]); // one presign's worth is already held
    const pre = new Map<number, PresignOutput>();
    await transport.run({ protocol: presign, sid: cryptoRng.bytes(16), threshold: 2, participants: [participant(1, presignInput(1), pre), participant(2, presignInput(2), pre)] });
    // the sessions (each with its own structured clone of the aux info) took every prepared item
    expect(await prepare()).toEqual([perPresign, perPresign]);
    const sig = new Map<number, SignOutput>();
    await transport.run({ protocol: sign, sid: cryptoRng.bytes(16), threshold: 2, participants: [participant(1, signInput(pre.get(1)!), sig), participant(2, signInput(pre.get(2)!), sig)] });
    const s = sig.get(1)!.signature;
    expect(nobleVerify(digest, s, key.get(1)!.publicKey)).toBe(true);
    // bad input is a typed error from the worker, nothing prepared
    await expect(hosts[0]!.preparePresign({} as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', kind: 'InvalidInput' });
    await expect(hosts[0]!.preparePresign(aux.get(1)!, { presigns: 0 })).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
    await expect(hosts[0]!.preparePresign(aux.get(1)!, { signers: [2, 3] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('worker crash', () => {
  it('a worker that dies mid-session surfaces as WORKER_CRASHED, now and on every later call', async () => {
    const crashing = await createNodePartyHost({ url: new URL('./helpers/crashing-worker.ts', import.meta.url) });
    const other = await createNodePartyHost();
    try {
      const transport = new WorkerPartyTransport([crashing, other]);
      const sink = new Map<number, KeygenOutput>();
      const err = await transport.run({ protocol: keygen, sid: cryptoRng.bytes(16), threshold: 2, participants: [participant(1, {}, sink), participant(2, {}, sink)] }).catch((e: unknown) => e);
      expect(isTkeyTssError(err, 'WORKER_CRASHED')).toBe(true);
      expect((err as { kind: string }).kind).toBe('InternalBug');
      expect(String((err as { details: { cause: string } }).details.cause)).toMatch(/simulated crash|exited/);
      expect(crashing.alive).toBe(false);
      await expect(crashing.ping()).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
      expect(sink.size).toBe(0);
      // the healthy worker is unaffected and its session was dropped
      expect(await other.size()).toBe(0);
    } finally {
      await crashing.terminate();
      await other.terminate();
    }
  });
});
