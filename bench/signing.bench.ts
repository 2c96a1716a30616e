/**
 * Threshold-signing benchmarks: every signer in one process through the real session driver and the
 * wire codec (each message encoded and decoded), platform CSPRNG, aux info from the pregenerated
 * TEST primes (test/helpers/aux-fixtures.ts; the aux protocol is measured separately).
 *   presign/2of2    two signers of a 2-of-2 key (4 rounds: 3 CGGMP21 rounds + the confirmation round), as
 *                   the library is deployed in Node: both parties' sessions in this thread, asynchronous
 *                   (`simulateAsync`), every round's independent proofs on the default math pool
 *                   (`createNodeMathPool`, `os.availableParallelism()` worker threads; issue 13)
 *   presign/2of2:one-thread   the same run with everything in this one thread (the synchronous rounds)
 *   presign/2of3    two signers of a 2-of-3 key (one thread): presign involves only the t signers, so this is the
 *                   same computation as 2of2 plus the Lagrange conversion (service + device)
 *   presign/3of5    three signers of a 3-of-5 key (issue 14: t ≥ 3), beside presign/2of2 in the same run
 *   sign/online     the 1-round online sign with a fresh presignature (both combiners verify every
 *                   partial signature and the final signature)
 *   sign/full       presign + sign ("sign now")
 *   presign/2of2:prepared   presign/2of2 with each party's nonce and mask pools filled beforehand
 *                   (`preparePresign`, protocols/presign/precompute.ts): the online part only
 *   presign/prepare-2of2    what that preparation costs, both parties, one presign's worth
 * `…:high` = the high profile (3072-bit N); unsuffixed = default (2048-bit N). Every case but
 * presign/2of2 and presign/2of2:high runs in one thread.
 */
import { utf8ToBytes } from '../src/bytes.js';
import { sha256 } from '../src/hash.js';
import { cryptoRng } from '../src/rng.js';
import type { ProfileName } from '../src/paillier/profiles.js';
import type { AuxInfo } from '../protocols/aux/types.js';
import { keygen, type KeygenOutput } from '../protocols/keygen/index.js';
import { Presignature, presign, type PresignOutput } from '../protocols/presign/index.js';
import { maskPoolOf, noncePoolOf, preparePresign } from '../protocols/presign/precompute.js';
import { sign } from '../protocols/sign/index.js';
import { simulate, simulateAsync } from '../protocols/simulate.js';
import type { ParallelExecutor } from '../protocols/types.js';
import { coreCount } from '../workers/math-pool.js';
import { createNodeMathPool } from '../workers/node.js';
import { auxFixtures } from '../test/helpers/aux-fixtures.js';
import type { BenchRegistry } from './registry.js';

function runKeygen(n: number, t: number): KeygenOutput[] {
  const ps = Array.from({ length: n }, (_, i) => ({ id: i + 1, owns: [i + 1] }));
  const r = simulate(keygen, ps.map((p) => ({ ...p, input: {}, rng: cryptoRng })), { sid: cryptoRng.bytes(16), threshold: t });
  return ps.map((p) => r.outputs.get(p.id)!);
}

function presignParties(key: KeygenOutput[], signers: number[], aux: Map<number, AuxInfo>) {
  const o = key[0]!;
  return signers.map((id) => ({
    id,
    owns: [id],
    rng: cryptoRng,
    input: { publicKey: o.publicKey, epoch: o.epoch, publicShares: o.publicShares, share: key.find((k) => k.shares.has(id))!.shares.export(id), aux: aux.get(id)! },
  }));
}

function runPresign(key: KeygenOutput[], signers: number[], aux: Map<number, AuxInfo>): Map<number, PresignOutput> {
  const r = simulate(presign, presignParties(key, signers, aux), { sid: cryptoRng.bytes(16), threshold: signers.length });
  if (r.outputs.size !== signers.length) throw new Error('presign did not finish');
  return r.outputs;
}

/** The same with asynchronous sessions whose round tasks run on `parallel` (the math pool). */
async function runPresignParallel(key: KeygenOutput[], signers: number[], aux: Map<number, AuxInfo>, parallel: ParallelExecutor): Promise<Map<number, PresignOutput>> {
  const r = await simulateAsync(presign, presignParties(key, signers, aux), { sid: cryptoRng.bytes(16), threshold: signers.length, parallel });
  if (r.outputs.size !== signers.length) throw new Error('presign did not finish');
  return r.outputs;
}

const digest = sha256(utf8ToBytes('benchmark message'));

function runSign(pre: Map<number, PresignOutput>): void {
  const signers = [...pre.keys()];
  const r = simulate(
    sign,
    signers.map((id) => {
      const o = pre.get(id)!;
      return { id, owns: [id], rng: cryptoRng, input: { presignature: o.presignature, digest, publicKey: o.publicKey, epoch: o.epoch } };
    }),
    { sid: cryptoRng.bytes(16), threshold: signers.length },
  );
  if (r.outputs.size !== signers.length) throw new Error('sign did not finish');
}

export default async function suite(b: BenchRegistry): Promise<void> {
  const k22 = runKeygen(2, 2);
  const k23 = runKeygen(3, 2);
  // the deployment's default math pool (started lazily by the first task, warm after the warm-up)
  const pool = b.wants('presign/2of2') ? createNodeMathPool({ size: coreCount(), unrefWhenIdle: true }) : null;
  for (const profile of ['default', 'high'] as ProfileName[]) {
    const sfx = profile === 'default' ? '' : ':high';
    const it = profile === 'default' ? 10 : 5;
    const aux12 = auxFixtures([1, 2], profile);
    if (pool) b.add(`presign/2of2${sfx}`, () => runPresignParallel(k22, [1, 2], aux12, pool.executor()), { iterations: it, time: 1 });
    b.add(`presign/2of2${sfx}:one-thread`, () => runPresign(k22, [1, 2], aux12), { iterations: it, time: 1 });
    b.add(`presign/2of3${sfx}`, () => runPresign(k23, [1, 2], aux12), { iterations: it, time: 1 });
    // one presignature's data, re-imported per iteration (bench only: the same k is reused on the
    // same digest, which gives the same signature and leaks nothing; production never re-imports)
    const pre = runPresign(k22, [1, 2], aux12);
    const data = new Map([...pre].map(([id, o]) => [id, o.presignature.exportData()]));
    const again = () => new Map([...pre].map(([id, o]) => [id, { ...o, presignature: Presignature.fromData(data.get(id)!) }]));
    b.add(`sign/online${sfx}`, () => runSign(again()), { iterations: 200, time: 500 });
    b.add(`sign/full${sfx}`, () => runSign(runPresign(k22, [1, 2], aux12)), { iterations: it, time: 1 });
  }
  const k35 = runKeygen(5, 3);
  const aux123 = auxFixtures([1, 2, 3], 'default');
  b.add('presign/3of5', () => runPresign(k35, [1, 2, 3], aux123), { iterations: 10, time: 1 });
  // prepared pools on separate aux objects (pools belong to an AuxSecret), enough for the
  // iterations, the warm-up and a margin; an empty pool would fall back to the inline draws
  const auxPrep = auxFixtures([1, 2], 'default');
  for (const a of auxPrep.values()) await preparePresign(a, { presigns: 16 });
  b.add('presign/2of2:prepared', () => runPresign(k22, [1, 2], auxPrep), { iterations: 10, time: 1 });
  const auxCost = auxFixtures([1, 2], 'default');
  b.add('presign/prepare-2of2', async () => Promise.all([...auxCost.values()].map((a) => preparePresign(a, { presigns: 1 }).then(() => drain(a)))), { iterations: 10, time: 1 });
}

/** Empty the pools again so each `presign/prepare-2of2` iteration fills one presign's worth. */
function drain(a: AuxInfo): void {
  for (const p of a.parties) {
    const pool = noncePoolOf(a, p.id);
    while (pool.take());
    if (p.id !== a.self) for (const k of ['mu', 'gamma', 'delta'] as const) while (maskPoolOf(a, p.id).take(k));
  }
}
