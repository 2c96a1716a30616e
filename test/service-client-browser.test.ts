/**
 * Issue 11 item 5: `connectService` in headless Chromium against the real server on loopback — the
 * browser's own WebSocket (the bundle holds no `ws`), the secure channel, a login with an ID token
 * bound to the page's device key, a call the server authorizes (FORBIDDEN: the account belongs to
 * nobody this login owns), a dropped connection resumed without a new token.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesToHex } from '../src/bytes.js';
import { Identity } from '../src/bus/secure-channel.js';
import { serviceServer, testIssuer, type ServiceServer, type TestIssuer } from './helpers/service-server.js';
import { haveSystemPackage } from './helpers/system-package.js';

const CHROMIUM = '/usr/bin/chromium';
const RUN = haveSystemPackage('chromium', existsSync(CHROMIUM), CHROMIUM);
const PAGE = fileURLToPath(new URL('./helpers/service-client-page.ts', import.meta.url));

describe.skipIf(!RUN)('connectService in headless Chromium', () => {
  let profile: string;
  let browser: BrowserContext | undefined;
  let srv: ServiceServer;
  let iss: TestIssuer;
  let js: string;
  let pages: Server;
  let base: string;

  beforeAll(async () => {
    iss = await testIssuer();
    srv = await serviceServer({ oidcIssuers: [iss.config()] });
    const r = await build({ entryPoints: [PAGE], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'error' });
    js = r.outputFiles[0]!.text;
    // the page comes from its own origin on loopback (like a wallet's page beside the server)
    pages = createServer((req, res) => {
      if (req.url === '/page.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>');
    });
    await new Promise<void>((res) => pages.listen(0, '127.0.0.1', res));
    base = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
    profile = mkdtempSync(join(tmpdir(), 'tkey-tss-chromium-profile-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await srv?.close();
    await iss?.close();
    await new Promise<void>((res) => (pages ? pages.close(() => res()) : res()));
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('logs in over the browser WebSocket, is authorized by the server, resumes after a drop without a new token', async () => {
    expect(js).not.toMatch(/WebSocketServer|ws does not work in the browser/);
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.exposeFunction('mintToken', (nonce: string) => iss.token({ sub: 'erin', claims: { nonce } }));
    page.on('console', (m) => errors.push(`console.${m.type()}: ${m.text()}`));
    await page.goto(`${base}/`);
    await page.waitForFunction(() => typeof (globalThis as { probe?: unknown }).probe === 'function');
    const account = bytesToHex(new Identity(new Uint8Array(32).fill(77)).publicKey); // an account nobody owns
    const r = (await page.evaluate((a) => window.probe(a), { url: srv.url, busPub: bytesToHex(srv.busPub), account })) as Record<string, unknown>;
    expect(errors).toEqual([]);
    expect(r).toEqual({ subject: { iss: iss.iss, sub: 'erin' }, identityPub: bytesToHex(srv.party.identityPub), first: 'FORBIDDEN', second: 'FORBIDDEN', tokens: 1, hasGlobalWebSocket: true });
    expect(await srv.shares.accounts()).toEqual([]); // nothing ran
    await page.close();
  }, 60_000);
});
