/**
 * `TssAccount`: the account lifecycle facade a wallet touches. Thin: every method delegates to a
 * flow module (create-account, login, factors, two-phase) under a per-instance lock, so the
 * operations of one account never interleave. Bytes at the API; secrets (factor keys, shares,
 * metadata key) never appear in `toJSON` or inspection.
 *
 *   const { account, deviceFactor, recoveryFactor } = await TssAccount.create(opts);
 *   const again = await TssAccount.login(opts, deviceFactor);
 *   await account.addFactor({ factor: saKey, tssIndex: 4, module: 'tssSecurityQuestions', securityQuestion: { question } });
 *   await account.deleteFactor(lostDevicePub);  await account.changeThreshold(3);
 * @module
 */
import { bytesToHex } from '../bytes.js';
import { pointToBytes } from '../curve.js';
import type { SecurityQuestionKdf } from '../modules/security-questions.js';
import type { FactorInfo } from '../tss/factor-descriptions.js';
import type { FactorKey } from '../tss/factor-key.js';
import { recoverSecurityAnswerFactor } from '../tss/security-answer-factor.js';
import { readTss } from '../tss/tss-metadata.js';
import { createAccountCore, type CreateAccountOptions } from './create-account.js';
import type { ClientOptions, Core } from './core.js';
import { addFactor, changeThreshold, deleteFactor, listFactors, refreshShares, securityAnswerFactor, type AddFactorOptions, type AddFactorResult } from './factors.js';
import { loginCore, unlockFactor } from './login.js';
import { finalize, type LifecycleResult } from './two-phase.js';
import { ThresholdKey, thresholdKeyInternals } from '../metadata/threshold-key.js';
import { envOf } from './core.js';
import { presignMany, setupAux, sign, signingPublicKey, type DerivationOption, type Signature } from './signing.js';
import { ethAddress } from '../signature/ecdsa.js';
import { exportKey } from './export-key.js';
import { defaultSigners, presignUser, setupUserAux, signUser } from './user-signing.js';
import { serviceSign, setSigners, type SignOptions } from './signer-set.js';
import type { SigningRequest } from '../signature/request.js';
import type { AuxInput } from '../../protocols/aux/index.js';
import type { PresignPool } from '../signature/presign-pool.js';
import { joinPairing, startPairing, type JoinPairingOptions, type Pairing, type StartPairingOptions } from './pairing.js';
import type { PairedDevice } from './paired-device.js';

export class TssAccount {
  readonly #c: Core;
  #lock: Promise<unknown> = Promise.resolve();

  private constructor(core: Core) {
    this.#c = core;
  }

  #locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn, fn);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  /** Create a 2-of-3 account (service 1, device 2, recovery 3). Keep `deviceFactor`; show `recoveryFactor.toMnemonic()` to the user. */
  static async create(opts: CreateAccountOptions): Promise<{ account: TssAccount; deviceFactor: FactorKey; recoveryFactor: FactorKey }> {
    const r = await createAccountCore(opts);
    return { account: new TssAccount(r.core), deviceFactor: r.deviceFactor, recoveryFactor: r.recoveryFactor };
  }

  /**
   * Log in with postbox key + one factor key (device key, recovery mnemonic, answer-derived, dApp key).
   * A factor without an aux entry for its index (one another client added, e.g. the peer's
   * `addFactorPub` copy) logs in but cannot sign: `auxMissing` lists its index, and signing says
   * `AUX_MISSING`. Give `setupAux` (a prepared aux input) to repair it here: aux info then runs
   * with the service and is sealed to every factor of the index (one batch).
   */
  static async login(opts: ClientOptions, factorKey: FactorKey, loginOpts: { setupAux?: AuxInput } = {}): Promise<TssAccount> {
    const core = await loginCore(opts, factorKey);
    const tss = readTss(core.tk.getMetadata(), core.tssTag);
    await core.pool.prune(pointToBytes(tss.commitments[0]!, true), tss.tssNonce); // a durable pool may hold older epochs
    const account = new TssAccount(core);
    if (loginOpts.setupAux) for (const i of account.auxMissing) await account.setupAux(loginOpts.setupAux, { index: i });
    return account;
  }

  /** Derive the security-answer factor key of an account (checked against the recorded factor; WRONG_ANSWER otherwise). */
  static async securityAnswerFactorKey(opts: ClientOptions, answer: string): Promise<FactorKey> {
    const env = envOf(opts);
    const tk = new ThresholdKey({ storage: env.storage, postboxKey: env.postboxKey, rng: env.rng });
    await tk.initialize({ neverInitializeNewKey: true });
    return recoverSecurityAnswerFactor(tk.getMetadata(), env.tssTag, answer);
  }

  /** Hold one more factor's share on this device (e.g. to deal at a threshold above 2). Returns its index. */
  unlockFactor(factorKey: FactorKey): Promise<number> {
    return this.#locked(() => unlockFactor(this.#c, factorKey));
  }

  /** The TSS public key (compressed SEC1): unchanged by every lifecycle operation. */
  get publicKey(): Uint8Array {
    return pointToBytes(thresholdKeyInternals(this.#c.tk).readMetadata((m) => readTss(m, this.#c.tssTag)).commitments[0]!, true);
  }
  /** EIP-55 checksummed Ethereum address of `publicKey` (the root key): what `sign` results recover to. */
  get address(): string {
    return ethAddress(this.publicKey);
  }
  /** The (compressed) public key `sign(request, derivation)` verifies under: `publicKey` for `{}`, else the derived key. */
  publicKeyOf(derivation: DerivationOption = {}): Uint8Array {
    return signingPublicKey(this.#c, derivation);
  }
  /** EIP-55 address of `publicKeyOf(derivation)`: `address` for `{}`. */
  addressOf(derivation: DerivationOption = {}): string {
    return ethAddress(this.publicKeyOf(derivation));
  }
  /** G·k_m of the tKey v1 metadata layer. */
  get metadataPublicKey(): Uint8Array {
    return this.#c.metadataPub.slice();
  }
  get tssTag(): string {
    return this.#c.tssTag;
  }
  /** The epoch (tssNonce). */
  get tssNonce(): number {
    return thresholdKeyInternals(this.#c.tk).readMetadata((m) => readTss(m, this.#c.tssTag)).tssNonce;
  }
  get threshold(): number {
    return thresholdKeyInternals(this.#c.tk).readMetadata((m) => readTss(m, this.#c.tssTag)).commitments.length;
  }
  /** Share indices this device holds in memory. */
  get heldIndices(): number[] {
    return this.#c.device.heldIndices;
  }
  /** A refresh is durable but the service has not confirmed dropping its old share: call `finalize()`. */
  get finalizePending(): boolean {
    return this.#c.finalizePending;
  }

  listFactors(): FactorInfo[] {
    return listFactors(this.#c);
  }
  addFactor(o: AddFactorOptions): Promise<AddFactorResult> {
    return this.#locked(() => addFactor(this.#c, o));
  }
  deleteFactor(factor: Uint8Array | FactorKey): Promise<LifecycleResult> {
    return this.#locked(() => deleteFactor(this.#c, factor));
  }
  changeThreshold(t: number): Promise<LifecycleResult> {
    return this.#locked(() => changeThreshold(this.#c, t));
  }
  /** New shares, same factors and key (epoch + 1); `rotateAux` (a prepared aux input) rotates the device's Paillier key in the same session. */
  refresh(opts: { rotateAux?: AuxInput } = {}): Promise<LifecycleResult> {
    return this.#locked(() => refreshShares(this.#c, opts));
  }
  /** Retry phase 2 with the service. */
  finalize(): Promise<boolean> {
    return this.#locked(() => finalize(this.#c));
  }
  /** A security-answer factor key for this account (`hardened`: salted scrypt; pass the returned kdf to `addFactor`). */
  securityAnswerFactor(answer: string, opts: { hardened?: boolean | { N?: number; r?: number; p?: number } } = {}): Promise<{ factorKey: FactorKey; kdf?: SecurityQuestionKdf }> {
    return securityAnswerFactor(this.#c, answer, opts);
  }
  /** Run aux info with the service for signing with share `index` (default: the lowest held) and store it encrypted to that share's factors. */
  setupAux(input: AuxInput, opts: { index?: number } = {}): Promise<void> {
    return this.#locked(() => setupAux(this.#c, input, opts.index));
  }
  /**
   * Held share indices without aux info: signing with them fails with `AUX_MISSING` until
   * `setupAux` runs for the index (the factor logged in with has no aux entry, e.g. one another
   * client added). Empty when every held share can sign.
   */
  get auxMissing(): number[] {
    return this.#c.device.heldIndices.filter((i) => !this.#c.device.aux(i));
  }
  /** Indices this device can sign with (share + aux held). */
  get signingIndices(): number[] {
    return this.#c.device.auxIndices.filter((i) => this.#c.device.heldIndices.includes(i));
  }
  /**
   * Sign a request with the service (threshold 2): `{message}`, `{personalMessage}` (EIP-191),
   * `{typedData}` (EIP-712), `{transaction}` (unsigned serialized), or `{digest, allowRawDigest: true}`
   * (`RAW_DIGEST_REFUSED` without the opt-in). The library hashes it (`signingDigest`); a pooled
   * presignature is used when one matches (`presign(n)`), else presign + sign in one go. The
   * signature is verified before it is returned, in every form (r, s, v, DER, 65-byte, Ethereum).
   * `accountIndex` (peer-compatible account nonce) or `bip32Path` (non-hardened, from the key and
   * the keygen chain code) signs for a derived key: `publicKey`/`address` are then the derived ones.
   */
  sign(request: SigningRequest, opts: SignOptions = {}): Promise<Signature> {
    return this.#locked(() => {
      const set = setSigners(opts, this.threshold, () => defaultSigners(this.#c));
      return set ? signUser(this.#c, request, set, opts) : sign(this.#c, request, serviceSign(opts));
    });
  }
  /**
   * Presign `count` times with the service into the presignature pool (bound to key, epoch, signer
   * set, derivation shift, profile; single use; pruned after every refresh). Returns how many the
   * pool now holds for this account's current binding. `accountIndex` / `bip32Path` as in `sign`:
   * the presignatures are for that derived key only.
   */
  presign(count: number, opts: SignOptions = {}): Promise<number> {
    return this.#locked(() => {
      const set = setSigners(opts, this.threshold, () => defaultSigners(this.#c));
      return set ? presignUser(this.#c, count, set, opts) : presignMany(this.#c, count, serviceSign(opts).index, opts);
    });
  }
  /**
   * Aux info for a signer group the device acts for several indices of: without the service (one
   * session among the user indices `indices`, default every held index, at least two) or, with
   * `withService: true`, the group {1} ∪ indices for signing with the service at t ≥ 3.
   * `inputs[k]` is the prepared aux input of `indices[k]`. Each index's part is sealed to every
   * factor of that index (one batch), so any device unlocking a factor of each index can sign with
   * `{signers}`. Returns the group key ("2,3", "1,2,3").
   */
  setupUserAux(inputs: readonly AuxInput[], opts: { indices?: readonly number[]; withService?: boolean } = {}): Promise<string> {
    return this.#locked(() => setupUserAux(this.#c, inputs, opts.indices, opts.withService === true));
  }
  /**
   * Pair with another device of this user (`pairing.ts`): show `code` (text / QR), then
   * `accept()` gives the `PairedDevice` once the other device joined. Single use, expires (`ttlMs`).
   */
  startPairing(opts: StartPairingOptions): Promise<Pairing> {
    return startPairing(this.#c, (fn) => this.#locked(fn), opts);
  }
  /** Join the pairing another device of this user shows (`code`): the paired host, once it accepted. */
  joinPairing(code: string, opts: JoinPairingOptions): Promise<PairedDevice> {
    return joinPairing(this.#c, (fn) => this.#locked(fn), code, opts);
  }
  /** The presignature pool this account signs from. */
  get presignPool(): PresignPool {
    return this.#c.pool;
  }
  /**
   * EXPORT THE TSS PRIVATE KEY, assembled from `t` user factor keys (the service's share is never
   * used). The only place the key ever exists in one piece: `NOT_ENOUGH_SHARES` with fewer than t
   * distinct user shares, `FACTOR_UNKNOWN` for a factor not on the account. Returns 32 bytes the
   * caller must protect and zero.
   */
  exportKey(factorKeys: readonly (FactorKey | Uint8Array)[]): Promise<Uint8Array> {
    return this.#locked(() => exportKey(this.#c, factorKeys));
  }
  /** Re-read the account from storage (another device may have changed it). */
  reload(): Promise<void> {
    return this.#locked(() => this.#c.tk.reload({ discardPending: true }));
  }
  /** Wipe the shares this device holds. */
  logout(): void {
    this.#c.device.wipeAll();
    this.#c.heldFactors.clear();
  }

  toJSON(): Record<string, unknown> {
    return {
      publicKey: bytesToHex(this.publicKey),
      address: this.address,
      tssTag: this.#c.tssTag,
      tssNonce: this.tssNonce,
      threshold: this.threshold,
      heldIndices: this.heldIndices,
      auxMissing: this.auxMissing,
      finalizePending: this.#c.finalizePending,
      shares: '<redacted>',
    };
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `TssAccount ${JSON.stringify(this.toJSON())}`;
  }
}
