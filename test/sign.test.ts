/**
 * Presign + sign among every kind of signing set, each signature verified by OpenSSL (node:crypto),
 * @noble/curves and public-key recovery; presignature single use and binding; refresh retires the
 * old shares; the high profile once.
 */
import { describe, expect, it } from 'vitest';
import { bytesToNumberBE, utf8ToBytes } from '../src/bytes.js';
import { isTkeyTssError } from '../src/errors.js';
import { N as q, mulGUnsafe, pointFromBytes, pointToBytes, scalarToBytes } from '../src/curve.js';
import { sha256 } from '../src/hash.js';
import { seededRng } from '../src/rng.js';
import type { KeygenOutput } from '../protocols/keygen/index.js';
import { Presignature, presign, type PresignOutput } from '../protocols/presign/index.js';
import { decodeMessage, encodeMessage } from '../protocols/wire.js';
import { Session } from '../protocols/session.js';
import { sign, type SignState } from '../protocols/sign/index.js';
import { ethAddress, recoverAddress } from '../src/signature/ecdsa.js';
import { auxFixtures } from './helpers/aux-fixtures.js';
import { runPresign, runSign } from './helpers/signing.js';
import { allShares, interpolatesTo, runKeygen, runRefresh } from './helpers/simulate.js';
import { nobleVerify, opensslVerify, recovers } from './helpers/verify-signature.js';

const P = (id: number) => ({ id, owns: [id] });
const keyOf = (n: number, t: number, seed: string): KeygenOutput[] => {
  const r = runKeygen(Array.from({ length: n }, (_, i) => P(i + 1)), t, seed);
  return [...r.outputs.values()];
};

/** Presign + sign sha256(message); every party's output verified three ways. */
function signAndVerify(key: readonly { publicKey: Uint8Array; epoch: number; publicShares: readonly { index: number; X: Uint8Array }[]; shares: { has(i: number): boolean; export(i: number): Uint8Array } }[], signers: number[], message: string, seed: string, shift?: Uint8Array) {
  const ps = runPresign(key as never, signers, { seed: `${seed}/ps`, ...(shift ? { shift } : {}) });
  expect([...ps.aborts.values()].map(String)).toEqual([]);
  expect(ps.outputs.size).toBe(signers.length);
  const outs = [...ps.outputs.values()];
  for (const o of outs) expect(o.R).toEqual(outs[0]!.R);
  const msg = utf8ToBytes(message);
  const digest = sha256(msg);
  const sg = runSign(ps.outputs, digest, { seed: `${seed}/sg` });
  expect([...sg.aborts.values()].map(String)).toEqual([]);
  expect(sg.outputs.size).toBe(signers.length);
  const first = sg.outputs.get(signers[0]!)!;
  for (const o of sg.outputs.values()) {
    expect(o.signature).toEqual(first.signature);
    expect(bytesToNumberBE(o.s) <= q >> 1n).toBe(true); // low-s
    expect(opensslVerify(msg, o.signature, o.publicKey)).toBe(true);
    expect(nobleVerify(digest, o.signature, o.publicKey)).toBe(true);
    expect(recovers(digest, o.r, o.s, o.recovery, o.publicKey)).toBe(true);
    expect(recoverAddress(digest, bytesToNumberBE(o.r), bytesToNumberBE(o.s), o.recovery)).toBe(ethAddress(o.publicKey));
  }
  // a tampered message does not verify (the verifiers can fail)
  expect(opensslVerify(utf8ToBytes(message + '!'), first.signature, first.publicKey)).toBe(false);
  return { ps, sg, first };
}

describe('signing sets', () => {
  it('2-of-2', () => {
    const key = keyOf(2, 2, 'k22');
    const { first } = signAndVerify(key, [1, 2], 'two of two', 's22');
    expect(first.publicKey).toEqual(key[0]!.publicKey);
  });

  it('2-of-3: every pair ({service, device}, {device, recovery}, {service, recovery})', () => {
    const key = keyOf(3, 2, 'k23');
    for (const pair of [
      [1, 2],
      [2, 3],
      [1, 3],
    ]) {
      const { first } = signAndVerify(key, pair, `pair ${pair.join('+')}`, `s23-${pair.join('')}`);
      expect(first.publicKey).toEqual(key[0]!.publicKey);
    }
  });

  it('3-of-5 (three signers, echo check on)', () => {
    const key = keyOf(5, 3, 'k35');
    signAndVerify(key, [1, 3, 5], 'three of five', 's35');
  });

  it('with a derivation shift the signature verifies under Y + shift·G only', () => {
    const key = keyOf(2, 2, 'k22');
    const shift = scalarToBytes(123456789n);
    const { first } = signAndVerify(key, [1, 2], 'derived', 'sshift', shift);
    const Yd = pointToBytes(pointFromBytes(key[0]!.publicKey).add(mulGUnsafe(123456789n)));
    expect(first.publicKey).toEqual(Yd);
    expect(opensslVerify(utf8ToBytes('derived'), first.signature, key[0]!.publicKey)).toBe(false);
  });

  it('high profile (3072-bit N), 2-of-2', () => {
    const key = keyOf(2, 2, 'k22');
    const aux = auxFixtures([1, 2], 'high');
    const ps = runPresign(key, [1, 2], { seed: 'high', aux });
    expect(ps.outputs.size).toBe(2);
    const digest = sha256(utf8ToBytes('high'));
    const sg = runSign(ps.outputs, digest);
    expect(opensslVerify(utf8ToBytes('high'), sg.outputs.get(1)!.signature, key[0]!.publicKey)).toBe(true);
  });
});

describe('presignatures: single use, bound to key, epoch, signer set and path', () => {
  const key = keyOf(2, 2, 'k22');
  const fresh = (seed: string, shift?: Uint8Array) => runPresign(key, [1, 2], { seed, ...(shift ? { shift } : {}) }).outputs;
  const digest = sha256(utf8ToBytes('once'));
  const cfg = (self: number) => ({ sid: utf8ToBytes('x'), self, parties: [P(1), P(2)], threshold: 2 });
  const input = (o: PresignOutput, extra: object = {}) => ({ presignature: o.presignature, digest, publicKey: o.publicKey, epoch: o.epoch, shift: o.shift, ...extra });
  const code = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (e) {
      return isTkeyTssError(e) ? e.code : String(e);
    }
    return undefined;
  };

  it('a presignature cannot sign twice', () => {
    const pre = fresh('once');
    expect(runSign(pre, digest).outputs.size).toBe(2);
    expect(pre.get(1)!.presignature.consumed).toBe(true);
    expect(code(() => Session.create(sign, cfg(1), input(pre.get(1)!), { rng: seededRng('x') }))).toBe('PRESIGN_USED');
    expect(code(() => pre.get(1)!.presignature.exportData())).toBe('PRESIGN_USED');
  });

  it('bytes for a durable pool: round trip, binding, redaction', () => {
    const pre = fresh('bytes');
    const o = pre.get(1)!.presignature;
    expect(o.binding).toEqual({ publicKey: key[0]!.publicKey, epoch: 0, signers: [1, 2], shift: new Uint8Array(32), profile: 'default' });
    const copy = Presignature.fromBytes(o.toBytes());
    expect(copy.exportData()).toEqual(o.exportData());
    expect(runSign(new Map([[1, { ...pre.get(1)!, presignature: copy }], [2, pre.get(2)!]]), digest).outputs.size).toBe(2);
    expect(code(() => copy.toBytes())).toBe('PRESIGN_USED');
    expect(String(Object.keys(JSON.parse(JSON.stringify(o))))).not.toMatch(/k|chi/);
  });

  it('a presignature made for one derivation path is refused for another (and is not consumed by the refusal)', () => {
    const pre = fresh('path', scalarToBytes(7n));
    expect(code(() => Session.create(sign, cfg(1), input(pre.get(1)!, { shift: scalarToBytes(8n) }), { rng: seededRng('x') }))).toBe('PRESIGN_BINDING_MISMATCH');
    expect(code(() => Session.create(sign, cfg(1), input(pre.get(1)!, { shift: undefined }), { rng: seededRng('x') }))).toBe('PRESIGN_BINDING_MISMATCH');
    expect(pre.get(1)!.presignature.consumed).toBe(false);
  });

  it('refused for another key, epoch or signer set', () => {
    const pre = fresh('bind');
    const o = pre.get(1)!;
    const other = keyOf(2, 2, 'other')[0]!.publicKey;
    expect(code(() => Session.create(sign, cfg(1), input(o, { publicKey: other }), { rng: seededRng('x') }))).toBe('PRESIGN_BINDING_MISMATCH');
    expect(code(() => Session.create(sign, cfg(1), input(o, { epoch: 1 }), { rng: seededRng('x') }))).toBe('PRESIGN_BINDING_MISMATCH');
    expect(code(() => Session.create(sign, { ...cfg(1), parties: [P(1), P(3)] }, input(o), { rng: seededRng('x') }))).toBe('PRESIGN_BINDING_MISMATCH');
    expect(JSON.stringify(o.presignature)).not.toMatch(/"k"|"chi"/);
  });

  it('an aborted sign burns the presignature', () => {
    const pre = fresh('burn');
    const r = runSign(pre, digest, { extra: { hooks: (p) => (p === 1 ? { beforeRound: (k, s) => (k === 2 ? { ...(s as SignState), r: 0n } : s) } : undefined), faulty: [1] } });
    expect(r.aborts.get(1)!.reason).toBe('DEGENERATE_SIGNATURE');
    expect(pre.get(1)!.presignature.consumed).toBe(true);
  });
});

describe('plain-data state', () => {
  it('a presign party paused after round 2 (snapshot → structuredClone → resume) finishes and signs', () => {
    const key = keyOf(2, 2, 'k22');
    const aux = auxFixtures([1, 2]);
    const parties = [P(1), P(2)];
    const mk = (id: number) =>
      Session.create(presign, { sid: utf8ToBytes('snap'), self: id, parties, threshold: 2 }, { publicKey: key[0]!.publicKey, epoch: 0, publicShares: key[0]!.publicShares, share: key.find((o) => o.shares.has(id))!.shares.export(id), aux: aux.get(id)! }, { rng: seededRng(`snap/${id}`) });
    const s: Record<number, Session<unknown, unknown, PresignOutput>> = { 1: mk(1) as never, 2: mk(2) as never };
    let queue = [...s[1]!.start(), ...s[2]!.start()];
    let paused = false;
    while (queue.length) {
      const m = queue.shift()!;
      const to = m.to ?? (m.from === 1 ? 2 : 1);
      queue.push(...s[to]!.receive(decodeMessage(encodeMessage(m))));
      if (!paused && s[2]!.nextRound === 3) {
        paused = true;
        const snap = structuredClone(s[2]!.snapshot());
        s[2] = Session.resume(presign, snap as never, { rng: seededRng('snap/2') }) as never;
      }
    }
    expect(paused).toBe(true);
    expect(s[1]!.status).toBe('done');
    expect(s[2]!.status).toBe('done');
    const pre = new Map([1, 2].map((id) => [id, s[id]!.output!] as const));
    const digest = sha256(utf8ToBytes('resumed'));
    const out = runSign(pre, digest).outputs.get(1)!;
    expect(opensslVerify(utf8ToBytes('resumed'), out.signature, key[0]!.publicKey)).toBe(true);
  });
});

describe('refresh retires the old shares', () => {
  it('old shares cannot take part after a refresh', () => {
    const kg = keyOf(3, 2, 'k23r');
    const rf = runRefresh(kg, new Map([[1, [1]], [2, [2]]]), [P(1), P(2), P(3)], 2, 'rf');
    const fresh = [...rf.outputs.values()];
    expect(interpolatesTo([...allShares(fresh)].slice(0, 2).map(([x, y]) => ({ x, y })), kg[0]!.publicKey)).toBe(true);
    // the new shares sign
    signAndVerify(fresh, [1, 3], 'after refresh', 'after');
    const aux = auxFixtures([1, 3]);
    const newInput = (id: number) => ({ publicKey: fresh[0]!.publicKey, epoch: fresh[0]!.epoch, publicShares: fresh[0]!.publicShares, share: fresh.find((o) => o.shares.has(id))!.shares.export(id), aux: aux.get(id)! });
    const oldInput = (id: number) => ({ publicKey: kg[0]!.publicKey, epoch: kg[0]!.epoch, publicShares: kg[0]!.publicShares, share: kg.find((o) => o.shares.has(id))!.shares.export(id), aux: aux.get(id)! });
    // an old share against the new public shares is refused before anything is sent
    let err: unknown;
    try {
      runPresign(fresh, [1, 3], { input: (id) => (id === 3 ? { ...newInput(3), share: oldInput(3).share } : newInput(id)) });
    } catch (e) {
      err = e;
    }
    expect(isTkeyTssError(err, 'SHARE_NOT_ON_POLYNOMIAL')).toBe(true);
    // a party still on the old epoch: configurations differ, the session aborts
    const mixed = runPresign(fresh, [1, 3], { input: (id) => (id === 3 ? oldInput(3) : newInput(id)) });
    expect(mixed.outputs.size).toBe(0);
    expect(mixed.aborts.get(1)!.reason).toBe('CONFIG_MISMATCH');
    expect(mixed.aborts.get(1)!.culprits).toEqual([3]);
    // an old-epoch presignature is refused under the new epoch
    const oldPre = runPresign(kg, [1, 3], { seed: 'oldpre' }).outputs;
    const o = oldPre.get(1)!;
    expect(() => Session.create(sign, { sid: utf8ToBytes('x'), self: 1, parties: [P(1), P(3)], threshold: 2 }, { presignature: o.presignature, digest: sha256(utf8ToBytes('m')), publicKey: fresh[0]!.publicKey, epoch: fresh[0]!.epoch }, { rng: seededRng('x') })).toThrow(/another epoch/);
  });
});
