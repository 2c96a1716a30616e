/**
 * `metadata`: the tKey v1 `Metadata` JSON (tkey-formats.md §2.3) must survive
 * `Metadata.fromJSON → toJSON` byte-identically under `stableStringify`, malformed metadata must be
 * refused, and AuthMetadata `{data, sig}` (§2.4) must verify — or be refused — as the vector says;
 * signing is deterministic (RFC 6979, no low-S normalisation) and must reproduce the vector's `sig`.
 * @module
 */
import { signAuthMetadata, verifyAuthMetadata } from '../../src/metadata/auth-metadata.js';
import { Metadata } from '../../src/metadata/metadata.js';
import { stableStringify } from '../../src/metadata/stable-stringify.js';
import { pointToHex } from '../../src/curve.js';
import type { CheckResult, Suite } from './types.js';
import { all, big, checkOne, eq, expectErrorCode, expectedError, obj, str, vectorsOf, VectorFormatError, type Verdict } from './util.js';

export const NAME = 'metadata';

async function check(v: Record<string, unknown>): Promise<Verdict> {
  const op = str(v, 'op');
  const code = expectedError(v);
  switch (op) {
    case 'roundTrip': {
      const input = v.metadata;
      const run = (): string => stableStringify(Metadata.fromJSON(input).toJSON());
      if (code !== undefined) return expectErrorCode(code, run);
      const canonical = str(v, 'canonical');
      return all(eq('canonical form of the input', stableStringify(input), canonical), eq('round trip', run(), canonical));
    }
    case 'verify': {
      const auth = obj(v, 'authMetadata');
      const run = (): Metadata => verifyAuthMetadata(auth);
      if (code !== undefined) return expectErrorCode(code, run);
      return eq('signer pubKey', pointToHex(run().pubKey), str(v, 'pubKey'));
    }
    case 'sign': {
      const auth = obj(v, 'authMetadata');
      const sig = signAuthMetadata(Metadata.fromJSON(auth.data), big(v, 'metadataKey')).sig;
      return eq('sig', sig, str(auth, 'sig'));
    }
    default:
      throw new VectorFormatError(`unknown op ${op}`);
  }
}

export const metadataSuite: Suite = {
  name: NAME,
  async run(doc: unknown): Promise<CheckResult[]> {
    const out: CheckResult[] = [];
    for (const v of vectorsOf(doc, NAME)) out.push(await checkOne(`${NAME}/${v.id}`, () => check(v)));
    return out;
  },
};
