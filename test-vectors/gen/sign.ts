/**
 * Generator of the `sign` suite (test-vectors/sign/*.json), called by generate-protocols.ts.
 * Each setup is a seeded presign (not itself a vector) whose presignatures are the sign inputs;
 * honest 2-of-2, 2-of-3 (with a derivation shift) and 3-of-5 signatures, and one tampered
 * transcript per check of SPEC.md §11 that names a culprit.
 * @module
 */
import { bytesToNumberBE, utf8ToBytes } from '../../src/bytes.js';
import { modN, N as q, pointFromBytes, scalarToBytes } from '../../src/curve.js';
import { sha256 } from '../../src/hash.js';
import { seededRng } from '../../src/rng.js';
import { presign, Presignature, type PresignatureData, type PresignOutput } from '../../protocols/presign/index.js';
import { sign, type SignInput } from '../../protocols/sign/index.js';
import { simulate } from '../../protocols/simulate.js';
import type { Payload, PartySpec, Protocol } from '../../protocols/types.js';
import { editMessage, flip, type Rule } from '../../test/helpers/tamper.js';
import { signInputToJSON } from '../suites/presign.js';
import { type Case, file, keygenRun, SEED, vector } from '../generate-protocols.js';
import { presignInputsOf, slim } from './presign.js';

type Obj = Record<string, Payload>;
const P = (id: number, ...owns: number[]): PartySpec => ({ id, owns });
const sgProto = sign as unknown as Protocol<SignInput, unknown, object>;
const DIGEST = sha256(utf8ToBytes('tkey-tss conformance: sign me'));

/** Presignature data of every signer from a seeded presign run (`label` names the setup). */
function setup(key: ReturnType<typeof keygenRun>, signers: PartySpec[], label: string, shift?: Uint8Array): Map<number, PresignatureData> {
  const ids = signers.map((p) => p.id);
  const inputs = presignInputsOf(key, ids, shift);
  const r = simulate(presign, signers.map((p) => ({ id: p.id, owns: p.owns, input: inputs(p.id), rng: seededRng(`${SEED}/setup/${label}/party-${p.id}`) })), { sid: utf8ToBytes(`${SEED}/setup/${label}`), threshold: signers.length, replay: true });
  if (r.outputs.size !== signers.length) throw new Error(`${label}: setup presign did not finish`);
  return new Map(ids.map((id) => [id, (r.outputs.get(id) as PresignOutput).presignature.exportData()]));
}

function inputOf(data: Map<number, PresignatureData>): (id: number) => SignInput {
  return (id) => {
    const d = data.get(id)!;
    return { presignature: Presignature.fromData(d), digest: DIGEST, publicKey: d.publicKey, epoch: d.epoch, shift: d.shift };
  };
}

/** σ_i = k_i·m + r·χ_i (mod q) of a signer, from its presignature data (SPEC.md §11.1). */
function sigmaOf(d: PresignatureData): bigint {
  const r = modN(pointFromBytes(d.R).toAffine().x);
  return modN(bytesToNumberBE(d.k) * modN(bytesToNumberBE(DIGEST)) + r * bytesToNumberBE(d.chi));
}

export function signFiles(): Map<string, string> {
  const two = [P(1, 1), P(2, 2)];
  const d22 = setup(keygenRun(two, 2, 'sign-2of2'), two, 'sign-presign');
  const s23 = [P(1, 1), P(3, 3)];
  const d23 = setup(keygenRun([P(1, 1), P(2, 2), P(3, 3)], 2, 'sign-2of3'), s23, 'sign-presign-2of3', scalarToBytes(7n));
  const s35 = [P(1, 1), P(3, 3), P(5, 5)];
  const d35 = setup(keygenRun([P(1, 1), P(2, 2), P(3, 3), P(4, 4), P(5, 5)], 3, 'sign-3of5'), s35, 'sign-presign-3of5');
  const input = inputOf(d22);
  const honest: Case<SignInput>[] = [
    { id: '2of2', note: 'online sign of sha256("tkey-tss conformance: sign me") with a 2-of-2 presignature', parties: two, threshold: 2, input },
    { id: '2of3-service-recovery-shift', note: 'signers 1 and 3 of a 2-of-3 key, derivation shift 7 (the signature verifies under Y + 7·G)', parties: s23, threshold: 2, input: inputOf(d23) },
    { id: '3of5', note: 'signers 1, 3 and 5 of a 3-of-5 key', parties: s35, threshold: 3, input: inputOf(d35) },
  ];
  const bad = (id: string, note: string, ...rules: Rule[]): Case<SignInput> => ({ id, note, parties: two, threshold: 2, input, culprit: 2, rules });
  const b1 = (fn: (b: Obj) => void) => editMessage(2, 1, 'broadcast', fn);
  const sigma1 = sigmaOf(d22.get(1)!);
  const tampered: Case<SignInput>[] = [
    bad('extra-field', "party 2's broadcast has an extra field", b1((b) => void (b.x = new Uint8Array(1)))),
    bad('wrong-tag', 'party 2 signs with another presignature (tag differs)', b1((b) => void (b.tag = flip(b.tag as Uint8Array)))),
    bad('wrong-digest', 'party 2 signs another digest', b1((b) => void (b.m = flip(b.m as Uint8Array)))),
    bad('sigma-out-of-range', "party 2's σ_2 is q", b1((b) => void (b.sigma = scalarToBytesQ()))),
    bad('wrong-sigma', "party 2's σ_2 + 1: the signature does not verify, its partial σ_2·R = m·R̄_2 + r·S̄_2 fails", b1((b) => void (b.sigma = scalarToBytes(modN(bytesToNumberBE(b.sigma as Uint8Array) + 1n))))),
    bad('sigma-zero-sum', "party 2's σ_2 = q − σ_1, so s = 0: the partial check names it", b1((b) => void (b.sigma = scalarToBytes(modN(-sigma1))))),
    { id: '3of5-wrong-sigma', note: "party 5's σ_5 + 1: with three signers every partial is checked before the sum", parties: s35, threshold: 3, input: inputOf(d35), culprit: 5, rules: [editMessage(5, 1, 'broadcast', (b) => void (b.sigma = scalarToBytes(modN(bytesToNumberBE(b.sigma as Uint8Array) + 1n))))] },
  ];
  return new Map([
    ['sign/sign.json', file('sign', 'Honest online-sign transcripts (protocols/sign, SPEC.md §11); the input carries the presignature data', honest.map((c) => vector(sgProto, c, signInputToJSON)))],
    ['sign/sign-tampered.json', file('sign', 'Online-sign transcripts with a tampering party (2 of {1, 2}; 5 of {1, 3, 5}): every other signer must abort with the recorded reason, round and culprits (SPEC.md §11.3)', tampered.map((c) => slim(vector(sgProto, c, signInputToJSON))))],
  ]);
}

function scalarToBytesQ(): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31, v = q; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}
