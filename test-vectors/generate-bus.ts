/**
 * Generator of the `bus` suite (`test-vectors/bus/channel.json`), called by `generate.ts`: the
 * connection handshake and the secure channel of `src/bus/` (test-vectors/README.md, "Wire format
 * (bus)"), computed HERE from the documented formulas with the primitives only (ECDSA, ECDH,
 * SHA-256, HKDF, XChaCha20-Poly1305, the canonical codec) — not by the handshake or channel under
 * test, which the suite then replays against these bytes.
 * @module
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, numberToBytesBE, utf8ToBytes } from '../src/bytes.js';
import { decodePayload, encodeMessage, encodePayload, type Envelope } from '../src/bus/codec.js';
import { ecdhX, ecdsaSignDigest, getPublicKey, N, pointFromBytes, randomScalar, scalarToBytes } from '../src/curve.js';
import { sha256 } from '../src/hash.js';
import type { SeededRng } from '../src/rng.js';

const tag = (s: string): Uint8Array => utf8ToBytes(`tkey-tss/bus/v2/${s}`);
const u64 = (n: number): Uint8Array => numberToBytesBE(BigInt(n), 8);
const x32 = (k: bigint, pub: Uint8Array): Uint8Array => numberToBytesBE(ecdhX(k, pointFromBytes(pub)), 32);

interface Side {
  key: bigint;
  eph: bigint;
  pub: Uint8Array;
  ephPub: Uint8Array;
}

function side(rng: SeededRng): Side {
  const key = randomScalar(rng);
  const eph = randomScalar(rng);
  return { key, eph, pub: getPublicKey(scalarToBytes(key)), ephPub: getPublicKey(scalarToBytes(eph)) };
}

/** One connection computed from the formulas: handshake frames, th, Z_ee, Z_ss. */
function connection(s: Side, c: Side) {
  const th = sha256(concatBytes(tag('handshake'), s.pub, c.pub, s.ephPub, c.ephPub));
  const hs1 = encodePayload({ e: s.ephPub, hs: 1, pub: s.pub, v: 2 });
  const hs2 = encodePayload({ e: c.ephPub, hs: 2, pub: c.pub, sig: ecdsaSignDigest(sha256(concatBytes(tag('hello/client'), th)), c.key), v: 2 });
  const hs3 = encodePayload({ hs: 3, sig: ecdsaSignDigest(sha256(concatBytes(tag('hello/server'), th)), s.key), v: 2 });
  const zee = x32(s.eph, c.ephPub);
  if (bytesToHex(zee) !== bytesToHex(x32(c.eph, s.ephPub))) throw new Error('bus generator: ECDH mismatch');
  const zss = x32(s.key, c.pub);
  const key = (from: Uint8Array, to: Uint8Array, sid: Uint8Array): Uint8Array => hkdf(nobleSha256, concatBytes(zee, zss), sha256(concatBytes(tag('salt'), sid)), concatBytes(tag('p2p'), th, from, to), 32);
  return { th, hs1, hs2, hs3, zee, zss, key };
}

const sideFields = (who: 'server' | 'client', x: Side): Record<string, string> => ({ [`${who}Key`]: bytesToHex(scalarToBytes(x.key)), [`${who}Ephemeral`]: bytesToHex(scalarToBytes(x.eph)) });

/** The same node with a fresh ephemeral (its next connection). */
function nextConnection(x: Side, rng: SeededRng): Side {
  const eph = randomScalar(rng);
  return { ...x, eph, ephPub: getPublicKey(scalarToBytes(eph)) };
}

/** Re-encode a canonical map with `f` applied. */
function edit(b: Uint8Array, f: (m: Record<string, unknown>) => void): Uint8Array {
  const m = { ...(decodePayload(b) as Record<string, unknown>) };
  f(m);
  return encodePayload(m as never);
}

export function genBus(rng: SeededRng, generator: { script: string; seed: string }): unknown {
  const S = side(rng);
  const C = side(rng);
  const M = side(rng); // a third node (wrong signer)
  const one = connection(S, C);
  const two = connection(nextConnection(S, rng), nextConnection(C, rng));
  const sid = utf8ToBytes('tkey-tss/conformance/bus/sid');
  const env: Envelope = { sid, protocol: 'presign', round: 2, from: 1, to: 2, payload: { x: rng.bytes(32), n: 7 } };
  const iv = rng.bytes(24);
  const kSC = one.key(S.pub, C.pub, sid);
  const kCS = one.key(C.pub, S.pub, sid);
  const sealP2p = (k: Uint8Array, n: number, ivb: Uint8Array): Uint8Array =>
    encodePayload({
      body: xchacha20poly1305(k, ivb, concatBytes(tag('p2p'), u64(n), encodeMessage({ ...env, payload: null }))).encrypt(encodePayload(env.payload)),
      from: env.from,
      iv: ivb,
      n,
      protocol: env.protocol,
      round: env.round,
      sid,
      to: env.to,
      v: 2,
    });
  const bcEnv: Envelope = { ...env, to: null };
  const sealBc = (th: Uint8Array, n: number): Uint8Array =>
    encodePayload({ body: encodePayload(bcEnv.payload), from: env.from, n, protocol: env.protocol, round: env.round, sid, sig: ecdsaSignDigest(sha256(concatBytes(tag('bc'), th, u64(n), encodeMessage(bcEnv))), S.key), to: null, v: 2 });
  const p2p = sealP2p(kSC, 1, iv);
  const bc = sealBc(one.th, 2);
  const conn1 = { ...sideFields('server', S), ...sideFields('client', C) };
  const clientRole = sha256(concatBytes(tag('hello/client'), one.th)); // the server signing under the client's role label
  const vectors: Record<string, unknown>[] = [
    {
      id: 'connection',
      op: 'connection',
      note: 'the handshake (hs1, hs2, hs3), th, Z_ee, Z_ss, the RPC sid, the p2p keys of one sid, a p2p frame (n = 1, sealed by the server) and a broadcast (n = 2)',
      ...conn1,
      serverPub: bytesToHex(S.pub),
      clientPub: bytesToHex(C.pub),
      hs1: bytesToHex(one.hs1),
      hs2: bytesToHex(one.hs2),
      hs3: bytesToHex(one.hs3),
      transcript: bytesToHex(one.th),
      zee: bytesToHex(one.zee),
      zss: bytesToHex(one.zss),
      connectionSid: bytesToHex(sha256(concatBytes(tag('connection'), one.th))),
      sid: bytesToHex(sid),
      keyServerToClient: bytesToHex(kSC),
      keyClientToServer: bytesToHex(kCS),
      envelope: bytesToHex(encodeMessage(env)),
      iv: bytesToHex(iv),
      p2p: bytesToHex(p2p),
      broadcast: bytesToHex(bc),
    },
    { id: 'refuse/hs2-replayed', op: 'server-verify', note: 'the hs2 of another connection (other E_S in th)', ...sideFields('server', S), hs2: bytesToHex(two.hs2), error: 'BUS_AUTH_FAILED' },
    { id: 'refuse/hs2-tampered-ephemeral', op: 'server-verify', note: 'E_C replaced after signing', ...sideFields('server', S), hs2: bytesToHex(edit(one.hs2, (m) => (m.e = M.ephPub))), error: 'BUS_AUTH_FAILED' },
    {
      id: 'refuse/hs2-wrong-signer',
      op: 'server-verify',
      note: 'pub = the client, σ_C by a third key over the right th',
      ...sideFields('server', S),
      hs2: bytesToHex(edit(one.hs2, (m) => (m.sig = ecdsaSignDigest(sha256(concatBytes(tag('hello/client'), one.th)), M.key)))),
      error: 'BUS_AUTH_FAILED',
    },
    { id: 'refuse/hs2-extra-key', op: 'server-verify', note: 'a valid hs2 plus the key "polluted"', ...sideFields('server', S), hs2: bytesToHex(edit(one.hs2, (m) => (m.polluted = 1))), error: 'BUS_FRAME_INVALID' },
    { id: 'refuse/hs2-constructor-key', op: 'server-verify', note: 'a valid hs2 plus the key "constructor"', ...sideFields('server', S), hs2: bytesToHex(edit(one.hs2, (m) => Object.assign(m, { constructor: 1 }))), error: 'BUS_FRAME_INVALID' },
    { id: 'refuse/hs2-missing-sig', op: 'server-verify', ...sideFields('server', S), hs2: bytesToHex(edit(one.hs2, (m) => delete m.sig)), error: 'BUS_FRAME_INVALID' },
    { id: 'refuse/hs1-extra-key', op: 'client-answer', ...sideFields('client', C), serverPub: bytesToHex(S.pub), hs1: bytesToHex(edit(one.hs1, (m) => (m.polluted = 1))), error: 'BUS_FRAME_INVALID' },
    { id: 'refuse/hs1-other-server', op: 'client-answer', note: 'hs1 of a server that is not the expected one', ...sideFields('client', C), serverPub: bytesToHex(S.pub), hs1: bytesToHex(connection(M, C).hs1), error: 'BUS_AUTH_FAILED' },
    { id: 'refuse/hs3-replayed', op: 'client-finish', note: 'the hs3 of another connection', ...sideFields('client', C), serverPub: bytesToHex(S.pub), hs1: bytesToHex(one.hs1), hs3: bytesToHex(two.hs3), error: 'BUS_AUTH_FAILED' },
    {
      id: 'refuse/hs3-wrong-signer',
      op: 'client-finish',
      note: 'σ_S by a third key over the right th',
      ...sideFields('client', C),
      serverPub: bytesToHex(S.pub),
      hs1: bytesToHex(one.hs1),
      hs3: bytesToHex(encodePayload({ hs: 3, sig: ecdsaSignDigest(sha256(concatBytes(tag('hello/server'), one.th)), M.key), v: 2 })),
      error: 'BUS_AUTH_FAILED',
    },
    { id: 'refuse/hs3-wrong-label', op: 'client-finish', note: 'σ_S by the server under the client role label (a reflected signature)', ...sideFields('client', C), serverPub: bytesToHex(S.pub), hs1: bytesToHex(one.hs1), hs3: bytesToHex(encodePayload({ hs: 3, sig: ecdsaSignDigest(clientRole, S.key), v: 2 })), error: 'BUS_AUTH_FAILED' },
    { id: 'refuse/p2p-other-connection', op: 'open', note: 'a p2p frame sealed on another connection of the same two nodes', ...conn1, frame: bytesToHex(sealP2p(two.key(S.pub, C.pub, sid), 1, iv)), error: 'BUS_AUTH_FAILED' },
    { id: 'refuse/broadcast-other-connection', op: 'open', note: 'a broadcast signed on another connection (other th)', ...conn1, frame: bytesToHex(sealBc(two.th, 1)), error: 'BUS_AUTH_FAILED' },
    { id: 'refuse/frame-extra-key', op: 'open', ...conn1, frame: bytesToHex(edit(p2p, (m) => (m.polluted = 1))), error: 'BUS_FRAME_INVALID' },
    ...frameRefusals(rng, { S, C, M, one, sid, env, iv, conn1, sealP2p, sealBc }),
  ];
  return { suite: 'bus', version: 1, description: 'bus connection handshake (signed ephemeral ECDH) and secure channel v2: byte-exact frames, keys, and refusals', generator, vectors };
}

type Conn = ReturnType<typeof connection>;
interface FrameCtx {
  S: Side;
  C: Side;
  M: Side;
  one: Conn;
  sid: Uint8Array;
  env: Envelope;
  iv: Uint8Array;
  conn1: Record<string, string>;
  sealP2p(k: Uint8Array, n: number, iv: Uint8Array): Uint8Array;
  sealBc(th: Uint8Array, n: number): Uint8Array;
}

/** Flip the last bit of a frame's `body` (the Poly1305 tag of a p2p frame). */
const flipBody = (f: Uint8Array): Uint8Array =>
  edit(f, (m) => {
    const b = new Uint8Array(m.body as Uint8Array);
    b[b.length - 1]! ^= 1;
    m.body = b;
  });

/**
 * Frame refusals (one `open` each) and `sequence` vectors: frames opened in order by the client's
 * channel of the vector's connection, each step either the opened envelope or a refusal — replay,
 * reordering within and beyond the 64-frame window, a refused frame not consuming its counter, one
 * counter per (sid, sender node) for p2p and broadcast alike, the replay check before the tag.
 * Draws after every draw of the original vectors, so those keep their bytes.
 */
function frameRefusals(rng: SeededRng, x: FrameCtx): Record<string, unknown>[] {
  const { S, C, M, one, sid, env, conn1 } = x;
  const kSC = one.key(S.pub, C.pub, sid);
  const ivs = new Map<number, Uint8Array>();
  const ivOf = (n: number): Uint8Array => ivs.get(n) ?? (ivs.set(n, rng.bytes(24)), ivs.get(n)!);
  const p2pAt = (n: number): Uint8Array => x.sealP2p(kSC, n, n === 1 ? x.iv : ivOf(n));
  const sid2 = utf8ToBytes('tkey-tss/conformance/bus/sid-2');
  const env2: Envelope = { ...env, sid: sid2 };
  const p2pSid2 = encodePayload({
    body: xchacha20poly1305(one.key(S.pub, C.pub, sid2), ivOf(1000), concatBytes(tag('p2p'), u64(1), encodeMessage({ ...env2, payload: null }))).encrypt(encodePayload(env2.payload)),
    from: env.from,
    iv: ivOf(1000),
    n: 1,
    protocol: env.protocol,
    round: env.round,
    sid: sid2,
    to: env.to,
    v: 2,
  });
  const third = connection(M, C); // the client's connection with a third node M
  const envHex = bytesToHex(encodeMessage(env));
  const bcHex = bytesToHex(encodeMessage({ ...env, to: null }));
  const ok = (frame: Uint8Array, envelope = envHex) => ({ frame: bytesToHex(frame), envelope });
  const no = (frame: Uint8Array, error: string) => ({ frame: bytesToHex(frame), error });
  const bc1 = x.sealBc(one.th, 1);
  const highS = edit(x.sealBc(one.th, 2), (m) => {
    const sig = m.sig as Uint8Array;
    const s = N - BigInt(`0x${bytesToHex(sig.subarray(32))}`);
    m.sig = concatBytes(sig.subarray(0, 32), numberToBytesBE(s, 32));
  });
  const open = (id: string, note: string, frame: Uint8Array, error: string) => ({ id, op: 'open', note, ...conn1, frame: bytesToHex(frame), error });
  return [
    open('refuse/p2p-tampered-tag', 'the p2p frame (n = 1) with the last bit of its Poly1305 tag flipped', flipBody(p2pAt(1)), 'BUS_AUTH_FAILED'),
    open('refuse/p2p-tampered-ciphertext', 'the p2p frame with the first ciphertext byte changed', edit(p2pAt(1), (m) => void ((m.body as Uint8Array)[0]! ^= 0x80)), 'BUS_AUTH_FAILED'),
    open('refuse/p2p-tampered-header', 'the p2p frame with `round` changed (the header is in the AAD)', edit(p2pAt(1), (m) => (m.round = 3)), 'BUS_AUTH_FAILED'),
    open('refuse/p2p-tampered-counter', 'the p2p frame with `n` changed to 2 (n is in the AAD)', edit(p2pAt(1), (m) => (m.n = 2)), 'BUS_AUTH_FAILED'),
    open('refuse/p2p-reflected', "a p2p frame sealed under the client's own sending key (K_{C→S}): reflected back", x.sealP2p(one.key(C.pub, S.pub, sid), 1, x.iv), 'BUS_AUTH_FAILED'),
    open('refuse/p2p-wrong-key', 'a p2p frame sealed under K_{M→C} of a third node M (its own connection with the client)', x.sealP2p(third.key(M.pub, C.pub, sid), 1, x.iv), 'BUS_AUTH_FAILED'),
    open('refuse/p2p-other-sid-key', 'a p2p frame of sid 2 relabelled as sid 1 (keys are per sid)', edit(p2pSid2, (m) => (m.sid = sid)), 'BUS_AUTH_FAILED'),
    open('refuse/broadcast-tampered-body', 'the broadcast (n = 1) with its body changed to another canonical payload', edit(bc1, (m) => (m.body = encodePayload({ x: new Uint8Array(32), n: 7 }))), 'BUS_AUTH_FAILED'),
    open('refuse/broadcast-wrong-signer', 'a broadcast signed by a third node M on this th', edit(bc1, (m) => (m.sig = ecdsaSignDigest(sha256(concatBytes(tag('bc'), one.th, u64(1), encodeMessage({ ...env, to: null }))), M.key))), 'BUS_AUTH_FAILED'),
    open('refuse/broadcast-high-s', 'the broadcast (n = 2) with s replaced by n − s: only low-s signatures verify', highS, 'BUS_AUTH_FAILED'),
    open('refuse/broadcast-missing-sig', 'a broadcast without sig', edit(bc1, (m) => delete m.sig), 'BUS_FRAME_INVALID'),
    open('refuse/frame-version-1', 'the p2p frame with v = 1', edit(p2pAt(1), (m) => (m.v = 1)), 'BUS_FRAME_INVALID'),
    open('refuse/frame-counter-0', 'the p2p frame with n = 0 (counters start at 1)', edit(p2pAt(1), (m) => (m.n = 0)), 'BUS_FRAME_INVALID'),
    { id: 'sequence/replayed-p2p', op: 'sequence', note: 'a p2p frame opened, then the same bytes again', ...conn1, frames: [ok(p2pAt(1)), no(p2pAt(1), 'BUS_REPLAY')] },
    { id: 'sequence/reordered-within-window', op: 'sequence', note: 'n = 3, 1, 2 are all accepted (reordering inside the window), a second n = 1 is a replay', ...conn1, frames: [ok(p2pAt(3)), ok(p2pAt(1)), ok(p2pAt(2)), no(p2pAt(1), 'BUS_REPLAY')] },
    { id: 'sequence/older-than-window', op: 'sequence', note: 'after n = 70: n = 6 (70 − 6 = 64, outside the window) is refused unseen, n = 7 (63 below) is accepted once', ...conn1, frames: [ok(p2pAt(70)), no(p2pAt(6), 'BUS_REPLAY'), ok(p2pAt(7)), no(p2pAt(7), 'BUS_REPLAY')] },
    { id: 'sequence/refused-frame-keeps-counter', op: 'sequence', note: 'a tampered n = 1 is refused and does not consume n = 1: the genuine frame then opens', ...conn1, frames: [no(flipBody(p2pAt(1)), 'BUS_AUTH_FAILED'), ok(p2pAt(1))] },
    { id: 'sequence/replay-checked-before-tag', op: 'sequence', note: 'after n = 1 opened, a tampered copy of n = 1 is BUS_REPLAY (the counter is checked before the tag)', ...conn1, frames: [ok(p2pAt(1)), no(flipBody(p2pAt(1)), 'BUS_REPLAY')] },
    { id: 'sequence/one-counter-for-p2p-and-broadcast', op: 'sequence', note: 'p2p and broadcast frames of one sid from one node share the counter: a broadcast with n = 1 after the p2p n = 1 is a replay, n = 2 opens', ...conn1, frames: [ok(p2pAt(1)), no(bc1, 'BUS_REPLAY'), ok(x.sealBc(one.th, 2), bcHex)] },
    { id: 'sequence/counters-per-sid', op: 'sequence', note: 'each sid has its own counter: n = 1 of sid 2 opens after n = 1 of sid 1', ...conn1, frames: [ok(p2pAt(1)), ok(p2pSid2, bytesToHex(encodeMessage(env2)))] },
  ];
}
