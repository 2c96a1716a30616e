/**
 * Refresh round 3: check every other party j's round-2 message (blame j, round 2) — Πsch of each of
 * its new shares x'_m, the extension's round-2 parts — and record the confirmation h_j it sent. A
 * wrong h_j does not abort here: with n ≥ 3 the round echoes the confirmations it got,
 * {seen: [h_1 … h_n]} in party order (own h at own position), so that every honest party learns
 * of a party that confirmed different views to different parties (round 4 decides; 2 parties
 * send nothing and go straight on).
 * @module
 */
import { equalBytes } from '../../src/bytes.js';
import { verify as schVerify } from '../../src/zk/sch.js';
import type { Outgoing, Payload, Round } from '../types.js';
import { PayloadReader, pointOf } from '../util.js';
import { ECHO_MIN_PARTIES, type ExtensionParts, ownsOf, type RefreshExtension, type RefreshOutput, type RefreshState, schnorrTranscript } from './messages.js';

export function round3(ext: RefreshExtension | undefined): Round<RefreshState, RefreshOutput> {
  return {
    sends: { broadcast: true, p2p: false, minParties: ECHO_MIN_PARTIES },
    run(state, inbox, ctx) {
      const h = state.h!;
      const X = new Map(state.publicShares!);
      const extParts = new Map<number, ExtensionParts>();
      const got = new Map<number, Uint8Array>([[ctx.self, h]]);
      const wrong: number[] = [];
      for (const [j, rec] of inbox) {
        const owns = ownsOf(ctx, j);
        const r = new PayloadReader(rec.broadcast, 2, j, 'refresh round 2').keys('A', 'h', 'z', ...(ext ? ['ext'] : []));
        const hj = r.bytes('h', 32);
        got.set(j, hj);
        const A = r.bytesArrayOf('A', 33, owns.length);
        const z = r.bytesArrayOf('z', 32, owns.length);
        let p2p: Payload = null;
        if (ext?.p2pRound2) p2p = new PayloadReader(rec.p2p, 2, j, 'refresh round 2 p2p').keys('ext').raw('ext');
        if (!equalBytes(hj, h)) {
          wrong.push(j); // its proofs are bound to another h: judged in round 4
          continue;
        }
        owns.forEach((m, k) => {
          const proof = { A: r.point(A[k]!, `A[${k}]`), z: r.scalar(z[k]!, `z[${k}]`) };
          const v = schVerify({ X: pointOf(X.get(m)!) }, proof, schnorrTranscript(ctx.sid, j, h, m));
          if (!v.ok) r.fail(`Πsch for new index ${m}: ${v.reason}`, 'SCHNORR_INVALID');
        });
        if (ext) extParts.set(j, { broadcast: r.raw('ext'), p2p });
      }
      const extOut = ext && wrong.length === 0 ? ext.finish(state.ext!, extParts, ctx, h) : null;
      const seen = ctx.parties.map((p) => got.get(p.id)!);
      const outbox: Outgoing[] = ctx.parties.length >= ECHO_MIN_PARTIES ? [{ to: null, payload: { seen } }] : [];
      return { state: { ...state, seen, wrong, extOut }, outbox };
    },
  };
}
