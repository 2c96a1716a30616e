/**
 * Aux-info PROTOCOL test helpers (TEST DATA ONLY; `aux-fixtures.ts` builds AuxInfo without a run):
 * inputs from the pregenerated test primes, seeded runs over the in-memory runner, and the
 * cheating parties of the malicious tests and vectors — a re-commitment rule (change one's own
 * round-1 material and commit to it consistently), a BitForge-style modulus whose small factors
 * sit just above the 2^16 trial division, and a Πprm prover for any modulus with known structure.
 */
import { gcd, isProbablePrime } from '../../src/bigint/arith.js';
import { modPow } from '../../src/bigint/modexp.js';
import { utf8ToBytes } from '../../src/bytes.js';
import { PROFILES, type ProfileName } from '../../src/paillier/profiles.js';
import { randomBelow, seededRng, type Rng } from '../../src/rng.js';
import * as prm from '../../src/zk/prm.js';
import type { Transcript } from '../../src/zk/transcript.js';
import { aux, type AuxInfo, type AuxInput, type AuxState, commitmentHash, type Decommitment } from '../../protocols/aux/index.js';
import { simulate, type SimOptions, type SimResult } from '../../protocols/simulate.js';
import type { PartySpec } from '../../protocols/types.js';
import type { Rule } from './tamper.js';
import { testPrimePairs } from './test-primes.js';

/** Aux input of test prime pair `i` (fresh ring-Pedersen parameters). */
export function auxInput(i: number, profile: ProfileName = 'default'): AuxInput {
  const pair = testPrimePairs(profile === 'high' ? 1536 : 1024)[i];
  if (!pair) throw new Error(`no test prime pair ${i}`);
  return { profile, key: pair };
}

export const auxParties = (ids: readonly number[]): PartySpec[] => ids.map((id) => ({ id, owns: [id] }));

/** A seeded aux run: party `id` uses test prime pair `id` unless `inputs` says otherwise. */
export function runAux(ids: readonly number[], seed: string, extra: Partial<Omit<SimOptions, 'threshold'>> = {}, inputs: (id: number) => AuxInput = auxInput): SimResult<AuxInfo> {
  return simulate(
    aux,
    auxParties(ids).map((p) => ({ ...p, input: inputs(p.id), rng: seededRng(`${seed}/party-${p.id}`) })),
    { sid: utf8ToBytes(`${seed}/sid`), threshold: 1, ...extra },
  );
}

/**
 * Party `party` (in session `sid`) replaces its round-1 material (N, s, t, ψ̂, ρ, u) by `fn(own)`
 * and commits to the replacement, so its round-2 decommitment opens V and only later checks can
 * catch it.
 */
export function recommit(party: number, sid: Uint8Array, fn: (own: Decommitment) => Decommitment): Rule {
  return {
    party,
    round: 1,
    after: (res) => {
      if (!('state' in res)) return res;
      const st = res.state as AuxState;
      const own = fn(st.own!);
      const { cfg } = res.outbox[0]!.payload as { cfg: Uint8Array };
      return { state: { ...st, own }, outbox: [{ to: null, payload: { cfg, V: commitmentHash(sid, party, st.cfg, own) } }] };
    },
  };
}

/**
 * Πprm for N with known structure but any number of factors: t = r², λ, a_i < N/4 so
 * z_i = a_i + e_i·λ < N needs no reduction — a valid proof that s ∈ ⟨t⟩ for a modulus that is not
 * a biprime (Πprm alone says nothing about the factorisation).
 */
export function ringPedersenAnyN(N: bigint, rng: Rng, transcript: Transcript, profile: ProfileName = 'default'): { s: bigint; t: bigint; prm: Uint8Array } {
  const bound = N >> 2n;
  let r = randomBelow(rng, N);
  while (r < 2n || gcd(r, N) !== 1n) r = randomBelow(rng, N);
  const t = (r * r) % N;
  const lambda = randomBelow(rng, bound);
  const s = modPow(t, lambda, N);
  const a = Array.from({ length: PROFILES[profile].m }, () => randomBelow(rng, bound));
  const A = a.map((x) => modPow(t, x, N));
  const e = transcript.clone().domain(prm.TAG).int('N', N).int('s', s).int('t', t).ints('A', A).challengeBits('e', PROFILES[profile].m);
  return { s, t, prm: prm.proofToBytes({ A, z: a.map((x, k) => (e[k] ? x + lambda : x)) }) };
}

/** Odd primes in [2^16, 2^17), ascending. */
function primes17(): bigint[] {
  const out: bigint[] = [];
  for (let x = (1 << 16) + 1; x < 1 << 17; x += 2) if (isProbablePrime(BigInt(x), 10)) out.push(BigInt(x));
  return out;
}

/**
 * BitForge modulus that passes the structural checks: N = P · s_1 ⋯ s_k with P a 1024-bit test
 * safe prime and 17-bit primes s_i (above the < 2^16 trial division), in the default window, with
 * gcd(N, λ(N)) = 1. Only Πmod (w ∈ Z*_N) and Πfac can stop it.
 */
export function bitforge17(P: bigint): { N: bigint; smalls: bigint[] } {
  let N = P;
  const smalls: bigint[] = [];
  const bits = (x: bigint) => x.toString(2).length;
  const fits = (S: bigint) => (P - 1n) % S !== 0n && !smalls.some((r) => (r - 1n) % S === 0n || (S - 1n) % r === 0n);
  for (const S of primes17()) {
    if (bits(N) >= 2048 - 40) break;
    if (!fits(S)) continue;
    smalls.push(S);
    N *= S;
  }
  // one last prime of 2048 − bits(N) bits brings N into the 2047–2048-bit window
  const c = 2048 - bits(N);
  for (let F = (1n << BigInt(c - 1)) + 1n; ; F += 2n) {
    if (isProbablePrime(F, 20) && fits(F)) {
      smalls.push(F);
      N *= F;
      break;
    }
  }
  if (bits(N) < 2047 || bits(N) > 2048) throw new Error('bitforge17: could not reach the size window');
  return { N, smalls };
}
