/**
 * The tail every generator script shares: write the generated files into their directory, or — with
 * `--check` — compare them with what is committed and report each drift (exit code 1 when any).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeOrCheck(dir: string, files: Record<string, string>, argv: readonly string[] = process.argv): void {
  const check = argv.includes('--check');
  let drift = 0;
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, name);
    if (!check) {
      writeFileSync(path, text);
      console.error(`wrote ${name} (${(text.length / 1024).toFixed(0)} KB)`);
      continue;
    }
    let old = '';
    try {
      old = readFileSync(path, 'utf8');
    } catch {
      /* missing: a drift */
    }
    if (old !== text) {
      console.error(`drift: ${name}`);
      drift++;
    }
  }
  if (drift) process.exitCode = 1;
}
