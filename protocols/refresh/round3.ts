/**
 * Refresh output: every other party j confirms the same h and proves knowledge of each of its new
 * shares x'_m (blame j, round 2); the extension checks its round-2 parts.
 * @module
 */
import { equalBytes } from '../../src/bytes.js';
import { verify as schVerify } from '../../src/zk/sch.js';
import type { Round } from '../types.js';
import { PayloadReader, pointOf, SecretShares } from '../util.js';
import { type ExtensionParts, ownsOf, PROTOCOL, type RefreshExtension, type RefreshOutput, type RefreshState, schnorrTranscript } from './messages.js';

export function round3(ext: RefreshExtension | undefined): Round<RefreshState, RefreshOutput> {
  return {
    sends: { broadcast: false, p2p: false },
    run(state, inbox, ctx) {
      const h = state.h!;
      const X = new Map(state.publicShares!);
      const extParts = new Map<number, ExtensionParts>();
      for (const [j, rec] of inbox) {
        const owns = ownsOf(ctx, j);
        const r = new PayloadReader(rec.broadcast, 2, j, 'refresh round 2').keys('A', 'h', 'z', ...(ext ? ['ext'] : []));
        if (!equalBytes(r.bytes('h', 32), h)) r.fail('confirms a different view of round 1', 'CONFIRMATION_MISMATCH');
        const A = r.bytesArrayOf('A', 33, owns.length);
        const z = r.bytesArrayOf('z', 32, owns.length);
        owns.forEach((m, k) => {
          const proof = { A: r.point(A[k]!, `A[${k}]`), z: r.scalar(z[k]!, `z[${k}]`) };
          const v = schVerify({ X: pointOf(X.get(m)!) }, proof, schnorrTranscript(ctx.sid, j, h, m));
          if (!v.ok) r.fail(`Πsch for new index ${m}: ${v.reason}`, 'SCHNORR_INVALID');
        });
        if (ext) {
          let p2p = null;
          if (ext.p2pRound2) p2p = new PayloadReader(rec.p2p, 2, j, 'refresh round 2 p2p').keys('ext').raw('ext');
          extParts.set(j, { broadcast: r.raw('ext'), p2p });
        }
      }
      const extension = ext ? ext.finish(state.ext!, extParts, ctx, h) : null;
      const mine = ownsOf(ctx, ctx.self);
      const output: RefreshOutput = {
        protocol: PROTOCOL,
        sid: ctx.sid,
        self: ctx.self,
        threshold: ctx.threshold,
        parties: ctx.parties.map((p) => ({ id: p.id, owns: [...p.owns] })),
        publicKey: state.Y,
        commitments: state.commitments!,
        publicShares: state.publicShares!.map(([index, Xm]) => ({ index, X: Xm })),
        epoch: state.epoch + 1,
        previous: { epoch: state.epoch, ...state.previous },
        confirmation: h,
        shares: new SecretShares(mine.map((m, k) => [m, state.x![k]!] as const)),
        extension,
      };
      return { output };
    },
  };
}
