/**
 * Fuzzing the metadata-layer decoders that take outside bytes (records from a metadata server,
 * peer JSON): `Metadata.fromJSON`, `ShareStore.fromJSON`, `verifyAuthMetadata`, stored record values
 * (`decodeEnvelope`, `decodeShareRecord`, `decodeServiceProviderRecord`) and ECIES envelopes. Seeds
 * are the real records of the reference tKey v1 account. See `harness.ts` for the contract.
 */
import { describe, it } from 'vitest';
import { hexToNumber, utf8ToBytes } from '../../src/bytes.js';
import { getPublicKey, scalarToBytes } from '../../src/curve.js';
import { eciesDecryptJSON, eciesEncryptJSON, eciesFromJSON } from '../../src/ecies.js';
import { seededRng } from '../../src/rng.js';
import { verifyAuthMetadata } from '../../src/metadata/auth-metadata.js';
import { Metadata } from '../../src/metadata/metadata.js';
import { decodeEnvelope, decodeServiceProviderRecord, decodeShareRecord, encodeEnvelope } from '../../src/metadata/record.js';
import { ShareStore } from '../../src/metadata/share-store.js';
import { loadSample } from '../helpers/v1-sample.js';
import { fuzz, jsonLike, stringLike } from './harness.js';

const S = loadSample();
const records = S.storage;
const signedDocs = records.map((r) => r.decrypted).filter((d) => typeof d === 'object' && d !== null && 'data' in d && 'sig' in d);
const metadataDocs = [S.metadataJSON, ...signedDocs.map((d) => (d as { data: unknown }).data)];
const shareStores = S.shares.map((s) => s.shareStoreJSON);
const envelopes = records.map((r) => decodeEnvelope(r.storedValue));
const shareKey = hexToNumber(S.shares[0]!.value);
const postboxKey = hexToNumber(S.postboxKey);

describe('fuzz: metadata-layer decoders', () => {
  it('Metadata.fromJSON', () => {
    fuzz('Metadata.fromJSON', jsonLike(metadataDocs), (j) => Metadata.fromJSON(j));
  });
  it('ShareStore.fromJSON', () => {
    fuzz('ShareStore.fromJSON', jsonLike(shareStores), (j) => ShareStore.fromJSON(j));
  });
  it('verifyAuthMetadata', () => {
    fuzz('verifyAuthMetadata', jsonLike(signedDocs), (j) => verifyAuthMetadata(j));
  });
  it('record values: decodeEnvelope, decodeShareRecord, decodeServiceProviderRecord', () => {
    const values = records.map((r) => r.storedValue);
    fuzz('decodeEnvelope', stringLike(values), (v) => decodeEnvelope(v));
    fuzz('decodeShareRecord', stringLike(values), (v) => decodeShareRecord(shareKey, v));
    fuzz('decodeServiceProviderRecord', stringLike(values), (v) => decodeServiceProviderRecord(postboxKey, v));
  });
  it('hostile plaintexts anyone can encrypt to a share key or the postbox key: decodeShareRecord, decodeServiceProviderRecord', () => {
    const rng = seededRng('fuzz/records');
    const sealTo = (key: bigint, j: unknown) => encodeEnvelope(eciesEncryptJSON(getPublicKey(scalarToBytes(key)), utf8ToBytes(JSON.stringify(j) ?? 'null'), { rng }));
    fuzz('decodeShareRecord(plaintext)', jsonLike(signedDocs), (j) => decodeShareRecord(shareKey, sealTo(shareKey, j)));
    fuzz('decodeServiceProviderRecord(plaintext)', jsonLike(shareStores), (j) => decodeServiceProviderRecord(postboxKey, sealTo(postboxKey, j)));
  });
  it('ECIES envelopes: eciesFromJSON, eciesDecryptJSON', () => {
    fuzz('eciesFromJSON', jsonLike(envelopes), (j) => eciesFromJSON(j));
    fuzz('eciesDecryptJSON', jsonLike(envelopes), (j) => eciesDecryptJSON(scalarToBytes(shareKey), j));
  });
});
