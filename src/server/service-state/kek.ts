/**
 * The key-encryption key (KEK) of the co-signing service's state at rest, and sealing under it.
 *
 *   KEK        32 bytes from TKEY_SERVER_KEK (64 hex) or TKEY_SERVER_KEK_FILE (a file holding the 64
 *              hex characters); never logged, never stored in the database. During a rotation the
 *              old one is TKEY_SERVER_KEK_PREVIOUS[_FILE]: readable, never written with.
 *   key id     kid = SHA-256("tkey-tss/kek-id/v1" ‖ KEK)[0..8]: names the KEK in every sealed blob
 *              (a wrong KEK is told apart from a tampered row, and rotation skips rows already under
 *              the new key) without revealing anything of it.
 *   sealed     0x01 ‖ kid (8) ‖ nonce (24, random) ‖ XChaCha20-Poly1305_KEK(plaintext, AD)
 *   AD         "tkey-tss/sealed/v1" ‖ 0x00 ‖ 0x01 ‖ kid ‖ stableStringify({kind, key, epoch})
 *              — the row's place: kind (account, presig, service-key), key (the account, the
 *              account and presign sid, the key's name) and epoch; a blob copied to another row
 *              fails authentication (SEALED_STATE_INVALID).
 * @module
 */
import { readFileSync } from 'node:fs';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { bytesToHex, concatBytes, equalBytes, hexToBytes, utf8ToBytes, wipe } from '../../bytes.js';
import { fail } from '../../errors.js';
import { sha256 } from '../../hash.js';
import { cryptoRng, type Rng } from '../../rng.js';
import { stableStringify } from '../../metadata/stable-stringify.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');
export const SEALED_VERSION = 1;
const KID_BYTES = 8;
const NONCE_BYTES = 24;
const HEADER = 1 + KID_BYTES + NONCE_BYTES;
const TAG_BYTES = 16;
const AD_DOMAIN = utf8ToBytes('tkey-tss/sealed/v1\x00');

/** A key-encryption key (32 bytes). Secret: redacted in JSON and inspection; `wipe()` zeroes it. */
export class Kek {
  /** Key id (16 hex characters). */
  readonly id: string;
  readonly #key: Uint8Array;

  private constructor(key: Uint8Array) {
    this.#key = key;
    const h = sha256(concatBytes(utf8ToBytes('tkey-tss/kek-id/v1'), key));
    this.id = bytesToHex(h.subarray(0, KID_BYTES));
  }

  /** A KEK from 32 bytes (copied). */
  static fromBytes(key: Uint8Array): Kek {
    if (!(key instanceof Uint8Array) || key.length !== 32) fail('KEK_INVALID', 'a KEK is 32 bytes');
    if (key.every((b) => b === 0)) fail('KEK_INVALID', 'the KEK is all zeros');
    return new Kek(key.slice());
  }

  /** A KEK from its 64 hex characters (surrounding white space ignored). The message never echoes the value. */
  static fromHex(hex: string, title = 'KEK'): Kek {
    const h = typeof hex === 'string' ? hex.trim() : '';
    if (!/^[0-9a-fA-F]{64}$/.test(h)) fail('KEK_INVALID', `${title}: expected 64 hex characters (32 bytes)`);
    const b = hexToBytes(h.toLowerCase());
    try {
      return Kek.fromBytes(b);
    } finally {
      wipe(b);
    }
  }

  /** A fresh random KEK (the demo's, tests'). */
  static generate(rng: Rng = cryptoRng): Kek {
    const b = rng.bytes(32);
    try {
      return Kek.fromBytes(b);
    } finally {
      wipe(b);
    }
  }

  /** The 64 hex characters (to write a key file); handle as the secret it is. */
  exportHex(): string {
    return bytesToHex(this.#key);
  }

  /** @internal the key bytes for one AEAD call (not copied: do not keep). */
  static use<T>(k: Kek, fn: (key: Uint8Array) => T): T {
    return fn(k.#key);
  }

  wipe(): void {
    wipe(this.#key);
  }

  toJSON(): unknown {
    return { keyId: this.id, key: '<redacted>' };
  }
  [INSPECT](): string {
    return `Kek(${this.id}, redacted)`;
  }
}

/** The KEK to seal with (`current`) and, during a rotation, the one it replaces (read only). */
export interface Keyring {
  current: Kek;
  previous?: Kek;
}

export function aKeyring(k: unknown): Keyring {
  const r = k as Keyring;
  if (typeof r !== 'object' || r === null || !(r.current instanceof Kek) || (r.previous !== undefined && !(r.previous instanceof Kek)))
    fail('INVALID_ARGUMENT', 'keyring: expected {current: Kek, previous?: Kek}');
  return r;
}

/** Where a sealed row sits: what its AD binds. */
export interface SealPlace {
  kind: string;
  key: string;
  epoch: number;
}

function adOf(kid: Uint8Array, place: SealPlace): Uint8Array {
  if (typeof place?.kind !== 'string' || typeof place.key !== 'string' || !Number.isSafeInteger(place.epoch)) fail('INVALID_ARGUMENT', 'seal place: expected {kind, key, epoch}');
  return concatBytes(AD_DOMAIN, Uint8Array.of(SEALED_VERSION), kid, utf8ToBytes(stableStringify({ kind: place.kind, key: place.key, epoch: place.epoch })));
}

/** Seal `plaintext` for `place` under `kek` with a fresh random nonce. */
export function seal(kek: Kek, plaintext: Uint8Array, place: SealPlace, rng: Rng = cryptoRng): Uint8Array {
  if (!(kek instanceof Kek)) fail('INVALID_ARGUMENT', 'kek: expected a Kek');
  if (!(plaintext instanceof Uint8Array)) fail('INVALID_ARGUMENT', 'plaintext: expected bytes');
  const kid = hexToBytes(kek.id);
  const nonce = rng.bytes(NONCE_BYTES);
  const ct = Kek.use(kek, (key) => xchacha20poly1305(key, nonce, adOf(kid, place)).encrypt(plaintext));
  return concatBytes(Uint8Array.of(SEALED_VERSION), kid, nonce, ct);
}

/** The key id a sealed blob names (SEALED_STATE_INVALID when it is not a sealed blob). */
export function sealedKeyId(blob: Uint8Array): string {
  if (!(blob instanceof Uint8Array) || blob.length < HEADER + TAG_BYTES || blob[0] !== SEALED_VERSION) fail('SEALED_STATE_INVALID', 'not a sealed blob of version 1');
  return bytesToHex(blob.subarray(1, 1 + KID_BYTES));
}

/**
 * Open a sealed blob for `place`: KEK_INVALID when its key id is neither the keyring's current nor
 * previous KEK; SEALED_STATE_INVALID when authentication fails (tampered, or sealed for another
 * place). The caller wipes the plaintext when done.
 */
export function open(keyring: Keyring, blob: Uint8Array, place: SealPlace): Uint8Array {
  aKeyring(keyring);
  const id = sealedKeyId(blob);
  const kek = [keyring.current, keyring.previous].find((k) => k?.id === id);
  if (!kek) return fail('KEK_INVALID', `sealed under KEK ${id}, which is neither the configured KEK (${keyring.current.id}) nor the previous one${keyring.previous ? ` (${keyring.previous.id})` : ''}`, { keyId: id });
  const kid = blob.subarray(1, 1 + KID_BYTES);
  const nonce = blob.subarray(1 + KID_BYTES, HEADER);
  try {
    return Kek.use(kek, (key) => xchacha20poly1305(key, nonce, adOf(kid, place)).decrypt(blob.subarray(HEADER)));
  } catch {
    return fail('SEALED_STATE_INVALID', `the sealed ${place.kind} row failed authentication (tampered, or moved from another row)`, { kind: place.kind });
  }
}

/** Does `blob` name `kek`'s key id (rotation: already re-sealed)? */
export function sealedUnder(blob: Uint8Array, kek: Kek): boolean {
  return equalBytes(hexToBytes(sealedKeyId(blob)), hexToBytes(kek.id));
}

/** Read a KEK file: 64 hex characters (white space around them ignored). */
export function readKekFile(path: string, setting: string): Kek {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return fail('CONFIG_INVALID', `${setting}=${JSON.stringify(path)}: cannot read the file (${(e as { code?: string }).code ?? 'error'})`, { setting });
  }
  try {
    return Kek.fromHex(text, `${setting} ${JSON.stringify(path)}`);
  } catch {
    return fail('CONFIG_INVALID', `${setting}=${JSON.stringify(path)}: the file must hold the KEK as 64 hex characters`, { setting });
  }
}

/** The KEK settings of the server configuration (`config.ts`). */
export interface KekSettings {
  serverKek?: Kek;
  serverKekFile?: string;
  serverKekPrevious?: Kek;
  serverKekPreviousFile?: string;
}

/**
 * The keyring the settings name: the current KEK from TKEY_SERVER_KEK or TKEY_SERVER_KEK_FILE
 * (exactly one; CONFIG_INVALID when neither or both), the previous one likewise, optional.
 */
export function loadKeyring(cfg: KekSettings): Keyring {
  const pick = (value: Kek | undefined, file: string | undefined, env: string, required: boolean): Kek | undefined => {
    if (value && file) return fail('CONFIG_INVALID', `${env} and ${env}_FILE are both set: set one`, { setting: env });
    if (value) return Kek.fromBytes(Kek.use(value, (k) => k));
    if (file) return readKekFile(file, `${env}_FILE`);
    if (required) return fail('CONFIG_INVALID', `${env} or ${env}_FILE is required for the co-signing service (a 32-byte key-encryption key as 64 hex characters; see src/server/service-state/README.md)`, { setting: env });
    return undefined;
  };
  const current = pick(cfg.serverKek, cfg.serverKekFile, 'TKEY_SERVER_KEK', true)!;
  const previous = pick(cfg.serverKekPrevious, cfg.serverKekPreviousFile, 'TKEY_SERVER_KEK_PREVIOUS', false);
  if (previous && previous.id === current.id) {
    previous.wipe();
    return { current };
  }
  return previous ? { current, previous } : { current };
}
