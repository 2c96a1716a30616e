/**
 * Presign round 4. From every other signer j (blame j, round 3): δ_j ∈ [0, q), Δ_j and S_j valid
 * points, ψ''_{i,j} (Πlog*: K_j encrypts log_Γ Δ_j). Then δ = Σδ_j and the two checks
 *   δ·G = ΣΔ_j   (δ check)        ΣS_j = δ·Y'   (χ check: Σχ_j = k·x, so ΣS_j = k·x·γ·G = δ·Y')
 * Both pass: R = δ⁻¹·Γ, R̄_j = δ⁻¹·Δ_j, S̄_j = δ⁻¹·S_j; broadcast the view of round 3 (confirmation).
 * Either fails: broadcast the view and the blame material, and to each j the proofs under j's
 * ring-Pedersen parameters (cggmp-recipe §2.9; see messages.ts):
 *   H_i = G_i^{k_i}·ρ^{N_i} + Πmul;  Ĥ_i = K_i^{x_i}·ρ̂^{N_i} + Πmul*;
 *   Πdec(C_δ → δ_i), Πdec(C_χ → χ_i) with C_δ = H_i·Π_j D_{i,j}·F_{j,i}⁻¹, C_χ = Ĥ_i·Π_j D̂_{i,j}·F̂_{j,i}⁻¹,
 *   witness the centred decryption, |y| ≤ 2^{ℓ_y}, ℓ_y = blameBits(profile, n) (blame-bound.ts).
 * `runParallel`: every peer's ψ'' checked as a task on `ctx.parallel` (./tasks.ts), all at once;
 * then the same round with those verdicts, reported in `run`'s order (peer by peer: shape, ψ'').
 * @module
 */
import { modInv } from '../../src/bigint/arith.js';
import { G, IDENTITY, invN, modN, mulPublic, pointFromBytes, type Point } from '../../src/curve.js';
import { ProtocolAbort } from '../../src/errors.js';
import type { PaillierPublicKey } from '../../src/paillier/keys.js';
import * as dec from '../../src/zk/dec.js';
import * as logstar from '../../src/zk/logstar.js';
import * as mul from '../../src/zk/mul.js';
import * as mulstar from '../../src/zk/mulstar.js';
import { abortUnless } from '../../src/zk/verdict.js';
import { ownAuxKeys, paillierPublicOf, ringPedersenOf } from '../aux/materialize.js';
import { echoHash } from '../session.js';
import type { Verdict } from '../../src/zk/verdict.js';
import type { Outgoing, Payload, Received, Round, RoundContext } from '../types.js';
import { PayloadReader, pointBytes, scalarBytes } from '../util.js';
import { blameBits } from './blame-bound.js';
import { ctBytes, type MtaCts, PROTOCOL, proofTranscript, readProof, type PresignOutput, type PresignState } from './messages.js';
import type { LogStarVerifyTask } from './tasks.js';

/** Peer j's round-3 messages, shape-checked (blame j, round 3). */
function readRound3(rec: Received, j: number) {
  const b = new PayloadReader(rec.broadcast, 3, j, 'presign round 3').keys('Delta', 'S', 'delta');
  const dj = b.scalar(b.bytes('delta', 32), 'delta');
  const DjBytes = b.bytes('Delta', 33);
  const Dj = b.point(DjBytes, 'Delta');
  const Sj = b.point(b.bytes('S', 33), 'S');
  const p = new PayloadReader(rec.p2p, 3, j, 'presign round 3 p2p').keys('psi2');
  const psi2 = readProof(p, 'psi2', logstar.proofFromBytes);
  return { dj, Dj, DjBytes, Sj, psi2, psi2Bytes: p.raw('psi2') as Uint8Array };
}

/** C·Π_j D_j·F_j⁻¹ mod N² (the ciphertext of δ_i or χ_i under the prover's key). */
export function combined(key: PaillierPublicKey, H: bigint, parts: readonly (readonly [bigint, bigint])[]): bigint {
  let c = H;
  for (const [D, F] of parts) c = (((c * D) % key.n2) * modInv(F, key.n2)) % key.n2;
  return c;
}

export function ctsToPayload(own: PaillierPublicKey, peer: PaillierPublicKey, c: MtaCts, direction: 'sent' | 'recv'): Payload {
  // sent to j: D, D̂ under N_j; F, F̂ under N_i. received from j: the other way round.
  const [kd, kf] = direction === 'sent' ? [peer, own] : [own, peer];
  return { D: ctBytes(kd, c.D), F: ctBytes(kf, c.F), Dh: ctBytes(kd, c.Dh), Fh: ctBytes(kf, c.Fh) };
}

export const round4: Round<PresignState, PresignOutput> = {
  sends: { broadcast: true, p2p: true },
  run(state, inbox, ctx) {
    return run4(state, inbox, ctx);
  },
  async runParallel(state, inbox, ctx) {
    const { aux, cfg } = state;
    const Kof = new Map(state.peerK!);
    const tasks: LogStarVerifyTask[] = [];
    for (const [j, rec] of inbox) {
      let m: ReturnType<typeof readRound3>;
      try {
        m = readRound3(rec, j);
      } catch {
        continue; // reported in order by run4
      }
      tasks.push({ kind: 'presign/logstar-verify', sid: ctx.sid, cfg, aux, peer: j, what: 'psi-double-prime', C: Kof.get(j)!, X: m.DjBytes, g: state.Gamma!, proof: m.psi2Bytes });
    }
    const verdicts = (await ctx.parallel.run(tasks)) as Verdict[];
    return run4(state, inbox, ctx, new Map(tasks.map((t, n) => [t.peer, verdicts[n]!])));
  },
};

/** Round 4; `checked`: the ψ'' verdicts the executor already computed (else verified here). */
function run4(state: PresignState, inbox: ReadonlyMap<number, Received>, ctx: RoundContext, checked?: ReadonlyMap<number, Verdict>): { state: PresignState; outbox: Outgoing[] } {
  const { aux, cfg } = state;
  const { sk, pk, rpMine } = ownAuxKeys(aux);
  const Gamma = pointFromBytes(state.Gamma!);
  const Kof = new Map(state.peerK!);
  const bcOf = new Map<number, Payload>([[ctx.self, state.bc3!]]);
  let delta = state.delta_i!;
  const Delta: [number, Uint8Array][] = [[ctx.self, (state.bc3 as { Delta: Uint8Array }).Delta]];
  const S: [number, Uint8Array][] = [[ctx.self, (state.bc3 as { S: Uint8Array }).S]];
  const peerDelta: [number, bigint][] = [];
  for (const [j, rec] of inbox) {
    const pkj = paillierPublicOf(aux, j);
    const { dj, Dj, Sj, psi2 } = readRound3(rec, j);
    const v = checked?.get(j) ?? logstar.verify({ key: pkj, C: Kof.get(j)!, X: Dj, g: Gamma, rp: rpMine }, psi2, proofTranscript(ctx.sid, cfg, j, 'psi-double-prime', ctx.self));
    abortUnless(v, 3, j, "Πlog* ψ''");
    delta = modN(delta + dj);
    peerDelta.push([j, dj]);
    Delta.push([j, pointBytes(Dj)]);
    S.push([j, pointBytes(Sj)]);
    bcOf.set(j, rec.broadcast!);
  }
  const order = (a: [number, Uint8Array], b: [number, Uint8Array]) => a[0] - b[0];
  Delta.sort(order);
  S.sort(order);
  const view = state.signers.map((p) => echoHash(ctx.sid, PROTOCOL, p, 3, bcOf.get(p)!));
  const sum = (xs: [number, Uint8Array][]): Point => xs.reduce((acc, [, b]) => acc.add(pointFromBytes(b)), IDENTITY);
  if (delta === 0n) throw new ProtocolAbort('DEGENERATE_RESULT', 3, [], 'δ = 0');
  const Yd = pointFromBytes(state.Yd);
  const deltaOk = mulPublic(G, delta).equals(sum(Delta));
  const chiOk = sum(S).equals(mulPublic(Yd, delta));
  const failed: PresignState['failed'] = !deltaOk ? 'DELTA_MISMATCH' : !chiOk ? 'CHI_MISMATCH' : null;
  const base = { ...state, view, failed, peerDelta, peerS: S, Delta, bc3: null };
  const outbox: Outgoing[] = [];
  if (failed === null) {
    const dinv = invN(delta);
    const R = mulPublic(Gamma, dinv);
    const Rbar = Delta.map(([j, b]) => [j, pointBytes(mulPublic(pointFromBytes(b), dinv))] as [number, Uint8Array]);
    const Sbar = S.map(([j, b]) => [j, pointBytes(mulPublic(pointFromBytes(b), dinv))] as [number, Uint8Array]);
    if (R.equals(IDENTITY)) throw new ProtocolAbort('DEGENERATE_RESULT', 3, [], 'R is the identity');
    outbox.push({ to: null, payload: { view, blame: null } });
    for (const j of state.signers) if (j !== ctx.self) outbox.push({ to: j, payload: { proofs: null } });
    return { state: { ...base, R: pointBytes(R), Rbar, Sbar }, outbox };
  }
  // identifiable abort: prove δ_i and χ_i
  const k = state.k!;
  const K = state.K!;
  const rhoH = pk.sampleNonce(ctx.rng);
  const H = (pk.mul(state.G!, k) * pk.nthPower(rhoH)) % pk.n2;
  const rhoHh = pk.sampleNonce(ctx.rng);
  const Hh = (pk.mul(K, state.x) * pk.nthPower(rhoHh)) % pk.n2;
  const mulProof = mul.prove({ key: pk, X: K, Y: state.G!, C: H }, { x: k, rho: rhoH, rhoX: state.rho! }, proofTranscript(ctx.sid, cfg, ctx.self, 'blame-mul'), ctx.rng);
  const sentOf = new Map(state.sent!);
  const recvOf = new Map(state.recv!);
  const others = state.signers.filter((j) => j !== ctx.self);
  const Cd = combined(pk, H, others.map((j) => [recvOf.get(j)!.D, sentOf.get(j)!.F] as const));
  const Cc = combined(pk, Hh, others.map((j) => [recvOf.get(j)!.Dh, sentOf.get(j)!.Fh] as const));
  const yd = sk.decrypt(Cd);
  const yc = sk.decrypt(Cc);
  const rd = sk.recoverNonce(Cd);
  const rc = sk.recoverNonce(Cc);
  outbox.push({
    to: null,
    payload: {
      view,
      blame: {
        H: ctBytes(pk, H),
        Hh: ctBytes(pk, Hh),
        chi: scalarBytes(state.chi_i!),
        mul: mul.proofToBytes(mulProof),
        sent: others.map((j) => ctsToPayload(pk, paillierPublicOf(aux, j), sentOf.get(j)!, 'sent')),
        recv: others.map((j) => ctsToPayload(pk, paillierPublicOf(aux, j), recvOf.get(j)!, 'recv')),
      },
    },
  });
  const Xi = pointFromBytes(state.X.find(([id]) => id === ctx.self)![1]);
  const yBits = blameBits(aux.profile, state.signers.length);
  for (const j of others) {
    const rpj = ringPedersenOf(aux, j);
    const decDelta = dec.prove({ key: pk, C: Cd, x: state.delta_i!, yBits, rp: rpj }, { y: yd, rho: rd }, proofTranscript(ctx.sid, cfg, ctx.self, 'blame-dec-delta', j), ctx.rng);
    const ms = mulstar.prove({ key: pk, C: K, D: Hh, X: Xi, rp: rpj }, { x: state.x, rho: rhoHh }, proofTranscript(ctx.sid, cfg, ctx.self, 'blame-mulstar', j), ctx.rng);
    const decChi = dec.prove({ key: pk, C: Cc, x: state.chi_i!, yBits, rp: rpj }, { y: yc, rho: rc }, proofTranscript(ctx.sid, cfg, ctx.self, 'blame-dec-chi', j), ctx.rng);
    outbox.push({ to: j, payload: { proofs: { decDelta: dec.proofToBytes(decDelta), mulStar: mulstar.proofToBytes(ms), decChi: dec.proofToBytes(decChi) } } });
  }
  return { state: base, outbox };
}
