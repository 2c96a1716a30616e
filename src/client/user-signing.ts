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
import { aInt, bytesToHex, concatBytes, hexToBytes, wipe } from '../bytes.js';
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
import { derivationShift, finished, sameBinding, signOnlineWith, type DerivationOption, type Signature, type StaleGate } from './signing.js';
import { currentState, freshState, refOf, signingState, type Core } from './core.js';
import { commitOps, settle } from './metadata-ops.js';
import { checkpointOf, publicSharesAt } from './shares.js';
import { SERVICE_INDEX, SERVICE_PARTY } from './service-party.js';
import { assertServiceAux } from './service-aux-pin.js';
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
 * Aux info among the user indices `indices` (default: every held index; all held, ≥ 2 of them
 * without the service), `inputs[k]` the prepared aux input of `indices[k]` (distinct Paillier
 * keys). `withService`: the group {1} ∪ indices for signing WITH the service at t ≥ 3 (the service
 * re-proves its long-lived key). Each index's part is sealed to every factor of that index, in one
 * metadata batch; a group set up again replaces it. Returns the group key ("2,3", "1,2,3").
 */
export async function setupUserAux(c: Core, inputs: readonly AuxInput[], indicesArg?: readonly number[], withService = false): Promise<string> {
  const indices = userIndices(indicesArg ?? c.device.heldIndices, 'indices');
  if (indices.length < (withService ? 1 : 2)) fail('OUT_OF_RANGE', 'a signer group has at least two parties');
  if (!Array.isArray(inputs) || inputs.length !== indices.length) fail('INVALID_ARGUMENT', `inputs: expected one prepared aux input per index (${indices.length})`);
  assertHeld(c, indices);
  await freshState(c);
  const cur = readTss(c.tk.getMetadata(), c.tssTag);
  const out = new Map<number, AuxInfo>();
  const parts: Participant<AuxInput, AuxInfo>[] = indices.map((i, k) => ({ id: i, owns: [i], input: inputs[k]!, rng: c.rng, finish: async (o) => void out.set(i, o) }));
  if (withService) {
    const svc = await c.service.auxParticipant(refOf(c), { sid: c.rng.bytes(32), index: indices[0]!, signers: indices });
    await c.transport.run({ protocol: auxProtocol, sid: svc.session.sid, threshold: indices.length + 1, participants: [svc, ...parts] });
  } else {
    await c.localTransport.run({ protocol: auxProtocol, sid: c.rng.bytes(32), threshold: indices.length, participants: parts });
  }
  const auxes = indices.map((i) => out.get(i)!);
  const group = userGroupKey(withService ? [SERVICE_INDEX, ...indices] : indices);
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
  for (const a of auxes) c.device.holdUserAux(group, a, withService);
  return group;
}

interface SetContext {
  /** The user indices the device acts for (ascending). */
  users: number[];
  /** The service (index 1) is one of the signers. */
  service: boolean;
  base: TssCheckpoint;
  aux: ReadonlyMap<number, AuxInfo>;
  shift: Uint8Array;
  binding: PresignBinding;
}

/**
 * The signer set to use at threshold ≥ 3 when the caller names none: the service and the lowest
 * t − 1 held indices of a held group with the service (`setupUserAux(…, {withService: true})`).
 */
export function defaultSigners(c: Core): number[] {
  const t = readTss(c.tk.getMetadata(), c.tssTag).commitments.length;
  const held = c.device.heldIndices;
  for (const k of c.device.groupKeys) {
    const ids = k.split(',').map(Number);
    const users = ids.filter((i) => i !== SERVICE_INDEX && held.includes(i) && c.device.serviceGroupFor([i]));
    if (ids[0] === SERVICE_INDEX && users.length >= t - 1) return [SERVICE_INDEX, ...users.slice(0, t - 1)];
  }
  return fail('AUX_MISSING', `the account is ${t}-of-n: signing with the service needs aux info for a signer group of the service and ${t - 1} held indices — run account.setupUserAux(prepared aux inputs, { indices, withService: true }) once, or sign without the service ({ signers })`, { threshold: t });
}

function setContext(c: Core, signersArg: readonly number[], derivation: DerivationOption): SetContext {
  if (typeof derivation !== 'object' || derivation === null) fail('INVALID_ARGUMENT', 'derivation: expected an object');
  if (!Array.isArray(signersArg)) fail('INVALID_ARGUMENT', 'signers: expected an array of share indices');
  const service = signersArg.includes(SERVICE_INDEX);
  const users = userIndices(signersArg.filter((i) => i !== SERVICE_INDEX), 'signers');
  if (service && signersArg.filter((i) => i === SERVICE_INDEX).length > 1) fail('INVALID_ARGUMENT', 'signers: an index is repeated');
  const base = checkpointOf(c.tk.getMetadata(), c.tssTag);
  const t = base.commitments.length;
  const n = users.length + (service ? 1 : 0);
  if (n !== t) fail('OUT_OF_RANGE', `the account is ${t}-of-n: a signer set has exactly ${t} indices (got ${n})`, { threshold: t });
  assertHeld(c, users);
  c.device.assertCurrent(base.commitments, users);
  let aux: ReadonlyMap<number, AuxInfo> | undefined;
  if (service) {
    aux = c.device.serviceGroupFor(users)?.aux;
    if (!aux)
      return fail('AUX_MISSING', `no aux info for the signer group {1, ${users.join(', ')}}: run account.setupUserAux(prepared aux inputs, { indices: [${users.join(', ')}], withService: true }) once`, { indices: users });
    assertServiceAux(aux.get(users[0]!)!, SERVICE_PARTY, c.serviceAuxPin, c.device.verifiedServiceAux); // before anything is sent
  } else {
    const held = c.device.userAuxFor(users);
    if (!held)
      return fail('AUX_MISSING', `no aux info for a user-only signer group containing {${users.join(', ')}}: run account.setupUserAux(prepared aux inputs, { indices }) once while holding a factor of each index (it seals each index's part to that index's factors)`, { indices: users });
    aux = held.aux;
  }
  const shift = derivationShift(c, derivation, base.commitments[0]!);
  const profile = aux.get(users[0]!)!.profile;
  const binding: PresignBinding = { publicKey: base.commitments[0]!, epoch: base.tssNonce, signers: service ? [SERVICE_INDEX, ...users] : users, shift, profile };
  return { users, service, base, aux, shift, binding };
}

/** One presign session: the device's parties (+ the service's, which keeps its half under the joint sid). */
async function presignOnce(c: Core, x: SetContext): Promise<{ sid: Uint8Array; pres: Map<number, Presignature> }> {
  const { users, base, shift } = x;
  const all = x.service ? [SERVICE_INDEX, ...users] : users;
  const publicShares = publicSharesAt(base.commitments, all);
  const shares = users.map((i) => c.device.share(i).valueBytes());
  const out = new Map<number, Presignature>();
  const parts: Participant<PresignInput, PresignOutput>[] = users.map((i, k) => ({
    id: i,
    owns: [i],
    input: { publicKey: base.commitments[0]!, epoch: base.tssNonce, publicShares, share: shares[k]!, shift, aux: x.aux.get(i)! },
    rng: c.rng,
    finish: async (o) => void out.set(i, o.presignature),
  }));
  try {
    if (x.service) {
      const i = users[0]!;
      const deviceN = x.aux.get(i)!.parties.find((p) => p.id === i)!.N;
      const svc = await c.service.presignParticipant(refOf(c), { sid: c.rng.bytes(32), index: i, signers: users, base, deviceN, shift });
      await c.transport.run({ protocol: presign, sid: svc.session.sid, threshold: all.length, participants: [svc, ...parts] });
      return { sid: svc.session.sid, pres: out };
    }
    const sid = c.rng.bytes(32);
    await c.localTransport.run({ protocol: presign, sid, threshold: all.length, participants: parts });
    return { sid, pres: out };
  } finally {
    wipe(...shares);
  }
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

/** Fill the pool with `count` presignatures for the signer set `signers` (t indices; with or without 1); returns how many the pool holds for that binding. */
export async function presignUser(c: Core, count: number, signers: readonly number[], derivation: DerivationOption = {}): Promise<number> {
  aInt(count, 'count', 1, 1000);
  await currentState(c);
  const x = setContext(c, signers, derivation);
  for (let k = 0; k < count; k++) {
    const { sid, pres } = await presignOnce(c, x);
    const data = packHalves(pres);
    try {
      await c.pool.add({ id: bytesToHex(sid), binding: x.binding, data }); // the service (if any) keeps its half under the same sid
    } finally {
      data.fill(0);
      for (const p of pres.values()) p.consume();
    }
  }
  return c.pool.count(x.binding);
}

/** Sign a request with the signer set `signers` (exactly t share indices): without the service when 1 is not among them. */
export async function signUser(c: Core, request: SigningRequest, signers: readonly number[], derivation: DerivationOption = {}): Promise<Signature> {
  const { kind, digest } = signingDigest(request); // bad requests are refused before anything runs
  // with the service (one request, `signOnline`): no nonce round trip when the held state's nonce is known —
  // the service compares it (a stale one: reload, ask once more); without the service: the device's own gate
  const viaService = signers.includes(SERVICE_INDEX) && !!c.service.signOnline;
  const nonce = viaService ? await signingState(c) : (await currentState(c), undefined);
  let x = setContext(c, signers, derivation);
  let pooled: { sid: Uint8Array; pres: Map<number, Presignature> } | null = null;
  try {
    const rec = await c.pool.take(x.binding);
    try {
      pooled = { sid: hexToBytes(rec.id), pres: unpackHalves(rec.data, x.users) };
    } finally {
      rec.data.fill(0);
    }
  } catch (e) {
    if (!isTkeyTssError(e, 'PRESIGN_POOL_EMPTY')) throw e;
  }
  if (pooled) {
    const gate: StaleGate | undefined = viaService
      ? {
          nonce,
          stale: async () => {
            const was = x;
            x = setContext(c, signers, derivation); // of the reloaded state
            return sameBinding(was.binding, x.binding);
          },
        }
      : undefined;
    const out = await signWith(c, x, pooled.sid, pooled.pres, digest, gate);
    if (out) return finished(kind, digest, out, true);
    // the service no longer holds its half (restarted), or the state moved to another epoch: sign now with a fresh presignature
  }
  if (viaService) {
    // the presign + sign path runs on the durable state (the pooled path may have skipped the gate)
    await currentState(c);
    x = setContext(c, signers, derivation);
  }
  const fresh = await presignOnce(c, x);
  const out = await signWith(c, x, fresh.sid, fresh.pres, digest);
  if (!out) return fail('NOT_FOUND', 'the service no longer holds the presignature it has just made');
  return finished(kind, digest, out, false);
}

async function signWith(c: Core, x: SetContext, presignSid: Uint8Array, pres: Map<number, Presignature>, digest: Uint8Array, gate?: StaleGate): Promise<SignOutput | null> {
  const burn = () => {
    for (const p of pres.values()) if (!p.consumed) p.consume(); // single use, whatever happened
  };
  const outs = new Map<number, SignOutput>();
  const parts: Participant<SignInput, SignOutput>[] = x.users.map((i) => ({
    id: i,
    owns: [i],
    input: { presignature: pres.get(i)!, digest, publicKey: x.base.commitments[0]!, epoch: x.base.tssNonce, shift: x.shift },
    rng: c.rng,
    finish: async (o) => void outs.set(i, o),
  }));
  try {
    if (x.service && c.service.signOnline) {
      const mine = x.users.map((i) => ({ id: i, input: parts.find((p) => p.id === i)!.input }));
      return await signOnlineWith(c, mine, { sid: c.rng.bytes(32), index: x.users[0]!, signers: x.users, base: x.base, presignSid, digest, shift: x.shift }, true, gate);
    }
    if (x.service) {
      let svc;
      try {
        svc = await c.service.signParticipant(refOf(c), { sid: c.rng.bytes(32), index: x.users[0]!, signers: x.users, base: x.base, presignSid, digest, shift: x.shift });
      } catch (e) {
        if (isTkeyTssError(e, 'NOT_FOUND')) return null;
        throw e;
      }
      await c.transport.run({ protocol: signProtocol, sid: svc.session.sid, threshold: x.users.length + 1, participants: [svc, ...parts] });
    } else {
      await c.localTransport.run({ protocol: signProtocol, sid: c.rng.bytes(32), threshold: x.users.length, participants: parts });
    }
  } finally {
    burn();
  }
  const first = outs.get(x.users[0]!)!;
  for (const o of outs.values()) if (bytesToHex(o.signature) !== bytesToHex(first.signature)) throw new InternalBug('the signers output different signatures');
  return first;
}
