/**
 * `HttpMetadataStorage`: `MetadataStorage` over HTTP with `fetch` only (browsers, workers, React
 * Native, Node 20). It sends what the writers signed — every write's owner signature and the
 * batch's signature (`RecordWrite.auth`, `StorageBatch.auth`) — verbatim; it signs nothing itself.
 *
 * Two modes:
 * - `batch` (default, our server): `/v1/batch` (atomic, nonce compare-and-swap in one
 *   transaction), `/v1/get` (many addresses per request), `/v1/nonce`.
 * - `torus` (an existing torus-metadata deployment): lock (`/acquireLock`, signed by k_m) → nonce
 *   check → `/bulk_set_stream` → `/releaseLock`, as `@tkey/core` 15 does. The account nonce lives in
 *   a record owned by the account key G·k_m, namespace `tkey-tss/nonce`: its value is the signed
 *   batch statement of the last batch (`src/metadata/write-auth.ts`), written as the batch's last
 *   bulk field with the batch signature — so only k_m can move it, and reading it back tells
 *   exactly which batch landed.
 *
 * Failures: network error, 5xx and timeouts (AbortController, `timeoutMs` per attempt) are
 * `SERVER_UNAVAILABLE` after `retries` retries with exponential backoff and full jitter. Reads
 * retry freely; a batch retries too, because the nonce compare-and-swap makes it idempotent: a
 * replay of a batch that did land meets a moved nonce, and is then RECOGNISED (batch mode: the
 * account is at `batch.nonce` and every address holds exactly the value sent — ECIES values are
 * randomised, so no other batch has them; torus mode: the nonce record holds this batch's own
 * signed statement) and resolves; otherwise it is the `STORAGE_CONFLICT` it is. The server's
 * refusals keep their codes: `STORAGE_CONFLICT`, `INVALID_SIGNATURE`, `TIMESTAMP_OUT_OF_WINDOW`,
 * `PAYLOAD_TOO_LARGE`, `RATE_LIMITED` (`details.retryAfterSeconds`), `REPLAYED_WRITE`, … .
 * @module
 */
import { toHexUnpadded } from '../bytes.js';
import { pointFromHex, pointToHex } from '../curve.js';
import { ERROR_CODES, fail, isTkeyTssError, StorageConflict, type ErrorCode } from '../errors.js';
import { aAccount, assertAddress, assertBatch, NONCE_NAMESPACE, statementNonce } from './batch.js';
import type { BatchAuth, MetadataStorage, RecordAddress, StorageBatch } from './types.js';

/** Addresses per `/v1/get` request (the server's default cap is 4 × TKEY_MAX_WRITES = 256). */
const GET_CHUNK = 256;

export interface HttpMetadataStorageOptions {
  /** Base URL of the server, e.g. `https://metadata.example.com`. */
  url: string;
  /** `batch` (default): our `/v1` API; `torus`: the torus-metadata API of an existing deployment. */
  mode?: 'batch' | 'torus';
  /** Per-attempt timeout (ms), default 10 000. */
  timeoutMs?: number;
  /** Retries after a failed attempt (network, 5xx, timeout), default 3. */
  retries?: number;
  /** First backoff (ms), doubled per retry with full jitter, capped at `maxBackoffMs`; default 100. */
  backoffMs?: number;
  /** Backoff cap (ms), default 2 000. */
  maxBackoffMs?: number;
  /** Torus mode: how long to wait for a held account lock (ms), default 10 000. */
  lockWaitMs?: number;
  /** The fetch implementation (default `globalThis.fetch`). */
  fetch?: typeof fetch;
}

type Json = Record<string, unknown>;
interface Reply {
  status: number;
  body: Json;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class HttpMetadataStorage implements MetadataStorage {
  /** Every write must carry its owner's signature and every batch its own (`OWNER_KEY_REQUIRED` otherwise). */
  readonly signedWrites = true;
  readonly url: string;
  readonly mode: 'batch' | 'torus';
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #lockWaitMs: number;
  readonly #fetch: typeof fetch;

  constructor(o: HttpMetadataStorageOptions) {
    if (typeof o !== 'object' || o === null) fail('INVALID_ARGUMENT', 'HttpMetadataStorage: expected {url, mode?, timeoutMs?, retries?, fetch?}');
    this.url = baseUrl(o.url);
    if (o.mode !== undefined && o.mode !== 'batch' && o.mode !== 'torus') fail('INVALID_ARGUMENT', "mode: expected 'batch' or 'torus'");
    this.mode = o.mode ?? 'batch';
    const ms = (v: number | undefined, d: number, title: string, min = 0): number => {
      if (v === undefined) return d;
      if (!Number.isSafeInteger(v) || v < min) fail('INVALID_ARGUMENT', `${title}: expected an integer ≥ ${min}`);
      return v;
    };
    this.#timeoutMs = ms(o.timeoutMs, 10_000, 'timeoutMs', 1);
    this.#retries = ms(o.retries, 3, 'retries');
    this.#backoffMs = ms(o.backoffMs, 100, 'backoffMs');
    this.#maxBackoffMs = ms(o.maxBackoffMs, 2_000, 'maxBackoffMs');
    this.#lockWaitMs = ms(o.lockWaitMs, 10_000, 'lockWaitMs');
    const f = o.fetch ?? (globalThis as { fetch?: typeof fetch }).fetch;
    if (typeof f !== 'function') fail('INVALID_ARGUMENT', 'fetch: no fetch implementation available; pass one');
    // called on the global object: a browser's window.fetch throws "Illegal invocation" when called on another `this`
    this.#fetch = (input, init) => f.call(globalThis, input, init);
  }

  async get(address: RecordAddress): Promise<string | undefined> {
    return (await this.getMany([address]))[0];
  }

  async getMany(addresses: readonly RecordAddress[]): Promise<(string | undefined)[]> {
    if (!Array.isArray(addresses)) fail('INVALID_ARGUMENT', 'addresses: expected an array');
    addresses.forEach((a, i) => assertAddress(a, `addresses[${i}]`));
    if (this.mode === 'torus') return Promise.all(addresses.map((a) => this.#torusGet(a)));
    const out: (string | undefined)[] = [];
    for (let i = 0; i < addresses.length; i += GET_CHUNK) {
      const chunk = addresses.slice(i, i + GET_CHUNK).map((a) => ({ pub_key_X: a.pubX, pub_key_Y: a.pubY, namespace: a.namespace }));
      const r = await this.#call('/v1/get', { addresses: chunk });
      const values = r.body.values;
      if (!Array.isArray(values) || values.length !== chunk.length) fail('INVALID_JSON', '/v1/get: expected {values: [...]} of the requested length');
      for (const v of values) out.push(typeof v === 'string' ? v : undefined);
    }
    return out;
  }

  async getNonce(account: string): Promise<number | null> {
    aAccount(account);
    if (this.mode === 'torus') {
      const v = await this.#torusGet(nonceAddress(account));
      if (v === undefined) return null;
      const n = statementNonce(v);
      return n === undefined ? fail('INVALID_JSON', 'torus nonce record: not a batch statement') : n;
    }
    const r = await this.#call('/v1/nonce', { account });
    const n = r.body.nonce;
    if (n !== null && !Number.isSafeInteger(n)) fail('INVALID_JSON', '/v1/nonce: expected {nonce: integer | null}');
    return n as number | null;
  }

  async commit(batch: StorageBatch): Promise<void> {
    assertBatch(batch);
    const auth = batch.auth;
    if (!auth) fail('OWNER_KEY_REQUIRED', 'batch.auth: this storage needs the batch signed by the account key (or a trusted service key)');
    batch.writes.forEach((w, i) => {
      if (!w.auth) fail('OWNER_KEY_REQUIRED', `batch.writes[${i}]: this storage needs every write signed by its owner key`);
    });
    if (batch.writes.length === 0) return; // nothing to send (the server refuses an empty batch)
    const writes = batch.writes.map((w) => ({ pub_key_X: w.address.pubX, pub_key_Y: w.address.pubY, namespace: w.address.namespace, set_data: { data: w.value, timestamp: w.auth!.timestamp }, signature: w.auth!.signature }));
    if (this.mode === 'torus') return this.#torusCommit(batch, auth, writes);
    const body = { account: batch.account, baseNonce: batch.baseNonce, nonce: batch.nonce, writes, auth: { signer: auth.signer, set_data: auth.set_data, signature: auth.signature } };
    let uncertain = false; // an earlier attempt may have landed (its answer was lost)
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#once('/v1/batch', body);
        return;
      } catch (e) {
        if (uncertain && (isTkeyTssError(e, 'STORAGE_CONFLICT') || isTkeyTssError(e, 'REPLAYED_WRITE')) && (await this.#landed(batch))) return;
        if (!isTkeyTssError(e, 'SERVER_UNAVAILABLE') || attempt >= this.#retries) throw e;
        uncertain = true;
        await this.#backoff(attempt);
      }
    }
  }

  /** Did exactly this batch land? (The account is at its nonce and holds every value it sent.) */
  async #landed(batch: StorageBatch): Promise<boolean> {
    const [values, nonce] = await Promise.all([this.getMany(batch.writes.map((w) => w.address)), this.getNonce(batch.account)]);
    return nonce === batch.nonce && values.every((v, i) => v === batch.writes[i]!.value);
  }

  // ---- torus mode ----

  async #torusGet(a: RecordAddress): Promise<string | undefined> {
    const r = await this.#call('/get', { pub_key_X: a.pubX, pub_key_Y: a.pubY, namespace: a.namespace });
    const m = r.body.message;
    if (typeof m !== 'string') fail('INVALID_JSON', '/get: expected {message: string}');
    return m === '' ? undefined : m;
  }

  async #torusCommit(batch: StorageBatch, auth: BatchAuth, writes: Json[]): Promise<void> {
    if (auth.signer !== batch.account || !auth.lock)
      fail('OWNER_KEY_REQUIRED', 'torus mode: the batch must be signed by the account key k_m (its lock request too); co-signed batches need the /v1 API');
    const nonceRecord = { ...nonceParams(batch.account), set_data: auth.set_data, signature: auth.signature };
    const lockKey = pointToHex(pointFromHex(batch.account, 'account'), false);
    for (let attempt = 0; ; attempt++) {
      try {
        const id = await this.#acquireLock(lockKey, auth.lock);
        try {
          const stored = await this.#torusGet(nonceAddress(batch.account));
          if (stored === auth.set_data.data) return; // this very batch landed before (its answer was lost)
          const current = stored === undefined ? null : statementNonce(stored);
          if (current === undefined) fail('INVALID_JSON', 'torus nonce record: not a batch statement');
          if (current !== batch.baseNonce)
            throw new StorageConflict(`batch built on nonce ${batch.baseNonce}, account is at ${current}`, { account: batch.account, expected: batch.baseNonce, actual: current });
          await this.#bulk([...writes, nonceRecord]); // the nonce record last
          return;
        } finally {
          await this.#once('/releaseLock', { key: lockKey, data: auth.lock.data, signature: auth.lock.signature, id }).catch(() => undefined); // the TTL frees it otherwise
        }
      } catch (e) {
        if (!isTkeyTssError(e, 'SERVER_UNAVAILABLE') || attempt >= this.#retries) throw e;
        await this.#backoff(attempt);
      }
    }
  }

  async #acquireLock(key: string, lock: NonNullable<BatchAuth['lock']>): Promise<string> {
    const deadline = Date.now() + this.#lockWaitMs;
    for (let i = 0; ; i++) {
      const r = await this.#once('/acquireLock', { key, data: lock.data, signature: lock.signature });
      if (r.body.status === 1 && typeof r.body.id === 'string') return r.body.id;
      if (Date.now() >= deadline) fail('STORAGE_LOCKED', 'torus mode: the account lock is held by another writer', { account: key });
      await sleep(Math.min(50 * 2 ** i, 1_000));
    }
  }

  async #bulk(fields: Json[]): Promise<void> {
    const fd = new FormData();
    fields.forEach((f, i) => fd.append(String(i), JSON.stringify(f)));
    await this.#once('/bulk_set_stream', fd);
  }

  // ---- HTTP ----

  /** An idempotent request (a read): retried on SERVER_UNAVAILABLE with backoff. */
  async #call(path: string, body: Json): Promise<Reply> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#once(path, body);
      } catch (e) {
        if (!isTkeyTssError(e, 'SERVER_UNAVAILABLE') || attempt >= this.#retries) throw e;
        await this.#backoff(attempt);
      }
    }
  }

  /** Exponential backoff with full jitter (jitter needs no cryptographic randomness). */
  #backoff(attempt: number): Promise<void> {
    return sleep(Math.random() * Math.min(this.#maxBackoffMs, this.#backoffMs * 2 ** attempt));
  }

  /** One attempt: POST, timeout, typed errors. */
  async #once(path: string, body: Json | FormData): Promise<Reply> {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), this.#timeoutMs);
    let res: Response;
    let text: string;
    try {
      const init: RequestInit =
        body instanceof FormData ? { method: 'POST', body, signal: ac.signal } : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: ac.signal };
      res = await this.#fetch(`${this.url}${path}`, init);
      text = await res.text();
    } catch (e) {
      const why = ac.signal.aborted ? `no answer within ${this.#timeoutMs} ms` : String((e as Error)?.message ?? e);
      return fail('SERVER_UNAVAILABLE', `${path}: ${why}`, { path });
    } finally {
      clearTimeout(timer);
    }
    let parsed: Json = {};
    try {
      const j = JSON.parse(text) as unknown;
      if (typeof j === 'object' && j !== null && !Array.isArray(j)) parsed = j as Json;
    } catch {
      // not JSON: judged by the status below
    }
    if (res.status >= 500) fail('SERVER_UNAVAILABLE', `${path}: the server answered ${res.status}`, { path, status: res.status });
    if (res.status >= 200 && res.status < 300) return { status: res.status, body: parsed };
    throw errorOf(path, res, parsed);
  }
}

function baseUrl(url: unknown): string {
  let u: URL | undefined;
  try {
    u = new URL(String(url));
  } catch {
    u = undefined;
  }
  if (typeof url !== 'string' || !u || (u.protocol !== 'http:' && u.protocol !== 'https:')) fail('INVALID_ARGUMENT', 'url: expected an http(s) URL');
  return u.toString().replace(/\/+$/, '');
}

/** A server refusal (4xx) → our typed error with its stable code. */
function errorOf(path: string, res: Response, body: Json): Error {
  const details = typeof body.details === 'object' && body.details !== null ? { ...(body.details as Json) } : {};
  const message = `${path}: ${typeof body.message === 'string' ? body.message.slice(0, 500) : `HTTP ${res.status}`}`;
  let code = typeof body.code === 'string' && body.code in ERROR_CODES ? (body.code as ErrorCode) : undefined;
  if (code === undefined) code = res.status === 409 ? 'STORAGE_CONFLICT' : res.status === 413 ? 'PAYLOAD_TOO_LARGE' : res.status === 429 ? 'RATE_LIMITED' : 'INVALID_ARGUMENT';
  if (code === 'RATE_LIMITED' && typeof details.retryAfterSeconds !== 'number') {
    const h = Number(res.headers.get('retry-after'));
    details.retryAfterSeconds = Number.isFinite(h) && h > 0 ? h : 1;
  }
  try {
    fail(code, message, details);
  } catch (e) {
    return e as Error;
  }
  return new Error(message);
}

/** The torus-mode nonce record's address: owner = the account key G·k_m. */
function nonceParams(account: string): { pub_key_X: string; pub_key_Y: string; namespace: string } {
  const { x, y } = pointFromHex(account, 'account').toAffine();
  return { pub_key_X: toHexUnpadded(x), pub_key_Y: toHexUnpadded(y), namespace: NONCE_NAMESPACE };
}
function nonceAddress(account: string): RecordAddress {
  const p = nonceParams(account);
  return { pubX: p.pub_key_X, pubY: p.pub_key_Y, namespace: p.namespace };
}
