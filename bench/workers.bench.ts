/**
 * Worker benchmarks (issue 6), beside `sign/full` of signing.bench.ts in the same run
 * (`npm run bench -- --filter sign/full` runs both; `--filter worker` the round trip):
 *   worker/roundtrip     one comlink call to a warm worker thread and back (no work)
 *   sign/full:workers    presign + sign of a 2-of-2 key with each party in its own warm worker
 *                        thread (WorkerPartyTransport): same key shape, aux fixtures (TEST primes),
 *                        digest and platform CSPRNG as `sign/full`; the host only routes wire bytes
 *   sign/full:workers:pool   the same with each party worker running its sessions asynchronously on a
 *                        math pool of its own (`PartyHost.enableMathPool(availableParallelism())`,
 *                        nested worker threads; issue 13): the rounds' independent proofs in parallel
 *   sign/full:workers:prepared   the same with each worker's presign pools filled beforehand
 *                        (`PartyHost.preparePresign`, untimed): the online part only, as
 *                        `presign/2of2:prepared` is for `presign/2of2`
 * Workers are started once (start-up is not measured) and let the process exit when idle.
 */
import { utf8ToBytes } from '../src/bytes.js';
import { sha256 } from '../src/hash.js';
import { cryptoRng } from '../src/rng.js';
import type { Participant } from '../src/client/transport.js';
import { keygen, type KeygenOutput } from '../protocols/keygen/index.js';
import { presign, type PresignInput, type PresignOutput } from '../protocols/presign/index.js';
import { sign, type SignOutput } from '../protocols/sign/index.js';
import { simulate } from '../protocols/simulate.js';
import { coreCount, createNodePartyHost } from '../workers/node.js';
import { WorkerPartyTransport } from '../workers/transport.js';
import { auxFixtures } from '../test/helpers/aux-fixtures.js';
import type { BenchRegistry } from './registry.js';

const digest = sha256(utf8ToBytes('benchmark message'));

function party<I, O>(id: number, input: I, sink: Map<number, O>): Participant<I, O> {
  return { id, owns: [id], input, rng: cryptoRng, finish: async (o) => void sink.set(id, o) };
}

export default async function suite(b: BenchRegistry): Promise<void> {
  const hosts = await Promise.all([createNodePartyHost({ unrefWhenIdle: true }), createNodePartyHost({ unrefWhenIdle: true })]);
  const transport = new WorkerPartyTransport(hosts);
  b.add('worker/roundtrip', () => hosts[0]!.ping(1), { iterations: 2000, time: 500 });

  const ps = [1, 2].map((id) => ({ id, owns: [id] }));
  const kg = simulate(keygen, ps.map((p) => ({ ...p, input: {}, rng: cryptoRng })), { sid: cryptoRng.bytes(16), threshold: 2 });
  const key = ps.map((p) => kg.outputs.get(p.id)!) as KeygenOutput[];
  const aux = auxFixtures([1, 2], 'default');
  const input = (id: number): PresignInput => {
    const o = key[0]!;
    return { publicKey: o.publicKey, epoch: o.epoch, publicShares: o.publicShares, share: key.find((k) => k.shares.has(id))!.shares.export(id), aux: aux.get(id)! };
  };
  /** Presign then sign, both parties in their workers, presign inputs from `inputOf`. */
  const signFull = (inputOf: (id: number) => PresignInput) => async (): Promise<void> => {
    const pre = new Map<number, PresignOutput>();
    await transport.run({ protocol: presign, sid: cryptoRng.bytes(16), threshold: 2, participants: [party(1, inputOf(1), pre), party(2, inputOf(2), pre)] });
    const sig = new Map<number, SignOutput>();
    const si = (id: number) => {
      const o = pre.get(id)!;
      return { presignature: o.presignature, digest, publicKey: o.publicKey, epoch: o.epoch };
    };
    await transport.run({ protocol: sign, sid: cryptoRng.bytes(16), threshold: 2, participants: [party(1, si(1), sig), party(2, si(2), sig)] });
    if (sig.size !== 2) throw new Error('sign did not finish');
  };
  b.add(
    'sign/full:workers',
    signFull(input),
    { iterations: 10, time: 1 },
  );

  if (b.wants('sign/full:workers:pool')) {
    const pooled = await Promise.all([createNodePartyHost({ unrefWhenIdle: true }), createNodePartyHost({ unrefWhenIdle: true })]);
    await Promise.all(pooled.map((h) => h.enableMathPool(coreCount())));
    const viaPool = new WorkerPartyTransport(pooled);
    const run = async (): Promise<void> => {
      const pre = new Map<number, PresignOutput>();
      await viaPool.run({ protocol: presign, sid: cryptoRng.bytes(16), threshold: 2, participants: [party(1, input(1), pre), party(2, input(2), pre)] });
      const sig = new Map<number, SignOutput>();
      const si = (id: number) => ({ presignature: pre.get(id)!.presignature, digest, publicKey: pre.get(id)!.publicKey, epoch: pre.get(id)!.epoch });
      await viaPool.run({ protocol: sign, sid: cryptoRng.bytes(16), threshold: 2, participants: [party(1, si(1), sig), party(2, si(2), sig)] });
      if (sig.size !== 2) throw new Error('sign did not finish');
    };
    b.add('sign/full:workers:pool', run, { iterations: 10, time: 1 });
  }

  // the same with other TEST key pairs (a worker interns aux infos by content, so the same pairs
  // would share — and drain — the pools of the case above), their pools filled beforehand in each
  // worker: enough for the warm-up, the iterations and a margin (an empty pool would fall back to
  // the inline draws)
  const auxPrep = auxFixtures([1, 2], 'default', 2);
  await Promise.all([1, 2].map((id) => hosts[id - 1]!.preparePresign(auxPrep.get(id)!, { presigns: 16 })));
  const inputPrep = (id: number): PresignInput => ({ ...input(id), aux: auxPrep.get(id)! });
  b.add(
    'sign/full:workers:prepared',
    signFull(inputPrep),
    { iterations: 10, time: 1, warmup: 3 },
  );
}
