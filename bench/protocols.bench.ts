/**
 * Protocol benchmarks: every party in one process through the real session driver and the
 * provisional wire codec (each message encoded and decoded), platform CSPRNG.
 *   keygen/2of3   three parties, one index each (echo check on)
 *   keygen/3of5   five parties, one index each
 *   refresh/2of3  three parties: 1 and 2 re-deal (a qualified set), all three receive; no new aux info
 */
import { keygen, type KeygenOutput } from '../protocols/keygen/index.js';
import { refresh } from '../protocols/refresh/index.js';
import { simulate } from '../protocols/simulate.js';
import type { PartySpec } from '../protocols/types.js';
import { cryptoRng } from '../src/rng.js';
import type { BenchSuite } from './registry.js';

const parties = (n: number): PartySpec[] => Array.from({ length: n }, (_, i) => ({ id: i + 1, owns: [i + 1] }));

function runKeygen(n: number, t: number): KeygenOutput[] {
  const ps = parties(n);
  const r = simulate(keygen, ps.map((p) => ({ ...p, input: {}, rng: cryptoRng })), { sid: cryptoRng.bytes(16), threshold: t });
  if (r.outputs.size !== n) throw new Error(`keygen ${t}-of-${n} did not finish`);
  return ps.map((p) => r.outputs.get(p.id)!);
}

const suite: BenchSuite = (b) => {
  b.add('keygen/2of3', () => runKeygen(3, 2), { iterations: 30 });
  b.add('keygen/3of5', () => runKeygen(5, 3), { iterations: 20 });
  const old = runKeygen(3, 2);
  const ps = parties(3);
  const dealers = [
    { party: 1, indices: [1] },
    { party: 2, indices: [2] },
  ];
  b.add(
    'refresh/2of3',
    () => {
      const r = simulate(
        refresh,
        ps.map((p) => ({
          ...p,
          rng: cryptoRng,
          input: {
            publicKey: old[0]!.publicKey,
            epoch: 0,
            oldThreshold: 2,
            oldPublicShares: old[0]!.publicShares,
            dealers,
            oldShares: p.id <= 2 ? [{ index: p.id, share: old[p.id - 1]!.shares.export(p.id) }] : [],
          },
        })),
        { sid: cryptoRng.bytes(16), threshold: 2 },
      );
      if (r.outputs.size !== 3) throw new Error('refresh/2of3 did not finish');
    },
    { iterations: 30 },
  );
};
export default suite;
