/**
 * Typed errors with stable codes. Every error the library throws is a `TkeyTssError` whose `kind`
 * is one of five classes (DESIGN §3.8) and whose `code` is a stable string from `ERROR_CODES`.
 * The README's error table is generated from this table (keep them in step).
 * @module
 */

export type ErrorKind = 'InvalidInput' | 'ProtocolAbort' | 'StorageConflict' | 'NotFound' | 'InternalBug';

/** The one table of error codes: code → kind and what it means. */
export const ERROR_CODES = {
  // generic input validation
  INVALID_ARGUMENT: { kind: 'InvalidInput', text: 'an argument has the wrong type or shape' },
  INVALID_LENGTH: { kind: 'InvalidInput', text: 'a byte string has the wrong length' },
  INVALID_HEX: { kind: 'InvalidInput', text: 'a string is not valid hex' },
  INVALID_JSON: { kind: 'InvalidInput', text: 'a JSON document is malformed or misses a required field' },
  OUT_OF_RANGE: { kind: 'InvalidInput', text: 'a number is outside its allowed range' },
  PAYLOAD_TOO_LARGE: { kind: 'InvalidInput', text: 'an input exceeds its size limit (details.limit); nothing of it was processed' },
  // bigint / Paillier (src/bigint, src/paillier)
  NOT_INVERTIBLE: { kind: 'InvalidInput', text: 'a value has no inverse modulo the given modulus (gcd ≠ 1)' },
  INVALID_MODULUS: { kind: 'InvalidInput', text: 'a modulus is not usable here (zero, negative, even where odd is required, or not coprime)' },
  PAILLIER_MODULUS_SIZE: { kind: 'InvalidInput', text: 'a Paillier modulus is outside the size bounds of its profile' },
  PAILLIER_INVALID_KEY: { kind: 'InvalidInput', text: 'Paillier key material is inconsistent: p, q not distinct primes, p·q ≠ N, or g ≠ N + 1' },
  PAILLIER_INVALID_CIPHERTEXT: { kind: 'InvalidInput', text: 'a Paillier ciphertext is not in Z*_{N²}' },
  PAILLIER_PLAINTEXT_RANGE: { kind: 'InvalidInput', text: 'a Paillier plaintext or nonce is outside its range' },
  DEC_BOUND_UNFIT: { kind: 'InvalidInput', text: 'the Πdec plaintext bound ℓ_y does not fit the Paillier modulus (ℓ_y + c + λ + 4 > bitlen(N0)): too many signers for the profile' },
  RING_PEDERSEN_INVALID: { kind: 'InvalidInput', text: 'ring-Pedersen parameters are malformed (s, t not in Z*_N, degenerate, or s = t)' },
  PRIME_GENERATION_FAILED: { kind: 'InternalBug', text: 'prime generation returned a value that fails verification' },
  // curve
  INVALID_SCALAR: { kind: 'InvalidInput', text: 'a scalar is not in [1, n−1] (or [0, n−1] where zero is allowed)' },
  INVALID_POINT: { kind: 'InvalidInput', text: 'a point encoding is malformed, off the curve or the identity' },
  INVALID_SIGNATURE: { kind: 'InvalidInput', text: 'a signature is malformed or does not verify' },
  // ECIES
  ECIES_MAC_MISMATCH: { kind: 'InvalidInput', text: 'ECIES MAC check failed (tampered ciphertext or wrong key)' },
  ECIES_DECRYPT_FAILED: { kind: 'InvalidInput', text: 'ECIES plaintext padding is invalid' },
  // Shamir / polynomials
  DUPLICATE_INDEX: { kind: 'InvalidInput', text: 'two shares or parties have the same index' },
  ZERO_INDEX: { kind: 'InvalidInput', text: 'a share or party index is zero' },
  NOT_ENOUGH_SHARES: { kind: 'InvalidInput', text: 'fewer shares than the threshold' },
  SHARE_NOT_ON_POLYNOMIAL: { kind: 'InvalidInput', text: 'a share does not match its Feldman commitments' },
  INVALID_MNEMONIC: { kind: 'InvalidInput', text: 'a mnemonic is not a valid 24-word BIP39 phrase' },
  // metadata layer
  METADATA_SIGNATURE_INVALID: { kind: 'InvalidInput', text: 'AuthMetadata signature does not verify' },
  METADATA_KEY_MISMATCH: { kind: 'InvalidInput', text: 'reconstructed key does not match the metadata public key' },
  SHARE_DELETED: { kind: 'InvalidInput', text: 'the share was deleted' },
  SHARE_STALE: { kind: 'InvalidInput', text: 'the share belongs to an older polynomial and cannot be caught up' },
  SHARE_UNKNOWN: { kind: 'InvalidInput', text: 'the share does not belong to this account' },
  CANNOT_DELETE_SERVICE_SHARE: { kind: 'InvalidInput', text: 'the service-provider share (index 1) cannot be deleted' },
  THRESHOLD_VIOLATION: { kind: 'InvalidInput', text: 'the operation would leave fewer shares than the threshold' },
  NOT_RECONSTRUCTED: { kind: 'InvalidInput', text: 'the operation needs the metadata key; reconstruct first' },
  NOT_INITIALIZED: { kind: 'InvalidInput', text: 'the account is not initialized' },
  ACCOUNT_EXISTS: { kind: 'InvalidInput', text: 'an account already exists for this key' },
  WRONG_ANSWER: { kind: 'InvalidInput', text: 'the security-question answer does not derive the stored share' },
  SECURITY_QUESTIONS_EXIST: { kind: 'InvalidInput', text: 'the account already has a security-question share' },
  SECURITY_QUESTIONS_MISSING: { kind: 'InvalidInput', text: 'the account has no security-question share' },
  SECURITY_QUESTIONS_KDF_INVALID: { kind: 'InvalidInput', text: 'hardened security-question KDF parameters are malformed or outside the allowed bounds' },
  SHARE_TRANSFER_DISABLED: { kind: 'InvalidInput', text: 'the account has no share-transfer pointer; enable share transfer first' },
  SHARE_TRANSFER_NO_REQUEST: { kind: 'InvalidInput', text: 'no share-transfer request with this encryption key' },
  SHARE_TRANSFER_CANCELLED: { kind: 'InvalidInput', text: 'the share-transfer request was removed before it was approved' },
  SHARE_TRANSFER_TIMEOUT: { kind: 'InvalidInput', text: 'no approval of the share-transfer request arrived in time' },
  // TSS factors, factorEncs and derivation (src/tss)
  FACTOR_UNKNOWN: { kind: 'InvalidInput', text: 'the factor public key has no factorEnc under this tssTag' },
  FACTOR_KEY_WRONG: { kind: 'InvalidInput', text: 'the factor key does not decrypt this factorEnc' },
  FACTOR_EXISTS: { kind: 'InvalidInput', text: 'the factor public key is already registered under this tssTag' },
  FACTOR_ENC_UNRECOVERABLE: { kind: 'InvalidInput', text: 'fewer serverEncs of a hierarchical factorEnc decrypt than the server threshold' },
  TSS_TAG_UNKNOWN: { kind: 'InvalidInput', text: 'the metadata holds no TSS key under this tssTag' },
  TSS_KEY_TYPE_UNSUPPORTED: { kind: 'InvalidInput', text: 'the TSS key type of this tssTag is not supported here (secp256k1 only)' },
  BIP32_HARDENED_INDEX: { kind: 'InvalidInput', text: 'a hardened index cannot be derived from a public key' },
  BIP32_INVALID_CHILD: { kind: 'InvalidInput', text: 'BIP32 derivation produced an invalid child at this index (IL ≥ n or the identity); use the next index' },
  // signatures, message hashing and presignatures (src/signature)
  TYPED_DATA_INVALID: { kind: 'InvalidInput', text: 'EIP-712 typed data is malformed: an unknown or invalid type, a missing or extra field, or a value that does not fit its type' },
  TRANSACTION_INVALID: { kind: 'InvalidInput', text: 'the unsigned transaction is not a well-formed RLP list (legacy) or type byte ‖ RLP list (EIP-2718)' },
  RAW_DIGEST_REFUSED: { kind: 'InvalidInput', text: 'signing a caller-supplied digest needs the explicit opt-in allowRawDigest: true (see the raw-digest risk)' },
  PRESIGN_BINDING_MISMATCH: { kind: 'InvalidInput', text: 'the presignature is bound to another key, epoch, signer set, derivation shift or profile (details.field)' },
  PRESIGN_USED: { kind: 'InvalidInput', text: 'the presignature was already consumed or burned; presignatures are single use' },
  PRESIGN_STALE: { kind: 'InvalidInput', text: 'the presignature belongs to an epoch older than the key\'s current one (pruned after a refresh)' },
  PRESIGN_EXISTS: { kind: 'InvalidInput', text: 'a presignature with this id is already in the pool' },
  PRESIGN_POOL_EMPTY: { kind: 'NotFound', text: 'the pool holds no unused presignature for this binding; generate more' },
  // account lifecycle (src/client)
  ACCOUNT_STATE_CHANGED: { kind: 'StorageConflict', text: "the account's TSS state changed since the operation was prepared (another device refreshed or changed factors); nothing of it was written, redo it" },
  SERVICE_STATE_MISMATCH: { kind: 'InvalidInput', text: "the co-signing service holds no share for the account's durable TSS epoch and commitments; or (details.reason 'stale-nonce', details.nonce the current one) the request was made on metadata older than the account's storage nonce: nothing was taken, reload and retry" },
  SESSION_STALLED: { kind: 'InternalBug', text: 'a protocol session ended with a party that neither finished nor aborted (a peer stopped talking)' },
  ACCOUNT_LOCKED: { kind: 'InvalidInput', text: 'the co-signing service locked the account after repeated aborted sessions blamed on the same party (details: culprit, count, since); nothing ran — an operator must clear it (clearAbortLock)' },
  AUX_MISSING: { kind: 'NotFound', text: "the device holds a share but no aux info for its index: the factor it logged in with has no aux entry (e.g. a factor another client added, such as @tkey/tss addFactorPub); run setupAux once for that index (it seals the aux to every factor of the index), or log in with a factor that has it" },
  SERVICE_AUX_MISMATCH: { kind: 'InvalidInput', text: "the service's aux key (Paillier modulus, ring-Pedersen parameters) in the aux info held for signing is not the pinned or verified one; nothing was sent — run setupAux again" },
  POLICY_VIOLATION: { kind: 'InvalidInput', text: "the co-signing service refuses a request outside its policy (threshold floor, its own index, index or signer set, profile, session binding; details.rule); no session ran, nothing was stored" },
  SID_REUSED: { kind: 'InvalidInput', text: 'the co-signing service has already taken part in a session with this session id (or device sid part) for the account; no session ran' },
  // bus (src/bus): secure channel, transports, RPC
  BUS_AUTH_FAILED: { kind: 'InvalidInput', text: 'a bus frame failed authentication (tampered, wrong key, wrong session or forged broadcast signature) and was refused; details.sender names the claimed sender' },
  BUS_REPLAY: { kind: 'InvalidInput', text: 'a bus frame was replayed or reordered beyond the replay window and was refused; details.sender names the sender' },
  BUS_FRAME_INVALID: { kind: 'InvalidInput', text: 'a bus frame is malformed (not canonical, unknown version or fields, or from a party not bound to this connection)' },
  BUS_FRAME_TOO_LARGE: { kind: 'InvalidInput', text: 'a bus frame or buffered message exceeds a resource cap (bytes, elements, nesting depth or string length; details.limit, details.max) and was refused before decoding' },
  BUS_CLOSED: { kind: 'InternalBug', text: 'the bus connection was closed (and not re-established in time) while a call or session needed it' },
  BUS_TIMEOUT: { kind: 'InternalBug', text: 'a remote call over the bus got no response in time' },
  PAIRING_REFUSED: { kind: 'InvalidInput', text: 'the other device refused the pairing or a request over it (details.reason: wrong-code, expired, used, account-mismatch, index, malformed, declined, not-serving, no-aux-input, bad-request); no session ran' },
  PAIRING_EXPIRED: { kind: 'InvalidInput', text: 'no device joined with the pairing code before it expired (codes are single use and short-lived); start a new pairing' },
  PAIRING_AUX_MISMATCH: { kind: 'InvalidInput', text: "the paired device's part of the pair's aux in the metadata is missing or not of the aux session just run (its public N, s, t differ; details.reason: mismatch, missing, peer-failed; details.index, group, peer); this device's part was taken back and the group is not held — run setupAux again" },
  BUS_REMOTE_ERROR: { kind: 'InternalBug', text: 'the remote side failed with an error that is not one of ours (details.message)' },
  // workers (workers/)
  SESSION_CANCELLED: { kind: 'InvalidInput', text: 'the worker session was cancelled; it holds no state any more and every later call on it fails' },
  WORKER_CRASHED: { kind: 'InternalBug', text: 'a worker died (uncaught error, out of memory, or terminated) while it hosted sessions; they are lost (details.cause)' },
  ABORTED: { kind: 'InvalidInput', text: 'the operation was cancelled through its AbortSignal (or cancel()); its workers were stopped and nothing it made is kept' },
  // storage
  STORAGE_CONFLICT: { kind: 'StorageConflict', text: 'the batch was built on a stale metadata nonce; nothing was written' },
  STORAGE_CORRUPT: { kind: 'InternalBug', text: 'a stored file could not be parsed' },
  STORAGE_LOCKED: { kind: 'StorageConflict', text: 'another process holds the store lock; nothing was written, retry later' },
  STORAGE_IO: { kind: 'InternalBug', text: 'a storage file could not be read or written (see details.errno)' },
  STORAGE_FULL: { kind: 'InternalBug', text: 'the disk of the store is full (ENOSPC, EDQUOT); nothing was written, reads still work — retry once space is freed (HTTP 507)' },
  NOT_FOUND: { kind: 'NotFound', text: 'no record exists at this address' },
  OWNER_KEY_REQUIRED: { kind: 'InvalidInput', text: 'this storage needs every write signed by its owner key (and the batch by the account key), and the writer does not hold it (e.g. addFactor given only a public key: pass the FactorKey); nothing was written' },
  SERVER_UNAVAILABLE: { kind: 'InternalBug', text: 'the server could not be reached or answered 5xx' },
  // metadata server (src/server)
  RATE_LIMITED: { kind: 'InvalidInput', text: 'too many requests from this client or for this account; nothing was processed, retry after details.retryAfterSeconds (HTTP 429 with Retry-After)' },
  TIMESTAMP_OUT_OF_WINDOW: { kind: 'InvalidInput', text: 'a signed request timestamp is too old (more than 600 s) or too far in the future; nothing was written, sign it again' },
  REPLAYED_WRITE: { kind: 'StorageConflict', text: 'a signed write was already stored and is no longer the latest value of its address (a replay would roll it back); nothing was written' },
  CONFIG_INVALID: { kind: 'InvalidInput', text: 'a server setting (environment variable or flag, named in the message) is invalid; the server did not start' },
  // server access: co-signing login/sessions/authorization (src/server/auth, src/server/service) and operator endpoints (src/server/ops)
  AUTH_REQUIRED: { kind: 'InvalidInput', text: 'the request needs a credential and carried none: a login (or a resume of a live service session) on this connection, or an Authorization: Bearer token on the admin and metrics endpoints; nothing ran (HTTP 401)' },
  AUTH_INVALID: { kind: 'InvalidInput', text: 'an ID token or service session was refused (expired, not yet valid, wrong issuer, audience, algorithm, key, signature or nonce, replayed, or bound to another device key; details.reason); nothing ran' },
  FORBIDDEN: { kind: 'InvalidInput', text: "the credential is not allowed to do this: the account is bound to another login subject (iss, sub), or a wrong admin or metrics token; nothing ran, nothing was stored (HTTP 403)" },
  KEK_INVALID: { kind: 'InvalidInput', text: 'the sealed service state was sealed under a key-encryption key that is neither the configured KEK nor the previous one (details.keyId), or the KEK is malformed; nothing was read' },
  SEALED_STATE_INVALID: { kind: 'InternalBug', text: 'a sealed service-state row failed authentication (tampered, corrupted, or moved to another account, kind or epoch); nothing of it was used' },
  // protocols
  PROTOCOL_ABORT: { kind: 'ProtocolAbort', text: 'a protocol check failed; the session is terminated' },
  REPLAY_MODE_REFUSED: { kind: 'InvalidInput', text: 'replay mode (deterministic per-round randomness, for conformance vectors and transcript tests) was requested where real accounts run (ServiceParty, TssAccount, the worker engine)' },
  SESSION_ASYNC: { kind: 'InvalidInput', text: 'a synchronous start/receive on a session whose rounds run asynchronously (a parallel executor), or while an asynchronous call of the session is queued or running (or a snapshot then): use startAsync / receiveAsync' },
  // bugs
  INTERNAL_BUG: { kind: 'InternalBug', text: 'an internal invariant failed (a bug, please report it)' },
} as const satisfies Record<string, { kind: ErrorKind; text: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Base class of every error this library throws. */
export class TkeyTssError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  readonly details?: Record<string, unknown>;
  constructor(kind: ErrorKind, code: string, message: string, details?: Record<string, unknown>) {
    super(`[${code}] ${message}`);
    this.name = kind;
    this.kind = kind;
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}

export class InvalidInput extends TkeyTssError {
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super('InvalidInput', code, message, details);
  }
}
export class StorageConflict extends TkeyTssError {
  constructor(message: string, details?: Record<string, unknown>, code: ErrorCode = 'STORAGE_CONFLICT') {
    super('StorageConflict', code, message, details);
  }
}
export class NotFound extends TkeyTssError {
  constructor(message: string, details?: Record<string, unknown>, code: ErrorCode = 'NOT_FOUND') {
    super('NotFound', code, message, details);
  }
}
export class InternalBug extends TkeyTssError {
  constructor(message: string, details?: Record<string, unknown>, code: ErrorCode = 'INTERNAL_BUG') {
    super('InternalBug', code, message, details);
  }
}

/**
 * A protocol check failed. Terminal: the session is over, nothing is retried.
 * `reason` is the stable reason code of the failed check (e.g. `FELDMAN_SHARE_MISMATCH`),
 * `culprits` the party indices to blame (empty when nobody can be blamed).
 */
export class ProtocolAbort extends TkeyTssError {
  readonly reason: string;
  readonly round: number;
  readonly culprits: readonly number[];
  constructor(reason: string, round: number, culprits: readonly number[], message?: string) {
    super('ProtocolAbort', 'PROTOCOL_ABORT', `${reason} in round ${round}, culprits [${culprits.join(', ')}]${message ? `: ${message}` : ''}`, {
      reason,
      round,
      culprits: [...culprits],
    });
    this.reason = reason;
    this.round = round;
    this.culprits = Object.freeze([...culprits]);
  }
}

/** Throw the error of the right class for `code`. */
export function fail(code: ErrorCode, message: string, details?: Record<string, unknown>): never {
  const kind = ERROR_CODES[code].kind as ErrorKind;
  switch (kind) {
    case 'InvalidInput':
      throw new InvalidInput(code, message, details);
    case 'StorageConflict':
      throw new StorageConflict(message, details, code);
    case 'NotFound':
      throw new NotFound(message, details, code);
    case 'InternalBug':
      throw new InternalBug(message, details, code);
    case 'ProtocolAbort':
      throw new ProtocolAbort(code, 0, [], message);
  }
}

/** Type guard that also narrows by code. */
export function isTkeyTssError(e: unknown, code?: string): e is TkeyTssError {
  return e instanceof TkeyTssError && (code === undefined || e.code === code);
}
