/**
 * The co-signing service's side (share index 1, party id 1): its share store keyed by account, its
 * participation in keygen and refresh, and its half of the two-phase commit.
 *
 * Per account (metadata public key + tssTag) the service keeps a `confirmed` share — the one the
 * durable metadata uses — and `pending` shares staged by refreshes whose metadata batch it has not
 * yet seen durable. A refresh output is staged next to the old share, never instead of it (phase 1);
 * the old share is dropped only once the account's durable checkpoint (`checkpoint.ts`, written
 * in the same batch as the new factorEncs) shows the new epoch (phase 2). `reconcile` applies that
 * rule and runs on every contact for the account (refresh, finalize) and in `sweep()`:
 *
 *   checkpoint = pending P   → P becomes confirmed; the old confirmed share and every other pending
 *                              share of an epoch ≤ P's are wiped
 *   checkpoint epoch ≥ a pending share's epoch, other commitments → that pending share is wiped (it
 *                              can never become durable: the device's batch is conditional on the
 *                              epoch it refreshed from)
 *   otherwise                → keep everything (the device may still commit)
 *
 * So no interruption locks the user out (the share of the durable epoch is always kept), and no
 * old share lingers once the new epoch is durable and anyone (the device's `finalize`, the next
 * session, an operator's `sweep`) touches the account.
 *
 * The service's Paillier/ring-Pedersen key is long-lived and shared by all accounts
 * (`ServicePartyOptions.aux`); per account it keeps only the verified public parts of each signer
 * group {service, device at index i} (or {service} ∪ S for a signer set S at t ≥ 3: groups are kept by party set) — the latest three device moduli per index, so a device whose new aux never
 * reached the metadata still signs with its previous one (it names its modulus in presign).
 *
 * Every participant it hands out records its OWN session's abort (`aborted`, called by the
 * transport) in the account's abort history; `abortPolicy` locks the account when enough of them
 * blame the same non-service party, and every later session of the account is refused with
 * ACCOUNT_LOCKED before it runs until an operator calls `clearAbortLock` (`abort-record.ts`).
 * @module
 */
import { abytes, aInt, bytesToHex, wipe } from '../bytes.js';
import { mulG, pointToBytes, pointToHex, scalarFromBytes, type Point } from '../curve.js';
import { fail, isTkeyTssError, ProtocolAbort } from '../errors.js';
import { encodeRecord } from '../metadata/record.js';
import type { Rng } from '../rng.js';
import type { MetadataStorage } from '../storage/types.js';
import { aTssTag } from '../tss/tss-tag.js';
import type { KeygenInput, KeygenOutput } from '../../protocols/keygen/index.js';
import type { RefreshInput, RefreshOutput } from '../../protocols/refresh/index.js';
import type { PartySpec } from '../../protocols/types.js';
import { refuseReplayMode } from '../../protocols/session.js';
import { auxFromRefresh, reuseAux, sealAux, type AuxInput } from '../../protocols/aux/index.js';
import type { AuxInfo, AuxPublic } from '../../protocols/aux/types.js';
import type { PresignInput, PresignOutput, Presignature } from '../../protocols/presign/index.js';
import type { SignInput, SignOutput } from '../../protocols/sign/index.js';
import { signBatch, signWrite } from '../metadata/write-auth.js';
import { aMetadataPub, epochDigest, fenceAddress, readCheckpoint, sameEpoch, type TssCheckpoint } from './checkpoint.js';
import { publicSharesAt } from './shares.js';
import { shareBuffers, type AccountOwner, type EpochShare, type ServiceAccountRecord, type ServiceShareStore } from './service-store.js';
import { AbortBook, anAbortPolicy, assertUnlocked, type AbortHistory, type AbortLock, type AbortPolicy } from './abort-record.js';
import { combineOnline, startOnline, type SignPartial } from './sign-online.js';
import { serviceAuxFingerprint } from './service-aux-pin.js';
import type { AccountRef, ReconcileResult, ServiceConnection, ServiceParticipant, ServiceRefreshRequest, ServiceSessionRequest, ServiceSignerRequest, ServiceSignOnlineRequest, SignOnlineAnswer } from './service-api.js';
import {
  accountProfile,
  checkKeygen,
  checkProfile,
  checkRefresh,
  checkSignBinding,
  checkSigner,
  groupIds,
  userSignersOf,
  knownIndices,
  servicePolicy,
  SERVICE_INDEX,
  SERVICE_PARTY,
  type ServicePolicy,
  type ServicePolicyOptions,
} from './service-policy.js';
import { advanceSeq, aSidPart, assertFreshSid, jointSid, nextSeq, registerSid, servicePart, SID_RETENTION_MS, sidReused, type SessionKind, type SidRegistry, type SidRowRegistry } from './service-sid.js';
import { inProcessAccountLock, MemoryPresigStore, type AccountLock, type PresigStore } from './service-presigs.js';

export { SERVICE_INDEX, SERVICE_PARTY } from './service-policy.js';

export * from './service-store.js';
export * from './service-api.js';
export * from './service-presigs.js';
export type { AbortEntry, AbortHistory, AbortLock, AbortPolicy } from './abort-record.js';

export interface ServicePartyOptions {
  /** The service's long-lived identity key (32 bytes). */
  identityKey: Uint8Array;
  /** Read access to the metadata storage (checkpoints). */
  storage: MetadataStorage;
  shares: ServiceShareStore;
  rng: Rng;
  /** Clock (ms) for staging times (default Date.now). */
  now?: () => number;
  /**
   * The service's long-lived Paillier key (prepared ahead: `prepareAuxInput`), reused for every
   * account; with `ringPedersen` its ring-Pedersen parameters too (else they are drawn at the
   * first aux session and kept). Needed for aux, presign and sign.
   */
  aux?: AuxInput;
  /**
   * Lock an account after `maxAborts` (default 3) aborts of the service's own sessions blamed on the
   * same non-service party within `windowMs` (default 24 h); `clearAbortLock` unlocks it.
   */
  abortPolicy?: Partial<AbortPolicy>;
  /** What the service agrees to run (`service-policy.ts`): threshold floor (default 2, never below). */
  policy?: ServicePolicyOptions;
  /**
   * Where the service keeps its presignature halves (default: in memory, this process). A durable,
   * shared store (`src/server/service-state/`) lets a device presign via one node and sign via another;
   * its `take` must be atomic, so a half is never used twice.
   */
  presigs?: PresigStore;
  /**
   * Mutual exclusion of an account's read-modify-write sections (record updates, sid registration,
   * reconcile, fencing). Default: an in-process lock map; several nodes on one store need a
   * cross-node lock (a PostgreSQL advisory lock: `src/server/service-state/`).
   */
  accountLock?: AccountLock;
}

const ZERO_SHIFT = new Uint8Array(32);
/** How often (at most) a service prunes its sid registry rows (ms). */
const SID_PRUNE_EVERY_MS = 60_000;
/** Entries the in-memory caches (checkpoints, owners) keep; the oldest goes first. */
const CACHE_MAX = 10_000;
const ownerKey = (o: AccountOwner): string => `${o.iss}\u0000${o.sub}`;
function remember<V>(m: Map<string, V>, k: string, v: V): void {
  m.delete(k);
  if (m.size >= CACHE_MAX) m.delete(m.keys().next().value!);
  m.set(k, v);
}

/** A durable epoch as a request names it (shape only; the service compares it with its own state). */
function aBase(b: unknown, title = 'base'): TssCheckpoint {
  const c = b as TssCheckpoint;
  if (typeof c !== 'object' || c === null || !Number.isSafeInteger(c.tssNonce) || c.tssNonce < 0 || !Array.isArray(c.commitments) || c.commitments.length === 0 || !c.commitments.every((x) => x instanceof Uint8Array))
    fail('INVALID_ARGUMENT', `${title}: expected {tssTag, tssNonce, commitments: [SEC1]}`);
  return c;
}

/** The device's partials: exactly one `{id, payload}` per user signer (shape only; the protocol checks the payloads). */
function aPartials(ps: unknown, signers: readonly number[]): SignPartial[] {
  if (!Array.isArray(ps)) fail('INVALID_ARGUMENT', 'partials: expected [{id, payload}]');
  const out: SignPartial[] = [];
  for (const p of ps as unknown[]) {
    const x = p as SignPartial;
    if (typeof x !== 'object' || x === null || !Number.isSafeInteger(x.id) || x.payload === undefined) fail('INVALID_ARGUMENT', 'partials: expected [{id, payload}]');
    out.push({ id: x.id, payload: x.payload });
  }
  const ids = out.map((p) => p.id).sort((a, b) => a - b);
  if (ids.length !== signers.length || ids.some((id, k) => id !== [...signers].sort((a, b) => a - b)[k]))
    fail('INVALID_ARGUMENT', `partials: expected exactly one per signer ${signers.join(', ')}`, { signers: [...signers] });
  return out;
}

const copyParties = (ps: readonly PartySpec[]): PartySpec[] => ps.map((p) => ({ id: p.id, owns: [...p.owns] }));

/** The request's derivation shift as a protocol input field (absent: the root key). */
function shiftOf(shift: Uint8Array | undefined): { shift?: Uint8Array } {
  return shift === undefined ? {} : { shift: abytes(shift, 'shift', 32).slice() };
}

/** Metadata keys checked before (their SEC1 hex → the point): a request names the same account again and again, and decompressing costs a square root. */
const PUBS = new Map<string, Point>();

function aRef(a: AccountRef): { pub: Point; tag: string; key: string; metadataPub: Uint8Array; tssTag: string } {
  if (typeof a !== 'object' || a === null) fail('INVALID_ARGUMENT', 'account: expected {metadataPub, tssTag}');
  const bytes = abytes(a.metadataPub, 'account.metadataPub');
  const hex = bytesToHex(bytes);
  let pub = PUBS.get(hex);
  if (!pub) remember(PUBS, hex, (pub = aMetadataPub(bytes, 'account.metadataPub')));
  const tag = aTssTag(a.tssTag);
  return { pub, tag, key: `${pointToHex(pub, true)}/${tag}`, metadataPub: pointToBytes(pub, true), tssTag: tag };
}

export class ServiceParty implements ServiceConnection {
  readonly #key: bigint;
  readonly #pub: Point;
  readonly #storage: MetadataStorage;
  readonly #shares: ServiceShareStore;
  readonly #rng: Rng;
  readonly #now: () => number;
  #aux: AuxInput | undefined;
  readonly #policy: ServicePolicy;
  /** Presignature halves by account and presign sid (hex), single use (`take`). */
  readonly #presigs: PresigStore;
  /** Per-account serialisation of store updates. */
  readonly #lock: AccountLock;
  /** Aborts of the service's own sessions and the account locks (`abort-record.ts`). */
  readonly #aborts: AbortBook;
  /**
   * The durable checkpoint last read per account with the account's storage nonce read BEFORE it
   * (`#checkpointAt`): every batch bumps the nonce, so an unchanged nonce means the same checkpoint.
   */
  readonly #checkpoints = new Map<string, { nonce: number; cp: TssCheckpoint | undefined }>();
  /** Owners of CREATED accounts (a confirmed share: such a record is never deleted and its binding never changes). */
  readonly #owners = new Map<string, string>();
  /** The sid registry rows of a durable presignature store (`PresigStore.sidRows`); else the record's list (`service-sid.ts`). */
  readonly #sidRows: SidRowRegistry | undefined;
  #pruneAt = 0;

  constructor(opts: ServicePartyOptions) {
    if (typeof opts !== 'object' || opts === null) fail('INVALID_ARGUMENT', 'options: expected an object');
    refuseReplayMode(opts, 'ServiceParty'); // the service runs real accounts: fresh randomness only
    this.#key = scalarFromBytes(abytes(opts.identityKey, 'identityKey', 32), 'identityKey');
    this.#pub = mulG(this.#key);
    const s = opts.storage;
    if (!s || typeof s.get !== 'function') fail('INVALID_ARGUMENT', 'storage: expected a MetadataStorage');
    const st = opts.shares;
    if (!st || typeof st.get !== 'function' || typeof st.put !== 'function' || typeof st.accounts !== 'function') fail('INVALID_ARGUMENT', 'shares: expected a ServiceShareStore');
    if (typeof opts.rng?.bytes !== 'function') fail('INVALID_ARGUMENT', 'rng: expected an Rng');
    this.#storage = s;
    this.#shares = st;
    this.#rng = opts.rng;
    this.#now = opts.now ?? Date.now;
    this.#aux = opts.aux;
    const ps = opts.presigs;
    if (ps !== undefined && (typeof ps?.put !== 'function' || typeof ps.take !== 'function' || typeof ps.count !== 'function' || typeof ps.dropBelow !== 'function'))
      fail('INVALID_ARGUMENT', 'presigs: expected a PresigStore');
    if (opts.accountLock !== undefined && typeof opts.accountLock !== 'function') fail('INVALID_ARGUMENT', 'accountLock: expected a function (account, fn) => Promise');
    this.#presigs = ps ?? new MemoryPresigStore();
    const rows = ps?.sidRows;
    if (rows !== undefined && (typeof rows.register !== 'function' || typeof rows.seen !== 'function' || typeof rows.prune !== 'function' || typeof ps?.takeRegistering !== 'function'))
      fail('INVALID_ARGUMENT', 'presigs.sidRows: expected a SidRowRegistry, with presigs.takeRegistering');
    this.#sidRows = rows;
    this.#lock = opts.accountLock ?? inProcessAccountLock();
    this.#aborts = new AbortBook({ shares: st, now: this.#now, policy: anAbortPolicy(opts.abortPolicy), self: SERVICE_PARTY, locked: (k, fn) => this.#locked(k, fn) });
    this.#policy = servicePolicy(opts.policy ?? {});
  }

  /** The policy this service enforces. */
  get policy(): ServicePolicy {
    return this.#policy;
  }

  get identityPub(): Uint8Array {
    return pointToBytes(this.#pub, true);
  }

  /** Fingerprint of the service's long-lived aux public key (publish it: devices pin it, `serviceAuxPin`); undefined before it exists. */
  get auxFingerprint(): Uint8Array | undefined {
    const a = this.#aux;
    return a?.ringPedersen ? serviceAuxFingerprint(a.profile, { N: a.key.p * a.key.q, s: a.ringPedersen.s, t: a.ringPedersen.t }) : undefined;
  }

  /**
   * Authorization where the secret lives: may `subject` (a verified login's iss, sub) run sessions
   * for `account`? `'create'` (keygen): binds the account to `subject` durably BEFORE any session
   * runs (a record holding only the binding when the service has nothing for it yet), or checks
   * the existing binding; `'use'` (aux, presign, sign, refresh, finalize): FORBIDDEN unless the
   * account is bound to the same subject (an account bound to nobody is refused too). A refusal
   * changes nothing. The RPC layer calls it before every method when logins are required.
   */
  authorize(account: AccountRef, subject: AccountOwner, mode: 'create' | 'use'): Promise<void> {
    const ref = aRef(account);
    if (typeof subject !== 'object' || subject === null || typeof subject.iss !== 'string' || typeof subject.sub !== 'string' || !subject.iss || !subject.sub)
      fail('INVALID_ARGUMENT', 'subject: expected {iss, sub}');
    if (mode !== 'create' && mode !== 'use') fail('INVALID_ARGUMENT', "mode: expected 'create' or 'use'");
    const same = (o: AccountOwner | undefined): boolean => o !== undefined && o.iss === subject.iss && o.sub === subject.sub;
    if (mode === 'use' && this.#owners.get(ref.key) === ownerKey(subject)) return Promise.resolve(); // a created account's binding never changes
    return this.#locked(ref.key, async () => {
      const rec = await this.#shares.get(ref.key);
      if (rec) wipe(...shareBuffers(rec));
      if (rec?.owner && rec.confirmed) remember(this.#owners, ref.key, ownerKey(rec.owner));
      if (same(rec?.owner)) return;
      if (mode === 'use' || rec?.owner || rec?.confirmed) fail('FORBIDDEN', rec?.owner || rec ? 'the account is bound to another login subject' : 'the service holds no account bound to this login', { account: ref.key.slice(0, 20) });
      const next: ServiceAccountRecord = rec ?? { metadataPub: ref.metadataPub, tssTag: ref.tssTag, confirmed: null, pending: [], abandoned: [] };
      next.owner = { iss: subject.iss, sub: subject.sub };
      await this.#shares.put(ref.key, next);
      wipe(...shareBuffers(next));
    });
  }

  /** The account's key in the service's stores: `<G·k_m hex (compressed)>/<tssTag>` (the request checked). */
  accountKey(account: AccountRef): string {
    return aRef(account).key;
  }

  /** How many presignature halves the service holds for `account` (per-account caps; older epochs are dropped when it reconciles). */
  async presignatureCount(account: AccountRef): Promise<number> {
    return this.#presigs.count(aRef(account).key);
  }

  /** Operator: unlock an account locked by the abort policy (the clear is recorded). Returns the lock cleared, or null. */
  clearAbortLock(account: AccountRef): Promise<AbortLock | null> {
    return this.#aborts.clear(aRef(account));
  }

  /** Operator: the aborts recorded for an account (newest last), its lock and the clears; null when none. */
  abortRecord(account: AccountRef): Promise<AbortHistory | null> {
    return this.#aborts.history(aRef(account));
  }

  #locked<T>(account: string, fn: () => Promise<T>): Promise<T> {
    return this.#lock(account, fn);
  }

  /** SID_REUSED when the device part is in the record's list or (registry rows) registered for the account. */
  async #assertFresh(key: string, reg: SidRegistry | undefined, device: Uint8Array): Promise<void> {
    assertFreshSid(reg, device);
    if (this.#sidRows && (await this.#sidRows.seen(key, [bytesToHex(device)]))) sidReused(device);
  }

  /**
   * The record's registry once the session (device part, joint sid) is registered, durably: as
   * rows (all or nothing, SID_REUSED when one exists) with the counter + 1, or grown in the list.
   */
  async #registered(key: string, reg: SidRegistry | undefined, device: Uint8Array, sid: Uint8Array): Promise<SidRegistry> {
    if (!this.#sidRows) return registerSid(reg, device, sid);
    assertFreshSid(reg, device, sid);
    this.#prune();
    await this.#sidRows.register(key, [bytesToHex(device), bytesToHex(sid)], this.#now());
    return advanceSeq(reg, this.#now());
  }

  /** At most once a minute per process: drop the sid rows older than the retention (in the background: a failure is retried next time). */
  #prune(): void {
    const now = this.#now();
    if (!this.#sidRows || now < this.#pruneAt) return;
    this.#pruneAt = now + SID_PRUNE_EVERY_MS;
    this.#sidRows.prune(now - SID_RETENTION_MS).catch(() => {
      this.#pruneAt = 0;
    });
  }

  /**
   * Stage a new share next to the existing ones (phase 1, durable when this resolves). `joined`: a
   * keygen sid of an account that had no record yet, registered now in the record it creates.
   */
  async #stage(ref: { pub: Point; tag: string; key: string }, staged: Omit<EpochShare, 'stagedAt'>, joined?: { device: Uint8Array; sid: Uint8Array }): Promise<void> {
    const entry: EpochShare = { ...staged, stagedAt: this.#now() };
    try {
      await this.#locked(ref.key, async () => {
        const rec = (await this.#shares.get(ref.key)) ?? { metadataPub: pointToBytes(ref.pub, true), tssTag: ref.tag, confirmed: null, pending: [], abandoned: [] };
        if (joined) rec.sids = await this.#registered(ref.key, rec.sids, joined.device, joined.sid);
        rec.pending = [...rec.pending.filter((p) => !sameEpoch(p, entry)), entry];
        await this.#shares.put(ref.key, rec);
        wipe(...shareBuffers(rec));
      });
    } finally {
      wipe(entry.share);
    }
  }

  /**
   * Join a session of the account: refuse a device sid part seen before (SID_REUSED), derive the
   * joint sid with a fresh service part and the account's counter, and record it durably — all
   * before the participant is handed out (`service-sid.ts`).
   */
  #join(ref: { key: string }, kind: SessionKind, device: Uint8Array, context: string): Promise<Uint8Array> {
    return this.#locked(ref.key, async () => {
      const rec = await this.#shares.get(ref.key);
      if (!rec) return fail('SERVICE_STATE_MISMATCH', 'the account vanished from the service');
      const sid = jointSid({ kind, account: ref.key, context, seq: nextSeq(rec.sids), device, service: servicePart(this.#rng) });
      rec.sids = await this.#registered(ref.key, rec.sids, device, sid);
      await this.#shares.put(ref.key, rec);
      wipe(...shareBuffers(rec));
      return sid;
    });
  }

  async keygenParticipant(account: AccountRef, req: ServiceSessionRequest): Promise<ServiceParticipant<KeygenInput, KeygenOutput>> {
    const ref = aRef(account);
    await this.#aborts.assertOpen(ref);
    if (typeof req !== 'object' || req === null) fail('INVALID_ARGUMENT', 'req: expected {sid, parties, threshold}');
    const device = aSidPart(req.sid);
    const indices = checkKeygen(this.#policy, req);
    const rec = await this.#shares.get(ref.key);
    if (rec) wipe(...shareBuffers(rec));
    if (rec?.confirmed) fail('ACCOUNT_EXISTS', `the service already holds a share for ${ref.key.slice(0, 20)}…`);
    await this.#assertFresh(ref.key, rec?.sids, device);
    // an account the service holds nothing for has no record to write into: its sid goes in with the staged share
    const sid = rec ? await this.#join(ref, 'keygen', device, '') : jointSid({ kind: 'keygen', account: ref.key, seq: 0, device, service: servicePart(this.#rng) });
    const joined = rec ? undefined : { device: device.slice(), sid };
    return this.#aborts.watch(ref, 'keygen', {
      id: SERVICE_PARTY,
      owns: [SERVICE_INDEX],
      input: {},
      rng: this.#rng,
      session: { sid, threshold: req.threshold, parties: copyParties(req.parties) },
      finish: async (out) => {
        const share = out.shares.export(SERVICE_INDEX);
        out.shares.wipe();
        await this.#stage(ref, { tssNonce: out.epoch, commitments: out.commitments.map((c) => c.slice()), share, indices }, joined);
      },
    });
  }

  async refreshParticipant(account: AccountRef, req: ServiceRefreshRequest): Promise<ServiceParticipant<RefreshInput, RefreshOutput>> {
    const ref = aRef(account);
    await this.#aborts.assertOpen(ref);
    if (typeof req !== 'object' || req === null) fail('INVALID_ARGUMENT', 'req: expected {sid, parties, threshold, base, dealers}');
    const device = aSidPart(req.sid);
    aBase(req.base);
    await this.reconcile(account);
    const durable = await readCheckpoint(this.#storage, this.#key, this.#pub, ref.pub, ref.tag);
    const rec = await this.#shares.get(ref.key);
    const base = req.base;
    if (!durable || !sameEpoch(durable, base)) fail('SERVICE_STATE_MISMATCH', `the refresh starts from epoch ${base?.tssNonce}, the durable checkpoint is at ${durable?.tssNonce ?? 'none'}`);
    if (!rec?.confirmed || !sameEpoch(rec.confirmed, base)) fail('SERVICE_STATE_MISMATCH', `the service holds no share for epoch ${base.tssNonce} of this account`);
    let indices: number[];
    try {
      indices = checkRefresh(this.#policy, req, rec.confirmed);
      if (req.rotateAux && !this.#aux?.ringPedersen) fail('INVALID_ARGUMENT', 'rotateAux: the service has no long-lived aux key yet (ServicePartyOptions.aux, or one aux session first)');
      if (req.rotateAux) checkProfile(this.#aux!.profile, accountProfile(rec));
      await this.#assertFresh(ref.key, rec.sids, device);
    } catch (e) {
      wipe(...shareBuffers(rec));
      throw e;
    }
    const dealt = req.dealers.flatMap((d) => [...d.indices]);
    const share = rec.confirmed.share;
    wipe(...rec.pending.map((p) => p.share));
    let sid: Uint8Array;
    try {
      sid = await this.#join(ref, 'refresh', device, epochDigest(base));
    } catch (e) {
      wipe(share);
      throw e;
    }
    const devParty = req.parties.find((p) => p.id !== SERVICE_PARTY);
    const input: RefreshInput = {
      publicKey: base.commitments[0]!,
      epoch: base.tssNonce,
      oldThreshold: base.commitments.length,
      oldPublicShares: publicSharesAt(base.commitments, dealt),
      dealers: req.dealers,
      oldShares: [{ index: SERVICE_INDEX, share }],
    };
    return this.#aborts.watch(ref, 'refresh', {
      id: SERVICE_PARTY,
      owns: [SERVICE_INDEX],
      input,
      rng: this.#rng,
      session: { sid, threshold: req.threshold, parties: copyParties(req.parties) },
      ...(req.rotateAux ? { extensionInput: this.#aux } : {}),
      finish: async (out) => {
        wipe(share);
        const s = out.shares.export(SERVICE_INDEX);
        out.shares.wipe();
        await this.#stage(ref, { tssNonce: out.epoch, commitments: out.commitments.map((c) => c.slice()), share: s, indices });
        if (req.rotateAux && devParty) await this.#addAuxGroup(ref, devParty.id, auxFromRefresh(out));
      },
    });
  }

  /** Remember a verified group {service, device at `index`} (earlier ones of the index too: one per device modulus, the latest three). */
  #addAuxGroup(ref: { key: string }, index: number, out: AuxInfo): Promise<void> {
    return this.#locked(ref.key, async () => {
      const r = await this.#shares.get(ref.key);
      if (!r) return fail('SERVICE_STATE_MISMATCH', 'the account vanished from the service');
      // the device's new aux is durable only once its batch lands: keep earlier groups next to it
      // groups are keyed by their party set: {1, i} at t = 2, {1} ∪ S for a signer set S at t ≥ 3
      const devN = (g: { parties: AuxPublic[] }) => g.parties.find((p) => p.id === index)?.N;
      const ids = groupIds(out.parties);
      const mineN = devN(out);
      const same = (r.aux ?? []).filter((a) => groupIds(a.parties) === ids && devN(a) !== mineN).slice(-2);
      r.aux = [...(r.aux ?? []).filter((a) => groupIds(a.parties) !== ids), ...same, { index, profile: out.profile, parties: out.parties.map((p) => ({ ...p })) }];
      await this.#shares.put(ref.key, r);
    });
  }

  /** {service} ∪ the request's user indices (`signers`, or just `index`). */
  #signerParties(req: ServiceSignerRequest): PartySpec[] {
    return [{ id: SERVICE_PARTY, owns: [SERVICE_INDEX] }, ...userSignersOf(req).map((i) => ({ id: i, owns: [i] }))];
  }

  async auxParticipant(account: AccountRef, req: ServiceSignerRequest): Promise<ServiceParticipant<AuxInput, AuxInfo>> {
    const ref = aRef(account);
    await this.#aborts.assertOpen(ref);
    if (typeof req !== 'object' || req === null) fail('INVALID_ARGUMENT', 'req: expected {sid, index}');
    const device = aSidPart(req.sid);
    const input = this.#aux;
    if (!input) return fail('INVALID_ARGUMENT', 'the service has no aux key (ServicePartyOptions.aux)');
    const parties = this.#signerParties(req);
    const rec = await this.#shares.get(ref.key);
    if (rec) wipe(...shareBuffers(rec));
    if (!rec?.confirmed && !rec?.pending.length) fail('SERVICE_STATE_MISMATCH', 'the service holds no share for this account');
    for (const i of userSignersOf(req)) checkSigner(i, knownIndices(rec, true)); // at creation the keygen share is still pending
    checkProfile(input.profile, accountProfile(rec)); // the group's profile is the service key's
    await this.#assertFresh(ref.key, rec!.sids, device);
    const sid = await this.#join(ref, 'aux', device, '');
    return this.#aborts.watch(ref, 'aux', {
      id: SERVICE_PARTY,
      owns: [SERVICE_INDEX],
      input,
      rng: this.#rng,
      session: { sid, threshold: parties.length, parties },
      finish: async (out) => {
        if (!this.#aux?.ringPedersen) this.#aux = reuseAux(out); // keep the long-lived parameters
        await this.#addAuxGroup(ref, req.index, out);
      },
    });
  }

  /**
   * The account's record at the durable epoch `base` (after reconciling): SERVICE_STATE_MISMATCH
   * unless the checkpoint and the service's confirmed share are both at `base`; the signer index
   * must be one of that epoch's share indices (POLICY_VIOLATION, signer-set). The caller wipes.
   */
  async #durable(ref: { pub: Point; tag: string; key: string }, base: TssCheckpoint, signers: readonly number[]): Promise<ServiceAccountRecord & { confirmed: EpochShare }> {
    await this.reconcile({ metadataPub: pointToBytes(ref.pub, true), tssTag: ref.tag });
    const durable = await this.#checkpointAt(ref); // just read by reconcile: the same nonce reuses it
    const rec = await this.#shares.get(ref.key);
    if (!durable || !sameEpoch(durable, base) || !rec?.confirmed || !sameEpoch(rec.confirmed, base)) {
      if (rec) wipe(...shareBuffers(rec));
      return fail('SERVICE_STATE_MISMATCH', `the service signs only with the share of the durable epoch (${durable?.tssNonce ?? 'none'}); asked for ${base?.tssNonce}`);
    }
    wipe(...rec.pending.map((p) => p.share));
    try {
      for (const i of signers) checkSigner(i, knownIndices(rec));
      if (signers.length + 1 !== base.commitments.length)
        fail('POLICY_VIOLATION', `the account is ${base.commitments.length}-of-n: a signer set has ${base.commitments.length} parties, the request names ${signers.length + 1}`, { rule: 'signer-set' });
    } catch (e) {
      wipe(rec.confirmed.share);
      throw e;
    }
    return rec as ServiceAccountRecord & { confirmed: EpochShare };
  }

  /** The service's aux for a group containing {1} ∪ signers, the device named by the modulus of signers[0]; at least the account's profile. */
  #signingAux(rec: ServiceAccountRecord, signers: readonly number[], deviceN: bigint): AuxInfo {
    // the smallest verified group holding every signer (presign reads only the signers' entries), the device named by its modulus
    const index = signers[0]!;
    const want = [SERVICE_PARTY, ...signers];
    const fits = (rec.aux ?? []).filter((a) => want.every((id) => a.parties.some((p) => p.id === id)) && a.parties.some((p) => p.id === index && p.N === deviceN));
    const group = fits.sort((x, y) => x.parties.length - y.parties.length)[0];
    const mine = this.#aux;
    if (!group || !mine?.ringPedersen) return fail('SERVICE_STATE_MISMATCH', `no aux info for the signer group {${want.join(', ')}}: run setupAux first`);
    checkProfile(group.profile, accountProfile(rec)); // an older, weaker group of the index is refused
    return sealAux({ profile: group.profile, self: SERVICE_PARTY, secret: { p: mine.key.p, q: mine.key.q, lambda: mine.ringPedersen.lambda }, parties: group.parties });
  }

  async presignParticipant(account: AccountRef, req: ServiceSignerRequest & { base: TssCheckpoint; deviceN: bigint; shift?: Uint8Array }): Promise<ServiceParticipant<PresignInput, PresignOutput>> {
    const ref = aRef(account);
    await this.#aborts.assertOpen(ref);
    if (typeof req !== 'object' || req === null) fail('INVALID_ARGUMENT', 'req: expected {sid, index, base, deviceN}');
    const device = aSidPart(req.sid);
    const parties = this.#signerParties(req);
    const signers = userSignersOf(req);
    const base = aBase(req.base);
    if (typeof req.deviceN !== 'bigint') fail('INVALID_ARGUMENT', 'deviceN: expected the bigint modulus of the device aux');
    const shift = shiftOf(req.shift);
    const rec = await this.#durable(ref, base, signers);
    const share = rec.confirmed.share;
    let aux: AuxInfo;
    let sid: Uint8Array;
    try {
      aux = this.#signingAux(rec, signers, req.deviceN);
      await this.#assertFresh(ref.key, rec.sids, device);
      sid = await this.#join(ref, 'presign', device, epochDigest(base));
    } catch (e) {
      wipe(share);
      throw e;
    }
    const input: PresignInput = { publicKey: base.commitments[0]!, epoch: base.tssNonce, publicShares: publicSharesAt(base.commitments, [SERVICE_INDEX, ...signers]), share, aux, ...shift };
    return this.#aborts.watch(ref, 'presign', {
      id: SERVICE_PARTY,
      owns: [SERVICE_INDEX],
      input,
      rng: this.#rng,
      session: { sid, threshold: parties.length, parties },
      finish: async (out) => {
        wipe(share);
        await this.#presigs.put(ref.key, bytesToHex(sid), out.presignature.epoch, out.presignature);
      },
    });
  }

  async signParticipant(account: AccountRef, req: ServiceSignerRequest & { base: TssCheckpoint; presignSid: Uint8Array; digest: Uint8Array; shift?: Uint8Array }): Promise<ServiceParticipant<SignInput, SignOutput>> {
    const ref = aRef(account);
    await this.#aborts.assertOpen(ref);
    if (typeof req !== 'object' || req === null) fail('INVALID_ARGUMENT', 'req: expected {sid, index, base, presignSid, digest}');
    const device = aSidPart(req.sid);
    const parties = this.#signerParties(req);
    const signers = userSignersOf(req);
    const key = bytesToHex(abytes(req.presignSid, 'presignSid'));
    // Taken (atomically, across nodes for a shared store) before anything else: single use, even if
    // the session fails. A refusal before the session exists puts it back (nothing changed), unless it
    // is of an epoch older than the durable one (burned: it can never be used).
    const presignature = await this.#presigs.take(ref.key, key);
    if (!presignature) return fail('NOT_FOUND', 'no presignature of this session at the service (used, or never made)');
    let sid: Uint8Array;
    let base: TssCheckpoint;
    let digest: Uint8Array;
    let shift: { shift?: Uint8Array };
    let burned = false;
    try {
      base = aBase(req.base);
      digest = abytes(req.digest, 'digest', 32).slice();
      shift = shiftOf(req.shift);
      const rec = await this.#durable(ref, base, signers); // reconciling burns presignatures of older epochs
      wipe(rec.confirmed.share);
      try {
        checkSignBinding(presignature, { index: req.index, signers, publicKey: base.commitments[0]!, epoch: base.tssNonce, shift: shift.shift ?? ZERO_SHIFT });
      } catch (e) {
        // `base` is the durable epoch here: a half of an older one can never be used again
        if (presignature.epoch < base.tssNonce) {
          burned = true;
          if (!presignature.consumed) presignature.consume();
        }
        throw e;
      }
      await this.#assertFresh(ref.key, rec.sids, device);
      sid = await this.#join(ref, 'sign', device, epochDigest(base));
    } catch (e) {
      if (!burned && !presignature.consumed) await this.#presigs.put(ref.key, key, presignature.epoch, presignature).catch(() => undefined);
      throw e;
    }
    return this.#aborts.watch(ref, 'sign', {
      id: SERVICE_PARTY,
      owns: [SERVICE_INDEX],
      input: { presignature, digest, publicKey: base.commitments[0]!, epoch: base.tssNonce, ...shift },
      rng: this.#rng,
      session: { sid, threshold: parties.length, parties },
      finish: async () => undefined,
    });
  }

  /**
   * The online sign in ONE request (`sign-online.ts`) and ONE durable commit. Under the account
   * lock, on one read of the record: the abort lock, reconcile only when a refresh is staged, the
   * durable checkpoint (re-read only when the account's storage nonce moved), the signer set,
   * the device sid part fresh; then the half is taken AND the joint sid registered in one
   * transaction (`PresigStore.takeWithRecord`; across nodes exactly one taker gets a half). Then,
   * outside the lock: the half's binding (refused: put back, or burned if of an older epoch), σ_1,
   * round 2 over the device's partials — a bad partial aborts naming its signer (recorded in the
   * abort history, nothing of the service's revealed) — and the verified signature's σ_1 is the answer.
   */
  async signOnline(account: AccountRef, req: ServiceSignOnlineRequest): Promise<SignOnlineAnswer> {
    const ref = aRef(account);
    if (typeof req !== 'object' || req === null) fail('INVALID_ARGUMENT', 'req: expected {sid, index, base, presignSid, digest, partials}');
    const heldNonce = req.nonce === undefined ? undefined : aInt(req.nonce, 'nonce', 0, Number.MAX_SAFE_INTEGER);
    const device = aSidPart(req.sid);
    const parties = this.#signerParties(req);
    const signers = userSignersOf(req);
    const key = bytesToHex(abytes(req.presignSid, 'presignSid'));
    const base = aBase(req.base);
    const digest = abytes(req.digest, 'digest', 32).slice();
    const shift = shiftOf(req.shift);
    const partials = aPartials(req.partials, signers);
    const { presignature, sid } = await this.#locked(ref.key, async () => {
      let rec = await this.#shares.get(ref.key);
      try {
        assertUnlocked(rec?.aborts, ref.key);
        if (rec?.pending.length) {
          // a refresh is staged: reconcile first (fresh checkpoint), then work on the record it left
          const r = await this.#reconcileIn(ref, rec, await this.#checkpointAt(ref, true));
          if (r.changed) rec = await this.#shares.get(ref.key);
        }
        const { cp: durable, nonce } = await this.#checkpointRead(ref);
        // the device's state is of another storage nonce: it reloads and asks again (nothing taken, nothing registered)
        if (heldNonce !== undefined && nonce !== heldNonce)
          fail('SERVICE_STATE_MISMATCH', `the device's metadata is of storage nonce ${heldNonce}; the account is at ${nonce ?? 'none'}: reload and retry`, { reason: 'stale-nonce', nonce });
        if (!durable || !sameEpoch(durable, base) || !rec?.confirmed || !sameEpoch(rec.confirmed, base))
          fail('SERVICE_STATE_MISMATCH', `the service signs only with the share of the durable epoch (${durable?.tssNonce ?? 'none'}); asked for ${base.tssNonce}`);
        for (const i of signers) checkSigner(i, knownIndices(rec));
        if (signers.length + 1 !== base.commitments.length)
          fail('POLICY_VIOLATION', `the account is ${base.commitments.length}-of-n: a signer set has ${base.commitments.length} parties, the request names ${signers.length + 1}`, { rule: 'signer-set' });
        // the record's seq as it is: the sign's sids go to rows and the record stays unwritten; the fresh service part keeps the joint sid unique
        const joint = jointSid({ kind: 'sign', account: ref.key, context: epochDigest(base), seq: nextSeq(rec.sids), device, service: servicePart(this.#rng) });
        let taken: Presignature | undefined;
        if (this.#sidRows) {
          assertFreshSid(rec.sids, device, joint); // a list from before the rows (frozen)
          this.#prune();
          taken = await this.#presigs.takeRegistering!(ref.key, key, [bytesToHex(device), bytesToHex(joint)], this.#now()); // SID_REUSED: nothing taken
        } else {
          const next: ServiceAccountRecord = { ...rec, sids: registerSid(rec.sids, device, joint) };
          taken = this.#presigs.takeWithRecord ? await this.#presigs.takeWithRecord(ref.key, key, next) : await this.#presigs.take(ref.key, key);
          if (taken && !this.#presigs.takeWithRecord) await this.#shares.put(ref.key, next);
        }
        if (!taken) return fail('NOT_FOUND', 'no presignature of this session at the service (used, or never made)');
        return { presignature: taken, sid: joint };
      } finally {
        if (rec) wipe(...shareBuffers(rec));
      }
    });
    try {
      checkSignBinding(presignature, { index: req.index, signers, publicKey: base.commitments[0]!, epoch: base.tssNonce, shift: shift.shift ?? ZERO_SHIFT });
    } catch (e) {
      // `base` is the durable epoch: a half of an older one can never be used again; otherwise nothing was used
      if (presignature.epoch < base.tssNonce) presignature.consume();
      else await this.#presigs.put(ref.key, key, presignature.epoch, presignature).catch(() => undefined);
      throw e;
    }
    const watched = this.#aborts.watch(ref, 'sign', { id: SERVICE_PARTY, owns: [SERVICE_INDEX], input: null, rng: this.#rng, session: { sid, threshold: parties.length, parties }, finish: async () => undefined });
    const mine = startOnline({ presignature, digest, publicKey: base.commitments[0]!, epoch: base.tssNonce, ...shift }, SERVICE_PARTY, parties, sid); // consumes the half
    try {
      combineOnline(mine, sid, partials); // every partial checked, the signature verified under Y′
    } catch (e) {
      if (e instanceof ProtocolAbort) await watched.aborted?.(e);
      throw e;
    }
    return { sid, partial: mine.payload };
  }

  finalize(account: AccountRef): Promise<ReconcileResult> {
    return this.reconcile(account);
  }

  /** Apply the durable checkpoint to the account's shares (see the module comment). */
  reconcile(account: AccountRef): Promise<ReconcileResult> {
    const ref = aRef(account);
    return this.#locked(ref.key, async () => {
      const rec = await this.#shares.get(ref.key);
      const durable = await this.#checkpointAt(ref, true);
      return (await this.#reconcileIn(ref, rec, durable)).result;
    });
  }

  /** `reconcile` inside the account lock, on `rec` as read (wiped here: the caller reads again if needed). */
  async #reconcileIn(ref: { key: string }, rec: ServiceAccountRecord | undefined, durable: TssCheckpoint | undefined): Promise<{ result: ReconcileResult; changed: boolean }> {
    const result = (r: ServiceAccountRecord | undefined, dropped: number): ReconcileResult => ({
      durable: durable ? { tssNonce: durable.tssNonce } : null,
      confirmed: r?.confirmed?.tssNonce ?? null,
      pending: r?.pending.map((p) => p.tssNonce) ?? [],
      dropped,
    });
    try {
      if (!rec || !durable || rec.pending.length === 0) return { result: result(rec, 0), changed: false };
      const match = rec.pending.find((p) => sameEpoch(p, durable));
      const drop: EpochShare[] = [];
      let confirmed = rec.confirmed;
      if (match) {
        if (confirmed) drop.push(confirmed);
        confirmed = match;
      }
      const pending: EpochShare[] = [];
      for (const p of rec.pending) {
        if (p === match) continue;
        if (p.tssNonce <= durable.tssNonce) drop.push(p);
        else pending.push(p);
      }
      if (confirmed) await this.#presigs.dropBelow(ref.key, confirmed.tssNonce); // burn halves of older epochs
      if (drop.length === 0 && confirmed === rec.confirmed) return { result: result(rec, 0), changed: false };
      const next: ServiceAccountRecord = { ...rec, confirmed, pending };
      await this.#shares.put(ref.key, next);
      return { result: result(next, drop.length), changed: true };
    } finally {
      if (rec) wipe(...shareBuffers(rec));
    }
  }

  /**
   * The account's durable checkpoint through the metadata view. Not `fresh`: the one read last time
   * when the account's storage nonce (read first) is unchanged — every batch bumps it, so nothing was
   * committed since (the sign path: no checkpoint decryption and verification per request).
   */
  async #checkpointAt(ref: { pub: Point; tag: string; key: string }, fresh = false): Promise<TssCheckpoint | undefined> {
    return (await this.#checkpointRead(ref, fresh)).cp;
  }

  /** `#checkpointAt` with the storage nonce read before it (null: the account has none). */
  async #checkpointRead(ref: { pub: Point; tag: string; key: string }, fresh = false): Promise<{ cp: TssCheckpoint | undefined; nonce: number | null }> {
    const nonce = await this.#storage.getNonce(pointToHex(ref.pub, true));
    const hit = this.#checkpoints.get(ref.key);
    if (!fresh && nonce !== null && hit?.nonce === nonce) return { cp: hit.cp, nonce };
    const cp = await readCheckpoint(this.#storage, this.#key, this.#pub, ref.pub, ref.tag);
    if (nonce !== null) remember(this.#checkpoints, ref.key, { nonce, cp });
    return { cp, nonce };
  }

  /**
   * Reconcile every account that has pending shares (an operator's periodic job). With
   * `abandonAfterMs`, pending shares staged longer ago than that which are still not durable are
   * fenced off (`#fence`) and dropped: the device can no longer make them durable, so dropping
   * them cannot lock anyone out, and no staged share lingers forever.
   */
  async sweep(opts: { abandonAfterMs?: number } = {}): Promise<{ accounts: number; dropped: number }> {
    let accounts = 0;
    let dropped = 0;
    for (const key of await this.#shares.accounts()) {
      const rec = await this.#shares.get(key);
      if (!rec || rec.pending.length === 0) continue;
      accounts++;
      const ref = { metadataPub: rec.metadataPub, tssTag: rec.tssTag };
      wipe(...shareBuffers(rec));
      dropped += (await this.reconcile(ref)).dropped;
      if (opts.abandonAfterMs !== undefined) dropped += await this.#fence(aRef(ref), opts.abandonAfterMs);
    }
    return { accounts, dropped };
  }

  /**
   * Fence off stale pending shares: commit, on the account's current storage nonce, the fence
   * record listing their epochs (a never-created account: on nonce null, so its creation batch can
   * never land). Only if that commit succeeds are the shares dropped; a StorageConflict means the
   * device just committed something — reconcile decides next time.
   */
  #fence(ref: { pub: Point; tag: string; key: string }, abandonAfterMs: number): Promise<number> {
    return this.#locked(ref.key, async () => {
      const rec = await this.#shares.get(ref.key);
      if (!rec) return 0;
      const cutoff = this.#now() - abandonAfterMs;
      const stale = rec.pending.filter((p) => p.stagedAt <= cutoff);
      if (stale.length === 0) return 0;
      const account = pointToHex(ref.pub, true);
      const base = await this.#storage.getNonce(account);
      if ((base === null) !== (rec.confirmed === null)) return 0; // the account was created meanwhile, or vanished: leave it to reconcile
      const abandoned = [...new Set([...rec.abandoned, ...stale.map((p) => epochDigest(p))])];
      try {
        // the fence: owned and signed by the service identity key, encrypted to G·k_m; the batch
        // co-signed by the service identity key (a trusted batch signer of the server)
        const nowS = Math.floor(this.#now() / 1000);
        const value = encodeRecord(ref.pub, { abandoned }, this.#rng);
        const batch = { account, baseNonce: base, nonce: (base ?? 0) + 1, writes: [{ address: fenceAddress(this.#pub, ref.pub, ref.tag), value, auth: signWrite(this.#key, value, nowS) }] };
        await this.#storage.commit({ ...batch, auth: signBatch(batch, this.#key, nowS) });
      } catch (e) {
        if (isTkeyTssError(e) && e.kind === 'StorageConflict') return 0;
        throw e;
      }
      const pending = rec.pending.filter((p) => !stale.includes(p));
      if (rec.confirmed === null && pending.length === 0) await this.#shares.delete(ref.key);
      else await this.#shares.put(ref.key, { ...rec, pending, abandoned });
      wipe(...stale.map((p) => p.share));
      return stale.length;
    });
  }

  toJSON(): unknown {
    return { identityPub: bytesToHex(this.identityPub), identityKey: '<redacted>' };
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `ServiceParty(${bytesToHex(this.identityPub)}, key redacted)`;
  }
}

