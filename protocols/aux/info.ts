/**
 * Working with an `AuxInfo` (types.ts): keep the secret out of logs, move it in and out of storage,
 * reuse it for a new session, and `materialiseAux` (all objects at once, on top of the memoised
 * per-object helpers of materialize.ts that the presign rounds use).
 *
 * Redaction decision: `AuxInfo` stays plain data (structured-clone and state safe), so the secret
 * cannot live behind a class. Instead the protocol output is *sealed*: `aux.secret` carries
 * non-enumerable `toJSON` and `util.inspect` hooks that print `"<redacted>"`, so `JSON.stringify`,
 * `console.log` and loggers that use either never show p, q, λ, while `aux.secret.p` still works
 * and structuredClone / snapshots / workers see ordinary data. A clone loses the (non-enumerable)
 * hooks: call `sealAux` again on copies you keep, or log `redactAux(aux)`. Storing is explicit:
 * `exportAux` → bytes (SECRET: encrypt to a factor key), `importAux` → validated, sealed AuxInfo.
 * @module
 */
import { fail } from '../../src/errors.js';
import { type PaillierPublicKey, type PaillierSecretKey, paillierFromPrimes } from '../../src/paillier/keys.js';
import { getProfile } from '../../src/paillier/profiles.js';
import { RingPedersenParams, RingPedersenSecret } from '../../src/paillier/ring-pedersen.js';
import { auxEntryOf, paillierPublicOf, paillierSecretFromAux, ringPedersenOf } from './materialize.js';
import type { Payload } from '../types.js';
import { decodePayload, encodePayload } from '../wire.js';
import { type AuxInput, bigBytes, bigOf, modulusWidth } from './messages.js';
import type { AuxInfo } from './types.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');
const REDACTED = '<redacted>';

/** Attach non-enumerable redaction hooks to `aux.secret` (idempotent); returns `aux`. */
export function sealAux<T extends AuxInfo>(aux: T): T {
  const s = aux.secret as object;
  if (!Object.prototype.hasOwnProperty.call(s, 'toJSON')) {
    Object.defineProperty(s, 'toJSON', { value: () => REDACTED, enumerable: false });
    Object.defineProperty(s, INSPECT, { value: () => `AuxSecret ${REDACTED}`, enumerable: false });
  }
  return aux;
}

/** A log-safe copy: public material as hex, the secret replaced by "<redacted>". */
export function redactAux(aux: AuxInfo): { profile: string; self: number; secret: string; parties: { id: number; N: string; s: string; t: string }[] } {
  return {
    profile: aux.profile,
    self: aux.self,
    secret: REDACTED,
    parties: aux.parties.map((p) => ({ id: p.id, N: p.N.toString(16), s: p.s.toString(16), t: p.t.toString(16) })),
  };
}

/** Own Paillier secret key from UNTRUSTED storage: p, q re-validated (Miller–Rabin), p·q = own N. */
function validatedSecretKey(aux: AuxInfo): PaillierSecretKey {
  const sk = paillierFromPrimes(aux.secret.p, aux.secret.q, aux.profile);
  if (sk.n !== auxEntryOf(aux, aux.self).N) fail('PAILLIER_INVALID_KEY', 'aux: p·q ≠ own N');
  return sk;
}

/** Own ring-Pedersen secret (λ and φ(N)). */
export function auxRingPedersenSecret(aux: AuxInfo): RingPedersenSecret {
  return new RingPedersenSecret(ringPedersenOf(aux, aux.self), aux.secret.lambda, paillierSecretFromAux(aux).phi);
}

export interface AuxMaterial {
  sk: PaillierSecretKey;
  rpSecret: RingPedersenSecret;
  /** Every party's (own included) public key and ring-Pedersen parameters, by id. */
  parties: Map<number, { pk: PaillierPublicKey; rp: RingPedersenParams }>;
}

/**
 * Everything presign needs, in one call (objects are memoised by materialize.ts, so their
 * exponentiation tables are built once per signer group).
 */
export function materialiseAux(aux: AuxInfo): AuxMaterial {
  const parties = new Map(aux.parties.map((p) => [p.id, { pk: paillierPublicOf(aux, p.id), rp: ringPedersenOf(aux, p.id) }]));
  return { sk: paillierSecretFromAux(aux), rpSecret: auxRingPedersenSecret(aux), parties };
}

/** Input for a new aux session that re-proves this (long-lived) aux material for a new (sid, ρ). */
export function reuseAux(aux: AuxInfo): AuxInput {
  const own = auxEntryOf(aux, aux.self);
  return { profile: aux.profile, key: { p: aux.secret.p, q: aux.secret.q }, ringPedersen: { s: own.s, t: own.t, lambda: aux.secret.lambda } };
}

const EXPORT_VERSION = 1;

/**
 * SECRET bytes of an AuxInfo (canonical MessagePack: {v, profile, self, p, q, lambda, parties:
 * [{id, N, s, t}]}, integers big-endian; N, s, t fixed width). Encrypt before storing.
 */
export function exportAux(aux: AuxInfo): Uint8Array {
  const w = modulusWidth(getProfile(aux.profile));
  const b = (x: bigint) => bigBytes(x, Math.ceil(x.toString(2).length / 8));
  return encodePayload({
    v: EXPORT_VERSION,
    profile: aux.profile,
    self: aux.self,
    p: b(aux.secret.p),
    q: b(aux.secret.q),
    lambda: b(aux.secret.lambda),
    parties: aux.parties.map((p) => ({ id: p.id, N: bigBytes(p.N, w), s: bigBytes(p.s, w), t: bigBytes(p.t, w) })),
  });
}

/** Inverse of `exportAux`: checks every field, p·q = own N and s = t^λ; returns a sealed AuxInfo. */
export function importAux(bytes: Uint8Array): AuxInfo {
  let o: Payload;
  try {
    o = decodePayload(bytes);
  } catch {
    return fail('INVALID_ARGUMENT', 'aux bytes: not canonical MessagePack');
  }
  const rec = o as Record<string, Payload>;
  if (typeof o !== 'object' || o === null || Array.isArray(o) || o instanceof Uint8Array || rec.v !== EXPORT_VERSION) fail('INVALID_ARGUMENT', 'aux bytes: not an exported AuxInfo');
  const profile = getProfile(rec.profile as 'default');
  const w = modulusWidth(profile);
  const big = (v: Payload, what: string, width?: number): bigint => {
    if (!(v instanceof Uint8Array) || v.length === 0 || (width !== undefined && v.length !== width)) fail('INVALID_LENGTH', `aux bytes: ${what}`);
    return bigOf(v);
  };
  if (!Number.isSafeInteger(rec.self) || !Array.isArray(rec.parties)) fail('INVALID_ARGUMENT', 'aux bytes: self / parties');
  const parties = (rec.parties as Record<string, Payload>[]).map((p, k) => {
    if (typeof p !== 'object' || p === null || !Number.isSafeInteger(p.id)) fail('INVALID_ARGUMENT', `aux bytes: parties[${k}]`);
    const out = { id: p.id as number, N: big(p.N!, `parties[${k}].N`, w), s: big(p.s!, `parties[${k}].s`, w), t: big(p.t!, `parties[${k}].t`, w) };
    new RingPedersenParams(out.N, out.s, out.t, profile); // size window, s, t well formed
    return out;
  });
  const ids = parties.map((p) => p.id);
  if (new Set(ids).size !== ids.length || ids.some((id, k) => k > 0 && id < ids[k - 1]!)) fail('INVALID_ARGUMENT', 'aux bytes: party ids not distinct and sorted');
  const aux: AuxInfo = { profile: profile.name, self: rec.self as number, secret: { p: big(rec.p!, 'p'), q: big(rec.q!, 'q'), lambda: big(rec.lambda!, 'lambda') }, parties };
  const sk = validatedSecretKey(aux);
  const own = auxEntryOf(aux, aux.self);
  if (sk.crtN.pow(own.t, aux.secret.lambda, { secret: true }) !== own.s) fail('RING_PEDERSEN_INVALID', 'aux bytes: s ≠ t^λ mod N');
  return sealAux(aux);
}
