/**
 * Πprm prover commitments prepared ahead (`PrmPool`, issue 13): proofs from the pool verify, every
 * entry is used once (two proofs never share an a_i), a pool for other (N, t) is refused, `add`
 * checks shape and changes nothing on a failure, the secrets are redacted; the aux session takes
 * from a pool handed in its input and refuses a foreign or cloned one.
 */
import { inspect } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { utf8ToBytes } from '../src/bytes.js';
import { seededRng } from '../src/rng.js';
import { PROFILE_DEFAULT } from '../src/zk/params.js';
import * as prm from '../src/zk/prm.js';
import { drawPrmCommitments, PrmPool } from '../src/zk/prm-pool.js';
import { aux } from '../protocols/aux/index.js';
import { Session } from '../protocols/session.js';
import { auxInput, runAux } from './helpers/aux-run.js';
import { testPrimePairs } from './helpers/test-primes.js';
import { prmFixture, tr, zkParty, type ZkParty } from './helpers/zk-fixtures.js';

const profile = PROFILE_DEFAULT;
const m = profile.m;
let P1: ZkParty;
let p: bigint, q: bigint, N: bigint, s: bigint, t: bigint, lambda: bigint;

beforeAll(() => {
  ({ P1, p, q, N, s, t, lambda } = prmFixture());
});

const prove = (pool?: PrmPool, sid = 'sid-A', seed = 'prm') => prm.prove({ N, s, t, profile }, { lambda, p, q }, tr(sid), seededRng(seed), pool);
const verdict = (pr: prm.PrmProof, sid = 'sid-A') => prm.verify({ N, s, t, profile }, pr, tr(sid));

describe('PrmPool', () => {
  it('a proof from the pool verifies and uses the prepared commitments, removing them', () => {
    const pool = new PrmPool(N, t, m);
    expect(pool.fillSync(p, q, m, seededRng('fill'))).toBe(m);
    expect(pool.size).toBe(m);
    const ready = drawPrmCommitments(p, q, t, m, seededRng('fill'));
    const proof = prove(pool);
    expect(verdict(proof).ok).toBe(true);
    expect(pool.size).toBe(0);
    expect(new Set(proof.A)).toEqual(new Set(ready.map((r) => r.A)));
  });

  it('two proofs never share an a_i: a drained pool falls back to drawing; a larger pool hands out distinct entries', () => {
    const pool = new PrmPool(N, t, 2 * m);
    pool.fillSync(p, q, m + m / 2);
    const one = prove(pool, 'sid-A', 'same-seed');
    const two = prove(pool, 'sid-B', 'same-seed'); // half from the pool, half drawn
    expect(pool.size).toBe(0);
    expect(verdict(one, 'sid-A').ok).toBe(true);
    expect(verdict(two, 'sid-B').ok).toBe(true);
    const shared = one.A.filter((a) => two.A.includes(a));
    expect(shared).toEqual([]);
    const three = prove(pool, 'sid-C', 'same-seed'); // empty pool: exactly the seeded proof without a pool
    expect(three).toEqual(prove(undefined, 'sid-C', 'same-seed'));
  });

  it('a pool for another N or t is refused by the prover (INVALID_ARGUMENT), and its entries stay', () => {
    const otherT = new PrmPool(N, s, 4);
    otherT.fillSync(p, q, 4);
    expect(() => prove(otherT)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(otherT.size).toBe(4);
    const { p: p1, q: q1 } = P1.sk.exportPrimes();
    const otherN = new PrmPool(P1.sk.n, P1.rp.t, 4);
    otherN.fillSync(p1, q1, 4);
    expect(() => prove(otherN)).toThrow(/not for this \(N, t\)/);
    expect(otherN.size).toBe(4);
    expect(() => prove(structuredClone(new PrmPool(N, t, 4)) as PrmPool)).toThrow(/not for this \(N, t\)/);
  });

  it('constructor and fillSync refuse bad parameters', () => {
    expect(() => new PrmPool(N + 1n, t)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    for (const bad of [0n, 1n, N - 1n, N, p]) expect(() => new PrmPool(N, bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new PrmPool(N, t, 0)).toThrow(expect.objectContaining({ code: 'OUT_OF_RANGE' }));
    expect(() => new PrmPool(N, t).fillSync(p, p, 1)).toThrow(/do not factor N/);
    expect(() => new PrmPool(N, t).fillSync(p, q, -1)).toThrow(expect.objectContaining({ code: 'OUT_OF_RANGE' }));
  });

  it('add checks shape, refuses repeats, adds nothing on a failure, stops at capacity', () => {
    const good = drawPrmCommitments(p, q, t, 3);
    const pool = new PrmPool(N, t, 2);
    const bads: unknown[] = [
      'x',
      [{ a: -1n, A: good[0]!.A }],
      [{ a: N, A: good[0]!.A }],
      [{ a: 5, A: good[0]!.A }],
      [{ a: good[0]!.a, A: 1n }],
      [{ a: good[0]!.a, A: 0n }],
      [{ a: good[0]!.a, A: N }],
      [{ a: good[0]!.a, A: p }],
      [null],
      [good[0], good[0]],
      [good[1], { a: good[2]!.a, A: 1n }],
    ];
    for (const bad of bads) expect(() => pool.add(bad as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(pool.size).toBe(0);
    expect(pool.add(good)).toBe(2);
    expect(pool.size).toBe(2);
    pool.take();
    expect(() => pool.add([pool.take()!, good[2]!])).not.toThrow();
    expect(() => pool.add([good[2]!])).toThrow(/repeats an a_i/);
  });

  it('the secrets never appear in JSON or inspection', () => {
    const pool = new PrmPool(N, t, 2);
    pool.fillSync(p, q, 2);
    const a = pool.take()!;
    pool.add([a]);
    const dec = a.a.toString(16);
    expect(JSON.stringify(pool)).not.toContain(dec);
    expect(inspect(pool, { depth: 5, showHidden: true })).not.toContain(dec);
    expect(String(pool)).toContain('redacted');
  });
});

describe('aux input with a PrmPool', () => {
  const sid = utf8ToBytes('prm-pool/sid');
  const ctx = (self: number) => ({ sid, self, parties: [1, 2].map((id) => ({ id, owns: [id] })), threshold: 1 });
  // reused ring-Pedersen parameters on test pair i's modulus (zk fixture party i has that key)
  const reusing = (i: number) => {
    const z = zkParty(i);
    expect(z.sk.n).toBe(testPrimePairs(1024)[i]!.p * testPrimePairs(1024)[i]!.q);
    const rp = { N: z.sk.n, s: z.rp.s, t: z.rp.t };
    return { input: { ...auxInput(i), ringPedersen: { s: z.rp.s, t: z.rp.t, lambda: z.rpSecret.lambda } }, rp };
  };

  it('round 1 takes the prepared commitments; the session completes and verifies', () => {
    const pools = new Map<number, PrmPool>();
    const res = runAux([1, 2], 'prm-pool/run', {}, (id) => {
      const { input, rp } = reusing(id);
      const pool = new PrmPool(rp.N, rp.t, m);
      const { p: pp, q: qq } = testPrimePairs(1024)[id]!;
      pool.fillSync(pp, qq, m);
      pools.set(id, pool);
      return { ...input, prmPool: pool };
    });
    expect(res.aborts.size).toBe(0);
    expect(res.outputs.size).toBe(2);
    for (const pool of pools.values()) expect(pool.size).toBe(0);
  });

  it('a pool for another N or t, a cloned pool, or a pool without ringPedersen: INVALID_ARGUMENT at init', () => {
    const { input, rp } = reusing(1);
    const { p: pp, q: qq } = testPrimePairs(1024)[1]!;
    const wrongT = new PrmPool(rp.N, rp.s, 2);
    const foreign = new PrmPool(zkParty(2).sk.n, zkParty(2).rp.t, 2);
    const ok = new PrmPool(rp.N, rp.t, 2);
    ok.fillSync(pp, qq, 2);
    for (const prmPool of [wrongT, foreign, structuredClone(ok), { N: rp.N, t: rp.t }]) {
      expect(() => Session.create(aux, ctx(1), { ...input, prmPool: prmPool as PrmPool }, { rng: seededRng('x') })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    expect(() => Session.create(aux, ctx(1), { ...auxInput(1), prmPool: ok }, { rng: seededRng('x') })).toThrow(/not a pool for this N/);
    expect(ok.size).toBe(2);
  });
});
