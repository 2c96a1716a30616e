/**
 * AuthMetadata `{data, sig}` (tkey-formats §2.4): `sig` = DER ECDSA by the metadata key over
 * keccak256(utf8(stableStringify(data))), RFC 6979 nonces, not low-S normalised (as elliptic signs).
 * Verification uses `data.pubKey` and accepts high-S; the caller later checks the reconstructed key.
 * @module
 */
import { bytesToHex, hexToBytes, utf8ToBytes } from '../bytes.js';
import { aScalar, ecdsaSignDigest, ecdsaVerifyDigest, mulG, pointFromHex } from '../curve.js';
import { fail } from '../errors.js';
import { keccak256 } from '../hash.js';
import { assertJsonDepth } from './json-limits.js';
import { Metadata, type MetadataJSON } from './metadata.js';
import { stableStringify } from './stable-stringify.js';

export interface AuthMetadataJSON {
  data: MetadataJSON;
  sig: string;
}

/** keccak256 of the canonical JSON of `data`: the signed digest. */
export function metadataDigest(data: unknown): Uint8Array {
  return keccak256(utf8ToBytes(stableStringify(data)));
}

/** Sign metadata with the metadata key k_m (bigint). The key must match `metadata.pubKey`. */
export function signAuthMetadata(metadata: Metadata, metadataKey: bigint): AuthMetadataJSON {
  if (!(metadata instanceof Metadata)) fail('INVALID_ARGUMENT', 'metadata: expected a Metadata');
  aScalar(metadataKey, 'metadataKey');
  if (!mulG(metadataKey).equals(metadata.pubKey)) fail('METADATA_KEY_MISMATCH', 'signing key does not match metadata.pubKey');
  const data = metadata.toJSON();
  const sig = ecdsaSignDigest(metadataDigest(data), metadataKey, { lowS: false, format: 'der' });
  return { data, sig: bytesToHex(sig) };
}

/**
 * Verify `{data, sig}` against `data.pubKey` and parse the metadata. Throws `METADATA_SIGNATURE_INVALID`.
 * The signature is checked before the document is parsed into a model (anyone can encrypt a record
 * to a share's public key: nothing of an unsigned document is interpreted beyond its pubKey), after
 * a bound on its nesting (the canonical form is computed recursively).
 */
export function verifyAuthMetadata(json: unknown): Metadata {
  if (typeof json !== 'object' || json === null) fail('INVALID_JSON', 'AuthMetadata: expected an object');
  const { data, sig } = json as { data?: unknown; sig?: unknown };
  if (typeof data !== 'object' || data === null || Array.isArray(data)) fail('INVALID_JSON', 'AuthMetadata.data: missing');
  if (typeof sig !== 'string' || sig.length === 0) fail('METADATA_SIGNATURE_INVALID', 'AuthMetadata.sig: missing');
  const pubHex = (data as { pubKey?: unknown }).pubKey;
  if (typeof pubHex !== 'string') fail('INVALID_JSON', 'Metadata.pubKey: expected compressed SEC1 hex');
  const pub = pointFromHex(pubHex, 'Metadata.pubKey');
  assertJsonDepth(data, 'AuthMetadata.data');
  let sigBytes: Uint8Array;
  try {
    sigBytes = hexToBytes(sig, 'sig');
  } catch {
    return fail('METADATA_SIGNATURE_INVALID', 'AuthMetadata.sig: not hex');
  }
  if (sigBytes.length < 8 || sigBytes.length > 72 || !ecdsaVerifyDigest(sigBytes, metadataDigest(data), pub, { format: 'der', lowS: false }))
    fail('METADATA_SIGNATURE_INVALID', 'AuthMetadata signature does not verify under data.pubKey');
  return Metadata.fromJSON(data);
}
