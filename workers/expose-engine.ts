/**
 * Expose one `PartyEngine` on a comlink endpoint. Platform-free: the browser worker entry passes
 * `self`, the Node entry (`party-worker.ts`) passes comlink's adapter around `parentPort`.
 * @module
 */
import { expose, type Endpoint } from 'comlink';
import { PartyEngine } from './engine.js';

/** A fresh engine, answering calls on `ep` from now on. */
export function exposeEngineOn(ep: Endpoint): PartyEngine {
  const engine = new PartyEngine();
  expose(engine, ep);
  return engine;
}
