/**
 * What the pieces of `npm run bench:browser` say to each other: the page ↔ bench worker requests,
 * the case list with their Node baselines, and the aux fixture's JSON form. Platform-free.
 * @module
 */
import type { AuxInfo } from '../../protocols/aux/types.js';

/** The Node process runs party 1 (the service's share index), the browser worker party 2 (the device). */
export const SERVICE = 1;
export const DEVICE = 2;
export const PARTIES = [
  { id: SERVICE, owns: [SERVICE] },
  { id: DEVICE, owns: [DEVICE] },
];

export type SessionKind = 'keygen' | 'aux' | 'presign' | 'sign';

export type WorkerRequest =
  | { op: 'micro'; name: string; p: string; q: string; iterations: number; time: number; warmup: number; /** modexp: Node's result (hex), checked once first. */ expect: string }
  | { op: 'connect'; url: string; identityKey: string; serverPub: string; aux: AuxJson; digest: string }
  | { op: 'prepared'; p: string; q: string; /** the whole prepared input in the party-worker plain form (ring-Pedersen + Πprm pool entries) */ input?: unknown }
  | { op: 'session'; kind: SessionKind; sid: string; presignSid?: string }
  /** Record every exponentiation of the device's sessions (route, sizes, ms) per round (`--profile`). */
  | { op: 'profile'; on: boolean }
  /** Fill the device's presign pools (nonce pairs, masks) for `presigns` sessions in a math pool of this worker's own (`MathPool.preparePresign`), as a wallet does at app start. */
  | { op: 'prepare'; poolWorkerUrl: string; size: number; presigns: number };

/** Exponentiations of one kind within a round: count and total ms (sizes: modulus bits, exponent bits rounded up to 64). */
export interface ModexpRow {
  round: number;
  route: string;
  secret: boolean;
  mBits: number;
  eBits: number;
  count: number;
  ms: number;
}

/** One party's side of a session: wall ms, and the compute ms of each of its rounds (Session progress events). */
export interface SessionTiming {
  ms: number;
  rounds: Record<number, number>;
  /** With `profile` on: the device's exponentiations, per round. */
  modexp?: ModexpRow[];
}

export type WorkerReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

export interface AuxJson {
  profile: 'default' | 'high';
  self: number;
  secret: { p: string; q: string; lambda: string };
  parties: { id: number; N: string; s: string; t: string }[];
}

const hex = (x: bigint): string => x.toString(16);
const big = (h: string): bigint => BigInt('0x' + h);

export function auxToJson(a: AuxInfo): AuxJson {
  return {
    profile: a.profile,
    self: a.self,
    secret: { p: hex(a.secret.p), q: hex(a.secret.q), lambda: hex(a.secret.lambda) },
    parties: a.parties.map((e) => ({ id: e.id, N: hex(e.N), s: hex(e.s), t: hex(e.t) })),
  };
}

export function auxFromJson(a: AuxJson): AuxInfo {
  return {
    profile: a.profile,
    self: a.self,
    secret: { p: big(a.secret.p), q: big(a.secret.q), lambda: big(a.secret.lambda) },
    parties: a.parties.map((e) => ({ id: e.id, N: big(e.N), s: big(e.s), t: big(e.t) })),
  };
}

/** A browser case: how many samples, and the Node cases (`npm run bench` names) printed beside it. */
export interface BrowserCase {
  name: string;
  iterations: number;
  /** Time budget (ms) beyond the iterations. */
  time: number;
  warmup: number;
  baselines: string[];
}

export const BROWSER_CASES: readonly BrowserCase[] = [
  { name: 'browser/modexp/2048', iterations: 20, time: 1000, warmup: 3, baselines: ['modexp/2048:native', 'modexp/2048:portable', 'modexp/2048:wasm'] },
  { name: 'browser/modexp/4096', iterations: 10, time: 1000, warmup: 2, baselines: ['modexp/4096:native', 'modexp/4096:portable', 'modexp/4096:wasm'] },
  // the safe-prime search's per-candidate cost (no Node baseline: Node's search is OpenSSL's): the test it runs, and the ladder it replaced
  { name: 'browser/fermat/1024', iterations: 20, time: 1000, warmup: 3, baselines: [] },
  { name: 'browser/fermat/1024:ladder', iterations: 20, time: 1000, warmup: 3, baselines: [] },
  { name: 'browser/paillier/encrypt', iterations: 10, time: 1000, warmup: 2, baselines: ['paillier/encrypt'] },
  // the real safe-prime search (JS sieve in every worker of the pool) + the device's aux session: few samples
  { name: 'browser/setup-aux', iterations: 3, time: 0, warmup: 0, baselines: ['aux/default'] },
  { name: 'browser/presign:device', iterations: 5, time: 0, warmup: 1, baselines: ['presign/2of2'] },
  // the same session with the device's nonce/mask pools filled ahead (untimed) by a math pool in the device's thread
  { name: 'browser/presign:device:prepared', iterations: 5, time: 0, warmup: 1, baselines: ['presign/2of2', 'presign/2of2:prepared'] },
  { name: 'browser/sign-pooled', iterations: 10, time: 0, warmup: 1, baselines: ['sign/online'] },
];

/** Printed with every run (same-run reference). */
export const PEER_BASELINE = 'peer/dkls23/sign-2of2';
