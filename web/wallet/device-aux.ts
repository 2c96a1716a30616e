/**
 * The device's Paillier keys (aux input) for the wallet page. Real key generation by default: the
 * two 1024-bit safe primes of each key are searched by EVERY Web Worker of a math pool at once
 * (`AuxPreparation` on `createBrowserMathPool(url, {size: coreCount()})`: a race, the first two
 * primes win, the other searches are stopped). The next key is prepared AHEAD of need — the first
 * at page start, the next as soon as one is taken — and held sealed until used; the page's thread
 * only runs the cheap shape checks, the full re-check (Miller–Rabin) runs with the aux session in
 * the device's worker. ONLY when the server says so (`/wallet/config.json` → `testPrimes: true`,
 * set by a test or the demo with `TKEY_DEMO_TEST_PRIMES=1`) the page takes the PUBLIC
 * pregenerated test primes instead — and says so in red.
 * @module
 */
import type { AuxInput } from '../../protocols/aux/messages.js';
import type { AuxPrepareProgress } from '../../protocols/aux/prepare.js';
import { AuxPreparation, coreCount, createBrowserMathPool } from '../../workers/browser/index.js';

export interface WalletConfig {
  testPrimes: boolean;
  workerUrl: string;
}

export interface DeviceAux {
  /** The next aux input (a fresh Paillier key each call). */
  next(onStatus: (s: string) => void): Promise<AuxInput>;
  readonly testPrimes: boolean;
}

/** Public test prime pairs served by the server in test mode only (hex). */
interface TestPrimesDoc {
  label: string;
  pairs: { p: string; q: string }[];
}

export async function deviceAux(cfg: WalletConfig): Promise<DeviceAux> {
  if (cfg.testPrimes) {
    const doc = (await (await fetch('./test-primes.json')).json()) as TestPrimesDoc;
    if (!doc.label.startsWith('TEST DATA ONLY')) throw new Error('test-primes.json: not a test-prime document');
    let i = 0;
    return {
      testPrimes: true,
      async next(onStatus) {
        const pair = doc.pairs[i++];
        if (!pair) throw new Error('no more test prime pairs');
        onStatus('Paillier key from the PUBLIC test primes (test mode)');
        // plain {p, q}: the checks (Miller–Rabin) run with the aux session in the device's worker, not here
        return { profile: 'default', key: { p: BigInt('0x' + pair.p), q: BigInt('0x' + pair.q) } };
      },
    };
  }
  const pool = createBrowserMathPool(new URL(cfg.workerUrl, location.href), { size: coreCount() });
  let listener: ((e: AuxPrepareProgress) => void) | undefined;
  const prepare = (): AuxPreparation => AuxPreparation.start({ pool, onProgress: (e) => listener?.(e) });
  let prep = prepare(); // at page start: ahead of need
  let found = 0;
  return {
    testPrimes: false,
    async next(onStatus) {
      if (prep.status !== 'running' && prep.status !== 'ready') prep = prepare(); // taken, failed or cancelled: a fresh one
      const t0 = performance.now();
      const say = (): void => onStatus(`searching two 1024-bit safe primes in ${pool.size} Web Workers… ${found}/2 found, ${Math.round((performance.now() - t0) / 1000)} s`);
      listener = (e) => {
        if (e.phase === 'primes') found = e.found;
        say();
      };
      const timer = setInterval(say, 1000);
      try {
        return await prep.take();
      } finally {
        clearInterval(timer);
        listener = undefined;
        found = 0;
      }
    },
  };
}
