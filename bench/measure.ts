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
  const bench = new Bench({ iterations: c.iterations ?? 20, time: c.time ?? 1000, warmupIterations: Math.min(5, c.iterations ?? 5) });
  bench.add(c.name, c.fn);
  await bench.run();
  const r = bench.tasks[0]!.result as { state?: string; latency?: { p50: number; mean: number; samplesCount: number }; error?: Error };
  if (!r.latency) throw new Error(`benchmark ${c.name} failed: ${r.error?.message ?? r.state}`);
  return { name: c.name, medianMs: r.latency.p50, meanMs: r.latency.mean, samples: r.latency.samplesCount };
}

/** The cases a suite registers. */
export async function casesOf(suite: BenchSuite): Promise<BenchCase[]> {
  const local: BenchCase[] = [];
  await suite({ add: (name, fn, opts) => local.push({ name, fn, ...opts }) });
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
