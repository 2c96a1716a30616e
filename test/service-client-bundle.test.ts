/**
 * `connectService` (src/client/service-client.ts) is the browser's way to the server too: bundled
 * for the browser (esbuild, platform browser) it must not pull in `ws` or any `node:` module — Node
 * 20 loads `ws` at run time through a specifier bundlers leave alone.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ENTRY = fileURLToPath(new URL('../src/client/service-client.ts', import.meta.url));

describe('service-client in a browser bundle', () => {
  it('bundles without ws and without node: imports; the run-time ws import stays dynamic', async () => {
    const r = await build({ entryPoints: [ENTRY], bundle: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent' });
    const js = r.outputFiles[0]!.text;
    expect(js.length).toBeGreaterThan(10_000);
    expect(js).toContain('connectService');
    expect(js).not.toMatch(/WebSocketServer|PerMessageDeflate|ws does not work in the browser/); // nothing of the ws package (nor its browser stub)
    expect(js).not.toMatch(/\bfrom\s*["']ws["']|require\(\s*["']ws["']\)|import\(\s*["']ws["']\s*\)/);
    expect(js).not.toMatch(/\bfrom\s*["']node:|\bimport\s*\(?\s*["']node:|require\(\s*["']node:/);
  });
});
