/**
 * Generator of the `presign` suite (test-vectors/presign/*.json), called by generate-protocols.ts.
 * Honest 2-of-2, 2-of-3 (with a derivation shift) and 3-of-5 presigns, and one tampered transcript
 * per blame path of SPEC.md §10 (the tampering party is 2 of two signers unless the id says 3of5).
 * TEST primes only (aux fixtures of test/helpers/aux-fixtures.ts).
 * @module
 */
import { G, modN, N as q, pointFromBytes, scalarToBytes } from '../../src/curve.js';
import { presign, type PresignInput, type PresignState } from '../../protocols/presign/index.js';
import type { KeygenOutput } from '../../protocols/keygen/index.js';
import type { Payload, PartySpec, Protocol, RoundResult } from '../../protocols/types.js';
import { pointBytes } from '../../protocols/util.js';
import { auxFixtures } from '../../test/helpers/aux-fixtures.js';
import { editMessage, flip, type Rule } from '../../test/helpers/tamper.js';
import { presignInputToJSON } from '../suites/presign.js';
import { type Case, file, keygenRun, vector } from '../generate-protocols.js';

type Obj = Record<string, Payload>;
const P = (id: number, ...owns: number[]): PartySpec => ({ id, owns });
export const psProto = presign as unknown as Protocol<PresignInput, unknown, object>;

/** Presign inputs for `signers` of a keygen result, aux from the TEST primes (test/helpers/aux-fixtures.ts). */
export function presignInputsOf(key: KeygenOutput[], signers: number[], shift?: Uint8Array): (party: number) => PresignInput {
  const aux = auxFixtures(signers);
  const o = key[0]!;
  return (id) => ({ publicKey: o.publicKey, epoch: o.epoch, publicShares: o.publicShares, share: key.find((k) => k.shares.has(id))!.shares.export(id), ...(shift ? { shift } : {}), aux: aux.get(id)! });
}

/**
 * A vector without the tampering party's own `sent` / `received` (replay: false: nobody replays it;
 * what it delivered is in every other party's `received`), which halves the presign files.
 */
export function slim(v: Record<string, unknown>): Record<string, unknown> {
  const t = (v.transcript as Record<string, unknown>[]).map((p) => (p.replay === false ? Object.fromEntries(Object.entries(p).filter(([k]) => k !== 'sent' && k !== 'received')) : p));
  return { ...v, transcript: t };
}

/** The keys of the honest presign runs (also the sign setups' keys). */
export const keys = {
  kg22: () => keygenRun([P(1, 1), P(2, 2)], 2, 'presign-2of2'),
  kg23: () => keygenRun([P(1, 1), P(2, 2), P(3, 3)], 2, 'presign-2of3'),
  kg35: () => keygenRun([P(1, 1), P(2, 2), P(3, 3), P(4, 4), P(5, 5)], 3, 'presign-3of5'),
};

type R3 = RoundResult<PresignState, unknown> & { state: PresignState; outbox: { to: number | null; payload: Payload }[] };
const bcOf = (res: R3): Obj => res.outbox.find((m) => m.to === null)!.payload as Obj;

/** Signer 2 announces δ_2 + 1 and keeps it (its own δ check fails too: it goes into the blame round). */
const wrongDelta: Rule = {
  party: 2,
  round: 3,
  after: (res) => {
    const x = res as R3;
    x.state.delta_i = modN(x.state.delta_i! + 1n);
    const bc = bcOf(x);
    bc.delta = scalarToBytes(x.state.delta_i);
    x.state.bc3 = bc as never;
    return res;
  },
};
/** Signer 2 announces χ_2 + 1 with S_2 = (χ_2 + 1)·Γ (consistent: only its Πdec(χ) can expose it). */
const wrongChi: Rule = {
  party: 2,
  round: 3,
  after: (res) => {
    const x = res as R3;
    x.state.chi_i = modN(x.state.chi_i! + 1n);
    const bc = bcOf(x);
    bc.S = pointBytes(pointFromBytes(x.state.Gamma!).multiply(x.state.chi_i));
    x.state.bc3 = bc as never;
    return res;
  },
};
/** Signer 2 announces S_2 + G (its χ_2 is honest: only the check χ_2·Γ = S_2 exposes it). */
const wrongS: Rule = {
  party: 2,
  round: 3,
  after: (res) => {
    const x = res as R3;
    const bc = bcOf(x);
    bc.S = pointBytes(pointFromBytes(bc.S as Uint8Array).add(G));
    x.state.bc3 = bc as never;
    return res;
  },
};

export function presignFiles(): Map<string, string> {
  const two = [P(1, 1), P(2, 2)];
  const kg22 = keys.kg22();
  const kg23 = keys.kg23();
  const kg35 = keys.kg35();
  const five = [P(1, 1), P(3, 3), P(5, 5)];
  const honest: Case<PresignInput>[] = [
    { id: '2of2', note: 'signers 1 and 2 of a 2-of-2 key, no derivation shift', parties: two, threshold: 2, input: presignInputsOf(kg22, [1, 2]) },
    { id: '2of3-device-recovery-shift', note: 'signers 2 and 3 of a 2-of-3 key (no service), derivation shift 0x2a (added by signer 2)', parties: [P(2, 2), P(3, 3)], threshold: 2, input: presignInputsOf(kg23, [2, 3], scalarToBytes(42n)) },
    { id: '3of5', note: 'signers 1, 3 and 5 of a 3-of-5 key (echo of round 1 on), no derivation shift', parties: five, threshold: 3, input: presignInputsOf(kg35, [1, 3, 5]) },
  ];
  const in22 = presignInputsOf(kg22, [1, 2]);
  const bad = (id: string, note: string, ...rules: Rule[]): Case<PresignInput> => ({ id, note, parties: two, threshold: 2, input: in22, rules, culprit: 2 });
  const in35 = presignInputsOf(kg35, [1, 3, 5]);
  const bad35 = (id: string, note: string, ...rules: Rule[]): Case<PresignInput> => ({ id, note, parties: five, threshold: 3, input: in35, rules, culprit: 5 });
  const b1 = (fn: (b: Obj) => void) => editMessage(2, 1, 'broadcast', fn);
  const p1 = (fn: (b: Obj) => void) => editMessage(2, 1, 'p2p', fn);
  const b2 = (fn: (b: Obj) => void) => editMessage(2, 2, 'broadcast', fn);
  const p2 = (fn: (b: Obj) => void) => editMessage(2, 2, 'p2p', fn);
  const b3 = (fn: (b: Obj) => void) => editMessage(2, 3, 'broadcast', fn);
  const p3 = (fn: (b: Obj) => void) => editMessage(2, 3, 'p2p', fn);
  const b4 = (fn: (b: Obj) => void) => editMessage(2, 4, 'broadcast', fn);
  const p4 = (fn: (b: Obj) => void) => editMessage(2, 4, 'p2p', fn);
  const N2of = (id: number) => in22(1).aux.parties.find((e) => e.id === id)!.N;
  const tampered: Case<PresignInput>[] = [
    // round 1 (checked in round 2)
    bad('config', "party 2's round-1 cfg differs (another key, signer set, shift or aux)", b1((b) => void (b.cfg = flip(b.cfg as Uint8Array)))),
    bad('round1-extra-field', "party 2's round-1 broadcast has an extra field", b1((b) => void (b.x = new Uint8Array(1)))),
    bad('ciphertext-not-unit', "party 2's K_2 is 0 (not in Z*_{N²})", b1((b) => void (b.K = new Uint8Array((b.K as Uint8Array).length)))),
    bad('g-shares-factor', "party 2's G_2 is N_2 (gcd(G_2, N_2) ≠ 1)", b1((b) => void (b.G = scalarBytesOf(N2of(2), (b.G as Uint8Array).length)))),
    bad('psi0-missing', "party 2's Πenc ψ⁰ is nil", p1((b) => void (b.psi0 = null))),
    bad('psi0-malformed', "party 2's Πenc ψ⁰ is truncated by one byte", p1((b) => void (b.psi0 = (b.psi0 as Uint8Array).subarray(0, (b.psi0 as Uint8Array).length - 1)))),
    bad('bad-enc', "party 2's Πenc ψ⁰ has a flipped bit", p1((b) => void (b.psi0 = flip(b.psi0 as Uint8Array)))),
    // round 2 (checked in round 3)
    bad('gamma-not-a-point', "party 2's Γ_2 is not a curve point", b2((b) => void (b.Gamma = new Uint8Array(33)))),
    bad('gamma-swapped', "party 2 announces Γ_2 + G (its ψ and ψ' were made for Γ_2)", b2((b) => void (b.Gamma = pointBytes(pointFromBytes(b.Gamma as Uint8Array).add(G))))),
    bad('d-not-unit', "party 2's D_{1,2} is 0", p2((b) => void (b.D = new Uint8Array((b.D as Uint8Array).length)))),
    bad('psi-affg', "party 2's Πaff-g ψ has a flipped bit (its last field, wy)", p2((b) => void (b.psi = flip(b.psi as Uint8Array)))),
    bad('psi-hat-affg', "party 2's Πaff-g ψ̂ has a flipped bit (its last field, wy)", p2((b) => void (b.psiHat = flip(b.psiHat as Uint8Array)))),
    bad('psi-prime-logstar', "party 2's Πlog* ψ' has a flipped bit (its last field, z3)", p2((b) => void (b.psiPrime = flip(b.psiPrime as Uint8Array)))),
    // round 3 (checked in round 4)
    bad('delta-out-of-range', "party 2's δ_2 is q (not below the group order)", b3((b) => void (b.delta = scalarBytesOf(q, 32)))),
    bad('Delta-swapped', "party 2 announces Δ_2 + G (its ψ'' was made for Δ_2)", b3((b) => void (b.Delta = pointBytes(pointFromBytes(b.Delta as Uint8Array).add(G))))),
    bad('psi2-logstar', "party 2's Πlog* ψ'' has a flipped bit (its last field, z3)", p3((b) => void (b.psi2 = flip(b.psi2 as Uint8Array)))),
    bad('wrong-delta', 'party 2 announces δ_2 + 1 (consistently); the blame round names it (its Πdec(δ) fails)', wrongDelta),
    bad('wrong-chi', 'party 2 announces χ_2 + 1 with S_2 = (χ_2 + 1)·Γ; the χ check fails, its Πdec(χ) fails', wrongChi),
    bad('wrong-S', 'party 2 announces S_2 + G (χ_2 honest); the χ check fails, χ_2·Γ ≠ S_2 names it', wrongS),
    // round 4 (checked in round 5)
    bad('view-own-entry', "party 2's round-4 view misreports its own round-3 broadcast", b4((b) => void ((b.view as Uint8Array[])[1] = flip((b.view as Uint8Array[])[1]!)))),
    bad('blame-when-ok', 'the checks pass, party 2 sends a blame map anyway', b4((b) => void (b.blame = {}))),
    bad('proofs-when-ok', 'the checks pass, party 2 sends blame proofs anyway', p4((b) => void (b.proofs = {}))),
    bad('denies-failure', 'party 2 announces δ_2 + 1, then claims the checks passed (blame nil, proofs nil)', wrongDelta, b4((b) => void (b.blame = null)), p4((b) => void (b.proofs = null))),
    bad('blame-proofs-missing', 'party 2 announces δ_2 + 1; its blame broadcast is sent but its proofs are nil', wrongDelta, p4((b) => void (b.proofs = null))),
    bad('blame-mul-malformed', "party 2 announces δ_2 + 1; its blame's Πmul is truncated", wrongDelta, b4((b) => void ((b.blame as Obj).mul = ((b.blame as Obj).mul as Uint8Array).subarray(1)))),
    bad('mta-mismatch', 'party 2 announces δ_2 + 1; its blame misreports the D it sent to party 1', wrongDelta, b4((b) => {
      const e = ((b.blame as Obj).sent as Obj[])[0]!;
      e.D = flip(e.D as Uint8Array, 8);
    })),
    // three signers: the echo of round 1 and the view with a third party
    bad35('3of5-echo', 'party 5 sends party 3 another round-1 broadcast (K_5 of a second encryption): party 3 blames 5, party 1 blames [3, 5]', editMessage(5, 1, 'broadcast', (b) => void (b.G = (b.K as Uint8Array).slice()), [3])),
    bad35('3of5-view-third-party', "party 5's round-4 view misreports party 3's round-3 broadcast: party 3 blames 5, party 1 blames [3, 5]", editMessage(5, 4, 'broadcast', (b) => void ((b.view as Uint8Array[])[1] = flip((b.view as Uint8Array[])[1]!)))),
  ];
  return new Map([
    ['presign/presign.json', file('presign', 'Honest CGGMP21 presign transcripts (protocols/presign, SPEC.md §10), TEST primes; inputs carry the aux info and shares', honest.map((c) => vector(psProto, c, presignInputToJSON)))],
    ['presign/presign-tampered.json', file('presign', 'Presign transcripts with one tampering party (2 of signers {1, 2}; 5 of {1, 3, 5}): every other signer must abort with the recorded reason, round and culprits (SPEC.md §10.6)', tampered.map((c) => slim(vector(psProto, c, presignInputToJSON))))],
  ]);
}

function scalarBytesOf(x: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = len - 1, v = x; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}
