/**
 * `metadata-api`: what our client sends to a metadata server (SPEC.md §15). `write-auth`: the
 * owner's signature of one record (`signWrite`) and its address (`recordAddressOf`); `batch-auth`:
 * the batch statement, its digest of the writes and its signature (`signBatch`, with the torus
 * lock signature when the signer is the account); `requests`: `HttpMetadataStorage` in the vector's
 * mode, its batch signed from the vector's keys, run against a `fetch` that answers the vector's
 * `responses` in order and records every request — path, content type and body text (or the
 * multipart fields) must equal `requests` exactly, the call must return `result` or fail with
 * `error`, and no request may be left unsent or unanswered.
 * @module
 */
import { hexToBytes } from '../../src/bytes.js';
import { scalarFromBytes } from '../../src/curve.js';
import { recordAddressOf } from '../../src/metadata/record.js';
import { stableStringify } from '../../src/metadata/stable-stringify.js';
import { batchStatement, signBatch, signWrite, writesDigest } from '../../src/metadata/write-auth.js';
import { keccak256 } from '../../src/hash.js';
import { bytesToHex, utf8ToBytes } from '../../src/bytes.js';
import { HttpMetadataStorage } from '../../src/storage/http-storage.js';
import type { RecordAddress, StorageBatch } from '../../src/storage/types.js';
import type { CheckResult, Suite } from './types.js';
import { all, arr, checkOne, eq, expectErrorCode, expectedError, isObject, obj, str, vectorsOf, VectorFormatError, type Verdict } from './util.js';

export const NAME = 'metadata-api';
type J = Record<string, unknown>;

const keyOf = (v: J, k: string): bigint => scalarFromBytes(hexToBytes(str(v, k), k), k);
const num = (v: J, k: string): number => {
  const x = v[k];
  if (typeof x !== 'number' || !Number.isSafeInteger(x)) throw new VectorFormatError(`field "${k}": expected an integer`);
  return x;
};
const sameJSON = (what: string, got: unknown, want: unknown): Verdict => eq(what, stableStringify(got), stableStringify(want));

/** The vector's batch, every write signed by its owner key and the batch by `signingKey`. */
function signedBatch(b: J, nowS: number): StorageBatch {
  const baseNonce = b.baseNonce === null ? null : num(b, 'baseNonce');
  const writes = arr(b, 'writes').map((w, i) => {
    if (!isObject(w)) throw new VectorFormatError(`writes[${i}]: expected an object`);
    const k = keyOf(w, 'ownerKey');
    const value = str(w, 'value');
    return { address: recordAddressOf(k, str(w, 'namespace')), value, auth: signWrite(k, value, nowS) };
  });
  const unsigned = { account: str(b, 'account'), baseNonce, nonce: num(b, 'nonce'), writes };
  return { ...unsigned, auth: signBatch(unsigned, keyOf(b, 'signingKey'), nowS) };
}

/** A fetch that answers `responses` in order and records what it was asked. */
function recordingFetch(base: string, responses: J[]) {
  const sent: J[] = [];
  let i = 0;
  const f = async (input: unknown, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    if (!url.startsWith(base)) throw new VectorFormatError(`request to ${url}, outside ${base}`);
    const path = url.slice(base.length);
    const body = init?.body;
    if (body instanceof FormData) {
      const fields: J[] = [];
      body.forEach((value, name) => fields.push({ name, value: String(value) }));
      sent.push({ path, contentType: 'multipart/form-data', fields });
    } else sent.push({ path, contentType: new Headers(init?.headers).get('content-type'), body: String(body) });
    const r = responses[i++];
    if (!r) return new Response(JSON.stringify({ message: 'no answer in the vector' }), { status: 599 });
    return new Response(str(r, 'body'), { status: num(r, 'status'), headers: { 'content-type': 'application/json' } });
  };
  return { fetch: f as typeof fetch, sent, answered: () => i };
}

async function requests(v: J): Promise<Verdict> {
  const nowS = num(v, 'nowS');
  const base = str(v, 'baseUrl');
  const responses = arr(v, 'responses') as J[];
  const rec = recordingFetch(base, responses);
  const mode = str(v, 'mode');
  if (mode !== 'batch' && mode !== 'torus') throw new VectorFormatError(`mode: ${mode}`);
  const storage = new HttpMetadataStorage({ url: base, mode, fetch: rec.fetch, retries: 0, lockWaitMs: 0 });
  const call = obj(v, 'call');
  const method = str(call, 'method');
  const addresses = (): RecordAddress[] => arr(call, 'addresses').map((a) => a as RecordAddress);
  const run = async (): Promise<unknown> => {
    switch (method) {
      case 'commit':
        return storage.commit(signedBatch(obj(call, 'batch'), nowS));
      case 'getMany':
        return storage.getMany(addresses());
      case 'getNonce':
        return storage.getNonce(str(call, 'account'));
      default:
        throw new VectorFormatError(`call.method: ${method}`);
    }
  };
  const code = expectedError(v);
  let outcome: Verdict;
  if (code !== undefined) outcome = await expectErrorCode(code, run);
  else {
    const got = await run();
    outcome = sameJSON('result', got === undefined ? null : Array.isArray(got) ? got.map((x) => (x === undefined ? null : x)) : got, v.result);
  }
  const want = arr(v, 'requests');
  const checks: Verdict[] = [outcome, eq('number of requests', rec.sent.length, want.length), eq('responses used', rec.answered(), responses.length)];
  rec.sent.forEach((r, i) => {
    if (i < want.length) checks.push(sameJSON(`requests[${i}]`, r, want[i]));
  });
  return all(...checks);
}

function check(v: J): Verdict | Promise<Verdict> {
  const op = str(v, 'op');
  switch (op) {
    case 'write-auth': {
      const k = keyOf(v, 'ownerKey');
      const a = signWrite(k, str(v, 'value'), num(v, 'nowS'));
      const setData = { data: str(v, 'value'), timestamp: a.timestamp };
      return all(
        sameJSON('address', recordAddressOf(k, str(v, 'namespace')), obj(v, 'address')),
        sameJSON('setData', setData, obj(v, 'setData')),
        eq('digest', bytesToHex(keccak256(utf8ToBytes(stableStringify(setData)))), str(v, 'digest')),
        eq('signature', a.signature, str(v, 'signature')),
      );
    }
    case 'batch-auth': {
      const nowS = num(v, 'nowS');
      const b = signedBatch(obj(v, 'batch'), nowS);
      return all(
        eq('writesDigest', writesDigest(b.writes), str(v, 'writesDigest')),
        eq('statement', batchStatement(b), str(v, 'statement')),
        sameJSON('auth', signBatch(b, keyOf(obj(v, 'batch'), 'signingKey'), nowS), obj(v, 'auth')),
      );
    }
    case 'requests':
      return requests(v);
    default:
      throw new VectorFormatError(`unknown op ${op}`);
  }
}

export const metadataApiSuite: Suite = {
  name: NAME,
  async run(doc: unknown): Promise<CheckResult[]> {
    const out: CheckResult[] = [];
    for (const v of vectorsOf(doc, NAME)) out.push(await checkOne(`${NAME}/${String(v.id)}`, () => check(v)));
    return out;
  },
};
