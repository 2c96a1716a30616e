/**
 * The WebAssembly kernel in headless Chromium (Debian's `chromium`, playwright-core): on the page's
 * main thread it compiles synchronously (and is used), and in a Web Worker both builds (v128 and
 * scalar) equal BigInt on seeded random 512–4200-bit odd moduli, public and secret forms, with
 * `modPow` taking the kernel route. Chromium missing: "skipped: install chromium" outside CI.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { WasmWorkerResult } from './helpers/wasm-browser-worker.js';
import { haveSystemPackage } from './helpers/system-package.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUN = haveSystemPackage('chromium', existsSync(CHROMIUM), CHROMIUM);

describe.skipIf(!RUN)('wasm kernel in Chromium', () => {
  it('compiles on the main thread and equals BigInt in a Web Worker (both builds)', async () => {
    const profile = mkdtempSync(join(tmpdir(), 'tkey-tss-wasm-chromium-'));
    const out = await build({
      entryPoints: { page: join(ROOT, 'test/helpers/wasm-browser-page.ts'), worker: join(ROOT, 'test/helpers/wasm-browser-worker.ts') },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      outdir: '/',
      write: false,
      logLevel: 'error',
    });
    const files = new Map(out.outputFiles.map((f) => [f.path.slice(f.path.lastIndexOf('/')), f.text]));
    files.set('/index.html', '<!doctype html><meta charset="utf-8"><title>wasm kernel</title><script type="module" src="/page.js"></script>');
    const server: Server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const body = files.get(path === '/' ? '/index.html' : path);
      if (body === undefined) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': path.endsWith('.js') ? 'text/javascript' : 'text/html' }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/?runs=6`);
      await page.waitForFunction(() => (window as unknown as { __wasm?: unknown }).__wasm !== undefined, undefined, { timeout: 150_000 });
      const r = (await page.evaluate(() => (window as unknown as { __wasm: unknown }).__wasm)) as { main: { variant?: string; ok: boolean }; worker: WasmWorkerResult };
      expect(r.main).toEqual({ variant: 'simd', ok: true });
      expect(r.worker.mismatches).toEqual([]);
      expect(r.worker.variants).toEqual(['simd', 'scalar']);
      expect(r.worker.checked).toBe(12);
      expect(r.worker.route).toBe('wasm');
    } finally {
      await browser.close();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(profile, { recursive: true, force: true });
    }
  }, 180_000);
});
