/**
 * Paillier and ring-Pedersen objects from plain-data `AuxInfo` (protocol state holds bigints only;
 * rounds materialise the objects they need). Public objects are memoised by value (N, s, t,
 * profile) so the reusable exponentiation contexts and fixed-base tables survive from round to
 * round; the own secret key is memoised per `AuxSecret` object (a WeakMap: it lives no longer
 * than the state that holds it).
 *
 *   paillierSecretFromAux(aux)   own PaillierSecretKey (p·q checked against the own public entry)
 *   paillierPublicOf(aux, id)    party id's PaillierPublicKey
 *   ringPedersenOf(aux, id)      party id's RingPedersenParams
 * @module
 */
import { fail } from '../../src/errors.js';
import { PaillierPublicKey, PaillierSecretKey } from '../../src/paillier/keys.js';
import { getProfile } from '../../src/paillier/profiles.js';
import { RingPedersenParams } from '../../src/paillier/ring-pedersen.js';
import type { AuxInfo, AuxPublic, AuxSecret } from './types.js';

const MAX_CACHED = 64;
const pubCache = new Map<string, PaillierPublicKey>();
const rpCache = new Map<string, RingPedersenParams>();
const secretCache = new WeakMap<AuxSecret, PaillierSecretKey>();

function remember<V>(m: Map<string, V>, k: string, make: () => V): V {
  let v = m.get(k);
  if (v === undefined) {
    v = make();
    if (m.size >= MAX_CACHED) m.delete(m.keys().next().value!);
    m.set(k, v);
  }
  return v;
}

/** The public aux entry of party `id` (INVALID_ARGUMENT if absent). */
export function auxEntryOf(aux: AuxInfo, id: number): AuxPublic {
  const e = aux.parties.find((p) => p.id === id);
  if (!e) fail('INVALID_ARGUMENT', `aux: no entry for party ${id}`);
  return e;
}

export function paillierPublicOf(aux: AuxInfo, id: number): PaillierPublicKey {
  const e = auxEntryOf(aux, id);
  return remember(pubCache, `${aux.profile}:${e.N.toString(16)}`, () => new PaillierPublicKey(e.N, aux.profile));
}

export function ringPedersenOf(aux: AuxInfo, id: number): RingPedersenParams {
  const e = auxEntryOf(aux, id);
  return remember(rpCache, `${aux.profile}:${e.N.toString(16)}:${e.s.toString(16)}:${e.t.toString(16)}`, () => new RingPedersenParams(e.N, e.s, e.t, aux.profile));
}

/**
 * The own Paillier secret key. The primes were validated when the aux info was made (aux
 * protocol, or the test fixture); here p·q = N_self and p ≠ q are re-checked (cheap).
 */
export function paillierSecretFromAux(aux: AuxInfo): PaillierSecretKey {
  const hit = secretCache.get(aux.secret);
  if (hit) return hit;
  const { p, q } = aux.secret;
  const own = auxEntryOf(aux, aux.self);
  if (typeof p !== 'bigint' || typeof q !== 'bigint' || p === q || p * q !== own.N) fail('PAILLIER_INVALID_KEY', 'aux: p·q ≠ N of the own entry');
  const sk = PaillierSecretKey.fromValidatedPrimes(p, q, getProfile(aux.profile));
  secretCache.set(aux.secret, sk);
  return sk;
}

const fastKeyCache = new WeakMap<AuxSecret, PaillierPublicKey>();
const fastRpCache = new WeakMap<AuxSecret, RingPedersenParams>();

/** A proxy of `target` whose listed methods are replaced; every other method runs on the target itself. */
function override<T extends object>(target: T, methods: Record<string, unknown>): T {
  return new Proxy(target, {
    get(t, prop, _recv) {
      if (typeof prop === 'string' && Object.hasOwn(methods, prop)) return methods[prop];
      const v = Reflect.get(t, prop, t) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    },
  });
}

/**
 * The own Paillier public key, with `encryptWithNonce` and `powPublic` computed by CRT (the owner knows p, q:
 * ρ^N mod p², q² — DESIGN §3.9). Same results as the public key's; hand it to provers and verifiers
 * wherever the statement is under the own key (Πenc/Πlog* A, Πaff-g B_y, Πaff-g verification under N0).
 */
export function ownPaillierFast(aux: AuxInfo): PaillierPublicKey {
  const hit = fastKeyCache.get(aux.secret);
  if (hit) return hit;
  const sk = paillierSecretFromAux(aux);
  const pk = paillierPublicOf(aux, aux.self);
  // c^e mod N² for public c, e by CRT mod p², q² (exponent used unreduced: nothing secret-derived
  // reaches the variable-time route); same value as pk.powPublic
  const powPublic = (c: bigint, e: bigint): bigint => {
    pk.validateCiphertext(c, 'c');
    if (typeof e !== 'bigint') return pk.powPublic(c, e); // the same typed error
    return sk.crtN2.pow(c, e);
  };
  const fast = override(pk, { encryptWithNonce: (m: bigint, rho: bigint) => sk.encryptWithNonce(m, rho), powPublic });
  fastKeyCache.set(aux.secret, fast);
  return fast;
}

/**
 * The own ring-Pedersen parameters for VERIFYING peers' proofs, with the commitments computed from
 * the trapdoor: s = t^λ, so s^x·t^y = t^{λx + y}, one exponentiation reduced mod p − 1, q − 1 and
 * split by CRT (constant-time route: the exponent depends on λ). Same values as the public
 * computation; only for the own parameters (the verifier's own N̂), never for a peer's.
 */
export function ownRingPedersenFast(aux: AuxInfo): RingPedersenParams {
  const hit = fastRpCache.get(aux.secret);
  if (hit) return hit;
  const rp = ringPedersenOf(aux, aux.self);
  const crt = paillierSecretFromAux(aux).crtN;
  const lambda = aux.secret.lambda;
  if (typeof lambda !== 'bigint' || crt.pow(rp.t, lambda, { secret: true }) !== rp.s) fail('RING_PEDERSEN_INVALID', 'aux: s ≠ t^λ for the own parameters');
  const commitPublic = (x: bigint, y: bigint): bigint => crt.pow(rp.t, lambda * x + y, { secret: true });
  const commitTimes = (x: bigint, y: bigint, extra: readonly (readonly [bigint, bigint])[]): bigint => {
    let acc = commitPublic(x, y);
    // public base and exponent (a proof's commitment S, the challenge −e): unreduced on the public
    // route as ownPaillierFast's powPublic does — a ≤ 129-bit power, where the secret route reduced
    // a negative −e mod p − 1 to ~1024 bits (portable: two 1024-bit ladders, ~30 ms, vs < 1 ms)
    for (const [b, e] of extra) acc = (acc * crt.pow(b, e)) % rp.N;
    return acc;
  };
  const fast = override(rp, { commitPublic, commitTimes });
  fastRpCache.set(aux.secret, fast);
  return fast;
}

/** A party's own keys as the presign rounds use them: the secret key, its public key, and the fast own-key paths. */
export function ownAuxKeys(aux: AuxInfo): { sk: PaillierSecretKey; pk: PaillierPublicKey; rpMine: RingPedersenParams; pkFast: PaillierPublicKey } {
  const sk = paillierSecretFromAux(aux);
  return { sk, pk: sk.publicKey, rpMine: ownRingPedersenFast(aux), pkFast: ownPaillierFast(aux) };
}
