/**
 * Test harness of the account lifecycle: an in-memory metadata store, a service party with its
 * share store, the simulator transport, seeded randomness — and the TEST-ONLY checks that look at
 * secrets: the service's stored share, factor shares read straight from the metadata, and
 * interpolation to the TSS key (the key is never assembled outside tests).
 */
import { expect } from 'vitest';
import { bytesToHex } from '../../src/bytes.js';
import { mulG, pointFromBytes, scalarFromBytes } from '../../src/curve.js';
import { isTkeyTssError } from '../../src/errors.js';
import { ThresholdKey } from '../../src/metadata/threshold-key.js';
import { seededRng } from '../../src/rng.js';
import { interpolate } from '../../src/shamir/index.js';
import { MemoryStorage } from '../../src/storage/memory-store.js';
import type { MetadataStorage } from '../../src/storage/types.js';
import type { FactorKey } from '../../src/tss/factor-key.js';
import { getTssShare, readTss } from '../../src/tss/tss-metadata.js';
import { DEFAULT_TSS_TAG } from '../../src/tss/tss-tag.js';
import { readCheckpoint, sameEpoch } from '../../src/client/checkpoint.js';
import type { ClientOptions } from '../../src/client/core.js';
import { MemoryServiceShareStore, ServiceParty, type ServiceAccountRecord } from '../../src/client/service-party.js';
import { SimulatorTransport, type SimulatorTransportOptions } from '../../src/client/transport.js';
import { POSTBOX, NOW } from './tkey.js';
import { testPaillierKey } from './test-primes.js';
import { nobleVerify, recovers } from './verify-signature.js';
import { sha256 } from '../../src/hash.js';
import { utf8ToBytes } from '../../src/bytes.js';
import type { TssAccount } from '../../src/client/account.js';
import type { AuxInput } from '../../protocols/aux/index.js';

export const SERVICE_KEY = new Uint8Array(32).fill(9);

export interface AccountEnv {
  storage: MetadataStorage;
  memory: MemoryStorage;
  shares: MemoryServiceShareStore;
  service: ServiceParty;
  opts: (deviceSeed?: string, transport?: SimulatorTransportOptions) => ClientOptions;
}

/** The service's long-lived aux key in tests: test prime pair 0 (devices use pairs ≥ 1: `deviceAux`). */
export const serviceAux = (): AuxInput => ({ profile: 'default', key: testPaillierKey(0) });
/** A device's prepared aux input in tests (test prime pair `pair` ≥ 1). */
export const deviceAux = (pair = 1): AuxInput => ({ profile: 'default', key: testPaillierKey(pair) });

/** `serviceStorage`: what the service reads and fences through (default: the device's storage). */
export function accountEnv(seed: string, storage?: MetadataStorage, serviceStorage?: MetadataStorage): AccountEnv {
  const memory = new MemoryStorage();
  const st = storage ?? memory;
  const shares = new MemoryServiceShareStore();
  const service = new ServiceParty({ identityKey: SERVICE_KEY, storage: serviceStorage ?? st, shares, rng: seededRng(`${seed}/service`), aux: serviceAux() });
  return {
    storage: st,
    memory,
    shares,
    service,
    opts: (deviceSeed = 'device', transport = {}) => ({ storage: st, postboxKey: POSTBOX, service, transport: new SimulatorTransport(transport), rng: seededRng(`${seed}/${deviceSeed}`), now: NOW }),
  };
}

/** The durable metadata as a fresh reader sees it (postbox key only). */
export async function durableMetadata(storage: MetadataStorage) {
  const tk = new ThresholdKey({ storage, postboxKey: POSTBOX, rng: seededRng('reader') });
  await tk.initialize({ neverInitializeNewKey: true });
  return tk.getMetadata();
}

/** The service's stored record of the (only) account (test-only: holds secrets). */
export async function serviceRecord(shares: MemoryServiceShareStore): Promise<ServiceAccountRecord> {
  const accounts = await shares.accounts();
  expect(accounts).toHaveLength(1);
  return (await shares.get(accounts[0]!))!;
}

/** TEST ONLY: do these shares interpolate to the secret key of `publicKey`? */
export function interpolatesTo(shares: readonly { x: number; y: bigint }[], publicKey: Uint8Array): boolean {
  const k = interpolate(shares.map((s) => ({ x: BigInt(s.x), y: s.y })));
  return k !== 0n && mulG(k).equals(pointFromBytes(publicKey));
}

/** TEST ONLY: the share a factor key unlocks in the durable metadata. */
export async function factorShare(storage: MetadataStorage, f: FactorKey): Promise<{ x: number; y: bigint }> {
  const s = getTssShare(await durableMetadata(storage), DEFAULT_TSS_TAG, f);
  return { x: s.index, y: s.value };
}

/**
 * The account still works: every factor yields a share consistent with the current commitments
 * (getTssShare checks it), the service holds the share of the durable epoch (its checkpoint and its
 * record agree), any t−1 user shares with the service's give the key and fewer do not
 * (interpolation, test only), and — given a `signer` — device + service sign (`assertSigns`).
 */
export async function assertAccountWorks(env: AccountEnv, factors: readonly FactorKey[], publicKey: Uint8Array, signer?: TssAccount): Promise<void> {
  const m = await durableMetadata(env.storage);
  const tss = readTss(m, DEFAULT_TSS_TAG);
  expect(bytesToHex(tss.commitments[0]!.toBytes(true))).toBe(bytesToHex(publicKey));
  expect(tss.factorPubs).toHaveLength(factors.length);
  // the service's share of the durable epoch (after it reconciles, as any contact makes it do)
  await env.service.reconcile({ metadataPub: m.pubKey.toBytes(true), tssTag: DEFAULT_TSS_TAG });
  const rec = await serviceRecord(env.shares);
  const cp = await readCheckpoint(env.storage, scalarFromBytes(SERVICE_KEY), mulG(scalarFromBytes(SERVICE_KEY)), m.pubKey, DEFAULT_TSS_TAG);
  expect(cp, 'durable checkpoint').toBeDefined();
  expect(cp!.tssNonce).toBe(tss.tssNonce);
  const svc = [rec.confirmed!, ...rec.pending].find((e) => e && sameEpoch(e, cp!));
  expect(svc, 'the service holds the durable epoch').toBeDefined();
  expect(rec.confirmed && sameEpoch(rec.confirmed, cp!)).toBe(true);
  const serviceShare = { x: 1, y: scalarFromBytes(svc!.share) };
  const shares = [];
  for (const f of factors) shares.push(await factorShare(env.storage, f));
  deviceAndServiceProduceKey(serviceShare, shares, tss.commitments.length, publicKey);
  if (signer) await assertSigns(signer, publicKey);
}

/** The account signs with the service: a message digest, verified with @noble/curves (low-s) and by key recovery. */
export async function assertSigns(account: TssAccount, publicKey: Uint8Array, message = 'tkey-tss account flow'): Promise<void> {
  const digest = sha256(utf8ToBytes(message));
  const sig = await account.sign({ message: utf8ToBytes(message), hash: 'sha256' });
  expect(bytesToHex(sig.digest)).toBe(bytesToHex(digest));
  expect(bytesToHex(sig.publicKey)).toBe(bytesToHex(publicKey));
  expect(nobleVerify(digest, sig.signature, publicKey), 'noble verifies').toBe(true);
  expect(recovers(digest, sig.r, sig.s, sig.v, publicKey)).toBe(true);
}

/** TEST ONLY (interpolation stand-in for the sign check): service + any t−1 distinct user shares give the key, t−1 shares in all do not. */
export function deviceAndServiceProduceKey(service: { x: number; y: bigint }, user: readonly { x: number; y: bigint }[], t: number, publicKey: Uint8Array): void {
  const distinct = [...new Map(user.map((s) => [s.x, s])).values()];
  for (const s of subsets(distinct, t - 1)) expect(interpolatesTo([service, ...s], publicKey), `service + ${s.map((x) => x.x)}`).toBe(true);
  for (const s of subsets(distinct, t - 2)) expect(interpolatesTo([service, ...s], publicKey)).toBe(false);
}

export function subsets<T>(xs: readonly T[], k: number): T[][] {
  if (k === 0) return [[]];
  if (xs.length < k) return [];
  const [h, ...rest] = xs;
  return [...subsets(rest, k - 1).map((s) => [h!, ...s]), ...subsets(rest, k)];
}

export async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  try {
    await p;
  } catch (e) {
    expect(isTkeyTssError(e) ? e.code : String(e)).toBe(code);
    return;
  }
  expect.fail(`expected ${code}, got success`);
}

export { POSTBOX, NOW };
