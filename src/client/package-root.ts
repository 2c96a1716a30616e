/**
 * What `import … from 'tkey-tss'` gives: the client API a wallet embeds — the account
 * (`TssAccount`), its factor keys, a metadata storage, the co-signing service party and the
 * in-process transport, `connectService` (the logged-in connection to a `tkey-tss serve` server), the aux-input preparation, randomness and the typed errors. Everything
 * here is browser-safe (the Node file stores have their own subpaths: `tkey-tss/storage/file-store`,
 * `tkey-tss/signature/presign-file-store`); the full API of each area is under its subpath
 * (`tkey-tss/client`, `tkey-tss/tss`, `tkey-tss/signature`, …).
 * @module
 */
export * from './index.js';
export { FactorKey } from '../tss/factor-key.js';
export { MemoryStorage } from '../storage/memory-store.js';
export type { MetadataStorage } from '../storage/types.js';
export { prepareAuxInput } from '../../protocols/aux/prepare.js';
export type { AuxInput } from '../../protocols/aux/messages.js';
export { cryptoRng } from '../rng.js';
export type { Rng } from '../rng.js';
export { isTkeyTssError, TkeyTssError, InvalidInput, NotFound, ProtocolAbort, StorageConflict, InternalBug } from '../errors.js';
export type { ErrorCode, ErrorKind } from '../errors.js';
export { connectService } from './service-client.js';
export type { ConnectServiceOptions, ServiceClient } from './service-client.js';
