/**
 * Sign output (the combiner; every signer combines). r ≠ 0 (DEGENERATE_SIGNATURE); from every
 * other signer j (blame j, round 1): same presignature tag and digest (CONFIG_MISMATCH), σ_j ∈ [0, q).
 * Partial signatures: σ_j·R = m·R̄_j + r·S̄_j, else PARTIAL_SIGNATURE_INVALID naming j. Then
 * s = Σσ_j ≠ 0, low-s (flips the recovery parity), and (r, s) must verify under Y′ before anything
 * is returned: u1 = m/s, u2 = r/s, (u1·G + u2·Y′).x ≡ r (SIGNATURE_INVALID otherwise).
 *
 * Cost: presign guarantees ΣR̄_j = δ⁻¹·ΣΔ_j = G and ΣS̄_j = δ⁻¹·ΣS_j = Y′, and our own σ_i is honest, so
 * with TWO signers the single partial check σ_j·R = m·R̄_j + r·S̄_j is equivalent to s·R = m·G + r·Y′,
 * i.e. to the final verification (up to the sign of s, which low-s removes). There it runs only to
 * name the culprit when the final check fails; with three or more signers every partial is checked
 * explicitly before the final check. Y′ is long-lived: its multiplication table is cached.
 * @module
 */
import { bytesToHex, equalBytes } from '../../src/bytes.js';
import { G, invN, modN, N as q, pointFromBytes, pointX, type Point } from '../../src/curve.js';
import { ProtocolAbort } from '../../src/errors.js';
import type { Round } from '../types.js';
import { PayloadReader, scalarBytes } from '../util.js';
import { PROTOCOL, type SignOutput, type SignState } from './messages.js';

const MAX_CACHED = 32;
const tables = new Map<string, Point>();
/** Y′ with a precomputed window table (public data, memoised by value). */
function keyPoint(bytes: Uint8Array): Point {
  const id = bytesToHex(bytes);
  let P = tables.get(id);
  if (!P) {
    P = pointFromBytes(bytes);
    P.precompute(8, false);
    if (tables.size >= MAX_CACHED) tables.delete(tables.keys().next().value!);
    tables.set(id, P);
  }
  return P;
}

export const round2: Round<SignState, SignOutput> = {
  sends: { broadcast: false, p2p: false },
  run(state, inbox, ctx) {
    const { m, r } = state;
    if (r === 0n || r >= q) throw new ProtocolAbort('DEGENERATE_SIGNATURE', 1, [], 'r = 0: refused');
    const R = pointFromBytes(state.R);
    const Rbar = new Map(state.Rbar);
    const Sbar = new Map(state.Sbar);
    const sigmas: [number, bigint][] = [];
    let s = state.sigma;
    for (const [j, rec] of inbox) {
      const b = new PayloadReader(rec.broadcast, 1, j, 'sign round 1').keys('m', 'sigma', 'tag');
      if (!equalBytes(b.bytes('tag', 32), state.tag)) b.fail('signs with another presignature', 'CONFIG_MISMATCH');
      if (!equalBytes(b.bytes('m', 32), state.digest)) b.fail('signs another digest', 'CONFIG_MISMATCH');
      const sj = b.scalar(b.bytes('sigma', 32), 'sigma');
      sigmas.push([j, sj]);
      s = modN(s + sj);
    }
    // σ_j·R = m·R̄_j + r·S̄_j for every other signer
    const checkPartials = (): void => {
      for (const [j, sj] of sigmas) {
        const lhs = R.multiplyUnsafe(sj);
        const rhs = pointFromBytes(Rbar.get(j)!).multiplyUnsafe(m).add(pointFromBytes(Sbar.get(j)!).multiplyUnsafe(r));
        if (!lhs.equals(rhs)) throw new ProtocolAbort('PARTIAL_SIGNATURE_INVALID', 1, [j], `σ_${j}·R ≠ m·R̄_${j} + r·S̄_${j}`);
      }
    };
    if (sigmas.length >= 2) checkPartials();
    if (s === 0n) {
      checkPartials();
      throw new ProtocolAbort('DEGENERATE_SIGNATURE', 1, [], 's = 0: refused');
    }
    const Ra = R.toAffine();
    let recovery = (Ra.y & 1n ? 1 : 0) | (Ra.x >= q ? 2 : 0);
    if (s > q >> 1n) {
      s = q - s;
      recovery ^= 1;
    }
    // ECDSA verification under Y′: (m/s·G + r/s·Y′).x ≡ r
    const w = invN(s);
    const X = G.multiplyUnsafe(modN(m * w)).add(keyPoint(state.Yd).multiplyUnsafe(modN(r * w)));
    if (X.is0() || modN(pointX(X)) !== r) {
      checkPartials();
      throw new ProtocolAbort('SIGNATURE_INVALID', 1, [], 'the combined signature does not verify under Y′');
    }
    const rb = scalarBytes(r);
    const sb = scalarBytes(s);
    const signature = new Uint8Array(64);
    signature.set(rb, 0);
    signature.set(sb, 32);
    return { output: { protocol: PROTOCOL, sid: ctx.sid, self: ctx.self, publicKey: state.Yd, digest: state.digest, r: rb, s: sb, recovery, signature } };
  },
};
