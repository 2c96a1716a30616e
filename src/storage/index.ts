/**
 * Storage: the interface, batch validation and the portable in-memory store. The Node file store
 * is imported from its own path, `storage/file-store.js`, so this entry stays browser-safe.
 * @module
 */
export * from './types.js';
export { aAccount, assertAddress, assertBatch, BATCH_DOMAIN, NONCE_NAMESPACE, statementNonce } from './batch.js';
export { HttpMetadataStorage, type HttpMetadataStorageOptions } from './http-storage.js';
export { MemoryStorage } from './memory-store.js';
