/**
 * Presign work prepared off the critical path (issue 13 item 4): Paillier nonce pools, ring-Pedersen
 * mask pools, the provers' precomputed inputs and the own-key CRT `powPublic` — each new path
 * cross-checked against the plain computation on random inputs and edge cases, single use, bounds,
 * typed errors, redaction; and a presign run on prepared pools that drains exactly its demand.
 */
import { inspect } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { utf8ToBytes } from '../src/bytes.js';
import { modPow, setModexpBackend } from '../src/bigint/modexp.js';
import { mulG, mulPublic, modN, randomScalar } from '../src/curve.js';
import { sha256 } from '../src/hash.js';
import { NONCE_POOL_CAPACITY, NoncePool } from '../src/paillier/nonce-pool.js';
import { randomBelow, seededRng } from '../src/rng.js';
import * as affg from '../src/zk/affg.js';
import * as enc from '../src/zk/enc.js';
import * as logstar from '../src/zk/logstar.js';
import { checkMask, drawMask, MaskPool, type MaskKind } from '../src/zk/mask-pool.js';
import { PROFILE_DEFAULT, pow2 } from '../src/zk/params.js';
import { ownPaillierFast, ownRingPedersenFast, paillierPublicOf, ringPedersenOf } from '../protocols/aux/materialize.js';
import { maskPoolOf, noncePoolOf, preparePresign, presignDemand, takeMask, takeNonce } from '../protocols/presign/precompute.js';
import { auxFixtures } from './helpers/aux-fixtures.js';
import { runPresign, runSign } from './helpers/signing.js';
import { runKeygen } from './helpers/simulate.js';
import { tr, zkParty, type ZkParty } from './helpers/zk-fixtures.js';

const rng = seededRng('presign-precompute');
const { ell, ellPrime, epsilon } = PROFILE_DEFAULT;
let P0: ZkParty;
let P1: ZkParty;

beforeAll(() => {
  P0 = zkParty(0);
  P1 = zkParty(1);
});

const randomSigned128 = (): bigint => randomBelow(rng, pow2(129) + 1n) - pow2(128);

const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
};

describe('NoncePool', () => {
  it('pairs are (ρ, ρ^N mod N²): the ciphertext equals encryptWithNonce, from a public key and from the owner (CRT)', () => {
    const pk = P0.sk.publicKey;
    for (const src of [pk, P0.sk]) {
      const pool = new NoncePool(src, 8);
      expect(pool.fillSync(6, rng)).toBe(6);
      for (const m of [0n, 1n, -1n, pk.n - 1n, -(pk.n - 1n), randomBelow(rng, pk.n)]) {
        const p = pool.take()!;
        expect(p.noncePower).toBe(modPow(p.nonce, pk.n, pk.n2));
        expect(pk.encryptWithNoncePower(m, p)).toBe(pk.encryptWithNonce(m, p.nonce));
      }
    }
  });

  it('the owner precomputes the same nonce power as the public key', () => {
    const pk = P0.sk.publicKey;
    const a = P0.sk.precomputeNonce(seededRng('same'));
    const b = pk.precomputeNonce(seededRng('same'));
    expect(a).toEqual(b);
  });

  it('single use, bounded, distinct nonces', () => {
    const pool = new NoncePool(P0.sk, 4);
    expect(pool.fillSync(10, rng)).toBe(4); // never beyond capacity
    expect(pool.size).toBe(4);
    const got = new Set<bigint>();
    for (let i = 0; i < 4; i++) got.add(pool.take()!.nonce);
    expect(got.size).toBe(4);
    expect(pool.take()).toBeUndefined();
    expect(pool.size).toBe(0);
  });

  it('fills in the background, one pair per turn, and stops on abort', async () => {
    const pool = new NoncePool(P0.sk, 16);
    expect(await pool.fill(3, { rng })).toBe(3);
    const ac = new AbortController();
    const p = pool.fill(10, { rng, signal: ac.signal });
    ac.abort();
    expect(await p).toBeLessThan(10);
    pool.clear();
    expect(pool.size).toBe(0);
  });

  it('add: pairs made elsewhere, shape-checked (nothing added on a bad one), up to capacity, then taken', () => {
    const pk = P0.sk.publicKey;
    const made = new NoncePool(P0.sk, 8);
    made.fillSync(5, rng);
    const pairs = [1, 2, 3, 4, 5].map(() => made.take()!);
    const pool = new NoncePool(pk, 4);
    const bad: unknown[] = [
      { ...pairs[0]!, nonce: 0n },
      { ...pairs[0]!, nonce: pk.n },
      { ...pairs[0]!, nonce: P0.sk.p }, // not a unit
      { ...pairs[0]!, noncePower: pk.n2 },
      { ...pairs[0]!, noncePower: P0.sk.q * 7n },
      { nonce: pairs[0]!.nonce },
      null,
    ];
    for (const b of bad) expect(code(() => pool.add([pairs[1]!, b as never]))).toBe('INVALID_ARGUMENT');
    expect(code(() => pool.add('x' as never))).toBe('INVALID_ARGUMENT');
    expect(pool.size).toBe(0);
    expect(pool.add(pairs)).toBe(4); // capacity 4
    expect(pool.size).toBe(4);
    const p = pool.take()!;
    expect(pk.encryptWithNoncePower(3n, p)).toBe(pk.encryptWithNonce(3n, p.nonce));
  });

  it('typed errors and redaction', () => {
    expect(code(() => new NoncePool({} as never))).toBe('INVALID_ARGUMENT');
    expect(code(() => new NoncePool(P0.sk, 0))).toBe('OUT_OF_RANGE');
    expect(code(() => new NoncePool(P0.sk).fillSync(-1))).toBe('OUT_OF_RANGE');
    expect(new NoncePool(P0.sk).capacity).toBe(NONCE_POOL_CAPACITY);
    const pool = new NoncePool(P0.sk, 2);
    pool.fillSync(1, rng);
    const secret = pool.take()!;
    pool.fillSync(1, seededRng('redact'));
    const s = JSON.stringify(pool) + inspect(pool) + String(pool);
    expect(s).toContain('redacted');
    expect(s).not.toContain(secret.nonce.toString(16).slice(0, 24));
    expect(s).not.toContain(P0.sk.publicKey.precomputeNonce(seededRng('redact')).nonce.toString(16).slice(0, 24));
  });
});

describe('powPublic: c^e mod N², plain and the owner’s CRT', () => {
  it('agree with modPow on random and edge inputs (e = 0, 1, −1, negative, ≥ N²)', () => {
    const aux = auxFixtures([1, 2]).get(1)!;
    const fast = ownPaillierFast(aux);
    const pk = paillierPublicOf(aux, 1);
    const n2 = pk.n2;
    const es = [0n, 1n, -1n, 2n, -(pow2(128) - 3n), pow2(ell + epsilon), -pow2(ell + epsilon), n2 + 5n, randomBelow(rng, n2)];
    for (let i = 0; i < 4; i++) {
      const c = pk.encrypt(randomBelow(rng, pk.n), rng);
      for (const e of es) {
        const want = modPow(c, e, n2);
        expect(fast.powPublic(c, e)).toBe(want);
        expect(pk.powPublic(c, e)).toBe(want);
      }
    }
  });

  it('refuses bases outside Z*_{N²} (≥ N², 0, multiples of a factor) on both paths', () => {
    const aux = auxFixtures([1, 2]).get(1)!;
    const fast = ownPaillierFast(aux);
    const pub = P0.sk.publicKey;
    const p = aux.secret.p;
    for (const bad of [0n, fast.n2, fast.n2 + 1n, p, -1n]) expect(code(() => fast.powPublic(bad, 3n))).toBe('PAILLIER_INVALID_CIPHERTEXT');
    for (const bad of [0n, pub.n2, pub.n2 + 7n]) expect(code(() => pub.powPublic(bad, 3n))).toBe('PAILLIER_INVALID_CIPHERTEXT');
    expect(code(() => pub.powPublic(2n, 1 as never))).toBe('INVALID_ARGUMENT');
  });
});

describe('own ring-Pedersen parameters for verifying (trapdoor t^(λx+y), public S^e)', () => {
  it('commitPublic and commitTimes equal s^x·t^y·Π S^e computed plainly (signed exponents, both backends)', () => {
    const aux = auxFixtures([1, 2]).get(2)!;
    const rp = ringPedersenOf(aux, 2);
    const fast = ownRingPedersenFast(aux);
    const N = rp.N;
    const plain = (x: bigint, y: bigint, extra: [bigint, bigint][]) => extra.reduce((acc, [b, e]) => (acc * modPow(b, e, N)) % N, (modPow(rp.s, x, N) * modPow(rp.t, y, N)) % N);
    const S = (modPow(rp.s, randomScalar(rng), N) * modPow(rp.t, randomBelow(rng, N), N)) % N;
    const big = pow2(ell + epsilon);
    const es = [0n, 1n, -1n, pow2(128), -pow2(128), randomSigned128(), randomSigned128()];
    for (const backend of ['auto', 'portable'] as const) {
      setModexpBackend(backend);
      try {
        for (const e of backend === 'auto' ? es : es.slice(3, 5)) {
          const x = randomBelow(rng, 2n * big) - big;
          const y = randomBelow(rng, 2n * big * N) - big * N;
          expect(fast.commitTimes(x, y, [[S, e]])).toBe(plain(x, y, [[S, e]]));
        }
        expect(fast.commitPublic(-5n, 7n)).toBe(plain(-5n, 7n, []));
        expect(fast.commitTimes(3n, -2n, [[S, -1n], [rp.t, 2n]])).toBe(plain(3n, 0n, [[S, -1n]]));
      } finally {
        setModexpBackend('auto');
      }
    }
  });
});

describe('ring-Pedersen masks', () => {
  const bounds: Record<MaskKind, [bigint, bigint]> = {
    mu: [0n, 0n],
    gamma: [pow2(ell + epsilon), pow2(ell + epsilon)],
    delta: [pow2(ellPrime + epsilon), pow2(ell + epsilon)],
  };

  it('commitments equal s^x·t^y computed plainly (secret and public routes), exponents in the provers’ ranges', () => {
    const rp = P1.rp;
    bounds.mu[1] = pow2(ell) * rp.N;
    bounds.gamma[1] = pow2(ell + epsilon) * rp.N;
    bounds.delta[1] = pow2(ell + epsilon) * rp.N;
    for (const kind of ['mu', 'gamma', 'delta'] as MaskKind[]) {
      for (let i = 0; i < 3; i++) {
        const m = drawMask(rp, kind, rng);
        expect(m.kind).toBe(kind);
        expect(m.N).toBe(rp.N);
        expect(m.c).toBe((modPow(rp.s, m.x, rp.N) * modPow(rp.t, m.y, rp.N)) % rp.N);
        expect(m.c).toBe(rp.commitPublic(m.x, m.y));
        const [bx, by] = bounds[kind];
        expect(m.x >= -bx && m.x <= bx).toBe(true);
        expect(m.y >= -by && m.y <= by).toBe(true);
        if (kind === 'mu') expect(m.x).toBe(0n);
      }
    }
    // the online half: s^x · (t^μ) = commit(x, μ), x = 0, 1, −1, random
    const mu = drawMask(rp, 'mu', rng);
    for (const x of [0n, 1n, -1n, randomScalar(rng), -(randomScalar(rng) << 1000n)]) expect((rp.commit(x, 0n) * mu.c) % rp.N).toBe(rp.commit(x, mu.y));
  });

  it('MaskPool.add: masks made elsewhere, shape-checked per kind and N̂ (nothing added on a bad one), up to capacity', () => {
    const rp = P1.rp;
    const ms = (['mu', 'gamma', 'delta'] as MaskKind[]).map((k) => drawMask(rp, k, rng));
    const pool = new MaskPool(rp, 1);
    const [mu, gamma, delta] = ms as [ReturnType<typeof drawMask>, ReturnType<typeof drawMask>, ReturnType<typeof drawMask>];
    const bad: unknown[] = [
      { ...mu, N: P0.rp.N }, // another N̂
      { ...mu, kind: 'nu' },
      { ...mu, x: 1n }, // 'mu' has x = 0
      { ...gamma, x: pow2(ell + epsilon) + 1n },
      { ...delta, y: -(pow2(ell + epsilon) * rp.N) - 1n },
      { ...gamma, c: 1n },
      { ...gamma, c: rp.N },
      { ...gamma, c: 0n },
      { ...gamma, y: 'x' },
      undefined,
    ];
    for (const b of bad) expect(code(() => pool.add([mu, b as never]))).toBe('INVALID_ARGUMENT');
    expect(pool.size('mu') + pool.size('gamma') + pool.size('delta')).toBe(0);
    expect(pool.add([...ms, drawMask(rp, 'mu', rng)])).toBe(3); // one per kind (capacity 1)
    expect(pool.take('delta')).toMatchObject({ kind: 'delta', x: delta.x, y: delta.y, c: delta.c });
    expect(pool.add([delta])).toBe(1);
  });

  it('checkMask refuses another kind or another N̂; the pool is single use, bounded and redacted', () => {
    const m = drawMask(P1.rp, 'gamma', rng);
    expect(checkMask(m, P1.rp, 'gamma', 't')).toBe(m);
    expect(code(() => checkMask(m, P1.rp, 'mu', 't'))).toBe('INVALID_ARGUMENT');
    expect(code(() => checkMask(m, P0.rp, 'gamma', 't'))).toBe('INVALID_ARGUMENT');
    expect(code(() => drawMask(P1.rp, 'nope' as never, rng))).toBe('INVALID_ARGUMENT');
    expect(code(() => new MaskPool(P1.rp, 0))).toBe('OUT_OF_RANGE');
    expect(code(() => new MaskPool({} as never))).toBe('INVALID_ARGUMENT');
    const pool = new MaskPool(P1.rp, 2);
    expect(pool.fillSync('delta', 5, rng)).toBe(2);
    const a = pool.take('delta')!;
    const b = pool.take('delta')!;
    expect(a.y).not.toBe(b.y);
    expect(pool.take('delta')).toBeUndefined();
    expect(pool.take('mu')).toBeUndefined();
    pool.fillSync('mu', 1, rng);
    const s = JSON.stringify(pool) + inspect(pool);
    expect(s).toContain('redacted');
    expect(s).not.toContain(a.y.toString(16).slice(0, 24));
  });
});

describe('provers with precomputed parts', () => {
  it('Πenc, Πlog*, Πaff-g proofs verify with pool nonces and masks; a mask under another N̂ is refused', () => {
    const key = P0.sk.publicKey;
    const nonces = new NoncePool(key, 8);
    nonces.fillSync(8, rng);
    const masks = new MaskPool(P1.rp, 8);
    for (const k of ['mu', 'gamma', 'delta'] as MaskKind[]) masks.fillSync(k, 8, rng);
    const foreign = drawMask(P0.rp, 'gamma', rng);

    const k = randomScalar(rng);
    const { ciphertext: K, nonce: rho } = key.encryptAndNonce(k, rng);
    const encPub = { key, K, rp: P1.rp };
    const pe = enc.prove(encPub, { k, rho }, tr(), rng, { r: nonces.take()!, mu: masks.take('mu')!, gamma: masks.take('gamma')! });
    expect(enc.verify(encPub, pe, tr())).toEqual({ ok: true });
    expect(code(() => enc.prove(encPub, { k, rho }, tr(), rng, { gamma: foreign }))).toBe('INVALID_ARGUMENT');

    const g = mulG(randomScalar(rng));
    const lsPub = { key, C: K, X: mulPublic(g, k), g, rp: P1.rp };
    const pl = logstar.prove(lsPub, { x: k, rho }, tr(), rng, { r: nonces.take()!, mu: masks.take('mu')!, gamma: masks.take('gamma')! });
    expect(logstar.verify(lsPub, pl, tr())).toEqual({ ok: true });
    expect(code(() => logstar.prove(lsPub, { x: k, rho }, tr(), rng, { mu: masks.take('gamma')! }))).toBe('INVALID_ARGUMENT');

    // Πaff-g: prover P0 (N1), verifier P1 (N0, N̂)
    const key0 = P1.sk.publicKey;
    const x = randomScalar(rng);
    const y = -(randomScalar(rng) << 1000n);
    const C = key0.encrypt(randomScalar(rng), rng);
    const { ciphertext: e0, nonce: rhoD } = key0.encryptAndNonce(y, rng);
    const D = (key0.mul(C, x) * e0) % key0.n2;
    const { ciphertext: Y, nonce: rhoY } = key.encryptAndNonce(y, rng);
    const pub = { key0, key1: key, C, D, Y, X: mulG(modN(x)), rp: P1.rp };
    const peerNonces = new NoncePool(key0, 2);
    peerNonces.fillSync(2, rng);
    const pa = affg.prove(pub, { x, y, rho: rhoD, rhoY }, tr(), rng, {
      r: peerNonces.take()!,
      ry: nonces.take()!,
      gamma: masks.take('gamma')!,
      delta: masks.take('delta')!,
      m: masks.take('mu')!,
      mu: masks.take('mu')!,
    });
    expect(affg.verify(pub, pa, tr())).toEqual({ ok: true });
    const same = masks.take('mu')!;
    expect(code(() => affg.prove(pub, { x, y, rho: rhoD, rhoY }, tr(), rng, { m: same, mu: same }))).toBe('INVALID_ARGUMENT');
    // without precomputed parts the draws are the plain ones: an empty `pre` gives the same proof
    expect(affg.prove(pub, { x, y, rho: rhoD, rhoY }, tr(), seededRng('same-draws'), {})).toEqual(affg.prove(pub, { x, y, rho: rhoD, rhoY }, tr(), seededRng('same-draws')));
  });
});

describe('presign on prepared pools', () => {
  const P = (id: number) => ({ id, owns: [id] });
  const key2 = [...runKeygen([P(1), P(2)], 2, 'precompute').outputs.values()];
  const digest = sha256(utf8ToBytes('prepared presign'));

  it('signs, and one presign takes exactly its demand from every pool (then falls back to inline draws)', async () => {
    const aux = auxFixtures([1, 2]);
    for (const a of aux.values()) expect(await preparePresign(a, { presigns: 1, rng })).toBeGreaterThan(0);
    const d = presignDemand(2);
    const a1 = aux.get(1)!;
    expect(noncePoolOf(a1, 1).size).toBe(d.own);
    expect(noncePoolOf(a1, 2).size).toBe(d.perPeer);
    expect(maskPoolOf(a1, 2).size('mu')).toBe(d.masksPerPeer.mu);
    const r = runPresign(key2, [1, 2], { seed: 'prepared', aux });
    expect(r.aborts.size).toBe(0);
    expect(r.outputs.size).toBe(2);
    for (const a of aux.values()) {
      const other = a.self === 1 ? 2 : 1;
      expect(noncePoolOf(a, a.self).size).toBe(0);
      expect(noncePoolOf(a, other).size).toBe(0);
      for (const k of ['mu', 'gamma', 'delta'] as MaskKind[]) expect(maskPoolOf(a, other).size(k)).toBe(0);
      expect(takeNonce(a, a.self)).toBeUndefined();
      expect(takeMask(a, other, 'gamma')).toBeUndefined();
    }
    const s = runSign(r.outputs, digest);
    expect(s.outputs.size).toBe(2);
    // empty pools: the inline path, same as without preparation
    const again = runPresign(key2, [1, 2], { seed: 'prepared-2', aux });
    expect(again.outputs.size).toBe(2);
  });

  it('one party prepared, the other not: both verify everything and finish', async () => {
    const aux = auxFixtures([1, 2]);
    await preparePresign(aux.get(2)!, { presigns: 1, rng });
    const r = runPresign(key2, [1, 2], { seed: 'mixed', aux });
    expect(r.outputs.size).toBe(2);
    expect(runSign(r.outputs, digest).outputs.size).toBe(2);
  });

  it('typed errors', async () => {
    const a = auxFixtures([1, 2]).get(1)!;
    expect(code(() => presignDemand(1))).toBe('OUT_OF_RANGE');
    expect(code(() => maskPoolOf(a, 1))).toBe('INVALID_ARGUMENT');
    await expect(preparePresign(a, { presigns: 0 })).rejects.toMatchObject({ code: 'OUT_OF_RANGE' });
    await expect(preparePresign(a, { signers: [2, 3] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
