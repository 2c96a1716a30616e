/**
 * `npm run conformance -- [-v] [files or dirs]`: replay conformance vectors (default: everything
 * under `test-vectors/`), print a line per suite and, last, the line `N passed, N failed`.
 * Exit code 1 on any failed check, on a vector file no suite accepts, or when nothing was checked;
 * 2 on a usage error. Format and rules: test-vectors/README.md.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runConformance } from './runner.js';

function usage(msg: string): never {
  console.error(`${msg}\nusage: npm run conformance -- [-v|--verbose] [file-or-dir ...]`);
  process.exit(2);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let verbose = false;
  const targets: string[] = [];
  for (const a of args) {
    if (a === '-v' || a === '--verbose') verbose = true;
    else if (a === '--') continue;
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else targets.push(a);
  }
  if (targets.length === 0) targets.push(dirname(fileURLToPath(import.meta.url)));
  const report = await runConformance(targets, { verbose });
  for (const l of report.lines) console.log(l);
  process.exitCode = report.exitCode;
}

await main();
