/** tKey v2 / TSS data layer: factor keys, factorEncs, TSS metadata, factor operations, derivation. @module */
export * from './tss-tag.js';
export * from './tss-share.js';
export * from './factor-key.js';
export * from './security-answer-factor.js';
export * from './factor-enc.js';
export * from './tss-metadata.js';
export * from './factor-ops.js';
export * from './factor-descriptions.js';
export * from './account-index.js';
export * from './bip32.js';
export * from './device-factor-store.js';
