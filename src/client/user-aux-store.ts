/**
 * Aux info of USER-ONLY signer groups (no service) in the metadata: for a group G of user share
 * indices (e.g. {2, 3}) each index i ∈ G has its own `AuxInfo` (its Paillier secret, every member's
 * public N, s, t), exported and ECIES-encrypted to every factor of index i — as `aux-store.ts` does
 * for the service group {1, i}. Our own generalStore domain (the peer ignores it):
 *
 *   generalStore["tssUserAux:<tssTag>"] = { "<i,j,…>": { [factorEncKey]: { tssIndex, aux: EncryptedMessage } } }
 *
 * A group's aux serves every signer set it contains (presign reads only the signers' entries).
 * Aux is not bound to the key's epoch: a refresh keeps it; a removed factor's entries go with it.
 * @module
 */
import { type Point } from '../curve.js';
import { fail } from '../errors.js';
import type { Metadata } from '../metadata/metadata.js';
import type { Rng } from '../rng.js';
import type { FactorKey } from '../tss/factor-key.js';
import { factorEncKey } from '../tss/tss-metadata.js';
import type { AuxInfo } from '../../protocols/aux/types.js';
import { openAuxEntry, sealAuxFor, type AuxEntry } from './aux-store.js';

export const userAuxDomain = (tssTag: string): string => `tssUserAux:${tssTag}`;

/** The canonical key of a user signer group: its indices ascending, comma-separated. */
export function userGroupKey(indices: readonly number[]): string {
  return [...indices].sort((a, b) => a - b).join(',');
}

type Groups = Record<string, Record<string, AuxEntry>>;

function groups(m: Metadata, tssTag: string): Groups {
  const raw = m.getGeneralStoreDomain(userAuxDomain(tssTag));
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) return fail('INVALID_JSON', `${userAuxDomain(tssTag)}: expected an object`);
  return raw as Groups;
}

/** Every member's aux of a group, each sealed to every factor of its index (factorEncKey → entry). */
export function sealUserGroup(auxes: readonly AuxInfo[], factorsOf: (index: number) => readonly Point[], rng: Rng): Map<string, AuxEntry> {
  const out = new Map<string, AuxEntry>();
  for (const aux of auxes) for (const p of factorsOf(aux.self)) out.set(factorEncKey(p), sealAuxFor(aux, p, rng));
  return out;
}

/** Set a group's entries (replacing the group), and drop every entry of factors not in `live` (factorEncKey → tssIndex). */
export function writeUserGroup(m: Metadata, tssTag: string, group: string, entries: ReadonlyMap<string, AuxEntry>, live: ReadonlyMap<string, number>): void {
  const all: Groups = { ...groups(m, tssTag), [group]: Object.fromEntries(entries) };
  for (const [g, es] of Object.entries(all)) {
    const kept = Object.fromEntries(Object.entries(es).filter(([k, e]) => live.get(k) === e.tssIndex));
    if (Object.keys(kept).length) all[g] = kept;
    else delete all[g];
  }
  m.setGeneralStoreDomain(userAuxDomain(tssTag), all);
}

/**
 * Every user group's aux a factor key unlocks (group key → its `AuxInfo` for `tssIndex`). Each is
 * checked: its own index is the factor's, its parties are exactly the group, every N distinct.
 */
export function openUserAux(m: Metadata, tssTag: string, factorKey: FactorKey, tssIndex: number): Map<string, AuxInfo> {
  const out = new Map<string, AuxInfo>();
  const fk = factorEncKey(factorKey.pubPoint);
  for (const [group, es] of Object.entries(groups(m, tssTag))) {
    const entry = es?.[fk];
    if (!entry) continue;
    const aux = openAuxEntry(factorKey, entry);
    const ids = aux.parties.map((p) => p.id);
    if (aux.self !== tssIndex || entry.tssIndex !== tssIndex || userGroupKey(ids) !== group || new Set(aux.parties.map((p) => p.N)).size !== ids.length)
      fail('INVALID_JSON', `${userAuxDomain(tssTag)}[${group}]: the aux entry is not index ${tssIndex}'s aux of that group`);
    out.set(group, aux);
  }
  return out;
}
