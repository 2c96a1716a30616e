/**
 * Web Worker of `test/bigint-wasm-browser.test.ts`: the WebAssembly kernel (both builds) against
 * BigInt on seeded random operands, 512–4200-bit odd moduli, public and secret forms, resident
 * fixed-base tables (`combPow`), and the route `modPow` / `modPowSecret` / `FixedBaseTable.powSecret`
 * take in a worker (no node:crypto: the portable route).
 */
import { modInv } from '../../src/bigint/arith.js';
import { choosePortable, FixedBaseTable, modPow, modPowSecret, setModexpObserver } from '../../src/bigint/modexp.js';
import { modPowPortable } from '../../src/bigint/portable.js';
import { resetWasmKernel, wasmKernel, wasmVariant } from '../../src/bigint/wasm/kernel.js';
import { randomBelow, seededRng } from '../../src/rng.js';

export interface WasmWorkerResult {
  variants: string[];
  checked: number;
  mismatches: string[];
  route: string;
}

function run(runs: number): WasmWorkerResult {
  const rng = seededRng('wasm-browser');
  const out: WasmWorkerResult = { variants: [], checked: 0, mismatches: [], route: '' };
  for (const scalar of [false, true]) {
    resetWasmKernel({ scalar });
    const k = wasmKernel();
    if (!k) {
      out.mismatches.push(`kernel (scalar ${scalar}) did not load`);
      continue;
    }
    out.variants.push(wasmVariant() ?? '?');
    for (let i = 0; i < runs; i++) {
      const bits = 512 + Number(randomBelow(rng, 3689n));
      const m = randomBelow(rng, 1n << BigInt(bits)) | 1n | (1n << BigInt(bits - 1));
      const b = i === 0 ? m - 1n : randomBelow(rng, m);
      const e = 1n + randomBelow(rng, 1n << BigInt(1 + Number(randomBelow(rng, 2200n))));
      const want = modPowPortable(b, e, m);
      if (k.pow(b, e, m, false) !== want) out.mismatches.push(`public ${bits} bits (scalar ${scalar})`);
      if (k.pow(b, e, m, true) !== want) out.mismatches.push(`secret ${bits} bits (scalar ${scalar})`);
      // a resident fixed-base table for b (window 1–6, exponents up to e's length)
      if (b > 1n) {
        const t = k.fixedBase(b, m, Math.max(64, e.toString(2).length), 1 + (i % 6));
        if (!t || k.combPow(t, e) !== want) out.mismatches.push(`comb ${bits} bits (scalar ${scalar})`);
      }
      out.checked++;
    }
  }
  resetWasmKernel();
  const m = (1n << 2048n) - 159n;
  out.route = choosePortable(m - 2n, m);
  const want = modPowPortable(3n, m - 2n, m);
  if (modPow(3n, m - 2n, m) !== want || modPowSecret(3n, m - 2n, m) !== want) out.mismatches.push('modPow / modPowSecret');
  const routes: string[] = [];
  setModexpObserver((x) => routes.push(x.route));
  const fixed = new FixedBaseTable(3n, m, 2048, 4);
  if (fixed.powSecret(m - 2n) !== want || fixed.powSecret(-(m - 2n)) !== modPowPortable(modInv(3n, m), m - 2n, m) || routes.join() !== 'wasm-comb,wasm-comb') {
    out.mismatches.push(`FixedBaseTable.powSecret (routes ${routes.join()})`);
  }
  setModexpObserver(undefined);
  return out;
}

self.onmessage = (ev: MessageEvent<{ runs: number }>) => {
  try {
    self.postMessage(run(ev.data.runs));
  } catch (err) {
    self.postMessage({ variants: [], checked: 0, mismatches: [String(err)], route: '' });
  }
};
