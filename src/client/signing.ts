/**
 * Aux info and signing for the signer group {service (party 1), device (party id = the index of
 * the share it signs with)}.
 *
 * `setupAux`: run aux info with the service — the service re-proves its long-lived Paillier key,
 * the device proves its own (prepared ahead: `prepareAuxInput`) — and store the device's aux
 * secret in the metadata encrypted to every factor of that share index (`aux-store.ts`), in one
 * batch. `sign`: presign (the service keeps its single-use presignature) and sign over the
 * transport with the shares of the durable epoch; the signature is verified by the protocol
 * before it is returned. This path is the signer set {1, i} at threshold 2; signer sets of t
 * indices (without the service, or with it at t ≥ 3) are `user-signing.ts`.
 * @module
 */
import { aInt, bytesToHex, bytesToNumberBE, equalBytes, hexToBytes } from '../bytes.js';
import { mulGUnsafe, pointFromBytes, pointToBytes, scalarToBytes } from '../curve.js';
import { thresholdKeyInternals } from '../metadata/threshold-key.js';
import { accountNonce, readAccountSalt } from '../tss/account-index.js';
import { deriveNonHardened, parseDerivationPath } from '../tss/bip32.js';
import { fail, InternalBug, isTkeyTssError } from '../errors.js';
import { ethAddress, recoverPublicKey, toCompact65, toDer, toEthSignature } from '../signature/ecdsa.js';
import type { PresignBinding } from '../signature/presign-pool.js';
import { signingDigest, type SigningRequest, type SigningRequestKind } from '../signature/request.js';
import type { TssCheckpoint } from './checkpoint.js';
import { factorEncKey as factorKeyOf, readTss } from '../tss/tss-metadata.js';
import { aux as auxProtocol, type AuxInput } from '../../protocols/aux/index.js';
import type { AuxInfo } from '../../protocols/aux/types.js';
import { presign, Presignature, type PresignInput, type PresignOutput } from '../../protocols/presign/index.js';
import type { ServiceParticipant, ServiceSignOnlineRequest } from './service-api.js';
import { combineOnline, startOnline } from './sign-online.js';
import { sign as signProtocol, type SignInput, type SignOutput } from '../../protocols/sign/index.js';
import { sealAuxFor, type AuxEntry } from './aux-store.js';
import { currentState, freshState, isStaleNonce, refOf, reloadStale, signingState, type Core } from './core.js';
import { commitOps, queueChange, readChainCode, settle } from './metadata-ops.js';
import { SERVICE_INDEX, SERVICE_PARTY } from './service-policy.js';
import { assertServiceAux } from './service-aux-pin.js';
import { checkpointOf, publicSharesAt } from './shares.js';
import type { Participant } from './transport.js';

/** A finished signature in every form a wallet needs. Verified (noble, low-s, key recovery) before it is returned. */
export interface Signature {
  /** What was signed: the request kind and the 32-byte digest the library computed from it. */
  kind: SigningRequestKind;
  digest: Uint8Array;
  /** 32-byte big-endian r and s (low-s). */
  r: Uint8Array;
  s: Uint8Array;
  /** Recovery id / yParity (0 or 1). */
  v: number;
  /** r ‖ s, 64 bytes. */
  signature: Uint8Array;
  /** X9.62 DER. */
  der: Uint8Array;
  /** r ‖ s ‖ v (v ∈ {0, 1}). */
  compact65: Uint8Array;
  /** r ‖ s ‖ (27 + v): what personal_sign / eth_signTypedData return. */
  ethSignature: Uint8Array;
  /** The key it verifies under (compressed SEC1). */
  publicKey: Uint8Array;
  /** EIP-55 Ethereum address of `publicKey` (what `recoverAddress` gives back). */
  address: string;
  /** True when a pooled presignature was used (`presign(n)`), false when presigned on the spot. */
  presigned: boolean;
}

/** `AUX_MISSING`, saying what to do. */
export function auxMissing(indices: readonly number[]): never {
  return fail(
    'AUX_MISSING',
    `no aux info for share index ${indices.join(', ')}: the factor this device logged in with has no aux entry in the metadata (a factor another client added, e.g. @tkey/tss addFactorPub, gets none) — run account.setupAux(prepared aux input, { index }) once (it seals the aux to every factor of the index), or log in with a factor of the index that has it`,
    { indices: [...indices] },
  );
}

function signingIndex(c: Core, index: number | undefined, needAux: boolean): number {
  const held = c.device.heldIndices;
  if (index !== undefined) {
    if (!held.includes(index)) fail('NOT_ENOUGH_SHARES', `the device holds no share at index ${index}`);
    if (needAux && !c.device.aux(index)) auxMissing([index]);
    return index;
  }
  const ok = held.filter((i) => !needAux || c.device.aux(i));
  if (ok.length === 0) {
    if (needAux && held.length) auxMissing(held);
    fail('NOT_ENOUGH_SHARES', 'the device holds no share: log in with a factor');
  }
  return ok[0]!;
}

/** Run aux info with the service for signing with share `index` and store the device's part (one batch). */
export async function setupAux(c: Core, input: AuxInput, index?: number): Promise<void> {
  const i = signingIndex(c, index, false);
  await freshState(c);
  const m = c.tk.getMetadata();
  const cur = readTss(m, c.tssTag);
  const factors = cur.factorPubs.filter((p) => cur.factorEncs[factorKeyOf(p)]!.tssIndex === i);
  const aux = await runAux(c, input, i);
  const entries = new Map<string, AuxEntry>(factors.map((p) => [factorKeyOf(p), sealAuxFor(aux, p, c.rng)]));
  try {
    await queueChange(c.tk, { name: 'setupAux', tssTag: c.tssTag, expect: checkpointOf(m, c.tssTag), next: (now) => now!, aux: entries, servicePub: pointFromBytes(c.service.identityPub) });
    await commitOps(c.tk, c.conflictAttempts);
  } catch (e) {
    await settle(c.tk, c.tssTag, null).catch(() => undefined);
    throw e;
  }
  c.device.holdAux(aux, true);
}

/** The aux session itself (also used inside account creation, before its batch). */
export async function runAux(c: Core, input: AuxInput, index: number): Promise<AuxInfo> {
  const svc = await c.service.auxParticipant(refOf(c), { sid: c.rng.bytes(32), index });
  let out: AuxInfo | undefined;
  const dev: Participant<AuxInput, AuxInfo> = { id: index, owns: [index], input, rng: c.rng, finish: async (o) => void (out = o) };
  await c.transport.run({ protocol: auxProtocol, sid: svc.session.sid, threshold: 2, participants: [svc, dev] });
  return out!;
}

const ZERO_SHIFT = new Uint8Array(32);

/** Which key to sign for: the root key (neither), account `accountIndex` (peer-compatible nonce) or a non-hardened BIP32 path. */
export type DerivationOption = { accountIndex?: number; bip32Path?: undefined } | { bip32Path?: readonly number[] | string; accountIndex?: undefined };

/** The public derivation shift δ (32 bytes, zero for the root key) for `opts` on the durable metadata. */
export function derivationShift(c: Core, opts: DerivationOption, rootPub: Uint8Array): Uint8Array {
  const { accountIndex, bip32Path } = opts;
  if (accountIndex !== undefined && bip32Path !== undefined) fail('INVALID_ARGUMENT', 'accountIndex and bip32Path: give one of them');
  if (accountIndex === undefined && bip32Path === undefined) return ZERO_SHIFT; // the root key: no metadata copy needed
  const m = c.tk.getMetadata();
  if (accountIndex !== undefined) {
    aInt(accountIndex, 'accountIndex');
    if (accountIndex === 0) return ZERO_SHIFT;
    const k = scalarToBytes(thresholdKeyInternals(c.tk).ctx.state.requireKey().key);
    let salt: string | undefined;
    try {
      salt = readAccountSalt(m, k);
    } finally {
      k.fill(0);
    }
    if (salt === undefined) return fail('NOT_FOUND', 'the account has no accountSalt (tkeyStore.tssModule)');
    return accountNonce(accountIndex, salt);
  }
  if (bip32Path !== undefined) {
    const path = parseDerivationPath(bip32Path); // hardened indices: BIP32_HARDENED_INDEX
    const chainCode = readChainCode(m, c.tssTag);
    if (chainCode === undefined) return fail('NOT_FOUND', `the account has no stored chain code (generalStore.tssChainCode:${c.tssTag})`);
    return deriveNonHardened(rootPub, chainCode, path).tweak;
  }
  return ZERO_SHIFT;
}

/**
 * The key `sign(request, derivation)` verifies under, from the durable metadata: Y' = Y + δ·G
 * (compressed SEC1; Y itself for the root key). Same shift as signing (`derivationShift`).
 */
export function signingPublicKey(c: Core, derivation: DerivationOption = {}): Uint8Array {
  if (typeof derivation !== 'object' || derivation === null) fail('INVALID_ARGUMENT', 'derivation: expected an object');
  const Y = thresholdKeyInternals(c.tk).readMetadata((m) => readTss(m, c.tssTag)).commitments[0]!;
  const delta = bytesToNumberBE(derivationShift(c, derivation, pointToBytes(Y, true)));
  return pointToBytes(delta === 0n ? Y : Y.add(mulGUnsafe(delta)), true);
}

/** What one signing needs: the durable epoch, the signing index, its aux, the derivation shift and the pool binding. */
function signingContext(c: Core, index: number | undefined, derivation: DerivationOption = {}): SigningContext {
  if (typeof derivation !== 'object' || derivation === null) fail('INVALID_ARGUMENT', 'derivation: expected an object');
  const i = signingIndex(c, index, true);
  const base = thresholdKeyInternals(c.tk).readMetadata((m) => checkpointOf(m, c.tssTag)); // no metadata copy: fresh bytes out
  if (base.commitments.length !== 2) fail('OUT_OF_RANGE', `{index} signs with the service at threshold 2; the account is ${base.commitments.length}-of-n: name a signer set ({signers}: t share indices, with or without 1)`);
  c.device.assertCurrent(base.commitments, [i]);
  const aux = c.device.aux(i)!;
  assertServiceAux(aux, SERVICE_PARTY, c.serviceAuxPin, c.device.verifiedServiceAux); // before anything is sent
  const shift = derivationShift(c, derivation, base.commitments[0]!);
  const binding: PresignBinding = { publicKey: base.commitments[0]!, epoch: base.tssNonce, signers: [SERVICE_INDEX, i], shift, profile: aux.profile };
  return { i, base, aux, shift, binding };
}

interface SigningContext {
  i: number;
  base: TssCheckpoint;
  aux: AuxInfo;
  shift: Uint8Array;
  binding: PresignBinding;
}

/** One presign session with the service; both halves are known by its joint sid (the service keeps its half under it). */
async function presignOnce(c: Core, ctx: SigningContext): Promise<{ sid: Uint8Array; presignature: Presignature }> {
  const { i, base, aux, shift } = ctx;
  const share = c.device.share(i).valueBytes();
  let svcPre: ServiceParticipant<PresignInput, PresignOutput>;
  try {
    svcPre = await c.service.presignParticipant(refOf(c), { sid: c.rng.bytes(32), index: i, base, deviceN: aux.parties.find((p) => p.id === i)!.N, shift });
  } catch (e) {
    share.fill(0);
    throw e;
  }
  const sid = svcPre.session.sid;
  let pre: PresignOutput | undefined;
  const devPre: Participant<typeof svcPre.input, PresignOutput> = {
    id: i,
    owns: [i],
    input: { publicKey: base.commitments[0]!, epoch: base.tssNonce, publicShares: publicSharesAt(base.commitments, [SERVICE_INDEX, i]), share, shift, aux },
    rng: c.rng,
    finish: async (o) => void (pre = o),
  };
  try {
    await c.transport.run({ protocol: presign, sid, threshold: 2, participants: [svcPre, devPre] });
  } finally {
    share.fill(0);
  }
  return { sid, presignature: pre!.presignature };
}

/**
 * Fill the presignature pool with `count` presignatures for signing with share `index` (each
 * bound to key, epoch, signer set {1, index}, derivation shift, profile; the service keeps its half
 * under the same id). Returns how many the pool holds for that binding afterwards.
 */
export async function presignMany(c: Core, count: number, index?: number, derivation: DerivationOption = {}): Promise<number> {
  aInt(count, 'count', 1, 1000);
  await currentState(c);
  const ctx = signingContext(c, index, derivation);
  for (let k = 0; k < count; k++) {
    const { sid, presignature: p } = await presignOnce(c, ctx);
    const data = p.toBytes();
    try {
      await c.pool.add({ id: bytesToHex(sid), binding: ctx.binding, data });
    } finally {
      data.fill(0);
      p.consume();
    }
  }
  return c.pool.count(ctx.binding);
}

/**
 * Sign a request (hashed here: `signingDigest`) with the service. A pooled presignature of the
 * exact binding is taken atomically when there is one; otherwise presign + sign in one go.
 */
export async function sign(c: Core, request: SigningRequest, opts: { index?: number } & DerivationOption = {}): Promise<Signature> {
  const { kind, digest } = signingDigest(request); // bad requests are refused before anything runs
  if (typeof opts !== 'object' || opts === null) fail('INVALID_ARGUMENT', 'opts: expected an object');
  const nonce = await signingState(c); // no round trip when the held state's nonce is known: the service compares it
  let ctx = signingContext(c, opts.index, opts);
  let pooled: { sid: Uint8Array; presignature: Presignature } | null = null;
  try {
    const rec = await c.pool.take(ctx.binding);
    pooled = { sid: hexToBytes(rec.id), presignature: Presignature.fromBytes(rec.data) };
    rec.data.fill(0);
  } catch (e) {
    if (!isTkeyTssError(e, 'PRESIGN_POOL_EMPTY')) throw e;
  }
  if (pooled) {
    const stale = async (): Promise<boolean> => {
      const was = ctx;
      ctx = signingContext(c, opts.index, opts); // of the reloaded state (ACCOUNT_STATE_CHANGED if this device's share is stale)
      return sameBinding(was.binding, ctx.binding);
    };
    const out = await signWith(c, ctx, pooled.sid, pooled.presignature, digest, true, { nonce, stale });
    if (out) return finished(kind, digest, out, true);
    // the service no longer holds its half (restarted), or the state moved to another epoch: sign now with a fresh presignature
  }
  // the presign + sign path runs on the durable state (the pooled path may have skipped the gate)
  await currentState(c);
  ctx = signingContext(c, opts.index, opts);
  const { sid, presignature } = await presignOnce(c, ctx);
  const out = await signWith(c, ctx, sid, presignature, digest, false);
  return finished(kind, digest, out!, false);
}

async function signWith(c: Core, ctx: SigningContext, presignSid: Uint8Array, presignature: Presignature, digest: Uint8Array, pooled: boolean, gate?: StaleGate): Promise<SignOutput | null> {
  const { i, base, shift } = ctx;
  const input: SignInput = { presignature, digest, publicKey: base.commitments[0]!, epoch: base.tssNonce, shift };
  if (c.service.signOnline) return signOnlineWith(c, [{ id: i, input }], { sid: c.rng.bytes(32), index: i, base, presignSid, digest, shift }, pooled, gate);
  let svcSign: ServiceParticipant<SignInput, SignOutput>;
  try {
    svcSign = await c.service.signParticipant(refOf(c), { sid: c.rng.bytes(32), index: i, base, presignSid, digest, shift });
  } catch (e) {
    if (pooled && isTkeyTssError(e, 'NOT_FOUND')) {
      if (!presignature.consumed) presignature.consume(); // burn our half too
      return null;
    }
    throw e;
  }
  let out: SignOutput | undefined;
  const devSign: Participant<SignInput, SignOutput> = {
    id: i,
    owns: [i],
    input,
    rng: c.rng,
    finish: async (o) => void (out = o),
  };
  await c.transport.run({ protocol: signProtocol, sid: svcSign.session.sid, threshold: 2, participants: [svcSign, devSign] });
  return out!;
}

/**
 * The online sign as ONE request (`ServiceConnection.signOnline`, `sign-online.ts`): each device
 * signer's σ_i (its presignature consumed here, single use whatever happens), the service's σ_1 in
 * the answer, every signer's round 2 (partials checked, blame the service; signature verified).
 * `null` when the service no longer holds its half (`NOT_FOUND`) and `pooled`: sign with a fresh one.
 */
export async function signOnlineWith(c: Core, mine: readonly { id: number; input: SignInput }[], req: Omit<ServiceSignOnlineRequest, 'partials' | 'nonce'>, pooled: boolean, gate?: StaleGate): Promise<SignOutput | null> {
  const parties = [{ id: SERVICE_PARTY, owns: [SERVICE_INDEX] }, ...mine.map((m) => ({ id: m.id, owns: [m.id] }))];
  const signers = mine.map((m) => startOnline(m.input, m.id, parties, req.sid));
  const partials = signers.map((s) => ({ id: s.id, payload: s.payload }));
  const ask = (nonce: number | undefined) => c.service.signOnline!(refOf(c), { ...req, partials, ...(nonce === undefined ? {} : { nonce }) });
  let answer;
  try {
    try {
      answer = await ask(gate?.nonce);
    } catch (e) {
      if (!gate || gate.nonce === undefined || !isStaleNonce(e)) throw e;
      // the account moved since the held state was loaded (nothing was taken): reload, and — only when the
      // signing binding is unchanged — ask ONCE more with the very same partials (σ_i is deterministic in
      // the presignature and m: nothing new is revealed). Another epoch: this presignature is of no use.
      const nonce = await reloadStale(c);
      if (!(await gate.stale())) return null;
      answer = await ask(nonce);
    }
  } catch (e) {
    if (pooled && isTkeyTssError(e, 'NOT_FOUND')) return null;
    if (isTkeyTssError(e, 'SERVICE_STATE_MISMATCH')) c.seenNonce = undefined; // the next sign reloads (the gate runs)
    throw e;
  }
  const all = [{ id: SERVICE_PARTY, payload: answer.partial }, ...signers.map((s) => ({ id: s.id, payload: s.payload }))];
  const outs = signers.map((s) => combineOnline(s, answer.sid, all.filter((p) => p.id !== s.id)));
  for (const o of outs) if (!equalBytes(o.signature, outs[0]!.signature)) throw new InternalBug('the signers output different signatures');
  return outs[0]!;
}

/** The pooled sign's nonce (`signingState`) and how it re-derives its binding after a stale-nonce refusal (true: unchanged). */
export interface StaleGate {
  nonce: number | undefined;
  stale: () => Promise<boolean>;
}

export function sameBinding(a: PresignBinding, b: PresignBinding): boolean {
  return (
    a.epoch === b.epoch &&
    equalBytes(a.publicKey, b.publicKey) &&
    equalBytes(a.shift, b.shift) &&
    a.profile === b.profile &&
    a.signers.length === b.signers.length &&
    a.signers.every((x, k) => x === b.signers[k])
  );
}

export function finished(kind: SigningRequestKind, digest: Uint8Array, out: SignOutput, presigned: boolean): Signature {
  const r = bytesToNumberBE(out.r);
  const s = bytesToNumberBE(out.s);
  const v = out.recovery;
  // the protocol verified (r, s) under Y′ already; this is the client's own check of what it hands out, v
  // included: the key recovered from (r, s, v) is Q = r⁻¹(s·R − m·G) with x(R) = r, so Q = Y′ means
  // s·R = m·G + r·Y′, i.e. (r, s) verifies under Y′ — one recovery checks both (no second verification)
  if (!equalBytes(recoverPublicKey(digest, r, s, v), out.publicKey)) throw new InternalBug('the signature returned by the sign protocol does not verify');
  return {
    kind,
    digest: Uint8Array.from(digest),
    r: out.r,
    s: out.s,
    v,
    signature: out.signature,
    der: toDer(r, s),
    compact65: toCompact65(r, s, v),
    ethSignature: toEthSignature(r, s, v),
    publicKey: out.publicKey,
    address: ethAddress(out.publicKey),
    presigned,
  };
}
