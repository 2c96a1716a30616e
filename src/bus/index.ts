/**
 * The message bus (layer 1): envelope codec, frame transports, secure channel, links and the
 * session runner. Node's WebSocket server/client: `tkey-tss/bus/ws-node`. Running protocol plans
 * and the service RPC over links: `src/client/bus-transport.ts`, `src/client/service-rpc.ts`.
 * @module
 */
export * from './codec.js';
export * from './frame-limits.js';
export * from './msgpack-scan.js';
export * from './refusal-stats.js';
export * from './transport.js';
export * from './secure-channel.js';
export * from './handshake.js';
export * from './control.js';
export * from './frame-schema.js';
export * from './session-link.js';
export * from './tracked-run.js';
