/**
 * The service-state kinds (`tkey_state.kind`) and their keys. Every kind in `SEALED_KINDS` holds
 * sealed blobs (`kek.ts`) whose AD binds (kind, key, epoch); `rotateKek` re-seals exactly these.
 *
 *   account      key = "<G·k_m hex>/<tssTag>"            the ServiceAccountRecord (shares, aux groups, sids, aborts, binding)
 *   presig       key = account ‖ 0x1f ‖ presign sid hex   the service's presignature half; epoch = its TSS epoch
 *   service-key  key = identity | bus | aux              the service's long-lived keys, shared by every node
 *   used-token   key = the token's replay key            not sealed (no secret); epoch = expiry (unix s)
 *   sid          key = account ‖ 0x1f ‖ 64 hex            the sid registry (`sid-rows.ts`): a device part or joint
 *                                                        sid seen for the account; empty value, not sealed (no
 *                                                        secret: the key is the fact); epoch = registration (unix s)
 * @module
 */
import type { StateRow } from '../store/state-types.js';
import { open, seal, type Kek, type Keyring } from './kek.js';

export const KIND_ACCOUNT = 'account';
export const KIND_PRESIG = 'presig';
export const KIND_SERVICE_KEY = 'service-key';
export const KIND_USED_TOKEN = 'used-token';
export const KIND_SID = 'sid';

export const SEALED_KINDS: readonly string[] = Object.freeze([KIND_ACCOUNT, KIND_PRESIG, KIND_SERVICE_KEY]);

export const SEP = '\x1f';
export const presigKey = (account: string, sid: string): string => `${account}${SEP}${sid}`;
export const sidKey = (account: string, value: string): string => `${account}${SEP}${value}`;

/** Seal a row's plaintext for its place. */
export function sealFor(kek: Kek, kind: string, key: string, epoch: number, plaintext: Uint8Array): Uint8Array {
  return seal(kek, plaintext, { kind, key, epoch });
}

/** Open a stored row (the caller wipes the plaintext). */
export function openRow(keyring: Keyring, row: StateRow): Uint8Array {
  return open(keyring, row.value, { kind: row.kind, key: row.key, epoch: row.epoch });
}
