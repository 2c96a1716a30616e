/**
 * `npm run demo:web`: the development web wallet. Starts `tkey-tss serve` (metadata + co-signing
 * service, development mode, the development issuer on, embedded store and a fresh KEK in a new
 * directory under `$TKEY_DATA_DIR`, default `./.tkey-data`) as its own process and prints the page's
 * URL (`<server>/wallet/`, served only in development mode); Ctrl-C stops it. `TKEY_PORT` picks the
 * port (default any free one). `TKEY_DEMO_TEST_PRIMES=1` (tests only): the service and the page use
 * the PUBLIC test primes (the page says so in red).
 * @module
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesToHex } from '../../bytes.js';
import { cryptoRng } from '../../rng.js';
import { TEST_PRIMES } from './primes.js';
import { DemoServer } from './server-process.js';

async function main(): Promise<void> {
  const base = resolve(process.env.TKEY_DATA_DIR ?? './.tkey-data');
  const dir = join(base, `web-wallet-${new Date().toISOString().replace(/[:.]/g, '-')}-${bytesToHex(cryptoRng.bytes(3))}`);
  const primesFile = TEST_PRIMES ? fileURLToPath(new URL('../../../test-vectors/primes/safe-primes-1024.json', import.meta.url)) : undefined;
  const server = new DemoServer({ dir: join(dir, 'server'), ...(process.env.TKEY_PORT ? { port: Number(process.env.TKEY_PORT) } : {}), ...(primesFile ? { primesFile } : {}) });
  console.log('tkey-tss: the development web wallet (server in development mode, development issuer on)');
  console.log(`data directory: ${dir}`);
  if (TEST_PRIMES) console.log('TKEY_DEMO_TEST_PRIMES=1: PUBLIC TEST PRIMES — for tests only, never for a real key');
  const url = await server.start();
  console.log(`server pid ${server.pid}: ${url}`);
  console.log(`open the wallet: ${url}/wallet/`);
  console.log('Ctrl-C stops the server');
  const stop = (): void => {
    void server.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
