/**
 * The wire encoding of envelopes and payloads: canonical MessagePack. The one codec lives in the
 * bus (`src/bus/codec.ts`, layer 1; format in `test-vectors/README.md`, "Wire format"); this module
 * re-exports it with the protocol types.
 * @module
 */
import { decodeMessage as decodeEnvelope, decodePayload as decodeWire, encodeMessage as encodeEnvelope, encodePayload as encodeWire } from '../src/bus/codec.js';
import type { Message, Payload } from './types.js';

/** Canonical bytes of a payload. */
export function encodePayload(p: Payload): Uint8Array {
  return encodeWire(p);
}

/** Canonical bytes → payload (InvalidInput if not canonical plain data). */
export function decodePayload(b: Uint8Array): Payload {
  return decodeWire(b);
}

export function encodeMessage(m: Message): Uint8Array {
  return encodeEnvelope(m);
}

/** Bytes → envelope. Shape errors are InvalidInput; the session checks the values. */
export function decodeMessage(b: Uint8Array): Message {
  return decodeEnvelope(b);
}
