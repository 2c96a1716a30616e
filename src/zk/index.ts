/**
 * The CGGMP zero-knowledge proofs, one namespace per proof, all with one shape:
 * `prove(pub, priv, transcript, rng)`, `verify(pub, proof, transcript) → Verdict`,
 * `proofToBytes` / `proofFromBytes` / `proofToJSON` / `proofFromJSON`. See README.md.
 * @module
 */
export * as affg from './affg.js';
export * as aux from './aux.js';
export * as dec from './dec.js';
export * as enc from './enc.js';
export * as fac from './fac.js';
export * as logstar from './logstar.js';
export * as mod from './mod.js';
export * as mul from './mul.js';
export * as mulstar from './mulstar.js';
export * as prm from './prm.js';
export { drawPrmCommitments, type PrmCommitment, PrmPool, PRM_POOL_CAPACITY } from './prm-pool.js';
export * as sch from './sch.js';
export { PROFILE_DEFAULT, PROFILE_HIGH, type ZkProfile } from './params.js';
export { Transcript, type TranscriptContext } from './transcript.js';
export { abortUnless, OK, reject, type Verdict, ZK_REASONS, type ZkReason } from './verdict.js';
