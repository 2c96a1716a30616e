/**
 * `presign` and `sign`: seeded CGGMP21 presign and online-sign transcripts (test-vectors/presign/*.json,
 * test-vectors/sign/*.json, written by test-vectors/generate-protocols.ts; TEST primes only). Replay
 * as in suites/protocol-replay.ts. Party input in JSON (byte strings and big integers as hex):
 *   presign: {publicKey, epoch, publicShares: [{index, X}], share, shift,
 *             aux: {profile, self, secret: {p, q, lambda}, parties: [{id, N, s, t}]}}
 *   sign:    {presignature: {tag, sid, self, signers, profile, publicKey, derivedKey, epoch, shift, R, k, chi,
 *             Rbar: [{id, P}], Sbar: [{id, P}]}, digest, publicKey, epoch, shift}
 * @module
 */
import { bytesToHex, hexToBytes } from '../../src/bytes.js';
import type { AuxInfo } from '../../protocols/aux/types.js';
import { Presignature, presign, type PresignatureData, type PresignInput } from '../../protocols/presign/index.js';
import { sign, type SignInput } from '../../protocols/sign/index.js';
import type { Protocol } from '../../protocols/types.js';
import { runTranscripts } from './protocol-replay.js';
import type { Suite } from './types.js';
import { arr, isObject, obj, str, VectorFormatError } from './util.js';

type J = Record<string, unknown>;
const hex = bytesToHex;
const bigHex = (x: bigint) => x.toString(16);
const big = (o: J, k: string): bigint => {
  const s = str(o, k);
  if (!/^[0-9a-f]+$/.test(s)) throw new VectorFormatError(`${k}: expected lower-case hex`);
  return BigInt('0x' + s);
};
const int = (o: J, k: string): number => {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new VectorFormatError(`${k}: expected an integer`);
  return v;
};
const list = (o: J, k: string): J[] =>
  arr(o, k).map((e, i) => {
    if (!isObject(e)) throw new VectorFormatError(`${k}[${i}]: expected an object`);
    return e;
  });

export function auxToJSON(a: AuxInfo): J {
  return {
    profile: a.profile,
    self: a.self,
    secret: { p: bigHex(a.secret.p), q: bigHex(a.secret.q), lambda: bigHex(a.secret.lambda) },
    parties: a.parties.map((e) => ({ id: e.id, N: bigHex(e.N), s: bigHex(e.s), t: bigHex(e.t) })),
  };
}
export function auxFromJSON(j: J): AuxInfo {
  const secret = obj(j, 'secret');
  const profile = str(j, 'profile');
  if (profile !== 'default' && profile !== 'high') throw new VectorFormatError('aux.profile');
  return {
    profile,
    self: int(j, 'self'),
    secret: { p: big(secret, 'p'), q: big(secret, 'q'), lambda: big(secret, 'lambda') },
    parties: list(j, 'parties').map((e) => ({ id: int(e, 'id'), N: big(e, 'N'), s: big(e, 's'), t: big(e, 't') })),
  };
}

export function presignInputToJSON(i: PresignInput): J {
  return {
    publicKey: hex(i.publicKey),
    epoch: i.epoch,
    publicShares: i.publicShares.map((e) => ({ index: e.index, X: hex(e.X) })),
    share: hex(i.share),
    shift: hex(i.shift ?? new Uint8Array(32)),
    aux: auxToJSON(i.aux),
  };
}
export function presignInputFromJSON(j: unknown): PresignInput {
  if (!isObject(j)) throw new VectorFormatError('presign input: expected an object');
  return {
    publicKey: hexToBytes(str(j, 'publicKey')),
    epoch: int(j, 'epoch'),
    publicShares: list(j, 'publicShares').map((e) => ({ index: int(e, 'index'), X: hexToBytes(str(e, 'X')) })),
    share: hexToBytes(str(j, 'share')),
    shift: hexToBytes(str(j, 'shift')),
    aux: auxFromJSON(obj(j, 'aux')),
  };
}

export function presignatureToJSON(d: PresignatureData): J {
  const pts = (xs: { id: number; P: Uint8Array }[]) => xs.map((e) => ({ id: e.id, P: hex(e.P) }));
  return { tag: hex(d.tag), sid: hex(d.sid), self: d.self, signers: [...d.signers], profile: d.profile, publicKey: hex(d.publicKey), derivedKey: hex(d.derivedKey), epoch: d.epoch, shift: hex(d.shift), R: hex(d.R), k: hex(d.k), chi: hex(d.chi), Rbar: pts(d.Rbar), Sbar: pts(d.Sbar) };
}
export function presignatureFromJSON(j: J): PresignatureData {
  const b = (k: string) => hexToBytes(str(j, k));
  const pts = (k: string) => list(j, k).map((e) => ({ id: int(e, 'id'), P: hexToBytes(str(e, 'P')) }));
  const profile = str(j, 'profile');
  if (profile !== 'default' && profile !== 'high') throw new VectorFormatError('presignature.profile');
  return { tag: b('tag'), sid: b('sid'), self: int(j, 'self'), signers: arr(j, 'signers') as number[], profile, publicKey: b('publicKey'), derivedKey: b('derivedKey'), epoch: int(j, 'epoch'), shift: b('shift'), R: b('R'), k: b('k'), chi: b('chi'), Rbar: pts('Rbar'), Sbar: pts('Sbar') };
}

/** Sign input JSON; `presignature` is the exported data (a fresh single-use object per replay). */
export function signInputToJSON(i: SignInput): J {
  return { presignature: presignatureToJSON(i.presignature.exportData()), digest: hex(i.digest), publicKey: hex(i.publicKey), epoch: i.epoch, shift: hex(i.shift ?? new Uint8Array(32)) };
}
export function signInputFromJSON(j: unknown): SignInput {
  if (!isObject(j)) throw new VectorFormatError('sign input: expected an object');
  return { presignature: Presignature.fromData(presignatureFromJSON(obj(j, 'presignature'))), digest: hexToBytes(str(j, 'digest')), publicKey: hexToBytes(str(j, 'publicKey')), epoch: int(j, 'epoch'), shift: hexToBytes(str(j, 'shift')) };
}

export const presignSuite: Suite = {
  name: 'presign',
  run: (doc) => runTranscripts(doc, 'presign', presign as unknown as Protocol<PresignInput, unknown, object>, presignInputFromJSON),
};
export const signSuite: Suite = {
  name: 'sign',
  run: (doc) => runTranscripts(doc, 'sign', sign as unknown as Protocol<SignInput, unknown, object>, signInputFromJSON),
};
