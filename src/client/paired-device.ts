/**
 * Two paired devices of one user (`pairing.ts`) signing as two parties over the bus, each with its
 * own share (index a here, b there) — no service, and the key is never assembled. One side drives
 * (`setupAux`, `sign`), the other serves (`serve({approve, auxInput})`: the user confirms there).
 *
 * Control messages ride the paired link under the pairing sid (sealed by the secure channel):
 *
 *   run  := {m: "run", id, op: "aux" | "sign", part: 32 B, req: JSON of the signing request | ""}
 *   go   := {m: "go", id, part: 32 B}            deny := {m: "deny", id, reason}
 *
 * Session ids are joint: sid_op = SHA-256("tkey-tss/pair/run/" ‖ op ‖ pairSid ‖ u32 id ‖ part_driver
 * ‖ part_server), so neither device chooses it alone. `sign` runs a fresh presign (sid_presign) and
 * the one-round sign (sid_sign) on `BusPartyTransport`, the peer a `remoteParticipant` behind the
 * link: whatever the peer sends wrong aborts the session naming its index (`ProtocolAbort.culprits`).
 * The serving side recomputes the digest from the request itself and shows the request to `approve`.
 * `setupAux` runs user-only aux for the group {a, b}; then each device seals ITS OWN part to every
 * factor of its own index and writes it into the group's entry of `tssUserAux:<tag>` (one metadata
 * operation; on a storage conflict it is replayed onto the reloaded state, so the other device's
 * part is kept), tells the other `sealed`, and on the other's `sealed` reloads and checks the group:
 * every factor of a and of b has an entry whose public fingerprint is the session's (the peer's N,
 * s, t as seen in the session). Only then is the aux held and the run reported done; otherwise
 * `PAIRING_AUX_MISMATCH` and this device's part is taken back (no group that looks complete stays).
 *
 *   sealed := {m: "sealed", run: sid_aux}      unsealed := {m: "unsealed", run: sid_aux, reason}
 *
 * A later login with a factor of a (or b) opens its part (`openUserAux`), so a new pairing signs
 * without running aux again.
 * @module
 */
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes, wipe } from '../bytes.js';
import { fail, InternalBug, isTkeyTssError } from '../errors.js';
import { sha256 } from '../hash.js';
import { syncShareMetadata } from '../metadata/refresh.js';
import type { Metadata } from '../metadata/metadata.js';
import type { AccountContext } from '../metadata/context.js';
import { thresholdKeyInternals } from '../metadata/threshold-key.js';
import { factorEncKey, readTss } from '../tss/tss-metadata.js';
import type { WirePayload } from '../bus/codec.js';
import { strictMap, type Schema } from '../bus/frame-schema.js';
import type { Link } from '../bus/session-link.js';
import { signingDigest, type SigningRequest } from '../signature/request.js';
import { aux as auxProtocol, type AuxInput } from '../../protocols/aux/index.js';
import type { AuxInfo } from '../../protocols/aux/types.js';
import { presign, type Presignature, type PresignInput, type PresignOutput } from '../../protocols/presign/index.js';
import { sign as signProtocol, type SignInput, type SignOutput } from '../../protocols/sign/index.js';
import { BusPartyTransport, remoteParticipant, type BusPartyTransportOptions } from './bus-transport.js';
import { freshState, type Core } from './core.js';
import { commitOps, settle } from './metadata-ops.js';
import { checkpointOf, publicSharesAt } from './shares.js';
import { derivationShift, finished, type Signature } from './signing.js';
import type { Participant } from './transport.js';
import { checkUserGroup, groupFingerprint, removeUserGroupPart, sealUserGroup, userGroupKey, writeUserGroupPart } from './user-aux-store.js';

export const PAIR_PROTOCOL = 'pair/v1';
const MAX_REQ = 60_000;

const SCHEMAS = {
  join: { m: { t: 'const', value: 'join' }, index: { t: 'uint', min: 2, max: 0xffff }, key: { t: 'bin', len: 33 }, proof: { t: 'bin', len: 32 } },
  ok: { m: { t: 'const', value: 'ok' }, index: { t: 'uint', min: 2, max: 0xffff } },
  no: { m: { t: 'const', value: 'no' }, reason: { t: 'str', max: 32, re: /^[a-z-]+$/ } },
  run: { m: { t: 'const', value: 'run' }, id: { t: 'uint', max: 0xffff_ffff }, op: { t: 'str', max: 8, re: /^(aux|sign)$/ }, part: { t: 'bin', len: 32 }, req: { t: 'str', max: MAX_REQ } },
  go: { m: { t: 'const', value: 'go' }, id: { t: 'uint', max: 0xffff_ffff }, part: { t: 'bin', len: 32 } },
  deny: { m: { t: 'const', value: 'deny' }, id: { t: 'uint', max: 0xffff_ffff }, reason: { t: 'str', max: 32, re: /^[a-z-]+$/ } },
  sealed: { m: { t: 'const', value: 'sealed' }, run: { t: 'bin', len: 32 } },
  unsealed: { m: { t: 'const', value: 'unsealed' }, run: { t: 'bin', len: 32 }, reason: { t: 'str', max: 32, re: /^[a-z-]+$/ } },
} satisfies Record<string, Schema>;

type SealMsg = { m: 'sealed'; run: Uint8Array } | { m: 'unsealed'; run: Uint8Array; reason: string };
type Kinds = { join: { index: number; key: Uint8Array; proof: Uint8Array }; answer: { m: 'ok'; index: number } | { m: 'no'; reason: string }; run: RunMsg; reply: { m: 'go'; id: number; part: Uint8Array } | { m: 'deny'; id: number; reason: string }; seal: SealMsg };
interface RunMsg {
  id: number;
  op: 'aux' | 'sign';
  part: Uint8Array;
  req: string;
}

/** A pairing control payload of the expected kind, strictly checked (BUS_FRAME_INVALID otherwise). */
export function pairMessage<K extends keyof Kinds>(payload: WirePayload, kind: K): Kinds[K] {
  const m = typeof payload === 'object' && payload !== null && !Array.isArray(payload) && !(payload instanceof Uint8Array) ? (payload as Record<string, WirePayload>)['m'] : undefined;
  const options: Record<keyof Kinds, readonly (keyof typeof SCHEMAS)[]> = { join: ['join'], answer: ['ok', 'no'], run: ['run'], reply: ['go', 'deny'], seal: ['sealed', 'unsealed'] };
  const name = options[kind].find((n) => n === m);
  if (!name) return fail('BUS_FRAME_INVALID', `pairing: expected a ${kind} message`, { sender: null, peer: null });
  return strictMap(payload, SCHEMAS[name], `pairing ${name}`, { sender: null, peer: null }) as unknown as Kinds[K];
}

export function sendPair(link: Link, sid: Uint8Array, payload: WirePayload): void {
  if (!link.send({ sid, protocol: PAIR_PROTOCOL, round: 0, from: 0, to: 0, payload })) fail('BUS_CLOSED', 'the paired device is not connected');
}

/** A signing request as JSON (bytes as {"$b": hex}, bigints as {"$n": decimal}) and back. */
export function requestToJson(req: SigningRequest): string {
  const s = JSON.stringify(req, (_k, v: unknown) => (v instanceof Uint8Array ? { $b: bytesToHex(v) } : typeof v === 'bigint' ? { $n: v.toString() } : v));
  if (s.length > MAX_REQ) fail('PAYLOAD_TOO_LARGE', `signing request: over ${MAX_REQ} characters as JSON`, { limit: 'bytes', max: MAX_REQ });
  return s;
}
export function requestFromJson(s: string): SigningRequest {
  try {
    return JSON.parse(s, (_k, v: unknown) => {
      if (typeof v !== 'object' || v === null) return v;
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && typeof o['$b'] === 'string') return hexToBytes(o['$b']);
      if (keys.length === 1 && typeof o['$n'] === 'string' && /^-?\d{1,80}$/.test(o['$n'])) return BigInt(o['$n']);
      return v;
    }) as SigningRequest;
  } catch (e) {
    if (isTkeyTssError(e)) throw e;
    return fail('INVALID_JSON', 'signing request: not JSON');
  }
}

/** What the serving device is asked to approve. */
export type PairedRequest = { op: 'aux'; peer: number } | { op: 'sign'; peer: number; request: SigningRequest; kind: string; digest: Uint8Array };

export interface ServeOptions {
  /** Show the request to the user; true to take part. */
  approve(r: PairedRequest): boolean | Promise<boolean>;
  /** This device's prepared aux input (needed when the driver runs `setupAux`). */
  auxInput?: AuxInput;
  /** Called with each signature this device co-signed, and with every failed request. */
  onSigned?(sig: Signature): void;
  onError?(e: unknown): void;
}

export interface PairedOptions {
  /** Options of the bus transport the sessions run on (stall timeout…; `hooks` for fault injection in tests). */
  transport?: BusPartyTransportOptions;
  /** Wait this long for the other device to accept a request, and to seal its aux part (ms, default 120 000: a user confirms there). */
  replyMs?: number;
  /**
   * Fault injection (tests): `sealAux` returns what this device seals and writes as its part instead
   * of the session's aux — a device whose stored part does not match the session.
   */
  faults?: { sealAux?(aux: AuxInfo): AuxInfo };
}

interface PairedLink {
  link: Link;
  pairSid: Uint8Array;
  self: number;
  peer: number;
  role: 'host' | 'joiner';
  close(): void | Promise<void>;
}

type Lock = <T>(fn: () => Promise<T>) => Promise<T>;

export class PairedDevice {
  readonly #c: Core;
  readonly #lock: Lock;
  readonly #p: PairedLink;
  readonly #transport: BusPartyTransport;
  readonly #replyMs: number;
  readonly #pending = new Map<number, (m: Kinds['reply']) => void>();
  /** The peer's `sealed`/`unsealed` per aux run (hex sid_aux), registered before the run starts. */
  readonly #seals = new Map<string, { msg?: SealMsg; wake?: (m: SealMsg) => void }>();
  readonly #faults: PairedOptions['faults'];
  #serve: ServeOptions | null = null;
  #nextId = 1;
  #off: () => void;

  /** @internal `startPairing` / `joinPairing` build it. */
  constructor(c: Core, lock: Lock, p: PairedLink, opts: PairedOptions) {
    this.#c = c;
    this.#lock = lock;
    this.#p = p;
    this.#transport = new BusPartyTransport(opts.transport ?? {});
    this.#replyMs = opts.replyMs ?? 120_000;
    this.#faults = opts.faults;
    this.#off = p.link.subscribe(p.pairSid, (env) => {
      if (env.protocol !== PAIR_PROTOCOL) return;
      const m = (env.payload as Record<string, WirePayload> | null)?.['m'];
      try {
        if (m === 'run') void this.#served(pairMessage(env.payload, 'run'));
        else if (m === 'go' || m === 'deny') {
          const r = pairMessage(env.payload, 'reply');
          this.#pending.get(r.id)?.(r);
        } else if (m === 'sealed' || m === 'unsealed') {
          const r = pairMessage(env.payload, 'seal');
          const box = this.#seals.get(bytesToHex(r.run)); // unknown runs are dropped
          if (box && !box.msg) {
            box.msg = r;
            box.wake?.(r);
          }
        }
      } catch (e) {
        this.#serve?.onError?.(e); // malformed control frame: dropped
      }
    });
  }

  /** This device's share index. */
  get index(): number {
    return this.#p.self;
  }
  /** The paired device's share index. */
  get peerIndex(): number {
    return this.#p.peer;
  }
  /** The signer set of the pair (ascending). */
  get signers(): number[] {
    return [this.#p.self, this.#p.peer].sort((a, b) => a - b);
  }

  /** Take part in what the other device asks (until `close`). */
  serve(opts: ServeOptions): void {
    if (typeof opts !== 'object' || opts === null || typeof opts.approve !== 'function') fail('INVALID_ARGUMENT', 'serve: expected {approve(request) → boolean, auxInput?}');
    this.#serve = opts;
  }

  /**
   * Aux info for the group {a, b} (once per pair: afterwards a login with the factor finds it); the
   * other device must `serve` with its `auxInput`. Resolves when both parts are sealed to their
   * factors and the group in the metadata checked; returns the group key ("2,3").
   */
  setupAux(input: AuxInput): Promise<string> {
    return this.#lock(async () => {
      const { sid } = await this.#ask('aux', '');
      return this.#runAux(sid, input);
    });
  }

  /** Sign with this device's share and the paired device's (which must `serve` and approve). */
  sign(request: SigningRequest): Promise<Signature> {
    const { kind, digest } = signingDigest(request); // a bad request is refused before anything is sent
    const req = requestToJson(request);
    return this.#lock(async () => {
      const ctx = await this.#context();
      const { sid } = await this.#ask('sign', req);
      return finished(kind, digest, await this.#runSign(ctx, sid, digest), false);
    });
  }

  /** End the pairing (the link, and at the host the listener). */
  async close(): Promise<void> {
    this.#off();
    this.#serve = null;
    await this.#p.close();
  }

  toJSON(): Record<string, unknown> {
    return { index: this.#p.self, peerIndex: this.#p.peer, role: this.#p.role };
  }

  #sid(op: string, id: number, driverPart: Uint8Array, serverPart: Uint8Array): Uint8Array {
    const idb = new Uint8Array(4);
    new DataView(idb.buffer).setUint32(0, id);
    return sha256(concatBytes(utf8ToBytes(`tkey-tss/pair/run/${op}`), this.#p.pairSid, idb, driverPart, serverPart));
  }

  async #ask(op: 'aux' | 'sign', req: string): Promise<{ id: number; sid: Uint8Array }> {
    const id = this.#nextId++;
    const part = this.#c.rng.bytes(32);
    const reply = new Promise<Kinds['reply']>((res, rej) => {
      const t = setTimeout(() => {
        this.#pending.delete(id);
        rej(new InternalBug(`the paired device (index ${this.#p.peer}) did not answer the ${op} request in time`, { peer: this.#p.peer }, 'BUS_TIMEOUT'));
      }, this.#replyMs);
      this.#pending.set(id, (m) => {
        clearTimeout(t);
        this.#pending.delete(id);
        res(m);
      });
    });
    sendPair(this.#p.link, this.#p.pairSid, { m: 'run', id, op, part, req });
    const r = await reply;
    if (r.m === 'deny') return fail('PAIRING_REFUSED', `the paired device (index ${this.#p.peer}) refused the ${op} request: ${r.reason}`, { reason: r.reason, peer: this.#p.peer });
    return { id, sid: this.#sid(op, id, part, r.part) };
  }

  async #served(run: RunMsg): Promise<void> {
    const deny = (reason: string): void => {
      try {
        sendPair(this.#p.link, this.#p.pairSid, { m: 'deny', id: run.id, reason });
      } catch {
        /* the link is down: the driver times out */
      }
    };
    const s = this.#serve;
    if (!s) return deny('not-serving');
    try {
      let ask: PairedRequest;
      let request: SigningRequest | null = null;
      if (run.op === 'sign') {
        request = requestFromJson(run.req);
        const { kind, digest } = signingDigest(request); // recomputed here: the user approves what is signed
        ask = { op: 'sign', peer: this.#p.peer, request, kind, digest };
      } else {
        if (!s.auxInput) return deny('no-aux-input');
        ask = { op: 'aux', peer: this.#p.peer };
      }
      if ((await s.approve(ask)) !== true) return deny('declined');
      await this.#lock(async () => {
        const ctx = run.op === 'sign' ? await this.#context() : null;
        const part = this.#c.rng.bytes(32);
        const sid = this.#sid(run.op, run.id, run.part, part);
        sendPair(this.#p.link, this.#p.pairSid, { m: 'go', id: run.id, part });
        if (run.op === 'aux') await this.#runAux(sid, s.auxInput!);
        else {
          const { kind, digest } = signingDigest(request!);
          const sig = finished(kind, digest, await this.#runSign(ctx!, sid, digest), false);
          s.onSigned?.(sig);
        }
      });
    } catch (e) {
      if (isTkeyTssError(e, 'INVALID_JSON') || isTkeyTssError(e, 'INVALID_ARGUMENT') || isTkeyTssError(e, 'RAW_DIGEST_REFUSED')) deny('bad-request');
      s.onError?.(e);
    }
  }

  #participants<I, O>(input: I, finish: (o: O) => void): Participant<I, O>[] {
    const mine: Participant<I, O> = { id: this.#p.self, owns: [this.#p.self], input, rng: this.#c.rng, finish: async (o) => finish(o) };
    return [mine, remoteParticipant<I, O>(this.#p.link, this.#p.peer, [this.#p.peer])];
  }

  async #runAux(sid: Uint8Array, input: AuxInput): Promise<string> {
    const key = bytesToHex(sid);
    this.#seals.set(key, {}); // before the session: the peer's `sealed` may come before we wait
    try {
      let out: AuxInfo | undefined;
      await this.#transport.run({ protocol: auxProtocol, sid, threshold: 2, participants: this.#participants<AuxInput, AuxInfo>(input, (o) => (out = o)) });
      return await this.#sealPart(sid, out!);
    } finally {
      this.#seals.delete(key);
    }
  }

  /** The peer's seal message of the aux run `sid` (BUS_TIMEOUT after `replyMs`). */
  #peerSeal(sid: Uint8Array): Promise<SealMsg> {
    const box = this.#seals.get(bytesToHex(sid))!;
    if (box.msg) return Promise.resolve(box.msg);
    return new Promise<SealMsg>((res, rej) => {
      const t = setTimeout(() => rej(new InternalBug(`the paired device (index ${this.#p.peer}) did not seal its aux part in time`, { peer: this.#p.peer }, 'BUS_TIMEOUT')), this.#replyMs);
      box.wake = (m) => {
        clearTimeout(t);
        res(m);
      };
    });
  }

  /** One metadata operation on the group's entry (`edit(m, live)`), committed; replayed on a conflict. */
  async #edit(name: string, edit: (m: Metadata, live: ReadonlyMap<string, number>) => void): Promise<void> {
    const c = this.#c;
    const { mutate } = thresholdKeyInternals(c.tk);
    try {
      await mutate(() => ({
        name,
        apply: async (ctx: AccountContext) => {
          const m = ctx.state.requireKey().metadata;
          edit(m, liveFactors(m, c.tssTag));
          await syncShareMetadata(ctx);
        },
      }));
      await commitOps(c.tk, c.conflictAttempts);
    } catch (e) {
      await settle(c.tk, c.tssTag, null).catch(() => undefined);
      throw e;
    }
  }

  /**
   * After the aux session: seal this device's part (index a) to every factor of a, write it into
   * the group {a, b}, exchange `sealed`, reload and check both parts against the session's public
   * fingerprint. Hold the aux only then; on any failure take our part back.
   */
  async #sealPart(sid: Uint8Array, aux: AuxInfo): Promise<string> {
    const c = this.#c;
    const self = this.#p.self;
    const group = userGroupKey(this.signers);
    const pub = groupFingerprint(aux); // from our session output: the peer's N, s, t as we verified them
    const tell = (msg: WirePayload): void => {
      try {
        sendPair(this.#p.link, this.#p.pairSid, msg);
      } catch {
        /* the link is down: the peer times out */
      }
    };
    let wrote = false;
    let written = pub;
    try {
      try {
        await freshState(c);
        const cur = readTss(c.tk.getMetadata(), c.tssTag);
        const mine = cur.factorPubs.filter((p) => cur.factorEncs[factorEncKey(p)]!.tssIndex === self);
        const sealed = this.#faults?.sealAux?.(aux) ?? aux;
        written = groupFingerprint(sealed);
        const entries = sealUserGroup([sealed], () => mine, c.rng); // randomness drawn now: a replay writes the same bytes
        await this.#edit('tss:pairedAux', (m, live) => writeUserGroupPart(m, c.tssTag, group, self, entries, live));
      } catch (e) {
        tell({ m: 'unsealed', run: sid, reason: 'write-failed' }); // the peer stops waiting at once
        throw e;
      }
      wrote = true;
      tell({ m: 'sealed', run: sid });
      const peer = await this.#peerSeal(sid);
      if (peer.m === 'unsealed')
        fail('PAIRING_AUX_MISMATCH', `the paired device (index ${this.#p.peer}) could not seal its aux part (${peer.reason}): the group {${group}} is not set up; run setupAux again`, { reason: 'peer-failed', peer: this.#p.peer, group });
      await freshState(c);
      const m = c.tk.getMetadata();
      const problems = checkUserGroup(m, c.tssTag, group, pub, liveFactors(m, c.tssTag));
      if (problems.length) {
        const p = problems.find((x) => x.index === this.#p.peer) ?? problems[0]!;
        fail(
          'PAIRING_AUX_MISMATCH',
          `the aux group {${group}} in the metadata is not the session's: index ${p.index} has ${p.mismatched} part(s) of other public values and ${p.missing} factor(s) without one; this device's part was taken back — run setupAux again`,
          { reason: p.mismatched ? 'mismatch' : 'missing', peer: this.#p.peer, group, index: p.index },
        );
      }
    } catch (e) {
      if (wrote) await this.#edit('tss:pairedAuxUndo', (m, live) => removeUserGroupPart(m, c.tssTag, group, self, written, live)).catch(() => undefined);
      throw e;
    }
    c.device.holdUserAux(group, aux);
    return group;
  }

  /** The checkpoint, aux and shift a signature of the pair uses (AUX_MISSING before anything is sent). */
  async #context(): Promise<{ base: ReturnType<typeof checkpointOf>; aux: AuxInfo; shift: Uint8Array }> {
    const c = this.#c;
    await freshState(c);
    const base = checkpointOf(c.tk.getMetadata(), c.tssTag);
    if (base.commitments.length !== 2) fail('OUT_OF_RANGE', `two-device signing needs a 2-of-n account (this one is ${base.commitments.length}-of-n)`, { threshold: base.commitments.length });
    c.device.assertCurrent(base.commitments, [this.#p.self]);
    const aux = c.device.userGroupAux(userGroupKey(this.signers), this.#p.self);
    if (!aux) return fail('AUX_MISSING', `no aux info for the signer group {${this.signers.join(', ')}}: run paired.setupAux(prepared aux input) once (the other device serves with its own)`, { indices: this.signers });
    return { base, aux, shift: derivationShift(c, {}, base.commitments[0]!) };
  }

  async #runSign(x: { base: ReturnType<typeof checkpointOf>; aux: AuxInfo; shift: Uint8Array }, sid: Uint8Array, digest: Uint8Array): Promise<SignOutput> {
    const { base, aux, shift } = x;
    const share = this.#c.device.share(this.#p.self).valueBytes();
    let pre: Presignature | undefined;
    try {
      const input: PresignInput = { publicKey: base.commitments[0]!, epoch: base.tssNonce, publicShares: publicSharesAt(base.commitments, this.signers), share, shift, aux };
      await this.#transport.run({ protocol: presign, sid: sha256(concatBytes(sid, utf8ToBytes('/presign'))), threshold: 2, participants: this.#participants<PresignInput, PresignOutput>(input, (o) => (pre = o.presignature)) });
    } finally {
      wipe(share);
    }
    let out: SignOutput | undefined;
    try {
      const input: SignInput = { presignature: pre!, digest, publicKey: base.commitments[0]!, epoch: base.tssNonce, shift };
      await this.#transport.run({ protocol: signProtocol, sid: sha256(concatBytes(sid, utf8ToBytes('/sign'))), threshold: 2, participants: this.#participants<SignInput, SignOutput>(input, (o) => (out = o)) });
    } finally {
      if (pre && !pre.consumed) pre.consume(); // single use, whatever happened
    }
    return out!;
  }
}

/** The account's live factors: factorEncKey → share index. */
function liveFactors(m: Metadata, tssTag: string): Map<string, number> {
  return new Map(Object.entries(readTss(m, tssTag).factorEncs).map(([k, e]) => [k, e.tssIndex]));
}
