/**
 * The browser story: bundle src/bigint + src/paillier for the browser with esbuild (present through
 * vitest/tsx), check the bundle never references node:crypto, and run it in a bare V8 context
 * without `process`, `Buffer` or `require` — only WebCrypto's getRandomValues — where everything
 * must run on the portable backend and give the same results as Node's native one.
 */
import { runInNewContext } from 'node:vm';
import { webcrypto } from 'node:crypto';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { modPow } from '../src/bigint/modexp.js';
import { testPaillierKey } from './helpers/test-primes.js';

const entry = `
  export * from './src/bigint/index.ts';
  export * from './src/paillier/index.ts';
  export { seededRng } from './src/rng.ts';
`;

describe('portable entry without node:crypto', () => {
  it('bundles for the browser and runs in a context without process/Buffer', async () => {
    const out = await build({
      stdin: { contents: entry, resolveDir: new URL('..', import.meta.url).pathname, loader: 'ts' },
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'lib',
      write: false,
      logLevel: 'silent',
    });
    const code = out.outputFiles[0]!.text;
    expect(code).not.toMatch(/require\(["']node:crypto["']\)|from ["']node:crypto["']/);

    const ctx: Record<string, unknown> = { crypto: webcrypto, TextEncoder, TextDecoder, console };
    runInNewContext(`${code}; globalThis.lib = lib;`, ctx);
    const lib = ctx.lib as typeof import('../src/bigint/index.js') & typeof import('../src/paillier/index.js') & typeof import('../src/rng.js');
    expect(lib.nativeAvailable()).toBe(false);

    const m = (1n << 2048n) - 159n;
    const e = (1n << 2040n) + 12345n;
    expect(lib.chooseBackend(e, m)).toBe('portable');
    expect(lib.modPow(7n, e, m)).toBe(modPow(7n, e, m));
    expect(lib.modPowSecret(7n, e, m)).toBe(modPow(7n, e, m));

    const { p, q } = testPaillierKey(4).exportPrimes();
    const sk = lib.paillierFromPrimes(p, q);
    const rng = lib.seededRng('portable');
    const c = sk.publicKey.encrypt(-42n, rng);
    expect(c).toBe(testPaillierKey(4).publicKey.encrypt(-42n, lib.seededRng('portable')));
    expect(sk.decrypt(sk.publicKey.mul(c, 3n))).toBe(-126n);
    const sieve = lib.generatePrimeSync(128, { kind: 'safe', rng: lib.seededRng('p') });
    expect(lib.isSafePrime(sieve)).toBe(true);
  });
});
