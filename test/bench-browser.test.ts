/**
 * The `npm run bench:browser` harness cannot rot: it bundles, serves, launches Debian's Chromium,
 * connects the page's bench worker to the Node party over the loopback WebSocket bus (keygen runs
 * there at init) and runs ONE tiny benchmark (`browser/modexp/2048`, 3 samples, its result
 * cross-checked against OpenSSL's in the worker), returning an entry in the `npm run bench` JSON
 * shape. Chromium missing: "skipped: install chromium" outside CI, a failure with CI=true.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, startBrowserBench } from '../bench/browser/harness.js';
import { BROWSER_CASES } from '../bench/browser/protocol.js';
import { haveSystemPackage } from './helpers/system-package.js';

const RUN = haveSystemPackage('chromium', existsSync(CHROMIUM), CHROMIUM);

describe.skipIf(!RUN)('bench:browser harness', () => {
  it('runs one tiny browser benchmark in a Web Worker and returns a bench entry', async () => {
    const bench = await startBrowserBench();
    try {
      expect(bench.workers).toBeGreaterThanOrEqual(1);
      const { entry, result } = await bench.run({ name: 'browser/modexp/2048', iterations: 3, time: 0, warmup: 0 });
      expect(Object.keys(entry).sort()).toEqual(['meanMs', 'medianMs', 'name', 'samples']);
      expect(entry.name).toBe('browser/modexp/2048');
      expect(entry.samples).toBe(3);
      expect(entry.medianMs).toBeGreaterThan(0);
      expect(Number.isFinite(entry.meanMs)).toBe(true);
      expect(result.longTasks).toBe(0); // the loop ran in the worker, not on the page's main thread
      await expect(bench.run({ name: 'browser/no-such-case', iterations: 1, time: 0, warmup: 0 })).rejects.toThrow(/unknown browser case/);
      // one prepared presign (the device's pools filled by its own math pool), profiled: every exponentiation of the device, per round
      const pre = await bench.run({ name: 'browser/presign:device:prepared', iterations: 1, time: 0, warmup: 0 }, { profile: true });
      expect(pre.entry.samples).toBe(1);
      expect(pre.result.modexp?.sessions).toBe(1);
      const r2 = pre.result.modexp!.rows.filter((r) => r.round === 2);
      expect(r2.some((r) => r.route === 'wasm' && r.secret && r.mBits === 4096)).toBe(true); // the MtA scalar products mod N_j²
      expect(r2.every((r) => r.count >= 1 && r.ms >= 0)).toBe(true);
    } finally {
      await bench.close();
    }
    // the documented case list (README, issue 13; the prime search's Fermat test and the ladder it replaced: issue 13 item 1)
    expect(BROWSER_CASES.map((c) => c.name)).toEqual([
      'browser/modexp/2048',
      'browser/modexp/4096',
      'browser/fermat/1024',
      'browser/fermat/1024:ladder',
      'browser/paillier/encrypt',
      'browser/setup-aux',
      'browser/presign:device',
      'browser/presign:device:prepared',
      'browser/sign-pooled',
    ]);
  }, 300_000);
});
