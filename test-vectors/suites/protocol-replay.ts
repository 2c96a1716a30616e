/**
 * Transcript replay shared by the `keygen` and `refresh` suites (test-vectors/README.md,
 * "Protocol transcripts"). A vector is one seeded run; each replayed party is one check:
 *
 *   session = Session.create(protocol, {sid, self, parties, threshold}, input, {rng: seededRng(seed), replay: true})
 *   out = start(); for each message in `received` (wire bytes, in order): out += receive(decode(m))
 *   → the encoded `out` must equal `sent` byte for byte, and the end state must be `expect`:
 *     {output: …} (compared field by field in the JSON form below), {abort: {reason, round,
 *     culprits}} (the abort must happen on the last received message), or {pending: true};
 *     a party with `unconfirmed` (refresh) must hold exactly that unconfirmed output (or null).
 * @module
 */
import { bytesToHex, hexToBytes } from '../../src/bytes.js';
import { ProtocolAbort } from '../../src/errors.js';
import { seededRng } from '../../src/rng.js';
import { Session } from '../../protocols/session.js';
import type { Message, PartySpec, Protocol } from '../../protocols/types.js';
import { decodeMessage, encodeMessage } from '../../protocols/wire.js';
import type { SecretShares } from '../../protocols/util.js';
import type { CheckResult } from './types.js';
import { arr, checkOne, isObject, obj, str, vectorsOf, VectorFormatError, type Verdict } from './util.js';

function num(o: Record<string, unknown>, key: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new VectorFormatError(`field "${key}": expected an integer`);
  return v;
}

type J = Record<string, unknown>;

/** JSON of an output: byte strings and bigints as lower-case hex, shares as {index, share} (32-byte hex). */
export function outputToJSON(o: object): J {
  const conv = (v: unknown): unknown => {
    if (v instanceof Uint8Array) return bytesToHex(v);
    if (typeof v === 'bigint') return v.toString(16);
    if (Array.isArray(v)) return v.map(conv);
    if (typeof v === 'object' && v !== null && 'export' in v && 'indices' in v) {
      const s = v as SecretShares;
      return s.indices.map((index) => ({ index, share: bytesToHex(s.export(index)) }));
    }
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, conv(x)]));
    return v;
  };
  return conv(o) as J;
}

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stable(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

export interface ReplayResult {
  sent: Uint8Array[];
  end: { output: J } | { abort: { reason: string; round: number; culprits: number[] }; afterReceived: number } | { pending: true };
  /** The verified but unconfirmed output the session holds at the end (refresh after an abort), in JSON, else null. */
  unconfirmed: J | null;
}

/** Run one party against the messages it received. */
export function replayParty<I>(protocol: Protocol<I, unknown, object>, sid: Uint8Array, parties: PartySpec[], threshold: number, self: number, seed: string, input: I, received: readonly Uint8Array[]): ReplayResult {
  const s = Session.create(protocol, { sid, self, parties, threshold }, input, { rng: seededRng(seed), replay: true });
  const sent: Uint8Array[] = [];
  const push = (ms: Message[]) => ms.forEach((m) => sent.push(encodeMessage(m)));
  const held = (): J | null => (s.unconfirmed === undefined ? null : outputToJSON(s.unconfirmed as object));
  try {
    push(s.start());
    for (let i = 0; i < received.length; i++) {
      try {
        push(s.receive(decodeMessage(received[i]!)));
      } catch (e) {
        if (e instanceof ProtocolAbort) return { sent, end: { abort: { reason: e.reason, round: e.round, culprits: [...e.culprits] }, afterReceived: i + 1 }, unconfirmed: held() };
        throw e;
      }
    }
  } catch (e) {
    if (e instanceof ProtocolAbort) return { sent, end: { abort: { reason: e.reason, round: e.round, culprits: [...e.culprits] }, afterReceived: 0 }, unconfirmed: held() };
    throw e;
  }
  if (s.status === 'done') return { sent, end: { output: outputToJSON(s.output as object) }, unconfirmed: held() };
  return { sent, end: { pending: true }, unconfirmed: held() };
}

/** The `expect` field of a party from a replay result. */
export function expectOf(r: ReplayResult): J {
  if ('output' in r.end) return { output: r.end.output };
  if ('abort' in r.end) return { abort: r.end.abort };
  return { pending: true };
}

function partySpecs(v: J): PartySpec[] {
  return arr(v, 'parties').map((p, i) => {
    if (!isObject(p)) throw new VectorFormatError(`parties[${i}]: expected an object`);
    return { id: num(p, 'id'), owns: arr(p, 'owns').map((x) => (typeof x === 'number' ? x : NaN)) };
  });
}

/** Run a transcript file: one check per replayed party of every vector. */
export async function runTranscripts<I>(doc: unknown, suite: string, protocol: Protocol<I, unknown, object>, inputFromJSON: (j: unknown) => I): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const v of vectorsOf(doc, suite)) {
    const parties = partySpecs(v);
    for (const [k, p] of arr(v, 'transcript').entries()) {
      if (!isObject(p)) throw new VectorFormatError(`transcript[${k}]: expected an object`);
      if (p.replay === false) continue;
      const id = `${suite}/${v.id}/party-${String(p.id)}`;
      out.push(
        await checkOne(id, (): Verdict => {
          const r = replayParty(protocol, hexToBytes(str(v, 'sid')), parties, num(v, 'threshold'), num(p, 'id'), str(p, 'seed'), inputFromJSON(p.input), arr(p, 'received').map((h) => hexToBytes(String(h))));
          const want = arr(p, 'sent').map(String);
          const got = r.sent.map(bytesToHex);
          if (got.length !== want.length) return `sent ${got.length} messages, expected ${want.length}`;
          for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) return `sent message ${i} differs`;
          const exp = obj(p, 'expect');
          if ('abort' in r.end && r.end.afterReceived !== arr(p, 'received').length) return `aborted after ${r.end.afterReceived} of ${arr(p, 'received').length} received messages`;
          const gotEnd = expectOf(r);
          if (stable(gotEnd) !== stable(exp)) return `end state ${stable(gotEnd).slice(0, 200)} ≠ expected ${stable(exp).slice(0, 200)}`;
          // refresh: the verified but unconfirmed output the session keeps after an abort (SPEC.md §12)
          if ('unconfirmed' in p && stable(r.unconfirmed) !== stable(p.unconfirmed)) return `unconfirmed ${stable(r.unconfirmed).slice(0, 200)} ≠ expected ${stable(p.unconfirmed).slice(0, 200)}`;
          return true;
        }),
      );
    }
  }
  if (out.length === 0) throw new VectorFormatError('no replayable party in the file');
  return out;
}

