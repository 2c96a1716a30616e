/**
 * The Web Worker of `npm run bench:browser` (bundled by bench/browser/harness.ts, never committed
 * as a bundle). Two jobs, driven by the page over postMessage (`WorkerRequest` → `WorkerReply`):
 *
 * - `micro`: a timed loop of one primitive (portable modexp, Paillier encryption) — warmup, then
 *   samples until both the iteration count and the time budget are reached;
 * - `connect` + `session`: the DEVICE party of keygen / aux / presign / sign, run here with its own
 *   bus link (WebSocket on loopback, the secure channel) to the Node process, which runs the other
 *   party (the deployment's shape: the service is remote). The worker keeps its key share,
 *   aux info and presignatures between calls, as a device would;
 * - `prepare`: fill the device's presign pools (nonce pairs, masks) ahead of a session with a math
 *   pool this worker owns (nested workers; the pools live in the thread the sessions run in);
 * - `profile`: with it on, each session also returns the device's exponentiations per round
 *   (`setModexpObserver`).
 * @module
 */
import { hexToBytes } from '../../src/bytes.js';
import { modPow, modPowSecret, setModexpObserver, type ModexpSample } from '../../src/bigint/modexp.js';
import { pow2Secret } from '../../src/bigint/primes.js';
import { connectWebSocket } from '../../src/bus/transport.js';
import { connectLink, runSessions, type Link } from '../../src/bus/session-link.js';
import { PaillierPublicKey, PaillierSecretKey } from '../../src/paillier/keys.js';
import { getProfile } from '../../src/paillier/profiles.js';
import { cryptoRng, randomBelow, seededRng } from '../../src/rng.js';
import { aux as auxProtocol, type AuxInput } from '../../protocols/aux/index.js';
import { inputFromPlain } from '../../workers/protocols.js';
import { createBrowserMathPool, type MathPool } from '../../workers/browser/index.js';
import type { AuxInfo } from '../../protocols/aux/types.js';
import { keygen, type KeygenOutput } from '../../protocols/keygen/index.js';
import { presign, type PresignOutput } from '../../protocols/presign/index.js';
import { Session, type ProgressEvent } from '../../protocols/session.js';
import { sign } from '../../protocols/sign/index.js';
import type { Protocol } from '../../protocols/types.js';
import { auxFromJson, DEVICE, PARTIES, SERVICE, type AuxJson, type ModexpRow, type SessionKind, type SessionTiming, type WorkerReply, type WorkerRequest } from './protocol.js';

const big = (h: string): bigint => BigInt('0x' + h);

let link: Link | undefined;
let key: KeygenOutput | undefined;
let auxInfo: AuxInfo | undefined;
const presigs = new Map<string, PresignOutput>();
let prepared: AuxInput | undefined;
let digest: Uint8Array = new Uint8Array(32);
let profiling = false;
let mathPool: MathPool | undefined;

/** Samples (ms) of `fn`: `warmup` unmeasured runs, then until ≥ `iterations` samples and ≥ `time` ms. */
async function sample(fn: () => unknown, iterations: number, time: number, warmup: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  const t0 = performance.now();
  while (out.length < iterations || performance.now() - t0 < time) {
    const s = performance.now();
    await fn();
    out.push(performance.now() - s);
  }
  return out;
}

/** The operands of bench/bigint.bench.ts and bench/paillier.bench.ts (same seeds, same TEST primes). */
function micro(name: string, pHex: string, qHex: string, expect: string): () => unknown {
  const p = big(pHex);
  const q = big(qHex);
  const n = p * q;
  const rng = seededRng('bench/bigint');
  const e2048 = (1n << 2046n) + randomBelow(rng, n - (1n << 2046n));
  const b2048 = randomBelow(rng, n);
  const b4096 = randomBelow(rng, n * n);
  // each case first checks its result: against Node's (OpenSSL) value for modexp, by decryption for Paillier
  const same = (x: bigint, want: string): void => {
    if (x.toString(16) !== want) throw new Error(`${name}: the browser result differs from Node's`);
  };
  if (name === 'browser/modexp/2048') {
    same(modPow(b2048, e2048, n), expect);
    return () => modPow(b2048, e2048, n);
  }
  if (name === 'browser/modexp/4096') {
    same(modPow(b4096, n, n * n), expect);
    return () => modPow(b4096, n, n * n);
  }
  // the prime search's per-candidate test (Fermat base 2 on a 1024-bit secret candidate): pow2Secret vs modPowSecret (the ladder it replaced; now the WebAssembly kernel's secret form)
  if (name === 'browser/fermat/1024' || name === 'browser/fermat/1024:ladder') {
    const f = name.endsWith(':ladder') ? () => modPowSecret(2n, p - 1n, p) : () => pow2Secret(p - 1n, p);
    if (f() !== 1n) throw new Error(`${name}: 2^(p−1) mod p ≠ 1 for a prime p`);
    return f;
  }
  if (name === 'browser/paillier/encrypt') {
    const pk = new PaillierPublicKey(n, 'default');
    const m = randomBelow(seededRng('bench/paillier'), 1n << 256n);
    if (PaillierSecretKey.fromValidatedPrimes(p, q, getProfile('default')).decrypt(pk.encrypt(m, cryptoRng)) !== m) throw new Error(`${name}: decryption does not return m`);
    return () => pk.encrypt(m, cryptoRng);
  }
  throw new Error(`unknown micro benchmark ${name}`);
}

function protocolOf(kind: SessionKind): Protocol<unknown, unknown, unknown> {
  const p = { keygen, aux: auxProtocol, presign, sign }[kind];
  return p as unknown as Protocol<unknown, unknown, unknown>;
}

function inputOf(kind: SessionKind, presignSid?: string): unknown {
  if (kind === 'keygen') return {};
  if (kind === 'aux') {
    if (!prepared) throw new Error('no prepared aux input: send "prepared" first');
    const input = prepared;
    prepared = undefined;
    return input;
  }
  if (!key || !auxInfo) throw new Error('run keygen and load the aux fixture first');
  if (kind === 'presign') return { publicKey: key.publicKey, epoch: key.epoch, publicShares: key.publicShares, share: key.shares.export(DEVICE), aux: auxInfo };
  const pre = presigs.get(presignSid ?? '');
  if (!pre) throw new Error(`no presignature ${presignSid}`);
  presigs.delete(presignSid!);
  return { presignature: pre.presignature, digest, publicKey: pre.publicKey, epoch: pre.epoch };
}

/** Run the device party of one session over the link (the Node party runs the other side): wall ms and each round's compute ms. */
async function session(kind: SessionKind, sidHex: string, presignSid?: string): Promise<SessionTiming> {
  if (!link) throw new Error('not connected');
  const sid = hexToBytes(sidHex);
  const t0 = performance.now();
  const rounds: Record<number, number> = {};
  // with profiling on, every exponentiation is filed under the round that is running (0: outside a round)
  let current = 0;
  const rows = new Map<string, ModexpRow>();
  const onProgress = (e: ProgressEvent): void => {
    if (e.phase === 'end') rounds[e.round] = e.ms ?? 0;
    current = e.phase === 'start' ? e.round : 0;
  };
  if (profiling) {
    setModexpObserver((x: ModexpSample) => {
      const eBits = Math.ceil(x.eBits / 64) * 64;
      const k = `${current}|${x.route}|${x.secret}|${x.mBits}|${eBits}`;
      const r = rows.get(k) ?? { round: current, route: x.route, secret: x.secret, mBits: x.mBits, eBits, count: 0, ms: 0 };
      r.count++;
      r.ms += x.ms;
      rows.set(k, r);
    });
  }
  const s = Session.create(protocolOf(kind), { sid, self: DEVICE, parties: PARTIES, threshold: 2 }, inputOf(kind, presignSid), { rng: cryptoRng, onProgress });
  try {
    await runSessions({
      sid,
      protocol: protocolOf(kind).name,
      local: [
        {
          id: DEVICE,
          session: s,
          finish: async () => {
            const out = s.output;
            if (kind === 'keygen') key = out as KeygenOutput;
            else if (kind === 'presign') presigs.set(sidHex, out as PresignOutput);
            else if (kind === 'aux') {
              const a = out as AuxInfo;
              if (a.parties.length !== 2) throw new Error('aux: expected two parties');
            }
          },
        },
      ],
      remote: [{ id: SERVICE, link }],
      stallMs: 600_000,
    });
  } finally {
    setModexpObserver(undefined);
  }
  return { ms: performance.now() - t0, rounds, ...(profiling ? { modexp: [...rows.values()] } : {}) };
}

async function handle(req: WorkerRequest): Promise<unknown> {
  switch (req.op) {
    case 'micro':
      return sample(micro(req.name, req.p, req.q, req.expect), req.iterations, req.time, req.warmup);
    case 'connect': {
      link = connectLink(connectWebSocket(req.url), { identityKey: hexToBytes(req.identityKey), serverPub: hexToBytes(req.serverPub) });
      auxInfo = auxFromJson(req.aux as AuxJson);
      digest = hexToBytes(req.digest);
      return true;
    }
    case 'prepared': {
      // the prepared key of the page's AuxPreparation: shape-checked there, fully re-checked by the aux session's validateInput here
      const profile = getProfile('default');
      const key = PaillierSecretKey.fromValidatedPrimes(big(req.p), big(req.q), profile);
      // with AuxPreparation's ring-Pedersen (s, t, λ) and Πprm pool when it made them (rebuilt and shape-checked here)
      prepared = req.input === undefined ? { profile: 'default', key } : { ...(inputFromPlain('aux', req.input) as AuxInput), key };
      return true;
    }
    case 'session':
      return session(req.kind, req.sid, req.presignSid);
    case 'profile':
      profiling = req.on;
      return true;
    case 'prepare': {
      if (!auxInfo) throw new Error('connect first');
      mathPool ??= createBrowserMathPool(req.poolWorkerUrl, { size: req.size });
      return mathPool.preparePresign(auxInfo, { presigns: req.presigns, signers: [SERVICE, DEVICE] });
    }
  }
}

self.addEventListener('message', (ev: MessageEvent<WorkerRequest & { id: number }>) => {
  const { id } = ev.data;
  handle(ev.data).then(
    (value) => self.postMessage({ id, ok: true, value } satisfies WorkerReply),
    (e: unknown) => self.postMessage({ id, ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) } satisfies WorkerReply),
  );
});
