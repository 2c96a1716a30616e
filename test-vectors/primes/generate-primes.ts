/**
 * Generates the pregenerated safe primes in this folder. TEST DATA ONLY: these primes are public,
 * so a key made from them protects nothing. Tests load them through `test/helpers/test-primes.ts`
 * to avoid minutes of safe-prime generation; no library code path ever reads them.
 *
 *   npx tsx test-vectors/primes/generate-primes.ts [--bits 1024] [--pairs 8]
 *
 * One prime at a time (OpenSSL `generatePrime(bits, {safe: true})`, re-verified with 40
 * Miller–Rabin rounds for p and (p−1)/2), so a shared machine keeps its other core.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSafePrime, isSafePrime } from '../../src/bigint/primes.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

export async function generate(bits: number, pairs: number): Promise<string> {
  const out: { p: string; q: string }[] = [];
  const started = Date.now();
  const times: number[] = [];
  while (out.length < pairs) {
    const t0 = Date.now();
    const p = await generateSafePrime(bits);
    times.push(Date.now() - t0);
    const t1 = Date.now();
    const q = await generateSafePrime(bits);
    times.push(Date.now() - t1);
    if (p === q || !isSafePrime(p) || !isSafePrime(q)) continue;
    const n = p * q;
    if (n.toString(2).length < 2 * bits - 1) continue;
    out.push({ p: p.toString(16), q: q.toString(16) });
    console.error(`${bits}-bit pair ${out.length}/${pairs} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  const file = join(dirname(fileURLToPath(import.meta.url)), `safe-primes-${bits}.json`);
  const doc = {
    label: 'TEST DATA ONLY — public pregenerated safe primes for fast tests; never use for real keys, never a default',
    kind: 'safe',
    bits,
    generator: 'test-vectors/primes/generate-primes.ts (OpenSSL generatePrime {safe: true}, 40-round Miller–Rabin re-check of p and (p-1)/2)',
    generatedAt: new Date().toISOString(),
    secondsPerPrime: times.map((t) => t / 1000),
    pairs: out,
  };
  writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
  return file;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('generate-primes.ts')) {
  const bits = arg('bits', 1024);
  const pairs = arg('pairs', bits >= 1536 ? 4 : 8);
  console.error(`wrote ${await generate(bits, pairs)}`);
}
