/**
 * Fuzzing the metadata server's request bodies (torus-metadata API and the /v1 endpoints) through
 * the real fastify app (`app.inject`, embedded store in a temp dir): every answer is a success or a
 * 4xx with a stable error code from `ERROR_CODES` — never a 5xx, never an untyped body. Seeds are
 * correctly signed requests as the tKey client builds them. See `harness.ts` for the contract.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { bytesToBase64Url, utf8ToBytes } from '../../src/bytes.js';
import { ERROR_CODES, InvalidInput, type ErrorCode } from '../../src/errors.js';
import { buildServer } from '../../src/server/app.js';
import { openStore } from '../../src/server/store/open.js';
import type { ServerStore } from '../../src/server/store/types.js';
import { accountOf, authed, signedLock, signedSet } from '../helpers/server.js';
import { fuzzAsync, jsonLike } from './harness.js';

const NOW_S = 1_790_000_000;
let dir: string;
let store: ServerStore;
let app: FastifyInstance;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tkey-fuzz-server-'));
  store = await openStore({ dataDir: dir });
  app = await buildServer({ store, clock: () => NOW_S * 1000, config: { logLevel: 'silent', verifyThreads: 0, rateLimitIp: 10_000_000, rateLimitAccount: 10_000_000 } });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** POST `body` (JSON) and classify the answer: success, or a typed 4xx; anything else fails the property. */
async function post(path: string, body: unknown): Promise<void> {
  const payload = JSON.stringify(body) ?? 'null';
  const r = await app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/json' }, payload });
  if (r.statusCode >= 500) throw new Error(`${path}: status ${r.statusCode}: ${r.body.slice(0, 200)}`);
  if (r.statusCode < 400) return;
  let parsed: { code?: unknown; message?: unknown };
  try {
    parsed = JSON.parse(r.body) as typeof parsed;
  } catch {
    throw new Error(`${path}: a ${r.statusCode} answer that is not JSON: ${r.body.slice(0, 200)}`);
  }
  if (typeof parsed.code !== 'string' || !(parsed.code in ERROR_CODES)) throw new Error(`${path}: ${r.statusCode} with an unknown code ${String(parsed.code)}`);
  throw new InvalidInput(parsed.code as ErrorCode, String(parsed.message));
}

const value = (s: string) => bytesToBase64Url(utf8ToBytes(JSON.stringify({ ciphertext: s, ephemPublicKey: '04', iv: '00', mac: '00' })));
const sets = [11n, 12n, 13n].map((k, i) => signedSet(k, value(`v${i}`), NOW_S - 5));
const locks = [signedLock(21n, NOW_S - 5), signedLock(22n, NOW_S - 5, 'abc')];
const batches = [authed({ account: accountOf(31n), baseNonce: null, nonce: 1, writes: [signedSet(32n, value('b0'), NOW_S - 5), signedSet(33n, value('b1'), NOW_S - 5)] }, 31n, NOW_S - 5)];
const gets = [{ pub_key_X: sets[0]!.pub_key_X, pub_key_Y: sets[0]!.pub_key_Y, namespace: 'tkey' }];

describe('fuzz: metadata server request bodies', () => {
  it('/set and /get', async () => {
    await fuzzAsync('server POST /set', jsonLike(sets), (b) => post('/set', b));
    await fuzzAsync('server POST /get', jsonLike(gets), (b) => post('/get', b));
  });
  it('/acquireLock and /releaseLock', async () => {
    await fuzzAsync('server POST /acquireLock', jsonLike(locks), (b) => post('/acquireLock', b));
    await fuzzAsync('server POST /releaseLock', jsonLike(locks), (b) => post('/releaseLock', b));
  });
  it('/v1/batch, /v1/get, /v1/nonce', async () => {
    await fuzzAsync('server POST /v1/batch', jsonLike(batches), (b) => post('/v1/batch', b));
    await fuzzAsync('server POST /v1/get', jsonLike([{ addresses: gets }, { addresses: gets, account: accountOf(31n) }]), (b) => post('/v1/get', b));
    await fuzzAsync('server POST /v1/nonce', jsonLike([{ account: accountOf(31n) }]), (b) => post('/v1/nonce', b));
  });
});
