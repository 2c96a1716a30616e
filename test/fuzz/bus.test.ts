/**
 * Fuzzing the bus decoders that run on bytes from the network: the canonical codec
 * (`decodePayload`, `decodeMessage`, `payloadToEnvelope`). Seeds are real protocol envelopes from the
 * conformance transcripts; a dedicated generator builds MessagePack containers whose declared counts
 * exceed what follows (the amplification shape). See `harness.ts` for the contract.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { hexToBytes } from '../../src/bytes.js';
import { decodeMessage, decodePayload, payloadToEnvelope } from '../../src/bus/codec.js';
import { bytesLike, fuzz } from './harness.js';

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
    fuzz('bus.payloadToEnvelope', plainData, (v) => payloadToEnvelope(v as never));
  });
});
