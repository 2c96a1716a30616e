/**
 * The other protocols through the worker engine: aux info (TEST primes; the output AuxInfo is
 * sealed on the host and equals what the peers agreed on) and a refresh of a keygen key (shares
 * revived as SecretShares that interpolate to the same key), each party in its own worker thread.
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cryptoRng } from '../src/rng.js';
import { mulG, N, pointFromBytes } from '../src/curve.js';
import { lagrangeCoefficient } from '../src/shamir/index.js';
import type { Participant } from '../src/client/transport.js';
import { aux, auxFromRefresh, auxRotation, type AuxInfo, type AuxInput } from '../protocols/aux/index.js';
import { keygen, type KeygenOutput } from '../protocols/keygen/index.js';
import { refresh, refreshProtocol, type RefreshInput, type RefreshOutput } from '../protocols/refresh/index.js';
import { createNodePartyHost } from '../workers/node.js';
import type { PartyHost } from '../workers/party-host.js';
import { WorkerPartyTransport } from '../workers/transport.js';
import { PROFILE_DEFAULT } from '../src/zk/params.js';
import { PrmPool } from '../src/zk/prm-pool.js';
import { auxInput } from './helpers/aux-run.js';
import { zkParty } from './helpers/zk-fixtures.js';

const party = <I, O>(id: number, owns: number[], input: I, sink: Map<number, O>): Participant<I, O> => ({ id, owns, input, rng: cryptoRng, finish: async (o) => void sink.set(id, o) });

describe('aux and refresh in worker threads', () => {
  let hosts: PartyHost[];
  let transport: WorkerPartyTransport;
  beforeAll(async () => {
    hosts = await Promise.all([createNodePartyHost(), createNodePartyHost()]);
    transport = new WorkerPartyTransport(hosts);
  });
  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.terminate()));
  });

  it('aux info: both parties get the same verified public table; the secret stays redacted', async () => {
    const out = new Map<number, AuxInfo>();
    const inputs = new Map<number, AuxInput>([1, 2].map((id) => [id, auxInput(id - 1)]));
    await transport.run({ protocol: aux, sid: cryptoRng.bytes(16), threshold: 1, participants: [1, 2].map((id) => party(id, [id], inputs.get(id)!, out)) });
    const a = out.get(1)!;
    const b = out.get(2)!;
    expect(a.parties).toEqual(b.parties);
    expect(a.parties.find((e) => e.id === 1)!.N).toBe(inputs.get(1)!.key.p * inputs.get(1)!.key.q);
    expect(a.secret.p * a.secret.q).toBe(a.parties.find((e) => e.id === 1)!.N);
    // sealed on the host again (a structured clone loses the hooks): JSON and inspection redact
    expect(JSON.stringify(a.secret)).toBe('"<redacted>"');
    expect(inspect(a)).not.toContain(a.secret.p.toString());
  });

  it('aux with a prepared Πprm pool: the entries cross into the party worker once (this thread’s pool drained), the session completes', async () => {
    const z = zkParty(1); // test pair 1's key with its ring-Pedersen parameters
    const { p, q } = z.sk.exportPrimes();
    const prmPool = new PrmPool(z.sk.n, z.rp.t, PROFILE_DEFAULT.m);
    prmPool.fillSync(p, q, PROFILE_DEFAULT.m);
    const input: AuxInput = { ...auxInput(1), ringPedersen: { s: z.rp.s, t: z.rp.t, lambda: z.rpSecret.lambda }, prmPool };
    const out = new Map<number, AuxInfo>();
    const inputs = new Map<number, AuxInput>([
      [1, auxInput(0)],
      [2, input],
    ]);
    await transport.run({ protocol: aux, sid: cryptoRng.bytes(16), threshold: 1, participants: [1, 2].map((id) => party(id, [id], inputs.get(id)!, out)) });
    expect(prmPool.size).toBe(0);
    expect(out.get(1)!.parties.find((e) => e.id === 2)!.t).toBe(z.rp.t);
    expect(out.get(1)!.parties).toEqual(out.get(2)!.parties);
  });

  it('refresh: new shares for the same key, epoch + 1', async () => {
    const key = new Map<number, KeygenOutput>();
    await transport.run({ protocol: keygen, sid: cryptoRng.bytes(16), threshold: 2, participants: [party(1, [1], {}, key), party(2, [2, 3], {}, key)] });
    const o = key.get(1)!;
    const dealers = [{ party: 1, indices: [1] }, { party: 2, indices: [2] }];
    const input = (id: number): RefreshInput => ({
      publicKey: o.publicKey,
      epoch: o.epoch,
      oldThreshold: 2,
      oldPublicShares: o.publicShares,
      dealers,
      oldShares: dealers.find((d) => d.party === id)!.indices.map((index) => ({ index, share: key.get(id)!.shares.export(index) })),
    });
    const out = new Map<number, RefreshOutput>();
    await transport.run({ protocol: refresh, sid: cryptoRng.bytes(16), threshold: 2, participants: [party(1, [1], input(1), out), party(2, [2, 3], input(2), out)] });
    const r1 = out.get(1)!;
    const r2 = out.get(2)!;
    expect(r1.publicKey).toEqual(o.publicKey);
    expect(r1.epoch).toBe(o.epoch + 1);
    expect(r2.shares.indices).toEqual([2, 3]);
    // the new shares at 1 and 3 interpolate to the unchanged key, and differ from the old ones
    const xs = [1n, 3n];
    const secret = (r1.shares.scalar(1) * lagrangeCoefficient(xs, 1n) + r2.shares.scalar(3) * lagrangeCoefficient(xs, 3n)) % N;
    expect(mulG(secret).equals(pointFromBytes(o.publicKey))).toBe(true);
    expect(r1.shares.export(1)).not.toEqual(key.get(1)!.shares.export(1));

    // the same refresh with aux rotation (a protocol factory + each party's extensionInput)
    const rot = new Map<number, RefreshOutput>();
    const ext = new Map<number, AuxInput>([[1, auxInput(2)], [2, auxInput(3)]]);
    const next = (id: number): RefreshInput => ({ ...input(id), epoch: r1.epoch, oldPublicShares: r1.publicShares, oldShares: dealers.find((d) => d.party === id)!.indices.map((index) => ({ index, share: out.get(id)!.shares.export(index) })) });
    await transport.run({
      protocol: (inputOf) => refreshProtocol(auxRotation((self) => inputOf(self) as AuxInput)),
      sid: cryptoRng.bytes(16),
      threshold: 2,
      participants: [{ ...party(1, [1], next(1), rot), extensionInput: ext.get(1) }, { ...party(2, [2, 3], next(2), rot), extensionInput: ext.get(2) }],
    });
    const a1 = auxFromRefresh(rot.get(1)!);
    const a2 = auxFromRefresh(rot.get(2)!);
    expect(a1.parties).toEqual(a2.parties);
    expect(a1.parties.map((e) => e.N)).toEqual([1, 2].map((id) => ext.get(id)!.key.p * ext.get(id)!.key.q));
    expect(rot.get(1)!.epoch).toBe(o.epoch + 2);
  });
});
