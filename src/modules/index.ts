/** Portable tKey modules (the Node-only file device storage is `tkey-tss/modules/device-storage-file`). @module */
export * from './security-questions.js';
export * from './share-transfer.js';
export * from './device-storage.js';
export * from './share-serialization.js';
