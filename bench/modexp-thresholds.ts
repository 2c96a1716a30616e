/**
 * Calibration behind the modexp dispatcher's thresholds (src/bigint/modexp.ts `THRESHOLDS`):
 * median ms per route for modulus × exponent sizes. `npx tsx bench/modexp-thresholds.ts`.
 * Moduli have no small factors (like p², N, N²), which is what makes createDiffieHellman's own
 * DH_check expensive and the padding or PKCS#8 routes necessary.
 */
import { dhModulus, dhPkcs8Pow, dhPow, rsaFeasible, rsaPow } from '../src/bigint/native.js';
import { modPowPortable } from '../src/bigint/portable.js';
import { randomBelow, seededRng } from '../src/rng.js';

const rng = seededRng('calibrate');

function noSmallFactorOdd(bits: number): bigint {
  for (;;) {
    const m = (1n << BigInt(bits - 1)) | randomBelow(rng, 1n << BigInt(bits - 1)) | 1n;
    let ok = true;
    for (let d = 3n; d < 2000n; d += 2n) if (m % d === 0n) ok = false;
    if (ok) return m;
  }
}

function median(f: () => unknown, minRuns: number, budgetMs: number): number {
  f();
  const t: number[] = [];
  const start = performance.now();
  while (t.length < minRuns || (performance.now() - start < budgetMs && t.length < 500)) {
    const s = performance.now();
    f();
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  return t[t.length >> 1]!;
}

const rows: string[] = ['| modulus bits | exponent bits | portable | RSA route | DH padded | DH PKCS#8 |', '|---|---|---|---|---|---|'];
for (const [mb, ebs] of [
  [512, [16, 64, 512]],
  [768, [16, 64, 768]],
  [1024, [8, 16, 32, 64, 256, 1024]],
  [1536, [256, 1536]],
  [2048, [8, 16, 32, 64, 256, 1024, 2047]],
  [3072, [256, 1024, 3071]],
  [4096, [64, 256, 1024, 2048, 4095]],
  [6144, [256, 3072]],
] as [number, number[]][]) {
  const m = noSmallFactorOdd(mb);
  dhModulus(m, mb);
  for (const eb of ebs) {
    const e = (1n << BigInt(eb - 1)) | randomBelow(rng, 1n << BigInt(eb - 1));
    const b = randomBelow(rng, m);
    const fast = mb <= 2048 ? 200 : 60;
    const port = eb * mb > 4096 * 2048 ? -1 : median(() => modPowPortable(b, e, m), 3, 300);
    const rsa = rsaFeasible(e, m, mb, eb) ? median(() => rsaPow(b, e, m, mb, eb), 5, fast) : -1;
    const pad = median(() => dhPow(b, e, m, mb), 5, fast);
    const p8 = median(() => dhPkcs8Pow(b, e, m), 5, fast);
    const f = (x: number) => (x < 0 ? '—' : x.toFixed(3));
    rows.push(`| ${mb} | ${eb} | ${f(port)} | ${f(rsa)} | ${f(pad)} | ${f(p8)} |`);
    console.error(rows[rows.length - 1]);
  }
}
console.log(rows.join('\n'));
