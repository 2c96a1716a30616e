/**
 * Factor descriptions and the factor list (tkey-formats §4.7). The core kit keys share
 * descriptions by the **compressed factor public key** hex in `generalStore.shareDescriptions`,
 * each a JSON string `{module, dateAdded, …additionalMetadata, tssShareIndex}` (in that key order).
 * @module
 */
import { aInt, aString } from '../bytes.js';
import { pointToBytes, pointToHex, type Point } from '../curve.js';
import { fail } from '../errors.js';
import type { Metadata } from '../metadata/metadata.js';
import { factorPubPoint } from './factor-key.js';
import type { FactorEncType } from './factor-enc.js';
import { readTss, factorEncKey } from './tss-metadata.js';
import { aTssIndex } from './tss-share.js';

/** The core kit's `FactorKeyTypeShareDescription` values. */
export const FACTOR_MODULES = ['hashedShare', 'tssSecurityQuestions', 'deviceShare', 'seedPhrase', 'passwordShare', 'socialShare', 'Other'] as const;
export type FactorModule = (typeof FACTOR_MODULES)[number];

export interface FactorDescription {
  module: string;
  dateAdded: number;
  tssShareIndex: number;
  [extra: string]: unknown;
}

/** The description JSON string, in the core kit's key order. `additional` may not override the three fixed keys. */
export function factorDescriptionJSON(opts: { module: string; dateAdded: number; tssShareIndex: number; additional?: Record<string, string> }): string {
  aString(opts.module, 'module');
  aInt(opts.dateAdded, 'dateAdded');
  aTssIndex(opts.tssShareIndex, 'tssShareIndex', 2);
  const extra = opts.additional ?? {};
  if (typeof extra !== 'object' || extra === null) fail('INVALID_ARGUMENT', 'additional: expected an object');
  for (const k of ['module', 'dateAdded', 'tssShareIndex']) if (k in extra) fail('INVALID_ARGUMENT', `additional: may not set ${k}`);
  return JSON.stringify({ module: opts.module, dateAdded: opts.dateAdded, ...extra, tssShareIndex: opts.tssShareIndex });
}

/** The description key of a factor: compressed SEC1 hex of its public key. */
export function factorDescriptionKey(factorPub: Uint8Array | Point): string {
  return pointToHex(factorPubPoint(factorPub), true);
}

/** Add a description for a factor (mutates the working metadata). */
export function addFactorDescription(metadata: Metadata, factorPub: Uint8Array | Point, description: string): void {
  metadata.addShareDescription(factorDescriptionKey(factorPub), aString(description, 'description'));
}

/** Remove every description of a factor (no-op when it has none). */
export function removeFactorDescriptions(metadata: Metadata, factorPub: Uint8Array | Point): void {
  const key = factorDescriptionKey(factorPub);
  const sd = metadata.shareDescriptions();
  if (!(key in sd)) return;
  delete sd[key];
  metadata.setGeneralStoreDomain('shareDescriptions', sd);
}

/** The parsed descriptions of a factor (entries that are not JSON objects are skipped). */
export function factorDescriptions(metadata: Metadata, factorPub: Uint8Array | Point): FactorDescription[] {
  const list = metadata.shareDescriptions()[factorDescriptionKey(factorPub)] ?? [];
  const out: FactorDescription[] = [];
  for (const s of list) {
    try {
      const j = JSON.parse(s) as unknown;
      if (typeof j === 'object' && j !== null && !Array.isArray(j)) out.push(j as FactorDescription);
    } catch {
      // a foreign description that is not JSON: not ours to interpret
    }
  }
  return out;
}

export interface FactorInfo {
  /** Compressed SEC1 public key. */
  factorPub: Uint8Array;
  /** Compressed hex (the description key). */
  factorPubHex: string;
  /** The factorEncs key (x as 64 hex). */
  encKey: string;
  tssIndex: number;
  type: FactorEncType;
  descriptions: FactorDescription[];
}

/** Every factor of a tag, in factorPubs order, with its index, encoding type and descriptions. */
export function listFactors(metadata: Metadata, tssTag: string): FactorInfo[] {
  const st = readTss(metadata, tssTag);
  return st.factorPubs.map((p) => {
    const encKey = factorEncKey(p);
    const enc = st.factorEncs[encKey]!;
    return { factorPub: pointToBytes(p, true), factorPubHex: pointToHex(p, true), encKey, tssIndex: enc.tssIndex, type: enc.type, descriptions: factorDescriptions(metadata, p) };
  });
}
