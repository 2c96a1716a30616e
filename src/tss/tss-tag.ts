/**
 * TSS tags: independent TSS keys in one metadata are keyed by a `tssTag` string (default
 * `"default"`, tkey-formats §4.2).
 * @module
 */
import { fail } from '../errors.js';

export const DEFAULT_TSS_TAG = 'default';

/** Assert a non-empty tssTag string. */
export function aTssTag(tag: unknown, title = 'tssTag'): string {
  if (typeof tag !== 'string' || tag.length === 0) fail('INVALID_ARGUMENT', `${title}: expected a non-empty string`);
  return tag;
}
