/** The account lifecycle API (layer 3): accounts, factors, refresh with two-phase commit, the service party, transports. @module */
export { TssAccount } from './account.js';
export type { ClientOptions } from './core.js';
export type { CreateAccountOptions } from './create-account.js';
export { DEVICE_INDEX, RECOVERY_INDEX } from './create-account.js';
export type { AddFactorOptions, AddFactorResult } from './factors.js';
export type { LifecycleResult } from './two-phase.js';
export { ServiceParty, MemoryServiceShareStore, SERVICE_INDEX, SERVICE_PARTY } from './service-party.js';
export type { AccountRef, EpochShare, ReconcileResult, ServiceAccountRecord, ServiceConnection, ServiceShareStore } from './service-party.js';
export { DEVICE_PARTY } from './device-party.js';
export { SimulatorTransport } from './transport.js';
export type { Participant, PartyTransport, PlanProtocol, SessionPlan, SimulatorTransportOptions } from './transport.js';
export { checkpointAddress, readCheckpoint } from './checkpoint.js';
export type { TssCheckpoint } from './checkpoint.js';
export type { Signature } from './signing.js';
export type { SigningRequest, SigningRequestKind } from '../signature/request.js';
export { PresignPool, MemoryPresignStore } from '../signature/presign-pool.js';
export { auxDomain } from './aux-store.js';
