/**
 * Generator of the protocol transcript vectors: `npx tsx test-vectors/generate-protocols.ts [--check]`.
 * Writes `keygen/*.json`, `refresh/*.json` and `aux/*.json` deterministically from the seed
 * `tkey-tss/conformance/v1/protocols` (one ChaCha20 DRBG per party: seededRng("<seed>/<vector>/party-<id>"),
 * forked per round by the session driver in replay mode, `replay: true`). Every party's replay is checked against the run when
 * the file is generated. `--check` compares only and exits 1 on drift.
 * Format: test-vectors/README.md, "Protocol transcripts".
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesToHex, utf8ToBytes } from '../src/bytes.js';
import { mulGUnsafe } from '../src/curve.js';
import { seededRng } from '../src/rng.js';
import { keygen, type KeygenOutput } from '../protocols/keygen/index.js';
import { aux, type AuxInput } from '../protocols/aux/index.js';
import { auxInput, recommit } from '../test/helpers/aux-run.js';
import { bitforgeModulus } from '../test/helpers/zk-fixtures.js';
import { testPrimePairs } from '../test/helpers/test-primes.js';
import * as fac from '../src/zk/fac.js';
import * as prm from '../src/zk/prm.js';
import { refreshFiles } from './gen/refresh.js';
import { simulate, type SimOptions, type SimResult } from '../protocols/simulate.js';
import type { PartySpec, Protocol } from '../protocols/types.js';
import { pointBytes } from '../protocols/util.js';
import { editMessage, flip, tamper, type Rule } from '../test/helpers/tamper.js';
import { expectOf, outputToJSON, replayParty } from './suites/protocol-replay.js';
import { presignFiles } from './gen/presign.js';
import { signFiles } from './gen/sign.js';

export const SCRIPT = 'test-vectors/generate-protocols.ts';
export const SEED = 'tkey-tss/conformance/v1/protocols';
export const DIR = dirname(fileURLToPath(import.meta.url));
export const PROTOCOL_SUITES = ['keygen', 'refresh', 'presign', 'sign'] as const;
/** Aux vectors are generated separately (tens of seconds of proofs): `generateAuxVectors()`. */
export const AUX_SUITES = ['aux'] as const;

type J = Record<string, unknown>;
const P = (id: number, ...owns: number[]): PartySpec => ({ id, owns });
const hex = bytesToHex;

export interface Case<I> {
  id: string;
  note: string;
  parties: PartySpec[];
  threshold: number;
  input?: (party: number) => I;
  rules?: Rule[];
  /** The tampering party (not replayed) */
  culprit?: number;
  /** The abort names nobody (e.g. DEGENERATE_RESULT): the victims' culprits are not checked for the tamperer. */
  unattributable?: boolean;
}

export function vector<I>(protocol: Protocol<I, unknown, object>, c: Case<I>, inputToJSON?: (i: I) => J): J {
  const seedOf = (id: number) => `${SEED}/${protocol.name}/${c.id}/party-${id}`;
  const sid = utf8ToBytes(`${SEED}/${protocol.name}/${c.id}`);
  const input = c.input ?? (() => ({}) as I);
  const extra: Partial<SimOptions> = c.rules ? tamper(...c.rules) : {};
  const r: SimResult<object> = simulate(protocol, c.parties.map((p) => ({ id: p.id, owns: p.owns, input: input(p.id), rng: seededRng(seedOf(p.id)) })), { sid, threshold: c.threshold, replay: true, ...extra });
  if (r.crashed.size && [...r.crashed.keys()].some((id) => id !== c.culprit)) throw new Error(`${c.id}: an honest party crashed`);
  const transcript = c.parties.map((p) => {
    const replay = p.id !== c.culprit;
    const e: J = { id: p.id, seed: seedOf(p.id), replay };
    if (inputToJSON) e.input = inputToJSON(input(p.id));
    e.sent = r.sent.get(p.id)!.map(hex);
    e.received = r.received.get(p.id)!.map(hex);
    if (replay) {
      const expect = r.outputs.has(p.id) ? { output: outputToJSON(r.outputs.get(p.id)!) } : r.aborts.has(p.id) ? { abort: { reason: r.aborts.get(p.id)!.reason, round: r.aborts.get(p.id)!.round, culprits: [...r.aborts.get(p.id)!.culprits] } } : { pending: true };
      // the replay must reproduce the run
      const rp = replayParty(protocol, sid, c.parties, c.threshold, p.id, seedOf(p.id), input(p.id), r.received.get(p.id)!);
      if (JSON.stringify(rp.sent.map(hex)) !== JSON.stringify(e.sent) || JSON.stringify(expectOf(rp)) !== JSON.stringify(expect)) throw new Error(`${c.id}: party ${p.id} does not replay`);
      e.expect = expect;
    }
    return e;
  });
  if (c.culprit !== undefined) {
    const victims = transcript.filter((t) => t.replay && 'abort' in (t.expect as J));
    if (victims.length === 0) throw new Error(`${c.id}: nobody aborted`);
    if (!c.unattributable) for (const v of victims) if (!((v.expect as { abort: { culprits: number[] } }).abort.culprits.includes(c.culprit))) throw new Error(`${c.id}: the culprit is not named`);
  } else if (r.outputs.size !== c.parties.length) throw new Error(`${c.id}: honest run did not finish`);
  return { id: c.id, note: c.note, sid: hex(sid), threshold: c.threshold, parties: c.parties.map((p) => ({ id: p.id, owns: [...p.owns] })), ...(c.culprit !== undefined ? { culprit: c.culprit } : {}), transcript };
}

export function file(suite: string, description: string, vectors: J[]): string {
  return JSON.stringify({ suite, version: 1, description, generator: { script: SCRIPT, seed: SEED }, vectors }, null, 2) + '\n';
}

const kgProto = keygen as unknown as Protocol<object, unknown, object>;

function keygenFiles(): Map<string, string> {
  const three = [P(1, 1), P(2, 2), P(3, 3)];
  const honest: Case<object>[] = [
    { id: '2of2', note: 'two parties, one index each', parties: [P(1, 1), P(2, 2)], threshold: 2 },
    { id: '2of3-service-device', note: 'service (index 1) and a device owning indices 2 and 3 (recovery computed on the device)', parties: [P(1, 1), P(2, 2, 3)], threshold: 2 },
    { id: '2of3-three-parties', note: 'three parties (echo check on)', parties: three, threshold: 2 },
    { id: '3of5-three-parties', note: 'parties owning [1], [2, 3], [4, 5]', parties: [P(1, 1), P(2, 2, 3), P(3, 4, 5)], threshold: 3 },
  ];
  const bad = (id: string, note: string, ...rules: Rule[]): Case<object> => ({ id, note, parties: three, threshold: 2, rules, culprit: 3 });
  const tampered: Case<object>[] = [
    bad('commitment-t-plus-1', 'party 3 reveals t+1 commitment points', editMessage(3, 2, 'broadcast', (b) => void (b.S as Uint8Array[]).push(pointBytes(mulGUnsafe(5n))))),
    bad('commitment-t-minus-1', 'party 3 reveals t−1 commitment points', editMessage(3, 2, 'broadcast', (b) => void (b.S as Uint8Array[]).pop())),
    bad('feldman', "party 3's share to party 1 is off its commitments", editMessage(3, 2, 'p2p', (b) => void ((b.sigma as Uint8Array[])[0] = flip((b.sigma as Uint8Array[])[0]!)), [1])),
    bad('schnorr', "party 3's Schnorr response is wrong", editMessage(3, 3, 'broadcast', (b) => void ((b.z as Uint8Array[])[0] = flip((b.z as Uint8Array[])[0]!)))),
    bad('decommitment', "party 3's rid does not open its commitment", editMessage(3, 2, 'broadcast', (b) => void (b.rid = flip(b.rid as Uint8Array)))),
    bad('echo', 'party 3 sends party 2 another round-1 commitment', editMessage(3, 1, 'broadcast', (b) => void (b.V = flip(b.V as Uint8Array)), [2])),
    bad('config', 'party 3 runs another configuration', editMessage(3, 1, 'broadcast', (b) => void (b.cfg = flip(b.cfg as Uint8Array)))),
    bad('wrong-sid', "party 3's round-1 message carries another session's sid", { party: 3, round: 1, message: (m) => ({ ...m, sid: utf8ToBytes('another session') }) }),
  ];
  return new Map([
    ['keygen/keygen.json', file('keygen', 'Honest t-of-n keygen transcripts (protocols/keygen)', honest.map((c) => vector(kgProto, c)))],
    ['keygen/keygen-tampered.json', file('keygen', 'Keygen transcripts with one tampering party (3): every other party must abort with the recorded reason, round and culprits', tampered.map((c) => vector(kgProto, c)))],
  ]);
}

export function keygenRun(parties: PartySpec[], t: number, label: string): KeygenOutput[] {
  const r = simulate(keygen, parties.map((p) => ({ id: p.id, owns: p.owns, input: {}, rng: seededRng(`${SEED}/setup/${label}/party-${p.id}`) })), { sid: utf8ToBytes(`${SEED}/setup/${label}`), threshold: t, replay: true });
  return parties.map((p) => r.outputs.get(p.id)!);
}

function auxInputToJSON(i: AuxInput): J {
  const h = (x: bigint) => x.toString(16);
  return {
    profile: i.profile,
    key: { p: h(i.key.p), q: h(i.key.q) },
    ...(i.ringPedersen ? { ringPedersen: { s: h(i.ringPedersen.s), t: h(i.ringPedersen.t), lambda: h(i.ringPedersen.lambda) } } : {}),
  };
}

const auxProto = aux as unknown as Protocol<AuxInput, unknown, object>;

/** Aux info: one honest 2-party run and a few tampered ones (TEST primes; the files are ~MB of proofs). */
function auxFiles(): Map<string, string> {
  const two = [P(1, 1), P(2, 2)];
  const sidOf = (id: string) => utf8ToBytes(`${SEED}/aux/${id}`);
  const bad = (id: string, note: string, ...rules: Rule[]): Case<AuxInput> => ({ id, note, parties: two, threshold: 1, input: auxInput, rules, culprit: 2 });
  const { N: bitforgeN } = bitforgeModulus(testPrimePairs(1024)[5]!.p);
  const tampered: Case<AuxInput>[] = [
    bad('decommitment', "party 2's u does not open its commitment V", editMessage(2, 2, 'broadcast', (b) => void (b.u = flip(b.u as Uint8Array)))),
    bad('bitforge-proofs-omitted', 'party 2 commits to a BitForge modulus (a 1024-bit prime times 16-bit primes) and sends no Πprm', recommit(2, sidOf('bitforge-proofs-omitted'), (own) => ({ ...own, N: bitforgeN, s: 4n, t: 9n, prm: new Uint8Array(0) }))),
    bad('prm', "party 2's Πprm has one response changed (committed consistently)", recommit(2, sidOf('prm'), (own) => {
      const d = prm.proofFromBytes(own.prm);
      if (!d.ok) throw new Error('own Πprm');
      d.proof.z[7] = d.proof.z[7]! + 1n;
      return { ...own, prm: prm.proofToBytes(d.proof) };
    })),
    bad('fac', "party 2's Πfac to party 1 has w1 changed", editMessage(2, 3, 'p2p', (b) => {
      const d = fac.proofFromBytes(b.fac as Uint8Array);
      if (!d.ok) throw new Error('own Πfac');
      b.fac = fac.proofToBytes({ ...d.proof, w1: d.proof.w1 + 1n });
    })),
  ];
  const honest: Case<AuxInput>[] = [{ id: '2-parties', note: 'two parties on TEST prime pairs 1 and 2 (fresh ring-Pedersen parameters)', parties: two, threshold: 1, input: auxInput }];
  return new Map([
    ['aux/aux.json', file('aux', 'Honest aux-info transcript (protocols/aux) on the pregenerated TEST primes', honest.map((c) => vector(auxProto, c, auxInputToJSON)))],
    ['aux/aux-tampered.json', file('aux', 'Aux-info transcripts with one tampering party (2): party 1 must abort with the recorded reason, round and culprits', tampered.map((c) => vector(auxProto, c, auxInputToJSON)))],
  ]);
}

export function generateAuxVectors(): Map<string, string> {
  return auxFiles();
}

export function generateProtocolVectors(): Map<string, string> {
  return new Map([...keygenFiles(), ...refreshFiles({ seed: SEED, vector, file, keygenRun }), ...presignFiles(), ...signFiles()]);
}

export function diffProtocolVectors(files: Map<string, string>, dir = DIR, suites: readonly string[] = PROTOCOL_SUITES): string[] {
  const problems: string[] = [];
  for (const [rel, text] of files) {
    const p = join(dir, rel);
    if (!existsSync(p)) problems.push(`missing: ${rel}`);
    else if (readFileSync(p, 'utf8') !== text) problems.push(`differs: ${rel}`);
  }
  for (const folder of suites) {
    const d = join(dir, folder);
    if (existsSync(d)) for (const f of readdirSync(d)) if (f.endsWith('.json') && !files.has(`${folder}/${f}`)) problems.push(`not generated (stale?): ${folder}/${f}`);
  }
  return problems;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = new Map([...generateProtocolVectors(), ...generateAuxVectors()]);
  if (process.argv.includes('--check')) {
    const d = diffProtocolVectors(files, DIR, [...PROTOCOL_SUITES, ...AUX_SUITES]);
    for (const p of d) console.error(p);
    process.exitCode = d.length ? 1 : 0;
  } else {
    for (const [rel, text] of files) {
      mkdirSync(dirname(join(DIR, rel)), { recursive: true });
      writeFileSync(join(DIR, rel), text);
      console.log(`wrote ${rel}`);
    }
  }
}
