/**
 * Page of `test/bigint-wasm-browser.test.ts`: loads the kernel on the main thread (it must compile
 * synchronously there: the module is under the main thread's 4 KB limit), then runs the
 * cross-check in a Web Worker and leaves both results on `window.__wasm`.
 */
import { modPowPortable } from '../../src/bigint/portable.js';
import { wasmKernel, wasmVariant } from '../../src/bigint/wasm/kernel.js';
import type { WasmWorkerResult } from './wasm-browser-worker.js';

const w = window as unknown as { __wasm?: { main: { variant: string | undefined; ok: boolean }; worker: WasmWorkerResult } };
const k = wasmKernel();
const m = (1n << 1024n) - 105n;
const main = { variant: wasmVariant(), ok: k !== undefined && k.pow(7n, m - 2n, m, true) === modPowPortable(7n, m - 2n, m) };
const worker = new Worker('/worker.js', { type: 'module' });
worker.onmessage = (ev: MessageEvent<WasmWorkerResult>) => {
  w.__wasm = { main, worker: ev.data };
};
worker.postMessage({ runs: Number(new URL(location.href).searchParams.get('runs') ?? '6') });
