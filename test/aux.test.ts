/**
 * Aux info (protocols/aux): honest 2- and 3-party runs on the TEST primes, reuse of long-lived aux,
 * redaction and storage of the output, input validation, and one malicious party per verifier
 * check (recipe §3 #1 BitForge, #3 zero proof, #4 undersized N, #8 unchecked w, #10 replay; Πfac
 * under the prover's own parameters): every honest party aborts naming the culprit.
 */
import { inspect } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { modPow } from '../src/bigint/modexp.js';
import { generatePrimeSync } from '../src/bigint/primes.js';
import { utf8ToBytes } from '../src/bytes.js';
import { isTkeyTssError, ProtocolAbort } from '../src/errors.js';
import { RingPedersenParams } from '../src/paillier/ring-pedersen.js';
import { seededRng } from '../src/rng.js';
import * as fac from '../src/zk/fac.js';
import * as mod from '../src/zk/mod.js';
import * as prm from '../src/zk/prm.js';
import { PROFILE_DEFAULT } from '../src/zk/params.js';
import { aux, type AuxInfo, type AuxState, exportAux, importAux, materialiseAux, proofTranscripts, redactAux, reuseAux, sealAux } from '../protocols/aux/index.js';
import { Session } from '../protocols/session.js';
import { decodeMessage, encodeMessage } from '../protocols/wire.js';
import { auxInput, bitforge17, recommit, ringPedersenAnyN, runAux } from './helpers/aux-run.js';
import type { SimResult } from './helpers/simulate.js';
import { editMessage, flip, tamper, type Rule } from './helpers/tamper.js';
import { testPrimePairs } from './helpers/test-primes.js';
import { bitforgeModulus, detPrime, forgeModProof } from './helpers/zk-fixtures.js';

const profile = PROFILE_DEFAULT;
const sidOf = (seed: string) => utf8ToBytes(`${seed}/sid`);

function outputs(r: SimResult<AuxInfo>, ids: number[]): AuxInfo[] {
  expect([...r.aborts.values()].map(String)).toEqual([]);
  expect(r.stalled).toEqual([]);
  return ids.map((id) => r.outputs.get(id)!);
}

/** Every victim aborted with exactly (reason, round, culprits); nobody has output. */
function aborted(r: SimResult<AuxInfo>, reason: string | RegExp, round: number, culprits: number[], victims: number[]): void {
  for (const v of victims) {
    expect(r.outputs.has(v), `party ${v} has no output`).toBe(false);
    const a = r.aborts.get(v);
    expect(a, `party ${v} aborts`).toBeInstanceOf(ProtocolAbort);
    expect({ round: a!.round, culprits: [...a!.culprits] }, a!.message).toEqual({ round, culprits });
    if (typeof reason === 'string') expect(a!.reason, a!.message).toBe(reason);
    else expect(a!.reason, a!.message).toMatch(reason);
  }
}

/** The own material after round 3 (ρ known) of a tampering party. */
const ownAfter = (res: unknown) => (res as { state: AuxState }).state;

/** Replace the culprit's round-3 broadcast (ψ) and/or p2p (φ) after it ran the round. */
function round3Swap(party: number, fn: (st: AuxState, outbox: { to: number | null; payload: Record<string, Uint8Array> }[]) => void): Rule {
  return {
    party,
    round: 3,
    after: (res) => {
      if (!('state' in res)) return res;
      fn(ownAfter(res), res.outbox as never);
      return res;
    },
  };
}

function checkInfo(outs: AuxInfo[], ids: number[]): void {
  const pub = (o: AuxInfo) => JSON.stringify(redactAux(o).parties);
  for (const o of outs) expect(pub(o)).toBe(pub(outs[0]!));
  for (const [k, o] of outs.entries()) {
    expect(o.self).toBe(ids[k]);
    expect(o.profile).toBe('default');
    expect(o.parties.map((p) => p.id)).toEqual(ids);
    const own = o.parties.find((p) => p.id === o.self)!;
    expect(o.secret.p * o.secret.q).toBe(own.N);
    const m = materialiseAux(o);
    expect(m.rpSecret.params.commitPublic(0n, o.secret.lambda)).toBe(own.s); // s = t^λ
    // a peer can encrypt to us and we decrypt
    const other = ids.find((id) => id !== o.self)!;
    const c = materialiseAux(outs[ids.indexOf(other)]!).parties.get(o.self)!.pk.encrypt(-12345n, seededRng('enc'));
    expect(m.sk.decrypt(c)).toBe(-12345n);
  }
  const Ns = new Set(outs[0]!.parties.map((p) => p.N));
  expect(Ns.size).toBe(ids.length);
}

describe('aux: honest runs', () => {
  let two: SimResult<AuxInfo>;
  beforeAll(() => {
    two = runAux([1, 2], 'aux-2');
  });

  it('2 parties: both output the same verified table; own key and λ match', () => {
    checkInfo(outputs(two, [1, 2]), [1, 2]);
  });

  it('3 parties (echo check on)', () => {
    const r = runAux([1, 2, 3], 'aux-3');
    checkInfo(outputs(r, [1, 2, 3]), [1, 2, 3]);
  });

  it('the secret is redacted in JSON and inspection, survives structuredClone, exports and imports explicitly', () => {
    const o = two.outputs.get(1)!;
    const hexP = o.secret.p.toString(16);
    const json = JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v));
    expect(json).toContain('"secret":"<redacted>"');
    expect(json).not.toContain(hexP.slice(0, 24));
    expect(inspect(o, { depth: 5 })).toContain('<redacted>');
    expect(inspect(o, { depth: 5 })).not.toMatch(/\bp: \d/);
    expect(JSON.stringify(redactAux(o))).not.toContain(hexP.slice(0, 24));
    const clone = structuredClone(o);
    expect(clone.secret.p).toBe(o.secret.p); // plain data: the hooks are not enumerable
    expect(JSON.stringify(sealAux(clone), (_k, v) => (typeof v === 'bigint' ? '' : v))).toContain('<redacted>');
    const back = importAux(exportAux(o));
    expect(back.secret).toEqual({ p: o.secret.p, q: o.secret.q, lambda: o.secret.lambda });
    expect(back.parties).toEqual(o.parties);
    expect(JSON.stringify(back, (_k, v) => (typeof v === 'bigint' ? '' : v))).toContain('<redacted>');
    const bytes = exportAux({ ...o, secret: { ...o.secret, lambda: o.secret.lambda + 1n } });
    expect(() => importAux(bytes)).toThrow(/s ≠ t\^λ/);
  });

  it('a session paused after any round resumes from its snapshot (plain-data state) to the same output', () => {
    const sid = sidOf('aux-resume');
    const ps = [1, 2].map((id) => ({ id, owns: [id] }));
    const mk = (id: number) => Session.create(aux, { sid, self: id, parties: ps, threshold: 1 }, auxInput(id), { rng: seededRng(`aux-resume/party-${id}`) });
    let s1 = mk(1);
    const s2 = mk(2);
    let to1 = s2.start();
    let to2 = s1.start();
    for (let k = 0; k < 3; k++) {
      s1 = Session.resume(aux, s1.snapshot(), { rng: seededRng('aux-resume/party-1') }); // moved to another worker
      const a = to1.flatMap((m) => s1.receive(decodeMessage(encodeMessage(m))));
      const b = to2.flatMap((m) => s2.receive(decodeMessage(encodeMessage(m))));
      [to1, to2] = [b, a];
    }
    expect(s1.status).toBe('done');
    expect(s2.status).toBe('done');
    expect(redactAux(s1.output!).parties).toEqual(redactAux(s2.output!).parties);
    expect(JSON.stringify(s1)).not.toMatch(/[0-9a-f]{64}/); // the session itself is redacted
  });

  it('reuse: a long-lived aux is re-proven for a new session; its (N, s, t) are unchanged', () => {
    const old = two.outputs.get(1)!;
    const r = runAux([1, 3], 'aux-reuse', {}, (id) => (id === 1 ? reuseAux(old) : auxInput(3)));
    const outs = outputs(r, [1, 3]);
    expect(outs[0]!.parties[0]).toEqual(old.parties[0]);
    expect(outs[1]!.parties[0]).toEqual(old.parties[0]);
    expect(outs[0]!.secret).toEqual(old.secret);
  });

  it('input validation: InvalidInput before anything is sent', () => {
    const a = testPrimePairs(1024)[0]!;
    const run = (input: unknown) => () => aux.init(input as never, { sid: utf8ToBytes('x'), protocol: 'aux', self: 1, parties: [{ id: 1, owns: [1] }, { id: 2, owns: [2] }], threshold: 1 });
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return isTkeyTssError(e) ? e.code : String(e);
      }
      return 'no error';
    };
    expect(code(run({ profile: 'default', key: { p: a.p, q: a.p } }))).toBe('PAILLIER_INVALID_KEY');
    expect(code(run({ profile: 'high', key: a }))).toBe('PAILLIER_INVALID_KEY');
    expect(code(run({ profile: 'nope', key: a }))).toBe('INVALID_ARGUMENT');
    const blum = generatePrimeSync(1024, { kind: 'blum', rng: seededRng('aux-blum') });
    expect(code(run({ profile: 'default', key: { p: a.p, q: blum } }))).toBe('PAILLIER_INVALID_KEY'); // not a safe prime
    const own = two.outputs.get(1)!;
    const re = reuseAux(own);
    expect(code(run(re))).toBe('no error');
    expect(code(run({ ...re, ringPedersen: { ...re.ringPedersen!, lambda: re.ringPedersen!.lambda + 1n } }))).toBe('RING_PEDERSEN_INVALID');
    expect(code(run({ ...re, key: a }))).toBe('RING_PEDERSEN_INVALID'); // (s, t) of another N
  });

  it('a Πprm or Πmod replayed from another session is rejected (bound to sid, ρ)', () => {
    // party 2 re-proves its aux of session aux-2 in session aux-replay, but sends the old proofs
    const sent2 = two.sent.get(2)!.map(decodeMessage);
    const oldPrm = (sent2.find((m) => m.round === 2)!.payload as Record<string, Uint8Array>).prm!;
    const oldMod = (sent2.find((m) => m.round === 3 && m.to === null)!.payload as Record<string, Uint8Array>).mod!;
    const reuse = (id: number) => (id === 2 ? reuseAux(two.outputs.get(2)!) : auxInput(id));
    const sid = sidOf('aux-replay');
    let r = runAux([1, 2], 'aux-replay', tamper(recommit(2, sid, (own) => ({ ...own, prm: oldPrm }))), reuse);
    aborted(r, 'PRM_EQUATION', 2, [2], [1]);
    r = runAux([1, 2], 'aux-replay', tamper(editMessage(2, 3, 'broadcast', (b) => void (b.mod = oldMod))), reuse);
    aborted(r, /^MOD_/, 3, [2], [1]);
  });
});

describe('aux: a malicious party is named', () => {
  const P = testPrimePairs(1024)[5]!.p;

  it('BitForge modulus (16 × 16-bit primes) with every proof omitted: PROOF_MISSING', () => {
    const sid = sidOf('aux-bf-omit');
    const { N } = bitforgeModulus(P);
    let r = runAux([1, 2], 'aux-bf-omit', tamper(recommit(2, sid, (own) => ({ ...own, N, s: 4n, t: 9n, prm: new Uint8Array(0) }))));
    aborted(r, 'PROOF_MISSING', 2, [2], [1]);
    // the field deleted altogether is a missing proof too, not just a malformed message
    r = runAux([1, 2], 'aux-bf-omit', tamper(editMessage(2, 2, 'broadcast', (b) => void delete b.prm)));
    aborted(r, 'PROOF_MISSING', 2, [2], [1]);
    // Πmod omitted in round 3
    r = runAux([1, 2], 'aux-mod-omit', tamper(editMessage(2, 3, 'broadcast', (b) => void (b.mod = new Uint8Array(0)))));
    aborted(r, 'PROOF_MISSING', 3, [2], [1]);
  });

  it('BitForge modulus with a valid Πprm: the structural checks reject it before any proof work', () => {
    const sid = sidOf('aux-bf-prm');
    const { N } = bitforgeModulus(P);
    const fake = ringPedersenAnyN(N, seededRng('bf-prm'), proofTranscripts(sid, 2, null, profile).prm);
    const r = runAux([1, 2], 'aux-bf-prm', tamper(recommit(2, sid, (own) => ({ ...own, N, ...fake }))));
    aborted(r, 'MOD_N_SMALL_FACTOR', 2, [2], [1]);
  });

  it('BitForge modulus with 17-bit factors (past trial division), valid Πprm, forged Πmod (w ≡ 0 mod each factor): MOD_W_NOT_UNIT', () => {
    const sid = sidOf('aux-bf17');
    const { N, smalls } = bitforge17(P);
    const fake = ringPedersenAnyN(N, seededRng('bf17-prm'), proofTranscripts(sid, 2, null, profile).prm);
    let forged: mod.ModProof | null = null;
    const r = runAux(
      [1, 2],
      'aux-bf17',
      tamper(
        recommit(2, sid, (own) => ({ ...own, N, ...fake })),
        round3Swap(2, (st, outbox) => {
          forged = forgeModProof(P, smalls, proofTranscripts(sid, 2, st.rho!, profile).mod);
          outbox[0]!.payload.mod = mod.proofToBytes(forged);
        }),
      ),
    );
    aborted(r, 'MOD_W_NOT_UNIT', 3, [2], [1]);
    // the forged proof satisfies both equations: only the w ∈ Z*_N check stops it
    expect(forged).not.toBeNull();
  });

  it('unbalanced Blum biprime (200-bit factor): honest Πprm and Πmod pass, Πfac rejects', () => {
    const sid = sidOf('aux-unbalanced');
    const small = generatePrimeSync(200, { kind: 'blum', rng: seededRng('aux-unbalanced/small') });
    const big = generatePrimeSync(1848, { kind: 'blum', rng: seededRng('aux-unbalanced/big') });
    const N = small * big;
    expect(N.toString(2).length).toBeGreaterThanOrEqual(2047);
    const phi = (small - 1n) * (big - 1n);
    const t = (12345678901234567n * 12345678901234567n) % N;
    const lambda = 987654321987654321n % phi;
    const s = modPow(t, lambda, N);
    const prmProof = prm.proofToBytes(prm.prove({ N, s, t, profile }, { lambda, p: big, q: small }, proofTranscripts(sid, 2, null, profile).prm, seededRng('unb-prm')));
    const r = runAux(
      [1, 2],
      'aux-unbalanced',
      tamper(
        recommit(2, sid, (own) => ({ ...own, N, s, t, prm: prmProof })),
        round3Swap(2, (st, outbox) => {
          const tr = proofTranscripts(sid, 2, st.rho!, profile);
          outbox[0]!.payload.mod = mod.proofToBytes(mod.prove({ N, profile }, { p: big, q: small }, tr.mod, seededRng('unb-mod')));
          const [, peer] = st.peers![0]!;
          const rp = new RingPedersenParams(peer.N, peer.s, peer.t, profile);
          outbox[1]!.payload.fac = fac.proofToBytes(fac.prove({ N0: N, rp, profile }, { p: big, q: small }, tr.fac(1), seededRng('unb-fac')));
        }),
      ),
    );
    aborted(r, /^Z[12]_RANGE$/, 3, [2], [1]);
  });

  it('undersized N (two 512-bit primes, zero-padded): MODULUS_TOO_SMALL', () => {
    const sid = sidOf('aux-small');
    const N = detPrime(512, 'aux-small-p') * detPrime(512, 'aux-small-q');
    const fake = ringPedersenAnyN(N, seededRng('small-prm'), proofTranscripts(sid, 2, null, profile).prm);
    const r = runAux([1, 2], 'aux-small', tamper(recommit(2, sid, (own) => ({ ...own, N, ...fake }))));
    aborted(r, 'MODULUS_TOO_SMALL', 2, [2], [1]);
  });

  it('bad Πprm (one response changed): PRM_EQUATION', () => {
    const sid = sidOf('aux-prm');
    const r = runAux(
      [1, 2],
      'aux-prm',
      tamper(
        recommit(2, sid, (own) => {
          const d = prm.proofFromBytes(own.prm);
          if (!d.ok) throw new Error('own Πprm');
          d.proof.z[7] = d.proof.z[7]! + 1n;
          return { ...own, prm: prm.proofToBytes(d.proof) };
        }),
      ),
    );
    aborted(r, 'PRM_EQUATION', 2, [2], [1]);
  });

  it('decommitment mismatch (u changed): DECOMMITMENT_MISMATCH', () => {
    const r = runAux([1, 2], 'aux-dec', tamper(editMessage(2, 2, 'broadcast', (b) => void (b.u = flip(b.u as Uint8Array)))));
    aborted(r, 'DECOMMITMENT_MISMATCH', 2, [2], [1]);
  });

  it('ρ mismatch: a party proving under its own ρ fails Πmod', () => {
    const r = runAux([1, 2], 'aux-rho', tamper({ party: 2, round: 2, after: (res) => ('state' in res ? { ...res, state: { ...(res.state as AuxState), own: { ...(res.state as AuxState).own!, rho: new Uint8Array(32) } } } : res) }));
    aborted(r, /^MOD_/, 3, [2], [1]);
  });

  it('bad Πfac (a response changed), Πfac under the prover’s own parameters, Πfac omitted', () => {
    let r = runAux(
      [1, 2],
      'aux-fac',
      tamper(
        round3Swap(2, (_st, outbox) => {
          const d = fac.proofFromBytes(outbox[1]!.payload.fac!);
          if (!d.ok) throw new Error('own Πfac');
          outbox[1]!.payload.fac = fac.proofToBytes({ ...d.proof, w1: d.proof.w1 + 1n });
        }),
      ),
    );
    aborted(r, 'RP_EQUATION', 3, [2], [1]);
    r = runAux(
      [1, 2],
      'aux-fac-own',
      tamper(
        round3Swap(2, (st, outbox) => {
          const own = new RingPedersenParams(st.own!.N, st.own!.s, st.own!.t, profile);
          const tr = proofTranscripts(sidOf('aux-fac-own'), 2, st.rho!, profile);
          outbox[1]!.payload.fac = fac.proofToBytes(fac.prove({ N0: st.own!.N, rp: own, profile }, { p: st.p, q: st.q }, tr.fac(1), seededRng('own-params')));
        }),
      ),
    );
    aborted(r, /^(RP_NOT_UNIT|RP_EQUATION|SIGMA_RANGE)$/, 3, [2], [1]);
    r = runAux([1, 2], 'aux-fac-omit', tamper(editMessage(2, 3, 'p2p', (b) => void delete b.fac)));
    aborted(r, 'PROOF_MISSING', 3, [2], [1]);
  });

  it('echo equivocation (n = 3): another V to one party', () => {
    const r = runAux([1, 2, 3], 'aux-echo', tamper(editMessage(3, 1, 'broadcast', (b) => void (b.V = flip(b.V as Uint8Array)), [2])));
    expect(r.outputs.size).toBe(0);
    expect(r.aborts.get(2)).toMatchObject({ reason: 'ECHO_MISMATCH', round: 1, culprits: [3] });
    expect(r.aborts.get(1)).toMatchObject({ reason: 'ECHO_MISMATCH', round: 1, culprits: [2, 3] });
  });

  it('another configuration, and a message from another session', () => {
    let r = runAux([1, 2], 'aux-cfg', tamper(editMessage(2, 1, 'broadcast', (b) => void (b.cfg = flip(b.cfg as Uint8Array)))));
    aborted(r, 'CONFIG_MISMATCH', 1, [2], [1]);
    r = runAux([1, 2], 'aux-sid', tamper({ party: 2, round: 1, message: (m) => ({ ...m, sid: utf8ToBytes('another session') }) }));
    aborted(r, 'WRONG_SID', 1, [2], [1]);
  });
});
