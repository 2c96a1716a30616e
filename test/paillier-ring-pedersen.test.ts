import { inspect } from 'node:util';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { jacobi } from '../src/bigint/arith.js';
import { modPow, setModexpBackend } from '../src/bigint/modexp.js';
import { generatePrimeSync } from '../src/bigint/primes.js';
import { isTkeyTssError } from '../src/errors.js';
import { paillierFromPrimes } from '../src/paillier/keys.js';
import { generateRingPedersen, RingPedersenParams } from '../src/paillier/ring-pedersen.js';
import { seededRng } from '../src/rng.js';
import { testPaillierKey } from './helpers/test-primes.js';

const sk = testPaillierKey(2);
const N = sk.n;
const rs = generateRingPedersen(sk, seededRng('rp'));
const rp = rs.params;

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (isTkeyTssError(e)) return e.code;
    throw e;
  }
  return undefined;
}

afterEach(() => setModexpBackend('auto'));

describe('ring-Pedersen parameters', () => {
  it('share N with the Paillier key; t is a square, s = t^λ', () => {
    expect(rp.N).toBe(N);
    expect(jacobi(rp.t, N)).toBe(1);
    expect(modPow(rp.t, rs.lambda, N)).toBe(rp.s);
    expect(rs.phi).toBe(sk.phi);
    expect(rs.lambda < rs.phi && rs.lambda >= 0n).toBe(true);
    // t is a quadratic residue mod p and mod q (Euler's criterion)
    expect(modPow(rp.t, (sk.p - 1n) / 2n, sk.p)).toBe(1n);
    expect(modPow(rp.t, (sk.q - 1n) / 2n, sk.q)).toBe(1n);
  });

  it('is deterministic under a seed', () => {
    expect(generateRingPedersen(sk, seededRng('rp')).params.equals(rp)).toBe(true);
    expect(generateRingPedersen(sk, seededRng('rp2')).params.equals(rp)).toBe(false);
  });

  it('commit = s^x t^y mod N for signed exponents; secret and public routes and backends agree', () => {
    const big = (bits: number) => fc.bigInt({ min: -(1n << BigInt(bits)), max: 1n << BigInt(bits) });
    fc.assert(
      fc.property(big(800), big(2900), (x, y) => {
        const want = (modPow(rp.s, x, N) * modPow(rp.t, y, N)) % N;
        expect(rp.commit(x, y)).toBe(want);
        expect(rp.commitPublic(x, y)).toBe(want);
        setModexpBackend('portable');
        expect(rp.commit(x, y)).toBe(want);
        expect(rp.commitPublic(x, y)).toBe(want);
        setModexpBackend('auto');
      }),
      { numRuns: 6 },
    );
    // the binding relation the owner knows: commit(x, y) = commit(0, λx + y)
    expect(rp.commit(5n, 7n)).toBe(rp.commit(0n, rs.lambda * 5n + 7n));
    expect(rp.commitTimes(1n, 2n, [[3n, 4n]])).toBe((rp.commit(1n, 2n) * 81n) % N);
  });

  it('validates parameters: s, t ∈ Z*_N \\ {0, 1, N − 1}, s ≠ t, size bounds', () => {
    const { s, t } = rp;
    expect(code(() => new RingPedersenParams(N, s, s))).toBe('RING_PEDERSEN_INVALID');
    for (const bad of [0n, 1n, N - 1n, N, N + 5n, -s, sk.p, 3n * sk.q]) {
      expect(code(() => new RingPedersenParams(N, bad, t)), `${bad}`).toBe('RING_PEDERSEN_INVALID');
      expect(code(() => new RingPedersenParams(N, s, bad)), `${bad}`).toBe('RING_PEDERSEN_INVALID');
    }
    expect(code(() => new RingPedersenParams(N >> 8n | 1n, 4n, 9n))).toBe('PAILLIER_MODULUS_SIZE');
    expect(code(() => new RingPedersenParams(N + 1n, 4n, 9n))).toBe('INVALID_MODULUS');
    expect(code(() => new RingPedersenParams(N, s, t, 'high'))).toBe('PAILLIER_MODULUS_SIZE');
    expect(code(() => rp.validateElement(sk.q))).toBe('RING_PEDERSEN_INVALID');
    expect(code(() => rp.validateElement(0n))).toBe('RING_PEDERSEN_INVALID');
    expect(rp.validateElement(rp.s)).toBe(rp.s);
  });

  it('bytes round trip; the secret is redacted', () => {
    const b = rp.toBytes();
    expect(b.length).toBe(3 * rp.byteLength);
    expect(RingPedersenParams.fromBytes(b).equals(rp)).toBe(true);
    expect(code(() => RingPedersenParams.fromBytes(b.subarray(1)))).toBe('INVALID_LENGTH');
    const lam = rs.lambda.toString(16).slice(0, 24);
    for (const s of [JSON.stringify(rs), inspect(rs), String(rs)]) {
      expect(s).not.toContain(lam);
      expect(s).toMatch(/redacted/);
    }
  });

  it('refuses a key whose primes are not safe', () => {
    let k;
    do {
      k = paillierFromPrimes(generatePrimeSync(1024, { kind: 'blum' }), generatePrimeSync(1024, { kind: 'blum' }));
    } while (k.isSafe(2));
    expect(code(() => generateRingPedersen(k))).toBe('RING_PEDERSEN_INVALID');
  });

  it('high profile parameters', () => {
    const hk = testPaillierKey(1, 'high');
    const h = generateRingPedersen(hk, seededRng('rp-high')).params;
    expect(h.profile.name).toBe('high');
    expect(h.commit(-3n, 1n << 2000n)).toBe(h.commitPublic(-3n, 1n << 2000n));
  });
});
