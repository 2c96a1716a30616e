/**
 * Big-integer arithmetic: modexp backends (native OpenSSL in Node, portable BigInt everywhere),
 * CRT, multi-exponentiation, fixed-base tables, gcd/inverse/Jacobi/Miller–Rabin, prime generation.
 * @module
 */
export * from './arith.js';
export * from './modexp.js';
export * from './primes.js';
