/**
 * Issue 11 (the device's CPU per pooled sign): the sign path reads the working metadata without
 * copying it (`thresholdKeyInternals(tk).readMetadata`), and the device's Feldman check of its share against the
 * commitments (`DeviceParty.assertCurrent`) is remembered only against the exact (index, share,
 * commitments) it passed for — another share, other commitments (another epoch) or a wipe run the
 * check again, and a failing input is never remembered.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { modN, mulG, pointToBytes } from '../src/curve.js';
import { isTkeyTssError } from '../src/errors.js';
import { Metadata } from '../src/metadata/metadata.js';
import { TssShare } from '../src/tss/tss-share.js';
import { DeviceParty } from '../src/client/device-party.js';
import { TssAccount } from '../src/client/account.js';
import { accountEnv, deviceAux } from './helpers/account.js';
import { nobleVerify } from './helpers/verify-signature.js';

const calls = vi.hoisted(() => ({ verifyShare: 0 }));
vi.mock('../src/shamir/index.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/shamir/index.js')>();
  return { ...real, verifyShare: (...a: Parameters<typeof real.verifyShare>) => (calls.verifyShare++, real.verifyShare(...a)) };
});

/** Commitments [a0·G, a1·G] of f(x) = a0 + a1·x and the share f(i). */
function sharing(a0: bigint, a1: bigint, i: number): { C: Uint8Array[]; share: TssShare } {
  return { C: [pointToBytes(mulG(a0), true), pointToBytes(mulG(a1), true)], share: new TssShare(i, modN(a0 + a1 * BigInt(i))) };
}

function counting(fn: () => void): number {
  const before = calls.verifyShare;
  fn();
  return calls.verifyShare - before;
}

const stale = (f: () => void) => {
  try {
    f();
  } catch (e) {
    return isTkeyTssError(e, 'ACCOUNT_STATE_CHANGED');
  }
  return false;
};

afterEach(() => vi.restoreAllMocks());

describe('DeviceParty.assertCurrent: the check remembered against its exact inputs only', () => {
  it('same inputs: checked once; other commitments, another share, a wipe: checked again; a failure is not remembered', () => {
    const d = new DeviceParty();
    const e1 = sharing(11n, 22n, 2);
    const e2 = sharing(33n, 44n, 2); // another epoch (a refresh elsewhere)
    d.hold(e1.share);
    expect(counting(() => d.assertCurrent(e1.C, [2]))).toBe(1);
    expect(counting(() => d.assertCurrent(e1.C, [2])), 'the same (i, share, commitments): not re-checked').toBe(0);
    expect(counting(() => d.assertCurrent(e1.C.map((c) => c.slice()), [2])), 'equal bytes, other buffers').toBe(0);

    // the durable epoch moved: the held share is not on the new commitments
    expect(stale(() => d.assertCurrent(e2.C, [2]))).toBe(true);
    const before = calls.verifyShare;
    expect(stale(() => d.assertCurrent(e2.C, [2])), 'a failure is not remembered: checked and refused again').toBe(true);
    expect(calls.verifyShare - before).toBe(1);

    // a commitment changed in one coefficient only
    const tampered = [e1.C[0]!, e2.C[1]!];
    expect(stale(() => d.assertCurrent(tampered, [2]))).toBe(true);

    // the device now holds another share at the same index (the new epoch's): checked against e1 → refused
    d.hold(e2.share);
    expect(stale(() => d.assertCurrent(e1.C, [2])), 'another share at the same index is checked again').toBe(true);
    expect(counting(() => d.assertCurrent(e2.C, [2]))).toBe(1);
    expect(counting(() => d.assertCurrent(e2.C, [2]))).toBe(0);

    // log out and in again with the same share: checked again
    d.wipeAll();
    d.hold(e2.share);
    expect(counting(() => d.assertCurrent(e2.C, [2]))).toBe(1);
  });

  it('indices are remembered apart', () => {
    const d = new DeviceParty();
    const a = sharing(5n, 7n, 2);
    const b = sharing(5n, 7n, 3);
    d.hold(a.share);
    d.hold(b.share);
    expect(counting(() => d.assertCurrent(a.C, [2, 3]))).toBe(2);
    expect(counting(() => d.assertCurrent(a.C, [2, 3]))).toBe(0);
    d.hold(new TssShare(3, 1234n)); // a wrong share at 3 only
    expect(stale(() => d.assertCurrent(a.C, [2]))).toBe(false);
    expect(stale(() => d.assertCurrent(a.C, [3]))).toBe(true);
  });
});

describe('the pooled sign reads the metadata without copying it', () => {
  it('no Metadata.clone and no repeated share check in a pooled sign; the signature verifies', async () => {
    const env = accountEnv('device-sign-cpu');
    const { account: a } = await TssAccount.create({ ...env.opts('device-a'), aux: deviceAux(1) });
    expect(await a.presign(3)).toBe(3);
    await a.sign({ personalMessage: 'first (reloads once)' });
    const clone = vi.spyOn(Metadata.prototype, 'clone');
    const before = calls.verifyShare;
    const sig = await a.sign({ personalMessage: 'second' });
    expect(sig.presigned).toBe(true);
    expect(clone, 'no metadata copy on the pooled sign').not.toHaveBeenCalled();
    expect(calls.verifyShare - before, 'the share was checked against these commitments already').toBe(0);
    expect(a.threshold).toBe(2);
    expect(clone).not.toHaveBeenCalled();
    expect(nobleVerify(sig.digest, sig.signature, a.publicKey)).toBe(true);
  }, 600_000);
});
