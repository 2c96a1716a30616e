/**
 * The secure channel between two nodes (DESIGN §6): every envelope that crosses a transport is
 * sealed here, every frame that arrives is opened here — or refused with a typed error naming the
 * sender. One `SecureChannel` lives exactly as long as one CONNECTION: it is made by the
 * connection handshake (`handshake.ts`) and destroyed when the connection closes.
 *
 * Each node has a long-term secp256k1 identity key (A, B: 33-byte compressed public keys). The
 * handshake of a connection gives both ends its transcript hash `th` (both identity keys and both
 * ephemeral keys of that connection, signed by both identities) and the ephemeral–ephemeral ECDH
 * value. For a session id `sid`:
 *
 *   Z_ee       = x(e_A·E_B) = x(e_B·E_A)                  (per-connection ephemerals, 32 bytes)
 *   Z_ss       = x(a·B) = x(b·A)                          (static-static, 32 bytes)
 *   K_{A→B}    = HKDF-SHA256(ikm = Z_ee ‖ Z_ss, salt = SHA-256("tkey-tss/bus/v2/salt" ‖ sid),
 *                            info = "tkey-tss/bus/v2/p2p" ‖ th ‖ A ‖ B, 32)
 *
 * - **Point-to-point** envelopes (`to` ≠ null) are encrypted and authenticated with
 *   XChaCha20-Poly1305 under K_{from-node→to-node}, a fresh random 24-byte nonce `iv`, and
 *   AAD = "tkey-tss/bus/v2/p2p" ‖ u64be(n) ‖ envelopeBytes(envelope with payload = nil).
 * - **Broadcasts** (`to` = null) travel in clear and are signed: ECDSA-secp256k1 (low-s, compact
 *   r‖s) by the sender's identity key over SHA-256("tkey-tss/bus/v2/bc" ‖ th ‖ u64be(n) ‖
 *   envelopeBytes(envelope)) — every recipient verifies before delivery, and the signature is
 *   transferable evidence of what the sender broadcast (on the connection `th`).
 * - **Replay protection**: `n` is a per-(connection, sid, direction) counter, starting at 1, bound
 *   into the AAD or signature. The receiver keeps the highest `n` seen per sid and a 64-frame
 *   window; a frame whose `n` was seen, or is older than the window, is refused (`BUS_REPLAY`).
 *   Across connections no window is needed: a frame of another connection does not open at all
 *   (another key, another `th` under the signature: `BUS_AUTH_FAILED`). The session layer re-seals
 *   what it resends (fresh `n`, the current connection's keys), so a legitimate resend is never a
 *   replay.
 * - Keys are per connection, per session (a frame of one sid never opens under another:
 *   `BUS_AUTH_FAILED`) and per direction; random nonces mean a restarted sender cannot reuse a
 *   (key, nonce) pair.
 *
 * Why Z_ss is kept in the ikm: forward secrecy comes from Z_ee alone; Z_ss adds a hedge — if an
 * ephemeral secret leaks or an RNG fails (a predictable e), the keys still need an identity key,
 * so the channel falls back to the static-static guarantees instead of to nothing; it also makes
 * the keys implicitly authenticated on top of the handshake signatures. It costs one ECDH per
 * connection.
 *
 * Properties and limits: mutual authentication of the two identity keys (signed handshake;
 * only their holders reach K); confidentiality and integrity of p2p payloads; broadcasts authentic
 * and non-repudiable; **forward secrecy**: e_A, e_B are wiped right after the handshake and Z_ee
 * with every derived key when the connection closes, so a later compromise of BOTH identity keys
 * does not open a recorded transcript; key-compromise impersonation is resisted (impersonating B
 * to A needs B's signature over A's fresh ephemeral). Not provided: protection of a connection
 * that is live while its end is compromised (the keys are in that process's memory; JS bigints
 * made transiently during the ECDH cannot be zeroed, only dropped); post-compromise security
 * within one connection (no ratchet: a long-lived connection keeps its keys until it closes);
 * identity hiding (identity keys travel in clear in the handshake); hiding of metadata (sid,
 * protocol, round, party ids, sizes) and of broadcast payloads (public protocol data).
 *
 * Frame (canonical msgpack map, keys sorted; `frame-schema.ts` checks it strictly):
 *   { body: bin, from: uint, iv: bin24 (p2p only), n: uint, protocol: str, round: uint, sid: bin,
 *     sig: bin64 (broadcast only), to: uint | nil, v: 2 }
 * `open` scans it under `CHANNEL_FRAME_LIMITS` and the payload under `PROTOCOL_LIMITS` before
 * msgpackr decodes either (`frame-limits.ts`: a cap hit is `BUS_FRAME_TOO_LARGE`), then checks the
 * frame's schema.
 * @module
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { abytes, bytesToHex, concatBytes, equalBytes, numberToBytesBE, utf8ToBytes, wipe } from '../bytes.js';
import { ecdhX, ecdsaSignDigest, ecdsaVerifyDigest, mulG, pointFromBytes, pointToBytes, scalarFromBytes, type Point } from '../curve.js';
import { fail, type ErrorCode, type TkeyTssError } from '../errors.js';
import { sha256 } from '../hash.js';
import { cryptoRng, type Rng } from '../rng.js';
import { decodePayload, encodeMessage, encodePayload, type Envelope, type WirePayload } from './codec.js';
import { CHANNEL_FRAME_LIMITS, PROTOCOL_LIMITS } from './frame-limits.js';
import { strictMap, U32, type Schema } from './frame-schema.js';
import type { FrameLimits } from './msgpack-scan.js';

/** Version of every bus frame and handshake frame (2: per-connection ephemeral keys). */
export const FRAME_VERSION = 2;
/** Replay window (frames) per (sid, sender node). */
export const REPLAY_WINDOW = 64;
/** Largest sid (bytes) and protocol name (characters) a frame may carry. */
export const MAX_SID = 1024;
export const MAX_PROTOCOL = 64;
const MAX_SESSIONS = 4096;

const T_SALT = utf8ToBytes('tkey-tss/bus/v2/salt');
const T_P2P = utf8ToBytes('tkey-tss/bus/v2/p2p');
const T_BC = utf8ToBytes('tkey-tss/bus/v2/bc');

const HEAD: Schema = {
  body: { t: 'bin' },
  from: { t: 'uint', max: U32 },
  n: { t: 'uint', min: 1 },
  protocol: { t: 'str', max: MAX_PROTOCOL },
  round: { t: 'uint', max: U32 },
  sid: { t: 'bin', min: 1, max: MAX_SID },
  v: { t: 'const', value: FRAME_VERSION },
};
/** A point-to-point frame: the header, `iv`, `to` a party id. */
const P2P_FRAME: Schema = { ...HEAD, iv: { t: 'bin', len: 24 }, to: { t: 'uint', max: U32 } };
/** A broadcast frame: the header, `sig`, `to` nil. */
const BC_FRAME: Schema = { ...HEAD, sig: { t: 'bin', len: 64 }, to: { t: 'const', value: null } };

function u64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
}

/** A node's long-term identity: a secp256k1 key. Redacts itself. */
export class Identity {
  readonly #key: bigint;
  readonly publicKey: Uint8Array;
  readonly point: Point;
  constructor(secret: Uint8Array) {
    this.#key = scalarFromBytes(abytes(secret, 'identityKey', 32), 'identityKey');
    this.point = mulG(this.#key);
    this.publicKey = pointToBytes(this.point, true);
  }
  /** @internal ECDH x-coordinate with a peer (32 bytes). */
  sharedX(peer: Point): Uint8Array {
    return numberToBytesBE(ecdhX(this.#key, peer), 32);
  }
  /** ECDSA (low-s, compact) over a 32-byte digest. */
  signDigest(digest: Uint8Array): Uint8Array {
    return ecdsaSignDigest(digest, this.#key);
  }
  toJSON(): unknown {
    return { publicKey: bytesToHex(this.publicKey), key: '<redacted>' };
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Identity(${bytesToHex(this.publicKey)}, key redacted)`;
  }
}

/** Coerce a 32-byte secret or an Identity. */
export function anIdentity(k: Identity | Uint8Array, title = 'identityKey'): Identity {
  if (k instanceof Identity) return k;
  return new Identity(abytes(k, title, 32));
}

function refuse(code: ErrorCode, message: string, sender: unknown, peer: Uint8Array, more?: Record<string, unknown>): never {
  return fail(code, message, { ...more, sender: typeof sender === 'number' ? sender : null, peer: bytesToHex(peer) });
}

/** Is `e` a refused frame (auth, replay, malformed, over a cap)? */
export function isRefusedFrame(e: unknown): e is TkeyTssError {
  const c = (e as { code?: unknown })?.code;
  return c === 'BUS_AUTH_FAILED' || c === 'BUS_REPLAY' || c === 'BUS_FRAME_INVALID' || c === 'BUS_FRAME_TOO_LARGE';
}

/** decodePayload under `limits`; a cap hit stays BUS_FRAME_TOO_LARGE (with its details), anything else is BUS_FRAME_INVALID. */
function decodeCapped(b: Uint8Array, limits: FrameLimits, what: string, sender: unknown, peer: Uint8Array): WirePayload {
  try {
    return decodePayload(b, limits);
  } catch (e) {
    if ((e as { code?: unknown })?.code === 'BUS_FRAME_TOO_LARGE') return refuse('BUS_FRAME_TOO_LARGE', `${what}: ${(e as Error).message}`, sender, peer, (e as TkeyTssError).details);
    return refuse('BUS_FRAME_INVALID', `${what}: not canonical MessagePack`, sender, peer);
  }
}

interface Window {
  high: number;
  /** bit i set: frame (high − i) seen, i < REPLAY_WINDOW */
  bits: bigint;
}

/** The envelope bytes an AAD or a signature covers. */
function envelopeBytes(env: Envelope, withPayload: boolean): Uint8Array {
  return encodeMessage(withPayload ? env : { ...env, payload: null });
}

/** What the handshake of one connection hands the channel. */
export interface ConnectionSecret {
  /** th: the connection's transcript hash (public; 32 bytes). */
  transcript: Uint8Array;
  /** Z_ee = x(e_self·E_peer) (32 bytes, secret): the channel takes it over and wipes it. */
  ee: Uint8Array;
}

/** The secure channel of this node with one peer node, for one connection. */
export class SecureChannel {
  readonly self: Identity;
  readonly peerPub: Uint8Array;
  /** th of the connection this channel belongs to (public). */
  readonly transcript: Uint8Array;
  readonly #peer: Point;
  readonly #rng: Rng;
  /** Z_ee ‖ Z_ss; null once destroyed. */
  #ikm: Uint8Array | null;
  readonly #keys = new Map<string, { send: Uint8Array; recv: Uint8Array }>();
  readonly #sendN = new Map<string, number>();
  readonly #recv = new Map<string, Window>();

  /** @internal made by the connection handshake (`handshake.ts`). */
  constructor(self: Identity | Uint8Array, peerPub: Uint8Array, conn: ConnectionSecret, opts: { rng?: Rng } = {}) {
    this.self = anIdentity(self);
    this.#peer = pointFromBytes(abytes(peerPub, 'peerPub', 33), 'peerPub');
    this.peerPub = pointToBytes(this.#peer, true);
    if (equalBytes(this.peerPub, this.self.publicKey)) fail('INVALID_ARGUMENT', 'peerPub: a channel to oneself');
    if (typeof conn !== 'object' || conn === null) fail('INVALID_ARGUMENT', 'conn: expected {transcript, ee}');
    this.transcript = abytes(conn.transcript, 'conn.transcript', 32).slice();
    const ee = abytes(conn.ee, 'conn.ee', 32);
    const ss = this.self.sharedX(this.#peer);
    this.#ikm = concatBytes(ee, ss);
    wipe(ee, ss);
    this.#rng = opts.rng ?? cryptoRng;
  }

  /** Has the channel been destroyed (its connection closed)? */
  get destroyed(): boolean {
    return this.#ikm === null;
  }

  #keysFor(sid: Uint8Array): { send: Uint8Array; recv: Uint8Array } {
    const h = bytesToHex(sid);
    let k = this.#keys.get(h);
    if (!k) {
      const ikm = this.#live();
      const salt = sha256(concatBytes(T_SALT, sid));
      const me = this.self.publicKey;
      const them = this.peerPub;
      k = {
        send: hkdf(nobleSha256, ikm, salt, concatBytes(T_P2P, this.transcript, me, them), 32),
        recv: hkdf(nobleSha256, ikm, salt, concatBytes(T_P2P, this.transcript, them, me), 32),
      };
      if (this.#keys.size >= MAX_SESSIONS) this.#evict(this.#keys.keys().next().value!);
      this.#keys.set(h, k);
    }
    return k;
  }

  #live(): Uint8Array {
    if (!this.#ikm) return fail('BUS_CLOSED', 'the channel was destroyed (its connection closed)');
    return this.#ikm;
  }

  #evict(h: string): void {
    const k = this.#keys.get(h);
    if (k) wipe(k.send, k.recv);
    this.#keys.delete(h);
  }

  /** Forget a finished session's keys (its counters stay, so its frames remain replays). */
  forget(sid: Uint8Array): void {
    this.#evict(bytesToHex(sid));
  }

  /** Seal one envelope into a frame (fresh counter). */
  seal(env: Envelope): Uint8Array {
    if (typeof env !== 'object' || env === null) fail('INVALID_ARGUMENT', 'envelope: expected an object');
    abytes(env.sid, 'envelope.sid');
    this.#live();
    const h = bytesToHex(env.sid);
    const n = (this.#sendN.get(h) ?? 0) + 1;
    if (n === 1 && this.#sendN.size >= MAX_SESSIONS) this.#sendN.delete(this.#sendN.keys().next().value!);
    this.#sendN.set(h, n);
    const head = { from: env.from, n, protocol: env.protocol, round: env.round, sid: env.sid, to: env.to, v: FRAME_VERSION };
    if (env.to === null) {
      const body = encodePayload(env.payload);
      const sig = this.self.signDigest(sha256(concatBytes(T_BC, this.transcript, u64(n), envelopeBytes(env, true))));
      return encodePayload({ ...head, body, sig });
    }
    const iv = this.#rng.bytes(24);
    const aad = concatBytes(T_P2P, u64(n), envelopeBytes(env, false));
    const body = xchacha20poly1305(this.#keysFor(env.sid).send, iv, aad).encrypt(encodePayload(env.payload));
    return encodePayload({ ...head, body, iv });
  }

  /** Open a frame: the envelope, or a typed refusal naming the sender (BUS_FRAME_INVALID, BUS_FRAME_TOO_LARGE, BUS_AUTH_FAILED, BUS_REPLAY). */
  open(frame: Uint8Array): Envelope {
    const peer = this.peerPub;
    this.#live();
    // A: capped decode (scanned under CHANNEL_FRAME_LIMITS before msgpackr); B: strict schema on the result
    const v = decodeCapped(abytes(frame, 'frame'), CHANNEL_FRAME_LIMITS, 'frame', null, peer);
    const claimed = typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) ? Object.getOwnPropertyDescriptor(v, 'from')?.value : undefined;
    const bc = typeof v === 'object' && v !== null && Object.getOwnPropertyDescriptor(v, 'to')?.value === null;
    const f = strictMap(v, bc ? BC_FRAME : P2P_FRAME, bc ? 'broadcast frame' : 'p2p frame', { sender: typeof claimed === 'number' ? claimed : null, peer: bytesToHex(peer) });
    const sid = f.sid as Uint8Array;
    const protocol = f.protocol as string;
    const round = f.round as number;
    const from = f.from as number;
    const to = f.to as number | null;
    const n = f.n as number;
    const body = f.body as Uint8Array;
    const h = bytesToHex(sid);
    const w = this.#recv.get(h) ?? { high: 0, bits: 0n };
    if (n <= w.high && (w.high - n >= REPLAY_WINDOW || (w.bits >> BigInt(w.high - n)) & 1n)) {
      return refuse('BUS_REPLAY', `frame ${n} from party ${from} was already received or is older than the window (highest ${w.high})`, from, peer);
    }
    const head: Envelope = { sid, protocol, round, from, to, payload: null };
    let payload: WirePayload;
    if (bc) {
      const sig = f.sig as Uint8Array;
      const p = decodeCapped(body, PROTOCOL_LIMITS, `broadcast from party ${from}: body`, from, peer);
      const digest = sha256(concatBytes(T_BC, this.transcript, u64(n), envelopeBytes({ ...head, payload: p }, true)));
      if (!ecdsaVerifyDigest(sig, digest, this.#peer, { lowS: true })) {
        return refuse('BUS_AUTH_FAILED', `broadcast from party ${from}: the signature does not verify under the peer's identity key on this connection`, from, peer);
      }
      payload = p;
    } else {
      const iv = f.iv as Uint8Array;
      let pt: Uint8Array;
      try {
        pt = xchacha20poly1305(this.#keysFor(sid).recv, iv, concatBytes(T_P2P, u64(n), envelopeBytes(head, false))).decrypt(body);
      } catch {
        return refuse('BUS_AUTH_FAILED', `p2p frame from party ${from}: authentication failed (tampered, wrong key, wrong session or another connection)`, from, peer);
      }
      payload = decodeCapped(pt, PROTOCOL_LIMITS, `p2p frame from party ${from}: payload`, from, peer);
    }
    // authentic: record the counter
    if (n > w.high) {
      const shift = n - w.high;
      w.bits = shift >= REPLAY_WINDOW ? 1n : ((w.bits << BigInt(shift)) | 1n) & ((1n << BigInt(REPLAY_WINDOW)) - 1n);
      w.high = n;
    } else {
      w.bits |= 1n << BigInt(w.high - n);
    }
    if (!this.#recv.has(h)) {
      if (this.#recv.size >= MAX_SESSIONS) this.#recv.delete(this.#recv.keys().next().value!);
      this.#recv.set(h, w);
    }
    return { ...head, payload };
  }

  /** Wipe the key material (the connection closed): nothing seals or opens afterwards. */
  destroy(): void {
    for (const h of [...this.#keys.keys()]) this.#evict(h);
    if (this.#ikm) wipe(this.#ikm);
    this.#ikm = null;
  }

  toJSON(): unknown {
    return { self: bytesToHex(this.self.publicKey), peer: bytesToHex(this.peerPub), transcript: bytesToHex(this.transcript), keys: '<redacted>' };
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `SecureChannel(${bytesToHex(this.self.publicKey).slice(0, 16)}… ⇄ ${bytesToHex(this.peerPub).slice(0, 16)}…, keys redacted)`;
  }
}
