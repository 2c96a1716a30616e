/**
 * `bus`: the connection handshake and the secure channel of `src/bus/` (test-vectors/README.md,
 * "Wire format (bus)"). `connection`: the handshake replayed with the vector's ephemeral secrets
 * gives hs1, hs2, hs3 and th byte for byte, the channel seals the envelope into the vector's p2p
 * frame and broadcast and opens them, and the documented key schedule (HKDF over Z_ee ‖ Z_ss) gives
 * the vector's keys; `server-verify`, `client-answer`, `client-finish`, `open`: the frame is refused
 * with the vector's error code; `sequence`: the client's channel opens a list of frames in order, each
 * step opening to its `envelope` or refused with its `error` (replay window, counters).
 *
 * The handshake draws its ephemeral from an Rng as 1 + (32 random bytes, below n − 1); the suite
 * feeds it e − 1, then the iv (the server's channel draws it for its first p2p frame).
 * @module
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, numberToBytesBE, utf8ToBytes } from '../../src/bytes.js';
import { decodeMessage, decodePayload, encodeMessage, encodePayload } from '../../src/bus/codec.js';
import { ClientHandshake, ServerHandshake } from '../../src/bus/handshake.js';
import { Identity, type SecureChannel } from '../../src/bus/secure-channel.js';
import { ecdhX, pointFromBytes, scalarFromHex } from '../../src/curve.js';
import { sha256 } from '../../src/hash.js';
import type { Rng } from '../../src/rng.js';
import type { CheckResult, Suite } from './types.js';
import { all, checkOne, eq, expectErrorCode, expectedError, str, vectorsOf, VectorFormatError, type Verdict } from './util.js';

export const NAME = 'bus';
const tag = (s: string): Uint8Array => utf8ToBytes(`tkey-tss/bus/v2/${s}`);
const hex = (v: Record<string, unknown>, k: string): Uint8Array => hexToBytes(str(v, k), k);

/** An Rng that hands out exactly these byte strings, in order. */
function fixedRng(chunks: Uint8Array[]): Rng {
  let i = 0;
  return {
    bytes(n: number): Uint8Array {
      const c = chunks[i++];
      if (!c || c.length !== n) throw new VectorFormatError(`fixed rng: draw ${i} of ${n} bytes not provided`);
      return c.slice();
    },
  };
}

/** The RNG draw that makes the handshake's ephemeral equal to the vector's secret e. */
function ephemeralDraw(v: Record<string, unknown>, key: string): Uint8Array {
  return numberToBytesBE(scalarFromHex(str(v, key), key) - 1n, 32);
}

function identity(v: Record<string, unknown>, key: string): Identity {
  return new Identity(hex(v, key));
}

/** Both ends of the vector's connection, replayed (the server's rng also yields `iv` when given). */
function replay(v: Record<string, unknown>, iv?: Uint8Array) {
  const S = identity(v, 'serverKey');
  const C = identity(v, 'clientKey');
  const sh = new ServerHandshake(S, { rng: fixedRng([ephemeralDraw(v, 'serverEphemeral'), ...(iv ? [iv] : [])]) });
  const ch = ClientHandshake.answer(C, sh.challenge, { expectServer: S.publicKey, rng: fixedRng([ephemeralDraw(v, 'clientEphemeral')]) });
  const ok = sh.verify(ch.answer);
  const client = ch.finish(ok.confirm);
  return { S, C, hs1: sh.challenge, hs2: ch.answer, hs3: ok.confirm, server: ok.channel, client };
}

function connectionVector(v: Record<string, unknown>): Verdict {
  const iv = hex(v, 'iv');
  const r = replay(v, iv);
  const env = decodeMessage(hex(v, 'envelope'));
  const th = r.server.transcript;
  const sid = hex(v, 'sid');
  // the documented key schedule, from the vector's values
  const eC = (decodePayload(hex(v, 'hs2')) as { e: Uint8Array }).e;
  const zee = numberToBytesBE(ecdhX(scalarFromHex(str(v, 'serverEphemeral')), pointFromBytes(eC)), 32); // x(e_S·E_C)
  const ikm = concatBytes(hex(v, 'zee'), hex(v, 'zss'));
  const key = (from: Uint8Array, to: Uint8Array): Uint8Array => hkdf(nobleSha256, ikm, sha256(concatBytes(tag('salt'), sid)), concatBytes(tag('p2p'), hex(v, 'transcript'), from, to), 32);
  const frame = decodePayload(hex(v, 'p2p')) as { body: Uint8Array; iv: Uint8Array; n: number };
  const plain = xchacha20poly1305(hex(v, 'keyServerToClient'), frame.iv, concatBytes(tag('p2p'), numberToBytesBE(BigInt(frame.n), 8), encodeMessage({ ...env, payload: null }))).decrypt(frame.body);
  const p2p = r.server.seal(env);
  const bc = r.server.seal({ ...env, to: null });
  const opened = (c: SecureChannel, f: string): string => bytesToHex(encodeMessage(c.open(hex(v, f))));
  return all(
    eq('serverPub', bytesToHex(r.S.publicKey), str(v, 'serverPub')),
    eq('clientPub', bytesToHex(r.C.publicKey), str(v, 'clientPub')),
    eq('hs1', bytesToHex(r.hs1), str(v, 'hs1')),
    eq('hs2', bytesToHex(r.hs2), str(v, 'hs2')),
    eq('hs3', bytesToHex(r.hs3), str(v, 'hs3')),
    eq('transcript (server)', bytesToHex(th), str(v, 'transcript')),
    eq('transcript (client)', bytesToHex(r.client.transcript), str(v, 'transcript')),
    eq('transcript (formula)', bytesToHex(sha256(concatBytes(tag('handshake'), r.S.publicKey, r.C.publicKey, (decodePayload(r.hs1) as { e: Uint8Array }).e, (decodePayload(r.hs2) as { e: Uint8Array }).e))), str(v, 'transcript')),
    eq('zee', bytesToHex(zee), str(v, 'zee')),
    eq('zss', bytesToHex(r.S.sharedX(pointFromBytes(r.C.publicKey))), str(v, 'zss')),
    eq('connectionSid', bytesToHex(sha256(concatBytes(tag('connection'), th))), str(v, 'connectionSid')),
    eq('keyServerToClient', bytesToHex(key(r.S.publicKey, r.C.publicKey)), str(v, 'keyServerToClient')),
    eq('keyClientToServer', bytesToHex(key(r.C.publicKey, r.S.publicKey)), str(v, 'keyClientToServer')),
    eq('p2p plaintext under keyServerToClient', bytesToHex(plain), bytesToHex(encodePayload(env.payload))),
    eq('p2p (sealed by the server)', bytesToHex(p2p), str(v, 'p2p')),
    eq('broadcast (sealed by the server)', bytesToHex(bc), str(v, 'broadcast')),
    eq('p2p opened by the client', opened(r.client, 'p2p'), str(v, 'envelope')),
    eq('broadcast opened by the client', opened(r.client, 'broadcast'), bytesToHex(encodeMessage({ ...env, to: null }))),
  );
}

async function refusalVector(v: Record<string, unknown>, op: string, code: string): Promise<Verdict> {
  switch (op) {
    case 'server-verify': {
      const sh = new ServerHandshake(identity(v, 'serverKey'), { rng: fixedRng([ephemeralDraw(v, 'serverEphemeral')]) });
      return expectErrorCode(code, () => sh.verify(hex(v, 'hs2')));
    }
    case 'client-answer':
      return expectErrorCode(code, () => ClientHandshake.answer(identity(v, 'clientKey'), hex(v, 'hs1'), { expectServer: hex(v, 'serverPub'), rng: fixedRng([ephemeralDraw(v, 'clientEphemeral')]) }));
    case 'client-finish': {
      const ch = ClientHandshake.answer(identity(v, 'clientKey'), hex(v, 'hs1'), { expectServer: hex(v, 'serverPub'), rng: fixedRng([ephemeralDraw(v, 'clientEphemeral')]) });
      return expectErrorCode(code, () => ch.finish(hex(v, 'hs3')));
    }
    case 'open': {
      const { client } = replay(v);
      return expectErrorCode(code, () => client.open(hex(v, 'frame')));
    }
    default:
      throw new VectorFormatError(`unknown op ${op}`);
  }
}

/** `sequence`: the client's channel of the connection opens `frames` in order; each step gives its `envelope` or is refused with its `error`. */
async function sequenceVector(v: Record<string, unknown>): Promise<Verdict> {
  const { client } = replay(v);
  const steps = v.frames;
  if (!Array.isArray(steps) || steps.length === 0) throw new VectorFormatError('frames: expected a non-empty array');
  for (const [i, s] of steps.entries()) {
    if (typeof s !== 'object' || s === null) throw new VectorFormatError(`frames[${i}]: expected an object`);
    const step = s as Record<string, unknown>;
    const code = expectedError(step);
    if (code !== undefined) {
      const r = await expectErrorCode(code, () => client.open(hex(step, 'frame')));
      if (r !== true) return `frames[${i}]: ${String(r)}`;
      continue;
    }
    let got: string;
    try {
      got = bytesToHex(encodeMessage(client.open(hex(step, 'frame'))));
    } catch (e) {
      return `frames[${i}]: refused (${String((e as { code?: unknown }).code ?? e)}), expected to open`;
    }
    if (got !== str(step, 'envelope')) return `frames[${i}]: opened to another envelope`;
  }
  return true;
}

function runVector(v: Record<string, unknown>): Verdict | Promise<Verdict> {
  const op = str(v, 'op');
  if (op === 'sequence') return sequenceVector(v);
  const code = expectedError(v);
  if (op === 'connection') {
    if (code !== undefined) throw new VectorFormatError('connection: no error expected');
    return connectionVector(v);
  }
  if (code === undefined) throw new VectorFormatError(`${op}: expected an error code`);
  return refusalVector(v, op, code);
}

export const busSuite: Suite = {
  name: NAME,
  async run(doc: unknown): Promise<CheckResult[]> {
    const out: CheckResult[] = [];
    for (const v of vectorsOf(doc, NAME)) out.push(await checkOne(`${NAME}/${v.id}`, () => runVector(v)));
    return out;
  },
};
