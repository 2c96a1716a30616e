/**
 * Issue 12 item 1: the development web wallet page (web/wallet/) in headless Chromium, through its
 * whole flow, against the server `npm run demo:web` starts (src/client/demo/web.ts: `tkey-tss serve`
 * as its own process, development mode, development issuer): log in, create, show the key, sign a
 * personal message and EIP-712 typed data, list factors, add a recovery mnemonic, lose the device
 * (its localStorage cleared), recover with the 24 words, remove the lost device's factor, sign
 * again; then reload, log in again (the stored device factor opens the account) and sign. Every
 * signature is checked HERE, in Node (viem's recovery and noble's verify under the shown public
 * key), beside the page's own check. A screenshot of each step goes under the test's temp dir (printed). TKEY_DEMO_TEST_PRIMES=1:
 * the public test primes (the page must say so in red). Issue 13 item 2: no step has a main-thread
 * long task over MAIN_THREAD_TASK_MS (the device's rounds run in a Web Worker). Chromium missing: "skipped: install
 * chromium" on a developer's machine, a failure with CI=true.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { hashMessage, hashTypedData, recoverMessageAddress, recoverTypedDataAddress, type Hex } from 'viem';
import { publicKeyToAddress } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hexToBytes } from '../src/bytes.js';
import { haveSystemPackage } from './helpers/system-package.js';

const CHROMIUM = '/usr/bin/chromium';
const RUN = haveSystemPackage('chromium', existsSync(CHROMIUM), CHROMIUM);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WEB_DEMO = join(ROOT, 'src/client/demo/web.ts');
/**
 * The longest main-thread task a step may have (ms). With the device's rounds on the page's thread
 * (the original page) Chromium here showed aux rounds of 2–7.5 s and presign rounds of 0.7–2.5 s
 * (load 15); with them in the worker, relaying frames, the UI, metadata and viem's checks stayed
 * under 200 ms at the same load.
 */
const MAIN_THREAD_TASK_MS = 500;

interface SignatureRecord {
  kind: 'personal' | 'typed';
  message?: string;
  typedData?: Parameters<typeof hashTypedData>[0];
  signature: Hex;
  address: string;
  recovered: string;
  ok: boolean;
}

/** `npm run demo:web` (the same script), its page URL from its output. */
async function startWebDemo(dataDir: string): Promise<{ child: ChildProcess; url: string; out: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', WEB_DEMO], {
    cwd: ROOT,
    env: { ...process.env, TKEY_DATA_DIR: dataDir, TKEY_DEMO_TEST_PRIMES: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo:web printed no URL in 60 s:\n${out.join('')}`)), 60_000);
    const onData = (b: Buffer) => {
      out.push(b.toString('utf8'));
      const m = /open the wallet: (http:\/\/\S+\/wallet\/)/.exec(out.join(''));
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`demo:web exited (${code}) before printing the URL:\n${out.join('')}`));
    });
  });
  return { child, url, out };
}

describe.skipIf(!RUN)('the web wallet page in headless Chromium', () => {
  let tmp: string;
  let shots: string;
  let profile: string;
  let demo: { child: ChildProcess; url: string; out: string[] } | undefined;
  let browser: BrowserContext | undefined;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'tkey-tss-wallet-page-'));
    shots = join(tmp, 'screenshots');
    mkdirSync(shots);
    profile = join(tmp, 'chromium-profile');
    console.log(`wallet page screenshots: ${shots}`);
    demo = await startWebDemo(join(tmp, 'data'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1100, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    if (demo && demo.child.exitCode === null) {
      const exited = new Promise((r) => demo!.child.once('exit', r));
      demo.child.kill('SIGTERM');
      await exited;
    }
    // the screenshots stay (printed above); the server's data and the browser profile go
    if (tmp) for (const d of ['data', 'chromium-profile']) rmSync(join(tmp, d), { recursive: true, force: true });
  }, 30_000);

  it('logs in, creates, signs (EIP-191, EIP-712), adds a mnemonic, loses the device, recovers, removes the lost factor, signs again, comes back after a reload; every signature checked in Node', async () => {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    let n = 0;
    const shot = async (name: string) => page.screenshot({ path: join(shots, `${String(++n).padStart(2, '0')}-${name}.png`), fullPage: true });
    /** Click a button and wait for the page's step to end; it must end well. */
    const run = async (p: Page, id: string, timeout = 120_000) => {
      const before = Number((await p.getAttribute('body', 'data-steps')) ?? '0');
      await p.click(/^[a-z-]+$/.test(id) ? `#${id}` : id);
      await p.waitForFunction((b) => Number(document.body.dataset.steps ?? '0') > b, before, { timeout });
      const last = await p.getAttribute('body', 'data-last');
      if (last !== 'ok') throw new Error(`step #${id} failed on the page: ${await p.textContent('#status')}\n${await p.textContent('#log')}`);
    };
    const text = async (sel: string) => ((await page.textContent(sel)) ?? '').trim();

    await page.goto(demo!.url);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 60_000 });
    const banner = page.locator('#primes-banner');
    expect(await banner.textContent()).toMatch(/PUBLIC pregenerated test primes/);
    expect(await banner.evaluate((el) => getComputedStyle(el).color)).toBe('rgb(176, 0, 0)'); // red
    await shot('loaded');

    const sub = `wallet-test-${Date.now()}`;
    await page.fill('#subject', sub);
    await run(page, 'login');
    expect(await text('#login-info')).toContain(sub);
    await shot('logged-in');

    await run(page, 'create', 180_000);
    const address = await text('#address');
    const publicKey = await text('#public-key');
    expect(address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    const uncompressed = ('0x' + secp256k1.Point.fromHex(publicKey).toHex(false)) as Hex;
    expect(publicKeyToAddress(uncompressed)).toBe(address); // the address shown is the key's
    expect(await text('#threshold')).toMatch(/^2-of-3 shares/);
    await shot('account-created');

    const checked: SignatureRecord[] = [];
    /** The newest signature shown on the page, verified in Node. */
    const verifyLatest = async (kind: 'personal' | 'typed') => {
      const rec = JSON.parse((await page.locator('.sig').first().getAttribute('data-result'))!) as SignatureRecord;
      expect(rec.kind).toBe(kind);
      expect(rec.ok).toBe(true);
      expect(rec.address).toBe(address);
      const recovered = kind === 'personal' ? await recoverMessageAddress({ message: rec.message!, signature: rec.signature }) : await recoverTypedDataAddress({ ...rec.typedData!, signature: rec.signature });
      expect(recovered).toBe(address);
      const digest = kind === 'personal' ? hashMessage(rec.message!) : hashTypedData(rec.typedData!);
      const sig = hexToBytes(rec.signature.slice(2));
      expect(secp256k1.verify(sig.subarray(0, 64), hexToBytes(digest.slice(2)), hexToBytes(publicKey), { prehash: false, lowS: true })).toBe(true);
      expect(sig[64] === 27 || sig[64] === 28).toBe(true);
      expect(checked.some((c) => c.signature === rec.signature)).toBe(false);
      checked.push(rec);
    };

    await page.fill('#message', `first message from ${sub}`);
    await run(page, 'sign-message');
    await verifyLatest('personal');
    await shot('signed-message');
    await run(page, 'sign-typed');
    await verifyLatest('typed');
    await shot('signed-typed-data');

    await run(page, 'list-factors');
    const factorRows = async () => page.locator('#factors tbody tr').allTextContents();
    expect((await factorRows()).map((r) => r.slice(0, 1))).toEqual(['2', '3']);
    await shot('factors');

    await run(page, 'add-mnemonic', 180_000);
    const words = await text('#words');
    expect(words.split(/\s+/)).toHaveLength(24);
    expect((await factorRows()).map((r) => r.slice(0, 1)).sort()).toEqual(['2', '3', '4']);
    await shot('mnemonic-added');

    await run(page, 'lose');
    expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('tkey-tss-wallet/')))).toEqual([]);
    expect(await page.locator('#account').isHidden()).toBe(true);
    expect(await page.locator('.sig').count()).toBe(0);
    await shot('device-lost');

    await page.fill('#recover-words', words);
    await run(page, 'recover', 180_000);
    expect(await text('#address')).toBe(address);
    expect(await text('#public-key')).toBe(publicKey);
    expect(await text('#signing')).toBe('4');
    expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('tkey-tss-wallet/')).length)).toBe(1); // the new device factor
    await shot('recovered');

    // the lost device's factor (share 2) is removed: a refresh; the key stays
    await run(page, '.remove-factor[data-index="2"]', 180_000);
    expect((await factorRows()).map((r) => r.slice(0, 1)).sort()).toEqual(['3', '4', '4']);
    expect(await text('#public-key')).toBe(publicKey);
    await shot('lost-device-factor-removed');

    await page.fill('#message', `signed after recovery by ${sub}`);
    await run(page, 'sign-message');
    await verifyLatest('personal');
    await run(page, 'sign-typed');
    await verifyLatest('typed');
    await shot('signed-after-recovery');

    // nothing heavy ran on the page's thread: the device's rounds (aux proofs of seconds, presign
    // rounds of hundreds of ms) run in its Web Worker; the page only relays frames. Chromium's
    // long-task entries of the steps (the page's own bundle start-up excepted) stay short.
    const tasks = await page.evaluate(() => (globalThis as { walletLongTasks?: { start: number; ms: number; step: string }[] }).walletLongTasks ?? null);
    expect(tasks, 'the page records its long tasks').not.toBeNull();
    console.log(`wallet page long tasks (> 50 ms) during steps: ${JSON.stringify(tasks!.filter((t) => t.step !== 'start'))}`);
    expect(tasks!.filter((t) => t.step !== 'start' && t.step !== 'idle' && t.ms > MAIN_THREAD_TASK_MS)).toEqual([]);

    // the recovered device comes back: a reload, the same login, its stored factor opens the account
    await page.reload();
    await page.waitForSelector('body[data-ready="1"]', { timeout: 60_000 });
    await page.fill('#subject', sub);
    await run(page, 'login');
    expect(await text('#address')).toBe(address);
    await page.fill('#message', `signed by the returning device of ${sub}`);
    await run(page, 'sign-message');
    await verifyLatest('personal');
    await shot('returning-device-signed');

    expect(checked).toHaveLength(5);
    expect(errors).toEqual([]);
    await page.close();
  }, 600_000);
});
