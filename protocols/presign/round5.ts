/**
 * Presign output. From every other signer j (round 4): its view of round 3 must equal ours (else
 * VIEW_MISMATCH: [j] if it differs at j's own entry or ours, [p, j] at a third party p). On the
 * same view every party reaches the same verdict, so a party that claims the opposite of ours is
 * blamed (BLAME_INCONSISTENT). Checks passed: output the presignature. Checks failed: cross-check
 * every pair's MtA ciphertexts (MTA_TRANSCRIPT_MISMATCH, [i, j], or [j] when one side is us), then
 * verify each party's Πmul, Πdec(δ), Πmul*, Πdec(χ) (plaintext range ℓ_y = blameBits(profile, n):
 * a forged witness y + k·N_j fails DEC_Z1_RANGE) and χ_i·Γ = S_i; abort with the verdict
 * (DELTA_MISMATCH / CHI_MISMATCH) naming every party whose blame proofs fail.
 * @module
 */
import { equalBytes } from '../../src/bytes.js';
import { mulPublic, pointFromBytes, pointToBytes } from '../../src/curve.js';
import type { PaillierPublicKey } from '../../src/paillier/keys.js';
import * as dec from '../../src/zk/dec.js';
import * as mul from '../../src/zk/mul.js';
import * as mulstar from '../../src/zk/mulstar.js';
import { ownRingPedersenFast, paillierPublicOf } from '../aux/materialize.js';
import type { Payload, Round } from '../types.js';
import { PayloadReader, scalarBytes } from '../util.js';
import { blameBits } from './blame-bound.js';
import { abort, type MtaCts, PROTOCOL, presignatureTag, proofTranscript, readCt, readProof, type PresignOutput, type PresignState } from './messages.js';
import { Presignature } from './presignature.js';
import { combined } from './round4.js';

interface Blame {
  H: bigint;
  Hh: bigint;
  chi: bigint;
  mul: mul.MulProof;
  sent: Map<number, MtaCts>;
  recv: Map<number, MtaCts>;
}

function readCts(r: PayloadReader, what: string, v: Payload, kd: PaillierPublicKey, kf: PaillierPublicKey): MtaCts {
  const q = new PayloadReader(v, r.round, r.from, `${r.what}.${what}`).keys('D', 'Dh', 'F', 'Fh');
  return { D: readCt(q, 'D', kd), F: readCt(q, 'F', kf), Dh: readCt(q, 'Dh', kd), Fh: readCt(q, 'Fh', kf) };
}

function readBlame(v: Payload, j: number, others: number[], pkj: PaillierPublicKey, pkOf: (id: number) => PaillierPublicKey): Blame {
  const b = new PayloadReader(v, 4, j, 'presign round 4 blame').keys('H', 'Hh', 'chi', 'mul', 'recv', 'sent');
  const list = (name: 'sent' | 'recv'): Map<number, MtaCts> => {
    const raw = b.raw(name);
    if (!Array.isArray(raw) || raw.length !== others.length) b.fail(`${b.what}.${name}: expected ${others.length} entries`);
    const a = raw as readonly Payload[];
    // sent to m: D, D̂ under N_m, F, F̂ under N_j; received from m: the other way round
    return new Map(others.map((m, k) => [m, name === 'sent' ? readCts(b, `${name}[${k}]`, a[k]!, pkOf(m), pkj) : readCts(b, `${name}[${k}]`, a[k]!, pkj, pkOf(m))]));
  };
  return { H: readCt(b, 'H', pkj), Hh: readCt(b, 'Hh', pkj), chi: b.scalar(b.bytes('chi', 32), 'chi'), mul: readProof(b, 'mul', mul.proofFromBytes), sent: list('sent'), recv: list('recv') };
}

const sameCts = (a: MtaCts, b: MtaCts): boolean => a.D === b.D && a.F === b.F && a.Dh === b.Dh && a.Fh === b.Fh;

export const round5: Round<PresignState, PresignOutput> = {
  sends: { broadcast: false, p2p: false },
  run(state, inbox, ctx) {
    const { aux, cfg, signers } = state;
    const mine = state.view!;
    const n = signers.length;
    const views = new Map<number, Uint8Array[]>();
    const claims = new Map<number, Payload>();
    const p2ps = new Map<number, Payload>();
    for (const [j, rec] of inbox) {
      const r = new PayloadReader(rec.broadcast, 4, j, 'presign round 4').keys('blame', 'view');
      views.set(j, r.bytesArrayOf('view', 32, n));
      claims.set(j, r.raw('blame'));
      p2ps.set(j, new PayloadReader(rec.p2p, 4, j, 'presign round 4 p2p').keys('proofs').raw('proofs'));
    }
    // 1) same view of round 3 (the δ_j, Δ_j, S_j everyone used)
    const me = signers.indexOf(ctx.self);
    for (const [j, v] of views) {
      for (const i of [signers.indexOf(j), me]) if (!equalBytes(v[i]!, mine[i]!)) abort('VIEW_MISMATCH', 3, [j], `party ${j} reports a different round-3 broadcast from party ${signers[i]}`);
    }
    for (const [j, v] of views) {
      for (let i = 0; i < n; i++) if (!equalBytes(v[i]!, mine[i]!)) abort('VIEW_MISMATCH', 3, [signers[i]!, j], `party ${j} saw a different round-3 broadcast from party ${signers[i]}`);
    }
    // 2) the same verdict
    for (const [j, c] of claims) {
      if ((c === null) !== (state.failed === null)) abort('BLAME_INCONSISTENT', 4, [j], state.failed === null ? `party ${j} sends blame although the checks pass` : `party ${j} claims the checks pass`);
    }
    if (state.failed === null) {
      for (const [j, p] of p2ps) if (p !== null) abort('BLAME_INCONSISTENT', 4, [j], `party ${j} sends blame proofs although the checks pass`);
      const data = {
        sid: ctx.sid,
        self: ctx.self,
        signers: [...signers],
        publicKey: state.Y,
        derivedKey: state.Yd,
        epoch: state.epoch,
        shift: state.shift,
        R: state.R!,
        tag: presignatureTag(ctx.sid, cfg, state.R!),
      };
      const presignature = new Presignature({
        ...data,
        profile: aux.profile,
        R: pointToBytes(pointFromBytes(state.R!), false), // uncompressed: sign decodes it without a square root
        k: scalarBytes(state.k!),
        chi: scalarBytes(state.chi_i!),
        Rbar: state.Rbar!.map(([id, P]) => ({ id, P })),
        Sbar: state.Sbar!.map(([id, P]) => ({ id, P })),
      });
      const { sid, ...rest } = data;
      return { output: { protocol: PROTOCOL, sid, ...rest, presignature } };
    }
    // 3) identifiable abort
    const pkOf = (id: number) => paillierPublicOf(aux, id);
    const rpMine = ownRingPedersenFast(aux);
    const blames = new Map<number, Blame>();
    for (const [j, c] of claims) blames.set(j, readBlame(c, j, signers.filter((m) => m !== j), pkOf(j), pkOf));
    const sentBy = (a: number, b: number): MtaCts => (a === ctx.self ? new Map(state.sent!).get(b)! : blames.get(a)!.sent.get(b)!);
    const recvBy = (b: number, a: number): MtaCts => (b === ctx.self ? new Map(state.recv!).get(a)! : blames.get(b)!.recv.get(a)!);
    const pairs: number[] = [];
    const notes: string[] = [];
    for (const a of signers) {
      for (const b of signers) {
        if (a === b || sameCts(sentBy(a, b), recvBy(b, a))) continue;
        pairs.push(...[a, b].filter((x) => x !== ctx.self));
        notes.push(`${a}→${b}`);
      }
    }
    if (pairs.length) abort('MTA_TRANSCRIPT_MISMATCH', 2, pairs, `the MtA ciphertexts reported by the two ends differ: ${notes.join(', ')}`);
    const Gamma = pointFromBytes(state.Gamma!);
    const Kof = new Map(state.peerK!);
    const Gof = new Map(state.peerG!);
    const dOf = new Map(state.peerDelta!);
    const Sof = new Map(state.peerS!);
    const Xof = new Map(state.X);
    const yBits = blameBits(aux.profile, n);
    const culprits: number[] = [];
    for (const [j, b] of blames) {
      const pkj = pkOf(j);
      const others = signers.filter((m) => m !== j);
      const fails: string[] = [];
      const pr = new PayloadReader(p2ps.get(j) ?? null, 4, j, 'presign round 4 p2p.proofs');
      pr.keys('decChi', 'decDelta', 'mulStar');
      const decDelta = readProof(pr, 'decDelta', dec.proofFromBytes);
      const ms = readProof(pr, 'mulStar', mulstar.proofFromBytes);
      const decChi = readProof(pr, 'decChi', dec.proofFromBytes);
      if (!mul.verify({ key: pkj, X: Kof.get(j)!, Y: Gof.get(j)!, C: b.H }, b.mul, proofTranscript(ctx.sid, cfg, j, 'blame-mul')).ok) fails.push('Πmul');
      const Cd = combined(pkj, b.H, others.map((m) => [b.recv.get(m)!.D, b.sent.get(m)!.F] as const));
      const vd = dec.verify({ key: pkj, C: Cd, x: dOf.get(j)!, yBits, rp: rpMine }, decDelta, proofTranscript(ctx.sid, cfg, j, 'blame-dec-delta', ctx.self));
      if (!vd.ok) fails.push(`Πdec(δ) ${vd.reason}`);
      if (!mulstar.verify({ key: pkj, C: Kof.get(j)!, D: b.Hh, X: pointFromBytes(Xof.get(j)!), rp: rpMine }, ms, proofTranscript(ctx.sid, cfg, j, 'blame-mulstar', ctx.self)).ok) fails.push('Πmul*');
      const Cc = combined(pkj, b.Hh, others.map((m) => [b.recv.get(m)!.Dh, b.sent.get(m)!.Fh] as const));
      const vc = dec.verify({ key: pkj, C: Cc, x: b.chi, yBits, rp: rpMine }, decChi, proofTranscript(ctx.sid, cfg, j, 'blame-dec-chi', ctx.self));
      if (!vc.ok) fails.push(`Πdec(χ) ${vc.reason}`);
      if (!mulPublic(Gamma, b.chi).equals(pointFromBytes(Sof.get(j)!))) fails.push('S_j ≠ χ_j·Γ');
      if (fails.length) {
        culprits.push(j);
        notes.push(`party ${j}: ${fails.join(', ')}`);
      }
    }
    return abort(state.failed!, 3, culprits, culprits.length ? notes.join('; ') : 'no party could be identified');
  },
};
