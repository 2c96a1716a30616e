/**
 * `SecretText`: a secret string setting (the admin token, the metrics token) that never prints —
 * `toJSON`, `toString` and `inspect` give `<redacted>`, so a configuration object can be logged or
 * serialised without leaking it. `reveal()` is the one way to the value; `matches` compares a
 * candidate in constant time.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { fail } from '../../errors.js';

export class SecretText {
  readonly #value: string;

  constructor(value: string) {
    if (typeof value !== 'string' || value.length === 0) fail('INVALID_ARGUMENT', 'SecretText: expected a non-empty string');
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  /**
   * Whether `candidate` equals the secret, in time independent of where they differ: both sides
   * are hashed (SHA-256) first, so the comparison is of equal-length digests and the secret's
   * length does not leak either.
   */
  matches(candidate: string): boolean {
    const a = createHash('sha256').update(this.#value, 'utf8').digest();
    const b = createHash('sha256').update(String(candidate), 'utf8').digest();
    return timingSafeEqual(a, b);
  }

  toJSON(): string {
    return '<redacted>';
  }
  toString(): string {
    return '<redacted>';
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'SecretText(<redacted>)';
  }
}
