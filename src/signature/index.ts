/**
 * Signatures, message hashing and presignatures (layer 1). Browser-safe: the Node file store of the
 * presignature pool is imported from its own path, `signature/presign-file-store.js`.
 * @module
 */
export * from './ecdsa.js';
export * from './hashing.js';
export * from './eip712.js';
export * from './request.js';
export * from './presign-pool.js';
