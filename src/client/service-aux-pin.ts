/**
 * Pinning the co-signing service's long-lived aux public key (issue 9 item 7): aux info loaded from
 * the metadata is trusted only through the metadata signature (any holder of k_m can rewrite it),
 * so before presigning the device checks the service's entry (N, s, t) of the aux it holds against
 *
 *   1. `ClientOptions.serviceAuxPin` — the fingerprint the operator publishes
 *      (`ServiceParty.auxFingerprint`), configured next to the service's identity key; else
 *   2. the service keys this device verified itself in an aux session (Πmod, Πprm, Πfac) since it
 *      logged in (`setupAux`, creation, a refresh with `rotateAux`).
 *
 * A mismatch is `SERVICE_AUX_MISMATCH` before anything is sent (the device's round-1 proofs would
 * use the substituted ring-Pedersen parameters). With neither pin the metadata signature remains
 * the only guard (see the README).
 *
 *   fingerprint = SHA-256("tkey-tss/service-aux-pin/v1" ‖ len‖profile ‖ len‖N ‖ len‖s ‖ len‖t)
 *   (len: 4 bytes big-endian; integers minimal big-endian)
 * @module
 */
import { abytes, bytesToHex, concatBytes, numberToBytesBE, utf8ToBytes } from '../bytes.js';
import { fail } from '../errors.js';
import { sha256 } from '../hash.js';
import type { AuxInfo, AuxPublic } from '../../protocols/aux/types.js';

const DOMAIN = utf8ToBytes('tkey-tss/service-aux-pin/v1');

function field(b: Uint8Array): Uint8Array {
  return concatBytes(numberToBytesBE(BigInt(b.length), 4), b);
}
const int = (x: bigint): Uint8Array => numberToBytesBE(x, Math.max(1, Math.ceil(x.toString(16).length / 2)));

/** The fingerprint of a service aux public key (32 bytes). */
export function serviceAuxFingerprint(profile: string, pub: Pick<AuxPublic, 'N' | 's' | 't'>): Uint8Array {
  return sha256(concatBytes(DOMAIN, field(utf8ToBytes(profile)), field(int(pub.N)), field(int(pub.s)), field(int(pub.t))));
}

/** The fingerprint of the service's (party `serviceId`) entry in `aux`. */
export function serviceAuxFingerprintIn(aux: AuxInfo, serviceId: number): Uint8Array {
  const e = aux.parties.find((p) => p.id === serviceId);
  if (!e) return fail('INVALID_ARGUMENT', `aux: no entry for the service (party ${serviceId})`);
  return serviceAuxFingerprint(aux.profile, e);
}

/** A configured pin: 32 bytes or absent. */
export function aServiceAuxPin(pin: unknown): Uint8Array | null {
  return pin === undefined ? null : abytes(pin, 'serviceAuxPin', 32).slice();
}

/**
 * SERVICE_AUX_MISMATCH unless the service's entry in `aux` is the pinned key (`pinned`), or — with
 * no configured pin — one this device verified (`verified`, hex fingerprints; empty: unpinned).
 */
export function assertServiceAux(aux: AuxInfo, serviceId: number, pinned: Uint8Array | null, verified: ReadonlySet<string>): void {
  const fp = bytesToHex(serviceAuxFingerprintIn(aux, serviceId));
  if (pinned) {
    if (fp !== bytesToHex(pinned)) fail('SERVICE_AUX_MISMATCH', `the service aux key in the aux info for index ${aux.self} is not the pinned one (serviceAuxPin); refusing to presign — run setupAux again`, { index: aux.self, found: fp, pinned: bytesToHex(pinned) });
    return;
  }
  if (verified.size > 0 && !verified.has(fp))
    fail('SERVICE_AUX_MISMATCH', `the service aux key in the aux info for index ${aux.self} differs from the one this device verified in an aux session; refusing to presign — run setupAux again`, { index: aux.self, found: fp });
}
