/**
 * The device's Paillier keys (aux input) for the wallet page. Real key generation by default: the
 * two 1024-bit safe primes of each key are searched in Web Workers (`createBrowserMathPool`, the
 * pool's prime hook routes `prepareAuxInput` there; each result is re-verified on the main thread).
 * ONLY when the server says so (`/wallet/config.json` → `testPrimes: true`, set by a test or the demo
 * with `TKEY_DEMO_TEST_PRIMES=1`) the page takes the PUBLIC pregenerated test primes instead — and
 * says so in red.
 * @module
 */
import type { AuxInput } from '../../protocols/aux/messages.js';
import { prepareAuxInput } from '../../protocols/aux/prepare.js';
import { paillierFromPrimes } from '../../src/paillier/keys.js';
import { createBrowserMathPool, type MathPool } from '../../workers/browser/index.js';

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
        return { profile: 'default', key: paillierFromPrimes(BigInt('0x' + pair.p), BigInt('0x' + pair.q), 'default') };
      },
    };
  }
  let pool: MathPool | undefined;
  return {
    testPrimes: false,
    async next(onStatus) {
      pool ??= createBrowserMathPool(new URL(cfg.workerUrl, location.href));
      const undo = pool.installPrimeHook();
      const t0 = performance.now();
      const timer = setInterval(() => onStatus(`searching two 1024-bit safe primes in ${pool!.size} Web Workers… ${Math.round((performance.now() - t0) / 1000)} s`), 1000);
      try {
        return await prepareAuxInput('default');
      } finally {
        clearInterval(timer);
        undo();
      }
    },
  };
}
