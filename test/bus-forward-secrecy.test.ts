/**
 * Forward secrecy of the bus (issue 9 item 6): a transcript recorded from a real run between two
 * nodes (every frame both ways, handshake included) cannot be opened by someone who later holds
 * BOTH identity keys, once the connection is closed and its ephemeral keys are gone. The attacker
 * here re-implements every key derivation the identity keys allow (the static-static one of the
 * v1 channel, and the v2 one with everything computable from the identity keys and the recorded
 * handshake in place of the ephemeral–ephemeral secret). A control shows the attacker's v2
 * derivation is right: given the client's ephemeral secret (reproducible here only because the
 * test seeded the client's RNG) it opens every recorded p2p frame. Uses only the public Link API,
 * so the same test runs against the static-static channel (where the first check fails).
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, concatBytes, hexToBytes, numberToBytesBE, utf8ToBytes } from '../src/bytes.js';
import { connectLink, decodePayload, encodeMessage, LinkServer, memoryPair, type Envelope, type Link, type WirePayload } from '../src/bus/index.js';
import { ecdhX, getPublicKey, pointFromBytes, randomScalar, scalarFromBytes } from '../src/curve.js';
import { sha256 } from '../src/hash.js';
import { seededRng } from '../src/rng.js';

const KEY_S = new Uint8Array(32).fill(0x11);
const KEY_C = new Uint8Array(32).fill(0x22);
const S = getPublicKey(KEY_S);
const C = getPublicKey(KEY_C);
const CLIENT_SEED = 'bus-fs/client';
const SECRETS = ['share of the server: 8c1f…', 'share of the device: 3e77…'];
const sid = utf8ToBytes('fs-session');

interface Recorded {
  dir: 'a→b' | 'b→a';
  frame: Uint8Array;
}

const u64 = (n: number): Uint8Array => numberToBytesBE(BigInt(n), 8);
const x32 = (secret: Uint8Array, pub: Uint8Array): Uint8Array => numberToBytesBE(ecdhX(scalarFromBytes(secret), pointFromBytes(pub)), 32);

function asMap(b: Uint8Array): Record<string, WirePayload> | null {
  try {
    const v = decodePayload(b);
    return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) ? (v as Record<string, WirePayload>) : null;
  } catch {
    return null;
  }
}

/** A real run: the server node (a) and the client node (b) exchange secret p2p payloads and a broadcast, then close. Every frame is recorded. */
async function recordRun(): Promise<{ rec: Recorded[]; links: Link[] }> {
  const rec: Recorded[] = [];
  const p = memoryPair({ fault: (frame, dir) => (rec.push({ dir, frame: frame.slice() }), [frame]) });
  const server = new LinkServer({ identityKey: KEY_S, rng: seededRng('bus-fs/server') });
  const aP = new Promise<Link>((res) => server.onLink(res));
  server.accept(p.a);
  const b = connectLink(p.b, { identityKey: KEY_C, serverPub: S, rng: seededRng(CLIENT_SEED) });
  const a = await aP;
  await b.whenReady();
  await a.whenReady();
  const got = (l: Link, n: number): Promise<Envelope[]> =>
    new Promise((res) => {
      const seen: Envelope[] = [];
      l.subscribe(sid, (env) => {
        seen.push(env);
        if (seen.length === n) res(seen);
      });
    });
  const atA = got(a, 1);
  const atB = got(b, 2);
  expect(a.send({ sid, protocol: 'keygen', round: 1, from: 1, to: 2, payload: { secret: utf8ToBytes(SECRETS[0]!) } })).toBe(true);
  expect(a.send({ sid, protocol: 'keygen', round: 1, from: 1, to: null, payload: { commitment: new Uint8Array(33).fill(2) } })).toBe(true);
  expect(b.send({ sid, protocol: 'keygen', round: 1, from: 2, to: 1, payload: { secret: utf8ToBytes(SECRETS[1]!) } })).toBe(true);
  const [ea, eb] = await Promise.all([atA, atB]);
  expect(ea[0]!.payload).toEqual({ secret: utf8ToBytes(SECRETS[1]!) });
  expect(eb.map((e) => e.payload)).toContainEqual({ secret: utf8ToBytes(SECRETS[0]!) });
  b.close();
  server.close();
  return { rec, links: [a, b] };
}

/** The recorded p2p frames with what the attacker needs to try a key on each. */
function p2pFrames(rec: Recorded[]) {
  const out: { dir: Recorded['dir']; n: number; iv: Uint8Array; body: Uint8Array; head: Envelope }[] = [];
  for (const r of rec) {
    const m = asMap(r.frame);
    if (!m || !(m.iv instanceof Uint8Array)) continue;
    const head: Envelope = { sid: m.sid as Uint8Array, protocol: m.protocol as string, round: m.round as number, from: m.from as number, to: m.to as number | null, payload: null };
    out.push({ dir: r.dir, n: m.n as number, iv: m.iv, body: m.body as Uint8Array, head });
  }
  return out;
}

/** The ephemeral public keys of the recorded handshake (absent in the v1 handshake). */
function ephemerals(rec: Recorded[]): { es: Uint8Array; ec: Uint8Array } | null {
  let es: Uint8Array | null = null;
  let ec: Uint8Array | null = null;
  for (const r of rec) {
    const m = asMap(r.frame);
    if (m?.hs === 1 && m.e instanceof Uint8Array) es = m.e;
    if (m?.hs === 2 && m.e instanceof Uint8Array) ec = m.e;
  }
  return es && ec ? { es, ec } : null;
}

type Derivation = { label: string; key: (sender: Uint8Array, receiver: Uint8Array, sid: Uint8Array) => Uint8Array; aad: (n: number, head: Envelope) => Uint8Array };

const v1 = (ikm: Uint8Array): Derivation => ({
  label: 'v1 static-static',
  key: (snd, rcv, s) => hkdf(nobleSha256, ikm, sha256(concatBytes(utf8ToBytes('tkey-tss/bus/v1/salt'), s)), concatBytes(utf8ToBytes('tkey-tss/bus/v1/p2p'), snd, rcv), 32),
  aad: (n, head) => concatBytes(utf8ToBytes('tkey-tss/bus/v1/p2p'), u64(n), encodeMessage(head)),
});
const v2 = (label: string, ikm: Uint8Array, th: Uint8Array): Derivation => ({
  label,
  key: (snd, rcv, s) => hkdf(nobleSha256, ikm, sha256(concatBytes(utf8ToBytes('tkey-tss/bus/v2/salt'), s)), concatBytes(utf8ToBytes('tkey-tss/bus/v2/p2p'), th, snd, rcv), 32),
  aad: (n, head) => concatBytes(utf8ToBytes('tkey-tss/bus/v2/p2p'), u64(n), encodeMessage(head)),
});

/** Which recorded p2p frames open under a derivation (both directions tried); the plaintexts. */
function tryOpen(frames: ReturnType<typeof p2pFrames>, d: Derivation): string[] {
  const opened: string[] = [];
  for (const f of frames) {
    for (const [snd, rcv] of [
      [S, C],
      [C, S],
    ] as const) {
      try {
        const pt = xchacha20poly1305(d.key(snd, rcv, f.head.sid), f.iv, d.aad(f.n, f.head)).decrypt(f.body);
        opened.push(bytesToHex(pt));
      } catch {
        /* does not open */
      }
    }
  }
  return opened;
}

describe('bus forward secrecy: a recorded transcript after the connection closed', () => {
  let run: { rec: Recorded[]; links: Link[] };
  beforeAll(async () => {
    run = await recordRun();
  });

  it('does not open with both identity keys (every derivation they allow); the payloads are not on the wire', () => {
    const frames = p2pFrames(run.rec);
    expect(frames.length).toBe(2);
    const wire = run.rec.map((r) => bytesToHex(r.frame)).join('');
    for (const s of SECRETS) expect(wire).not.toContain(bytesToHex(utf8ToBytes(s)));
    // the connection's keys are gone: neither link can seal any more
    for (const l of run.links) expect(() => l.sealForTest({ sid, protocol: 'keygen', round: 1, from: 1, to: 2, payload: null })).toThrow(expect.objectContaining({ code: 'BUS_CLOSED' }));

    const zss = x32(KEY_S, C);
    expect(bytesToHex(zss)).toBe(bytesToHex(x32(KEY_C, S)));
    const attempts: Derivation[] = [v1(zss)];
    const eph = ephemerals(run.rec);
    if (eph) {
      // everything the identity keys and the recorded handshake give, in place of Z_ee
      const th = sha256(concatBytes(utf8ToBytes('tkey-tss/bus/v2/handshake'), S, C, eph.es, eph.ec));
      const sEc = x32(KEY_S, eph.ec); // x(s·E_C)
      const cEs = x32(KEY_C, eph.es); // x(c·E_S)
      for (const [label, ikm] of [
        ['Z_ss', zss],
        ['Z_ss ‖ Z_ss', concatBytes(zss, zss)],
        ['x(s·E_C) ‖ Z_ss', concatBytes(sEc, zss)],
        ['x(c·E_S) ‖ Z_ss', concatBytes(cEs, zss)],
        ['x(s·E_C) ‖ x(c·E_S)', concatBytes(sEc, cEs)],
        ['x(s·E_C)', sEc],
        ['x(c·E_S)', cEs],
        ['0³² ‖ Z_ss', concatBytes(new Uint8Array(32), zss)],
      ] as const)
        attempts.push(v2(`v2 with ${label}`, ikm, th));
    }
    const opened = attempts.flatMap((d) => tryOpen(frames, d).map((pt) => `${d.label}: ${pt}`));
    expect(opened).toEqual([]);
  });

  it('control: with the client’s ephemeral secret (only reproducible because the test seeded its RNG) the same v2 derivation opens every p2p frame', () => {
    const frames = p2pFrames(run.rec);
    const eph = ephemerals(run.rec);
    expect(eph, 'the handshake carries ephemeral keys').not.toBeNull();
    const eC = numberToBytesBE(randomScalar(seededRng(CLIENT_SEED)), 32); // the client's first draw
    expect(bytesToHex(getPublicKey(eC))).toBe(bytesToHex(eph!.ec));
    const zee = x32(eC, eph!.es);
    const th = sha256(concatBytes(utf8ToBytes('tkey-tss/bus/v2/handshake'), S, C, eph!.es, eph!.ec));
    const opened = tryOpen(frames, v2('v2', concatBytes(zee, x32(KEY_S, C)), th));
    expect(opened.length).toBe(frames.length);
    const texts = opened.map((h) => decodePayload(hexToBytes(h)) as { secret: Uint8Array });
    expect(texts.map((t) => new TextDecoder().decode(t.secret)).sort()).toEqual([...SECRETS].sort());
  });
});
