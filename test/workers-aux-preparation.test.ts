/**
 * New-device setup off the main thread (issue 13 item 2): the math pool's parallel prime race
 * (`MathPool.primes`) returns valid, distinct safe primes with a progress event per prime; aborting
 * rejects with ABORTED at once and stops the searching workers (the pool starts fresh ones for the
 * next task); `prepareAuxInput({pool})` and `AuxPreparation` (start ahead, take once, cancel).
 * Small bit sizes for real searches; the 1024-bit key comes from the pregenerated TEST primes
 * served through the same `ParallelPrimeSource` interface the pool implements.
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modPow } from '../src/bigint/modexp.js';
import { isSafePrime } from '../src/bigint/primes.js';
import { isTkeyTssError } from '../src/errors.js';
import { PaillierSecretKey } from '../src/paillier/keys.js';
import { PROFILE_DEFAULT } from '../src/zk/params.js';
import { PrmPool } from '../src/zk/prm-pool.js';
import { prepareAuxInput, type AuxInput, type AuxPrepareProgress, type ParallelPrimeSource } from '../protocols/aux/index.js';
import { validateInput } from '../protocols/aux/proofs.js';
import { AuxPreparation } from '../workers/aux-preparation.js';
import type { MathPool } from '../workers/math-pool.js';
import { createNodeMathPool } from '../workers/node.js';
import { inputFromPlain, inputToPlain } from '../workers/protocols.js';
import { auxInput, runAux } from './helpers/aux-run.js';
import { testPrimePairs } from './helpers/test-primes.js';

const codeOf = (e: unknown): string | undefined => (isTkeyTssError(e) ? e.code : undefined);

async function until(cond: () => boolean, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The TEST primes as a prime source (a real source of real safe primes; the search itself is tested above with small sizes). */
function testPrimeSource(pair = 5): ParallelPrimeSource & { calls: number } {
  const { p, q } = testPrimePairs(1024)[pair]!;
  const src = {
    calls: 0,
    async primes(bits: number, count: number, opts: { onFound?: (f: number, n: number) => void } = {}) {
      src.calls++;
      expect([bits, count]).toEqual([1024, 2]);
      opts.onFound?.(1, 2);
      opts.onFound?.(2, 2);
      return [p, q];
    },
  };
  return src;
}

describe('parallel safe-prime search in the math pool', () => {
  let pool: MathPool;
  beforeAll(() => {
    pool = createNodeMathPool({ size: 2 });
  });
  afterAll(async () => {
    await pool.close();
  });

  it('every worker searches; returns distinct valid safe primes with a progress event per prime', async () => {
    const events: [number, number][] = [];
    const primes = await pool.primes(256, 3, { onFound: (f, n) => events.push([f, n]) });
    expect(primes).toHaveLength(3);
    expect(new Set(primes).size).toBe(3);
    for (const p of primes) {
      expect(p.toString(2).length).toBe(256);
      expect(isSafePrime(p)).toBe(true);
    }
    expect(events).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    expect(pool.stats.spawned).toBe(2); // both workers took part
  }, 120_000);

  it('abort: rejects with ABORTED at once and stops the searching workers; the pool recovers', async () => {
    const ac = new AbortController();
    await until(() => pool.stats.busy === 0); // Node: the previous race's loser finishes its (uninterruptible) OpenSSL search
    const spawned = pool.stats.spawned;
    const run = pool.primes(4096, 2, { signal: ac.signal }); // minutes of OpenSSL work: only an abort ends it soon
    await until(() => pool.stats.busy === 2);
    const t0 = Date.now();
    ac.abort();
    const err = await run.then(() => undefined, (e: unknown) => e);
    expect(codeOf(err)).toBe('ABORTED');
    expect(Date.now() - t0).toBeLessThan(1000);
    await until(() => pool.stats.busy === 0, 5000);
    expect(pool.stats.alive).toBe(0); // the workers were terminated, not left searching
    // an already-aborted signal: rejected before anything starts
    await expect(pool.primes(64, 1, { signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    // fresh workers for the next task
    const [p] = await pool.primes(64, 1);
    expect(isSafePrime(p!)).toBe(true);
    expect(pool.stats.spawned).toBeGreaterThan(spawned);
  }, 120_000);

  it('bad arguments are typed errors', () => {
    expect(() => pool.primes(256, 0)).toThrow(expect.objectContaining({ code: 'OUT_OF_RANGE' }));
    expect(() => pool.primes(8, 1)).toThrow(expect.objectContaining({ code: 'OUT_OF_RANGE' }));
    expect(() => pool.primes(256, 1, { signal: {} as AbortSignal })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('prepareAuxInput({pool}) and AuxPreparation', () => {
  it('prepareAuxInput with a pool: a valid aux input, progress per prime and when ready', async () => {
    const src = testPrimeSource();
    const events: AuxPrepareProgress[] = [];
    const input = await prepareAuxInput('default', { pool: src, onProgress: (e) => events.push(e) });
    expect(input.key).toBeInstanceOf(PaillierSecretKey);
    expect(validateInput(input).profile).toBe('default'); // what the aux session checks (Miller–Rabin included)
    expect(events.map((e) => e.phase)).toEqual(['primes', 'primes', 'ready']);
    await expect(prepareAuxInput('default', { pool: src, primes: async () => 1n })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(prepareAuxInput('default', { pool: src, signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('a pool returning something that is not a safe prime is refused', async () => {
    const { p } = testPrimePairs(1024)[0]!;
    const bad: ParallelPrimeSource = { primes: async () => [p, p + 2n] };
    await expect(prepareAuxInput('default', { pool: bad })).rejects.toMatchObject({ code: 'PRIME_GENERATION_FAILED' });
    const same: ParallelPrimeSource = { primes: async () => [p, p] };
    await expect(prepareAuxInput('default', { pool: same })).rejects.toMatchObject({ code: 'PRIME_GENERATION_FAILED' });
  });

  it('AuxPreparation: started ahead, ready, taken once, redacted', async () => {
    const prep = AuxPreparation.start({ pool: testPrimeSource() });
    await prep.ready();
    expect(prep.status).toBe('ready');
    expect(JSON.stringify(prep)).toBe('{"profile":"default","status":"ready"}');
    expect(inspect(prep)).not.toMatch(/[0-9a-f]{32}/);
    const input = await prep.take();
    expect(validateInput(input).profile).toBe('default');
    expect(prep.status).toBe('taken');
    await expect(prep.take()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    prep.cancel(); // no effect once taken
    expect(prep.status).toBe('taken');
  });

  it('AuxPreparation on the real pool: cancel stops the workers and rejects ready()/take() with ABORTED', async () => {
    const pool = createNodeMathPool({ size: 2 });
    try {
      const ac = new AbortController();
      const events: AuxPrepareProgress[] = [];
      const prep = AuxPreparation.start({ pool, signal: ac.signal, onProgress: (e) => events.push(e) });
      await until(() => pool.stats.busy === 2);
      ac.abort(); // the caller's signal cancels like cancel()
      expect(prep.status).toBe('cancelled');
      await expect(prep.ready()).rejects.toMatchObject({ code: 'ABORTED' });
      await expect(prep.take()).rejects.toMatchObject({ code: 'ABORTED' });
      await until(() => pool.stats.busy === 0, 5000);
      expect(pool.stats.alive).toBe(0);
      expect(events.filter((e) => e.phase === 'ready')).toEqual([]);
    } finally {
      await pool.close();
    }
  }, 120_000);
});

describe('Πprm commitments prepared in the math pool (issue 13)', () => {
  let pool: MathPool;
  beforeAll(() => {
    pool = createNodeMathPool({ size: 2 });
  });
  afterAll(async () => {
    await pool.close();
  });
  /** The TEST primes, with the real pool's `preparePrm`. */
  const source = (pair = 5) => Object.assign(testPrimeSource(pair), { preparePrm: pool.preparePrm.bind(pool) });

  it('MathPool.preparePrm fills a PrmPool with valid, distinct (a_i, t^a_i); bad arguments are typed errors', async () => {
    const { p, q } = testPrimePairs(1024)[5]!;
    const N = p * q;
    const t = (123456789n * 123456789n) % N;
    const prm = new PrmPool(N, t, 20);
    expect(await pool.preparePrm(prm, p, q)).toBe(20);
    const entries = prm.drain();
    expect(new Set(entries.map((e) => e.a)).size).toBe(20);
    for (const { a, A } of entries) expect(modPow(t, a, N)).toBe(A);
    await expect(pool.preparePrm(prm, p, p)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(pool.preparePrm({ N, t } as PrmPool, p, q)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await pool.preparePrm(prm, p, q, { signal: AbortSignal.abort() })).toBe(0);
  }, 60_000);

  it('AuxPreparation on a MathPool: ringPedersen + a full PrmPool; the aux session takes them and completes', async () => {
    const prep = AuxPreparation.start({ pool: source() });
    const input = await prep.take();
    expect(input.ringPedersen).toBeDefined();
    expect(input.prmPool).toBeInstanceOf(PrmPool);
    expect(input.prmPool!.size).toBe(PROFILE_DEFAULT.m);
    expect(input.prmPool!.serves(input.key.p * input.key.q, input.ringPedersen!.t)).toBe(true);
    expect(validateInput(input).reuse).not.toBeNull();
    const prmPool = input.prmPool!;
    const res = runAux([1, 2], 'aux-prep/prm', {}, (id) => (id === 1 ? input : auxInput(2)));
    expect(res.aborts.size).toBe(0);
    expect(res.outputs.size).toBe(2);
    expect(prmPool.size).toBe(0); // used, never again
    expect(res.outputs.get(2)!.parties.find((e) => e.id === 1)!.t).toBe(input.ringPedersen!.t);
    expect(JSON.stringify(prmPool)).toContain('"entries":"<redacted>"'); // N and t are public; the a_i never show
  }, 120_000);

  it('prm: false or a source without preparePrm keeps the plain input; prm: true without it is refused', async () => {
    const plain = await AuxPreparation.start({ pool: source(), prm: false }).take();
    expect(plain.prmPool).toBeUndefined();
    expect(plain.ringPedersen).toBeUndefined();
    expect((await AuxPreparation.start({ pool: testPrimeSource() }).take()).prmPool).toBeUndefined();
    expect(() => AuxPreparation.start({ pool: testPrimeSource(), prm: true })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => AuxPreparation.start({ pool: source(), prm: 1 as unknown as boolean })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('crossing to a party worker: the entries leave this thread’s pool once and are rebuilt there', async () => {
    const input = await AuxPreparation.start({ pool: source() }).take();
    const prmPool = input.prmPool!;
    const { plain } = inputToPlain('aux', input);
    expect(prmPool.size).toBe(0); // drained here: never used on both sides
    const back = inputFromPlain('aux', structuredClone(plain)) as AuxInput;
    expect(back.prmPool).toBeInstanceOf(PrmPool);
    expect(back.prmPool!.size).toBe(PROFILE_DEFAULT.m);
    expect(validateInput(back).reuse).not.toBeNull();
    expect(() => inputToPlain('aux', { ...input, prmPool: { N: 1n } as unknown as PrmPool })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const forged = structuredClone(inputToPlain('aux', { ...input, prmPool: new PrmPool(prmPool.N, prmPool.t, 1) }).plain) as { prmPool: { entries: unknown[] } };
    forged.prmPool.entries = [{ a: 1n, A: 1n }];
    expect(() => inputFromPlain('aux', forged)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  }, 60_000);
});
