/**
 * The bus's resource caps (layer 1): what a frame of each message kind may cost before it is
 * refused (`scanMsgpack` checks them before msgpackr decodes anything), and the byte budgets of the
 * buffers that hold frames nobody asked for yet. Documented in `src/bus/README.md`, "Resource caps".
 *
 * Measured basis (`npx tsx bench/bus-frame-sizes.ts`: HIGH profile, 3072-bit N, 5 parties, echo on):
 * the largest protocol message is the aux round-2 broadcast (Πprm: 128 × 2 values of 384 bytes)
 * at 101,092 bytes, then the aux round-3 broadcast (Πmod) at 100,322; the largest presign message
 * (round-2 p2p) is 16,368 and keygen's 581 (README table); refresh with aux rotation carries the
 * same proofs. No message has more than 40 msgpack elements or more than 5 levels of nesting.
 * @module
 */
import type { FrameLimits } from './msgpack-scan.js';

/** Handshake frames (challenge / hello, before any identity is known): ~150 bytes today. */
export const MAX_HANDSHAKE_FRAME = 1024;
/** Node-level control frames (`bus/ctl` done / abort / fail, `bus/rpc` requests and responses). */
export const MAX_CONTROL_FRAME = 64 * 1024;
/** Protocol frames: ~10× the largest measured message (101 KB); also the `ws` `maxPayload`. */
export const MAX_PROTOCOL_FRAME = 1024 * 1024;
/** Values per decode (map keys included): legitimate messages have < 40, keygen grows with t. */
export const MAX_FRAME_ELEMENTS = 4096;
/** Nesting (root = level 0): legitimate messages use ≤ 5; also `encodePayload`'s limit. */
export const MAX_FRAME_DEPTH = 16;
/** Bytes of one string (protocol names, reasons, error messages). */
export const MAX_FRAME_STRING = 16 * 1024;

/** Handshake frames: tiny, flat. */
export const HANDSHAKE_LIMITS: FrameLimits = Object.freeze({ maxBytes: MAX_HANDSHAKE_FRAME, maxElements: 64, maxDepth: 4, maxStr: 256 });
/** The outer map of a secure-channel frame `{body, from, iv|sig, n, protocol, round, sid, to, v}`: the payload is a `bin` inside. */
export const CHANNEL_FRAME_LIMITS: FrameLimits = Object.freeze({ maxBytes: MAX_PROTOCOL_FRAME, maxElements: 64, maxDepth: 4, maxStr: 256 });
/** Payloads of control envelopes. */
export const CONTROL_LIMITS: FrameLimits = Object.freeze({ maxBytes: MAX_CONTROL_FRAME, maxElements: 1024, maxDepth: MAX_FRAME_DEPTH, maxStr: MAX_FRAME_STRING });
/** Payloads and envelopes of protocol messages (the default of `decodePayload`). */
export const PROTOCOL_LIMITS: FrameLimits = Object.freeze({ maxBytes: MAX_PROTOCOL_FRAME, maxElements: MAX_FRAME_ELEMENTS, maxDepth: MAX_FRAME_DEPTH, maxStr: MAX_FRAME_STRING });

/**
 * Envelopes of sessions not attached yet, per peer link: bytes (frame sizes) and count. An honest
 * peer puts one or two rounds of one session there while our side attaches (≤ ~200 KB at the high
 * profile); 8 MiB is tens of sessions.
 */
export const UNCLAIMED_PEER_BYTES = 8 * 1024 * 1024;
export const UNCLAIMED_PEER_COUNT = 512;
/** The same buffer over every link of one `LinkServer` (any client key may connect). */
export const UNCLAIMED_TOTAL_BYTES = 64 * 1024 * 1024;
/**
 * Early protocol messages (one round ahead) a local session holds per remote party, in bytes: one
 * round's broadcast + p2p from one party is ≤ ~110 KB at the high profile.
 */
export const EARLY_PEER_BYTES = 1024 * 1024;
