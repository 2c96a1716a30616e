/**
 * `npm run bench -- [--json FILE] [--filter S[,S2…]]`: runs every `bench/*.bench.ts` case whose
 * name contains S (or any of the comma-separated S, S2, …), prints a table, and writes `[{name, medianMs, meanMs, samples}]` to FILE.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { casesOf, type Entry, formatEntry, measureCase, parseBenchArgs } from './measure.js';
import type { BenchCase, BenchSuite } from './registry.js';

async function main(): Promise<void> {
  const { json, filter } = parseBenchArgs(process.argv.slice(2), 'npm run bench -- [--json FILE] [--filter S[,S2…]]');
  const terms = filter?.split(',').filter(Boolean) ?? [];
  const selected = (name: string): boolean => terms.length === 0 || terms.some((t) => name.includes(t));
  const dir = dirname(fileURLToPath(import.meta.url));
  const files = readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort();
  const cases: BenchCase[] = [];
  for (const f of files) {
    const suite = (await import(pathToFileURL(join(dir, f)).href)).default as BenchSuite;
    cases.push(...(await casesOf(suite, selected)).filter((c) => selected(c.name)));
  }
  if (cases.length === 0) {
    console.error(`no benchmark matches ${JSON.stringify(filter)}`);
    process.exitCode = 1;
    return;
  }
  const entries: Entry[] = [];
  for (const c of cases) {
    const e = await measureCase(c);
    entries.push(e);
    console.log(formatEntry(e));
  }
  if (json) writeFileSync(json, JSON.stringify(entries, null, 2) + '\n');
}

await main();
// End now: suites leave handles open (worker pools, server processes, sockets, a PostgreSQL cluster) that
// would hold the event loop for minutes; their 'exit' handlers stop what they started.
process.exit();
