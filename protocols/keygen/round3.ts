/**
 * Keygen round 3. For every other party j (blame j, round 2):
 *   |S⃗_j| = t, |A⃗_j| = |owns_j|, every point valid and not the identity;
 *   V_j = H(sid, j, cfg, S⃗_j, rid_j, c_j, A⃗_j, u_j);
 *   σ_{j,m}·G = F_j(m) = Σ_k m^k·S_{j,k} for each own index m (Feldman).
 * Then x_m = Σ_j σ_{j,m}, A⃗ = Σ_j S⃗_j, Y = A_0, X_m = F(m) for every index, rid = ⊕rid_j,
 * c = ⊕c_j, and the Schnorr response z_{i,m} = α_{i,m} + e·x_m with e bound to (sid, i, rid, m).
 * @module
 */
import { equalBytes } from '../../src/bytes.js';
import { IDENTITY, modN, mulGUnsafe, type Point } from '../../src/curve.js';
import { InternalBug, ProtocolAbort } from '../../src/errors.js';
import { evaluate, shareCommitment, verifyShare } from '../../src/shamir/index.js';
import { proveWithNonce } from '../../src/zk/sch.js';
import type { Round } from '../types.js';
import { PayloadReader, pointBytes, pointOf, scalarBytes } from '../util.js';
import { allIndices, commitmentHash, type KeygenOutput, type KeygenState, ownsOf, schnorrTranscript } from './messages.js';

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const o = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) o[i] = a[i]! ^ b[i]!;
  return o;
}

export const round3: Round<KeygenState, KeygenOutput> = {
  sends: { broadcast: true, p2p: false },
  run(state, inbox, ctx) {
    const t = ctx.threshold;
    const mine = ownsOf(ctx, ctx.self);
    const peerV = new Map(state.peerV!);
    const f = state.f!;
    // own contribution
    let sum: Point[] = state.S!.map(pointOf);
    const x = mine.map((m) => evaluate(f, BigInt(m)));
    let rid = state.rid!;
    let chain = state.c!;
    const peerA: [number, Uint8Array[]][] = [];
    for (const [j, rec] of inbox) {
      const r = new PayloadReader(rec.broadcast, 2, j, 'keygen round 2').keys('A', 'S', 'c', 'rid', 'u');
      const Sb = r.bytesArray('S', 33);
      if (Sb.length !== t) r.fail(`|S⃗_${j}| = ${Sb.length}, expected t = ${t}`, 'COMMITMENT_LENGTH');
      const Ab = r.bytesArrayOf('A', 33, ownsOf(ctx, j).length);
      const d = { S: Sb, rid: r.bytes('rid', 32), c: r.bytes('c', 32), A: Ab, u: r.bytes('u', 32) };
      const S = Sb.map((b, k) => r.point(b, `S[${k}]`));
      Ab.forEach((b, k) => r.point(b, `A[${k}]`));
      if (!equalBytes(commitmentHash(ctx.sid, j, state.cfg, d), peerV.get(j)!)) r.fail('reveal does not open V_j', 'DECOMMITMENT_MISMATCH');
      const p = new PayloadReader(rec.p2p, 2, j, 'keygen round 2 p2p').keys('sigma');
      const sig = p.bytesArrayOf('sigma', 32, mine.length).map((b, k) => p.scalar(b, `sigma[${k}]`));
      mine.forEach((m, k) => {
        if (!verifyShare(S, { x: BigInt(m), y: sig[k]! })) p.fail(`σ_{${j},${m}}·G ≠ F_${j}(${m})`, 'FELDMAN_SHARE_MISMATCH');
        x[k] = modN(x[k]! + sig[k]!);
      });
      sum = sum.map((acc, k) => acc.add(S[k]!));
      rid = xor(rid, d.rid);
      chain = xor(chain, d.c);
      peerA.push([j, Ab]);
    }
    const degenerate = (what: string): never => {
      throw new ProtocolAbort('DEGENERATE_RESULT', 2, [], what);
    };
    if (sum.some((P) => P.equals(IDENTITY))) degenerate('a summed commitment is the identity');
    const publicShares: [number, Uint8Array][] = allIndices(ctx).map((m) => {
      const X = shareCommitment(sum, BigInt(m));
      if (X.equals(IDENTITY)) degenerate(`X_${m} is the identity`);
      return [m, pointBytes(X)];
    });
    const Xof = new Map(publicShares);
    const z = mine.map((m, k) => {
      if (x[k] === 0n) degenerate(`x_${m} = 0`);
      const X = pointOf(Xof.get(m)!);
      if (!mulGUnsafe(x[k]!).equals(X)) throw new InternalBug(`keygen: own share ${m} does not match X_${m}`);
      const proof = proveWithNonce({ X }, { x: x[k]! }, { alpha: state.alpha![k]!, A: pointOf(state.A![k]!) }, schnorrTranscript(ctx.sid, ctx.self, rid, m));
      return scalarBytes(proof.z);
    });
    return {
      state: { ...state, f: [], alpha: [], x, ridAll: rid, chainCode: chain, commitments: sum.map(pointBytes), publicShares, peerA },
      outbox: [{ to: null, payload: { z } }],
    };
  },
};
