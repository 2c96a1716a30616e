/** The tKey v1 metadata layer: data model, records and the ThresholdKey facade. @module */
export * from './stable-stringify.js';
export * from './share-store.js';
export * from './metadata.js';
export * from './auth-metadata.js';
export * from './record.js';
export * from './threshold-key.js';
