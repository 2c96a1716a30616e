/**
 * Generator of the `metadata-api` suite (`metadata-api/requests.json`, SPEC.md §15), called by
 * `generate.ts`: the signed write and batch authorisations and the exact HTTP requests our client
 * (`src/storage/http-storage.ts`) sends to a metadata server — `/v1/batch`, `/v1/get`, `/v1/nonce`,
 * and the torus-metadata API (`/acquireLock`, `/get`, `/bulk_set_stream`, `/releaseLock`). Every
 * expected byte is computed HERE from the documented formulas with the primitives only (keccak256,
 * RFC 6979 ECDSA, stableStringify, JSON.stringify in the documented key order) — not by the code
 * under test, which the suite then runs against a recording `fetch`.
 * @module
 */
import { bytesToBase64, bytesToBase64Url, bytesToHex, concatBytes, utf8ToBytes } from '../../src/bytes.js';
import { ecdsaSignDigest, mulG, pointToHex, randomScalar, scalarToBytes } from '../../src/curve.js';
import { keccak256 } from '../../src/hash.js';
import { stableStringify } from '../../src/metadata/stable-stringify.js';
import type { SeededRng } from '../../src/rng.js';

type J = Record<string, unknown>;
interface Address {
  pubX: string;
  pubY: string;
  namespace: string;
}

export const BASE_URL = 'https://metadata.example';
export const NOW_S = 1_700_000_000;
const NONCE_NS = 'tkey-tss/nonce';

const keyHex = (k: bigint): string => bytesToHex(scalarToBytes(k));
const kec = (s: string): Uint8Array => keccak256(utf8ToBytes(s));
const addressOf = (k: bigint, namespace: string): Address => {
  const { x, y } = mulG(k).toAffine();
  return { pubX: x.toString(16), pubY: y.toString(16), namespace };
};
const accountOf = (k: bigint): string => pointToHex(mulG(k), true);

/** set_data = {data, timestamp: hex unix s}; signature = base64(r ‖ s ‖ 0x00), RFC 6979, low-s. */
function setData(key: bigint, data: string, nowS: number): { set_data: { data: string; timestamp: string }; signature: string; digest: string } {
  const set_data = { data, timestamp: nowS.toString(16) };
  const digest = kec(stableStringify(set_data));
  return { set_data, signature: bytesToBase64(concatBytes(ecdsaSignDigest(digest, key, { format: 'compact', lowS: true }), new Uint8Array([0]))), digest: bytesToHex(digest) };
}

interface Write {
  ownerKey: bigint;
  address: Address;
  value: string;
}
interface Batch {
  account: string;
  baseNonce: number | null;
  nonce: number;
  writes: Write[];
}

function statement(b: Batch): { statement: string; writesDigest: string } {
  const rows = b.writes.map((w) => [w.address.pubX, w.address.pubY, w.address.namespace, bytesToHex(kec(w.value))]);
  const writesDigest = bytesToHex(kec(stableStringify(rows)));
  return { statement: stableStringify({ v: 1, domain: 'tkey-tss/batch', account: b.account, baseNonce: b.baseNonce, nonce: b.nonce, writes: writesDigest }), writesDigest };
}

/** The batch authorisation: statement signed like a write; with the account key also the DER lock signature over {timestamp: number}. */
function batchAuth(b: Batch, key: bigint, nowS: number): J {
  const signer = accountOf(key);
  const { statement: data } = statement(b);
  const s = setData(key, data, nowS);
  const auth: J = { signer, set_data: s.set_data, signature: s.signature };
  if (signer === b.account) auth.lock = { data: { timestamp: nowS }, signature: bytesToHex(ecdsaSignDigest(kec(stableStringify({ timestamp: nowS })), key, { format: 'der', lowS: true })) };
  return auth;
}

/** One write as the client sends it (in /v1/batch and as a /bulk_set_stream field). */
const wireWrite = (w: Write, nowS: number): J => {
  const s = setData(w.ownerKey, w.value, nowS);
  return { pub_key_X: w.address.pubX, pub_key_Y: w.address.pubY, namespace: w.address.namespace, set_data: s.set_data, signature: s.signature };
};

const json = (path: string, body: unknown): J => ({ path, contentType: 'application/json', body: JSON.stringify(body) });
const reply = (body: unknown, status = 200): J => ({ status, body: JSON.stringify(body) });
const batchIn = (b: Batch, key: bigint): J => ({ account: b.account, baseNonce: b.baseNonce, nonce: b.nonce, signingKey: keyHex(key), writes: b.writes.map((w) => ({ ownerKey: keyHex(w.ownerKey), namespace: w.address.namespace, value: w.value })) });

export function genMetadataApi(rng: SeededRng, generator: { script: string; seed: string }): unknown {
  const key = (): bigint => randomScalar(rng);
  /** A key whose public x has fewer than 64 hex digits (the address must stay unpadded). */
  const shortXKey = (): bigint => {
    for (;;) {
      const k = key();
      if (mulG(k).toAffine().x < 1n << 252n) return k;
    }
  };
  /** An opaque stored value shaped like our ECIES envelopes: base64url(stableStringify({ciphertext, ephemPublicKey, iv, mac})). */
  const value = (): string =>
    bytesToBase64Url(utf8ToBytes(stableStringify({ ciphertext: bytesToHex(rng.bytes(48)), ephemPublicKey: `04${bytesToHex(rng.bytes(64))}`, iv: bytesToHex(rng.bytes(16)), mac: bytesToHex(rng.bytes(32)) })));
  const km = key(); // the account key k_m
  const account = accountOf(km);
  const service = key(); // a trusted co-signing service key
  const share = shortXKey();
  const factor = key();
  const w1: Write = { ownerKey: share, address: addressOf(share, 'tkey'), value: value() };
  const w2: Write = { ownerKey: factor, address: addressOf(factor, 'tkey'), value: value() };
  const first: Batch = { account, baseNonce: null, nonce: 0, writes: [w1, w2] };
  const next: Batch = { account, baseNonce: 4, nonce: 5, writes: [w2] };
  const fence: Write = { ownerKey: service, address: addressOf(service, 'tkey-tss/fence'), value: value() };
  const coSigned: Batch = { account, baseNonce: 2, nonce: 3, writes: [fence] };
  const nonceAddr = addressOf(km, NONCE_NS);
  const noncePrev = (n: number): string => statement({ account, baseNonce: n - 1, nonce: n, writes: [] }).statement;

  const vectors: J[] = [];
  for (const [id, note, k, ns] of [
    ['write-auth/short-x', 'a tkey record whose owner public x has 63 hex digits (addresses are unpadded)', share, 'tkey'],
    ['write-auth/namespace', 'a record in another namespace', factor, 'tkey-tss/fence'],
  ] as const) {
    const v = value();
    const s = setData(k, v, NOW_S);
    vectors.push({ id, op: 'write-auth', note, ownerKey: keyHex(k), namespace: ns, value: v, nowS: NOW_S, address: addressOf(k, ns), setData: s.set_data, digest: s.digest, signature: s.signature });
  }
  for (const [id, note, b, k] of [
    ['batch-auth/first-batch-account-key', 'the first batch of an account (baseNonce null), signed by k_m: with the lock signature', first, km],
    ['batch-auth/next-batch-account-key', 'baseNonce 4 → nonce 5, signed by k_m', next, km],
    ['batch-auth/service-key', 'a batch co-signed by the service key (signer ≠ account): no lock', coSigned, service],
  ] as const) {
    const st = statement(b);
    vectors.push({ id, op: 'batch-auth', note, nowS: NOW_S, batch: batchIn(b, k), writesDigest: st.writesDigest, statement: st.statement, auth: batchAuth(b, k, NOW_S) });
  }
  const commitBody = (b: Batch, k: bigint): J => {
    const a = batchAuth(b, k, NOW_S);
    return { account: b.account, baseNonce: b.baseNonce, nonce: b.nonce, writes: b.writes.map((w) => wireWrite(w, NOW_S)), auth: { signer: a.signer, set_data: a.set_data, signature: a.signature } };
  };
  const lockKey = pointToHex(mulG(km), false);
  const torusCommit = (b: Batch, stored: string | null, landed: boolean): [J[], J[]] => {
    const a = batchAuth(b, km, NOW_S) as { set_data: J; signature: string; lock: { data: J; signature: string } };
    const lock = { key: lockKey, data: a.lock.data, signature: a.lock.signature };
    const requests: J[] = [json('/acquireLock', lock), json('/get', { pub_key_X: nonceAddr.pubX, pub_key_Y: nonceAddr.pubY, namespace: nonceAddr.namespace })];
    const responses: J[] = [reply({ status: 1, id: 'lock-1' }), reply({ message: stored ?? '' })];
    if (landed) {
      const fields = [...b.writes.map((w) => wireWrite(w, NOW_S)), { pub_key_X: nonceAddr.pubX, pub_key_Y: nonceAddr.pubY, namespace: nonceAddr.namespace, set_data: a.set_data, signature: a.signature }];
      requests.push({ path: '/bulk_set_stream', contentType: 'multipart/form-data', fields: fields.map((f, i) => ({ name: String(i), value: JSON.stringify(f) })) });
      responses.push(reply({ message: 'ok' }));
    }
    requests.push(json('/releaseLock', { ...lock, id: 'lock-1' }));
    responses.push(reply({ status: 1 }));
    return [requests, responses];
  };
  const req = (id: string, note: string, mode: 'batch' | 'torus', call: J, requests: J[], responses: J[], end: J): J => ({ id, op: 'requests', note, mode, baseUrl: BASE_URL, nowS: NOW_S, call, responses, requests, ...end });
  const addrs = [w1.address, w2.address];
  vectors.push(
    req('requests/batch-commit', '/v1/batch of the first batch, signed by k_m (the lock signature is not sent in batch mode)', 'batch', { method: 'commit', batch: batchIn(first, km) }, [json('/v1/batch', commitBody(first, km))], [reply({ ok: true })], { result: null }),
    req('requests/batch-commit-service-signed', '/v1/batch of a batch co-signed by the service key', 'batch', { method: 'commit', batch: batchIn(coSigned, service) }, [json('/v1/batch', commitBody(coSigned, service))], [reply({ ok: true })], { result: null }),
    req('requests/batch-get-many', '/v1/get of two addresses; the second is absent', 'batch', { method: 'getMany', addresses: addrs }, [json('/v1/get', { addresses: addrs.map((a) => ({ pub_key_X: a.pubX, pub_key_Y: a.pubY, namespace: a.namespace })) })], [reply({ values: [w1.value, null] })], { result: [w1.value, null] }),
    req('requests/batch-nonce', '/v1/nonce of the account', 'batch', { method: 'getNonce', account }, [json('/v1/nonce', { account })], [reply({ nonce: 7 })], { result: 7 }),
    req('requests/torus-commit-first', 'torus mode, first batch: lock, read the nonce record (absent), bulk write with the nonce record last, unlock', 'torus', { method: 'commit', batch: batchIn(first, km) }, ...torusCommit(first, null, true), { result: null }),
    req('requests/torus-commit-next', 'torus mode, baseNonce 4: the nonce record holds the statement of nonce 4', 'torus', { method: 'commit', batch: batchIn(next, km) }, ...torusCommit(next, noncePrev(4), true), { result: null }),
    req('requests/torus-commit-conflict', 'torus mode, baseNonce 4 but the nonce record holds nonce 5: no write, the lock is released, STORAGE_CONFLICT', 'torus', { method: 'commit', batch: batchIn(next, km) }, ...torusCommit(next, noncePrev(5), false), { error: 'STORAGE_CONFLICT' }),
    req('requests/torus-commit-service-signed', 'torus mode refuses a co-signed batch before any request: only k_m can sign the lock and the nonce record', 'torus', { method: 'commit', batch: batchIn(coSigned, service) }, [], [], { error: 'OWNER_KEY_REQUIRED' }),
    req('requests/torus-get', 'torus /get of one address; "" means absent', 'torus', { method: 'getMany', addresses: [w2.address] }, [json('/get', { pub_key_X: w2.address.pubX, pub_key_Y: w2.address.pubY, namespace: 'tkey' })], [reply({ message: '' })], { result: [null] }),
    req('requests/torus-nonce', 'torus mode: the nonce is read from the nonce record (owner G·k_m, namespace tkey-tss/nonce)', 'torus', { method: 'getNonce', account }, [json('/get', { pub_key_X: nonceAddr.pubX, pub_key_Y: nonceAddr.pubY, namespace: NONCE_NS })], [reply({ message: noncePrev(7) })], { result: 7 }),
  );
  return { suite: 'metadata-api', version: 1, description: 'Signed record writes and batches and the exact HTTP requests the client sends to a metadata server (/v1 and torus-metadata APIs)', generator, vectors };
}
