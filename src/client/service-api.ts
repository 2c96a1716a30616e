/**
 * What a device may ask of the co-signing service (`ServiceConnection`) and the request shapes.
 * `ServiceParty` implements it in-process; a remote transport (bus issue) implements it as RPC.
 * @module
 */
import type { KeygenInput, KeygenOutput } from '../../protocols/keygen/index.js';
import type { RefreshInput, RefreshOutput } from '../../protocols/refresh/index.js';
import type { Payload, PartySpec } from '../../protocols/types.js';
import type { SignPartial } from './sign-online.js';
import type { AuxInput } from '../../protocols/aux/index.js';
import type { AuxInfo } from '../../protocols/aux/types.js';
import type { PresignInput, PresignOutput } from '../../protocols/presign/index.js';
import type { SignInput, SignOutput } from '../../protocols/sign/index.js';
import type { TssCheckpoint } from './checkpoint.js';
import type { Participant, SessionBinding } from './transport.js';

/**
 * A participant of the service, bound to the session it agreed to: `session.sid` is the JOINT sid
 * (`service-sid.ts`: the device's part and a fresh service part) — run the session under it, with
 * exactly `session.threshold` and `session.parties` (transports refuse anything else).
 */
export type ServiceParticipant<I, O> = Participant<I, O> & { readonly session: SessionBinding };

/** Which account (and tag) a request is about. */
export interface AccountRef {
  /** G·k_m, SEC1. */
  metadataPub: Uint8Array;
  tssTag: string;
}

export interface ServiceSessionRequest {
  /** The device's part of the session id: 32 fresh bytes, never sent twice (SID_REUSED). The session runs under the joint sid returned in `session`. */
  sid: Uint8Array;
  parties: readonly PartySpec[];
  threshold: number;
}

export interface ServiceRefreshRequest extends ServiceSessionRequest {
  /** The durable epoch the refresh starts from (as the device read it). */
  base: TssCheckpoint;
  /** Old indices each dealing party re-deals (the service deals index 1). */
  dealers: readonly { party: number; indices: readonly number[] }[];
  /** Rotate aux inside the refresh (`auxRotation`): the service re-proves its long-lived key for the group {1, device party id}. */
  rotateAux?: boolean;
}

/** What `reconcile` found and did. */
export interface ReconcileResult {
  durable: { tssNonce: number } | null;
  confirmed: number | null;
  pending: number[];
  dropped: number;
}

/**
 * What a device may ask of the service. `ServiceParty` implements it in-process; a remote
 * transport (bus issue) implements it as RPC. Participants returned here run their session where
 * the service lives.
 */
export interface ServiceConnection {
  /** The service identity public key (SEC1): owner of the checkpoint records. */
  readonly identityPub: Uint8Array;
  keygenParticipant(account: AccountRef, req: ServiceSessionRequest): Promise<ServiceParticipant<KeygenInput, KeygenOutput>>;
  refreshParticipant(account: AccountRef, req: ServiceRefreshRequest): Promise<ServiceParticipant<RefreshInput, RefreshOutput>>;
  /** Phase 2: the device reports its batch durable; the service checks the checkpoint and drops the old share. */
  finalize(account: AccountRef): Promise<ReconcileResult>;
  /** Aux info for the signer group {service, device signing with share `index`} (the service re-proves its long-lived key). */
  auxParticipant(account: AccountRef, req: ServiceSignerRequest): Promise<ServiceParticipant<AuxInput, AuxInfo>>;
  /** Presign with the share of the durable epoch `base`; the service keeps its presignature under the joint sid (`session.sid`). */
  presignParticipant(account: AccountRef, req: ServiceSignerRequest & { base: TssCheckpoint; deviceN: bigint; shift?: Uint8Array }): Promise<ServiceParticipant<PresignInput, PresignOutput>>;
  /** Sign `digest` with the presignature of the presign session `presignSid` (its joint sid; single use). */
  signParticipant(account: AccountRef, req: ServiceSignerRequest & { base: TssCheckpoint; presignSid: Uint8Array; digest: Uint8Array; shift?: Uint8Array }): Promise<ServiceParticipant<SignInput, SignOutput>>;
  /**
   * The whole online sign in ONE request/response (`sign-online.ts`): the device's partials σ_i in
   * the request; the service checks them (blame i), verifies the signature, and answers its own σ_1
   * with the joint sid. One durable commit at the service (the half taken with the sid registered).
   * Optional: a connection without it signs with `signParticipant` + a bus session.
   */
  signOnline?(account: AccountRef, req: ServiceSignOnlineRequest): Promise<SignOnlineAnswer>;
}

/** `signOnline`'s request: `signParticipant`'s plus the device's round-1 partial of every user signer. */
export interface ServiceSignOnlineRequest extends ServiceSignerRequest {
  base: TssCheckpoint;
  presignSid: Uint8Array;
  digest: Uint8Array;
  partials: readonly SignPartial[];
  /**
   * The account's metadata storage nonce the device's state was loaded at (read before that load).
   * Another nonce at the service: refused (SERVICE_STATE_MISMATCH, `details.reason: 'stale-nonce'`,
   * `details.nonce` the current one; nothing taken), the device reloads and asks again once.
   * Absent: not compared (the device ran its own nonce gate, `currentState`); the epoch is checked either way.
   */
  nonce?: number;
}

/** `signOnline`'s answer: the joint sid of the sign and the service's round-1 partial `{tag, m, sigma}`. */
export interface SignOnlineAnswer {
  sid: Uint8Array;
  partial: Payload;
}

/** A session of the signer group {service (id 1), device (id = its share index)}. */
export interface ServiceSignerRequest {
  /** The device's part of the session id (32 fresh bytes; see `ServiceSessionRequest.sid`). */
  sid: Uint8Array;
  /** The device's share index (its party id in aux, presign and sign); with `signers`, its first. */
  index: number;
  /**
   * Threshold t ≥ 3: every user share index of the signer set ({1} ∪ signers, t parties; ascending,
   * `index` first), all acted for by the device. Absent: `[index]` (t = 2). Aux groups are kept per
   * party set; `deviceN` of presign is the modulus of `index` in that group.
   */
  signers?: readonly number[];
  /**
   * Presign and sign: the public derivation shift δ (32 bytes; absent or zero = the root key), an
   * account index's nonce or a BIP32 path's tweak. Both parties presign under Y' = Y + δ·G.
   */
  shift?: Uint8Array;
}

