/**
 * The aux steps shared by the aux-info protocol and the refresh extension (aux rotation):
 * input validation, the own (N, s, t, ψ̂) of round 1, the checks of a peer's (N, s, t, ψ̂), the
 * Πmod/Πfac of the proving round and their verification. Every check on received data blames the
 * sender: `ProtocolAbort(reason, round, [j])` with the reason of the failed check (ZK_REASONS for
 * proofs and moduli, MALFORMED_MESSAGE for shapes). Nothing here can be switched off.
 * @module
 */
import { isSafePrime } from '../../src/bigint/primes.js';
import { fail } from '../../src/errors.js';
import { PaillierSecretKey, paillierFromPrimes } from '../../src/paillier/keys.js';
import { getProfile, type ProfileName } from '../../src/paillier/profiles.js';
import { generateRingPedersen, RingPedersenParams } from '../../src/paillier/ring-pedersen.js';
import type { Rng } from '../../src/rng.js';
import * as fac from '../../src/zk/fac.js';
import * as mod from '../../src/zk/mod.js';
import type { ZkProfile } from '../../src/zk/params.js';
import * as prm from '../../src/zk/prm.js';
import { PrmPool } from '../../src/zk/prm-pool.js';
import { checkModulusSize } from '../../src/zk/util.js';
import { abortUnless } from '../../src/zk/verdict.js';
import type { Payload } from '../types.js';
import { PayloadReader } from '../util.js';
import { type AuxInput, bigBytes, bigOf, modulusWidth, proofTranscripts } from './messages.js';

export interface Modulus {
  N: bigint;
  s: bigint;
  t: bigint;
}

/** The validated own key material of an aux input. InvalidInput on any inconsistency. */
export interface OwnKey {
  profile: ProfileName;
  p: bigint;
  q: bigint;
  reuse: { s: bigint; t: bigint; lambda: bigint } | null;
}

/**
 * Validate an aux input: known profile; p, q distinct safe primes (2 Miller–Rabin rounds on p and
 * (p−1)/2 — the owner's own interest, recipe §2.11) of exactly the profile's prime size; a reused
 * (s, t, λ) must be well formed with s = t^λ mod N.
 */
export function validateInput(input: AuxInput): OwnKey {
  if (typeof input !== 'object' || input === null) fail('INVALID_ARGUMENT', 'aux input: expected an object');
  const profile = getProfile(input.profile);
  const k = input.key;
  if (typeof k !== 'object' || k === null) fail('INVALID_ARGUMENT', 'aux input.key: expected a PaillierSecretKey or {p, q}');
  const { p, q } = k instanceof PaillierSecretKey ? k.exportPrimes() : k;
  if (typeof p !== 'bigint' || typeof q !== 'bigint') fail('INVALID_ARGUMENT', 'aux input.key: expected bigint primes p, q');
  if (p.toString(2).length !== profile.primeBits || q.toString(2).length !== profile.primeBits) {
    fail('PAILLIER_INVALID_KEY', `aux input.key: the ${profile.name} profile needs two ${profile.primeBits}-bit safe primes`);
  }
  const sk = paillierFromPrimes(p, q, profile); // distinct probable primes, size window, gcd(N, φ) = 1
  if (!sk.isBlum || !isSafePrime(p, 2) || !isSafePrime(q, 2)) fail('PAILLIER_INVALID_KEY', 'aux input.key: p and q must be safe primes');
  let reuse: OwnKey['reuse'] = null;
  if (input.ringPedersen !== undefined) {
    const { s, t, lambda } = input.ringPedersen ?? ({} as Record<string, unknown>);
    if (typeof s !== 'bigint' || typeof t !== 'bigint' || typeof lambda !== 'bigint') fail('INVALID_ARGUMENT', 'aux input.ringPedersen: expected bigints s, t, lambda');
    new RingPedersenParams(sk.n, s, t, profile); // s, t ∈ Z*_N \ {1, N−1}, s ≠ t
    if (lambda < 0n || lambda >= sk.phi || sk.crtN.pow(t, lambda, { secret: true }) !== s) fail('RING_PEDERSEN_INVALID', 'aux input.ringPedersen: s ≠ t^λ mod N');
    reuse = { s, t, lambda };
  }
  if (input.prmPool !== undefined) {
    if (!(input.prmPool instanceof PrmPool)) fail('INVALID_ARGUMENT', 'aux input.prmPool: expected a PrmPool of this thread');
    if (!reuse || !input.prmPool.serves(sk.n, reuse.t)) fail('INVALID_ARGUMENT', 'aux input.prmPool: not a pool for this N and ringPedersen.t');
  }
  const [hi, lo] = p > q ? [p, q] : [q, p];
  return { profile: profile.name, p: hi, q: lo, reuse };
}

/**
 * Round 1: (N, s, t, λ) — fresh (s, t) from rng unless reused — and ψ̂ = Πprm bound to (sid, i);
 * `prmPool` (checked by `validateInput`): prepared Πprm commitments, used when it serves (N, t).
 */
export function ownParameters(key: OwnKey, sid: Uint8Array, i: number, rng: Rng, within?: string, prmPool?: PrmPool): Modulus & { lambda: bigint; prm: Uint8Array } {
  const profile = getProfile(key.profile);
  const sk = PaillierSecretKey.fromValidatedPrimes(key.p, key.q, profile); // validated by validateInput
  let s: bigint, t: bigint, lambda: bigint;
  if (key.reuse) ({ s, t, lambda } = key.reuse);
  else {
    const rs = generateRingPedersen(sk, rng); // t = r², s = t^λ, λ ← Z_φ(N)
    ({ s, t } = rs.params);
    lambda = rs.lambda;
  }
  const N = sk.n;
  const pool = prmPool?.serves(N, t) ? prmPool : undefined;
  const proof = prm.prove({ N, s, t, profile }, { lambda, p: key.p, q: key.q }, proofTranscripts(sid, i, null, profile, within).prm, rng, pool);
  return { N, s, t, lambda, prm: prm.proofToBytes(proof) };
}

// The prepared Πprm pool of an aux session, by its initial state (not in the state: it is no plain
// data and must not outlive one use; a resumed snapshot is a clone and so draws instead).
const prmPools = new WeakMap<object, PrmPool>();
export function attachPrmPool(state: object, pool: PrmPool | undefined): void {
  if (pool) prmPools.set(state, pool);
}
export function prmPoolOf(state: object): PrmPool | undefined {
  return prmPools.get(state);
}

/** Wire form of (N, s, t, ψ̂). */
export function modulusPayload(m: Modulus & { prm: Uint8Array }, profile: ZkProfile): Record<string, Payload> {
  const w = modulusWidth(profile);
  return { N: bigBytes(m.N, w), s: bigBytes(m.s, w), t: bigBytes(m.t, w), prm: m.prm };
}

/**
 * A proof field: absent, null or empty is PROOF_MISSING (BitGo "zero proof"); anything but bytes
 * is MALFORMED_MESSAGE. Checked before the exact key set, so an omitted proof is named as such.
 */
export function proofBytes(r: PayloadReader, name: string): Uint8Array {
  const v = r.raw(name);
  if (v === undefined || v === null || (v instanceof Uint8Array && v.length === 0)) r.fail(`${r.what}.${name}: proof absent`, 'PROOF_MISSING');
  if (!(v instanceof Uint8Array) || v.length > 1 << 20) r.fail(`${r.what}.${name}: expected bytes`);
  return v;
}

function decoded<T>(r: PayloadReader, name: string, d: { ok: true; proof: T } | { ok: false; reason: string; detail: string }): T {
  if (!d.ok) return r.fail(`${r.what}.${name}: ${d.detail}`, d.reason);
  return d.proof;
}

/** Read (N, s, t) fixed-width from a reader whose keys were checked. */
export function readModulus(r: PayloadReader, profile: ZkProfile): Modulus {
  const w = modulusWidth(profile);
  return { N: bigOf(r.bytes('N', w)), s: bigOf(r.bytes('s', w)), t: bigOf(r.bytes('t', w)) };
}

/**
 * Peer j's (N, s, t, ψ̂), cheap checks first: bitlen(N) in the profile window; N odd, no prime
 * factor < 2^16, not prime, not a perfect power; s, t ∈ Z*_N \ {1, N−1}, s ≠ t; then Πprm under
 * (sid, j). Blames j for its message of `round`.
 */
export function checkPeerModulus(r: PayloadReader, m: Modulus, prmBytes: Uint8Array, sid: Uint8Array, profile: ZkProfile, within?: string): void {
  const j = r.from;
  const what = `party ${j}'s modulus`;
  const fail1 = (v: ReturnType<typeof checkModulusSize>) => v && abortUnless(v, r.round, j, what);
  fail1(checkModulusSize(m.N, profile));
  fail1(mod.checkModulus(m.N, profile));
  fail1(prm.checkParams(m.N, m.s, m.t));
  const proof = decoded(r, 'prm', prm.proofFromBytes(prmBytes));
  abortUnless(prm.verify({ ...m, profile }, proof, proofTranscripts(sid, j, null, profile, within).prm), r.round, j, `Πprm of party ${j}`);
}

/** ψ_i = Πmod (sid, i, ρ) and φ_i^j = Πfac (sid, i, ρ, j) under each verifier's (N_j, s_j, t_j). */
export function proveModFac(
  key: OwnKey,
  sid: Uint8Array,
  i: number,
  rho: Uint8Array,
  peers: readonly (readonly [number, Modulus])[],
  rng: Rng,
  within?: string,
): { mod: Uint8Array; fac: Map<number, Uint8Array> } {
  const profile = getProfile(key.profile);
  const tr = proofTranscripts(sid, i, rho, profile, within);
  const { p, q } = key;
  const N = p * q;
  const modProof = mod.prove({ N, profile }, { p, q }, tr.mod, rng);
  const facs = new Map<number, Uint8Array>();
  for (const [j, m] of peers) {
    const rp = new RingPedersenParams(m.N, m.s, m.t, profile); // j's Πprm-verified parameters
    facs.set(j, fac.proofToBytes(fac.prove({ N0: N, rp, profile }, { p, q }, tr.fac(j), rng)));
  }
  return { mod: mod.proofToBytes(modProof), fac: facs };
}

/**
 * Verifier i checks peer j's ψ_j (broadcast reader `rb`) and φ_j^i (p2p reader `rp`), made under
 * i's own parameters `own`. Blames j for its messages of the reader's round.
 */
export function verifyPeerModFac(rb: PayloadReader, rp: PayloadReader, modBytes: Uint8Array, facBytes: Uint8Array, peer: Modulus, own: Modulus, sid: Uint8Array, self: number, rho: Uint8Array, profile: ZkProfile, within?: string): void {
  const j = rb.from;
  const tr = proofTranscripts(sid, j, rho, profile, within);
  const psi = decoded(rb, 'mod', mod.proofFromBytes(modBytes));
  const phi = decoded(rp, 'fac', fac.proofFromBytes(facBytes));
  abortUnless(mod.verify({ N: peer.N, profile }, psi, tr.mod), rb.round, j, `Πmod of party ${j}`);
  const ownRp = new RingPedersenParams(own.N, own.s, own.t, profile);
  abortUnless(fac.verify({ N0: peer.N, rp: ownRp, profile }, phi, tr.fac(self)), rp.round, j, `Πfac of party ${j}`);
}
