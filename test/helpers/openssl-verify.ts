/**
 * An ECDSA verifier independent of @noble/curves and of src/: OpenSSL, through node:crypto and the
 * `openssl` CLI (Debian package `openssl`). Nothing here imports the library.
 *
 * - The public key (compressed or uncompressed SEC1) is wrapped in SPKI DER built here; OpenSSL
 *   itself decodes (and decompresses) the point.
 * - `verifyMessageSha256`: node:crypto `verify('sha256', message, …)` — OpenSSL hashes the message.
 *   node:crypto has no prehashed ECDSA verify (`verify(null, …)` still hashes with SHA-256 for EC keys).
 * - `verifyDigest`: a raw 32-byte digest (keccak256 ones: OpenSSL 3.0 has no Keccak) through
 *   `openssl pkeyutl -verify`, which for EC keys verifies the input as the digest itself.
 * Both return true/false for a verdict and throw when the verifier cannot run, so a missing tool
 * can never pass for a rejected signature.
 */
import { execFileSync } from 'node:child_process';
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// SEQUENCE { SEQUENCE { OID id-ecPublicKey, OID secp256k1 }, BIT STRING (point) }
const SPKI_PREFIX_33 = Buffer.from('3036301006072a8648ce3d020106052b8104000a032200', 'hex');
const SPKI_PREFIX_65 = Buffer.from('3056301006072a8648ce3d020106052b8104000a034200', 'hex');

export function publicKeyObject(pub: Uint8Array): KeyObject {
  const prefix = pub.length === 33 ? SPKI_PREFIX_33 : pub.length === 65 ? SPKI_PREFIX_65 : undefined;
  if (!prefix) throw new Error(`publicKeyObject: expected a 33- or 65-byte SEC1 key, got ${pub.length} bytes`);
  return createPublicKey({ key: Buffer.concat([prefix, Buffer.from(pub)]), format: 'der', type: 'spki' });
}

function fixed32(n: bigint): Buffer {
  if (n < 0n || n >= 1n << 256n) throw new Error('value does not fit 32 bytes');
  return Buffer.from(n.toString(16).padStart(64, '0'), 'hex');
}

/** Plain DER of (r, s), written independently of src/ (r, s < 2^256, so lengths fit one byte). */
function derOf(r: bigint, s: bigint): Buffer {
  const int = (n: bigint): Buffer => {
    let b = fixed32(n);
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    b = b.subarray(i);
    if (b[0]! & 0x80) b = Buffer.concat([Buffer.of(0), b]);
    return Buffer.concat([Buffer.of(0x02, b.length), b]);
  };
  const body = Buffer.concat([int(r), int(s)]);
  return Buffer.concat([Buffer.of(0x30, body.length), body]);
}

/** node:crypto (OpenSSL) ECDSA-SHA256 verification of (r, s) over `message`. */
export function verifyMessageSha256(message: Uint8Array, r: bigint, s: bigint, pub: Uint8Array): boolean {
  const sig = Buffer.concat([fixed32(r), fixed32(s)]);
  return verify('sha256', message, { key: publicKeyObject(pub), dsaEncoding: 'ieee-p1363' }, sig);
}

/** OpenSSL CLI verification of (r, s) over a raw 32-byte digest. */
export function verifyDigest(digest: Uint8Array, r: bigint, s: bigint, pub: Uint8Array): boolean {
  if (digest.length !== 32) throw new Error('verifyDigest: expected a 32-byte digest');
  const dir = mkdtempSync(join(tmpdir(), 'openssl-verify-'));
  try {
    const pem = join(dir, 'pub.pem');
    const sig = join(dir, 'sig.der');
    const dig = join(dir, 'digest.bin');
    writeFileSync(pem, publicKeyObject(pub).export({ type: 'spki', format: 'pem' }));
    writeFileSync(sig, derOf(r, s));
    writeFileSync(dig, digest);
    const args = ['pkeyutl', '-verify', '-pubin', '-inkey', pem, '-sigfile', sig, '-in', dig];
    try {
      const out = execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      if (!out.includes('Signature Verified Successfully')) throw new Error(`openssl: unexpected output ${JSON.stringify(out)}`);
      return true;
    } catch (e) {
      const err = e as { status?: number; stdout?: string; code?: string };
      if (err.status === 1 && typeof err.stdout === 'string' && err.stdout.includes('Signature Verification Failure')) return false;
      throw e;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
