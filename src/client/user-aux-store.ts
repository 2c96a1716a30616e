/**
 * Aux info of USER-ONLY signer groups (no service) in the metadata: for a group G of user share
 * indices (e.g. {2, 3}) each index i ∈ G has its own `AuxInfo` (its Paillier secret, every member's
 * public N, s, t), exported and ECIES-encrypted to every factor of index i — as `aux-store.ts` does
 * for the service group {1, i}. Our own generalStore domain (the peer ignores it):
 *
 *   generalStore["tssUserAux:<tssTag>"] = { "<i,j,…>": { [factorEncKey]: { tssIndex, aux: EncryptedMessage, pub } } }
 *
 * pub = hex SHA-256 of the group's PUBLIC aux (`groupFingerprint`: profile, every party's id, N, s,
 * t) — the same in every member's part of one aux session, readable without a factor key. It lets
 * a paired device (`paired-device.ts`), which writes only its own index's part, check that the
 * other device's part is of the same session; a part whose `pub` differs from the opener's makes
 * the group inconsistent and it is not held (entries written before `pub` existed are opened as
 * before). A group's aux serves every signer set it contains (presign reads only the signers'
 * entries). Aux is not bound to the key's epoch: a refresh keeps it; a removed factor's entries go
 * at the next write of any group.
 * @module
 */
import { bytesToHex, concatBytes, numberToBytesMin, utf8ToBytes } from '../bytes.js';
import { type Point } from '../curve.js';
import { fail } from '../errors.js';
import { sha256 } from '../hash.js';
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

/** A user group's entry: an index's aux sealed to one factor, with the group's public fingerprint. */
export interface UserAuxEntry extends AuxEntry {
  /** `groupFingerprint` of the sealed aux (hex, 64); absent in entries written before it existed. */
  pub?: string;
}

type Groups = Record<string, Record<string, UserAuxEntry>>;

/** u16 length ‖ bytes: an unambiguous field of the fingerprint. */
const field = (b: Uint8Array): Uint8Array => concatBytes(new Uint8Array([b.length >> 8, b.length & 0xff]), b);

/**
 * The group's public aux as one hash: SHA-256("tkey-tss/user-aux/pub/v1" ‖ profile ‖ per party
 * (ascending id) id ‖ N ‖ s ‖ t), each field u16-length-prefixed big-endian. Every member's
 * `AuxInfo` of one session gives the same value (their `parties` are the same public values).
 */
export function groupFingerprint(aux: AuxInfo): string {
  const parts = [field(utf8ToBytes('tkey-tss/user-aux/pub/v1')), field(utf8ToBytes(aux.profile))];
  for (const p of [...aux.parties].sort((a, b) => a.id - b.id)) parts.push(field(numberToBytesMin(BigInt(p.id))), field(numberToBytesMin(p.N)), field(numberToBytesMin(p.s)), field(numberToBytesMin(p.t)));
  return bytesToHex(sha256(concatBytes(...parts)));
}

function groups(m: Metadata, tssTag: string): Groups {
  const raw = m.getGeneralStoreDomain(userAuxDomain(tssTag));
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) return fail('INVALID_JSON', `${userAuxDomain(tssTag)}: expected an object`);
  return raw as Groups;
}

/** Every member's aux of a group, each sealed to every factor of its index (factorEncKey → entry). */
export function sealUserGroup(auxes: readonly AuxInfo[], factorsOf: (index: number) => readonly Point[], rng: Rng): Map<string, UserAuxEntry> {
  const out = new Map<string, UserAuxEntry>();
  for (const aux of auxes) {
    const pub = groupFingerprint(aux);
    for (const p of factorsOf(aux.self)) out.set(factorEncKey(p), { ...sealAuxFor(aux, p, rng), pub });
  }
  return out;
}

/** Store `all`, dropping every entry of factors not in `live` (factorEncKey → tssIndex) and every group left empty. */
function store(m: Metadata, tssTag: string, all: Groups, live: ReadonlyMap<string, number>): void {
  for (const [g, es] of Object.entries(all)) {
    const kept = Object.fromEntries(Object.entries(es).filter(([k, e]) => live.get(k) === e.tssIndex));
    if (Object.keys(kept).length) all[g] = kept;
    else delete all[g];
  }
  m.setGeneralStoreDomain(userAuxDomain(tssTag), all);
}

/** Set a group's entries (replacing the group), and drop every entry of factors not in `live` (factorEncKey → tssIndex). */
export function writeUserGroup(m: Metadata, tssTag: string, group: string, entries: ReadonlyMap<string, UserAuxEntry>, live: ReadonlyMap<string, number>): void {
  store(m, tssTag, { ...groups(m, tssTag), [group]: Object.fromEntries(entries) }, live);
}

/**
 * Set ONE index's part of a group (a paired device writes only its own): the group's entries of
 * `index` are replaced by `entries`, every other index's entries are kept as they are now in `m`
 * (so a replay after a conflict keeps what the other device wrote meanwhile); dead factors' entries
 * go, as in `writeUserGroup`.
 */
export function writeUserGroupPart(m: Metadata, tssTag: string, group: string, index: number, entries: ReadonlyMap<string, UserAuxEntry>, live: ReadonlyMap<string, number>): void {
  for (const e of entries.values()) if (e.tssIndex !== index) fail('INTERNAL_BUG', `writeUserGroupPart: an entry of index ${e.tssIndex} in index ${index}'s part`);
  const all = groups(m, tssTag);
  const others = Object.entries(all[group] ?? {}).filter(([, e]) => e.tssIndex !== index);
  store(m, tssTag, { ...all, [group]: Object.fromEntries([...others, ...entries]) }, live);
}

/** Take back one index's part of a group: its entries with fingerprint `pub` (a newer part of that index is left alone). */
export function removeUserGroupPart(m: Metadata, tssTag: string, group: string, index: number, pub: string, live: ReadonlyMap<string, number>): void {
  const all = groups(m, tssTag);
  const kept = Object.entries(all[group] ?? {}).filter(([, e]) => !(e.tssIndex === index && e.pub === pub));
  store(m, tssTag, { ...all, [group]: Object.fromEntries(kept) }, live);
}

/** What is wrong with index `index`'s part of a group against the fingerprint `pub` (`live`: factorEncKey → tssIndex). */
export interface PartProblem {
  index: number;
  /** Live factors of the index without an entry in the group. */
  missing: number;
  /** Entries of the index whose fingerprint is not `pub` (another session's, or none). */
  mismatched: number;
}

/**
 * Is the group complete and of one session: every live factor of every member index has an entry
 * of its index whose fingerprint is `pub`? Returns the problems (empty: complete and consistent).
 */
export function checkUserGroup(m: Metadata, tssTag: string, group: string, pub: string, live: ReadonlyMap<string, number>): PartProblem[] {
  const es = groups(m, tssTag)[group] ?? {};
  const out: PartProblem[] = [];
  for (const index of group.split(',').map(Number)) {
    const factors = [...live].filter(([, i]) => i === index).map(([k]) => k);
    const missing = factors.filter((k) => es[k]?.tssIndex !== index).length;
    const mismatched = Object.values(es).filter((e) => e.tssIndex === index && e.pub !== pub).length;
    if (missing || mismatched || factors.length === 0) out.push({ index, missing: factors.length === 0 ? 1 : missing, mismatched });
  }
  return out;
}

/**
 * Every user group's aux a factor key unlocks (group key → its `AuxInfo` for `tssIndex`). Each is
 * checked: its own index is the factor's, its parties are exactly the group, every N distinct, its
 * public values are its entry's `pub`. A group where another part carries a different `pub` (parts
 * of two sessions: a pair's setup that did not finish) is not consistent and is skipped.
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
    if (entry.pub !== undefined && entry.pub !== groupFingerprint(aux)) fail('INVALID_JSON', `${userAuxDomain(tssTag)}[${group}]: the aux entry's public values are not its fingerprint`);
    if (entry.pub !== undefined && Object.values(es).some((e) => e.pub !== undefined && e.pub !== entry.pub)) continue;
    out.set(group, aux);
  }
  return out;
}
