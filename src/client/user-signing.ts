/**
 * Signing with t of the user's OWN shares, no service (censorship resistance; issue 14): one device
 * holding the factors of t user indices acts as t parties — each its own participant (its own
 * session; its own worker under `WorkerPartyTransport`) over `localTransport` — and the result is an
 * ordinary ECDSA signature. The key is never assembled: every party works on its own share
 * x'_i (Lawrence conversion inside presign), exactly as with the service; `exportKey` stays the
 * only place the key exists.
 *
 *   setupUserAux(inputs, {indices})   aux info among user indices G (one session, |G| ≥ 2), each
 *                                     index's part sealed to every factor of that index (one batch)
 *   presignUser(n, signers)           presign among S ⊆ G, |S| = t; the t halves go into the pool
 *                                     as ONE record bound to {key, epoch, signers S, shift δ, profile}
 *   signUser(request, signers)        pooled record (atomic take) or presign now → 1-round sign
 *
 * The service is never contacted (nor is `ClientOptions.service` touched). The signature is
 * verified by the protocol (every partial σ_i, the final (r, s), low-s) and again here.
 * @module
 */
import { aInt, bytesToHex, concatBytes, wipe } from '../bytes.js';
import { fail, InternalBug, isTkeyTssError } from '../errors.js';
import type { PresignBinding } from '../signature/presign-pool.js';
import { signingDigest, type SigningRequest } from '../signature/request.js';
import { thresholdKeyInternals } from '../metadata/threshold-key.js';
import { syncShareMetadata } from '../metadata/refresh.js';
import type { AccountContext } from '../metadata/context.js';
import type { FactorKey } from '../tss/factor-key.js';
import { factorEncKey as factorKeyOf, readTss } from '../tss/tss-metadata.js';
import { aux as auxProtocol, type AuxInput } from '../../protocols/aux/index.js';
import type { AuxInfo } from '../../protocols/aux/types.js';
import { presign, Presignature, type PresignInput, type PresignOutput } from '../../protocols/presign/index.js';
import { sign as signProtocol, type SignInput, type SignOutput } from '../../protocols/sign/index.js';
import { derivationShift, finished, type DerivationOption, type Signature } from './signing.js';
import { freshState, type Core } from './core.js';
import { commitOps, settle } from './metadata-ops.js';
import { checkpointOf, publicSharesAt } from './shares.js';
import { SERVICE_INDEX } from './service-party.js';
import type { TssCheckpoint } from './checkpoint.js';
import type { Participant } from './transport.js';
import { openUserAux, sealUserGroup, userGroupKey, writeUserGroup } from './user-aux-store.js';

/** Distinct user share indices (≥ 2), ascending; `what` names the argument in errors. */
function userIndices(indices: unknown, what: string): number[] {
  if (!Array.isArray(indices)) return fail('INVALID_ARGUMENT', `${what}: expected an array of share indices`);
  for (const i of indices) aInt(i, `${what}[]`);
  const out = [...new Set(indices as number[])].sort((a, b) => a - b);
  if (out.length !== indices.length) fail('INVALID_ARGUMENT', `${what}: an index is repeated`);
  if (out.includes(SERVICE_INDEX)) fail('OUT_OF_RANGE', `${what}: index ${SERVICE_INDEX} is the service's share; a user-only signer set names user indices (≥ 2)`);
  if (out.some((i) => i < 2)) fail('OUT_OF_RANGE', `${what}: share indices are ≥ 2`);
  return out;
}

function assertHeld(c: Core, indices: readonly number[]): void {
  const missing = indices.filter((i) => !c.device.heldIndices.includes(i));
  if (missing.length) fail('NOT_ENOUGH_SHARES', `the device holds no share at index ${missing.join(', ')}: unlock a factor of each signer index (unlockFactor)`, { missing });
}

/** After a factor is unlocked: hold every user-group aux it opens. */
export function holdUserAuxOf(c: Core, factorKey: FactorKey, index: number): void {
  for (const [group, aux] of openUserAux(c.tk.getMetadata(), c.tssTag, factorKey, index)) c.device.holdUserAux(group, aux);
}

/**
 * Aux info among the user indices `indices` (default: every held index; all held, ≥ 2 of them),
 * `inputs[k]` the prepared aux input of `indices[k]` (distinct Paillier keys). Each index's aux is
 * sealed to every factor of that index, in one metadata batch; a group set up again replaces it.
 */
export async function setupUserAux(c: Core, inputs: readonly AuxInput[], indicesArg?: readonly number[]): Promise<string> {
  const indices = userIndices(indicesArg ?? c.device.heldIndices, 'indices');
  if (indices.length < 2) fail('OUT_OF_RANGE', 'a user-only signer group has at least two indices');
  if (!Array.isArray(inputs) || inputs.length !== indices.length) fail('INVALID_ARGUMENT', `inputs: expected one prepared aux input per index (${indices.length})`);
  assertHeld(c, indices);
  await freshState(c);
  const cur = readTss(c.tk.getMetadata(), c.tssTag);
  const out = new Map<number, AuxInfo>();
  const parts: Participant<AuxInput, AuxInfo>[] = indices.map((i, k) => ({ id: i, owns: [i], input: inputs[k]!, rng: c.rng, finish: async (o) => void out.set(i, o) }));
  await c.localTransport.run({ protocol: auxProtocol, sid: c.rng.bytes(32), threshold: indices.length, participants: parts });
  const auxes = indices.map((i) => out.get(i)!);
  const group = userGroupKey(indices);
  const factorsOf = (i: number) => cur.factorPubs.filter((p) => cur.factorEncs[factorKeyOf(p)]!.tssIndex === i);
  const entries = sealUserGroup(auxes, factorsOf, c.rng); // randomness drawn now: a replay writes the same bytes
  const { mutate } = thresholdKeyInternals(c.tk);
  try {
    await mutate(() => ({
      name: 'tss:setupUserAux',
      apply: async (ctx: AccountContext) => {
        const m = ctx.state.requireKey().metadata;
        const now = readTss(m, c.tssTag);
        writeUserGroup(m, c.tssTag, group, entries, new Map(Object.entries(now.factorEncs).map(([k, e]) => [k, e.tssIndex])));
        await syncShareMetadata(ctx);
      },
    }));
    await commitOps(c.tk, c.conflictAttempts);
  } catch (e) {
    await settle(c.tk, c.tssTag, null).catch(() => undefined);
    throw e;
  }
  for (const a of auxes) c.device.holdUserAux(group, a);
  return group;
}

interface UserContext {
  signers: number[];
  base: TssCheckpoint;
  aux: ReadonlyMap<number, AuxInfo>;
  shift: Uint8Array;
  binding: PresignBinding;
}

function userContext(c: Core, signersArg: readonly number[], derivation: DerivationOption): UserContext {
  if (typeof derivation !== 'object' || derivation === null) fail('INVALID_ARGUMENT', 'derivation: expected an object');
  const signers = userIndices(signersArg, 'signers');
  const base = checkpointOf(c.tk.getMetadata(), c.tssTag);
  const t = base.commitments.length;
  if (signers.length !== t) fail('OUT_OF_RANGE', `the account is ${t}-of-n: a signer set has exactly ${t} indices (got ${signers.length})`, { threshold: t });
  assertHeld(c, signers);
  c.device.assertCurrent(base.commitments, signers);
  const held = c.device.userAuxFor(signers);
  if (!held)
    return fail('AUX_MISSING', `no aux info for a user-only signer group containing {${signers.join(', ')}}: run account.setupUserAux(prepared aux inputs, { indices }) once while holding a factor of each index (it seals each index's part to that index's factors)`, { indices: signers });
  const shift = derivationShift(c, derivation, base.commitments[0]!);
  const profile = held.aux.get(signers[0]!)!.profile;
  const binding: PresignBinding = { publicKey: base.commitments[0]!, epoch: base.tssNonce, signers, shift, profile };
  return { signers, base, aux: held.aux, shift, binding };
}

/** One presign session among the signers, every party local; returns each party's presignature. */
async function presignOnce(c: Core, x: UserContext): Promise<Map<number, Presignature>> {
  const { signers, base, shift } = x;
  const publicShares = publicSharesAt(base.commitments, signers);
  const shares = signers.map((i) => c.device.share(i).valueBytes());
  const out = new Map<number, Presignature>();
  const parts: Participant<PresignInput, PresignOutput>[] = signers.map((i, k) => ({
    id: i,
    owns: [i],
    input: { publicKey: base.commitments[0]!, epoch: base.tssNonce, publicShares, share: shares[k]!, shift, aux: x.aux.get(i)! },
    rng: c.rng,
    finish: async (o) => void out.set(i, o.presignature),
  }));
  try {
    await c.localTransport.run({ protocol: presign, sid: c.rng.bytes(32), threshold: signers.length, participants: parts });
  } finally {
    wipe(...shares);
  }
  return out;
}

/** Pool record data: per signer (ascending) u16 index ‖ u32 length ‖ presignature bytes. SECRET. */
function packHalves(pres: ReadonlyMap<number, Presignature>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [i, p] of [...pres].sort((a, b) => a[0] - b[0])) {
    const b = p.toBytes();
    const h = new Uint8Array(6);
    new DataView(h.buffer).setUint16(0, i);
    new DataView(h.buffer).setUint32(2, b.length);
    parts.push(h, b);
  }
  const out = concatBytes(...parts);
  wipe(...parts);
  return out;
}

function unpackHalves(data: Uint8Array, signers: readonly number[]): Map<number, Presignature> {
  const out = new Map<number, Presignature>();
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let o = 0;
  while (o < data.length) {
    if (o + 6 > data.length) fail('INVALID_LENGTH', 'user presignature record: truncated header');
    const i = v.getUint16(o);
    const n = v.getUint32(o + 2);
    if (o + 6 + n > data.length) fail('INVALID_LENGTH', 'user presignature record: truncated');
    out.set(i, Presignature.fromBytes(data.subarray(o + 6, o + 6 + n)));
    o += 6 + n;
  }
  if (userGroupKey([...out.keys()]) !== userGroupKey(signers) || out.size !== signers.length) fail('INVALID_JSON', 'user presignature record: not one presignature per signer');
  return out;
}

/** Fill the pool with `count` user-only presignatures for `signers`; returns how many the pool holds for that binding. */
export async function presignUser(c: Core, count: number, signers: readonly number[], derivation: DerivationOption = {}): Promise<number> {
  aInt(count, 'count', 1, 1000);
  await freshState(c);
  const x = userContext(c, signers, derivation);
  for (let k = 0; k < count; k++) {
    const pres = await presignOnce(c, x);
    const data = packHalves(pres);
    try {
      await c.pool.add({ binding: x.binding, data });
    } finally {
      data.fill(0);
      for (const p of pres.values()) p.consume();
    }
  }
  return c.pool.count(x.binding);
}

/** Sign a request with the user shares `signers` (exactly t of them), no service. */
export async function signUser(c: Core, request: SigningRequest, signers: readonly number[], derivation: DerivationOption = {}): Promise<Signature> {
  const { kind, digest } = signingDigest(request); // bad requests are refused before anything runs
  await freshState(c);
  const x = userContext(c, signers, derivation);
  let pres: Map<number, Presignature> | null = null;
  let presigned = false;
  try {
    const rec = await c.pool.take(x.binding);
    try {
      pres = unpackHalves(rec.data, x.signers);
      presigned = true;
    } finally {
      rec.data.fill(0);
    }
  } catch (e) {
    if (!isTkeyTssError(e, 'PRESIGN_POOL_EMPTY')) throw e;
  }
  pres ??= await presignOnce(c, x);
  const outs = new Map<number, SignOutput>();
  const parts: Participant<SignInput, SignOutput>[] = x.signers.map((i) => ({
    id: i,
    owns: [i],
    input: { presignature: pres!.get(i)!, digest, publicKey: x.base.commitments[0]!, epoch: x.base.tssNonce, shift: x.shift },
    rng: c.rng,
    finish: async (o) => void outs.set(i, o),
  }));
  try {
    await c.localTransport.run({ protocol: signProtocol, sid: c.rng.bytes(32), threshold: x.signers.length, participants: parts });
  } finally {
    for (const p of pres.values()) if (!p.consumed) p.consume(); // single use, whatever happened
  }
  const first = outs.get(x.signers[0]!)!;
  for (const o of outs.values()) if (bytesToHex(o.signature) !== bytesToHex(first.signature)) (() => { throw new InternalBug('the signers output different signatures'); })();
  return finished(kind, digest, first, presigned);
}

