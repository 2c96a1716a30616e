/** Shamir secret sharing over the secp256k1 order, Feldman commitments, polynomial IDs. @module */
export * from './polynomial.js';
export * from './lagrange.js';
export * from './feldman.js';
export * from './polyid.js';
