/**
 * One benchmark case measured with tinybench, as `npm run bench` and the Node baselines of
 * `npm run bench:browser` do it: `{name, medianMs, meanMs, samples}`.
 * @module
 */
import { Bench } from 'tinybench';
import type { BenchCase, BenchSuite } from './registry.js';

export interface Entry {
  name: string;
  medianMs: number;
  meanMs: number;
  samples: number;
}

export async function measureCase(c: BenchCase): Promise<Entry> {
  // an exact warm-up count when the case sets one (tinybench otherwise warms up ≥ 250 ms, which would eat pooled presignatures)
  const warm = c.warmup === undefined ? { warmupIterations: Math.min(5, c.iterations ?? 5) } : { warmupIterations: c.warmup, warmupTime: 0, warmup: c.warmup > 0 };
  const bench = new Bench({ iterations: c.iterations ?? 20, time: c.time ?? 1000, ...warm });
  bench.add(c.name, c.fn);
  await bench.run();
  const r = bench.tasks[0]!.result as { state?: string; latency?: { p50: number; mean: number; samplesCount: number }; error?: Error };
  if (!r.latency) throw new Error(`benchmark ${c.name} failed: ${r.error?.message ?? r.state}`);
  return { name: c.name, medianMs: r.latency.p50, meanMs: r.latency.mean, samples: r.latency.samplesCount };
}

/** The cases a suite registers (`selected`: which case names the run wants, so a suite can skip setup nobody asked for). */
export async function casesOf(suite: BenchSuite, selected: (name: string) => boolean = () => true): Promise<BenchCase[]> {
  const local: BenchCase[] = [];
  await suite({ add: (name, fn, opts) => local.push({ name, fn, ...opts }), wants: (...names) => names.some(selected) });
  return local;
}

/** Median and mean of raw samples (ms), in the Entry form. */
export function entryOf(name: string, samples: readonly number[]): Entry {
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { name, medianMs: median, meanMs: s.reduce((a, b) => a + b, 0) / s.length, samples: s.length };
}

export function formatEntry(e: Entry, note = ''): string {
  return `${e.name.padEnd(40)} median ${e.medianMs.toFixed(3).padStart(10)} ms   mean ${e.meanMs.toFixed(3).padStart(10)} ms   n=${e.samples}${note ? '   ' + note : ''}`;
}

/** `[--json FILE] [--filter S]` (also `--json=FILE`, `--filter=S`). */
export function parseBenchArgs(argv: string[], usage: string): { json?: string; filter?: string } {
  const out: { json?: string; filter?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') out.json = argv[++i];
    else if (a === '--filter') out.filter = argv[++i];
    else if (a?.startsWith('--json=')) out.json = a.slice(7);
    else if (a?.startsWith('--filter=')) out.filter = a.slice(9);
    else throw new Error(`unknown argument ${a}; usage: ${usage}`);
  }
  return out;
}
