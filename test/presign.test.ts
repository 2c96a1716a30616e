/**
 * Presign and sign with one malicious party: every case aborts naming the culprit (recipe §3:
 * Alpha-Rays range, bad proofs, Lindell17-style wrong partial signature, non-unit ciphertexts,
 * replay across sessions, relabelled proofs, δ and χ lies caught by the Πmul, Πmul* and Πdec blame
 * round, equivocation of round-3 broadcasts, r = 0 / s = 0). Plus input validation.
 */
import { describe, expect, it } from 'vitest';
import { bytesToNumberBE, numberToBytesBE, utf8ToBytes } from '../src/bytes.js';
import { isTkeyTssError } from '../src/errors.js';
import { modN, mulGUnsafe, N as q } from '../src/curve.js';
import { sha256 } from '../src/hash.js';
import { seededRng } from '../src/rng.js';
import * as enc from '../src/zk/enc.js';
import { pow2 } from '../src/zk/params.js';
import { paillierSecretFromAux, ringPedersenOf } from '../protocols/aux/materialize.js';
import { proofTranscript, type PresignOutput, type PresignState } from '../protocols/presign/index.js';
import type { SignState } from '../protocols/sign/index.js';
import type { Message, Outgoing, Payload, RoundResult } from '../protocols/types.js';
import { pointBytes, scalarBytes } from '../protocols/util.js';
import { runPresign, runSign } from './helpers/signing.js';
import { runKeygen } from './helpers/simulate.js';
import { editMessage, flip, tamper, type Rule } from './helpers/tamper.js';

const P = (id: number) => ({ id, owns: [id] });
const key2 = [...runKeygen([P(1), P(2)], 2, 'mal2').outputs.values()];
const key3 = [...runKeygen([P(1), P(2), P(3)], 3, 'mal3').outputs.values()];
type Obj = Record<string, Payload>;

/** Run a tampered presign; every honest party must abort with `reason` (if given) naming exactly `culprits`. */
function expectAbort(r: ReturnType<typeof runPresign> | ReturnType<typeof runSign>, honest: number[], culprits: number[], reason?: string | RegExp, round?: number) {
  for (const h of honest) {
    expect(r.outputs.has(h), `party ${h} has no output`).toBe(false);
    const a = r.aborts.get(h);
    expect(a, `party ${h} aborted`).toBeDefined();
    expect(a!.culprits).toEqual(culprits);
    if (typeof reason === 'string') expect(a!.reason).toBe(reason);
    else if (reason) expect(a!.reason).toMatch(reason);
    if (round !== undefined) expect(a!.round).toBe(round);
  }
}

const mal = (seed: string, ...rules: Rule[]) => runPresign(key2, [1, 2], { seed, extra: tamper(...rules) });
/** Edit party 2's round result (state and outbox) after round k. */
const after = (round: number, fn: (res: { state: PresignState; outbox: Outgoing[] }) => void): Rule => ({
  party: 2,
  round,
  after: (res: RoundResult<unknown, unknown>) => {
    fn(res as { state: PresignState; outbox: Outgoing[] });
    return res;
  },
});
const bc = (res: { outbox: Outgoing[] }) => res.outbox.find((m) => m.to === null)!.payload as Obj;
const p2p = (res: { outbox: Outgoing[] }, to: number) => res.outbox.find((m) => m.to === to)!.payload as Obj;

describe('presign: malicious party 2 (2 signers)', () => {
  it('out-of-range k_i (k = 2^{ℓ+ε}+1, Alpha-Rays): Πenc range check', () => {
    const r = mal(
      'k-range',
      after(1, (res) => {
        const st = res.state;
        const sk = paillierSecretFromAux(st.aux);
        const pk = sk.publicKey;
        const k = pow2(pk.profile.ell + pk.profile.epsilon) + 1n;
        const rng = seededRng('bad-k');
        const rho = pk.sampleNonce(rng);
        const K = pk.encryptWithNonce(k, rho);
        const proof = enc.__TEST.proveUnchecked({ key: pk, K, rp: ringPedersenOf(st.aux, 1) }, { k, rho }, proofTranscript(utf8ToBytes('k-range/sid'), st.cfg, 2, 'psi0', 1), rng);
        bc(res).K = numberToBytesBE(K, pk.n2Bytes);
        p2p(res, 1).psi0 = enc.proofToBytes(proof);
      }),
    );
    expectAbort(r, [1], [2], 'Z1_RANGE', 1);
  });

  it('a bad Πenc', () => expectAbort(mal('enc', editMessage(2, 1, 'p2p', (b) => void (b.psi0 = flip(b.psi0 as Uint8Array)))), [1], [2], 'RP_EQUATION', 1));
  it('a missing Πenc', () => expectAbort(mal('enc-missing', editMessage(2, 1, 'p2p', (b) => void (b.psi0 = null))), [1], [2], 'PROOF_MISSING', 1));
  it('a truncated Πenc', () => expectAbort(mal('enc-trunc', editMessage(2, 1, 'p2p', (b) => void (b.psi0 = (b.psi0 as Uint8Array).slice(0, 100)))), [1], [2], 'PROOF_MALFORMED', 1));
  it('a bad Πaff-g (ψ, γ MtA)', () => expectAbort(mal('affg', editMessage(2, 2, 'p2p', (b) => void (b.psi = flip(b.psi as Uint8Array)))), [1], [2], /EQUATION/, 2));
  it('a bad Πaff-g (ψ̂, χ MtA)', () => expectAbort(mal('affg-hat', editMessage(2, 2, 'p2p', (b) => void (b.psiHat = flip(b.psiHat as Uint8Array)))), [1], [2], /EQUATION/, 2));
  it("a bad Πlog* (ψ', round 2)", () => expectAbort(mal('logstar', editMessage(2, 2, 'p2p', (b) => void (b.psiPrime = flip(b.psiPrime as Uint8Array)))), [1], [2], 'RP_EQUATION', 2));
  it("a bad Πlog* (ψ'', round 3)", () => expectAbort(mal('logstar2', editMessage(2, 3, 'p2p', (b) => void (b.psi2 = flip(b.psi2 as Uint8Array)))), [1], [2], 'RP_EQUATION', 3));
  it('a wrong Γ_i (Πaff-g / Πlog* no longer match)', () =>
    expectAbort(mal('gamma', editMessage(2, 2, 'broadcast', (b) => void (b.Gamma = pointBytes(mulGUnsafe(5n))))), [1], [2], /EQUATION/, 2));

  it('a ciphertext not in Z*_{N²}: K = N_2 (gcd ≠ 1), D = 0, F ≥ N²', () => {
    const N2 = (st: PresignState, id: number) => st.aux.parties.find((p) => p.id === id)!.N;
    let cases = 0;
    for (const [seed, rule] of [
      ['ct-K', after(1, (res) => void (bc(res).K = numberToBytesBE(N2(res.state, 2), (bc(res).K as Uint8Array).length)))],
      ['ct-D', editMessage(2, 2, 'p2p', (b) => void (b.D = new Uint8Array((b.D as Uint8Array).length)))],
      ['ct-F', editMessage(2, 2, 'p2p', (b) => void (b.F = new Uint8Array((b.F as Uint8Array).length).fill(0xff)))],
    ] as const) {
      expectAbort(mal(seed, rule), [1], [2], 'CIPHERTEXT_NOT_UNIT');
      cases++;
    }
    expect(cases).toBe(3);
  });

  it('a message from another session (envelope sid)', () => {
    expectAbort(mal('sid', { party: 2, round: 1, message: (m: Message) => ({ ...m, sid: utf8ToBytes('another session') }) }), [1], [2], 'WRONG_SID');
  });

  it('a proof from another session (same witness and statement, other sid)', () => {
    // the same seeds under another sid give party 2 the same k, ρ, K: only the sid binding differs
    let stolen: Uint8Array | undefined;
    runPresign(key2, [1, 2], {
      seed: 'replay',
      extra: {
        sid: utf8ToBytes('session A'),
        deliver: (m, to) => {
          if (m.from === 2 && to === 1 && m.round === 1 && m.to === 1) stolen = (m.payload as Obj).psi0 as Uint8Array;
          return m;
        },
      },
    });
    expect(stolen).toBeDefined();
    const r = runPresign(key2, [1, 2], { seed: 'replay', extra: { sid: utf8ToBytes('session B'), ...tamper(editMessage(2, 1, 'p2p', (b) => void (b.psi0 = stolen!))) } });
    expectAbort(r, [1], [2], /EQUATION/, 1);
  });

  // The two blame-round cases below name the liar even with a range-less Πdec: it proves with its TRUE
  // plaintext (MOD_Q_EQUATION) or reveals a χ that does not match its S (S_j ≠ χ_j·Γ). A liar that
  // forges the Πdec witness (y + k·N_2) is in test/presign-blame.test.ts.
  it('a wrong δ_i (consistent to everyone): the blame round names the party (Πdec)', () => {
    const r = mal(
      'delta',
      after(3, (res) => {
        res.state.delta_i = modN(res.state.delta_i! + 1n);
        bc(res).delta = scalarBytes(res.state.delta_i);
      }),
    );
    expectAbort(r, [1], [2], 'DELTA_MISMATCH', 3);
    expect(r.aborts.get(1)!.message).toMatch(/Πdec\(δ\)/);
  });

  it('blame material that misreports an MtA ciphertext: the other end disagrees', () => {
    const r = mal(
      'mta-lie',
      after(3, (res) => {
        res.state.delta_i = modN(res.state.delta_i! + 1n);
        bc(res).delta = scalarBytes(res.state.delta_i);
        res.state.bc3 = bc(res);
      }),
      editMessage(2, 4, 'broadcast', (b) => {
        const blame = b.blame as Obj;
        ((blame.recv as Obj[])[0] as Obj).D = blame.H as Uint8Array;
      }),
    );
    expectAbort(r, [1], [2], 'MTA_TRANSCRIPT_MISMATCH', 2);
  });

  it('blame sent although the checks pass', () => {
    const r = mal('false-blame', editMessage(2, 4, 'broadcast', (b) => void (b.blame = { H: new Uint8Array(1) })));
    expectAbort(r, [1], [2], 'BLAME_INCONSISTENT', 4);
  });

  it('a wrong S_i = χ_i·Γ: the blame round names the party', () => {
    const r = mal(
      'chi',
      after(3, (res) => {
        const S = (bc(res).S as Uint8Array);
        bc(res).S = pointBytes(mulGUnsafe(bytesToNumberBE(S.slice(1)) % 1000n + 2n));
        res.state.bc3 = bc(res);
      }),
    );
    expectAbort(r, [1], [2], 'CHI_MISMATCH', 3);
  });

  it('an equivocated round-3 broadcast (δ_i differs from what it claims it sent)', () => {
    expectAbort(mal('equiv', editMessage(2, 3, 'broadcast', (b) => void (b.delta = flip(b.delta as Uint8Array)))), [1], [2], 'VIEW_MISMATCH', 3);
  });

  it('another configuration (another derivation shift)', () => {
    const r = runPresign(key2, [1, 2], {
      seed: 'cfg',
      input: (id) => {
        const base = { publicKey: key2[0]!.publicKey, epoch: 0, publicShares: key2[0]!.publicShares, share: key2.find((o) => o.shares.has(id))!.shares.export(id) };
        return { ...base, aux: auxFor(id), ...(id === 2 ? { shift: scalarBytes(9n) } : {}) };
      },
    });
    expect(r.aborts.get(1)!.reason).toBe('CONFIG_MISMATCH');
    expect(r.aborts.get(1)!.culprits).toEqual([2]);
  });
});

import { auxFixtures } from './helpers/aux-fixtures.js';
const aux2 = auxFixtures([1, 2]);
const auxFor = (id: number) => aux2.get(id)!;

describe('presign: three signers', () => {
  it('a proof relabelled to another prover (party 3 forwards party 2’s Πenc as its own)', () => {
    let stolen: Uint8Array | undefined;
    const r = runPresign(key3, [1, 2, 3], {
      seed: 'relabel',
      extra: {
        ...tamper(editMessage(3, 1, 'p2p', (b) => void (b.psi0 = stolen!), [1])),
        deliver: (m, to) => {
          if (m.round === 1 && m.from === 2 && to === 1 && m.to === 1) stolen = (m.payload as Obj).psi0 as Uint8Array;
          if (m.round === 1 && m.from === 3 && to === 1 && m.to === 1) (m.payload as Obj).psi0 = stolen!;
          return m;
        },
      },
    });
    const a = r.aborts.get(1)!;
    expect(a.culprits).toEqual([3]);
    expect(a.round).toBe(1);
  });

  it('a wrong δ_i among three: only the liar is named', () => {
    const r = runPresign(key3, [1, 2, 3], {
      seed: 'delta3',
      extra: tamper({
        party: 3,
        round: 3,
        after: (res: RoundResult<unknown, unknown>) => {
          const x = res as { state: PresignState; outbox: Outgoing[] };
          x.state.delta_i = modN(x.state.delta_i! + 5n);
          bc(x).delta = scalarBytes(x.state.delta_i);
          x.state.bc3 = bc(x);
          return res;
        },
      }),
    });
    expectAbort(r, [1, 2], [3], 'DELTA_MISMATCH', 3);
  });
});

describe('sign: malicious party', () => {
  const digest = sha256(utf8ToBytes('pay 1 ETH'));
  const pre = () => runPresign(key2, [1, 2], { seed: 'sign-mal' }).outputs as Map<number, PresignOutput>;

  it('a wrong σ_i is attributed (Lindell17: terminal, named, presignature burned)', () => {
    const ps = pre();
    const r = runSign(ps, digest, { extra: tamper(editMessage(2, 1, 'broadcast', (b) => void (b.sigma = scalarBytes(modN(bytesToNumberBE(b.sigma as Uint8Array) + 1n))))) });
    expectAbort(r, [1], [2], 'PARTIAL_SIGNATURE_INVALID', 1);
    expect(ps.get(1)!.presignature.consumed).toBe(true);
  });

  it('another digest or another presignature is refused, naming the sender', () => {
    let r = runSign(pre(), digest, { extra: tamper(editMessage(2, 1, 'broadcast', (b) => void (b.m = flip(b.m as Uint8Array)))) });
    expectAbort(r, [1], [2], 'CONFIG_MISMATCH', 1);
    r = runSign(pre(), digest, { extra: tamper(editMessage(2, 1, 'broadcast', (b) => void (b.tag = flip(b.tag as Uint8Array)))) });
    expectAbort(r, [1], [2], 'CONFIG_MISMATCH', 1);
  });

  it('r = 0 is refused (forced via state)', () => {
    const r = runSign(pre(), digest, { extra: { hooks: (p) => (p === 1 ? { beforeRound: (k, s) => (k === 2 ? { ...(s as SignState), r: 0n } : s) } : undefined), faulty: [1] } });
    expect(r.aborts.get(1)!.reason).toBe('DEGENERATE_SIGNATURE');
    expect(r.outputs.has(1)).toBe(false);
  });

  it('s = 0 is refused (forced via state: own σ = −σ_2)', () => {
    const ps = pre();
    const d2 = ps.get(2)!.presignature.exportData();
    const R = ps.get(2)!.R;
    const rr = modN(bytesToNumberBE(R.slice(1)));
    const sigma2 = modN(bytesToNumberBE(d2.k) * modN(bytesToNumberBE(digest)) + rr * bytesToNumberBE(d2.chi));
    const r = runSign(ps, digest, { extra: { hooks: (p) => (p === 1 ? { beforeRound: (k, s) => (k === 2 ? { ...(s as SignState), sigma: q - sigma2 } : s) } : undefined), faulty: [1] } });
    expect(r.aborts.get(1)!.reason).toBe('DEGENERATE_SIGNATURE');
    expect(r.aborts.get(1)!.message).toMatch(/s = 0/);
  });
});

describe('presign input validation (InvalidInput, nothing sent)', () => {
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return isTkeyTssError(e) ? e.code : String(e);
    }
    return 'no error';
  };
  const base = (id: number) => ({ publicKey: key2[0]!.publicKey, epoch: 0, publicShares: key2[0]!.publicShares, share: key2.find((o) => o.shares.has(id))!.shares.export(id), aux: auxFor(id) });
  it('a share that is not the own public share, public shares of another key, a bad shift, a wrong aux', () => {
    expect(code(() => runPresign(key2, [1, 2], { input: (id) => ({ ...base(id), share: scalarBytes(5n) }) }))).toBe('SHARE_NOT_ON_POLYNOMIAL');
    expect(code(() => runPresign(key2, [1, 2], { input: (id) => ({ ...base(id), publicKey: pointBytes(mulGUnsafe(3n)) }) }))).toBe('SHARE_NOT_ON_POLYNOMIAL');
    expect(code(() => runPresign(key2, [1, 2], { input: (id) => ({ ...base(id), shift: numberToBytesBE(q, 32) }) }))).toBe('INVALID_SCALAR');
    expect(code(() => runPresign(key2, [1, 2], { input: (id) => ({ ...base(id), aux: auxFor(id === 1 ? 2 : 1) }) }))).toBe('INVALID_ARGUMENT');
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIR } from '../test-vectors/generate-protocols.js';
import { presignSuite, signSuite } from '../test-vectors/suites/presign.js';

describe('presign and sign conformance vectors (test-vectors/presign, test-vectors/sign)', () => {
  const load = (rel: string) => JSON.parse(readFileSync(join(DIR, rel), 'utf8'));
  it('every replayed party sends the recorded bytes and ends as recorded', async () => {
    for (const [suite, f] of [
      [presignSuite, 'presign/presign.json'],
      [presignSuite, 'presign/presign-tampered.json'],
      [signSuite, 'sign/sign.json'],
      [signSuite, 'sign/sign-tampered.json'],
    ] as const) {
      const res = await suite.run(load(f), f);
      expect(res.length).toBeGreaterThan(0);
      expect(res.filter((r) => !r.ok)).toEqual([]);
    }
  }, 600_000); // ~40 presign replays (SPEC.md §10.9): well over the default on a loaded machine
  it('a changed byte or a changed expected culprit fails', async () => {
    const doc = load('sign/sign-tampered.json');
    const p1 = doc.vectors[0].transcript.find((p: { id: number }) => p.id === 1);
    p1.expect.abort.culprits = [1];
    expect((await signSuite.run(doc, 'x'))[0]!.ok).toBe(false);
    const hon = load('sign/sign.json');
    const q1 = hon.vectors[0].transcript[0];
    q1.input.presignature.chi = q1.input.presignature.chi.replace(/.$/, (c: string) => (c === '0' ? '1' : '0'));
    expect((await signSuite.run(hon, 'y'))[0]!.ok).toBe(false);
  });
});
