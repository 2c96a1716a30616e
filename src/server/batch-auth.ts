/**
 * The batch-level authorization of `/v1/batch` (and of the in-process metadata view): the batch
 * carries `auth = {signer, set_data, signature}`, a torus-form owner signature whose `data` must be
 * the canonical statement of THIS batch — stableStringify({v: 1, domain: "tkey-tss/batch", account,
 * baseNonce, nonce, writes: D}), D = keccak256 over every write's (X, Y, namespace, keccak256(value))
 * (`src/metadata/write-auth.ts`) — and whose signer is the account key itself (G·k_m = account) or
 * one of the trusted co-signing service keys (`TKEY_SERVICE_KEYS`, the process's own service
 * identity). The signature is then verified like a write's (timestamp window, owner key).
 * @module
 */
import { toHexUnpadded } from '../bytes.js';
import { pointFromHex, pointX, pointY } from '../curve.js';
import { fail } from '../errors.js';
import { batchStatement } from '../metadata/write-auth.js';
import type { SetParams } from './owner-signature.js';

export interface BatchBody {
  account: string;
  baseNonce: number | null;
  nonce: number;
  writes: (SetParams & { namespace: string })[];
  auth: { signer: string; set_data: { data: string; timestamp: string }; signature: string };
}

/**
 * Check who signed and what (INVALID_SIGNATURE otherwise) and return the batch signature as set
 * params to verify with the writes (owner = the signer).
 */
export function batchAuthParams(trusted: ReadonlySet<string>, b: BatchBody): SetParams {
  const signer = b.auth.signer.toLowerCase();
  if (signer !== b.account && !trusted.has(signer)) fail('INVALID_SIGNATURE', 'auth.signer: the batch must be signed by its account key or a trusted co-signing service key');
  const expected = batchStatement({ ...b, writes: b.writes.map((w) => ({ address: { pubX: w.pub_key_X, pubY: w.pub_key_Y, namespace: w.namespace }, value: w.set_data.data })) });
  if (b.auth.set_data.data !== expected) fail('INVALID_SIGNATURE', 'auth.set_data.data: not the statement of this batch (account, nonces and writes)');
  const P = pointFromHex(signer, 'auth.signer');
  return { pub_key_X: toHexUnpadded(pointX(P)), pub_key_Y: toHexUnpadded(pointY(P)), set_data: b.auth.set_data, signature: b.auth.signature };
}
