/**
 * The service's long-lived keys, created once and shared by every node: rows of kind `service-key`
 * (sealed, AD = (service-key, name, 0)).
 *
 *   identity   32-byte secp256k1 scalar: checkpoint ECIES, fence signatures (`ServicePartyOptions.identityKey`)
 *   bus        32-byte secp256k1 scalar: the bus identity the secure channel authenticates
 *   aux        the long-lived Paillier key (two safe primes) and its ring-Pedersen (s, t, λ), fixed
 *              here so every node proves the same parameters (`ServicePartyOptions.aux`)
 *
 * First start: each is made and inserted with a compare-and-set insert; of nodes racing, one wins
 * and the others read the winner's (they agree). The aux key comes from a primes file
 * (`TKEY_SERVICE_PRIMES_FILE`, the `test-vectors/primes` format: its first pair) or is generated —
 * safe primes take a while — under the store's lock `service-keys`, so racing nodes generate once.
 * @module
 */
import { readFileSync } from 'node:fs';
import { wipe } from '../../bytes.js';
import { randomScalar, scalarFromBytes, scalarToBytes } from '../../curve.js';
import { fail, isTkeyTssError } from '../../errors.js';
import { isSafePrime } from '../../bigint/primes.js';
import { paillierFromPrimes } from '../../paillier/keys.js';
import { generateRingPedersen } from '../../paillier/ring-pedersen.js';
import type { ProfileName } from '../../paillier/profiles.js';
import { cryptoRng, type Rng } from '../../rng.js';
import { prepareAuxInput, type AuxInput } from '../../../protocols/aux/index.js';
import { validateInput } from '../../../protocols/aux/proofs.js';
import type { StateSpace } from '../store/state-types.js';
import type { Keyring } from './kek.js';
import { KIND_SERVICE_KEY, openRow, sealFor } from './kinds.js';
import { decodeRecord, encodeRecord } from './record-codec.js';

/** Read a row of `service-key`, or insert `make()`'s value (insert only); the loser of a race reads the winner's. Returns the plaintext (caller wipes). */
async function getOrCreate(store: StateSpace, keyring: Keyring, name: string, make: () => Promise<Uint8Array>): Promise<Uint8Array> {
  const row = await store.stateGet(KIND_SERVICE_KEY, name);
  if (row) return openRow(keyring, row);
  const plain = await make();
  try {
    await store.statePut(KIND_SERVICE_KEY, name, sealFor(keyring.current, KIND_SERVICE_KEY, name, 0, plain), { expected: null });
    return plain;
  } catch (e) {
    wipe(plain);
    if (!isTkeyTssError(e, 'STORAGE_CONFLICT')) throw e;
    const won = await store.stateGet(KIND_SERVICE_KEY, name);
    if (!won) throw e;
    return openRow(keyring, won);
  }
}

function isScalarBytes(b: Uint8Array): boolean {
  try {
    return b.length === 32 && scalarFromBytes(b) > 0n;
  } catch {
    return false;
  }
}

/** A 32-byte scalar key by name (identity, bus). */
export async function serviceScalarKey(store: StateSpace, keyring: Keyring, name: 'identity' | 'bus', rng: Rng = cryptoRng): Promise<Uint8Array> {
  const k = await getOrCreate(store, keyring, name, async () => scalarToBytes(randomScalar(rng)));
  if (!isScalarBytes(k)) {
    wipe(k);
    return fail('SEALED_STATE_INVALID', `the stored ${name} key is not a secp256k1 scalar`);
  }
  return k;
}

/** The first pair of a primes file (`{bits, pairs: [{p, q}]}`, hex), checked: safe primes of one profile's size. */
export function readPrimesFile(path: string, setting = 'TKEY_SERVICE_PRIMES_FILE'): { profile: ProfileName; p: bigint; q: bigint } {
  let doc: { bits?: unknown; pairs?: { p?: unknown; q?: unknown }[] };
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as typeof doc;
  } catch (e) {
    return fail('CONFIG_INVALID', `${setting}=${JSON.stringify(path)}: cannot read it as JSON (${(e as { code?: string }).code ?? 'parse error'})`, { setting });
  }
  const pair = Array.isArray(doc?.pairs) ? doc.pairs[0] : undefined;
  const hex = /^[0-9a-f]+$/i;
  if (!pair || typeof pair.p !== 'string' || typeof pair.q !== 'string' || !hex.test(pair.p) || !hex.test(pair.q))
    return fail('CONFIG_INVALID', `${setting}=${JSON.stringify(path)}: expected {bits, pairs: [{p, q}]} with hex primes (the test-vectors/primes format)`, { setting });
  const p = BigInt('0x' + pair.p);
  const q = BigInt('0x' + pair.q);
  const bits = p.toString(2).length;
  const profile: ProfileName | undefined = bits === 1024 ? 'default' : bits === 1536 ? 'high' : undefined;
  if (!profile || q.toString(2).length !== bits || p === q || !isSafePrime(p, 8) || !isSafePrime(q, 8))
    return fail('CONFIG_INVALID', `${setting}=${JSON.stringify(path)}: the first pair must be two distinct 1024-bit (default profile) or 1536-bit (high profile) safe primes`, { setting });
  return { profile, p, q };
}

interface StoredAux {
  profile: ProfileName;
  p: bigint;
  q: bigint;
  s: bigint;
  t: bigint;
  lambda: bigint;
}

/** The long-lived aux input (Paillier key + fixed ring-Pedersen parameters), created once. */
export async function serviceAux(store: StateSpace, keyring: Keyring, opts: { primesFile?: string; profile?: ProfileName; rng?: Rng } = {}): Promise<AuxInput> {
  const make = async (): Promise<Uint8Array> => {
    const primes = opts.primesFile ? readPrimesFile(opts.primesFile) : undefined;
    const profile = primes?.profile ?? opts.profile ?? 'default';
    const sk = primes ? paillierFromPrimes(primes.p, primes.q, profile) : (await prepareAuxInput(profile)).key;
    const { p, q } = 'exportPrimes' in sk ? (sk as { exportPrimes(): { p: bigint; q: bigint } }).exportPrimes() : sk;
    const rp = generateRingPedersen(paillierFromPrimes(p, q, profile), opts.rng ?? cryptoRng); // t = r², s = t^λ
    return encodeRecord({ profile, p, q, s: rp.params.s, t: rp.params.t, lambda: rp.lambda } satisfies StoredAux);
  };
  const load = async () => {
    const existing = await store.stateGet(KIND_SERVICE_KEY, 'aux');
    if (existing) return openRow(keyring, existing);
    // generating safe primes takes a while: once, under the lock, for every node racing here
    return store.withStateLock('service-keys', () => getOrCreate(store, keyring, 'aux', make));
  };
  const plain = await load();
  let a: StoredAux;
  try {
    a = decodeRecord<StoredAux>(plain);
  } catch {
    return fail('SEALED_STATE_INVALID', 'the stored aux key does not decode');
  } finally {
    wipe(plain);
  }
  const input: AuxInput = { profile: a.profile, key: { p: a.p, q: a.q }, ringPedersen: { s: a.s, t: a.t, lambda: a.lambda } };
  try {
    validateInput(input); // safe primes of the profile, s = t^λ mod N
  } catch {
    return fail('SEALED_STATE_INVALID', 'the stored aux key is not a valid Paillier / ring-Pedersen key');
  }
  return input;
}
