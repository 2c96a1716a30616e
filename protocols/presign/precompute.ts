/**
 * Presign work done off the critical path (issue 13 item 4), for the parts that do not depend on
 * the session's statement:
 * - Paillier nonce powers: every presign encryption is enc(m; ρ) = (1 + mN)·ρ^N mod N² with a
 *   fresh ρ; ρ^N does not depend on m, so (ρ, ρ^N) pairs are made ahead and a round multiplies once;
 * - ring-Pedersen masks: the provers' commitments s^α t^γ, s^β t^δ and the t^μ halves under each
 *   verifier's (N̂, s, t) (src/zk/mask-pool.ts).
 *
 * Pools belong to a party's aux info (a WeakMap on its `AuxSecret`: they live no longer than it,
 * and a resumed snapshot — a structured clone — starts with empty pools, i.e. the inline path). One
 * pool per Paillier modulus: the own key's is filled by CRT, each peer's with its public key. A
 * round takes a pair when one is ready and otherwise draws ρ from its rng as before, so without
 * prepared nonces the draws — and the seeded conformance vectors — are unchanged. `take()`
 * removes the pair (or mask): nothing is used twice.
 *
 * Demand per presign of t signers: own key 2 + 7(t − 1) pairs (K_i, G_i; per peer Πenc A, F, F̂,
 * B_y of ψ and ψ̂, A of ψ' and ψ''); each peer's key 4 (D, D̂, A of ψ and ψ̂); masks under each
 * peer's N̂: 7 'mu' (Πenc S; S, T of ψ, ψ̂; S of ψ', ψ''), 5 'gamma' (C; E of ψ, ψ̂; D of ψ', ψ''),
 * 2 'delta' (F of ψ, ψ̂).
 * @module
 */
import { fail } from '../../src/errors.js';
import { NoncePool, type NoncePair } from '../../src/paillier/nonce-pool.js';
import type { Rng } from '../../src/rng.js';
import { type Mask, type MaskKind, MaskPool } from '../../src/zk/mask-pool.js';
import { auxEntryOf, paillierPublicOf, paillierSecretFromAux, ringPedersenOf } from '../aux/materialize.js';
import type { AuxInfo, AuxSecret } from '../aux/types.js';

const pools = new WeakMap<AuxSecret, Map<bigint, NoncePool>>();
const masks = new WeakMap<AuxSecret, Map<number, MaskPool>>();

/** What one presign of `t` signers takes: nonce pairs under the own key and under each peer's key, masks under each peer's N̂. */
export function presignDemand(t: number): { own: number; perPeer: number; masksPerPeer: Record<MaskKind, number> } {
  if (!Number.isSafeInteger(t) || t < 2) fail('OUT_OF_RANGE', 'presignDemand: t must be an integer ≥ 2');
  return { own: 2 + 7 * (t - 1), perPeer: 4, masksPerPeer: { mu: 7, gamma: 5, delta: 2 } };
}

/** The mask pool for peer `id`'s ring-Pedersen parameters (created empty on first use; never the own). */
export function maskPoolOf(aux: AuxInfo, id: number, capacity?: number): MaskPool {
  if (id === aux.self) fail('INVALID_ARGUMENT', 'maskPoolOf: masks are made under a peer’s parameters');
  let m = masks.get(aux.secret);
  if (!m) {
    m = new Map();
    masks.set(aux.secret, m);
  }
  const rp = ringPedersenOf(aux, id);
  let pool = m.get(id);
  if (!pool || !pool.rp.equals(rp)) {
    pool = new MaskPool(rp, capacity);
    m.set(id, pool);
  }
  return pool;
}

/** A ready mask of `kind` under peer `id`'s N̂, removed from its pool; undefined when none is ready. */
export function takeMask(aux: AuxInfo, id: number, kind: MaskKind): Mask | undefined {
  const pool = masks.get(aux.secret)?.get(id);
  if (!pool || !pool.rp.equals(ringPedersenOf(aux, id))) return undefined;
  return pool.take(kind);
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

/** What `preparePresign` adds: per nonce pool (a party's key) and per mask pool and kind (a peer's N̂), how many items are missing. */
export interface PresignNeeds {
  nonces: { id: number; pool: NoncePool; count: number }[];
  masks: { id: number; pool: MaskPool; kind: MaskKind; count: number }[];
}

/**
 * The items missing from the pools for `presigns` presign sessions among `signers` (default:
 * every party of the aux info); creates the pools, sized to hold what was asked for. Own key
 * first. Used by `preparePresign` (here) and the math pool's parallel preparation (workers/).
 */
export function presignNeeds(aux: AuxInfo, opts: { presigns?: number; signers?: readonly number[] } = {}): PresignNeeds {
  const presigns = opts.presigns ?? 1;
  if (!Number.isSafeInteger(presigns) || presigns < 1 || presigns > 1024) fail('OUT_OF_RANGE', 'preparePresign: presigns must be 1..1024');
  const signers = opts.signers ?? aux.parties.map((p) => p.id);
  if (!Array.isArray(signers) || !signers.includes(aux.self)) fail('INVALID_ARGUMENT', 'preparePresign: the signers must include this party');
  const demand = presignDemand(signers.length);
  const needs: PresignNeeds = { nonces: [], masks: [] };
  const jobs: [number, number][] = [[aux.self, demand.own * presigns]];
  for (const j of signers) if (j !== aux.self) jobs.push([j, demand.perPeer * presigns]);
  for (const [id, want] of jobs) {
    const pool = noncePoolOf(aux, id, Math.max(want, 64));
    needs.nonces.push({ id, pool, count: Math.max(0, Math.min(want, pool.capacity) - pool.size) });
  }
  for (const j of signers) {
    if (j === aux.self) continue;
    const want = Object.fromEntries(Object.entries(demand.masksPerPeer).map(([k, v]) => [k, v * presigns])) as Record<MaskKind, number>;
    const pool = maskPoolOf(aux, j, Math.max(64, ...Object.values(want)));
    for (const kind of ['mu', 'gamma', 'delta'] as const) needs.masks.push({ id: j, pool, kind, count: Math.max(0, Math.min(want[kind], pool.capacity) - pool.size(kind)) });
  }
  return needs;
}

/**
 * Fill the pools for `presigns` presign sessions among `signers` (default: every party of the aux
 * info), in the background: one exponentiation (or one commitment) per event-loop turn, own key
 * first. Pools are sized to hold what was asked for. Returns the number of items added; stops
 * early on `signal`. (`MathPool.preparePresign` in workers/ does the same work in parallel.)
 */
export async function preparePresign(aux: AuxInfo, opts: { presigns?: number; signers?: readonly number[]; signal?: AbortSignal; rng?: Rng } = {}): Promise<number> {
  const needs = presignNeeds(aux, opts);
  const fillOpts = { ...(opts.rng ? { rng: opts.rng } : {}), ...(opts.signal ? { signal: opts.signal } : {}) };
  let added = 0;
  for (const { pool, count } of needs.nonces) added += await pool.fill(count, fillOpts);
  for (const { pool, kind, count } of needs.masks) added += await pool.fill({ [kind]: count }, fillOpts);
  return added;
}
