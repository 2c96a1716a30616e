/**
 * CGGMP21 online signing, 1 round (cggmp-recipe §2.6), with a presignature from `protocols/presign`.
 *
 *   round 1, broadcast  {tag, m, sigma}     σ_i = k_i·m + r·χ_i (mod q), r = R.x mod q; tag names the
 *                                           presignature, m is the 32-byte digest being signed
 *   output              every σ_j checked: σ_j·R = m·R̄_j + r·S̄_j (blame j); s = Σσ_j; r, s ≠ 0;
 *                       (r, s) verifies under Y'; low-s; recovery id v
 *
 * The presignature is consumed when the session is created (single use; an abort burns it).
 * @module
 */
import type { Presignature } from '../presign/presignature.js';

export const PROTOCOL = 'sign';

export interface SignInput {
  /** Consumed by `Session.create` (refused if already used: PRESIGN_USED). */
  presignature: Presignature;
  /** The 32-byte message digest (the client hashes EIP-191 / EIP-712 / transactions itself). */
  digest: Uint8Array;
  /** What the caller means to sign with: Y, the epoch and the derivation shift (32 bytes, zero if none). */
  publicKey: Uint8Array;
  epoch: number;
  shift?: Uint8Array;
}

export interface SignState {
  tag: Uint8Array;
  digest: Uint8Array;
  m: bigint;
  r: bigint;
  /** R, uncompressed (65 bytes: decoded once in init) */
  R: Uint8Array;
  Yd: Uint8Array;
  sigma: bigint;
  Rbar: [number, Uint8Array][];
  Sbar: [number, Uint8Array][];
}

export interface SignOutput {
  protocol: 'sign';
  sid: Uint8Array;
  self: number;
  /** Y' = Y + shift·G: the key the signature verifies under (compressed SEC1). */
  publicKey: Uint8Array;
  digest: Uint8Array;
  /** r and s (low-s) as 32-byte big-endian. */
  r: Uint8Array;
  s: Uint8Array;
  /** Recovery id v ∈ {0, 1, 2, 3} (bit 0: R.y odd after low-s; bit 1: R.x ≥ q). */
  recovery: number;
  /** r ‖ s (64 bytes, compact). */
  signature: Uint8Array;
}
