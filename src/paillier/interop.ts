/**
 * Conversion to and from `paillier-bigint` keys (structurally typed: this module does not import
 * the package). Only the g = N + 1 ("simple variant") form is compatible with our encryption.
 * @module
 */
import { fail } from '../errors.js';
import { modInv } from '../bigint/arith.js';
import { PaillierPublicKey, paillierFromPrimes, type PaillierSecretKey } from './keys.js';
import type { ProfileName, SecurityProfile } from './profiles.js';

/** The shape of paillier-bigint's `PublicKey`. */
export interface PaillierBigintPublicKeyLike {
  readonly n: bigint;
  readonly g: bigint;
}
/** The shape of paillier-bigint's `PrivateKey` (its primes live in the private fields `_p`, `_q`). */
export interface PaillierBigintPrivateKeyLike {
  readonly lambda: bigint;
  readonly mu: bigint;
  readonly publicKey: PaillierBigintPublicKeyLike;
}
/** The paillier-bigint module's two constructors (pass `import * as paillierBigint from 'paillier-bigint'`). */
export interface PaillierBigintModuleLike<Pub, Priv> {
  PublicKey: new (n: bigint, g: bigint) => Pub;
  PrivateKey: new (lambda: bigint, mu: bigint, publicKey: Pub, p?: bigint, q?: bigint) => Priv;
}

/** Our public key from a paillier-bigint public key; PAILLIER_INVALID_KEY unless g = N + 1. */
export function fromPaillierBigintPublicKey(pk: PaillierBigintPublicKeyLike, profile: ProfileName | SecurityProfile = 'default'): PaillierPublicKey {
  if (!pk || typeof pk.n !== 'bigint' || typeof pk.g !== 'bigint') fail('INVALID_ARGUMENT', 'publicKey: expected {n, g} bigints');
  if (pk.g !== pk.n + 1n) fail('PAILLIER_INVALID_KEY', 'only g = N + 1 keys are compatible (paillier-bigint simpleVariant)');
  return new PaillierPublicKey(pk.n, profile);
}

/** Our secret key from a paillier-bigint private key that carries its primes (`_p`, `_q`). */
export function fromPaillierBigintPrivateKey(sk: PaillierBigintPrivateKeyLike, profile: ProfileName | SecurityProfile = 'default'): PaillierSecretKey {
  const pub = fromPaillierBigintPublicKey(sk?.publicKey, profile);
  const { _p: p, _q: q } = sk as unknown as { _p?: unknown; _q?: unknown };
  if (typeof p !== 'bigint' || typeof q !== 'bigint') fail('PAILLIER_INVALID_KEY', 'the paillier-bigint private key does not carry p and q');
  if (p * q !== pub.n) fail('PAILLIER_INVALID_KEY', 'p·q ≠ N');
  return paillierFromPrimes(p, q, profile);
}

/** A paillier-bigint `PublicKey` (g = N + 1) for our public key. */
export function toPaillierBigintPublicKey<Pub, Priv>(pk: PaillierPublicKey, lib: PaillierBigintModuleLike<Pub, Priv>): Pub {
  return new lib.PublicKey(pk.n, pk.n + 1n);
}

/**
 * A paillier-bigint `PrivateKey` for our secret key (simple variant: λ = φ(N), μ = φ^{-1} mod N,
 * with p and q so it decrypts by its own CRT). An explicit export of secret material.
 */
export function toPaillierBigintPrivateKey<Pub, Priv>(sk: PaillierSecretKey, lib: PaillierBigintModuleLike<Pub, Priv>): Priv {
  const { p, q } = sk.exportPrimes();
  const n = p * q;
  const lambda = (p - 1n) * (q - 1n);
  const pub = new lib.PublicKey(n, n + 1n);
  return new lib.PrivateKey(lambda, modInv(lambda, n), pub, p, q);
}
