/**
 * Bus benchmarks: one real presign round-2 point-to-point message (Πenc/Πaff-g/Πlog* proofs and
 * MtA ciphertexts, default profile), taken from a seeded 2-of-2 presign run in setup.
 *   bus/encode-presign-round2         envelope → frame: canonical encoding + secure-channel seal
 *                                     (XChaCha20-Poly1305 under the per-connection, per-session
 *                                     key; derived once per session, so cached here as in a run)
 *   bus/decode-presign-round2         frame → envelope: secure-channel open (replay window, AEAD,
 *                                     canonical decode + re-encode check)
 *   bus/encode-presign-round2:plain   the codec alone (encodeMessage)
 *   bus/decode-presign-round2:plain   the codec alone (decodeMessage, with its canonicity check)
 *   bus/refuse-amplification          issue 16 item 2: the 4 MiB frame 0xdd ‖ u32 count ‖ count × 0x80
 *                                     (4,194,299 empty maps) refused by decodePayload, SecureChannel.open
 *                                     and isHandshake — goal: well under 10 ms (refused on its length)
 *   bus/refuse-amplification:in-cap   the same pattern at MAX_PROTOCOL_FRAME bytes, refused by the
 *                                     element budget at the array header
 */
import { decodeMessage, decodePayload, encodeMessage, type Envelope } from '../src/bus/codec.js';
import { MAX_PROTOCOL_FRAME } from '../src/bus/frame-limits.js';
import { isHandshake } from '../src/bus/handshake.js';
import { Identity, SecureChannel, type ConnectionSecret } from '../src/bus/secure-channel.js';
import { utf8ToBytes } from '../src/bytes.js';
import { sha256 } from '../src/hash.js';
import { seededRng } from '../src/rng.js';
import { keygen, type KeygenOutput } from '../protocols/keygen/index.js';
import { simulate } from '../protocols/simulate.js';
import { runPresign } from '../test/helpers/signing.js';
import type { BenchRegistry } from './registry.js';

/** 0xdd ‖ u32(size − 5) ‖ (size − 5) × 0x80. */
function amplification(size: number): Uint8Array {
  const b = new Uint8Array(size).fill(0x80);
  b[0] = 0xdd;
  new DataView(b.buffer).setUint32(1, size - 5);
  return b;
}

/** Run `fn`, which must throw BUS_FRAME_TOO_LARGE. */
function refused(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if ((e as { code?: string }).code === 'BUS_FRAME_TOO_LARGE') return;
    throw e;
  }
  throw new Error('bench: the amplification frame was not refused');
}

function presignRound2(): Envelope {
  const ps = [1, 2].map((id) => ({ id, owns: [id], input: {}, rng: seededRng(`bench/bus/keygen/${id}`) }));
  const kg = simulate(keygen, ps, { sid: new TextEncoder().encode('bench/bus/keygen'), threshold: 2 });
  const key = [1, 2].map((id) => kg.outputs.get(id)!) as KeygenOutput[];
  const r = runPresign(key, [1, 2], { seed: 'bench/bus' });
  for (const bytes of r.sent.get(1)!) {
    const m = decodeMessage(bytes);
    if (m.round === 2 && m.to !== null) return m;
  }
  throw new Error('no presign round-2 p2p message');
}

export default function suite(b: BenchRegistry): void {
  const msg = presignRound2();
  const A = new Identity(new Uint8Array(32).fill(1));
  const B = new Identity(new Uint8Array(32).fill(2));
  // one connection's secret as the handshake hands it to both ends (th, Z_ee); the channels are
  // built from it directly so the receiver can be renewed for the same connection
  const conn = (): ConnectionSecret => ({ transcript: sha256(utf8ToBytes('bench/bus/th')), ee: sha256(utf8ToBytes('bench/bus/ee')) });
  const sender = new SecureChannel(A, B.publicKey, conn());
  // frames to open: each may be opened once (replay window), so a pool is sealed ahead and the
  // receiving channel is renewed when the pool wraps (its ECDH amortised over the pool)
  const POOL = 1024;
  const frames = Array.from({ length: POOL }, () => sender.seal(msg));
  let receiver = new SecureChannel(B, A.publicKey, conn());
  let next = 0;
  const plain = encodeMessage(msg);
  if (receiver.open(frames[0]!).round !== 2) throw new Error('bench setup: frame does not open');
  next = 1;
  b.add('bus/encode-presign-round2', () => sender.seal(msg), { iterations: 300, time: 500 });
  b.add(
    'bus/decode-presign-round2',
    () => {
      if (next === POOL) {
        receiver = new SecureChannel(B, A.publicKey, conn());
        next = 0;
      }
      return receiver.open(frames[next++]!);
    },
    { iterations: 300, time: 500 },
  );
  b.add('bus/encode-presign-round2:plain', () => encodeMessage(msg), { iterations: 300, time: 500 });
  b.add('bus/decode-presign-round2:plain', () => decodeMessage(plain), { iterations: 300, time: 500 });
  const amp = amplification(4 * 1024 * 1024);
  const ampInCap = amplification(MAX_PROTOCOL_FRAME);
  const opener = new SecureChannel(B, A.publicKey, conn());
  b.add(
    'bus/refuse-amplification',
    () => {
      refused(() => decodePayload(amp));
      refused(() => opener.open(amp));
      if (isHandshake(amp)) throw new Error('bench: amplification taken for a handshake');
    },
    { iterations: 300, time: 500 },
  );
  b.add('bus/refuse-amplification:in-cap', () => refused(() => decodePayload(ampInCap)), { iterations: 300, time: 500 });
}
