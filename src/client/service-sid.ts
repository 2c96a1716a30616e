/**
 * Joint session ids and the service's sid registry (DESIGN §3.7). Every session the co-signing
 * service takes part in runs under a sid the device cannot choose alone:
 *
 *   sid = SHA-256(stableStringify({domain, kind, account, context, seq, device, service}))
 *
 *   kind     keygen | refresh | aux | presign | sign        (what the service agreed to run)
 *   account  "<G·k_m hex>/<tssTag>"                          (whose shares it uses)
 *   context  the digest of the epoch the session starts from (refresh, presign, sign; "" otherwise)
 *   seq      the account's session counter, durable in its record, +1 per session
 *   device   the device's part (the request's `sid`, 32 bytes it drew fresh)
 *   service  32 bytes the service draws fresh for this session: its RNG's draw hashed with the
 *            platform CSPRNG's (`servicePart`), so a seeded service RNG — restarted with the same
 *            seed, say — still never repeats a part
 *
 * The service returns the sid (with the threshold and parties it agreed to: `SessionBinding`)
 * before anything runs; the device runs the session under it. The registry, kept in the account's
 * `ServiceAccountRecord` (as durable as the shares) and written BEFORE the participant is handed
 * out, refuses a device part or a sid it has seen for the account (`SID_REUSED`).
 *
 * Why a bounded registry is enough: a sid can only recur if the same (seq, service part) recur.
 * `seq` strictly increases in the durable record, so no two sessions of an account share it while
 * the record lives; and the service part is fresh platform entropy, so even a store rolled back to
 * an old backup (seq repeats) or an account without a record (keygen, below) yields a new sid. The list of recent
 * entries (`SID_WINDOW`) is there to refuse a device that re-sends a part — a replay attempt, or a
 * device RNG that repeats — which is where an attacker would try; older entries cannot come back
 * through the joint sid and are dropped. Keygen of an account the service holds nothing for has
 * no record to write into: its sid (seq 0, fresh service part) is recorded with the staged share.
 *
 * Registry rows (a durable service, `SidRowRegistry`: the server's `service-state/sid-rows.ts`):
 * instead of the record's list, each session inserts insert-only rows (account, value) for its
 * device part and its joint sid — one namespace per account, so a device part equal to an earlier
 * joint sid is refused too. The sign path inserts them in the same atomic step that takes its
 * presignature half (`PresigStore.takeRegistering`) and leaves the account record as it was; the
 * other sessions insert them and write the counter. A row that exists (from any node) is
 * SID_REUSED and nothing is written. Rows are kept `SID_RETENTION_MS` (pruned by their epoch, the
 * registration time), which bounds them by the per-account sign rate × the retention. A record
 * still holding a list (written before the rows) keeps it checked, frozen (`frozenAt`), and drops it
 * at its next write once the retention has passed since — as the rows it would have been are.
 * @module
 */
import { abytes, bytesToHex, concatBytes, utf8ToBytes, wipe } from '../bytes.js';
import { fail } from '../errors.js';
import { sha256 } from '../hash.js';
import { cryptoRng, type Rng } from '../rng.js';
import { stableStringify } from '../metadata/stable-stringify.js';

export const SID_DOMAIN = 'tkey-tss/service-sid/v1';
/** Bytes of each party's sid part. */
export const SID_PART_BYTES = 32;
/** How many recent sessions an account's registry keeps. */
export const SID_WINDOW = 256;

export type SessionKind = 'keygen' | 'refresh' | 'aux' | 'presign' | 'sign';

/** How long registry rows are kept (and a frozen list after the switch to rows): 24 h. */
export const SID_RETENTION_MS = 24 * 3600 * 1000;

/** Per account: the session counter and the most recent sessions (hex). */
export interface SidRegistry {
  seq: number;
  recent: { device: string; sid: string }[];
  /** With registry rows: when the list stopped growing (ms); it is dropped once `SID_RETENTION_MS` has passed since. */
  frozenAt?: number;
}

/**
 * The sid registry as insert-only rows per account (values: 64 hex of a device part or a joint sid),
 * durable and shared by every node of the store.
 */
export interface SidRowRegistry {
  /** Insert every value for `account`, all or nothing; SID_REUSED (nothing written) when one is registered already. */
  register(account: string, values: readonly string[], atMs: number): Promise<void>;
  /** Is any of `values` registered for `account`? */
  seen(account: string, values: readonly string[]): Promise<boolean>;
  /** Drop the rows registered before `beforeMs`; returns how many. */
  prune(beforeMs: number): Promise<number>;
}

/** SID_REUSED for a registered value (the refusal of `assertFreshSid`). */
export function sidReused(device: Uint8Array | string): never {
  return fail('SID_REUSED', 'the service has already taken part in a session with this session id for the account; draw a fresh one', { sid: typeof device === 'string' ? device : bytesToHex(device) });
}

/** The record's registry after a session whose sids went to rows: counter + 1; a list from before the rows frozen, then dropped after the retention. */
export function advanceSeq(reg: SidRegistry | undefined, nowMs: number): SidRegistry {
  const recent = reg?.recent ?? [];
  const frozenAt = recent.length ? (reg?.frozenAt ?? nowMs) : undefined;
  if (frozenAt !== undefined && nowMs - frozenAt >= SID_RETENTION_MS) return { seq: nextSeq(reg) + 1, recent: [] };
  return { seq: nextSeq(reg) + 1, recent, ...(frozenAt === undefined ? {} : { frozenAt }) };
}

/** The device's part of a session id: exactly 32 bytes. */
export function aSidPart(part: unknown, title = 'sid'): Uint8Array {
  return abytes(part, title, SID_PART_BYTES);
}

/** The service's fresh part: H(domain, its RNG's 32 bytes, 32 bytes of the platform CSPRNG). */
export function servicePart(rng: Rng): Uint8Array {
  const a = rng.bytes(SID_PART_BYTES);
  const b = cryptoRng.bytes(SID_PART_BYTES);
  try {
    return sha256(concatBytes(utf8ToBytes(`${SID_DOMAIN}/service-part`), a, b));
  } finally {
    wipe(a, b);
  }
}

/** The joint session id (see the module comment). */
export function jointSid(o: { kind: SessionKind; account: string; context?: string; seq: number; device: Uint8Array; service: Uint8Array }): Uint8Array {
  const data = {
    domain: SID_DOMAIN,
    kind: o.kind,
    account: o.account,
    context: o.context ?? '',
    seq: o.seq,
    device: bytesToHex(aSidPart(o.device)),
    service: bytesToHex(aSidPart(o.service, 'service part')),
  };
  return sha256(utf8ToBytes(stableStringify(data)));
}

/** The counter the next session of the account uses. */
export function nextSeq(reg: SidRegistry | undefined): number {
  return reg?.seq ?? 0;
}

/** SID_REUSED when the device part (or the sid) was seen for the account. */
export function assertFreshSid(reg: SidRegistry | undefined, device: Uint8Array, sid?: Uint8Array): void {
  const d = bytesToHex(device);
  const s = sid ? bytesToHex(sid) : undefined;
  if (reg?.recent.some((e) => e.device === d || e.sid === d || (s !== undefined && (e.sid === s || e.device === s)))) sidReused(d);
}

/** The registry with one more session (checked fresh; counter + 1; the oldest entries beyond `window` dropped). */
export function registerSid(reg: SidRegistry | undefined, device: Uint8Array, sid: Uint8Array, window = SID_WINDOW): SidRegistry {
  assertFreshSid(reg, device, sid);
  const recent = [...(reg?.recent ?? []), { device: bytesToHex(device), sid: bytesToHex(sid) }];
  return { seq: nextSeq(reg) + 1, recent: recent.slice(-window) };
}
