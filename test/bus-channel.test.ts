/**
 * The bus codec and secure channel (src/bus/codec.ts, src/bus/secure-channel.ts): one canonical
 * encoding; p2p frames encrypted and authenticated between identity keys; broadcasts signed; every
 * tampered, replayed, wrong-key, wrong-session or forged frame refused with a typed error naming
 * the sender.
 */
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes, utf8ToBytes } from '../src/bytes.js';
import { decodeMessage, decodePayload, encodeMessage, encodePayload, type Envelope, type WirePayload } from '../src/bus/codec.js';
import { helloAnswer, helloChallenge, helloVerify, Identity, REPLAY_WINDOW, SecureChannel } from '../src/bus/secure-channel.js';
import { isTkeyTssError } from '../src/errors.js';
import { seededRng } from '../src/rng.js';
import { decodeMessage as protocolDecode, encodeMessage as protocolEncode } from '../protocols/wire.js';

const A = new Identity(new Uint8Array(32).fill(1));
const B = new Identity(new Uint8Array(32).fill(2));
const C = new Identity(new Uint8Array(32).fill(3));
const sid = utf8ToBytes('session-1');
const p2p = (round = 2, payload: WirePayload = { x: new Uint8Array([1, 2, 3]), n: 5 }): Envelope => ({ sid, protocol: 'presign', round, from: 1, to: 2, payload });
const bc = (payload: WirePayload = { K: new Uint8Array(33).fill(2) }): Envelope => ({ sid, protocol: 'presign', round: 1, from: 1, to: null, payload });

function refused(fn: () => unknown, code: string, sender: number | null = 1): void {
  try {
    fn();
  } catch (e) {
    expect(isTkeyTssError(e, code), String(e)).toBe(true);
    expect((e as { details: { sender: number | null } }).details.sender).toBe(sender);
    return;
  }
  throw new Error(`expected ${code}`);
}

function pair(rng = seededRng('ch')): [SecureChannel, SecureChannel] {
  return [new SecureChannel(A, B.publicKey, { rng }), new SecureChannel(B, A.publicKey, { rng })];
}

/** Re-encode a frame with one field changed. */
function edit(frame: Uint8Array, f: (m: Record<string, WirePayload>) => void): Uint8Array {
  const m = { ...(decodePayload(frame) as Record<string, WirePayload>) };
  f(m);
  return encodePayload(m);
}

describe('bus codec', () => {
  it('is the one codec: protocols/wire.ts gives identical bytes', () => {
    const env = p2p();
    expect(bytesToHex(protocolEncode(env))).toBe(bytesToHex(encodeMessage(env)));
    expect(protocolDecode(encodeMessage(env))).toEqual(decodeMessage(encodeMessage(env)));
  });
  it('the documented byte-level example (test-vectors/README.md, Wire format)', () => {
    const env: Envelope = { sid: new Uint8Array([0xab, 0xcd]), protocol: 'sign', round: 1, from: 2, to: null, payload: { s: new Uint8Array([0x01]) } };
    expect(bytesToHex(encodeMessage(env))).toBe('86a466726f6d02a77061796c6f616481a173c40101a870726f746f636f6ca47369676ea5726f756e6401a3736964c402abcda2746fc0');
  });
  it('refuses non-canonical bytes, floats and unknown fields', () => {
    const good = encodeMessage(p2p());
    // the same map with its keys out of order
    const v = decodePayload(good) as Record<string, WirePayload>;
    const shuffled = new Uint8Array(new Packr({ useRecords: false, variableMapSize: true }).pack({ to: v.to, from: v.from, payload: v.payload, protocol: v.protocol, round: v.round, sid: v.sid }));
    expect(() => decodeMessage(shuffled)).toThrow(/canonical/);
    expect(() => encodePayload({ f: 1.5 })).toThrow(/safe integers/);
    expect(() => decodeMessage(encodePayload({ ...v, extra: 1 }))).toThrow(/unexpected fields/);
  });
});

describe('secure channel', () => {
  it('p2p: round trip; the payload is not visible on the wire; a broadcast verifies', () => {
    const [a, b] = pair();
    const env = p2p(2, { secret: utf8ToBytes('very secret share') });
    const f = a.seal(env);
    expect(bytesToHex(f)).not.toContain(bytesToHex(utf8ToBytes('very secret share')));
    expect(b.open(f)).toEqual(env);
    const e2 = bc();
    expect(b.open(a.seal(e2))).toEqual(e2);
    // and the other direction
    expect(a.open(b.seal({ ...env, from: 2, to: 1 }))).toEqual({ ...env, from: 2, to: 1 });
  });

  it('tampered: any changed byte of body, header or iv is refused naming the sender', () => {
    const [a, b] = pair();
    const f = a.seal(p2p());
    refused(() => b.open(edit(f, (m) => ((m.body as Uint8Array)[3]! ^= 1))), 'BUS_AUTH_FAILED');
    refused(() => b.open(edit(f, (m) => (m.round = 3))), 'BUS_AUTH_FAILED');
    refused(() => b.open(edit(f, (m) => (m.protocol = 'sign'))), 'BUS_AUTH_FAILED');
    refused(() => b.open(edit(f, (m) => ((m.iv as Uint8Array)[0]! ^= 1))), 'BUS_AUTH_FAILED');
    refused(() => b.open(edit(f, (m) => (m.n = 7))), 'BUS_AUTH_FAILED');
    // the sender field itself: the claimed sender is named
    refused(() => b.open(edit(f, (m) => (m.from = 3))), 'BUS_AUTH_FAILED', 3);
    refused(() => b.open(f.subarray(0, f.length - 1)), 'BUS_FRAME_INVALID', null);
    // the untouched frame still opens (a refused frame burns no counter)
    expect(b.open(f)).toEqual(p2p());
  });

  it('replay: a frame opens once; reordering inside the window is fine, beyond it refused', () => {
    const [a, b] = pair();
    const f1 = a.seal(p2p(1));
    const f2 = a.seal(p2p(2));
    expect(b.open(f2).round).toBe(2);
    expect(b.open(f1).round).toBe(1); // reordered, inside the window
    refused(() => b.open(f1), 'BUS_REPLAY');
    refused(() => b.open(f2), 'BUS_REPLAY');
    const old = a.seal(p2p(3));
    for (let i = 0; i < REPLAY_WINDOW; i++) b.open(a.seal(p2p(4)));
    refused(() => b.open(old), 'BUS_REPLAY'); // never seen, but older than the window
    // broadcasts too
    const g = a.seal(bc());
    b.open(g);
    refused(() => b.open(g), 'BUS_REPLAY');
  });

  it('wrong key: a frame sealed by a third identity (claiming to be A) is refused', () => {
    const [, b] = pair();
    const mallory = new SecureChannel(C, B.publicKey);
    refused(() => b.open(mallory.seal(p2p())), 'BUS_AUTH_FAILED');
    // a frame A sealed for C does not open at B either
    const toC = new SecureChannel(A, C.publicKey);
    refused(() => b.open(toC.seal(p2p())), 'BUS_AUTH_FAILED');
  });

  it('wrong sid: a frame moved to another session is refused (keys and AAD are per sid)', () => {
    const [a, b] = pair();
    const f = a.seal(p2p());
    refused(() => b.open(edit(f, (m) => (m.sid = utf8ToBytes('session-2')))), 'BUS_AUTH_FAILED');
    const g = a.seal(bc());
    refused(() => b.open(edit(g, (m) => (m.sid = utf8ToBytes('session-2')))), 'BUS_AUTH_FAILED');
  });

  it('forged broadcast: changed payload, a signature by another key, or a missing signature is refused', () => {
    const [a, b] = pair();
    const g = a.seal(bc());
    refused(() => b.open(edit(g, (m) => (m.body = encodePayload({ K: new Uint8Array(33).fill(3) })))), 'BUS_AUTH_FAILED');
    const forged = new SecureChannel(C, B.publicKey).seal(bc());
    refused(() => b.open(forged), 'BUS_AUTH_FAILED');
    refused(() => b.open(edit(g, (m) => delete m.sig)), 'BUS_FRAME_INVALID');
    // a broadcast turned into a p2p frame (to: 2) is not accepted either
    refused(() => b.open(edit(g, (m) => ((m.to = 2), (m.iv = new Uint8Array(24)), delete m.sig))), 'BUS_AUTH_FAILED');
  });

  it('the documented frame examples (test-vectors/README.md, Wire format) seal and open byte for byte', () => {
    const ch = new SecureChannel(A, B.publicKey, { rng: seededRng('tkey-tss/bus/example') });
    const env: Envelope = { sid: new Uint8Array([0xab, 0xcd]), protocol: 'sign', round: 1, from: 2, to: 1, payload: { s: new Uint8Array([1]) } };
    const p2pHex =
      '89a4626f6479c4169e24c084caf4760fa06e6b17ebf886ca869394af650aa466726f6d02a26976c418db6cef921bf6de4cd54c72c692386ab6e107e94fce067621a16e01a870726f746f636f6ca47369676ea5726f756e6401a3736964c402abcda2746f01a17601';
    const bcHex =
      '89a4626f6479c40681a173c40101a466726f6d02a16e02a870726f746f636f6ca47369676ea5726f756e6401a3736964c402abcda3736967c440ac271989cf0b9f94f83f9519fe1b4b484bdeb221e0224f8b519d297bfb1b757147427107658f9d657e54411b8f496b69c4a89c77ad65ce2a7c016e3b358681e0a2746fc0a17601';
    expect(bytesToHex(ch.seal(env))).toBe(p2pHex);
    expect(bytesToHex(ch.seal({ ...env, to: null }))).toBe(bcHex);
    const rx = new SecureChannel(B, A.publicKey);
    expect(rx.open(hexToBytes(p2pHex))).toEqual(env);
    expect(rx.open(hexToBytes(bcHex))).toEqual({ ...env, to: null });
  });

  it('secrets are redacted', () => {
    const [a] = pair();
    const s = JSON.stringify({ a, id: A });
    expect(s).toContain('redacted');
    expect(s).not.toContain(bytesToHex(new Uint8Array(32).fill(1)));
  });

  it('handshake: the hello binds the connection nonce to both keys', () => {
    const ch = helloChallenge(B, seededRng('hs'));
    const ans = helloAnswer(A, ch.frame, B.publicKey);
    expect(bytesToHex(helloVerify(B, ch.nonce, ans.frame))).toBe(bytesToHex(A.publicKey));
    // replayed into another connection (another nonce): refused
    const other = helloChallenge(B, seededRng('hs2'));
    expect(() => helloVerify(B, other.nonce, ans.frame)).toThrow(/hello signature/);
    // a server that is not the expected one
    expect(() => helloAnswer(A, helloChallenge(C).frame, B.publicKey)).toThrow(/expected identity/);
  });
});
