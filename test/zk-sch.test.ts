/** Πsch negative tests (recipe §2.10): identity X and A, z ∉ [0, q), tampered z, split commit/response. */
import { describe, expect, it } from 'vitest';
import { IDENTITY, mulG, N as q, randomScalar } from '../src/curve.js';
import { seededRng } from '../src/rng.js';
import * as sch from '../src/zk/sch.js';
import { tr } from './helpers/zk-fixtures.js';

describe('Πsch', () => {
  const rng = seededRng('zk-sch');
  const x = randomScalar(rng);
  const pub = { X: mulG(x) };
  const proof = sch.prove(pub, { x }, tr(), rng);
  const r = (p: sch.SchPublic, pr: sch.SchProof) => sch.verify(p, pr, tr());

  it('every verifier check', () => {
    expect(r(pub, proof)).toEqual({ ok: true });
    expect(r({ X: IDENTITY }, proof)).toMatchObject({ ok: false, reason: 'SCH_X_IDENTITY' });
    expect(r(pub, { ...proof, A: IDENTITY })).toMatchObject({ ok: false, reason: 'SCH_A_IDENTITY' });
    expect(r(pub, { ...proof, z: q })).toMatchObject({ ok: false, reason: 'SCH_Z_RANGE' });
    expect(r(pub, { ...proof, z: proof.z + q })).toMatchObject({ ok: false, reason: 'SCH_Z_RANGE' });
    expect(r(pub, { ...proof, z: -1n })).toMatchObject({ ok: false, reason: 'PROOF_MALFORMED' });
    expect(r(pub, { ...proof, z: (proof.z + 1n) % q })).toMatchObject({ ok: false, reason: 'SCH_EQUATION' });
    expect(r({ X: mulG(x + 1n) }, proof)).toMatchObject({ ok: false, reason: 'SCH_EQUATION' });
    expect(r(pub, { ...proof, A: mulG(3n) })).toMatchObject({ ok: false, reason: 'SCH_EQUATION' });
    expect(r({} as sch.SchPublic, proof)).toMatchObject({ ok: false, reason: 'STATEMENT_MALFORMED' });
  });

  it('commit in one round, respond in another (keygen)', () => {
    const nonce = sch.commit(rng);
    const pr = sch.proveWithNonce(pub, { x }, nonce, tr('kg', 3, 'rid'));
    expect(pr.A.equals(nonce.A)).toBe(true);
    expect(sch.verify(pub, pr, tr('kg', 3, 'rid'))).toEqual({ ok: true });
    expect(sch.verify(pub, pr, tr('kg', 3, 'rid2')).ok).toBe(false);
    expect(sch.verify(pub, pr, tr('kg', 2, 'rid')).ok).toBe(false);
  });
});
