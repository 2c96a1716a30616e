/**
 * The math pool (worker threads): aux-proof verification of several peers in parallel gives the
 * verdicts of the in-process `verifyPeerAux` (honest and tampered bundles), and one small
 * safe-prime generation smoke task, also through `PrimePool` via the prime hook.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { utf8ToBytes } from '../src/bytes.js';
import { isSafePrime, PrimePool } from '../src/bigint/primes.js';
import { seededRng } from '../src/rng.js';
import { type AuxContext, type PeerAux, proveAux, verifyPeerAux } from '../src/zk/aux.js';
import { PROFILE_DEFAULT } from '../src/zk/params.js';
import type { VerifyAuxTask } from '../workers/engine.js';
import type { MathPool } from '../workers/math-pool.js';
import { createNodeMathPool } from '../workers/node.js';
import { zkParty } from './helpers/zk-fixtures.js';
import { utf8ToBytes as u8 } from '../src/bytes.js';
import { sha256 } from '../src/hash.js';
import { maskPoolOf, noncePoolOf, presignDemand } from '../protocols/presign/precompute.js';
import type { AuxInfo } from '../protocols/aux/types.js';
import { auxFixtures } from './helpers/aux-fixtures.js';
import { runPresign, runSign } from './helpers/signing.js';
import { runKeygen } from './helpers/simulate.js';

const ctx: AuxContext = { sid: utf8ToBytes('pool-aux'), rho: utf8ToBytes('pool-rho'), profile: PROFILE_DEFAULT };

describe('math pool', () => {
  let pool: MathPool;
  beforeAll(() => {
    pool = createNodeMathPool({ size: 2 });
  });
  afterAll(async () => {
    await pool.close();
  });

  it('verifies several peers’ aux proofs in parallel with the in-process verdicts', async () => {
    const verifier = zkParty(0);
    // provers 2, 3, 4 (test pairs 1, 2, 3) prove to verifier 1
    const peers: { i: number; peer: PeerAux }[] = [1, 2, 3].map((pair) => {
      const P = zkParty(pair);
      const i = pair + 1;
      const out = proveAux(P.sk, P.rpSecret, ctx, i, new Map([[1, verifier.rp]]), seededRng(`pool/${i}`));
      return { i, peer: { N: P.sk.n, s: P.rp.s, t: P.rp.t, prm: out.prm, mod: out.mod, fac: out.fac.get(1)! } };
    });
    // tampered: one Πmod response changed; another bundle claimed under the wrong prover index
    const bad = peers[1]!.peer;
    const tampered: PeerAux = { ...bad, mod: { ...bad.mod!, z: [bad.mod!.z[0]! + 1n, ...bad.mod!.z.slice(1)] } };
    const cases: { i: number; peer: PeerAux }[] = [...peers, { i: peers[1]!.i, peer: tampered }, { i: 9, peer: peers[2]!.peer }, { i: 2, peer: { ...peers[0]!.peer, fac: undefined } }];
    const tasks: VerifyAuxTask[] = cases.map(({ i, peer }) => ({ peer, ctx: { sid: ctx.sid, rho: ctx.rho, profile: 'default' }, i, j: 1, ownRp: { N: verifier.rp.N, s: verifier.rp.s, t: verifier.rp.t } }));
    const before = pool.stats.completed;
    const pooled = await pool.verifyAuxAll(tasks);
    const local = cases.map(({ i, peer }) => verifyPeerAux(peer, ctx, i, 1, verifier.rp));
    expect(pooled).toEqual(local);
    expect(pooled.slice(0, 3).every((v) => v.ok)).toBe(true);
    expect(pooled.slice(3).every((v) => !v.ok)).toBe(true);
    expect(pooled[5]).toMatchObject({ ok: false, reason: 'PROOF_MISSING' });
    expect(pool.stats.completed - before).toBe(cases.length);
    expect(pool.stats.spawned).toBe(2);
  });

  it('generates a (small) safe prime in a worker, also for PrimePool through the prime hook', async () => {
    const p = await pool.prime(256);
    expect(p.toString(2).length).toBe(256);
    expect(isSafePrime(p)).toBe(true);
    const uninstall = pool.installPrimeHook();
    try {
      const before = pool.stats.completed;
      const pp = new PrimePool({ bits: 256, target: 0 });
      const q = await pp.take();
      expect(q.toString(2).length).toBe(256);
      expect(isSafePrime(q)).toBe(true);
      expect(pool.stats.completed - before).toBe(1);
    } finally {
      uninstall();
    }
  });

  it('preparePresign fills the presign pools from every worker; presigns then take exactly that and sign', async () => {
    const aux = auxFixtures([1, 2], 'default', 4); // fresh aux objects: empty pools
    const d = presignDemand(2);
    const mine = (a: AuxInfo) => ({ own: noncePoolOf(a, a.self).size, peer: noncePoolOf(a, 3 - a.self).size, mu: maskPoolOf(a, 3 - a.self).size('mu'), gamma: maskPoolOf(a, 3 - a.self).size('gamma'), delta: maskPoolOf(a, 3 - a.self).size('delta') });
    const before = pool.stats.completed;
    const perPresign = d.own + d.perPeer + d.masksPerPeer.mu + d.masksPerPeer.gamma + d.masksPerPeer.delta;
    expect(await Promise.all([...aux.values()].map((a) => pool.preparePresign(a, { presigns: 2 })))).toEqual([2 * perPresign, 2 * perPresign]);
    expect(pool.stats.completed - before).toBeGreaterThan(2 * pool.size); // many small batches over both workers
    for (const a of aux.values()) expect(mine(a)).toEqual({ own: 2 * d.own, peer: 2 * d.perPeer, mu: 2 * d.masksPerPeer.mu, gamma: 2 * d.masksPerPeer.gamma, delta: 2 * d.masksPerPeer.delta });
    expect(await pool.preparePresign(aux.get(1)!, { presigns: 2 })).toBe(0); // already held
    // two presigns (in this thread) take everything the workers made; every proof made from it verifies at the peer
    const ps = [1, 2].map((i) => ({ id: i, owns: [i] }));
    const key = [...runKeygen(ps, 2, 'pool-presign').outputs.values()];
    const r1 = runPresign(key, [1, 2], { seed: 'pool-1', aux });
    const r2 = runPresign(key, [1, 2], { seed: 'pool-2', aux });
    for (const r of [r1, r2]) expect(r.outputs.size).toBe(2);
    for (const a of aux.values()) expect(mine(a)).toEqual({ own: 0, peer: 0, mu: 0, gamma: 0, delta: 0 });
    expect(runSign(r2.outputs, sha256(u8('pool-prepared'))).outputs.size).toBe(2);
    // abort before start: nothing made; bad input: typed errors
    const ac = new AbortController();
    ac.abort();
    expect(await pool.preparePresign(aux.get(1)!, { presigns: 1, signal: ac.signal })).toBe(0);
    expect(mine(aux.get(1)!).own).toBe(0);
    await expect(pool.preparePresign({} as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(pool.preparePresign(aux.get(1)!, { presigns: 2000 })).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
    await expect(pool.preparePresign(aux.get(1)!, { signers: [2, 3] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('rejects bad options and closed-pool use with typed errors', async () => {
    expect(() => createNodeMathPool({ size: 0 })).toThrow(/OUT_OF_RANGE/);
    const p2 = createNodeMathPool({ size: 1 });
    await p2.close();
    expect(() => p2.prime(256)).toThrow(/INVALID_ARGUMENT/);
  });
});
