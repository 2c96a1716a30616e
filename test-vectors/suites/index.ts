/**
 * The suite registry: every conformance suite the runner knows, in report order.
 * @module
 */
import { eciesSuite } from './ecies.js';
import { metadataSuite } from './metadata.js';
import { mnemonicSuite } from './mnemonic.js';
import { polyidSuite } from './polyid.js';
import { shamirSuite } from './shamir.js';
import { tkeyV1SampleSuite } from './tkey-v1-sample.js';
import type { Suite } from './types.js';

export const SUITES: readonly Suite[] = [eciesSuite, shamirSuite, polyidSuite, mnemonicSuite, metadataSuite, tkeyV1SampleSuite];

export function suiteByName(name: string): Suite | undefined {
  return SUITES.find((s) => s.name === name);
}
