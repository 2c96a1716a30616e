/**
 * The fuzzing harness: property tests (fast-check) over every decoder that takes outside bytes.
 * Each case must end in a correct value or a typed error with a stable code (`TkeyTssError` with a
 * code of `ERROR_CODES`, or a `{ok: false, reason}` verdict with a reason of `ZK_REASONS`) — never an
 * untyped exception, never a hang past `CASE_BOUND_MS`, never a heap jump past `CASE_HEAP_BYTES`.
 *
 * `npm test` runs `FUZZ_RUNS` (default 150) cases per decoder; `npm run fuzz` runs 20,000 and
 * prints one line per decoder. `FUZZ_SEED` replays a run (fast-check prints the seed and the
 * shrunk counterexample of a failure).
 */
import fc from 'fast-check';
import { ERROR_CODES, isTkeyTssError } from '../../src/errors.js';
import { ZK_REASONS } from '../../src/zk/verdict.js';

export const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
export const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
/** A hang detector, not a timing goal: no decoder may spend this long on one input. */
export const CASE_BOUND_MS = 2_000;
/** No decoder may grow the heap by this much on one input (inputs are at most a few hundred KiB). */
export const CASE_HEAP_BYTES = 64 * 1024 * 1024;

export interface Outcome {
  ok: number;
  codes: Map<string, number>;
}

export function newOutcome(): Outcome {
  return { ok: 0, codes: new Map() };
}

/** Run one decoder call and classify it; throws (failing the property) on a defect. */
export function checkCase(run: () => unknown, out: Outcome): void {
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  let code: string | null = null;
  try {
    const v = run();
    if (typeof v === 'object' && v !== null && 'ok' in v && (v as { ok: unknown }).ok === false) {
      const reason = (v as { reason?: unknown }).reason;
      if (typeof reason !== 'string' || !(reason in ZK_REASONS)) throw new Error(`verdict with an unknown reason ${String(reason)}`);
      code = `zk:${reason}`;
    }
  } catch (e) {
    if (!isTkeyTssError(e) || !(e.code in ERROR_CODES)) throw new Error(`untyped exception: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    code = e.code;
  }
  const ms = performance.now() - t0;
  if (ms > CASE_BOUND_MS) throw new Error(`one input took ${ms.toFixed(0)} ms (bound ${CASE_BOUND_MS} ms)`);
  const grew = process.memoryUsage().heapUsed - heap0;
  if (grew > CASE_HEAP_BYTES) throw new Error(`one input grew the heap by ${(grew / 2 ** 20).toFixed(0)} MiB`);
  if (code === null) out.ok++;
  else out.codes.set(code, (out.codes.get(code) ?? 0) + 1);
}

/** Assert the property over `arb` and report the outcome (one line when run as `npm run fuzz`). */
export function fuzz<T>(name: string, arb: fc.Arbitrary<T>, decode: (input: T) => unknown, runs = RUNS): Outcome {
  const out = newOutcome();
  fc.assert(
    fc.property(arb, (input) => checkCase(() => decode(input), out)),
    { numRuns: runs, ...(SEED === undefined ? {} : { seed: SEED }) },
  );
  if (process.env.FUZZ_REPORT) {
    const codes = [...out.codes].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c}×${n}`).join(' ');
    console.log(`fuzz ${name}: ${runs} cases, 0 defects (${out.ok} decoded; ${codes})`);
  }
  return out;
}

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xff];

type Mutation =
  | { k: 'flip'; at: number; bit: number }
  | { k: 'set'; at: number; v: number }
  | { k: 'insert'; at: number; bytes: Uint8Array }
  | { k: 'delete'; at: number; len: number }
  | { k: 'dup'; at: number; len: number; to: number }
  | { k: 'truncate'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ k: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ k: fc.constant('set' as const), at: fc.nat(), v: fc.oneof(fc.constantFrom(...INTERESTING), fc.integer({ min: 0, max: 255 })) }),
  fc.record({ k: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ k: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ k: fc.constant('dup' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }), to: fc.nat() }),
  fc.record({ k: fc.constant('truncate' as const), at: fc.nat() }),
);

function applyMutation(b: Uint8Array, m: Mutation): Uint8Array {
  const n = b.length;
  const at = n === 0 ? 0 : m.at % n;
  switch (m.k) {
    case 'flip': {
      if (n === 0) return b;
      const c = b.slice();
      c[at] = c[at]! ^ (1 << m.bit);
      return c;
    }
    case 'set': {
      if (n === 0) return b;
      const c = b.slice();
      c[at] = m.v;
      return c;
    }
    case 'insert':
      return concat(b.subarray(0, at), m.bytes, b.subarray(at));
    case 'delete':
      return concat(b.subarray(0, at), b.subarray(Math.min(n, at + m.len)));
    case 'dup': {
      const part = b.subarray(at, Math.min(n, at + m.len));
      const to = n === 0 ? 0 : m.to % n;
      return concat(b.subarray(0, to), part, b.subarray(to));
    }
    case 'truncate':
      return b.subarray(0, at);
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Random bytes, or a valid sample with 1–8 byte-level mutations (structure-aware enough for msgpack). */
export function bytesLike(samples: readonly Uint8Array[], maxRandom = 512): fc.Arbitrary<Uint8Array> {
  const mutated = fc
    .tuple(fc.integer({ min: 0, max: samples.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 8 }))
    .map(([i, ms]) => ms.reduce((b, m) => applyMutation(b, m), samples[i]!));
  return fc.oneof({ arbitrary: fc.uint8Array({ maxLength: maxRandom }), weight: 1 }, { arbitrary: mutated, weight: 4 });
}

/** Strings: random text, or a valid sample with character-level mutations. */
export function stringLike(samples: readonly string[]): fc.Arbitrary<string> {
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  return bytesLike(samples.map((s) => enc.encode(s)), 256).map((b) => dec.decode(b));
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toJSON', 'polluted', ''];

const jsonEdit: fc.Arbitrary<{ path: number[]; op: 'replace' | 'delete' | 'addKey' | 'wrap'; value: Json; key: string; depth: number }> = fc.record({
  path: fc.array(fc.nat(), { maxLength: 6 }),
  op: fc.constantFrom('replace' as const, 'delete' as const, 'addKey' as const, 'wrap' as const),
  value: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  key: fc.oneof(fc.constantFrom(...HOSTILE_KEYS), fc.string({ maxLength: 8 })),
  depth: fc.integer({ min: 1, max: 200 }),
});

function editJson(doc: Json, e: { path: number[]; op: string; value: Json; key: string; depth: number }): Json {
  const root: Json = JSON.parse(JSON.stringify(doc)) as Json;
  // walk to a container along the path, remembering the parent slot
  let parent: Json[] | Record<string, Json> | null = null;
  let slot: string | number | null = null;
  let node: Json = root;
  for (const step of e.path) {
    if (Array.isArray(node) && node.length > 0) {
      parent = node;
      slot = step % node.length;
      node = node[slot]!;
    } else if (node !== null && typeof node === 'object' && Object.keys(node).length > 0) {
      const keys = Object.keys(node);
      parent = node;
      slot = keys[step % keys.length]!;
      node = (node as Record<string, Json>)[slot]!;
    } else break;
  }
  const put = (v: Json): Json => {
    if (parent === null || slot === null) return v;
    if (Array.isArray(parent)) parent[slot as number] = v;
    else Object.defineProperty(parent, slot as string, { value: v, enumerable: true, writable: true, configurable: true });
    return root;
  };
  switch (e.op) {
    case 'replace':
      return put(e.value);
    case 'delete':
      if (parent === null || slot === null) return null;
      if (Array.isArray(parent)) parent.splice(slot as number, 1);
      else delete (parent as Record<string, Json>)[slot as string];
      return root;
    case 'addKey':
      if (node !== null && typeof node === 'object' && !Array.isArray(node)) {
        Object.defineProperty(node, e.key, { value: e.value, enumerable: true, writable: true, configurable: true });
        return root;
      }
      return put({ [e.key]: e.value });
    default: {
      let v: Json = node;
      for (let i = 0; i < e.depth; i++) v = [v];
      return put(v);
    }
  }
}

/** A valid JSON sample with 1–4 structural edits (replace, delete, hostile keys, deep wrapping), or random JSON. */
export function jsonLike(samples: readonly unknown[]): fc.Arbitrary<unknown> {
  const edited = fc
    .tuple(fc.integer({ min: 0, max: samples.length - 1 }), fc.array(jsonEdit, { minLength: 1, maxLength: 4 }))
    .map(([i, es]) => es.reduce<Json>((d, e) => editJson(d, e), samples[i] as Json));
  return fc.oneof({ arbitrary: fc.jsonValue({ maxDepth: 4 }), weight: 1 }, { arbitrary: edited, weight: 5 });
}

/** `fuzz` for decoders that answer asynchronously (e.g. an HTTP route through `app.inject`). */
export async function fuzzAsync<T>(name: string, arb: fc.Arbitrary<T>, decode: (input: T) => Promise<void>, runs = RUNS): Promise<Outcome> {
  const out = newOutcome();
  await fc.assert(
    fc.asyncProperty(arb, async (input) => {
      const heap0 = process.memoryUsage().heapUsed;
      const t0 = performance.now();
      try {
        await decode(input);
        out.ok++;
      } catch (e) {
        if (!isTkeyTssError(e) || !(e.code in ERROR_CODES)) throw new Error(`untyped outcome: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
        out.codes.set(e.code, (out.codes.get(e.code) ?? 0) + 1);
      }
      const ms = performance.now() - t0;
      if (ms > CASE_BOUND_MS) throw new Error(`one input took ${ms.toFixed(0)} ms (bound ${CASE_BOUND_MS} ms)`);
      const grew = process.memoryUsage().heapUsed - heap0;
      if (grew > CASE_HEAP_BYTES) throw new Error(`one input grew the heap by ${(grew / 2 ** 20).toFixed(0)} MiB`);
    }),
    { numRuns: runs, ...(SEED === undefined ? {} : { seed: SEED }) },
  );
  if (process.env.FUZZ_REPORT) {
    const codes = [...out.codes].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c}×${n}`).join(' ');
    console.log(`fuzz ${name}: ${runs} cases, 0 defects (${out.ok} accepted; ${codes})`);
  }
  return out;
}
