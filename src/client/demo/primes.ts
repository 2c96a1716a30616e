/**
 * The demo's Paillier keys: real safe primes (`prepareAuxInput`: two 1024-bit safe primes from
 * OpenSSL on libuv's thread pool, concurrently) — or, ONLY for the demo's own test
 * (`TKEY_DEMO_TEST_PRIMES=1`, set by `test/demo.test.ts`), the pregenerated TEST primes of
 * `test/helpers/test-primes.ts`, which are public and must never protect a real key.
 * @module
 */
import type { AuxInput } from '../../../protocols/aux/index.js';
import { prepareAuxInput } from '../../../protocols/aux/index.js';

export const TEST_PRIMES = process.env.TKEY_DEMO_TEST_PRIMES === '1';

/** Aux input `slot` (0: the service, 1: the first device, 2: the recovered device). */
export async function demoAuxInput(slot: number): Promise<AuxInput> {
  if (!TEST_PRIMES) return prepareAuxInput('default');
  // test-only: a path the build (src/ only) does not include; tsx resolves the .ts file
  const url = new URL('../../../test/helpers/test-primes.ts', import.meta.url).href;
  const { testPaillierKey } = (await import(url)) as { testPaillierKey: (i: number) => AuxInput['key'] };
  return { profile: 'default', key: testPaillierKey(slot) };
}
