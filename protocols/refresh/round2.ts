/**
 * Refresh round 2. For every other party j (blame j, round 1): same cfg; |C⃗_j| = t' for a dealer,
 * 0 otherwise; points valid; C_{j,0} = Σ_{k∈old_j} λ_k·X_k; σ_{j,m}·G = G_j(m) for each own new
 * index m. Then ΣC_{j,0} = Y, A⃗' = ΣC⃗_j, X'_m = F'(m), x'_m = Σ_j σ_{j,m}; broadcast the
 * confirmation h and a Πsch of each x'_m bound to (sid, i, h, m).
 * @module
 */
import { equalBytes } from '../../src/bytes.js';
import { IDENTITY, modN, mulGUnsafe, type Point } from '../../src/curve.js';
import { InternalBug, ProtocolAbort } from '../../src/errors.js';
import { shareCommitment, verifyShare } from '../../src/shamir/index.js';
import { prove as schProve } from '../../src/zk/sch.js';
import type { Outgoing, Payload, Round } from '../types.js';
import { encodePayload } from '../wire.js';
import { PayloadReader, pointBytes, pointOf, scalarBytes } from '../util.js';
import { confirmationHash, type ExtensionParts, newIndices, ownsOf, type RefreshExtension, type RefreshOutput, type RefreshState, schnorrTranscript } from './messages.js';

export function round2(ext: RefreshExtension | undefined): Round<RefreshState, RefreshOutput> {
  return {
    sends: { broadcast: true, p2p: ext?.p2pRound2 ?? false },
    run(state, inbox, ctx) {
      const t = ctx.threshold;
      const mine = ownsOf(ctx, ctx.self);
      const lambdaX = new Map(state.lambdaX);
      const extKeys = ext ? ['ext'] : [];
      let sum: Point[] | null = state.C!.length ? state.C!.map(pointOf) : null;
      const x = [...state.ownSigma!];
      const broadcasts: [number, Uint8Array][] = [[ctx.self, encodePayload(state.bc1!)]];
      const extParts = new Map<number, ExtensionParts>();
      for (const [j, rec] of inbox) {
        const r = new PayloadReader(rec.broadcast, 1, j, 'refresh round 1');
        if (!equalBytes(r.bytes('cfg', 32), state.cfg)) r.fail('configuration hash differs', 'CONFIG_MISMATCH');
        r.keys('C', 'cfg', ...extKeys);
        const Cb = r.bytesArray('C', 33);
        const lx = lambdaX.get(j);
        const want = lx ? t : 0;
        if (Cb.length !== want) r.fail(`|C⃗_${j}| = ${Cb.length}, expected ${want}`, 'COMMITMENT_LENGTH');
        const C = Cb.map((b, k) => r.point(b, `C[${k}]`));
        if (lx && !C[0]!.equals(pointOf(lx))) r.fail(`C_{${j},0} ≠ λ·X of its old shares`, 'DEALER_KEY_CHANGED');
        const p = new PayloadReader(rec.p2p, 1, j, 'refresh round 1 p2p').keys('sigma', ...extKeys);
        const sig = p.bytesArrayOf('sigma', 32, lx ? mine.length : 0).map((b, k) => p.scalar(b, `sigma[${k}]`));
        if (lx) {
          mine.forEach((m, k) => {
            if (!verifyShare(C, { x: BigInt(m), y: sig[k]! })) p.fail(`σ_{${j},${m}}·G ≠ G_${j}(${m})`, 'FELDMAN_SHARE_MISMATCH');
            x[k] = modN(x[k]! + sig[k]!);
          });
          sum = sum ? sum.map((acc, k) => acc.add(C[k]!)) : C;
        }
        broadcasts.push([j, encodePayload(rec.broadcast!)]);
        if (ext) extParts.set(j, { broadcast: r.raw('ext'), p2p: p.raw('ext') });
      }
      const Y = pointOf(state.Y);
      if (!sum || !sum[0]!.equals(Y)) throw new ProtocolAbort('PUBLIC_KEY_CHANGED', 1, [], 'ΣC_{j,0} ≠ Y');
      const degenerate = (what: string): never => {
        throw new ProtocolAbort('DEGENERATE_RESULT', 1, [], what);
      };
      if (sum.some((P) => P.equals(IDENTITY))) degenerate('a summed commitment is the identity');
      const publicShares: [number, Uint8Array][] = newIndices(ctx).map((m) => {
        const X = shareCommitment(sum!, BigInt(m));
        if (X.equals(IDENTITY)) degenerate(`X'_${m} is the identity`);
        return [m, pointBytes(X)];
      });
      const Xof = new Map(publicShares);
      broadcasts.sort((a, b) => a[0] - b[0]);
      const h = confirmationHash(ctx.sid, state.cfg, state.epoch + 1, broadcasts);
      const proofs = mine.map((m, k) => {
        if (x[k] === 0n) degenerate(`x'_${m} = 0`);
        const X = pointOf(Xof.get(m)!);
        if (!mulGUnsafe(x[k]!).equals(X)) throw new InternalBug(`refresh: own share ${m} does not match X'_${m}`);
        return schProve({ X }, { x: x[k]! }, schnorrTranscript(ctx.sid, ctx.self, h, m), ctx.rng);
      });
      const bc: Record<string, Payload> = { h, A: proofs.map((p) => pointBytes(p.A)), z: proofs.map((p) => scalarBytes(p.z)) };
      const outbox: Outgoing[] = [{ to: null, payload: bc }];
      let extState: Payload | undefined;
      if (ext) {
        const xr = ext.round2(state.ext!, extParts, ctx, h);
        extState = xr.state;
        bc.ext = xr.broadcast;
        if (ext.p2pRound2) for (const p of ctx.parties) if (p.id !== ctx.self) outbox.push({ to: p.id, payload: { ext: xr.p2p?.get(p.id) ?? null } });
      }
      return {
        state: { ...state, ownSigma: [], bc1: null, x, commitments: sum.map(pointBytes), publicShares, h, ...(ext ? { ext: extState! } : {}) },
        outbox,
      };
    },
  };
}
