/**
 * Aux info and signing for the signer group {service (party 1), device (party id = the index of
 * the share it signs with)}.
 *
 * `setupAux`: run aux info with the service — the service re-proves its long-lived Paillier key,
 * the device proves its own (prepared ahead: `prepareAuxInput`) — and store the device's aux
 * secret in the metadata encrypted to every factor of that share index (`aux-store.ts`), in one
 * batch. `sign`: presign (the service keeps its single-use presignature) and sign over the
 * transport with the shares of the durable epoch; the signature is verified by the protocol
 * before it is returned. Signing needs threshold 2 (one device share + the service).
 * @module
 */
import { abytes } from '../bytes.js';
import { pointFromBytes } from '../curve.js';
import { fail } from '../errors.js';
import { factorEncKey as factorKeyOf, readTss } from '../tss/tss-metadata.js';
import { aux as auxProtocol, type AuxInput } from '../../protocols/aux/index.js';
import type { AuxInfo } from '../../protocols/aux/types.js';
import { presign, type PresignOutput } from '../../protocols/presign/index.js';
import { sign as signProtocol, type SignOutput } from '../../protocols/sign/index.js';
import { sealAuxFor, type AuxEntry } from './aux-store.js';
import { freshState, refOf, type Core } from './core.js';
import { commitOps, queueChange, settle } from './metadata-ops.js';
import { SERVICE_INDEX } from './service-party.js';
import { checkpointOf, publicSharesAt } from './shares.js';
import type { Participant } from './transport.js';

export interface Signature {
  /** 32-byte big-endian r and s (low-s). */
  r: Uint8Array;
  s: Uint8Array;
  /** Recovery id (0..3). */
  recovery: number;
  /** r ‖ s, 64 bytes. */
  signature: Uint8Array;
  /** The key it verifies under (compressed SEC1). */
  publicKey: Uint8Array;
}

function signingIndex(c: Core, index: number | undefined, needAux: boolean): number {
  const held = c.device.heldIndices;
  if (index !== undefined) {
    if (!held.includes(index)) fail('NOT_ENOUGH_SHARES', `the device holds no share at index ${index}`);
    if (needAux && !c.device.aux(index)) fail('NOT_FOUND', `no aux info for index ${index}: run setupAux first`);
    return index;
  }
  const ok = held.filter((i) => !needAux || c.device.aux(i));
  if (ok.length === 0) fail(needAux && held.length ? 'NOT_FOUND' : 'NOT_ENOUGH_SHARES', needAux && held.length ? 'no aux info for a held share: run setupAux first' : 'the device holds no share: log in with a factor');
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
  c.device.holdAux(aux);
}

/** The aux session itself (also used inside account creation, before its batch). */
export async function runAux(c: Core, input: AuxInput, index: number): Promise<AuxInfo> {
  const sid = c.rng.bytes(32);
  const svc = await c.service.auxParticipant(refOf(c), { sid, index });
  let out: AuxInfo | undefined;
  const dev: Participant<AuxInput, AuxInfo> = { id: index, owns: [index], input, rng: c.rng, finish: async (o) => void (out = o) };
  await c.transport.run({ protocol: auxProtocol, sid, threshold: 2, participants: [svc, dev] });
  return out!;
}

/** Sign a 32-byte digest with the service (presign + sign). */
export async function sign(c: Core, digest: Uint8Array, opts: { index?: number } = {}): Promise<Signature> {
  abytes(digest, 'digest', 32);
  const i = signingIndex(c, opts.index, true);
  await freshState(c);
  const m = c.tk.getMetadata();
  const base = checkpointOf(m, c.tssTag);
  if (base.commitments.length !== 2) fail('OUT_OF_RANGE', `signing needs threshold 2 (one device share + the service); the account is ${base.commitments.length}-of-n`);
  c.device.assertCurrent(base.commitments, [i]);
  const aux = c.device.aux(i)!;
  const share = c.device.share(i).valueBytes();
  const sid = c.rng.bytes(32);
  const ref = refOf(c);
  const svcPre = await c.service.presignParticipant(ref, { sid, index: i, base, deviceN: aux.parties.find((p) => p.id === i)!.N });
  let pre: PresignOutput | undefined;
  const devPre: Participant<typeof svcPre.input, PresignOutput> = {
    id: i,
    owns: [i],
    input: { publicKey: base.commitments[0]!, epoch: base.tssNonce, publicShares: publicSharesAt(base.commitments, [SERVICE_INDEX, i]), share, aux },
    rng: c.rng,
    finish: async (o) => void (pre = o),
  };
  try {
    await c.transport.run({ protocol: presign, sid, threshold: 2, participants: [svcPre, devPre] });
  } finally {
    share.fill(0);
  }
  const sid2 = c.rng.bytes(32);
  const svcSign = await c.service.signParticipant(ref, { sid: sid2, index: i, base, presignSid: sid, digest });
  let out: SignOutput | undefined;
  const devSign: Participant<typeof svcSign.input, SignOutput> = {
    id: i,
    owns: [i],
    input: { presignature: pre!.presignature, digest, publicKey: base.commitments[0]!, epoch: base.tssNonce },
    rng: c.rng,
    finish: async (o) => void (out = o),
  };
  await c.transport.run({ protocol: signProtocol, sid: sid2, threshold: 2, participants: [svcSign, devSign] });
  return { r: out!.r, s: out!.s, recovery: out!.recovery, signature: out!.signature, publicKey: out!.publicKey };
}

