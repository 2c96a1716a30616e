/**
 * Security questions (tkey-formats §5), compatible with `@tkey/security-questions`: a dedicated
 * share whose value is `nonce + H(answer) mod n`; `generalStore.securityQuestions` =
 * `{nonce, shareIndex, sqPublicShare, polynomialID, questions}`; a refresh middleware re-derives
 * the nonce for the new share; an answer is checked against `sqPublicShare`; optionally the answer
 * is kept in `tkeyStore.securityQuestions` (encrypted to G·k_m).
 *
 * Peer mode: H = keccak256(utf8(answer)), no salt: anyone holding the metadata and one other share
 * can brute-force a weak answer offline. Hardened mode (opt-in): H = scrypt(utf8(answer), salt,
 * N, r, p) with a random 16-byte salt; the parameters live in `generalStore["securityQuestions:kdf"]`
 * (a separate domain that the peer's middleware leaves alone, so the peer refreshing the account
 * keeps it). The peer cannot answer a hardened question: it derives a wrong share and says so.
 *
 * Binding: the KDF record carries `answerCommitment` = G·h (compressed hex), h = H(answer) of the
 * question it was made for. The store determines G·h publicly: G·h = sqPublicShare − G·nonce
 * (share = nonce + h). The peer's refresh middleware keeps h (nonce' = share' − h), so a peer
 * refresh keeps the binding; the peer changing the answer (`changeSecurityQuestionAndAnswer`:
 * new nonce, same sqPublicShare) or recreating the question (new share, keccak) changes G·h, and
 * the record no longer matches: it is ignored (the peer's keccak derivation applies) and our next
 * write of the question drops it. A record from before this binding (no `answerCommitment`) is
 * tried first and keccak after it. G·h adds nothing to what the store already reveals.
 * @module
 */
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { aString, bytesToHex, bytesToNumberBE, hexToBytes, hexToNumber, toHexUnpadded, utf8ToBytes } from '../bytes.js';
import { modN, mulG, mulGUnsafe, pointFromHex, pointFromJSON, pointToHex, pointToJSON, randomScalar, type Point } from '../curve.js';
import { fail } from '../errors.js';
import { keccak256 } from '../hash.js';
import { randomShareIndex } from '../metadata/account-init.js';
import type { AccountContext, RefreshMiddleware, TKeyModule } from '../metadata/context.js';
import { generateNewShareBody, syncShareMetadata } from '../metadata/refresh.js';
import { outputShareStore } from '../metadata/share-io.js';
import { parseShareIndex, Share, ShareStore } from '../metadata/share-store.js';
import { setTKeyStoreItemBody, getTKeyStoreItem } from '../metadata/tkey-store.js';
import { thresholdKeyInternals, type ThresholdKey } from '../metadata/threshold-key.js';

export const SECURITY_QUESTIONS_MODULE_NAME = 'securityQuestions';
/** generalStore domain of the hardened mode's KDF parameters. */
export const SECURITY_QUESTIONS_KDF_DOMAIN = 'securityQuestions:kdf';
const TKEYSTORE_ID = 'answer';

export interface SecurityQuestionStoreJSON {
  nonce: string;
  shareIndex: string;
  sqPublicShare: { shareCommitment: { x: string; y: string }; shareIndex: string };
  polynomialID: string;
  questions: string;
}

/** Hardened-mode parameters as stored. */
export interface SecurityQuestionKdf {
  name: 'scrypt';
  salt: string;
  N: number;
  r: number;
  p: number;
  dkLen: 32;
}

/** The KDF record as stored: the parameters and the G·h they were made for. */
export interface SecurityQuestionKdfRecord extends SecurityQuestionKdf {
  /** G·h of the question the record was made for (compressed SEC1 hex); absent in records from before the binding. */
  answerCommitment?: string;
}

/** Defaults of the hardened mode: scrypt N = 2^16, r = 8, p = 1 (64 MiB, ~0.3 s). */
export const DEFAULT_KDF = { N: 2 ** 16, r: 8, p: 1 } as const;
const KDF_BOUNDS = { minLogN: 10, maxLogN: 20, maxR: 32, maxP: 16 };

function parseStore(j: unknown): { nonce: bigint; index: bigint; pub: ReturnType<typeof pointFromJSON>; polynomialID: string; questions: string } {
  if (typeof j !== 'object' || j === null) return fail('INVALID_JSON', 'securityQuestions: expected an object');
  const o = j as Record<string, unknown>;
  if (typeof o.nonce !== 'string' || typeof o.polynomialID !== 'string' || typeof o.questions !== 'string') fail('INVALID_JSON', 'securityQuestions: missing fields');
  const sp = o.sqPublicShare as { shareCommitment?: unknown } | undefined;
  if (typeof sp !== 'object' || sp === null) fail('INVALID_JSON', 'securityQuestions.sqPublicShare: missing');
  return {
    nonce: modN(hexToNumber(o.nonce, 'securityQuestions.nonce')),
    index: parseShareIndex(o.shareIndex, 'securityQuestions.shareIndex'),
    pub: pointFromJSON(sp.shareCommitment, 'securityQuestions.sqPublicShare'),
    polynomialID: o.polynomialID,
    questions: o.questions,
  };
}

function storeJSON(nonce: bigint, share: ShareStore, questions: string): SecurityQuestionStoreJSON {
  const idx = toHexUnpadded(share.index);
  return {
    nonce: toHexUnpadded(modN(nonce)),
    shareIndex: idx,
    sqPublicShare: { shareCommitment: pointToJSON(share.share.publicShare()), shareIndex: idx },
    polynomialID: share.polynomialID,
    questions,
  };
}

function parseKdf(j: unknown): SecurityQuestionKdf {
  const o = j as Partial<SecurityQuestionKdf> | null;
  if (typeof o !== 'object' || o === null || o.name !== 'scrypt' || typeof o.salt !== 'string' || o.dkLen !== 32)
    return fail('SECURITY_QUESTIONS_KDF_INVALID', 'unsupported KDF description');
  const { N, r, p } = o;
  const logN = typeof N === 'number' ? Math.log2(N) : NaN;
  if (!Number.isInteger(logN) || logN < KDF_BOUNDS.minLogN || logN > KDF_BOUNDS.maxLogN) fail('SECURITY_QUESTIONS_KDF_INVALID', 'scrypt N out of bounds');
  if (!Number.isSafeInteger(r) || r! < 1 || r! > KDF_BOUNDS.maxR || !Number.isSafeInteger(p) || p! < 1 || p! > KDF_BOUNDS.maxP) fail('SECURITY_QUESTIONS_KDF_INVALID', 'scrypt r/p out of bounds');
  if (hexToBytes(o.salt, 'salt').length < 16) fail('SECURITY_QUESTIONS_KDF_INVALID', 'salt shorter than 16 bytes');
  return { name: 'scrypt', salt: o.salt, N: N!, r: r!, p: p!, dkLen: 32 };
}

/** G·h of a question store: sqPublicShare − G·nonce (share = nonce + h). */
function answerCommitmentOf(sq: ReturnType<typeof parseStore>): Point {
  return sq.pub.subtract(mulGUnsafe(sq.nonce));
}

function kdfRecord(kdf: SecurityQuestionKdf, h: bigint): SecurityQuestionKdfRecord {
  return { ...kdf, answerCommitment: pointToHex(mulG(modN(h)), true) };
}

/**
 * Which derivation answers the stored question: `hardened` (the KDF record is bound to it),
 * `legacy` (an unbound record: try it, then keccak), or keccak (`undefined`: no record, or one
 * made for another question — the peer changed or recreated it).
 */
function kdfFor(generalStore: Record<string, unknown>): { kdf: SecurityQuestionKdf; bound: boolean } | undefined {
  const raw = generalStore[SECURITY_QUESTIONS_KDF_DOMAIN] as SecurityQuestionKdfRecord | undefined;
  const sqRaw = generalStore[SECURITY_QUESTIONS_MODULE_NAME];
  if (raw === undefined || raw === null || sqRaw === undefined) return undefined;
  if (typeof raw !== 'object' || raw.answerCommitment === undefined) return { kdf: parseKdf(raw), bound: false };
  if (typeof raw.answerCommitment !== 'string') return fail('SECURITY_QUESTIONS_KDF_INVALID', 'answerCommitment: expected compressed SEC1 hex');
  const bound = pointFromHex(raw.answerCommitment, 'answerCommitment');
  return bound.equals(answerCommitmentOf(parseStore(sqRaw))) ? { kdf: parseKdf(raw), bound: true } : undefined;
}

/** H(answer): keccak256 (peer mode) or scrypt (hardened mode), as a scalar mod n. */
export async function answerHash(answer: string, kdf?: SecurityQuestionKdf): Promise<bigint> {
  aString(answer, 'answer');
  const pw = utf8ToBytes(answer);
  if (!kdf) return modN(bytesToNumberBE(keccak256(pw)));
  const k = parseKdf(kdf);
  const out = await scryptAsync(pw, hexToBytes(k.salt), { N: k.N, r: k.r, p: k.p, dkLen: 32, maxmem: 128 * k.r * (k.N + k.p + 2) + 4096 });
  return modN(bytesToNumberBE(out));
}

/** The peer's middleware: nonce' = new − (old − nonce); dropped with the share. */
const refreshSecurityQuestions: RefreshMiddleware = (domain, oldShares, newShares) => {
  if (domain === undefined || domain === null || (typeof domain === 'object' && Object.keys(domain).length === 0)) return domain;
  const sq = parseStore(domain);
  const o = oldShares.get(sq.index);
  const n = newShares.get(sq.index);
  if (!o || !n) return undefined;
  const h = o.share.value - sq.nonce;
  return storeJSON(n.share.value - h, n, sq.questions);
};
/** The KDF parameters stay while the security-question share does (h, hence the binding, is kept); a stale record goes. */
const refreshKdf: RefreshMiddleware = (domain, _old, newShares, env) => {
  if (domain === undefined) return undefined;
  const sq = env.generalStore[SECURITY_QUESTIONS_MODULE_NAME];
  if (sq === undefined || kdfFor(env.generalStore) === undefined) return undefined;
  return newShares.has(parseStore(sq).index) ? domain : undefined;
};

export interface SecurityQuestionsOptions {
  /** Keep the answer in `tkeyStore.securityQuestions` (encrypted to G·k_m), as the peer's `saveAnswers`. */
  saveAnswers?: boolean;
}

/** Register on the ThresholdKey (`modules: [sq]`) so that refreshes keep the question answerable. */
export class SecurityQuestionsModule implements TKeyModule {
  readonly name = SECURITY_QUESTIONS_MODULE_NAME;
  readonly saveAnswers: boolean;
  readonly refreshMiddleware: Readonly<Record<string, RefreshMiddleware>> = Object.freeze({
    [SECURITY_QUESTIONS_MODULE_NAME]: refreshSecurityQuestions,
    [SECURITY_QUESTIONS_KDF_DOMAIN]: refreshKdf,
  });

  constructor(opts: SecurityQuestionsOptions = {}) {
    this.saveAnswers = opts.saveAnswers ?? false;
  }

  #ctx(tk: ThresholdKey): ReturnType<typeof thresholdKeyInternals> {
    const i = thresholdKeyInternals(tk);
    if (!i.ctx.modules.includes(this)) fail('INVALID_ARGUMENT', 'register this SecurityQuestionsModule in the ThresholdKey options (modules) first');
    return i;
  }

  /**
   * Add a share answerable by `answer` (a refresh). `hardened: true` (or scrypt parameters) selects
   * the salted slow KDF. Returns the new share.
   */
  async generateNewShareWithSecurityQuestions(
    tk: ThresholdKey,
    answer: string,
    questions: string,
    opts: { hardened?: boolean | { N?: number; r?: number; p?: number } } = {},
  ): Promise<{ newShareStore: ShareStore; newShareIndex: bigint }> {
    aString(answer, 'answer');
    aString(questions, 'questions');
    const { ctx, mutate } = this.#ctx(tk);
    let kdf: SecurityQuestionKdf | undefined;
    if (opts.hardened) {
      const p = opts.hardened === true ? {} : opts.hardened;
      kdf = parseKdf({ name: 'scrypt', salt: bytesToHex(ctx.rng.bytes(16)), N: p.N ?? DEFAULT_KDF.N, r: p.r ?? DEFAULT_KDF.r, p: p.p ?? DEFAULT_KDF.p, dkLen: 32 });
    }
    const h = await answerHash(answer, kdf);
    return mutate(() => {
      const { metadata } = ctx.state.requireKey();
      const newIndex = randomShareIndex(ctx, metadata.shareIndexes());
      const coeffs = Array.from({ length: metadata.threshold() - 1 }, () => randomScalar(ctx.rng));
      return {
        name: 'generateNewShareWithSecurityQuestions',
        apply: async (c: AccountContext) => {
          const m = c.state.requireMetadata();
          if (m.getGeneralStoreDomain(SECURITY_QUESTIONS_MODULE_NAME) !== undefined) fail('SECURITY_QUESTIONS_EXIST', 'a security-question share already exists');
          const { newShareStore } = generateNewShareBody(c, newIndex, coeffs);
          m.setGeneralStoreDomain(SECURITY_QUESTIONS_MODULE_NAME, storeJSON(newShareStore.share.value - h, newShareStore, questions));
          if (kdf) m.setGeneralStoreDomain(SECURITY_QUESTIONS_KDF_DOMAIN, kdfRecord(kdf, h));
          else m.deleteGeneralStoreDomain(SECURITY_QUESTIONS_KDF_DOMAIN); // a stale record of a question the peer deleted
          m.addShareDescription(toHexUnpadded(newIndex), JSON.stringify({ module: SECURITY_QUESTIONS_MODULE_NAME, questions, dateAdded: c.now() }));
          if (this.saveAnswers) {
            setTKeyStoreItemBody(c, SECURITY_QUESTIONS_MODULE_NAME, { answer, id: TKEYSTORE_ID });
            await syncShareMetadata(c);
          }
          await syncShareMetadata(c);
          return { newShareStore, newShareIndex: newIndex };
        },
      };
    });
  }

  getSecurityQuestions(tk: ThresholdKey): string {
    const raw = this.#ctx(tk).ctx.state.requireMetadata().getGeneralStoreDomain(SECURITY_QUESTIONS_MODULE_NAME);
    if (raw === undefined) return fail('SECURITY_QUESTIONS_MISSING', 'no security question set');
    return parseStore(raw).questions;
  }

  /** Is the account's security question hardened (salted scrypt)? */
  isHardened(tk: ThresholdKey): boolean {
    return kdfFor(this.#ctx(tk).ctx.state.requireMetadata().generalStore) !== undefined;
  }

  /** Derive the share from `answer`, check it against `sqPublicShare`, catch it up and hold it. */
  async inputShareFromSecurityQuestions(tk: ThresholdKey, answer: string): Promise<ShareStore> {
    const { ctx } = this.#ctx(tk);
    const m = ctx.state.requireMetadata();
    const raw = m.getGeneralStoreDomain(SECURITY_QUESTIONS_MODULE_NAME);
    if (raw === undefined) return fail('SECURITY_QUESTIONS_MISSING', 'no security question set');
    const sq = parseStore(raw);
    const k = kdfFor(m.generalStore);
    let value = modN(sq.nonce + (await answerHash(answer, k?.kdf)));
    // an unbound (pre-binding) record may be stale: the peer's keccak derivation next
    if (k && !k.bound && !mulGUnsafe(value).equals(sq.pub)) value = modN(sq.nonce + (await answerHash(answer)));
    if (!mulGUnsafe(value).equals(sq.pub)) fail('WRONG_ANSWER', 'the answer does not derive the security-question share');
    return tk.inputShareStore(new ShareStore(new Share(sq.index, value), sq.polynomialID));
  }

  /** New answer (and question) for the existing share: only the nonce changes. */
  async changeSecurityQuestionAndAnswer(tk: ThresholdKey, newAnswer: string, newQuestions: string): Promise<void> {
    aString(newQuestions, 'newQuestions');
    const { ctx, mutate } = this.#ctx(tk);
    const m = ctx.state.requireMetadata();
    if (m.getGeneralStoreDomain(SECURITY_QUESTIONS_MODULE_NAME) === undefined) fail('SECURITY_QUESTIONS_MISSING', 'no security question set');
    // the mode of the question as it stands: hardened only while the KDF record is bound to it
    const k = kdfFor(m.generalStore);
    const kdf = k ? { ...k.kdf, salt: bytesToHex(ctx.rng.bytes(16)) } : undefined;
    const h = await answerHash(newAnswer, kdf);
    await mutate(() => ({
      name: 'changeSecurityQuestionAndAnswer',
      apply: async (c: AccountContext) => {
        const md = c.state.requireMetadata();
        const raw = md.getGeneralStoreDomain(SECURITY_QUESTIONS_MODULE_NAME);
        if (raw === undefined) fail('SECURITY_QUESTIONS_MISSING', 'no security question set');
        const sq = parseStore(raw);
        const share = outputShareStore(c, sq.index);
        md.setGeneralStoreDomain(SECURITY_QUESTIONS_MODULE_NAME, storeJSON(share.share.value - h, share, newQuestions));
        if (kdf) md.setGeneralStoreDomain(SECURITY_QUESTIONS_KDF_DOMAIN, kdfRecord(kdf, h));
        else md.deleteGeneralStoreDomain(SECURITY_QUESTIONS_KDF_DOMAIN);
        if (this.saveAnswers) setTKeyStoreItemBody(c, SECURITY_QUESTIONS_MODULE_NAME, { answer: newAnswer, id: TKEYSTORE_ID });
        await syncShareMetadata(c);
      },
    }));
  }

  /** The saved answer (needs `saveAnswers` and the reconstructed key). */
  getAnswer(tk: ThresholdKey): string {
    const item = getTKeyStoreItem(this.#ctx(tk).ctx, SECURITY_QUESTIONS_MODULE_NAME, TKEYSTORE_ID);
    if (!item || typeof item.answer !== 'string') return fail('NOT_FOUND', 'no saved answer');
    return item.answer;
  }
}
