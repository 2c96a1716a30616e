/**
 * Web Worker of `test/bigint-wasm-browser.test.ts`: the WebAssembly kernel (both builds) against
 * BigInt on seeded random operands, 512–4200-bit odd moduli, public and secret forms, and the
 * route `modPow` / `modPowSecret` take in a worker (no node:crypto: the portable route).
 */
import { choosePortable, modPow, modPowSecret } from '../../src/bigint/modexp.js';
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
      out.checked++;
    }
  }
  resetWasmKernel();
  const m = (1n << 2048n) - 159n;
  out.route = choosePortable(m - 2n, m);
  const want = modPowPortable(3n, m - 2n, m);
  if (modPow(3n, m - 2n, m) !== want || modPowSecret(3n, m - 2n, m) !== want) out.mismatches.push('modPow / modPowSecret');
  return out;
}

self.onmessage = (ev: MessageEvent<{ runs: number }>) => {
  try {
    self.postMessage(run(ev.data.runs));
  } catch (err) {
    self.postMessage({ variants: [], checked: 0, mismatches: [String(err)], route: '' });
  }
};
