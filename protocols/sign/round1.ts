/**
 * Sign round 1: σ_i = k_i·m + r·χ_i (mod q); broadcast {tag, m, sigma}.
 * @module
 */
import type { Round } from '../types.js';
import { scalarBytes } from '../util.js';
import type { SignOutput, SignState } from './messages.js';

export const round1: Round<SignState, SignOutput> = {
  sends: { broadcast: true, p2p: false },
  run(state) {
    return { state, outbox: [{ to: null, payload: { tag: state.tag, m: state.digest, sigma: scalarBytes(state.sigma) } }] };
  },
};
