/**
 * Keygen output: verify every Πsch of every other party j for each of its indices m against
 * X_m and its committed A_{j,m} (blame j, round 3); return the key material.
 * @module
 */
import { pointFromBytes } from '../../src/curve.js';
import { verify as schVerify } from '../../src/zk/sch.js';
import type { Round } from '../types.js';
import { PayloadReader, SecretShares } from '../util.js';
import { type KeygenOutput, type KeygenState, ownsOf, PROTOCOL, schnorrTranscript } from './messages.js';

export const round4: Round<KeygenState, KeygenOutput> = {
  sends: { broadcast: false, p2p: false },
  run(state, inbox, ctx) {
    const X = new Map(state.publicShares!);
    const peerA = new Map(state.peerA!);
    const rid = state.ridAll!;
    for (const [j, rec] of inbox) {
      const owns = ownsOf(ctx, j);
      const r = new PayloadReader(rec.broadcast, 3, j, 'keygen round 3').keys('z');
      const z = r.bytesArrayOf('z', 32, owns.length);
      owns.forEach((m, k) => {
        const A = pointFromBytes(peerA.get(j)![k]!);
        const v = schVerify({ X: pointFromBytes(X.get(m)!) }, { A, z: r.scalar(z[k]!, `z[${k}]`) }, schnorrTranscript(ctx.sid, j, rid, m));
        if (!v.ok) r.fail(`Πsch for index ${m}: ${v.reason}`, 'SCHNORR_INVALID');
      });
    }
    const mine = ownsOf(ctx, ctx.self);
    const output: KeygenOutput = {
      protocol: PROTOCOL,
      sid: ctx.sid,
      self: ctx.self,
      threshold: ctx.threshold,
      parties: ctx.parties.map((p) => ({ id: p.id, owns: [...p.owns] })),
      publicKey: state.commitments![0]!,
      commitments: state.commitments!,
      publicShares: state.publicShares!.map(([index, Xm]) => ({ index, X: Xm })),
      chainCode: state.chainCode!,
      rid,
      epoch: 0,
      shares: new SecretShares(mine.map((m, k) => [m, state.x![k]!] as const)),
    };
    return { output };
  },
};
