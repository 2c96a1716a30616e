/**
 * Factor keys derived from a security answer (tkey-formats §4.7).
 *
 * Core-kit mode (compatible): `factorKey = keccak256(utf8(answer + compressedMetadataPubHex + tssTag))`,
 * recorded in `generalStore["tssSecurityQuestion:<tag>"] = {shareIndex, factorPublicKey, question}`.
 * Anyone holding the metadata can test guesses offline at keccak speed.
 *
 * Hardened mode (opt-in): the same input string through scrypt with a random 16-byte salt — the
 * metadata layer's hardened security-question KDF (`answerHash` of
 * `src/modules/security-questions.ts`, same parameter format and bounds). The parameters live in
 * a separate domain `generalStore["tssSecurityQuestion:<tag>:kdf"] = {factorPublicKey, kdf}`,
 * bound to the factor public key they produced: a peer that rewrites or deletes its own domain
 * leaves a record that no longer matches and is ignored. The peer cannot answer a hardened
 * question (it derives another key and reports a wrong answer).
 * @module
 */
import { aString, bytesToHex, utf8ToBytes } from '../bytes.js';
import { pointFromHex, pointToHex, scalarToBytes, type Point } from '../curve.js';
import { fail } from '../errors.js';
import { keccak256 } from '../hash.js';
import type { Metadata } from '../metadata/metadata.js';
import { answerHash, DEFAULT_KDF, type SecurityQuestionKdf } from '../modules/security-questions.js';
import { cryptoRng, type Rng } from '../rng.js';
import { FactorKey, factorPubPoint } from './factor-key.js';
import { aTssTag } from './tss-tag.js';

/** generalStore domain of the core kit's TSS security question for `tssTag`. */
export function tssSecurityQuestionDomain(tssTag: string): string {
  return `tssSecurityQuestion:${aTssTag(tssTag)}`;
}
/** generalStore domain of the hardened mode's KDF parameters for `tssTag`. */
export function tssSecurityQuestionKdfDomain(tssTag: string): string {
  return `${tssSecurityQuestionDomain(tssTag)}:kdf`;
}

/** The core kit's store (`TssSecurityQuestionStore.toJSON`). */
export interface TssSecurityQuestionStore {
  shareIndex: string;
  factorPublicKey: string;
  question: string;
}

/** The derivation input: answer + compressedMetadataPubHex + tssTag. */
function input(answer: string, metadataPub: Uint8Array | Point, tssTag: string): string {
  aString(answer, 'answer');
  if (answer.length === 0) fail('INVALID_ARGUMENT', 'answer: empty');
  return answer + pointToHex(factorPubPoint(metadataPub, 'metadataPub'), true) + aTssTag(tssTag);
}

/** Core-kit factor key: keccak256(utf8(answer + compressedMetadataPubHex + tssTag)). */
export function securityAnswerFactorKey(answer: string, metadataPub: Uint8Array | Point, tssTag: string): FactorKey {
  return FactorKey.fromBytes(keccak256(utf8ToBytes(input(answer, metadataPub, tssTag))));
}

/** Fresh hardened-mode parameters: scrypt with a random 16-byte salt (defaults N = 2^16, r = 8, p = 1). */
export function newAnswerKdf(rng: Rng = cryptoRng, params: { N?: number; r?: number; p?: number } = {}): SecurityQuestionKdf {
  return { name: 'scrypt', salt: bytesToHex(rng.bytes(16)), N: params.N ?? DEFAULT_KDF.N, r: params.r ?? DEFAULT_KDF.r, p: params.p ?? DEFAULT_KDF.p, dkLen: 32 };
}

/** Hardened factor key: scrypt(utf8(answer + compressedMetadataPubHex + tssTag), salt, N, r, p) mod n. */
export async function hardenedAnswerFactorKey(answer: string, metadataPub: Uint8Array | Point, tssTag: string, kdf: SecurityQuestionKdf): Promise<FactorKey> {
  const h = await answerHash(input(answer, metadataPub, tssTag), kdf);
  return FactorKey.fromBytes(scalarToBytes(h));
}

/**
 * Record the question in the metadata (core-kit domain, plus the KDF domain in hardened mode).
 * Mutates `metadata` (the working copy the caller syncs).
 */
export function setTssSecurityQuestion(
  metadata: Metadata,
  tssTag: string,
  opts: { tssIndex: number; factorPub: Uint8Array | Point; question: string; kdf?: SecurityQuestionKdf },
): void {
  aString(opts.question, 'question');
  if (!Number.isSafeInteger(opts.tssIndex) || opts.tssIndex < 2) fail('OUT_OF_RANGE', 'tssIndex: expected an integer ≥ 2');
  const factorPublicKey = pointToHex(factorPubPoint(opts.factorPub), true);
  const store: TssSecurityQuestionStore = { shareIndex: String(opts.tssIndex), factorPublicKey, question: opts.question };
  metadata.setGeneralStoreDomain(tssSecurityQuestionDomain(tssTag), store);
  if (opts.kdf) metadata.setGeneralStoreDomain(tssSecurityQuestionKdfDomain(tssTag), { factorPublicKey, kdf: opts.kdf });
  else metadata.deleteGeneralStoreDomain(tssSecurityQuestionKdfDomain(tssTag));
}

/** The recorded question, and the hardened KDF when one is bound to its factor; `undefined` when none. */
export function getTssSecurityQuestion(metadata: Metadata, tssTag: string): { store: TssSecurityQuestionStore; kdf?: SecurityQuestionKdf } | undefined {
  const raw = metadata.getGeneralStoreDomain(tssSecurityQuestionDomain(tssTag)) as Partial<TssSecurityQuestionStore> | undefined;
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || typeof raw.shareIndex !== 'string' || typeof raw.factorPublicKey !== 'string' || typeof raw.question !== 'string')
    return fail('INVALID_JSON', `${tssSecurityQuestionDomain(tssTag)}: expected {shareIndex, factorPublicKey, question}`);
  const store = { shareIndex: raw.shareIndex, factorPublicKey: raw.factorPublicKey, question: raw.question };
  const k = metadata.getGeneralStoreDomain(tssSecurityQuestionKdfDomain(tssTag)) as { factorPublicKey?: unknown; kdf?: SecurityQuestionKdf } | undefined;
  if (k && typeof k === 'object' && k.factorPublicKey === store.factorPublicKey && k.kdf) return { store, kdf: k.kdf };
  return { store };
}

/** Derive the factor key from `answer` (hardened when the metadata says so) and check it. `WRONG_ANSWER` otherwise. */
export async function recoverSecurityAnswerFactor(metadata: Metadata, tssTag: string, answer: string): Promise<FactorKey> {
  const sq = getTssSecurityQuestion(metadata, tssTag);
  if (!sq) return fail('SECURITY_QUESTIONS_MISSING', `no security question under ${tssSecurityQuestionDomain(tssTag)}`);
  const key = sq.kdf ? await hardenedAnswerFactorKey(answer, metadata.pubKey, tssTag, sq.kdf) : securityAnswerFactorKey(answer, metadata.pubKey, tssTag);
  if (!key.pubPoint.equals(pointFromHex(sq.store.factorPublicKey, 'factorPublicKey'))) {
    key.destroy();
    return fail('WRONG_ANSWER', 'the answer does not derive the recorded factor key');
  }
  return key;
}
