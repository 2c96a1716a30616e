/**
 * Storage: the interface, batch validation and the portable in-memory store. The Node file store
 * is imported from its own path, `storage/file-store.js`, so this entry stays browser-safe.
 * @module
 */
export * from './types.js';
export { aAccount, assertAddress, assertBatch } from './batch.js';
export { MemoryStorage } from './memory-store.js';
