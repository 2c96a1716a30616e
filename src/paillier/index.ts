/**
 * Paillier encryption (g = N + 1), ring-Pedersen parameters, security profiles, paillier-bigint interop.
 * @module
 */
export * from './profiles.js';
export * from './keys.js';
export * from './nonce-pool.js';
export * from './ring-pedersen.js';
export * from './interop.js';
