/**
 * A presignature: single use. `consume()` hands out its data once and marks it consumed; a second
 * call (a second `sign` session with the same object) is refused with PRESIGN_USED.
 * Holds k_i and χ_i: redacted in JSON and inspection. A durable, crash-safe pool (atomic
 * consumption across processes) is the client layer's job; `exportData`/`fromData` are the explicit
 * way in and out for it (the caller is then responsible for never importing one twice).
 * An aborted sign burns the presignature: it is consumed when the session is created.
 * @module
 */
import { pointFromBytes, pointToBytes } from '../../src/curve.js';
import { fail } from '../../src/errors.js';
import type { Payload } from '../types.js';
import { decodePayload, encodePayload } from '../wire.js';
import type { PresignatureData } from './messages.js';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

function copy(d: PresignatureData): PresignatureData {
  return structuredClone(d);
}

export class Presignature {
  readonly tag: Uint8Array;
  readonly self: number;
  readonly signers: readonly number[];
  readonly publicKey: Uint8Array;
  readonly derivedKey: Uint8Array;
  readonly epoch: number;
  readonly shift: Uint8Array;
  readonly profile: 'default' | 'high';
  /** R (compressed) */
  readonly R: Uint8Array;
  #data: PresignatureData | null;

  constructor(data: PresignatureData) {
    this.#data = copy(data);
    this.tag = data.tag;
    this.self = data.self;
    this.signers = Object.freeze([...data.signers]);
    this.publicKey = data.publicKey;
    this.derivedKey = data.derivedKey;
    this.epoch = data.epoch;
    this.shift = data.shift;
    this.profile = data.profile;
    this.R = pointToBytes(pointFromBytes(data.R), true);
  }

  static fromData(data: PresignatureData): Presignature {
    return new Presignature(data);
  }

  /** Parse the bytes of `toBytes` (canonical MessagePack, protocols/wire.ts): what a pool stores. */
  static fromBytes(bytes: Uint8Array): Presignature {
    const d = decodePayload(bytes) as unknown as PresignatureData;
    if (typeof d !== 'object' || d === null || !(d.k instanceof Uint8Array) || !(d.chi instanceof Uint8Array) || !Array.isArray(d.signers)) fail('INVALID_ARGUMENT', 'presignature bytes: not an exported presignature');
    return new Presignature(d);
  }

  /** Explicit export as bytes (SECRET: k_i, χ_i; for the pool's `data`). Refused once consumed. */
  toBytes(): Uint8Array {
    return encodePayload(this.exportData() as unknown as Payload);
  }

  /** What it is bound to (the pool's binding): key, epoch, signer set, derivation shift, profile. */
  get binding(): { publicKey: Uint8Array; epoch: number; signers: number[]; shift: Uint8Array; profile: 'default' | 'high' } {
    return { publicKey: this.publicKey, epoch: this.epoch, signers: [...this.signers], shift: this.shift, profile: this.profile };
  }

  get consumed(): boolean {
    return this.#data === null;
  }

  /** The data, once; the presignature is consumed (burned) from here on. */
  consume(): PresignatureData {
    const d = this.#data;
    if (d === null) fail('PRESIGN_USED', 'this presignature was already used (or burned by an abort)');
    this.#data = null;
    return d;
  }

  /** Explicit export of the secret data (for a durable pool). Refused once consumed. */
  exportData(): PresignatureData {
    if (this.#data === null) fail('PRESIGN_USED', 'this presignature was already used (or burned by an abort)');
    return copy(this.#data);
  }

  toJSON(): unknown {
    return { tag: this.tag, self: this.self, signers: [...this.signers], epoch: this.epoch, consumed: this.consumed, secret: '<redacted>' };
  }
  [INSPECT](): string {
    return `Presignature { self: ${this.self}, signers: [${this.signers.join(', ')}], consumed: ${this.consumed}, <redacted> }`;
  }
}
