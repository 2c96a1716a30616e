/**
 * Refresh transcript vectors (`refresh/*.json`, SPEC.md §12), called by `generate-protocols.ts`,
 * which hands in its generic transcript writer (`vector`, `file`) and seeded keygen (`keygenRun`).
 * Every replayed party also records `unconfirmed`: the verified new sharing its session keeps after
 * an abort (the two-phase commit's view), `null` when there is none.
 * @module
 */
import { bytesToHex, utf8ToBytes } from '../../src/bytes.js';
import { modN, mulGUnsafe } from '../../src/curve.js';
import { seededRng } from '../../src/rng.js';
import { commit, evaluate, randomPolynomial } from '../../src/shamir/index.js';
import type { KeygenOutput } from '../../protocols/keygen/index.js';
import { refresh, type RefreshInput, type RefreshOutput, type RefreshState } from '../../protocols/refresh/index.js';
import type { Message, PartySpec, Payload, Protocol } from '../../protocols/types.js';
import { pointBytes, scalarBytes } from '../../protocols/util.js';
import { editMessage, flip, type Rule } from '../../test/helpers/tamper.js';
import { replayParty } from '../suites/protocol-replay.js';

type J = Record<string, unknown>;
type Obj = Record<string, Payload>;

export interface RefreshCase {
  id: string;
  note: string;
  parties: PartySpec[];
  threshold: number;
  input: (party: number) => RefreshInput;
  rules?: Rule[];
  culprit?: number;
  unattributable?: boolean;
}

/** What `generate-protocols.ts` lends: its transcript writer, file envelope and seeded keygen. */
export interface TranscriptTools {
  seed: string;
  vector(protocol: Protocol<RefreshInput, unknown, object>, c: RefreshCase, inputToJSON: (i: RefreshInput) => J): J;
  file(suite: string, description: string, vectors: J[]): string;
  keygenRun(parties: PartySpec[], t: number, label: string): KeygenOutput[];
}

const P = (id: number, ...owns: number[]): PartySpec => ({ id, owns });
const hex = bytesToHex;
const rfProto = refresh as unknown as Protocol<RefreshInput, unknown, object>;

export function refreshInputToJSON(i: RefreshInput): J {
  return {
    publicKey: hex(i.publicKey),
    epoch: i.epoch,
    oldThreshold: i.oldThreshold,
    oldPublicShares: i.oldPublicShares.map((e) => ({ index: e.index, X: hex(e.X) })),
    dealers: i.dealers.map((d) => ({ party: d.party, indices: [...d.indices] })),
    oldShares: i.oldShares.map((e) => ({ index: e.index, share: hex(e.share) })),
  };
}

/** Refresh inputs re-dealing `dealers` ([party, old indices]) of a previous sharing. */
function inputs(prev: readonly (KeygenOutput | RefreshOutput)[], dealers: [number, number[]][]): (party: number) => RefreshInput {
  const o = prev[0]!;
  const holder = (i: number) => prev.find((x) => x.shares.has(i))!;
  return (party) => ({
    publicKey: o.publicKey,
    epoch: o.epoch,
    oldThreshold: o.threshold,
    oldPublicShares: o.publicShares,
    dealers: dealers.map(([p, indices]) => ({ party: p, indices })),
    oldShares: (dealers.find(([p]) => p === party)?.[1] ?? []).map((index) => ({ index, share: holder(index).shares.export(index) })),
  });
}

/** One vector, each replayed party with its `unconfirmed` (placed right after `expect`). */
function withUnconfirmed(tools: TranscriptTools, c: RefreshCase): J {
  const v = tools.vector(rfProto, c, refreshInputToJSON);
  const sid = utf8ToBytes(`${tools.seed}/refresh/${c.id}`);
  if (hex(sid) !== v.sid) throw new Error(`${c.id}: sid convention changed`);
  v.transcript = (v.transcript as J[]).map((e) => {
    if (!e.replay) return e;
    const id = e.id as number;
    const r = replayParty(rfProto, sid, c.parties, c.threshold, id, e.seed as string, c.input(id), (e.received as string[]).map((h) => Uint8Array.from(Buffer.from(h, 'hex'))));
    return { ...e, unconfirmed: r.unconfirmed };
  });
  return v;
}

/** A 33-byte string that is not a point: prefix 02 and x = 2^256 − 1 ≥ p. */
const NOT_A_POINT = Uint8Array.from([2, ...new Array<number>(32).fill(0xff)]);

export function refreshFiles(tools: TranscriptTools): Map<string, string> {
  const kg2 = tools.keygenRun([P(1, 1), P(2, 2, 3)], 2, 'service-device');
  const three = [P(1, 1), P(2, 2), P(3, 3)];
  const kg3 = tools.keygenRun(three, 2, 'three');
  const five = [P(1, 1), P(2, 2), P(3, 3), P(4, 4), P(5, 5)];
  const kg5 = tools.keygenRun(five, 3, 'five');
  const up = [P(1, 1), P(2, 2), P(3, 3, 4)];
  const honest: RefreshCase[] = [
    { id: 'same-indices', note: 'service + device re-share the same indices {1, 2, 3}', parties: [P(1, 1), P(2, 2, 3)], threshold: 2, input: inputs(kg2, [[1, [1]], [2, [2]]]) },
    { id: 'remove-index-2', note: 'device lost: service + a new device holding recovery share 3 re-share to {1, 3, 4}', parties: [P(1, 1), P(3, 3, 4)], threshold: 2, input: inputs(kg2, [[1, [1]], [3, [3]]]) },
    { id: 'threshold-2-to-3', note: 'three parties, threshold raised to 3 with new index 4 (party 3 owns 3 and 4); parties 1 and 2 deal', parties: up, threshold: 3, input: inputs(kg3, [[1, [1]], [2, [2]]]) },
    { id: 'five-parties-all-deal', note: 'five parties of a 3-of-5 key, every party deals its index, same indices and threshold', parties: five, threshold: 3, input: inputs(kg5, [[1, [1]], [2, [2]], [3, [3]], [4, [4]], [5, [5]]]) },
    {
      id: 'five-parties-remove-5-threshold-3-to-2',
      note: '3-of-5 key: parties 1, 2 and 4 deal (3 and 5 only receive), index 5 is removed and party 5 gets new index 6, threshold lowered to 2',
      parties: [P(1, 1), P(2, 2), P(3, 3), P(4, 4), P(5, 6)],
      threshold: 2,
      input: inputs(kg5, [[1, [1]], [2, [2]], [4, [4]]]),
    },
  ];
  const dealers: [number, number[]][] = [[1, [1]], [2, [2]], [3, [3]]];
  const bad = (id: string, note: string, ...rules: Rule[]): RefreshCase => ({ id, note, parties: three, threshold: 2, input: inputs(kg3, dealers), rules, culprit: 3 });
  /** Party 3 only receives (parties 1 and 2 deal the old threshold 2). */
  const badReceiver = (id: string, note: string, ...rules: Rule[]): RefreshCase => ({ id, note, parties: three, threshold: 2, input: inputs(kg3, [[1, [1]], [2, [2]]]), rules, culprit: 3 });
  const g2 = (w: bigint) => randomPolynomial(seededRng(`${tools.seed}/equivocate`), 1, w);
  let w = 0n;
  const wrapped = (m: Message): Obj => m.payload as Obj;
  const tampered: RefreshCase[] = [
    bad('dealer-changes-key', 'party 3 re-deals w + 1 consistently', { party: 3, round: 1, before: (st: RefreshState) => ({ ...st, w: st.w! + 1n }) }),
    bad('commitment-t-plus-1', 'party 3 broadcasts t′+1 commitment points', editMessage(3, 1, 'broadcast', (b) => void (b.C as Uint8Array[]).push(pointBytes(mulGUnsafe(5n))))),
    bad('feldman', "party 3's share to party 2 is off its commitments", editMessage(3, 1, 'p2p', (b) => void ((b.sigma as Uint8Array[])[0] = flip((b.sigma as Uint8Array[])[0]!)), [2])),
    bad('schnorr', "party 3's Schnorr response is wrong", editMessage(3, 2, 'broadcast', (b) => void ((b.z as Uint8Array[])[0] = flip((b.z as Uint8Array[])[0]!)))),
    bad('confirmation', 'party 3 confirms another view', editMessage(3, 2, 'broadcast', (b) => void (b.h = flip(b.h as Uint8Array)))),
    bad('confirmation-split', 'party 3 confirms another view to party 2 only: party 2 blames it, party 1 learns it from the confirmation echo', editMessage(3, 2, 'broadcast', (b) => void (b.h = flip(b.h as Uint8Array)), [2])),
    bad('confirmation-echo', "party 3's confirmation echo to party 2 misreports party 2's own h (a lying last message: party 1 outputs)", editMessage(3, 3, 'broadcast', (b) => void ((b.seen as Uint8Array[])[1] = flip((b.seen as Uint8Array[])[1]!)), [2])),
    bad(
      'echo',
      'party 3 deals party 2 a second, locally valid polynomial with the same constant',
      { party: 3, round: 1, before: (st: RefreshState) => ((w = st.w!), st) },
      editMessage(3, 1, 'broadcast', (b) => void (b.C = commit(g2(w)).map(pointBytes)), [2]),
      editMessage(3, 1, 'p2p', (b) => void (b.sigma = [scalarBytes(evaluate(g2(w), 2n))]), [2]),
    ),
    // the paths above were the original eight; below, every other refresh blame path
    bad('config', 'party 3 runs another configuration (its cfg differs)', editMessage(3, 1, 'broadcast', (b) => void (b.cfg = flip(b.cfg as Uint8Array)))),
    bad('wrong-sid', "party 3's round-1 broadcast carries another session's sid", { party: 3, round: 1, message: (m) => (m.to === null ? { ...m, sid: utf8ToBytes('another session') } : m) }),
    bad('commitment-t-minus-1', 'party 3 broadcasts t′−1 commitment points', editMessage(3, 1, 'broadcast', (b) => void (b.C as Uint8Array[]).pop())),
    badReceiver('non-dealer-commits', 'party 3 holds no dealt index but broadcasts commitments (a non-dealer must send C = [])', editMessage(3, 1, 'broadcast', (b) => void (b.C = [pointBytes(mulGUnsafe(5n)), pointBytes(mulGUnsafe(7n))]))),
    badReceiver('non-dealer-sigma', 'party 3 holds no dealt index but sends party 1 a share (a non-dealer must send sigma = [])', editMessage(3, 1, 'p2p', (b) => void (b.sigma = [scalarBytes(5n)]), [1])),
    bad('commitment-not-a-point', "party 3's C[1] is 33 bytes that are no curve point", editMessage(3, 1, 'broadcast', (b) => void ((b.C as Uint8Array[])[1] = NOT_A_POINT))),
    bad('commitment-extra-field', "party 3's round-1 broadcast has an extra field", editMessage(3, 1, 'broadcast', (b) => void (b.x = 1))),
    bad('sigma-count', 'party 3 sends party 1 two shares for its one new index', editMessage(3, 1, 'p2p', (b) => void (b.sigma as Uint8Array[]).push(scalarBytes(5n)), [1])),
    bad('sigma-not-below-q', "party 3's share to party 1 is the group order q itself", editMessage(3, 1, 'p2p', (b) => void (b.sigma = [Uint8Array.from(Buffer.from('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141', 'hex'))]), [1])),
    bad('schnorr-a-not-a-point', "party 3's Schnorr commitment A is no curve point", editMessage(3, 2, 'broadcast', (b) => void ((b.A as Uint8Array[])[0] = NOT_A_POINT))),
    bad('round2-missing-z', "party 3's round-2 broadcast lacks z", editMessage(3, 2, 'broadcast', (b) => void delete b.z)),
    bad('echo-wrapper-malformed', "party 3's round-2 payload carries a short echo vector", { party: 3, round: 2, message: (m) => (void (wrapped(m).echo as Uint8Array[]).pop(), m) }),
    bad('echo-lie-about-us', "party 3's echo vector misreports party 1's round-1 broadcast (party 1 blames 3 alone, party 2 blames [1, 3])", { party: 3, round: 2, message: (m) => (void ((wrapped(m).echo as Uint8Array[])[0] = flip((wrapped(m).echo as Uint8Array[])[0]!)), m) }),
    bad('confirmation-echo-third-party', "party 3's confirmation echo to party 1 misreports party 2's h: party 1 blames [2, 3], party 2 outputs", editMessage(3, 3, 'broadcast', (b) => void ((b.seen as Uint8Array[])[1] = flip((b.seen as Uint8Array[])[1]!)), [1])),
    bad('confirmation-echo-short', "party 3's confirmation echo has n − 1 entries", editMessage(3, 3, 'broadcast', (b) => void (b.seen as Uint8Array[]).pop())),
    degenerate(tools, three, inputs(kg3, dealers)),
  ];
  return new Map([
    ['refresh/refresh.json', tools.file('refresh', 'Honest refresh transcripts (protocols/refresh), inputs from seeded keygens; n = 2, 3, 5 (SPEC.md §12)', honest.map((c) => withUnconfirmed(tools, c)))],
    ['refresh/refresh-tampered.json', tools.file('refresh', 'Refresh transcripts with one tampering party (3): every other party must abort with the recorded reason, round and culprits (or, after a lying last message, output), and keep the recorded unconfirmed sharing', tampered.map((c) => withUnconfirmed(tools, c)))],
  ]);
}

/**
 * DEGENERATE_RESULT: party 3 — here given the other dealers' round-1 coefficients, which a real
 * party never has — deals a_{3,1} = −(a_{1,1} + a_{2,1}), so A'_1 = Σ_j C_{j,1} = O. Its dealing is
 * consistent (Feldman holds, C_{3,0} = L_3): the honest parties must abort with no culprit.
 */
function degenerate(tools: TranscriptTools, parties: PartySpec[], input: (party: number) => RefreshInput): RefreshCase {
  const id = 'degenerate-sum';
  const sidHex = hex(utf8ToBytes(`${tools.seed}/refresh/${id}`));
  const a1 = (j: number) => randomPolynomial(seededRng(`${tools.seed}/refresh/${id}/party-${j}`).fork(`refresh/${sidHex}/round1`), 1, 1n)[1]!;
  const a = modN(-(a1(1) + a1(2)));
  let w = 0n;
  const g = () => [w, a];
  return {
    id,
    note: "party 3 (knowing the others' coefficients) makes the summed commitment A'_1 the identity with a consistent dealing: every honest party aborts with DEGENERATE_RESULT, no culprit",
    parties,
    threshold: 2,
    input,
    culprit: 3,
    unattributable: true,
    rules: [
      { party: 3, round: 1, before: (st: RefreshState) => ((w = st.w!), st) },
      editMessage(3, 1, 'broadcast', (b) => void (b.C = commit(g()).map(pointBytes))),
      editMessage(3, 1, 'p2p', (b, to) => void (b.sigma = parties.find((p) => p.id === to)!.owns.map((m) => scalarBytes(evaluate(g(), BigInt(m)))))),
    ],
  };
}
