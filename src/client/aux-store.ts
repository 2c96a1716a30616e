/**
 * A user party's aux secret in the metadata, encrypted to the factor key of its share (issue 4
 * item 3): the device's `AuxInfo` for the signer group {service, device at index i} is exported
 * (`exportAux`, SECRET bytes) and ECIES-encrypted to every factor holding share i, so any device
 * that unlocks one of those factors can sign. Our own generalStore domain next to the peer's TSS
 * fields (the peer ignores it):
 *
 *   generalStore["tssAux:<tssTag>"] = { [factorEncKey]: { tssIndex, aux: EncryptedMessage } }
 *
 * Aux material is not bound to the key's epoch, so a refresh keeps the entries of every factor
 * that stays; a removed factor's entry goes with it. Every refresh and every factor copy also
 * seals the aux the device holds for an index to each factor of that index that has no entry yet
 * (`fill`): a factor another client added (the peer's `addFactorPub` copy writes no entry) gets
 * the index's aux as soon as one of our devices that holds it changes the account. Existing
 * entries are never overwritten by a fill (another device's `setupAux` may be newer).
 * @module
 */
import { aInt } from '../bytes.js';
import { pointToBytes, type Point } from '../curve.js';
import { eciesDecryptJSON, eciesEncryptJSON, type EncryptedMessage } from '../ecies.js';
import { fail } from '../errors.js';
import type { Metadata } from '../metadata/metadata.js';
import type { Rng } from '../rng.js';
import type { FactorKey } from '../tss/factor-key.js';
import { factorEncKey } from '../tss/tss-metadata.js';
import { exportAux, importAux } from '../../protocols/aux/index.js';
import type { AuxInfo } from '../../protocols/aux/types.js';
import { wipe } from '../bytes.js';

export interface AuxEntry {
  tssIndex: number;
  aux: EncryptedMessage;
}

export function auxDomain(tssTag: string): string {
  return `tssAux:${tssTag}`;
}

function entries(m: Metadata, tssTag: string): Record<string, AuxEntry> {
  const raw = m.getGeneralStoreDomain(auxDomain(tssTag));
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) return fail('INVALID_JSON', `${auxDomain(tssTag)}: expected an object`);
  return { ...(raw as Record<string, AuxEntry>) };
}

/** Encrypt the device's aux to a factor (randomness drawn now, so a replayed operation writes the same bytes). */
export function sealAuxFor(aux: AuxInfo, factorPub: Point, rng: Rng): AuxEntry {
  const bytes = exportAux(aux);
  try {
    return { tssIndex: aInt(aux.self, 'aux.self', 2), aux: eciesEncryptJSON(pointToBytes(factorPub, false), bytes, { rng }) };
  } finally {
    wipe(bytes);
  }
}

/** The device's aux sealed to each of `factors` (factorEncKey → entry). */
export function sealAuxForAll(aux: AuxInfo, factors: readonly Point[], rng: Rng): Map<string, AuxEntry> {
  return new Map(factors.map((p) => [factorEncKey(p), sealAuxFor(aux, p, rng)]));
}

/** Does the factor have an aux entry? */
export function hasAuxEntry(m: Metadata, tssTag: string, factorPub: Point): boolean {
  return entries(m, tssTag)[factorEncKey(factorPub)] !== undefined;
}

/**
 * Set and remove entries (inside a metadata operation); `fill` entries are set only where the
 * factor has none (and is still a factor of the entry's index: `live`, factorEncKey → tssIndex).
 */
export function updateAuxEntries(
  m: Metadata,
  tssTag: string,
  set: ReadonlyMap<string, AuxEntry>,
  remove: readonly string[] = [],
  fill: ReadonlyMap<string, AuxEntry> = new Map(),
  live?: ReadonlyMap<string, number>,
): void {
  const e = entries(m, tssTag);
  for (const k of remove) delete e[k];
  for (const [k, v] of set) e[k] = v;
  for (const [k, v] of fill) if (e[k] === undefined && (!live || live.get(k) === v.tssIndex)) e[k] = v;
  if (Object.keys(e).length === 0) m.deleteGeneralStoreDomain(auxDomain(tssTag));
  else m.setGeneralStoreDomain(auxDomain(tssTag), e);
}

/** The aux a factor key unlocks, or `undefined` when none is stored for it. Checked to be for the factor's index. */
export function openAux(m: Metadata, tssTag: string, factorKey: FactorKey, tssIndex: number): AuxInfo | undefined {
  const entry = entries(m, tssTag)[factorEncKey(factorKey.pubPoint)];
  if (!entry) return undefined;
  const aux = openAuxEntry(factorKey, entry);
  if (aux.self !== tssIndex || entry.tssIndex !== tssIndex) fail('INVALID_JSON', `${auxDomain(tssTag)}: the aux entry is for index ${aux.self}, the factor holds ${tssIndex}`);
  return aux;
}

/** Open an entry `sealAuxFor` made, with its factor key (the key's bytes and the plaintext are wiped). Shape only: the caller checks what it is for. */
export function openAuxEntry(factorKey: FactorKey, entry: AuxEntry): AuxInfo {
  const k = factorKey.exportBytes();
  let bytes: Uint8Array;
  try {
    bytes = eciesDecryptJSON(k, entry.aux);
  } finally {
    wipe(k);
  }
  try {
    return importAux(bytes);
  } finally {
    wipe(bytes);
  }
}
