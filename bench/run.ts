/**
 * `npm run bench -- [--json FILE] [--filter S[,S2…]]`: runs every `bench/*.bench.ts` case whose
 * name contains S (or any of the comma-separated S, S2, …), prints a table, and writes
 * `[{name, medianMs, meanMs, samples}]` to FILE.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
import type { BenchCase, BenchSuite } from './registry.js';

interface Entry {
  name: string;
  medianMs: number;
  meanMs: number;
  samples: number;
}

function parseArgs(argv: string[]): { json?: string; filter?: string } {
  const out: { json?: string; filter?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') out.json = argv[++i];
    else if (a === '--filter') out.filter = argv[++i];
    else if (a?.startsWith('--json=')) out.json = a.slice(7);
    else if (a?.startsWith('--filter=')) out.filter = a.slice(9);
    else throw new Error(`unknown argument ${a}; usage: npm run bench -- [--json FILE] [--filter S[,S2…]]`);
  }
  return out;
}

async function main(): Promise<void> {
  const { json, filter } = parseArgs(process.argv.slice(2));
  const dir = dirname(fileURLToPath(import.meta.url));
  const files = readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort();
  const terms = filter?.split(',').filter(Boolean) ?? [];
  const selected = (name: string) => terms.length === 0 || terms.some((t) => name.includes(t));
  const cases: BenchCase[] = [];
  for (const f of files) {
    const suite = (await import(pathToFileURL(join(dir, f)).href)).default as BenchSuite;
    const local: BenchCase[] = [];
    await suite({ add: (name, fn, opts) => local.push({ name, fn, ...opts }), wants: (...names) => names.some(selected) });
    cases.push(...local.filter((c) => selected(c.name)));
  }
  if (cases.length === 0) {
    console.error(`no benchmark matches ${JSON.stringify(filter)}`);
    process.exitCode = 1;
    return;
  }
  const entries: Entry[] = [];
  for (const c of cases) {
    const warm = c.warmup === undefined ? { warmupIterations: Math.min(5, c.iterations ?? 5) } : { warmupIterations: c.warmup, warmupTime: 0, warmup: c.warmup > 0 };
    const bench = new Bench({ iterations: c.iterations ?? 20, time: c.time ?? 1000, ...warm });
    bench.add(c.name, c.fn);
    await bench.run();
    const r = bench.tasks[0]!.result as { state?: string; latency?: { p50: number; mean: number; samplesCount: number }; error?: Error };
    if (!r.latency) throw new Error(`benchmark ${c.name} failed: ${r.error?.message ?? r.state}`);
    const e = { name: c.name, medianMs: r.latency.p50, meanMs: r.latency.mean, samples: r.latency.samplesCount };
    entries.push(e);
    console.log(`${e.name.padEnd(40)} median ${e.medianMs.toFixed(3).padStart(10)} ms   mean ${e.meanMs.toFixed(3).padStart(10)} ms   n=${e.samples}`);
  }
  if (json) writeFileSync(json, JSON.stringify(entries, null, 2) + '\n');
}

await main();
