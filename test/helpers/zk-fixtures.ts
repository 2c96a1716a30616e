/**
 * Fixtures for the ZK tests, vectors and benchmarks: Paillier keys from the pregenerated TEST
 * primes and ring-Pedersen parameters derived deterministically from a seed (t = r², s = t^λ).
 * TEST DATA ONLY.
 */
import { gcd, isProbablePrime, jacobi, modInv } from '../../src/bigint/arith.js';
import { modPow } from '../../src/bigint/modexp.js';
import type { PaillierSecretKey } from '../../src/paillier/keys.js';
import type { ProfileName } from '../../src/paillier/profiles.js';
import { generateRingPedersen, type RingPedersenParams, type RingPedersenSecret } from '../../src/paillier/ring-pedersen.js';
import { randomBelow, seededRng } from '../../src/rng.js';
import { challenges as modChallenges, type ModProof } from '../../src/zk/mod.js';
import { Transcript } from '../../src/zk/transcript.js';
import { testPaillierKey } from './test-primes.js';

export interface ZkParty {
  sk: PaillierSecretKey;
  rp: RingPedersenParams;
  rpSecret: RingPedersenSecret;
}

/** Ring-Pedersen (N, s, t) on `sk`'s modulus, deterministic from `seed` (the library generator on a seeded DRBG). */
export function ringPedersenFor(sk: PaillierSecretKey, seed: string): RingPedersenSecret {
  return generateRingPedersen(sk, seededRng(seed));
}

const parties = new Map<string, ZkParty>();

/** Party `i` (test prime pair i) of `profile`. */
export function zkParty(i: number, profile: ProfileName = 'default'): ZkParty {
  const id = `${profile}/${i}`;
  let p = parties.get(id);
  if (!p) {
    const sk = testPaillierKey(i, profile);
    const rpSecret = ringPedersenFor(sk, `zk-fixture/${id}`);
    p = { sk, rp: rpSecret.params, rpSecret };
    parties.set(id, p);
  }
  return p;
}

/** A transcript for prover `prover` in session `sid`. */
export function tr(sid = 'sid-A', prover = 1, rid?: string): Transcript {
  const enc = new TextEncoder();
  return Transcript.create({ sid: enc.encode(sid), protocol: 'test', prover, ...(rid === undefined ? {} : { rid: enc.encode(rid) }) });
}

/** Deterministic probable prime of exactly `bits` bits (first prime ≥ a seeded odd start). Tests only. */
export function detPrime(bits: number, seed: string): bigint {
  const rng = seededRng(`det-prime/${bits}/${seed}`);
  let x = randomBelow(rng, 1n << BigInt(bits - 1)) | (1n << BigInt(bits - 1)) | 1n;
  while (!isProbablePrime(x, 20)) x += 2n;
  if (x.toString(2).length !== bits) throw new Error('detPrime overflow');
  return x;
}

/** Odd primes below 2^16, descending. */
function smallPrimesDesc(): number[] {
  const lim = 1 << 16;
  const sieve = new Uint8Array(lim);
  const out: number[] = [];
  for (let i = 2; i < lim; i++) {
    if (sieve[i]) continue;
    if (i > 2) out.push(i);
    for (let j = i * i; j < lim; j += i) sieve[j] = 1;
  }
  return out.reverse();
}

/**
 * BitForge-style modulus (CVE-2023-33241): N = P · s_1 ⋯ s_k with P a 1024-bit (test) safe prime
 * and many ~16-bit primes s_i, sized into the default profile window (2047–2048 bits), with
 * gcd(N, λ(N)) = 1 so N-th roots exist.
 */
export function bitforgeModulus(P: bigint): { N: bigint; smalls: bigint[] } {
  let N = P;
  const smalls: bigint[] = [];
  const bits = (x: bigint) => x.toString(2).length;
  for (const s of smallPrimesDesc()) {
    if (bits(N) >= 2047) break;
    const S = BigInt(s);
    if (bits(N * S) > 2048) continue;
    // keep gcd(N, λ(N)) = 1: s ∤ (r − 1) for chosen r, no chosen r divides s − 1
    if ((P - 1n) % S === 0n || smalls.some((r) => (r - 1n) % S === 0n || (S - 1n) % r === 0n)) continue;
    smalls.push(S);
    N *= S;
  }
  if (bits(N) < 2047) throw new Error('bitforgeModulus: could not reach the size window');
  return { N, smalls };
}

/**
 * The Πmod forgery against a verifier that does not check w ∈ Z*_N (wednesdei "Soundness
 * violations", tss-lib TestAttackMod): w ≡ 1 (mod P), w ≡ 0 (mod every s_i). Then
 * x_i ≡ 0 (mod s_i) and a 4th root of ±y_i mod P (P ≡ 3 mod 4) satisfy x_i^4 = (−1)^a·w·y_i, and
 * z_i = y_i^{N⁻¹ mod λ(N)} satisfies z_i^N = y_i — for a modulus with 1 + k prime factors.
 */
export function forgeModProof(P: bigint, smalls: readonly bigint[], transcript: Transcript, m = 128): ModProof {
  const S = smalls.reduce((a, b) => a * b, 1n);
  const N = P * S;
  // w ≡ 1 (mod P), w ≡ 0 (mod S): w = S · (S⁻¹ mod P)
  const w = S * modInv(S % P, P);
  const ys = modChallenges(N, w, m, transcript);
  let lam = P - 1n;
  for (const s of smalls) lam = (lam * (s - 1n)) / gcd(lam, s - 1n);
  const d = modInv(N % lam, lam);
  const e4 = ((P + 1n) / 4n) ** 2n % (P - 1n);
  const proof: ModProof = { w, x: [], a: [], b: [], z: [] };
  for (const y of ys) {
    const yp = y % P;
    const a = jacobi(yp, P) === 1 ? 0 : 1;
    const v = a ? (P - yp) % P : yp;
    const xp = modPow(v, e4, P);
    // x ≡ xp (mod P), x ≡ 0 (mod S)
    proof.x.push((S * ((xp * modInv(S % P, P)) % P)) % N);
    proof.a.push(a as 0 | 1);
    proof.b.push(1);
    proof.z.push(modPow(y, d, N));
  }
  return proof;
}

/** Party 0's ring-Pedersen statement (N, s, t) and witness (λ; p, q: the factors of N), with parties 0 and 1. */
export interface PrmFixture {
  P0: ZkParty;
  P1: ZkParty;
  N: bigint;
  s: bigint;
  t: bigint;
  lambda: bigint;
  p: bigint;
  q: bigint;
}

/** The Πprm / Πfac tests' fixture: parties 0 and 1 (`zkParty`) and party 0's statement and witness. */
export function prmFixture(): PrmFixture {
  const P0 = zkParty(0);
  const P1 = zkParty(1);
  const { p, q } = P0.sk.exportPrimes();
  return { P0, P1, N: P0.sk.n, s: P0.rp.s, t: P0.rp.t, lambda: P0.rpSecret.lambda, p, q };
}
