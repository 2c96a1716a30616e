/**
 * The development web wallet page (`web/wallet/`), served by the server in DEVELOPMENT mode only
 * (`buildServer` registers it when `mode` is `development`; never in production):
 *
 *   GET /wallet              → 302 /wallet/
 *   GET /wallet/             → the page (web/wallet/index.html)
 *   GET /wallet/app.js       → web/wallet/main.ts bundled for the browser (esbuild, ESM)
 *   GET /wallet/worker.js    → workers/browser/worker.ts bundled (the device's Web Workers)
 *   GET /wallet/config.json  → {testPrimes, workerUrl}
 *   GET /wallet/test-primes.json → two PUBLIC test prime pairs, ONLY when `testPrimes`
 *
 * The bundle is built once, at the first request (esbuild is a development dependency: imported
 * only here, lazily), from the source checkout; without the sources (an installed package) the
 * routes answer 404 `NOT_FOUND` saying so. `testPrimes` comes from `TKEY_DEMO_TEST_PRIMES=1` (set
 * only by the wallet page's test and `npm run demo:web` when asked): the page then takes the public
 * pregenerated test primes for the device's Paillier keys and says so in red.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { errorBody } from '../http-errors.js';

const ROOT = new URL('../../../', import.meta.url);
const PAGE_DIR = fileURLToPath(new URL('web/wallet/', ROOT));
const WORKER = fileURLToPath(new URL('workers/browser/worker.ts', ROOT));
const TEST_PRIMES = fileURLToPath(new URL('test-vectors/primes/safe-primes-1024.json', ROOT));

export interface WalletPageOptions {
  /** Serve the public test primes (the page says so in red). */
  testPrimes: boolean;
}

interface Bundle {
  app: string;
  worker: string;
}

/** True when this process runs from a checkout holding the page's sources. */
export const walletSourcesPresent = (): boolean => existsSync(`${PAGE_DIR}main.ts`) && existsSync(WORKER);

async function bundle(): Promise<Bundle> {
  const name = 'esbuild'; // a development dependency: loaded only in development mode, on demand
  const { build } = (await import(name)) as typeof import('esbuild');
  const r = await build({
    entryPoints: { app: `${PAGE_DIR}main.ts`, worker: WORKER },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    outdir: 'out',
    logLevel: 'error',
  });
  const out = (n: string): string => r.outputFiles.find((f) => f.path.endsWith(`${n}.js`))!.text;
  return { app: out('app'), worker: out('worker') };
}

export function registerWalletPage(app: FastifyInstance, opts: WalletPageOptions): void {
  let built: Promise<Bundle> | undefined;
  const present = walletSourcesPresent();
  const missing = (reply: FastifyReply) => reply.status(404).send(errorBody('NOT_FOUND', 'the wallet page runs from the source checkout (npm run demo:web); its sources are not here'));
  const js = async (reply: FastifyReply, which: keyof Bundle) => {
    if (!present) return missing(reply);
    built ??= bundle();
    built.catch(() => (built = undefined)); // a failed build is retried on the next request
    return reply.header('content-type', 'text/javascript; charset=utf-8').header('cache-control', 'no-store').send((await built)[which]);
  };
  app.get('/wallet', async (_req, reply) => reply.redirect('/wallet/'));
  app.get('/wallet/', async (_req, reply) => {
    if (!present) return missing(reply);
    return reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(readFileSync(`${PAGE_DIR}index.html`, 'utf8'));
  });
  app.get('/wallet/app.js', async (_req, reply) => js(reply, 'app'));
  app.get('/wallet/worker.js', async (_req, reply) => js(reply, 'worker'));
  app.get('/wallet/config.json', async () => ({ testPrimes: opts.testPrimes, workerUrl: './worker.js' }));
  if (opts.testPrimes) {
    app.get('/wallet/test-primes.json', async (_req, reply) => {
      const doc = JSON.parse(readFileSync(TEST_PRIMES, 'utf8')) as { label: string; pairs: { p: string; q: string }[] };
      // pair 0 is the demo service's key (TKEY_SERVICE_PRIMES_FILE); the device takes pairs 1 and 2
      return reply.header('cache-control', 'no-store').send({ label: doc.label, pairs: doc.pairs.slice(1, 3) });
    });
  }
}
