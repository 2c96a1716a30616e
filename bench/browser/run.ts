/**
 * `npm run bench:browser -- [--json FILE] [--filter S[,S2…]] [--profile]`: the browser cases
 * (bench/browser/protocol.ts) whose names contain one of the S, run in Web Workers inside headless Chromium (bench/browser/harness.ts),
 * then — same command, same machine state — the Node cases they are compared with (`npm run bench`
 * names: OpenSSL-backed `:native`, the BigInt `:portable`, the whole-protocol cases) and the DKLs23
 * peer. Prints both side by side and writes `[{name, medianMs, meanMs, samples}]` (browser cases and
 * baselines) to FILE. `--profile`: the session cases also record every exponentiation of the device
 * (route, modulus and exponent size, secret or public, ms) per round and print the table.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import type { BenchSuite } from '../registry.js';
import type { CaseResult } from './page.js';
import { casesOf, type Entry, entryOf, formatEntry, measureCase, parseBenchArgs } from '../measure.js';
import { startBrowserBench } from './harness.js';
import { BROWSER_CASES, PEER_BASELINE } from './protocol.js';

/** Which `bench/*.bench.ts` suite registers a baseline (only the needed suites are loaded). */
const SUITE_OF: [RegExp, string][] = [
  [/^modexp\//, '../bigint.bench.ts'],
  [/^paillier\//, '../paillier.bench.ts'],
  [/^aux\//, '../aux.bench.ts'],
  [/^(presign|sign)\//, '../signing.bench.ts'],
  [/^peer\//, '../peer-dkls.bench.ts'],
];

async function baselines(names: string[]): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  const files = [...new Set(names.map((n) => SUITE_OF.find(([re]) => re.test(n))?.[1]).filter((f): f is string => f !== undefined))];
  for (const f of files) {
    const suite = (await import(new URL(f, import.meta.url).href)).default as BenchSuite;
    for (const c of await casesOf(suite, (n) => names.includes(n))) {
      if (!names.includes(c.name)) continue;
      const e = await measureCase(c);
      out.set(c.name, e);
      console.log(formatEntry(e, '(node)'));
    }
  }
  return out;
}

/** The device's exponentiations per session, by round, heaviest first. */
function printProfile(m: NonNullable<CaseResult['modexp']>): void {
  const rows = [...m.rows].sort((a, b) => a.round - b.round || b.ms - a.ms);
  let round = -1;
  for (const r of rows) {
    if (r.round !== round) {
      round = r.round;
      const total = rows.filter((x) => x.round === round).reduce((a, x) => a + x.ms, 0) / m.sessions;
      console.log(`    round ${round}: ${total.toFixed(1)} ms in exponentiations per session`);
    }
    const per = r.count / m.sessions;
    console.log(`      ${r.route.padEnd(12)} ${r.secret ? 'secret' : 'public'} mod ${String(r.mBits).padStart(4)} exp ≤${String(r.eBits).padStart(4)}: ${per.toFixed(1).padStart(5)} × ${(r.ms / r.count).toFixed(2).padStart(6)} ms = ${(r.ms / m.sessions).toFixed(1).padStart(6)} ms`);
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const profile = argv.includes('--profile');
  const { json, filter } = parseBenchArgs(
    argv.filter((a) => a !== '--profile'),
    'npm run bench:browser -- [--json FILE] [--filter S[,S2…]] [--profile]',
  );
  const filters = filter ? filter.split(',').filter((f) => f !== '') : [];
  const cases = BROWSER_CASES.filter((c) => filters.length === 0 || filters.some((f) => c.name.includes(f)));
  if (cases.length === 0) {
    console.error(`no browser benchmark matches ${JSON.stringify(filter)}; cases: ${BROWSER_CASES.map((c) => c.name).join(', ')}`);
    process.exitCode = 1;
    return;
  }
  console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} on ${availableParallelism()} cores`);
  const bench = await startBrowserBench({ pool: cases.some((c) => c.name === 'browser/setup-aux') });
  const browser: Entry[] = [];
  try {
    console.log(`Chromium: navigator.hardwareConcurrency = ${bench.workers}`);
    for (const c of cases) {
      const { entry, result } = await bench.run(c, { profile });
      browser.push(entry);
      const med = (xs: number[]): string => entryOf('', xs).medianMs.toFixed(0);
      const extra = result.workers !== undefined ? `, ${result.workers} pool workers, ${result.progressEvents} progress events` : '';
      const split = result.phases ? `; median prime race ${med(result.phases.primes)} ms [${result.phases.primes.map((x) => x.toFixed(0)).join(', ')}], aux session ${med(result.phases.session)} ms` : '';
      console.log(formatEntry(entry, `main-thread long tasks: ${result.longTasks}${result.longTasks ? ` (max ${result.maxLongTaskMs.toFixed(0)} ms)` : ''}${extra}${split}`));
      if (result.rounds) {
        // compute time per round (median over the samples, warmup included): less noisy than the wall time, which adds the waits for the other side
        const per = (side: Record<number, number[]>): string =>
          Object.entries(side)
            .map(([r, xs]) => `r${r} ${med(xs)}`)
            .join(', ');
        console.log(`    rounds, median compute ms — device (Chromium worker): ${per(result.rounds.device)}; service (Node): ${per(result.rounds.service)}`);
      }
      if (result.modexp) {
        console.log(`    device exponentiations (${result.modexp.sessions} sessions, warmup included):`);
        printProfile(result.modexp);
      }
    }
  } finally {
    await bench.close();
  }
  const wanted = [...new Set([...cases.flatMap((c) => c.baselines), PEER_BASELINE])];
  const base = await baselines(wanted);

  console.log('\nbrowser (Chromium, Web Workers) beside the same-run Node baselines, median ms:');
  for (const c of cases) {
    const b = browser.find((e) => e.name === c.name)!;
    const refs = c.baselines.map((n) => {
      const e = base.get(n);
      return e ? `${n} ${e.medianMs.toFixed(2)} (×${(b.medianMs / e.medianMs).toFixed(2)})` : `${n} –`;
    });
    console.log(`  ${c.name.padEnd(26)} ${b.medianMs.toFixed(2).padStart(10)}   vs ${refs.join(', ')}`);
  }
  const peer = base.get(PEER_BASELINE);
  if (peer) console.log(`  ${PEER_BASELINE.padEnd(26)} ${peer.medianMs.toFixed(2).padStart(10)}   (the peer, Node WASM)`);
  console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  if (json) writeFileSync(json, JSON.stringify([...browser, ...base.values()], null, 2) + '\n');
}

await main();
