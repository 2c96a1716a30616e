/**
 * The Node side of the browser benchmarks: bundles the page, the bench worker and the party
 * worker with esbuild into a temp dir, serves them on 127.0.0.1, starts the service party's bus
 * endpoint (`listenLinks`: WebSocket on loopback, the secure channel), launches Debian's Chromium
 * headless through playwright-core (the flags of test/browser.test.ts) and runs cases in it.
 * The Node party (party 1) runs each session the page asks for (`tkeyNodeParty`) against the
 * device party (party 2) in the page's bench worker. Used by `bench/browser/run.ts` and
 * `test/bench-browser.test.ts`.
 * @module
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { bytesToHex, hexToBytes, utf8ToBytes } from '../../src/bytes.js';
import { Identity } from '../../src/bus/secure-channel.js';
import { runSessions, type Link } from '../../src/bus/session-link.js';
import { listenLinks, type NodeLinkServer } from '../../src/bus/ws-node.js';
import { sha256 } from '../../src/hash.js';
import { modPow, setModexpBackend } from '../../src/bigint/modexp.js';
import { cryptoRng, randomBelow, seededRng } from '../../src/rng.js';
import { aux as auxProtocol, type AuxInput } from '../../protocols/aux/index.js';
import type { AuxInfo } from '../../protocols/aux/types.js';
import { keygen, type KeygenOutput } from '../../protocols/keygen/index.js';
import { presign, type PresignOutput } from '../../protocols/presign/index.js';
import { Session, type ProgressEvent } from '../../protocols/session.js';
import { sign } from '../../protocols/sign/index.js';
import type { Protocol } from '../../protocols/types.js';
import { auxFixtures } from '../../test/helpers/aux-fixtures.js';
import { testPrimePairs } from '../../test/helpers/test-primes.js';
import { entryOf, type Entry } from '../measure.js';
import type { CaseResult, InitOptions } from './page.js';
import { auxToJson, DEVICE, PARTIES, SERVICE, type BrowserCase, type SessionKind, type SessionTiming } from './protocol.js';

export const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.map': 'application/json' };
/** The flags of test/browser.test.ts. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface BrowserBench {
  /** navigator.hardwareConcurrency in the page (the math pool's size for setup-aux). */
  readonly workers: number;
  /** `profile`: record the device's exponentiations per round (CaseResult.modexp). */
  run(c: Pick<BrowserCase, 'name' | 'iterations' | 'time' | 'warmup'>, opts?: { profile?: boolean }): Promise<{ entry: Entry; result: CaseResult }>;
  close(): Promise<void>;
}

/** The service side: party 1 of every session, on the Node main thread (OpenSSL), over the device's link. */
class NodeParty {
  key: KeygenOutput | undefined;
  readonly aux: Map<number, AuxInfo>;
  readonly presigs = new Map<string, PresignOutput>();
  readonly link: Promise<Link>;
  readonly digest = sha256(utf8ToBytes('benchmark message'));
  /** The service's long-lived Paillier key (TEST primes), re-proven in every aux session. */
  readonly serviceAux: AuxInput;

  constructor(server: NodeLinkServer) {
    this.aux = auxFixtures([SERVICE, DEVICE]);
    const pair = testPrimePairs(1024)[7]!;
    this.serviceAux = { profile: 'default', key: pair };
    this.link = new Promise((resolve) => server.links.onLink(resolve));
  }

  #input(kind: SessionKind, presignSid?: string): unknown {
    if (kind === 'keygen') return {};
    if (kind === 'aux') return this.serviceAux;
    const k = this.key;
    if (!k) throw new Error('keygen first');
    if (kind === 'presign') return { publicKey: k.publicKey, epoch: k.epoch, publicShares: k.publicShares, share: k.shares.export(SERVICE), aux: this.aux.get(SERVICE)! };
    const pre = this.presigs.get(presignSid ?? '');
    if (!pre) throw new Error(`no presignature ${presignSid}`);
    this.presigs.delete(presignSid!);
    return { presignature: pre.presignature, digest: this.digest, publicKey: pre.publicKey, epoch: pre.epoch };
  }

  async run(kind: SessionKind, sidHex: string, presignSid?: string): Promise<SessionTiming> {
    const link = await this.link;
    const sid = hexToBytes(sidHex);
    const protocol = { keygen, aux: auxProtocol, presign, sign }[kind] as unknown as Protocol<unknown, unknown, unknown>;
    const t0 = performance.now();
    const rounds: Record<number, number> = {};
    const onProgress = (e: ProgressEvent): void => void (e.phase === 'end' && (rounds[e.round] = e.ms ?? 0));
    const s = Session.create(protocol, { sid, self: SERVICE, parties: PARTIES, threshold: 2 }, this.#input(kind, presignSid), { rng: cryptoRng, onProgress });
    await runSessions({
      sid,
      protocol: protocol.name,
      local: [
        {
          id: SERVICE,
          session: s,
          finish: async () => {
            if (kind === 'keygen') this.key = s.output as KeygenOutput;
            if (kind === 'presign') this.presigs.set(sidHex, s.output as PresignOutput);
          },
        },
      ],
      remote: [{ id: DEVICE, link }],
      stallMs: 600_000,
    });
    return { ms: performance.now() - t0, rounds };
  }
}

function serve(dir: string): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(dir, path === '/' ? 'index.html' : path);
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

/** Build, serve, launch; `pool`: start the math pool (needed by browser/setup-aux only). */
export async function startBrowserBench(opts: { pool?: boolean; chromium?: string } = {}): Promise<BrowserBench> {
  const dir = mkdtempSync(join(tmpdir(), 'tkey-tss-bench-browser-'));
  const profile = mkdtempSync(join(tmpdir(), 'tkey-tss-chromium-profile-'));
  let browser: BrowserContext | undefined;
  let http: { server: Server; base: string } | undefined;
  let bus: NodeLinkServer | undefined;
  const close = async (): Promise<void> => {
    await browser?.close().catch(() => undefined);
    await bus?.close();
    await new Promise<void>((res) => (http ? http.server.close(() => res()) : res()));
    rmSync(dir, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  };
  try {
    await build({
      entryPoints: { page: join(ROOT, 'bench/browser/page.ts'), 'bench-worker': join(ROOT, 'bench/browser/bench-worker.ts'), worker: join(ROOT, 'workers/browser/worker.ts') },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      outdir: dir,
      logLevel: 'error',
    });
    writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>tkey-tss bench</title><script type="module" src="/page.js"></script>');
    http = await serve(dir);
    const serviceKey = cryptoRng.bytes(32);
    bus = await listenLinks({ identityKey: serviceKey });
    const party = new NodeParty(bus);
    browser = await chromium.launchPersistentContext(profile, { executablePath: opts.chromium ?? CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const page: Page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.exposeFunction('tkeyNodeParty', (kind: SessionKind, sid: string, presignSid?: string) => party.run(kind, sid, presignSid));
    await page.goto(`${http.base}/`);
    await page.waitForFunction(() => typeof (globalThis as { benchBrowser?: unknown }).benchBrowser === 'object');
    const { p, q } = testPrimePairs(1024)[0]!;
    // the operands of bench/bigint.bench.ts (same seed), computed here with OpenSSL for the cross-check
    const n = p * q;
    const rng = seededRng('bench/bigint');
    const e2048 = (1n << 2046n) + randomBelow(rng, n - (1n << 2046n));
    const b2048 = randomBelow(rng, n);
    const b4096 = randomBelow(rng, n * n);
    setModexpBackend('native');
    const expect = { 'browser/modexp/2048': modPow(b2048, e2048, n).toString(16), 'browser/modexp/4096': modPow(b4096, n, n * n).toString(16) };
    setModexpBackend('auto');
    const init: InitOptions = {
      benchWorkerUrl: `${http.base}/bench-worker.js`,
      poolWorkerUrl: `${http.base}/worker.js`,
      pool: opts.pool === true,
      primes: { p: p.toString(16), q: q.toString(16) },
      expect,
      connect: {
        url: bus.url,
        identityKey: bytesToHex(cryptoRng.bytes(32)),
        serverPub: bytesToHex(new Identity(serviceKey).publicKey),
        aux: auxToJson(party.aux.get(DEVICE)!),
        digest: bytesToHex(party.digest),
      },
    };
    const { workers } = (await page.evaluate((o) => (globalThis as unknown as { benchBrowser: { init(o: InitOptions): Promise<{ workers: number }> } }).benchBrowser.init(o), init)) as { workers: number };
    return {
      workers,
      async run(c, ro = {}) {
        const result = (await page.evaluate(
          (a) => (globalThis as unknown as { benchBrowser: { runCase(n: string, i: number, t: number, w: number, p: boolean): Promise<CaseResult> } }).benchBrowser.runCase(a.name, a.iterations, a.time, a.warmup, a.profile),
          { name: c.name, iterations: c.iterations, time: c.time, warmup: c.warmup, profile: ro.profile === true },
        )) as CaseResult;
        if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
        return { entry: entryOf(c.name, result.samples), result };
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
