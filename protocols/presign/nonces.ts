/**
 * Paillier nonce powers for presign, computed off the critical path (issue 13 item 4). Every
 * presign encryption is enc(m; ρ) = (1 + mN)·ρ^N mod N² with a fresh ρ; ρ^N does not depend on m,
 * so (ρ, ρ^N) pairs can be made ahead (idle time, between sessions) and a round only multiplies.
 *
 * Pools belong to a party's aux info (a WeakMap on its `AuxSecret`: they live no longer than it,
 * and a resumed snapshot — a structured clone — starts with empty pools, i.e. the inline path). One
 * pool per Paillier modulus: the own key's is filled by CRT, each peer's with its public key. A
 * round takes a pair when one is ready and otherwise draws ρ from its rng as before, so without
 * prepared nonces the draws — and the seeded conformance vectors — are unchanged. `take()`
 * removes the pair: no nonce is used twice.
 *
 * Demand per presign of t signers: own key 2 + 7(t − 1) pairs (K_i, G_i; per peer Πenc A, F, F̂,
 * B_y of ψ and ψ̂, A of ψ' and ψ''); each peer's key 4 (D, D̂, A of ψ and ψ̂).
 * @module
 */
import { fail } from '../../src/errors.js';
import { NoncePool, type NoncePair } from '../../src/paillier/nonce-pool.js';
import type { Rng } from '../../src/rng.js';
import { auxEntryOf, paillierPublicOf, paillierSecretFromAux } from '../aux/materialize.js';
import type { AuxInfo, AuxSecret } from '../aux/types.js';

const pools = new WeakMap<AuxSecret, Map<bigint, NoncePool>>();

/** Pairs one presign of `t` signers takes under the own key and under each peer's key. */
export function presignNonceDemand(t: number): { own: number; perPeer: number } {
  if (!Number.isSafeInteger(t) || t < 2) fail('OUT_OF_RANGE', 'presignNonceDemand: t must be an integer ≥ 2');
  return { own: 2 + 7 * (t - 1), perPeer: 4 };
}

/** The nonce pool of party `id`'s Paillier key in this aux info (created empty on first use). */
export function noncePoolOf(aux: AuxInfo, id: number, capacity?: number): NoncePool {
  let m = pools.get(aux.secret);
  if (!m) {
    m = new Map();
    pools.set(aux.secret, m);
  }
  const N = auxEntryOf(aux, id).N;
  let pool = m.get(N);
  if (!pool) {
    pool = new NoncePool(id === aux.self ? paillierSecretFromAux(aux) : paillierPublicOf(aux, id), capacity);
    m.set(N, pool);
  }
  return pool;
}

/** A ready pair under party `id`'s key, removed from its pool; undefined when none is ready (or none was ever prepared). */
export function takeNonce(aux: AuxInfo, id: number): NoncePair | undefined {
  const m = pools.get(aux.secret);
  return m?.get(auxEntryOf(aux, id).N)?.take();
}

/**
 * Fill the pools for `presigns` presign sessions among `signers` (default: every party of the aux
 * info), in the background: one exponentiation per event-loop turn, own key first. Pools are sized
 * to hold what was asked for. Returns the number of pairs added; stops early on `signal`.
 */
export async function prepareNonces(aux: AuxInfo, opts: { presigns?: number; signers?: readonly number[]; signal?: AbortSignal; rng?: Rng } = {}): Promise<number> {
  const presigns = opts.presigns ?? 1;
  if (!Number.isSafeInteger(presigns) || presigns < 1 || presigns > 1024) fail('OUT_OF_RANGE', 'prepareNonces: presigns must be 1..1024');
  const signers = opts.signers ?? aux.parties.map((p) => p.id);
  if (!signers.includes(aux.self)) fail('INVALID_ARGUMENT', 'prepareNonces: the signers must include this party');
  const demand = presignNonceDemand(signers.length);
  let added = 0;
  const jobs: [number, number][] = [[aux.self, demand.own * presigns]];
  for (const j of signers) if (j !== aux.self) jobs.push([j, demand.perPeer * presigns]);
  for (const [id, want] of jobs) {
    const pool = noncePoolOf(aux, id, Math.max(want, 64));
    const need = Math.max(0, Math.min(want, pool.capacity) - pool.size);
    added += await pool.fill(need, { ...(opts.rng ? { rng: opts.rng } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
  }
  return added;
}
