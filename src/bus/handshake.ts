/**
 * The connection handshake: on every (re)connection the two nodes run a signed ephemeral
 * Diffie–Hellman exchange that authenticates both identity keys and yields the connection's
 * `SecureChannel` (`secure-channel.ts`). Server S (accepts), client C (dials); S, C the 33-byte
 * identity keys, E_S, E_C fresh per-connection ephemeral secp256k1 keys:
 *
 *   hs1  S → C   {e: E_S, hs: 1, pub: S, v: 2}
 *   hs2  C → S   {e: E_C, hs: 2, pub: C, sig: σ_C, v: 2}
 *   hs3  S → C   {hs: 3, sig: σ_S, v: 2}
 *
 *   th  = SHA-256("tkey-tss/bus/v2/handshake" ‖ S ‖ C ‖ E_S ‖ E_C)
 *   σ_C = ECDSA_c(SHA-256("tkey-tss/bus/v2/hello/client" ‖ th))      (low-s, compact, RFC 6979)
 *   σ_S = ECDSA_s(SHA-256("tkey-tss/bus/v2/hello/server" ‖ th))
 *   Z_ee = x(e_S·E_C) = x(e_C·E_S)  → the channel keys (see `secure-channel.ts`)
 *
 * This is the signed-Diffie–Hellman of ISO/IEC 9798-3 as analysed in SIGMA (Krawczyk 2003) and
 * Canetti–Krawczyk 2001: each side signs BOTH ephemerals and BOTH identities (inside th) under a
 * role label. Why this shape: the nodes already have ECDSA identity keys (the broadcast signatures
 * need them), the server speaks first (its challenge was already the first frame), and identity
 * protection — the reason SIGMA proper moves the identities under a MAC — is not wanted here (the
 * identity keys travel in clear and are public configuration). Signing both identities prevents
 * unknown-key-share / identity misbinding without SIGMA's MAC; the role labels prevent reflecting a
 * signature back; the peer's fresh ephemeral inside the signed th is the challenge, so a recorded
 * hs2 or hs3 never verifies on another connection. Noise XX/IK were the alternative: they would
 * need static Diffie–Hellman for authentication (no signatures), which gives deniability we do not
 * need and a second key type per node. The client sends nothing sealed before it has verified σ_S.
 *
 * Each ephemeral secret is wiped right after its one key agreement; Z_ee lives in the channel and is
 * wiped when the connection closes. Every handshake frame is decoded strictly (`frame-schema.ts`):
 * exact keys, types, sizes — anything else is `BUS_FRAME_INVALID`; a signature or identity that
 * does not check is `BUS_AUTH_FAILED` naming the claimed peer (`details.peer`). Before that, each is
 * scanned under `HANDSHAKE_LIMITS` (`frame-limits.ts`: 1 KiB, 64 values, depth 4; the frames above
 * are 60–160 bytes, ≤ 11 values, depth 1): over a cap it is `BUS_FRAME_TOO_LARGE`, never decoded.
 * @module
 */
import { abytes, bytesToHex, concatBytes, equalBytes, numberToBytesBE, utf8ToBytes, wipe } from '../bytes.js';
import { ecdhX, ecdsaVerifyDigest, mulG, pointFromBytes, pointToBytes, randomScalar, scalarFromBytes, scalarToBytes, type Point } from '../curve.js';
import { fail, isTkeyTssError } from '../errors.js';
import { sha256 } from '../hash.js';
import { cryptoRng, type Rng } from '../rng.js';
import { decodePayload, encodePayload, type WirePayload } from './codec.js';
import { HANDSHAKE_LIMITS, MAX_HANDSHAKE_FRAME } from './frame-limits.js';
import { strictMap, type Blame, type Schema } from './frame-schema.js';
import { peekHasKey, peekUint, scanMsgpack } from './msgpack-scan.js';
import { FRAME_VERSION, SecureChannel, type Identity } from './secure-channel.js';

const T_HS = utf8ToBytes('tkey-tss/bus/v2/handshake');
const T_SIG_CLIENT = utf8ToBytes('tkey-tss/bus/v2/hello/client');
const T_SIG_SERVER = utf8ToBytes('tkey-tss/bus/v2/hello/server');

const HS1: Schema = { e: { t: 'bin', len: 33 }, hs: { t: 'const', value: 1 }, pub: { t: 'bin', len: 33 }, v: { t: 'const', value: FRAME_VERSION } };
const HS2: Schema = { e: { t: 'bin', len: 33 }, hs: { t: 'const', value: 2 }, pub: { t: 'bin', len: 33 }, sig: { t: 'bin', len: 64 }, v: { t: 'const', value: FRAME_VERSION } };
const HS3: Schema = { hs: { t: 'const', value: 3 }, sig: { t: 'bin', len: 64 }, v: { t: 'const', value: FRAME_VERSION } };

/** th = SHA-256("tkey-tss/bus/v2/handshake" ‖ S ‖ C ‖ E_S ‖ E_C) (all 33-byte compressed points). */
export function transcriptHash(serverPub: Uint8Array, clientPub: Uint8Array, serverEph: Uint8Array, clientEph: Uint8Array): Uint8Array {
  return sha256(concatBytes(T_HS, abytes(serverPub, 'serverPub', 33), abytes(clientPub, 'clientPub', 33), abytes(serverEph, 'serverEph', 33), abytes(clientEph, 'clientEph', 33)));
}

/** A per-connection ephemeral secp256k1 key. The secret is wiped after its one key agreement (or by `wipe`). Redacts itself. */
export class EphemeralKey {
  #secret: Uint8Array | null;
  readonly publicKey: Uint8Array;
  constructor(rng: Rng = cryptoRng) {
    this.#secret = scalarToBytes(randomScalar(rng));
    this.publicKey = pointToBytes(mulG(scalarFromBytes(this.#secret, 'ephemeral')), true);
  }
  /** Z = x(e·P) (32 bytes); the secret e is wiped at once (one agreement per ephemeral). */
  agree(peer: Point): Uint8Array {
    if (!this.#secret) return fail('BUS_CLOSED', 'the ephemeral key was already used or wiped');
    try {
      return numberToBytesBE(ecdhX(scalarFromBytes(this.#secret, 'ephemeral'), peer), 32);
    } finally {
      this.wipe();
    }
  }
  wipe(): void {
    if (this.#secret) wipe(this.#secret);
    this.#secret = null;
  }
  get wiped(): boolean {
    return this.#secret === null;
  }
  toJSON(): unknown {
    return { publicKey: bytesToHex(this.publicKey), secret: '<redacted>' };
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `EphemeralKey(${bytesToHex(this.publicKey)}, secret redacted)`;
  }
}

/**
 * Decoded handshake frame: scanned under `HANDSHAKE_LIMITS` before msgpackr sees it (a cap hit
 * stays `BUS_FRAME_TOO_LARGE` with its details), then the strict schema (null-prototype copy of
 * the known keys).
 */
function decodeHs(frame: Uint8Array, schema: Schema, what: string, blame: Blame): Record<string, WirePayload> {
  let v: WirePayload;
  try {
    v = decodePayload(abytes(frame, 'frame'), HANDSHAKE_LIMITS);
  } catch (e) {
    if (isTkeyTssError(e) && e.code === 'BUS_FRAME_TOO_LARGE') return fail('BUS_FRAME_TOO_LARGE', `${what}: ${e.message}`, { ...e.details, ...blame, kind: 'handshake' });
    return fail('BUS_FRAME_INVALID', `${what}: not canonical MessagePack`, { ...blame });
  }
  return strictMap(v, schema, what, blame);
}

function aPoint(b: Uint8Array, what: string, blame: Blame): Point {
  try {
    return pointFromBytes(b, what);
  } catch {
    return fail('BUS_FRAME_INVALID', `${what}: not a valid point`, { ...blame });
  }
}

/**
 * Routing: the `hs` value of a handshake frame (a map with an `hs` key; 0 when `hs` is not 1, 2 or
 * 3), or null for any other frame. Never decodes: a frame over `MAX_HANDSHAKE_FRAME` is not a
 * handshake frame, a smaller one is scanned under `HANDSHAKE_LIMITS` (no allocation) and `hs`
 * peeked. The handshake then decodes the frame strictly.
 */
export function handshakeKind(frame: Uint8Array): 0 | 1 | 2 | 3 | null {
  if (!(frame instanceof Uint8Array) || frame.length > MAX_HANDSHAKE_FRAME) return null;
  try {
    scanMsgpack(frame, HANDSHAKE_LIMITS);
  } catch {
    return null;
  }
  if (!peekHasKey(frame, 'hs')) return null;
  const hs = peekUint(frame, 'hs');
  return hs === 1 || hs === 2 || hs === 3 ? hs : 0;
}

/** Is this frame a handshake frame (a map with an `hs` key)? */
export function isHandshake(frame: Uint8Array): boolean {
  return handshakeKind(frame) !== null;
}

/**
 * What both sides of one handshake hold: an ephemeral key used at most once (`spend`, BUS_CLOSED on
 * a second use) and wiped when the handshake ends or is abandoned (`abort`).
 */
abstract class HandshakeSide {
  readonly #eph: EphemeralKey;
  readonly #rng: Rng;
  #spent = false;

  protected constructor(rng: Rng) {
    this.#rng = rng;
    this.#eph = new EphemeralKey(rng);
  }
  protected get eph(): EphemeralKey {
    return this.#eph;
  }
  protected get rng(): Rng {
    return this.#rng;
  }
  /** Take the handshake's one use. */
  protected spend(): void {
    if (this.#spent) fail('BUS_CLOSED', 'handshake: already used');
    this.#spent = true;
  }
  /** Give up (connection closed, timeout): wipe the ephemeral. */
  abort(): void {
    this.#spent = true;
    this.#eph.wipe();
  }
  /** @internal tests: is the ephemeral secret gone? */
  get wiped(): boolean {
    return this.#eph.wiped;
  }
}

/** Server side of one connection's handshake: `challenge` (hs1) out, `verify(hs2)` → hs3 and the channel. Single use. */
export class ServerHandshake extends HandshakeSide {
  readonly self: Identity;
  /** hs1, to send on the connection. */
  readonly challenge: Uint8Array;

  constructor(self: Identity, opts: { rng?: Rng } = {}) {
    super(opts.rng ?? cryptoRng);
    this.self = self;
    this.challenge = encodePayload({ e: this.eph.publicKey, hs: 1, pub: self.publicKey, v: FRAME_VERSION });
  }

  /**
   * Check the client's hs2; returns hs3 (to send BEFORE anything sealed) and the connection's
   * channel. BUS_FRAME_INVALID (malformed), BUS_AUTH_FAILED (signature, identity) naming the
   * claimed client in `details.peer`. The ephemeral is wiped whatever the outcome.
   */
  verify(answer: Uint8Array): { confirm: Uint8Array; channel: SecureChannel; peerPub: Uint8Array } {
    this.spend();
    try {
      const m = decodeHs(answer, HS2, 'handshake hs2', { sender: null, peer: null });
      const blame: Blame = { sender: null, peer: bytesToHex(m.pub as Uint8Array) };
      const client = aPoint(m.pub as Uint8Array, 'handshake hs2: pub', blame);
      const clientEph = aPoint(m.e as Uint8Array, 'handshake hs2: e', blame);
      const pub = pointToBytes(client, true);
      const ec = pointToBytes(clientEph, true);
      if (equalBytes(pub, this.self.publicKey)) fail('BUS_AUTH_FAILED', 'handshake: the client claims the server’s own identity', { ...blame });
      const th = transcriptHash(this.self.publicKey, pub, this.eph.publicKey, ec);
      if (!ecdsaVerifyDigest(m.sig as Uint8Array, sha256(concatBytes(T_SIG_CLIENT, th)), client, { lowS: true })) {
        fail('BUS_AUTH_FAILED', `handshake: the client's signature does not verify under ${bytesToHex(pub)} for this connection`, { ...blame });
      }
      const channel = new SecureChannel(this.self, pub, { transcript: th, ee: this.eph.agree(clientEph) }, { rng: this.rng });
      const confirm = encodePayload({ hs: 3, sig: this.self.signDigest(sha256(concatBytes(T_SIG_SERVER, th))), v: FRAME_VERSION });
      return { confirm, channel, peerPub: pub };
    } finally {
      this.eph.wipe();
    }
  }

  toJSON(): unknown {
    return { self: bytesToHex(this.self.publicKey), ephemeral: '<redacted>' };
  }
}

/** Client side of one connection's handshake: `ClientHandshake.answer(hs1)` → hs2 out; `finish(hs3)` → the channel. Single use. */
export class ClientHandshake extends HandshakeSide {
  readonly self: Identity;
  readonly serverPub: Uint8Array;
  /** The hs1 this answers (a duplicate of it is answered again with the same hs2). */
  readonly challenge: Uint8Array;
  /** hs2, to send on the connection. */
  readonly answer: Uint8Array;
  readonly #serverEph: Point;
  readonly #th: Uint8Array;

  private constructor(self: Identity, challenge: Uint8Array, serverPub: Uint8Array, serverEph: Point, rng: Rng) {
    super(rng);
    this.self = self;
    this.challenge = challenge.slice();
    this.serverPub = serverPub;
    this.#serverEph = serverEph;
    this.#th = transcriptHash(serverPub, self.publicKey, pointToBytes(serverEph, true), this.eph.publicKey);
    const sig = self.signDigest(sha256(concatBytes(T_SIG_CLIENT, this.#th)));
    this.answer = encodePayload({ e: this.eph.publicKey, hs: 2, pub: self.publicKey, sig, v: FRAME_VERSION });
  }

  /**
   * Answer the server's hs1. `expectServer`: the server's identity key (refused otherwise:
   * BUS_AUTH_FAILED); without it the first server met is trusted (tests only).
   */
  static answer(self: Identity, challenge: Uint8Array, opts: { expectServer?: Uint8Array | undefined; rng?: Rng } = {}): ClientHandshake {
    const expect = opts.expectServer ? bytesToHex(opts.expectServer) : null;
    const m = decodeHs(challenge, HS1, 'handshake hs1', { sender: null, peer: expect });
    const blame: Blame = { sender: null, peer: bytesToHex(m.pub as Uint8Array) };
    const serverPub = pointToBytes(aPoint(m.pub as Uint8Array, 'handshake hs1: pub', blame), true);
    const serverEph = aPoint(m.e as Uint8Array, 'handshake hs1: e', blame);
    if (opts.expectServer && !equalBytes(serverPub, opts.expectServer)) fail('BUS_AUTH_FAILED', `handshake: the server ${bytesToHex(serverPub)} is not the expected identity`, { ...blame });
    if (equalBytes(serverPub, self.publicKey)) fail('BUS_AUTH_FAILED', 'handshake: the server claims our own identity', { ...blame });
    return new ClientHandshake(self, challenge, serverPub, serverEph, opts.rng ?? cryptoRng);
  }

  /** Check the server's hs3; returns the connection's channel. BUS_FRAME_INVALID / BUS_AUTH_FAILED naming the server. Wipes the ephemeral whatever the outcome. */
  finish(confirm: Uint8Array): SecureChannel {
    this.spend();
    const blame: Blame = { sender: null, peer: bytesToHex(this.serverPub) };
    try {
      const m = decodeHs(confirm, HS3, 'handshake hs3', blame);
      const server = pointFromBytes(this.serverPub, 'serverPub');
      if (!ecdsaVerifyDigest(m.sig as Uint8Array, sha256(concatBytes(T_SIG_SERVER, this.#th)), server, { lowS: true })) {
        fail('BUS_AUTH_FAILED', `handshake: the server's signature does not verify under ${bytesToHex(this.serverPub)} for this connection`, { ...blame });
      }
      return new SecureChannel(this.self, this.serverPub, { transcript: this.#th, ee: this.eph.agree(this.#serverEph) }, { rng: this.rng });
    } finally {
      this.eph.wipe();
    }
  }

  toJSON(): unknown {
    return { self: bytesToHex(this.self.publicKey), server: bytesToHex(this.serverPub), ephemeral: '<redacted>' };
  }
}
