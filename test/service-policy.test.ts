/**
 * Issue 9 item 1: the co-signing service enforces its own policy. A malicious device asks the
 * service directly (no client checks in the way) for keygen, refresh, aux, presign and sign outside
 * the policy: the service refuses with POLICY_VIOLATION (details.rule) before any session runs —
 * no participant is handed out, the share store is byte-for-byte unchanged. The protocol layer
 * refuses t = 1 for keygen and refresh unless the input opts in (tests only).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex, utf8ToBytes } from '../src/bytes.js';
import { mulG, pointToBytes, scalarFromBytes } from '../src/curve.js';
import { isTkeyTssError } from '../src/errors.js';
import { seededRng } from '../src/rng.js';
import { DEFAULT_TSS_TAG } from '../src/tss/tss-tag.js';
import { TssAccount } from '../src/client/account.js';
import { readCheckpoint, type TssCheckpoint } from '../src/client/checkpoint.js';
import { MemoryServiceShareStore, ServiceParty } from '../src/client/service-party.js';
import { accountProfile, checkKeygen, checkProfile, checkRefresh, checkSigner, knownIndices, servicePolicy } from '../src/client/service-policy.js';
import { SimulatorTransport } from '../src/client/transport.js';
import { keygen } from '../protocols/keygen/index.js';
import { refresh } from '../protocols/refresh/index.js';
import { Session } from '../protocols/session.js';
import { accountEnv, deviceAux, durableMetadata, expectCode, SERVICE_KEY, serviceAux, type AccountEnv } from './helpers/account.js';
import { allShares, interpolatesTo, refreshInputs, runKeygen, runRefresh, simulate } from './helpers/simulate.js';
import { MemoryPresignStore, PresignPool } from '../src/signature/presign-pool.js';

/** Every record of the store, every byte (test only: holds shares). */
async function snapshot(shares: MemoryServiceShareStore): Promise<string> {
  const out: unknown[] = [];
  for (const k of (await shares.accounts()).sort()) out.push([k, await shares.get(k)]);
  return JSON.stringify(out, (_k, v: unknown) => (v instanceof Uint8Array ? bytesToHex(v) : typeof v === 'bigint' ? v.toString(16) : v));
}

/** The call is refused with POLICY_VIOLATION and `rule`, hands out no participant, changes nothing in the store. */
async function refused(env: AccountEnv, call: () => Promise<unknown>, rule: string, code = 'POLICY_VIOLATION'): Promise<void> {
  const before = await snapshot(env.shares);
  let got: unknown;
  try {
    got = await call();
  } catch (e) {
    expect(isTkeyTssError(e) ? e.code : String(e), String(e)).toBe(code);
    if (code === 'POLICY_VIOLATION') expect((e as { details?: { rule?: string } }).details?.rule).toBe(rule);
    expect(await snapshot(env.shares), 'the store is unchanged').toBe(before);
    return;
  }
  expect.fail(`expected ${code} (${rule}), the service handed out a participant: ${JSON.stringify(Object.keys(got as object))}`);
}

const SID = (k: number) => new Uint8Array(32).fill(k);
const P = (id: number, ...owns: number[]) => ({ id, owns });

describe('service policy: pure checks', () => {
  it('the floor is 2 by default, configurable upward, never below 2', () => {
    expect(servicePolicy().minThreshold).toBe(2);
    expect(servicePolicy({ minThreshold: 3 }).minThreshold).toBe(3);
    for (const bad of [1, 0, -1, 2.5, Number.NaN]) expect(() => servicePolicy({ minThreshold: bad })).toThrow(/OUT_OF_RANGE/);
    expect(() => new ServiceParty({ identityKey: SERVICE_KEY, storage: accountEnv('x').storage, shares: new MemoryServiceShareStore(), rng: seededRng('x'), policy: { minThreshold: 1 } })).toThrow(/OUT_OF_RANGE/);
  });

  it('keygen and refresh requests', () => {
    const rule = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as { details?: { rule?: string } }).details?.rule ?? String(e);
      }
      return 'ok';
    };
    const pol = servicePolicy();
    expect(rule(() => checkKeygen(pol, { parties: [P(1, 1), P(2, 2, 3)], threshold: 2 }))).toBe('ok');
    expect(checkKeygen(pol, { parties: [P(2, 3, 2), P(1, 1)], threshold: 3 })).toEqual([1, 2, 3]);
    expect(rule(() => checkKeygen(pol, { parties: [P(1, 1), P(2, 2, 3)], threshold: 1 }))).toBe('threshold-floor');
    expect(rule(() => checkKeygen(servicePolicy({ minThreshold: 3 }), { parties: [P(1, 1), P(2, 2, 3)], threshold: 2 }))).toBe('threshold-floor');
    expect(rule(() => checkKeygen(pol, { parties: [P(1, 1), P(2, 2, 3)], threshold: 4 }))).toBe('threshold-above-indices');
    expect(rule(() => checkKeygen(pol, { parties: [P(1, 1, 4), P(2, 2, 3)], threshold: 2 }))).toBe('service-index');
    expect(rule(() => checkKeygen(pol, { parties: [P(1, 2), P(2, 1, 3)], threshold: 2 }))).toBe('service-index');
    expect(rule(() => checkKeygen(pol, { parties: [P(1, 1), P(2, 1, 3)], threshold: 2 }))).toBe('parties');
    expect(rule(() => checkKeygen(pol, { parties: [P(1, 1)], threshold: 1 }))).toBe('parties');
    const cur = { commitments: [new Uint8Array(33), new Uint8Array(33)], indices: [1, 2, 3] };
    const ok = { parties: [P(1, 1), P(2, 2, 3)], threshold: 2, dealers: [{ party: 1, indices: [1] }, { party: 2, indices: [2] }] };
    expect(rule(() => checkRefresh(pol, ok, cur))).toBe('ok');
    expect(rule(() => checkRefresh(pol, { ...ok, threshold: 1 }, cur))).toBe('threshold-floor');
    expect(rule(() => checkRefresh(pol, { ...ok, threshold: 4 }, cur))).toBe('threshold-above-indices');
    expect(rule(() => checkRefresh(pol, { ...ok, dealers: [{ party: 2, indices: [2, 3] }] }, cur))).toBe('service-index');
    expect(rule(() => checkRefresh(pol, { ...ok, dealers: [{ party: 1, indices: [1] }, { party: 2, indices: [7] }] }, cur))).toBe('index-set');
    expect(rule(() => checkRefresh(pol, { ...ok, dealers: [{ party: 1, indices: [1] }] }, cur))).toBe('index-set');
    expect(rule(() => checkRefresh(pol, { ...ok, dealers: [{ party: 1, indices: [1] }, { party: 9, indices: [2] }] }, cur))).toBe('dealers');
    // without a recorded index set (an older record) only the count is checked
    expect(rule(() => checkRefresh(pol, { ...ok, dealers: [{ party: 1, indices: [1] }, { party: 2, indices: [7] }] }, { commitments: cur.commitments }))).toBe('ok');
    expect(rule(() => checkSigner(4, [1, 2, 3]))).toBe('signer-set');
    expect(rule(() => checkSigner(3, [1, 2, 3]))).toBe('ok');
    expect(rule(() => checkSigner(3, undefined))).toBe('ok');
    expect(rule(() => checkProfile('default', 'high'))).toBe('profile');
    expect(rule(() => checkProfile('high', 'default'))).toBe('ok');
    expect(accountProfile({ aux: [{ index: 2, profile: 'default', parties: [] }, { index: 3, profile: 'high', parties: [] }] })).toBe('high');
    expect(knownIndices({ confirmed: { tssNonce: 0, commitments: [], share: new Uint8Array(32), stagedAt: 0, indices: [1, 2, 3] }, pending: [] })).toEqual([1, 2, 3]);
  });
});

describe('protocols: keygen and refresh refuse t = 1 unless a test opts in', () => {
  it('keygen', () => {
    const mk = (input: object) => () => Session.create(keygen, { sid: utf8ToBytes('t1'), self: 1, parties: [P(1, 1), P(2, 2)], threshold: 1 }, input as never, { rng: seededRng('t1') });
    expect(mk({})).toThrow(/OUT_OF_RANGE/);
    expect(mk({ allowThresholdOne: 'yes' })).toThrow(/INVALID_ARGUMENT/);
    expect(mk({ allowThresholdOne: true })).not.toThrow();
    expect(() => runKeygen([P(1, 1), P(2, 2)], 1, 'kg-t1')).toThrow(/OUT_OF_RANGE/);
    // opted in, the degree-0 sharing is what the refusal is about: every share is the key
    const r = simulate(keygen, [P(1, 1), P(2, 2)].map((p) => ({ ...p, input: { allowThresholdOne: true }, rng: seededRng(`kg-t1/${p.id}`) })), { sid: utf8ToBytes('kg-t1'), threshold: 1 });
    const Y = r.outputs.get(1)!.publicKey;
    for (const [i, y] of allShares(r.outputs.values())) expect(interpolatesTo([{ x: i, y }], Y), `share ${i} is the key`).toBe(true);
  });

  it('refresh', () => {
    const parties = [P(1, 1), P(2, 2, 3)];
    const kg = runKeygen(parties, 2, 'rf-t1/kg');
    const old = parties.map((p) => kg.outputs.get(p.id)!);
    const dealers = new Map([[1, [1]], [2, [2]]]);
    expect(runRefresh(old, dealers, parties, 2, 'rf-t1/ok').outputs.size).toBe(2);
    expect(() => runRefresh(old, dealers, parties, 1, 'rf-t1/bad')).toThrow(/OUT_OF_RANGE/);
    // opted in (a test stating it): the re-sharing runs and every new share IS the key
    const input = refreshInputs(old, dealers);
    const r = simulate(refresh, parties.map((p) => ({ ...p, input: { ...input(p.id), allowThresholdOne: true }, rng: seededRng(`rf-t1/${p.id}`) })), { sid: utf8ToBytes('rf-t1/opt'), threshold: 1 });
    const shares = allShares(r.outputs.values());
    expect([...shares.keys()].sort()).toEqual([1, 2, 3]);
    for (const [i, y] of shares) expect(interpolatesTo([{ x: i, y }], old[0]!.publicKey), `share ${i} is the key`).toBe(true);
  });
});

describe('the service refuses a malicious device before any session runs, storing nothing', () => {
  let env: AccountEnv;
  let account: TssAccount;
  let ref: { metadataPub: Uint8Array; tssTag: string };
  let base: TssCheckpoint;
  let deviceN: bigint;
  const pool = new MemoryPresignStore();

  beforeAll(async () => {
    env = accountEnv('policy');
    ({ account } = await TssAccount.create({ ...env.opts('create'), aux: deviceAux(1), presignPool: new PresignPool(pool) }));
    const m = await durableMetadata(env.storage);
    ref = { metadataPub: m.pubKey.toBytes(true), tssTag: DEFAULT_TSS_TAG };
    const k = scalarFromBytes(SERVICE_KEY);
    base = (await readCheckpoint(env.storage, k, mulG(k), m.pubKey, DEFAULT_TSS_TAG))!;
    const rec = (await env.shares.get((await env.shares.accounts())[0]!))!;
    expect(rec.confirmed!.indices).toEqual([1, 2, 3]);
    deviceN = rec.aux!.find((g) => g.index === 2)!.parties.find((p) => p.id === 2)!.N;
  }, 300_000);

  const refreshReq = (over: object = {}) => ({ sid: SID(7), parties: [P(1, 1), P(2, 2, 3)], threshold: 2, base, dealers: [{ party: 1, indices: [1] }, { party: 2, indices: [2] }], ...over });

  it('keygen: t = 1, t below a raised floor, t above the indices, the service not at index 1', async () => {
    const fresh = { metadataPub: pointToBytes(mulG(12345n), true), tssTag: DEFAULT_TSS_TAG };
    await refused(env, () => env.service.keygenParticipant(fresh, { sid: SID(1), parties: [P(1, 1), P(2, 2, 3)], threshold: 1 }), 'threshold-floor');
    await refused(env, () => env.service.keygenParticipant(fresh, { sid: SID(1), parties: [P(1, 1), P(2, 2, 3)], threshold: 4 }), 'threshold-above-indices');
    await refused(env, () => env.service.keygenParticipant(fresh, { sid: SID(1), parties: [P(1, 1, 4), P(2, 2, 3)], threshold: 2 }), 'service-index');
    await refused(env, () => env.service.keygenParticipant(fresh, { sid: SID(1), parties: [P(1, 2), P(2, 1, 3)], threshold: 2 }), 'service-index');
    const strict = new ServiceParty({ identityKey: SERVICE_KEY, storage: env.storage, shares: env.shares, rng: seededRng('strict'), aux: serviceAux(), policy: { minThreshold: 3 } });
    expect(strict.policy.minThreshold).toBe(3);
    await refused(env, () => strict.keygenParticipant(fresh, { sid: SID(1), parties: [P(1, 1), P(2, 2, 3)], threshold: 2 }), 'threshold-floor');
    await refused(env, () => strict.refreshParticipant(ref, refreshReq()), 'threshold-floor');
    expect(await env.shares.accounts()).toHaveLength(1); // no record for the refused account
  });

  it('refresh to t′ = 1 (every new share would be the key) and every other malformed refresh', async () => {
    await refused(env, () => env.service.refreshParticipant(ref, refreshReq({ threshold: 1 })), 'threshold-floor');
    await refused(env, () => env.service.refreshParticipant(ref, refreshReq({ threshold: 0 })), 'threshold-floor');
    await refused(env, () => env.service.refreshParticipant(ref, refreshReq({ threshold: 4 })), 'threshold-above-indices');
    await refused(env, () => env.service.refreshParticipant(ref, refreshReq({ parties: [P(1), P(2, 1, 2, 3)] })), 'service-index');
    await refused(env, () => env.service.refreshParticipant(ref, refreshReq({ parties: [P(1, 1, 4), P(2, 2, 3)] })), 'service-index');
    await refused(env, () => env.service.refreshParticipant(ref, refreshReq({ dealers: [{ party: 2, indices: [2, 3] }] })), 'service-index');
    await refused(env, () => env.service.refreshParticipant(ref, refreshReq({ dealers: [{ party: 1, indices: [1] }, { party: 2, indices: [9] }] })), 'index-set');
    await refused(env, () => env.service.refreshParticipant(ref, refreshReq({ dealers: [{ party: 1, indices: [1] }] })), 'index-set');
    await refused(env, () => env.service.refreshParticipant(ref, refreshReq({ dealers: [{ party: 1, indices: [1] }, { party: 5, indices: [2] }] })), 'dealers');
    await refused(env, () => env.service.refreshParticipant(ref, refreshReq({ base: { ...base, tssNonce: base.tssNonce + 1 } })), '', 'SERVICE_STATE_MISMATCH');
  });

  it('aux and presign for an index that is not the account’s; sign with another signer set than its presignature', async () => {
    await refused(env, () => env.service.auxParticipant(ref, { sid: SID(2), index: 9 }), 'signer-set');
    await refused(env, () => env.service.presignParticipant(ref, { sid: SID(2), index: 9, base, deviceN }), 'signer-set');
    await refused(env, () => env.service.presignParticipant(ref, { sid: SID(2), index: 1, base, deviceN }), '', 'OUT_OF_RANGE');
    expect(await account.presign(1)).toBe(1);
    const [id] = (await pool.list()).map((r) => r.id);
    const presignSid = Uint8Array.from(Buffer.from(id!, 'hex'));
    const digest = new Uint8Array(32).fill(3);
    await refused(env, () => env.service.signParticipant(ref, { sid: SID(3), index: 3, base, presignSid, digest }), 'signer-set');
    await refused(env, () => env.service.signParticipant(ref, { sid: SID(3), index: 2, base, presignSid, digest, shift: new Uint8Array(32).fill(1) }), 'signer-set');
    // the refusals consumed nothing: the pooled presignature still signs (its service half is still there)
    const sig = await account.sign({ personalMessage: 'after the refusals' });
    expect(sig.presigned).toBe(true);
  }, 300_000);

  it('signer sets (t ≥ 3 requests): malformed, not the account’s, or not t parties in all', async () => {
    await refused(env, () => env.service.auxParticipant(ref, { sid: SID(5), index: 2, signers: [2, 9] }), 'signer-set');
    await refused(env, () => env.service.auxParticipant(ref, { sid: SID(5), index: 3, signers: [3, 2] }), 'signer-set'); // not ascending
    await refused(env, () => env.service.auxParticipant(ref, { sid: SID(5), index: 2, signers: [3] }), 'signer-set'); // first ≠ index
    await refused(env, () => env.service.auxParticipant(ref, { sid: SID(5), index: 2, signers: [2, 2] }), 'signer-set');
    await refused(env, () => env.service.presignParticipant(ref, { sid: SID(5), index: 2, signers: [2, 3], base, deviceN }), 'signer-set'); // 3 parties at t = 2
    await refused(env, () => env.service.presignParticipant(ref, { sid: SID(5), index: 2, signers: [2, 9], base, deviceN }), 'signer-set');
  });

  it('a profile weaker than the account’s: an old default-profile group once a high one is recorded', async () => {
    const key = (await env.shares.accounts())[0]!;
    const rec = (await env.shares.get(key))!;
    const g2 = rec.aux!.find((g) => g.index === 2)!;
    // the account moved to the high profile (its index-3 group): recorded at the service
    await env.shares.put(key, { ...rec, aux: [...rec.aux!, { index: 3, profile: 'high', parties: g2.parties.map((p) => ({ ...p, id: p.id === 2 ? 3 : p.id })) }] });
    await refused(env, () => env.service.presignParticipant(ref, { sid: SID(4), index: 2, base, deviceN }), 'profile');
    await refused(env, () => env.service.auxParticipant(ref, { sid: SID(4), index: 2 }), 'profile'); // the service's key is default
    await refused(env, () => env.service.refreshParticipant(ref, refreshReq({ parties: [P(1, 1), P(2, 2, 3)], rotateAux: true })), 'profile');
    await env.shares.put(key, rec);
  });

  it('the in-process path: the service’s participant runs only in the session it agreed to', async () => {
    const svc = await env.service.refreshParticipant(ref, refreshReq({ sid: SID(8) }));
    const before = await snapshot(env.shares);
    const dev = { id: 2, owns: [2, 3], input: {} as never, rng: seededRng('x'), finish: async () => undefined };
    const t = new SimulatorTransport();
    for (const plan of [
      { protocol: refresh, sid: svc.session.sid, threshold: 1, participants: [svc, dev] },
      { protocol: refresh, sid: SID(8), threshold: 2, participants: [svc, dev] },
      { protocol: refresh, sid: svc.session.sid, threshold: 2, participants: [svc, { ...dev, owns: [2, 3, 4] }] },
    ]) {
      await expectCode(t.run(plan), 'POLICY_VIOLATION');
      expect(await snapshot(env.shares)).toBe(before);
    }
  });
});
