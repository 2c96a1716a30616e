/**
 * Helpers shared by the suite modules: reading vector fields with a clear failure, turning one
 * vector into exactly one `CheckResult`, expected-error semantics.
 * @module
 */
import { isTkeyTssError } from '../../src/errors.js';
import type { CheckResult } from './types.js';

/** A vector file as the generator writes it (tkey-tss's own format, see test-vectors/README.md). */
export interface VectorFile<V = Record<string, unknown>> {
  suite: string;
  version: number;
  description: string;
  generator: { script: string; seed: string };
  vectors: V[];
}

/** Thrown by the field readers when a vector is malformed; reported as a failed check. */
export class VectorFormatError extends Error {}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(o: Record<string, unknown>, key: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new VectorFormatError(`field "${key}": expected a string`);
  return v;
}
export function optStr(o: Record<string, unknown>, key: string): string | undefined {
  return o[key] === undefined ? undefined : str(o, key);
}
export function bool(o: Record<string, unknown>, key: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') throw new VectorFormatError(`field "${key}": expected a boolean`);
  return v;
}
export function arr(o: Record<string, unknown>, key: string): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) throw new VectorFormatError(`field "${key}": expected an array`);
  return v;
}
export function strArr(o: Record<string, unknown>, key: string): string[] {
  return arr(o, key).map((x, i) => {
    if (typeof x !== 'string') throw new VectorFormatError(`field "${key}[${i}]": expected a string`);
    return x;
  });
}
export function obj(o: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = o[key];
  if (!isObject(v)) throw new VectorFormatError(`field "${key}": expected an object`);
  return v;
}
/** A hex field as a bigint (any padding, as the vector format allows on input). */
export function big(o: Record<string, unknown>, key: string): bigint {
  const s = str(o, key);
  if (!/^[0-9a-f]+$/.test(s)) throw new VectorFormatError(`field "${key}": expected lower-case hex`);
  return BigInt('0x' + s);
}

/**
 * Validate the envelope of one of our vector files and return its vectors (each with a string id).
 * Throws VectorFormatError when the envelope is wrong.
 */
export function vectorsOf(doc: unknown, suite: string): (Record<string, unknown> & { id: string })[] {
  if (!isObject(doc)) throw new VectorFormatError('vector file: expected a JSON object');
  if (doc.suite !== suite) throw new VectorFormatError(`vector file: suite is ${JSON.stringify(doc.suite)}, expected ${JSON.stringify(suite)}`);
  if (doc.version !== 1) throw new VectorFormatError(`vector file: unsupported version ${JSON.stringify(doc.version)}`);
  if (typeof doc.description !== 'string') throw new VectorFormatError('vector file: "description" must be a string');
  if (!isObject(doc.generator)) throw new VectorFormatError('vector file: "generator" must be an object');
  if (!Array.isArray(doc.vectors) || doc.vectors.length === 0) throw new VectorFormatError('vector file: "vectors" must be a non-empty array');
  const seen = new Set<string>();
  return doc.vectors.map((v, i) => {
    if (!isObject(v) || typeof v.id !== 'string' || v.id.length === 0) throw new VectorFormatError(`vectors[${i}]: expected an object with a string "id"`);
    if (seen.has(v.id)) throw new VectorFormatError(`vectors[${i}]: duplicate id ${v.id}`);
    seen.add(v.id);
    return v as Record<string, unknown> & { id: string };
  });
}

/** What a vector's check function reports: ok plus an optional one-line detail. */
export type Verdict = true | string;

/**
 * Run one vector's check. The check returns `true` or a failure message; a thrown error is a
 * failure too (including malformed vectors). Exactly one CheckResult per call.
 */
export async function checkOne(id: string, fn: () => Verdict | Promise<Verdict>): Promise<CheckResult> {
  try {
    const v = await fn();
    return v === true ? { id, ok: true } : { id, ok: false, detail: v };
  } catch (e) {
    return { id, ok: false, detail: `threw ${describeError(e)}` };
  }
}

export function describeError(e: unknown): string {
  if (isTkeyTssError(e)) return `${e.kind}/${e.code}: ${e.message}`;
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

/**
 * Expected-error semantics: the operation must throw a library error whose `code` is exactly
 * `code`. Returning normally, or throwing anything else, fails the check.
 */
export async function expectErrorCode(code: string, fn: () => unknown): Promise<Verdict> {
  try {
    await fn();
  } catch (e) {
    if (isTkeyTssError(e, code)) return true;
    return `expected error ${code}, got ${describeError(e)}`;
  }
  return `expected error ${code}, but the operation succeeded`;
}

/** Compare two values; the message names the field. */
export function eq<T extends string | number | boolean | bigint>(what: string, got: T, want: T): Verdict {
  return got === want ? true : `${what}: got ${String(got)}, expected ${String(want)}`;
}

/** All verdicts true, else the first failure. */
export function all(...vs: Verdict[]): Verdict {
  for (const v of vs) if (v !== true) return v;
  return true;
}

/**
 * Read the expected outcome of a vector: either `expected`-style output fields (caller's business)
 * or `error: "<ERROR_CODE>"`. Returns the code or undefined.
 */
export function expectedError(v: Record<string, unknown>): string | undefined {
  return optStr(v, 'error');
}
