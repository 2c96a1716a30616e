/**
 * Presign round 3. From every other signer j (blame j, round 2): Γ_j a valid point; D_{i,j},
 * D̂_{i,j} ∈ Z*_{N_i²}, F_{i,j}, F̂_{i,j} ∈ Z*_{N_j²}; ψ_{i,j} (Πaff-g against Γ_j), ψ̂_{i,j} (Πaff-g
 * against X_j), ψ'_{i,j} (Πlog*: G_j encrypts log Γ_j), under our ring-Pedersen parameters.
 * Then Γ = ΣΓ_j, Δ_i = k_i·Γ, α_{i,j} = dec(D_{i,j}), α̂_{i,j} = dec(D̂_{i,j}) (CRT),
 *   δ_i = γ_i·k_i + Σ_j (α_{i,j} + β_{i,j}),  χ_i = x_i·k_i + Σ_j (α̂_{i,j} + β̂_{i,j})  (mod q),
 * S_i = χ_i·Γ; broadcast {delta, Delta, S}, and to each j ψ''_{j,i} = Πlog*(K_i, Δ_i; base Γ).
 * `runParallel`: every received ψ, ψ̂, ψ' checked and every ψ'' made as tasks on `ctx.parallel`
 * (./tasks.ts), all at once, the decryptions done here meanwhile; the checks are reported in
 * `run`'s order (peer by peer: shape, ψ, ψ̂, ψ'; then Γ ≠ O, χ_i ≠ 0), so the abort is the same.
 * @module
 */
import { IDENTITY, modN, mulSecret, pointFromBytes, type Point } from '../../src/curve.js';
import { ProtocolAbort } from '../../src/errors.js';
import * as affg from '../../src/zk/affg.js';
import * as logstar from '../../src/zk/logstar.js';
import { abortUnless } from '../../src/zk/verdict.js';
import { ownAuxKeys, paillierPublicOf, ringPedersenOf } from '../aux/materialize.js';
import type { Verdict } from '../../src/zk/verdict.js';
import type { PaillierPublicKey } from '../../src/paillier/keys.js';
import type { AuxInfo } from '../aux/types.js';
import type { Outgoing, Payload, Received, Round } from '../types.js';
import { PayloadReader, pointBytes, scalarBytes } from '../util.js';
import { type MtaCts, proofTranscript, readCt, readProof, type PresignOutput, type PresignState } from './messages.js';
import { takeMask, takeNonce } from './precompute.js';
import type { AffgVerifyTask, LogStarProveTask, LogStarVerifyTask } from './tasks.js';

interface Round2Msg {
  Gj: Point;
  GjBytes: Uint8Array;
  cts: MtaCts;
  psi: affg.AffgProof;
  psiHat: affg.AffgProof;
  psiPrime: logstar.LogStarProof;
  bytes: { psi: Uint8Array; psiHat: Uint8Array; psiPrime: Uint8Array };
}

/** Peer j's round-2 messages, shape-checked (blame j, round 2). */
function readRound2(rec: Received, j: number, aux: AuxInfo, pk: PaillierPublicKey): Round2Msg {
  const pkj = paillierPublicOf(aux, j);
  const b = new PayloadReader(rec.broadcast, 2, j, 'presign round 2').keys('Gamma');
  const GjBytes = b.bytes('Gamma', 33);
  const Gj = b.point(GjBytes, 'Gamma');
  const r = new PayloadReader(rec.p2p, 2, j, 'presign round 2 p2p').keys('D', 'Dh', 'F', 'Fh', 'psi', 'psiHat', 'psiPrime');
  const D = readCt(r, 'D', pk);
  const F = readCt(r, 'F', pkj);
  const Dh = readCt(r, 'Dh', pk);
  const Fh = readCt(r, 'Fh', pkj);
  const psi = readProof(r, 'psi', affg.proofFromBytes);
  const psiHat = readProof(r, 'psiHat', affg.proofFromBytes);
  const psiPrime = readProof(r, 'psiPrime', logstar.proofFromBytes);
  const raw = (k: string) => r.raw(k) as Uint8Array;
  return { Gj, GjBytes, cts: { D, F, Dh, Fh }, psi, psiHat, psiPrime, bytes: { psi: raw('psi'), psiHat: raw('psiHat'), psiPrime: raw('psiPrime') } };
}

export const round3: Round<PresignState, PresignOutput> = {
  sends: { broadcast: true, p2p: true },
  run(state, inbox, ctx) {
    const { aux, cfg } = state;
    const { sk, pk, rpMine, pkFast } = ownAuxKeys(aux);
    const Xof = new Map(state.X);
    const Gof = new Map(state.peerG!);
    let Gamma: Point = pointFromBytes(state.Gamma_i!);
    const recv: [number, MtaCts][] = [];
    for (const [j, rec] of inbox) {
      const pkj = paillierPublicOf(aux, j);
      const {
        Gj,
        cts: { D, F, Dh, Fh },
        psi,
        psiHat,
        psiPrime,
      } = readRound2(rec, j, aux, pk);
      abortUnless(affg.verify({ key0: pkFast, key1: pkj, C: state.K!, D, Y: F, X: Gj, rp: rpMine }, psi, proofTranscript(ctx.sid, cfg, j, 'psi', ctx.self)), 2, j, 'Πaff-g ψ');
      const Xj = pointFromBytes(Xof.get(j)!);
      abortUnless(affg.verify({ key0: pkFast, key1: pkj, C: state.K!, D: Dh, Y: Fh, X: Xj, rp: rpMine }, psiHat, proofTranscript(ctx.sid, cfg, j, 'psi-hat', ctx.self)), 2, j, 'Πaff-g ψ̂');
      abortUnless(logstar.verify({ key: pkj, C: Gof.get(j)!, X: Gj, rp: rpMine }, psiPrime, proofTranscript(ctx.sid, cfg, j, 'psi-prime', ctx.self)), 2, j, "Πlog* ψ'");
      Gamma = Gamma.add(Gj);
      recv.push([j, { D, F, Dh, Fh }]);
    }
    if (Gamma.equals(IDENTITY)) throw new ProtocolAbort('DEGENERATE_RESULT', 2, [], 'Γ is the identity');
    const k = state.k!;
    const Delta_i = mulSecret(Gamma, k);
    const betaOf = new Map(state.beta!.map(([j, b, bh]) => [j, [b, bh] as const]));
    let delta = state.gamma! * k;
    let chi = state.x * k;
    for (const [j, c] of recv) {
      const [b, bh] = betaOf.get(j)!;
      delta += sk.decrypt(c.D) + b;
      chi += sk.decrypt(c.Dh) + bh;
    }
    const { delta_i, chi_i, bc, outbox } = ownBroadcast(delta, chi, Gamma, Delta_i);
    for (const j of state.signers) {
      if (j === ctx.self) continue;
      const psi2 = logstar.prove({ key: pkFast, C: state.K!, X: Delta_i, g: Gamma, rp: ringPedersenOf(aux, j) }, { x: k, rho: state.rho! }, proofTranscript(ctx.sid, cfg, ctx.self, 'psi-double-prime', j), ctx.rng, { r: takeNonce(aux, ctx.self), mu: takeMask(aux, j, 'mu'), gamma: takeMask(aux, j, 'gamma') });
      outbox.push({ to: j, payload: { psi2: logstar.proofToBytes(psi2) } });
    }
    return { state: { ...state, recv, Gamma: pointBytes(Gamma), delta_i, chi_i, bc3: bc }, outbox };
  },
  async runParallel(state, inbox, ctx) {
    const { aux, cfg } = state;
    const { sk, pk } = ownAuxKeys(aux);
    const Xof = new Map(state.X);
    const Gof = new Map(state.peerG!);
    type Read = { j: number; ok: Round2Msg } | { j: number; error: unknown };
    const read = [...inbox].map(([j, rec]): Read => {
      try {
        return { j, ok: readRound2(rec, j, aux, pk) };
      } catch (error) {
        return { j, error };
      }
    });
    const base = (j: number) => ({ sid: ctx.sid, cfg, aux, peer: j });
    const verify: (AffgVerifyTask | LogStarVerifyTask)[] = read.flatMap((e) => {
      if (!('ok' in e)) return [];
      const { cts, GjBytes, bytes } = e.ok;
      return [
        { kind: 'presign/affg-verify' as const, ...base(e.j), what: 'psi' as const, C: state.K!, D: cts.D, F: cts.F, X: GjBytes, proof: bytes.psi },
        { kind: 'presign/affg-verify' as const, ...base(e.j), what: 'psi-hat' as const, C: state.K!, D: cts.Dh, F: cts.Fh, X: Xof.get(e.j)!, proof: bytes.psiHat },
        { kind: 'presign/logstar-verify' as const, ...base(e.j), what: 'psi-prime' as const, C: Gof.get(e.j)!, X: GjBytes, proof: bytes.psiPrime },
      ];
    });
    const ok = read.flatMap((e) => ('ok' in e ? [{ j: e.j, m: e.ok }] : []));
    const wellFormed = ok.length === read.length;
    let Gamma: Point = pointFromBytes(state.Gamma_i!);
    for (const { m } of ok) Gamma = Gamma.add(m.Gj);
    const k = state.k!;
    const live = wellFormed && !Gamma.equals(IDENTITY);
    const Delta_i = live ? mulSecret(Gamma, k) : IDENTITY;
    const prove: LogStarProveTask[] = [];
    if (live) {
      const DeltaBytes = pointBytes(Delta_i);
      const GammaBytes = pointBytes(Gamma);
      // per peer, in signer order: the task's seed; prepared items taken here, once
      for (const j of state.signers) {
        if (j === ctx.self) continue;
        prove.push({ kind: 'presign/logstar-prove', ...base(j), what: 'psi-double-prime', seed: ctx.rng.bytes(32), C: state.K!, X: DeltaBytes, g: GammaBytes, x: k, rho: state.rho!, pre: { r: takeNonce(aux, ctx.self), mu: takeMask(aux, j, 'mu'), gamma: takeMask(aux, j, 'gamma') } });
      }
    }
    const pending = ctx.parallel.run([...verify, ...prove]);
    pending.catch(() => undefined); // awaited below; the decryptions run meanwhile
    // α_{i,j} = dec(D_{i,j}), α̂_{i,j} = dec(D̂_{i,j}) while the tasks run (nothing is reported before the checks)
    const betaOf = new Map(state.beta!.map(([j, b, bh]) => [j, [b, bh] as const]));
    let delta = state.gamma! * k;
    let chi = state.x * k;
    if (live) {
      for (const { j, m } of ok) {
        const [b, bh] = betaOf.get(j)!;
        delta += sk.decrypt(m.cts.D) + b;
        chi += sk.decrypt(m.cts.Dh) + bh;
      }
    }
    const results = await pending;
    let v = 0;
    for (const e of read) {
      if ('error' in e) throw e.error;
      abortUnless(results[v++] as Verdict, 2, e.j, 'Πaff-g ψ');
      abortUnless(results[v++] as Verdict, 2, e.j, 'Πaff-g ψ̂');
      abortUnless(results[v++] as Verdict, 2, e.j, "Πlog* ψ'");
    }
    if (Gamma.equals(IDENTITY)) throw new ProtocolAbort('DEGENERATE_RESULT', 2, [], 'Γ is the identity');
    const { delta_i, chi_i, bc, outbox } = ownBroadcast(delta, chi, Gamma, Delta_i);
    prove.forEach((t, n) => outbox.push({ to: t.peer, payload: { psi2: results[verify.length + n] as Uint8Array } }));
    const recv: [number, MtaCts][] = ok.map(({ j, m }) => [j, m.cts]);
    return { state: { ...state, recv, Gamma: pointBytes(Gamma), delta_i, chi_i, bc3: bc }, outbox };
  },
};

/** δ_i = δ mod q, χ_i = χ mod q (χ_i = 0: DEGENERATE_RESULT), S_i = χ_i·Γ; the broadcast {δ_i, Δ_i, S_i} first in the outbox. */
function ownBroadcast(delta: bigint, chi: bigint, Gamma: Point, Delta_i: Point): { delta_i: bigint; chi_i: bigint; bc: Payload; outbox: Outgoing[] } {
  const delta_i = modN(delta);
  const chi_i = modN(chi);
  if (chi_i === 0n) throw new ProtocolAbort('DEGENERATE_RESULT', 3, [], 'χ_i = 0');
  const S_i = mulSecret(Gamma, chi_i);
  const bc: Payload = { delta: scalarBytes(delta_i), Delta: pointBytes(Delta_i), S: pointBytes(S_i) };
  return { delta_i, chi_i, bc, outbox: [{ to: null, payload: bc }] };
}
