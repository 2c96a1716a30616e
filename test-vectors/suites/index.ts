/**
 * The suite registry: every conformance suite the runner knows, in report order.
 * @module
 */
import { auxSuite } from './aux.js';
import { busSuite } from './bus.js';
import { eciesSuite } from './ecies.js';
import { keygenSuite } from './keygen.js';
import { refreshSuite } from './refresh.js';
import { presignSuite, signSuite } from './presign.js';
import { metadataSuite } from './metadata.js';
import { metadataApiSuite } from './metadata-api.js';
import { mnemonicSuite } from './mnemonic.js';
import { peerQuirksSuite } from './peer-quirks.js';
import { polyidSuite } from './polyid.js';
import { shamirSuite } from './shamir.js';
import { tkeyV1SampleSuite } from './tkey-v1-sample.js';
import { tkeyTssSampleSuite } from './tkey-tss-sample.js';
import { transcriptSuite } from './transcript.js';
import type { Suite } from './types.js';
import { zkSuite } from './zk.js';

export const SUITES: readonly Suite[] = [eciesSuite, shamirSuite, polyidSuite, mnemonicSuite, metadataSuite, tkeyV1SampleSuite, transcriptSuite, zkSuite, tkeyTssSampleSuite, keygenSuite, refreshSuite, auxSuite, presignSuite, signSuite, busSuite, metadataApiSuite, peerQuirksSuite];

export function suiteByName(name: string): Suite | undefined {
  return SUITES.find((s) => s.name === name);
}
