/**
 * Keygen, presign and sign in real Web Workers inside headless Chromium (Debian's `chromium`,
 * driven by playwright-core). The bundle (page: test/helpers/browser-page.ts, worker:
 * workers/browser/worker.ts) is built with esbuild into a temp dir and served on 127.0.0.1.
 * Asserts: the signature verifies (noble and OpenSSL, in Node, on the returned r, s, key), and no
 * main-thread task longer than 50 ms ran during new-device setup (the math pool's parallel safe-prime
 * race, a cancelled search → ABORTED with its workers stopped, aux in the workers) nor while presign +
 * sign were running (Long Tasks API; the page
 * first proves the observer sees a deliberate 120 ms task). Aux info comes from the TEST primes.
 * Chromium missing: "skipped: install chromium" on a developer's machine; a failure with CI=true
 * (.ci/run installs it and sets CI=true).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSafePrime } from '../src/bigint/primes.js';
import { bytesToNumberBE, concatBytes, hexToBytes } from '../src/bytes.js';
import { sha256 } from '../src/hash.js';
import { auxFixtures } from './helpers/aux-fixtures.js';
import type { AuxJson, ScenarioResult } from './helpers/browser-page.js';
import { verifyDigest } from './helpers/openssl-verify.js';
import { haveSystemPackage } from './helpers/system-package.js';
import { nobleVerify, opensslVerify } from './helpers/verify-signature.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('..', import.meta.url));

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.map': 'application/json' };

const RUN = haveSystemPackage('chromium', existsSync(CHROMIUM), CHROMIUM);

describe.skipIf(!RUN)('browser: Web Workers in headless Chromium', () => {
  let dir: string;
  let profile: string;
  let server: Server;
  let base: string;
  let browser: BrowserContext | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tkey-tss-browser-'));
    profile = mkdtempSync(join(tmpdir(), 'tkey-tss-chromium-profile-'));
    await build({
      entryPoints: { page: join(ROOT, 'test/helpers/browser-page.ts'), worker: join(ROOT, 'workers/browser/worker.ts') },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      outdir: dir,
      logLevel: 'error',
    });
    writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>tkey-tss workers</title><script type="module" src="/page.js"></script>');
    const aux = auxFixtures([1, 2]);
    const h = (x: bigint) => x.toString(16);
    const json: AuxJson[] = [...aux.values()].map((a) => ({
      profile: a.profile,
      self: a.self,
      secret: { p: h(a.secret.p), q: h(a.secret.q), lambda: h(a.secret.lambda) },
      parties: a.parties.map((e) => ({ id: e.id, N: h(e.N), s: h(e.s), t: h(e.t) })),
    }));
    writeFileSync(join(dir, 'fixture.json'), JSON.stringify({ label: 'TEST DATA ONLY: aux info from the pregenerated test primes', aux: json }));
    server = createServer((req, res) => {
      const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
      const file = join(dir, path === '/' ? 'index.html' : path);
      if (!file.startsWith(dir) || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(readFileSync(file));
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // a fresh, empty --user-data-dir: playwright takes it as the persistent context's directory
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((res) => (server ? server.close(() => res()) : res()));
    for (const d of [dir, profile]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('runs new-device setup, keygen and sign in Web Workers; the signature verifies and the main thread never blocks > 50 ms during setup or signing', async () => {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${base}/`);
    await page.waitForFunction(() => typeof (globalThis as { runScenario?: unknown }).runScenario === 'function');
    const fixture = JSON.parse(readFileSync(join(dir, 'fixture.json'), 'utf8')) as { aux: AuxJson[] };
    const r = (await page.evaluate(
      async (f) => (globalThis as unknown as { runScenario: (x: unknown) => Promise<unknown> }).runScenario(f),
      { aux: fixture.aux, workerUrl: `${base}/worker.js` },
    )) as ScenarioResult;
    expect(errors).toEqual([]);

    // the workers ran the rounds: keygen 4 + presign 5 + sign 2 rounds, start and end, two parties
    expect(r.progressEvents).toBe(2 * 2 * (4 + 5 + 2));
    // the signature verifies (checked here in Node, on what the page returned)
    const Y = hexToBytes(r.publicKey);
    const digest = hexToBytes(r.digest);
    const message = hexToBytes(r.message);
    expect(sha256(message)).toEqual(digest);
    const sig = concatBytes(hexToBytes(r.r), hexToBytes(r.s));
    expect(nobleVerify(digest, sig, Y)).toBe(true);
    expect(opensslVerify(message, sig, Y)).toBe(true);
    expect(verifyDigest(digest, bytesToNumberBE(hexToBytes(r.r)), bytesToNumberBE(hexToBytes(r.s)), Y)).toBe(true);

    // responsiveness: the observer works (it saw the deliberate 120 ms task) and saw none while signing
    expect(r.probeSeen).toBe(true);
    expect(r.longTasksDuringSigning).toEqual([]);
    // new-device setup ran in the workers too: the race returned valid distinct safe primes with a
    // progress event each, the cancelled search was ABORTED and its workers stopped, aux finished,
    // and the main thread never blocked > 50 ms meanwhile
    expect(r.poolSize).toBeGreaterThanOrEqual(1);
    expect(r.setupPrimes).toHaveLength(2);
    expect(new Set(r.setupPrimes).size).toBe(2);
    for (const h of r.setupPrimes) {
      const p = BigInt('0x' + h);
      expect(p.toString(2).length).toBe(256);
      expect(isSafePrime(p)).toBe(true);
    }
    expect(r.setupFound).toBe(2);
    expect(r.abortCode).toBe('ABORTED');
    expect(r.aliveAfterAbort).toBe(0);
    expect(r.auxParties).toBe(2);
    expect(r.longTasksDuringSetup).toEqual([]);
    console.log(`browser: setup (pool race, cancel, aux in workers) ${r.phasesMs.setup.toFixed(0)} ms, keygen ${r.phasesMs.keygen.toFixed(0)} ms, presign+sign ${r.phasesMs.signing.toFixed(0)} ms, max heartbeat gap ${r.maxHeartbeatGapMs.toFixed(1)} ms`);
    await page.close();
  });
});
