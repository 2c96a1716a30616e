/**
 * Share descriptions (`generalStore.shareDescriptions`): per share index (unpadded hex) or factor
 * public key, a list of JSON strings such as `{"module":"webStorage","dateAdded":…}`.
 * @module
 */
import { aString } from '../bytes.js';
import type { AccountContext } from './context.js';
import { syncShareMetadata } from './refresh.js';

export type DescriptionChange =
  | { kind: 'add'; key: string; description: string }
  | { kind: 'update'; key: string; oldDescription: string; newDescription: string }
  | { kind: 'delete'; key: string; description: string };

/** Apply one description change to the working metadata and rewrite the latest records. */
export async function changeShareDescriptionBody(ctx: AccountContext, c: DescriptionChange): Promise<void> {
  const m = ctx.state.requireMetadata();
  aString(c.key, 'key');
  if (c.kind === 'add') m.addShareDescription(c.key, c.description);
  else if (c.kind === 'update') m.updateShareDescription(c.key, c.oldDescription, c.newDescription);
  else m.deleteShareDescription(c.key, c.description);
  await syncShareMetadata(ctx);
}

/** Descriptions of the shares on the latest polynomial only (as the peer's getKeyDetails). */
export function currentShareDescriptions(ctx: AccountContext): Record<string, string[]> {
  const m = ctx.state.requireMetadata();
  const live = new Set(m.shareIndexes().map((i) => i.toString(16)));
  return Object.fromEntries(Object.entries(m.shareDescriptions()).filter(([k]) => live.has(k)));
}
