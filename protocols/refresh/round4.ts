/**
 * Refresh output. First our own view: a party that sent us a confirmation h_j ≠ h is blamed alone
 * (`CONFIRMATION_MISMATCH`, [j]). Then, n ≥ 3, the confirmation echo: party k's report of what
 * each party confirmed to it must be h everywhere (`CONFIRMATION_EQUIVOCATION`): at k itself or at
 * us, k alone is to blame ([k]: it equivocated, or lies about our message); at a third party j,
 * j equivocated or k lies ([j, k]; without signed messages nobody can tell which).
 * @module
 */
import { equalBytes } from '../../src/bytes.js';
import { ProtocolAbort } from '../../src/errors.js';
import type { PartyContext, Round } from '../types.js';
import { PayloadReader, SecretShares } from '../util.js';
import { ECHO_MIN_PARTIES, ownsOf, PROTOCOL, type RefreshOutput, type RefreshState } from './messages.js';

/** The output a state holds once its new shares are verified (after round 2), else null. */
export function outputOf(state: RefreshState, ctx: PartyContext): RefreshOutput | null {
  if (!state.x || !state.commitments || !state.publicShares || !state.h) return null;
  const mine = ownsOf(ctx, ctx.self);
  return {
    protocol: PROTOCOL,
    sid: ctx.sid,
    self: ctx.self,
    threshold: ctx.threshold,
    parties: ctx.parties.map((p) => ({ id: p.id, owns: [...p.owns] })),
    publicKey: state.Y,
    commitments: state.commitments,
    publicShares: state.publicShares.map(([index, Xm]) => ({ index, X: Xm })),
    epoch: state.epoch + 1,
    previous: { epoch: state.epoch, ...state.previous },
    confirmation: state.h,
    shares: new SecretShares(mine.map((m, k) => [m, state.x![k]!] as const)),
    extension: state.extOut ?? null,
  };
}

export function round4(): Round<RefreshState, RefreshOutput> {
  return {
    sends: { broadcast: false, p2p: false },
    run(state, inbox, ctx) {
      const h = state.h!;
      if (state.wrong!.length) throw new ProtocolAbort('CONFIRMATION_MISMATCH', 2, state.wrong!, 'confirms a different view of round 1');
      const ids = ctx.parties.map((p) => p.id);
      if (ids.length >= ECHO_MIN_PARTIES) {
        const reports = new Map<number, Uint8Array[]>();
        for (const [k, rec] of inbox) reports.set(k, new PayloadReader(rec.broadcast, 3, k, 'refresh round 3').keys('seen').bytesArrayOf('seen', 32, ids.length));
        const odd = (k: number, j: number) => !equalBytes(reports.get(k)![ids.indexOf(j)]!, h);
        for (const k of reports.keys()) {
          for (const j of [k, ctx.self]) if (odd(k, j)) throw new ProtocolAbort('CONFIRMATION_EQUIVOCATION', 2, [k], `party ${k} reports a different confirmation from party ${j}`);
        }
        for (const k of reports.keys()) {
          for (const j of ids) if (odd(k, j)) throw new ProtocolAbort('CONFIRMATION_EQUIVOCATION', 2, [Math.min(j, k), Math.max(j, k)], `party ${k} got a different confirmation from party ${j}`);
        }
      }
      return { output: outputOf(state, ctx)! };
    },
  };
}
