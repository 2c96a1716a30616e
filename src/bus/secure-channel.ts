/**
 * The secure channel between two nodes (DESIGN §6): every envelope that crosses a transport is
 * sealed here, every frame that arrives is opened here — or refused with a typed error naming the
 * sender.
 *
 * Each node has a long-term secp256k1 identity key. For two nodes A, B and a session id `sid`:
 *
 *   Z          = x(a·B) = x(b·A)                                     (static-static ECDH, 32 bytes)
 *   K_{A→B}    = HKDF-SHA256(ikm = Z, salt = SHA-256("tkey-tss/bus/v1/salt" ‖ sid),
 *                            info = "tkey-tss/bus/v1/p2p" ‖ A ‖ B, 32)  (A, B: 33-byte compressed)
 *
 * - **Point-to-point** envelopes (`to` ≠ null) are encrypted and authenticated with
 *   XChaCha20-Poly1305 under K_{from-node→to-node}, a fresh random 24-byte nonce `iv`, and
 *   AAD = "tkey-tss/bus/v1/p2p" ‖ u64be(n) ‖ envelopeBytes(envelope with payload = nil).
 * - **Broadcasts** (`to` = null) travel in clear and are signed: ECDSA-secp256k1 (low-s, compact
 *   r‖s) by the sender's identity key over SHA-256("tkey-tss/bus/v1/bc" ‖ u64be(n) ‖
 *   envelopeBytes(envelope)) — every recipient verifies before delivery, and the signature is
 *   transferable evidence of what the sender broadcast.
 * - **Replay protection**: `n` is a per-(sid, direction) counter, starting at 1, bound into the AAD
 *   or signature. The receiver keeps the highest `n` seen per (sid, sender node) and a 64-frame
 *   window; a frame whose `n` was seen, or is older than the window, is refused (`BUS_REPLAY`).
 *   The session layer re-seals what it resends (fresh `n`), so a legitimate resend is never a replay.
 * - Keys are per session (a frame of one sid never opens under another: `BUS_AUTH_FAILED`), and per
 *   direction; random nonces mean a restarted sender cannot reuse a (key, nonce) pair.
 *
 * Properties and limits: mutual authentication of the two identity keys (only their holders can
 * derive K); confidentiality and integrity of p2p payloads; broadcasts authentic and
 * non-repudiable. Not provided: forward secrecy against a later compromise of an identity key
 * (static-static: that key plus a recorded transcript reveals the p2p payloads); resistance to key
 * compromise impersonation; hiding of metadata (sid, protocol, round, party ids, sizes) and of
 * broadcast payloads (public protocol data). Replay state lives in memory: a replay across a restart
 * of the *receiver* is caught by the session layer (a finished or unknown sid) rather than here.
 *
 * Frame (canonical msgpack map, keys sorted):
 *   { body: bin, from: uint, iv: bin24 (p2p only), n: uint, protocol: str, round: uint, sid: bin,
 *     sig: bin64 (broadcast only), to: uint | nil, v: 1 }
 * @module
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { abytes, bytesToHex, concatBytes, equalBytes, utf8ToBytes, wipe } from '../bytes.js';
import { ecdhX, ecdsaSignDigest, ecdsaVerifyDigest, mulG, pointFromBytes, pointToBytes, scalarFromBytes, type Point } from '../curve.js';
import { fail, type ErrorCode, type TkeyTssError } from '../errors.js';
import { sha256 } from '../hash.js';
import { cryptoRng, type Rng } from '../rng.js';
import { decodePayload, encodeMessage, encodePayload, type Envelope, type WirePayload } from './codec.js';
import { CHANNEL_FRAME_LIMITS, HANDSHAKE_LIMITS, MAX_HANDSHAKE_FRAME, PROTOCOL_LIMITS } from './frame-limits.js';
import { peekUint, scanMsgpack, type FrameLimits } from './msgpack-scan.js';

export const FRAME_VERSION = 1;
/** Replay window (frames) per (sid, sender node). */
export const REPLAY_WINDOW = 64;
const MAX_SESSIONS = 4096;

const T_SALT = utf8ToBytes('tkey-tss/bus/v1/salt');
const T_P2P = utf8ToBytes('tkey-tss/bus/v1/p2p');
const T_BC = utf8ToBytes('tkey-tss/bus/v1/bc');
const T_HELLO = utf8ToBytes('tkey-tss/bus/v1/hello');

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
    const x = ecdhX(this.#key, peer);
    const out = new Uint8Array(32);
    let v = x;
    for (let i = 31; i >= 0; i--) {
      out[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return out;
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

/** The secure channel of this node with one peer node. */
export class SecureChannel {
  readonly self: Identity;
  readonly peerPub: Uint8Array;
  readonly #peer: Point;
  readonly #rng: Rng;
  #z: Uint8Array | null;
  readonly #keys = new Map<string, { send: Uint8Array; recv: Uint8Array }>();
  readonly #sendN = new Map<string, number>();
  readonly #recv = new Map<string, Window>();

  constructor(self: Identity | Uint8Array, peerPub: Uint8Array, opts: { rng?: Rng } = {}) {
    this.self = anIdentity(self);
    this.#peer = pointFromBytes(abytes(peerPub, 'peerPub', 33), 'peerPub');
    this.peerPub = pointToBytes(this.#peer, true);
    if (equalBytes(this.peerPub, this.self.publicKey)) fail('INVALID_ARGUMENT', 'peerPub: a channel to oneself');
    this.#rng = opts.rng ?? cryptoRng;
    this.#z = this.self.sharedX(this.#peer);
  }

  #keysFor(sid: Uint8Array): { send: Uint8Array; recv: Uint8Array } {
    const h = bytesToHex(sid);
    let k = this.#keys.get(h);
    if (!k) {
      if (!this.#z) fail('BUS_CLOSED', 'the channel was destroyed');
      const salt = sha256(concatBytes(T_SALT, sid));
      const me = this.self.publicKey;
      const them = this.peerPub;
      k = { send: hkdf(nobleSha256, this.#z, salt, concatBytes(T_P2P, me, them), 32), recv: hkdf(nobleSha256, this.#z, salt, concatBytes(T_P2P, them, me), 32) };
      if (this.#keys.size >= MAX_SESSIONS) this.#evict(this.#keys.keys().next().value!);
      this.#keys.set(h, k);
    }
    return k;
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
    const h = bytesToHex(env.sid);
    const n = (this.#sendN.get(h) ?? 0) + 1;
    if (n === 1 && this.#sendN.size >= MAX_SESSIONS) this.#sendN.delete(this.#sendN.keys().next().value!);
    this.#sendN.set(h, n);
    const head = { from: env.from, n, protocol: env.protocol, round: env.round, sid: env.sid, to: env.to, v: FRAME_VERSION };
    if (env.to === null) {
      const body = encodePayload(env.payload);
      const sig = this.self.signDigest(sha256(concatBytes(T_BC, u64(n), envelopeBytes(env, true))));
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
    const v = decodeCapped(abytes(frame, 'frame'), CHANNEL_FRAME_LIMITS, 'frame', null, peer);
    if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) return refuse('BUS_FRAME_INVALID', 'frame: expected a map', null, peer);
    const f = v as Record<string, WirePayload>;
    const from = f.from;
    const bc = f.to === null;
    const keys = Object.keys(f).sort().join(',');
    const want = bc ? 'body,from,n,protocol,round,sid,sig,to,v' : 'body,from,iv,n,protocol,round,sid,to,v';
    if (keys !== want || f.v !== FRAME_VERSION) return refuse('BUS_FRAME_INVALID', `frame: unexpected fields or version (${keys})`, from, peer);
    const { sid, protocol, round, to, n, body } = f;
    if (
      !(sid instanceof Uint8Array) ||
      sid.length === 0 ||
      typeof protocol !== 'string' ||
      typeof round !== 'number' ||
      round < 0 ||
      typeof from !== 'number' ||
      from < 0 ||
      !(to === null || (typeof to === 'number' && to >= 0)) ||
      typeof n !== 'number' ||
      n < 1 ||
      !(body instanceof Uint8Array)
    ) {
      return refuse('BUS_FRAME_INVALID', 'frame: a field of the wrong type', from, peer);
    }
    const h = bytesToHex(sid);
    const w = this.#recv.get(h) ?? { high: 0, bits: 0n };
    if (n <= w.high && (w.high - n >= REPLAY_WINDOW || (w.bits >> BigInt(w.high - n)) & 1n)) {
      return refuse('BUS_REPLAY', `frame ${n} from party ${from} was already received or is older than the window (highest ${w.high})`, from, peer);
    }
    const head: Envelope = { sid, protocol, round, from, to, payload: null };
    let payload: WirePayload;
    if (bc) {
      const sig = f.sig;
      if (!(sig instanceof Uint8Array) || sig.length !== 64) return refuse('BUS_FRAME_INVALID', 'frame: signature must be 64 bytes', from, peer);
      const p = decodeCapped(body, PROTOCOL_LIMITS, `broadcast from party ${from}: body`, from, peer);
      const digest = sha256(concatBytes(T_BC, u64(n), envelopeBytes({ ...head, payload: p }, true)));
      if (!ecdsaVerifyDigest(sig, digest, this.#peer, { lowS: true })) return refuse('BUS_AUTH_FAILED', `broadcast from party ${from}: the signature does not verify under the peer's identity key`, from, peer);
      payload = p;
    } else {
      const iv = f.iv;
      if (!(iv instanceof Uint8Array) || iv.length !== 24) return refuse('BUS_FRAME_INVALID', 'frame: iv must be 24 bytes', from, peer);
      let pt: Uint8Array;
      try {
        pt = xchacha20poly1305(this.#keysFor(sid).recv, iv, concatBytes(T_P2P, u64(n), envelopeBytes(head, false))).decrypt(body);
      } catch {
        return refuse('BUS_AUTH_FAILED', `p2p frame from party ${from}: authentication failed (tampered, wrong key or wrong session)`, from, peer);
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

  /** Wipe the key material. */
  destroy(): void {
    for (const h of [...this.#keys.keys()]) this.#evict(h);
    if (this.#z) wipe(this.#z);
    this.#z = null;
  }

  toJSON(): unknown {
    return { self: bytesToHex(this.self.publicKey), peer: bytesToHex(this.peerPub), keys: '<redacted>' };
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `SecureChannel(${bytesToHex(this.self.publicKey).slice(0, 16)}… ⇄ ${bytesToHex(this.peerPub).slice(0, 16)}…, keys redacted)`;
  }
}

/** Handshake, server side: the challenge it sends on each new connection. */
export function helloChallenge(self: Identity, rng: Rng = cryptoRng): { frame: Uint8Array; nonce: Uint8Array } {
  const nonce = rng.bytes(32);
  return { frame: encodePayload({ hs: 1, nonce, pub: self.publicKey, v: FRAME_VERSION }), nonce };
}

/** Handshake, client side: answer a challenge (checks it comes from `expectServer` when given). */
export function helloAnswer(self: Identity, challenge: Uint8Array, expectServer?: Uint8Array): { frame: Uint8Array; serverPub: Uint8Array; nonce: Uint8Array } {
  const v = decodePayload(challenge, HANDSHAKE_LIMITS) as Record<string, WirePayload>;
  if (typeof v !== 'object' || v === null || v.hs !== 1 || v.v !== FRAME_VERSION || !(v.nonce instanceof Uint8Array) || v.nonce.length !== 32 || !(v.pub instanceof Uint8Array)) {
    return fail('BUS_FRAME_INVALID', 'handshake: expected a challenge {hs: 1, nonce, pub, v}');
  }
  const serverPub = pointToBytes(pointFromBytes(v.pub, 'server pub'), true);
  if (expectServer && !equalBytes(serverPub, expectServer)) fail('BUS_AUTH_FAILED', 'handshake: the server is not the expected identity', { peer: bytesToHex(serverPub) });
  const sig = self.signDigest(sha256(concatBytes(T_HELLO, v.nonce, serverPub, self.publicKey)));
  return { frame: encodePayload({ hs: 2, pub: self.publicKey, sig, v: FRAME_VERSION }), serverPub, nonce: v.nonce };
}

/** Handshake, server side: check the answer to `nonce`; returns the client's identity key. */
export function helloVerify(self: Identity, nonce: Uint8Array, answer: Uint8Array): Uint8Array {
  let v: Record<string, WirePayload>;
  try {
    v = decodePayload(answer, HANDSHAKE_LIMITS) as Record<string, WirePayload>;
  } catch (e) {
    if ((e as { code?: unknown })?.code === 'BUS_FRAME_TOO_LARGE') throw e;
    return fail('BUS_FRAME_INVALID', 'handshake: not canonical');
  }
  if (typeof v !== 'object' || v === null || v.hs !== 2 || v.v !== FRAME_VERSION || !(v.pub instanceof Uint8Array) || !(v.sig instanceof Uint8Array) || v.sig.length !== 64) {
    return fail('BUS_FRAME_INVALID', 'handshake: expected a hello {hs: 2, pub, sig, v}');
  }
  let pub: Point;
  try {
    pub = pointFromBytes(v.pub, 'client pub');
  } catch {
    return fail('BUS_FRAME_INVALID', 'handshake: the client key is not a valid point');
  }
  const pubBytes = pointToBytes(pub, true);
  if (!ecdsaVerifyDigest(v.sig, sha256(concatBytes(T_HELLO, nonce, self.publicKey, pubBytes)), pub, { lowS: true })) {
    fail('BUS_AUTH_FAILED', 'handshake: the hello signature does not verify', { peer: bytesToHex(pubBytes) });
  }
  return pubBytes;
}

/**
 * Is this frame a handshake frame (a map with an integer `hs`)? Never decodes: frames over
 * `MAX_HANDSHAKE_FRAME` are not, others are scanned under `HANDSHAKE_LIMITS` and `hs` is peeked.
 */
export function isHandshake(frame: Uint8Array): number | null {
  if (!(frame instanceof Uint8Array) || frame.length > MAX_HANDSHAKE_FRAME) return null;
  try {
    scanMsgpack(frame, HANDSHAKE_LIMITS);
  } catch {
    return null;
  }
  return peekUint(frame, 'hs');
}
