/**
 * Fuzzing the bus decoders that run on bytes from the network: the canonical codec
 * (`decodePayload`, `decodeMessage`, `payloadToEnvelope`), `SecureChannel.open` and the three
 * handshake verifiers (`ServerHandshake.verify` on hs2, `ClientHandshake.answer` on hs1,
 * `ClientHandshake.finish` on hs3). Seeds are real protocol envelopes from the conformance
 * transcripts, and real sealed frames and handshake frames of one connection; a dedicated generator
 * builds MessagePack containers whose declared counts exceed what follows (the amplification shape).
 * See `harness.ts` for the contract.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes, utf8ToBytes } from '../../src/bytes.js';
import { decodeMessage, decodePayload, payloadToEnvelope } from '../../src/bus/codec.js';
import { ClientHandshake, ServerHandshake } from '../../src/bus/handshake.js';
import { Identity, type SecureChannel } from '../../src/bus/secure-channel.js';
import { seededRng } from '../../src/rng.js';
import { bytesLike, fuzz, RUNS } from './harness.js';

function sentMessages(suite: string, file: string, max: number): Uint8Array[] {
  const d = JSON.parse(readFileSync(new URL(`../../test-vectors/${suite}/${file}`, import.meta.url), 'utf8')) as { vectors: { transcript: { sent: string[] }[] }[] };
  return d.vectors[0]!.transcript.flatMap((t) => t.sent).slice(0, max).map((h) => hexToBytes(h));
}

const envelopes = [...sentMessages('keygen', 'keygen.json', 8), ...sentMessages('presign', 'presign.json', 8)];

/** Container headers (array/map 16/32, bin/str 32) with a large declared count and little that follows. */
const amplification: fc.Arbitrary<Uint8Array> = fc
  .tuple(fc.constantFrom(0xdc, 0xdd, 0xde, 0xdf, 0xc6, 0xdb), fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(0x80, 0x90, 0xc0, 0xa0), fc.integer({ min: 0, max: 4096 }))
  .map(([h, count, fill, n]) => {
    const wide = h === 0xdc || h === 0xde ? 2 : 4;
    const b = new Uint8Array(1 + wide + n);
    b[0] = h;
    for (let i = 0; i < wide; i++) b[1 + i] = (count >>> (8 * (wide - 1 - i))) & 0xff;
    b.fill(fill, 1 + wide);
    return b;
  });

describe('fuzz: bus codec', () => {
  it('decodePayload', () => {
    fuzz('bus.decodePayload', fc.oneof(bytesLike(envelopes, 1024), amplification), (b) => decodePayload(b));
  });
  it('decodeMessage', () => {
    fuzz('bus.decodeMessage', fc.oneof(bytesLike(envelopes, 1024), amplification), (b) => decodeMessage(b));
  });
  it('payloadToEnvelope over arbitrary plain data', () => {
    const plainData = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.integer(), fc.string({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }), fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(fc.constantFrom('sid', 'protocol', 'round', 'from', 'to', 'payload', '__proto__', 'x'), tie('v'), { maxKeys: 7 })),
    })).v;
    // valid envelopes with one field replaced, removed or added, beside arbitrary data
    const valid = envelopes.map((b) => decodePayload(b) as Record<string, unknown>);
    const edited = fc
      .tuple(fc.integer({ min: 0, max: valid.length - 1 }), fc.constantFrom('sid', 'protocol', 'round', 'from', 'to', 'payload', '__proto__', 'extra'), fc.constantFrom('set', 'delete', 'keep'), plainData)
      .map(([i, k, op, v]) => {
        const e: Record<string, unknown> = { ...valid[i]! };
        if (op === 'delete') delete e[k];
        else if (op === 'set') Object.defineProperty(e, k, { value: v, enumerable: true, writable: true, configurable: true });
        return e;
      });
    fuzz('bus.payloadToEnvelope', fc.oneof(plainData, edited), (v) => payloadToEnvelope(v as never));
  });
});

// One connection between server S and client C, as the bus tests build it: the real three-message
// handshake with seeded randomness, so every rebuild yields the same transcript and keys and a fresh
// receiver opens the seed frames (no replay state carried from one case to the next).
const S = new Identity(new Uint8Array(32).fill(1));
const C = new Identity(new Uint8Array(32).fill(2));
const serverHs = () => new ServerHandshake(S, { rng: seededRng('fuzz/bus/s') });
const clientHs = (hs1: Uint8Array) => ClientHandshake.answer(C, hs1, { expectServer: S.publicKey, rng: seededRng('fuzz/bus/c') });
function connection() {
  const sh = serverHs();
  const ch = clientHs(sh.challenge);
  const { confirm, channel: server } = sh.verify(ch.answer);
  return { hs1: sh.challenge, hs2: ch.answer, hs3: confirm, server, client: ch.finish(confirm) };
}

const conn = connection();
const sid = utf8ToBytes('fuzz/bus/session');
/** Real sealed frames, client → server: p2p (encrypted) and broadcast (signed), small and large payloads, and a control frame. */
const sealed = [
  conn.client.seal({ sid, protocol: 'presign', round: 2, from: 2, to: 1, payload: { x: new Uint8Array([1, 2, 3]), n: 5 } }),
  conn.client.seal({ sid, protocol: 'presign', round: 1, from: 2, to: null, payload: { K: new Uint8Array(33).fill(2) } }),
  conn.client.seal({ sid, protocol: 'keygen', round: 1, from: 2, to: null, payload: { c: [new Uint8Array(33).fill(3), new Uint8Array(33).fill(4)], v: 'x'.repeat(40) } }),
  conn.client.seal({ sid, protocol: 'bus/ctl', round: 0, from: 0, to: 0, payload: { party: 2, t: 'done' } }),
];

/** Mutated seeds, random bytes, amplification shapes, and (weight 1) the seeds themselves, which must decode. */
const around = (seeds: Uint8Array[]) => fc.oneof({ arbitrary: fc.oneof(bytesLike(seeds, 1024), amplification), weight: 4 }, { arbitrary: fc.constantFrom(...seeds), weight: 1 });

/** Some cases must take the value path (the unmutated seeds); checked when the run is long enough for it to be sure. */
function decodedSome(out: { ok: number }): void {
  if (RUNS >= 50) expect(out.ok).toBeGreaterThan(0);
}

describe('fuzz: bus secure channel and handshake', () => {
  it('the seeds are valid (each opens or verifies once)', () => {
    const rx = connection().server;
    expect(sealed.map((f) => rx.open(f).from)).toEqual([2, 2, 2, 0]);
    expect(bytesToHex(serverHs().verify(conn.hs2).peerPub)).toBe(bytesToHex(C.publicKey));
    expect(bytesToHex(clientHs(conn.hs1).answer)).toBe(bytesToHex(conn.hs2));
    expect(bytesToHex(clientHs(conn.hs1).finish(conn.hs3).transcript)).toBe(bytesToHex(conn.client.transcript));
  });
  it('SecureChannel.open (real p2p, broadcast and control frames)', () => {
    // a refusal leaves the receiver as it was; one that opened a frame is replaced (its replay window moved)
    let rx: SecureChannel | null = null;
    const open = (b: Uint8Array) => {
      rx ??= connection().server;
      const env = rx.open(b);
      rx = null;
      return env;
    };
    decodedSome(fuzz('bus.SecureChannel.open', around(sealed), open));
  });
  it('ServerHandshake.verify (hs2)', () => {
    decodedSome(fuzz('bus.ServerHandshake.verify', around([conn.hs2]), (b) => serverHs().verify(b)));
  });
  it('ClientHandshake.answer (hs1)', () => {
    decodedSome(fuzz('bus.ClientHandshake.answer', around([conn.hs1]), (b) => clientHs(b)));
  });
  it('ClientHandshake.finish (hs3)', () => {
    decodedSome(fuzz('bus.ClientHandshake.finish', around([conn.hs3]), (b) => clientHs(conn.hs1).finish(b)));
  });
});
